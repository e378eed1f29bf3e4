"""Provider rules a JSON Schema cannot express, checked offline before any network call.

Checks read the plain data of one bucket and yield Findings; a field the dialect's schema
refused is skipped (its problem is already reported). API facts come from the dialect models
(reconciler.model) and reference/providers.md.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from reconciler.config.diagnostics import Finding, Path, one_of, quote
from reconciler.model.bos import EVENT_URL_SCHEMES
from reconciler.model.s3 import (
    EVENTS_BY_FLAVOR,
    FILTER_VALUE_MAX_BYTES,
    JDCLOUD_MAX_ENDPOINTS,
    RULE_TYPES_BY_FLAVOR,
)

_AWS_SERVICES = {"topic": "sns", "queue": "sqs", "cloud_function": "lambda"}
_CEPH_ONLY_FILTERS = ("regex", "metadata", "tags")


class RuleEntry(NamedTuple):
    """A rule as written, where it sits, and where its dialect's schema found problems."""

    path: Path
    data: Any
    problems: tuple[Path, ...] = ()

    def clean(self, field: str, *, optional: bool = False) -> bool:
        """`field` is present (or, if optional, absent) and the schema found nothing wrong in it."""
        if not isinstance(self.data, dict):
            return False
        if field not in self.data:
            return optional
        place = self.path + (field,)
        return not any(problem[: len(place)] == place for problem in self.problems)


def provider_findings(path: Path, provider: Mapping[str, Any]) -> Iterator[Finding]:
    endpoint = provider.get("endpoint")
    if isinstance(endpoint, str) and endpoint and not is_http_url(endpoint):
        yield Finding(path + ("endpoint",), f"{quote(endpoint)} is not an http:// or https:// URL with a host")


def bucket_findings(provider: Mapping[str, Any], rules: Sequence[RuleEntry]) -> Iterator[Finding]:
    """Problems of one bucket's rules under its provider; fields the schema refused are skipped."""
    yield from _unique_ids(rules)
    if provider["type"] == "qingstor":
        for entry in rules:
            yield from _qingstor_rule(entry)
    elif provider["type"] == "bos":
        for entry in rules:
            yield from _bos_rule(entry)
    else:
        flavor = provider.get("flavor", "aws")
        for entry in rules:
            yield from _s3_rule(flavor, entry)
        if flavor == "aws":
            comparable = [e for e in rules if e.clean("id") and e.clean("events") and e.clean("filter", optional=True)]
            yield from _aws_overlaps(comparable)


def is_http_url(text: str) -> bool:
    """An absolute http(s) URL with a host and nothing unprintable in it."""
    if any(char.isspace() for char in text):
        return False
    try:
        parts = urlsplit(text)
        _ = parts.port  # raises on a malformed port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _unique_ids(rules: Sequence[RuleEntry]) -> Iterator[Finding]:
    first: dict[str, Path] = {}
    for entry in rules:
        if not entry.clean("id"):
            continue
        rule_id = entry.data["id"]
        if rule_id in first:
            message = f"duplicate rule id {quote(rule_id)} in this bucket"
            yield Finding(entry.path + ("id",), message, see=first[rule_id] + ("id",))
        else:
            first[rule_id] = entry.path


# --- qingstor ---------------------------------------------------------------------------------


def _qingstor_rule(entry: RuleEntry) -> Iterator[Finding]:
    rule = entry.data
    if entry.clean("cloudfunc") and rule["cloudfunc"] == "image" and "cloudfunc_args" not in rule:
        message = "cloudfunc 'image' needs cloudfunc_args.action (the image operation, e.g. 'resize:w_200')"
        yield Finding(entry.path, message)
    if entry.clean("notify_url") and not is_http_url(rule["notify_url"]):
        yield Finding(entry.path + ("notify_url",), f"{quote(rule['notify_url'])} is not an http:// or https:// URL")


# --- bos --------------------------------------------------------------------------------------


def _bos_rule(entry: RuleEntry) -> Iterator[Finding]:
    path, rule = entry.path, entry.data
    for index, resource in enumerate(rule["resources"] if entry.clean("resources") else ()):
        if resource.count("*") > 1:
            yield Finding(
                path + ("resources", index),
                f"{quote(resource)} has {resource.count('*')} '*' wildcards; BOS allows at most one per resource",
            )
    app_ids: set[str] = set()
    for index, app in enumerate(rule["apps"] if entry.clean("apps") else ()):
        if app["id"] in app_ids:
            yield Finding(path + ("apps", index, "id"), f"app id {quote(app['id'])} is used twice in this rule")
        app_ids.add(app["id"])
        if not _is_event_url(app["eventUrl"]):
            yield Finding(
                path + ("apps", index, "eventUrl"),
                f"{quote(app['eventUrl'])} is not an http(s) URL, brn:… (a CFC function) or app:… (an official app)",
            )


def _is_event_url(url: str) -> bool:
    scheme, _, rest = url.partition(":")
    if scheme.lower() in ("http", "https"):
        return is_http_url(url)
    return scheme.lower() in EVENT_URL_SCHEMES and bool(rest.strip())


# --- s3 flavors -------------------------------------------------------------------------------


def _s3_rule(flavor: str, entry: RuleEntry) -> Iterator[Finding]:
    path, rule = entry.path, entry.data
    if entry.clean("type", optional=True):
        kind = rule.get("type", "topic")
        allowed = RULE_TYPES_BY_FLAVOR[flavor]
        if kind not in allowed and "type" in rule:
            yield Finding(path + ("type",), f"{flavor} accepts only {one_of(allowed)} rules, not {quote(kind)}")
        elif kind not in allowed:
            message = f"{flavor} accepts only {one_of(allowed)} rules; add type: {allowed[0]} (the default is topic)"
            yield Finding(path, message)
        elif entry.clean("target"):
            for problem in _target_problems(flavor, kind, rule["target"]):
                yield Finding(path + ("target",), problem)
    supported = EVENTS_BY_FLAVOR[flavor]
    for index, event in enumerate(rule["events"] if entry.clean("events") else ()):
        if event not in supported:
            message = f"{quote(event)} is not supported on {flavor}; use {one_of(supported)}"
            yield Finding(path + ("events", index), message)
    key_filter = rule["filter"] if entry.clean("filter") else {}
    for name in ("prefix", "suffix"):
        size = len(key_filter.get(name, "").encode("utf-8"))
        if size > FILTER_VALUE_MAX_BYTES:
            message = f"{name} is {size} bytes long; at most {FILTER_VALUE_MAX_BYTES} bytes are allowed"
            yield Finding(path + ("filter", name), message)
    if flavor != "ceph":
        for name in _CEPH_ONLY_FILTERS:
            if name in key_filter:
                yield Finding(path + ("filter", name), f"filter.{name} is supported only on ceph", at_key=True)


def _target_problems(flavor: str, kind: str, target: str) -> Iterator[str]:
    if flavor == "jdcloud":
        yield from _jdcloud_target_problems(target)
        return
    parts = target.split(":")
    if flavor == "minio":
        if len(parts) != 6 or parts[:3] != ["arn", "minio", "sqs"] or not parts[4] or not parts[5]:
            yield (
                f"{quote(target)} is not a minio queue ARN arn:minio:sqs:<region>:<id>:<type> "
                "(e.g. arn:minio:sqs::primary:webhook)"
            )
    elif flavor == "ceph":
        if len(parts) != 6 or parts[:3] != ["arn", "aws", "sns"] or not parts[5]:
            yield (
                f"{quote(target)} is not a ceph topic ARN arn:aws:sns:<zonegroup>:<tenant>:<topic> "
                "(e.g. arn:aws:sns:default::uploads)"
            )
    else:
        service = _AWS_SERVICES[kind]
        if len(parts) < 6 or parts[0] != "arn" or parts[2] != service or not all(parts[1:6]):
            yield (
                f"{quote(target)} is not an {service} ARN arn:<partition>:{service}:<region>:<account>:<name>, "
                f"which a {kind} rule on aws needs"
            )


def _jdcloud_target_problems(target: str) -> Iterator[str]:
    if not target.startswith("NS:"):
        yield (
            f"{quote(target)} is not a jdcloud target NS:<url>[,<url>…] "
            f"(up to {JDCLOUD_MAX_ENDPOINTS} callback URLs, e.g. NS:https://a.example.com/cb)"
        )
        return
    endpoints = target[3:].split(",")
    if len(endpoints) > JDCLOUD_MAX_ENDPOINTS:
        yield f"{len(endpoints)} callback URLs; jdcloud allows at most {JDCLOUD_MAX_ENDPOINTS}"
    for endpoint in endpoints:
        if not is_http_url(endpoint):
            yield f"callback {quote(endpoint)} is not an http:// or https:// URL"


def _aws_overlaps(rules: Sequence[RuleEntry]) -> Iterator[Finding]:
    """AWS rejects two rules that share an event type when their key filters overlap."""
    for index, later in enumerate(rules):
        for earlier in rules[:index]:
            shared = _shared_event(earlier.data["events"], later.data["events"])
            if shared is not None and _filters_overlap(earlier.data.get("filter"), later.data.get("filter")):
                yield Finding(
                    later.path,
                    f"overlaps rule {quote(earlier.data['id'])}: both receive {shared} for keys matching both "
                    "filters, which AWS rejects",
                    see=earlier.path,
                )


def _shared_event(first: Sequence[str], second: Sequence[str]) -> str | None:
    """An event both lists receive (`s3:ObjectCreated:*` covers `s3:ObjectCreated:Put`)."""
    for a in first:
        for b in second:
            if a == b or (a.endswith(":*") and b.startswith(a[:-1])):
                return b
            if b.endswith(":*") and a.startswith(b[:-1]):
                return a
    return None


def _filters_overlap(first: Mapping[str, Any] | None, second: Mapping[str, Any] | None) -> bool:
    """A missing prefix or suffix matches every key, so it overlaps any other."""
    prefix_a, prefix_b = ((f or {}).get("prefix") or "" for f in (first, second))
    suffix_a, suffix_b = ((f or {}).get("suffix") or "" for f in (first, second))
    prefixes = prefix_a.startswith(prefix_b) or prefix_b.startswith(prefix_a)
    suffixes = suffix_a.endswith(suffix_b) or suffix_b.endswith(suffix_a)
    return prefixes and suffixes
