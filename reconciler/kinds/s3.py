"""S3-compatible stores (flavors aws, jdcloud, minio, ceph): everything the tool knows, stated once.

Sources: JD Cloud PUT Bucket notification (shared/reference/api-pages/003), providers.md §3-4,
ceph-rgw.md. The wire's Topic/Queue/CloudFunction configurations are one list of rules with a
`type` and a `target`.

Where sources disagree, the provider's PUT page wins: JD Cloud's compatibility overview says
"Not support: CloudFunction", but its PUT Bucket notification page documents
CloudFunctionConfiguration (Id, Filter, CloudFunction, Event+), so jdcloud accepts
`type: cloud_function` with a function id as its target.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from reconciler.kinds.base import Kind, Problem, Shadowing, is_http_url, safe_url, strings, text
from reconciler.model.config import S3Provider
from reconciler.model.s3 import S3Rule
from reconciler.words import near_miss, one_of

if TYPE_CHECKING:
    from reconciler.model.config import ProviderConfig
    from reconciler.model.document import Rule

RULE_TYPES = ("topic", "queue", "cloud_function")
# wire element names per rule type: (configuration element, target element)
WIRE_NAMES = {
    "topic": ("TopicConfiguration", "Topic"),
    "queue": ("QueueConfiguration", "Queue"),
    "cloud_function": ("CloudFunctionConfiguration", "CloudFunction"),
}

_CREATED = ["*", "Put", "Post", "Copy", "CompleteMultipartUpload"]
JDCLOUD_EVENTS = tuple([f"s3:ObjectCreated:{x}" for x in _CREATED] + ["s3:ObjectRemoved:*", "s3:ObjectRemoved:Delete"])
AWS_EVENTS = tuple(
    [f"s3:ObjectCreated:{x}" for x in _CREATED]
    + [f"s3:ObjectRemoved:{x}" for x in ("*", "Delete", "DeleteMarkerCreated")]
    + [f"s3:ObjectRestore:{x}" for x in ("*", "Post", "Completed", "Delete")]
    + ["s3:ReducedRedundancyLostObject"]
    + [
        f"s3:Replication:{x}"
        for x in (
            "*",
            "OperationFailedReplication",
            "OperationMissedThreshold",
            "OperationReplicatedAfterThreshold",
            "OperationNotTracked",
        )
    ]
    + ["s3:LifecycleTransition", "s3:IntelligentTiering", "s3:ObjectAcl:Put"]
    + [f"s3:LifecycleExpiration:{x}" for x in ("*", "Delete", "DeleteMarkerCreated")]
    + [f"s3:ObjectTagging:{x}" for x in ("*", "Put", "Delete")]
)
MINIO_EVENTS = AWS_EVENTS + tuple(
    [f"s3:ObjectAccessed:{x}" for x in ("*", "Get", "Head", "GetRetention", "GetLegalHold", "Attributes")]
    + [f"s3:ObjectCreated:{x}" for x in ("PutRetention", "PutLegalHold", "PutTagging", "DeleteTagging")]
    + ["s3:ObjectRemoved:NoOP", "s3:ObjectRemoved:DeleteAllVersions"]
    + ["s3:Replication:OperationCompletedReplication"]
    + [f"s3:ObjectTransition:{x}" for x in ("*", "Failed", "Complete")]
    + [f"s3:Scanner:{x}" for x in ("ManyVersions", "LargeVersions", "BigPrefix")]
    + ["s3:LifecycleDelMarkerExpiration:Delete", "s3:BucketCreated:*", "s3:BucketRemoved:*"]
)
CEPH_EVENTS = tuple(
    [f"s3:ObjectCreated:{x}" for x in _CREATED]
    + [f"s3:ObjectRemoved:{x}" for x in ("*", "Delete", "DeleteMarkerCreated")]
    + [f"s3:ObjectLifecycle:Expiration:{x}" for x in ("Current", "NonCurrent", "DeleteMarker", "AbortMultipartUpload")]
    + [f"s3:ObjectLifecycle:Transition:{x}" for x in ("Current", "NonCurrent")]
    + [f"s3:ObjectSynced:{x}" for x in ("*", "Create", "Delete", "DeletionMarkerCreated")]
)
FILTER_VALUE_MAX_BYTES = 1022
JDCLOUD_MAX_ENDPOINTS = 5
CEPH_ONLY_FILTERS = ("regex", "metadata", "tags")
_AWS_SERVICES = {"topic": "sns", "queue": "sqs", "cloud_function": "lambda"}


@dataclass(frozen=True)
class S3Flavor:
    name: str
    events: tuple[str, ...]
    rule_types: tuple[str, ...]  # which rule types the server accepts
    endpoint: str | None  # template of the public endpoint ({region}); None: the provider must name one
    virtual_host: bool  # the usual addressing
    ordered: bool = False  # first match wins (jdcloud)
    implied_events: tuple[str, ...] = ()  # what a configuration without <Event> subscribes to
    overlaps_refused: bool = False  # two rules with intersecting events may not have overlapping filters


FLAVORS: dict[str, S3Flavor] = {
    flavor.name: flavor
    for flavor in (
        S3Flavor("aws", AWS_EVENTS, RULE_TYPES, "https://s3.{region}.amazonaws.com", True, overlaps_refused=True),
        # JD: "TopicConfiguration … matched in order … the match terminates"
        S3Flavor(
            "jdcloud",
            JDCLOUD_EVENTS,
            ("topic", "cloud_function"),
            "https://s3.{region}.jdcloud-oss.com",
            True,
            ordered=True,
        ),
        S3Flavor("minio", MINIO_EVENTS, ("queue",), None, False),
        # RGW: "If Event is omitted, all Created and Removed events are used"
        S3Flavor(
            "ceph", CEPH_EVENTS, ("topic",), None, False, implied_events=("s3:ObjectCreated:*", "s3:ObjectRemoved:*")
        ),
    )
}


class S3Kind(Kind):
    type = "s3"
    title = "S3-compatible"
    rule_model = S3Rule
    provider_model = S3Provider
    location_field = "region"
    # botocore's environment provider; AWS_SECURITY_TOKEN is its legacy name for the session token
    credentials: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "access_key_id": ("AWS_ACCESS_KEY_ID",),
        "secret_access_key": ("AWS_SECRET_ACCESS_KEY",),
        "session_token": ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"),
    }
    flavors = tuple(FLAVORS)

    def default_endpoint(self, provider: ProviderConfig) -> str | None:
        template = FLAVORS[provider.flavor].endpoint  # type: ignore[union-attr]
        if template is None:
            return None
        region = provider.region  # type: ignore[union-attr]
        suffix = ".cn" if provider.flavor == "aws" and region.startswith("cn-") else ""  # type: ignore[union-attr]
        return template.format(region=region) + suffix

    def virtual_host(self, provider: ProviderConfig) -> bool:
        return FLAVORS[provider.flavor].virtual_host  # type: ignore[union-attr]

    def ordered(self, flavor: str | None) -> bool:
        return FLAVORS[flavor or "aws"].ordered

    def canonical(self, rule: Rule, flavor: str | None) -> Rule:
        """minio answers its own region in every queue ARN; RGW answers `arn:aws:sns:default::<topic>`."""
        if not isinstance(rule, S3Rule):
            return rule
        if flavor == "minio" and rule.target.startswith("arn:minio:sqs:"):
            parts = rule.target.split(":")
            if len(parts) == 6:
                parts[3] = ""
                return rule.model_copy(update={"target": ":".join(parts)})
        if flavor == "ceph" and rule.target.startswith("arn:"):
            return rule.model_copy(update={"target": rule.target.rsplit(":", 1)[-1]})
        return rule

    def describe(self, rule: Any) -> str:
        target = rule.target
        if target.startswith("NS:"):
            target = "NS:" + ",".join(safe_url(url) for url in target[3:].split(","))
        return f"{rule.type} {target} on {', '.join(rule.events)}"

    def rule_problems(self, rule: Mapping[str, Any], *, flavor: str | None, bucket: str | None) -> Iterator[Problem]:
        facts = FLAVORS[flavor or "aws"]
        kind = rule.get("type") or "topic"
        target = text(rule, "target")
        if isinstance(kind, str) and kind not in facts.rule_types:
            if rule.get("type"):
                yield Problem(
                    0,
                    ("type",),
                    f"{facts.name} accepts only {one_of(facts.rule_types)} rules, not {kind!r}",
                    "rule_type",
                )
            else:
                message = (
                    f"{facts.name} accepts only {one_of(facts.rule_types)} rules; "
                    f"add type: {facts.rule_types[0]} (the default is topic)"
                )
                yield Problem(0, (), message, "rule_type")
        elif isinstance(kind, str) and target is not None:
            for message in _target_problems(facts.name, kind, target):
                yield Problem(0, ("target",), message, "target")
        for index, event in enumerate(strings(rule.get("events"))):
            if event not in facts.events:
                message = f"{event!r} is not supported on {facts.name}; use {one_of(facts.events)}"
                yield Problem(0, ("events", index), message, "event", near_miss(event, facts.events))
        key_filter = rule.get("filter")
        key_filter = key_filter if isinstance(key_filter, Mapping) else {}
        for name in ("prefix", "suffix"):
            value = key_filter.get(name)
            size = len(value.encode("utf-8", "surrogatepass")) if isinstance(value, str) else 0
            if size > FILTER_VALUE_MAX_BYTES:
                message = f"{name} is {size} bytes long; at most {FILTER_VALUE_MAX_BYTES} bytes are allowed"
                yield Problem(0, ("filter", name), message, "filter_length")
        if facts.name != "ceph":
            for name in CEPH_ONLY_FILTERS:
                if key_filter.get(name) not in (None, [], ()):
                    yield Problem(
                        0, ("filter", name), f"filter.{name} is supported only on ceph", "ceph_only", at_key=True
                    )

    def pair_problems(self, rules: Sequence[Mapping[str, Any] | None], *, flavor: str | None) -> Iterator[Problem]:
        """AWS rejects two rules that share an event type when their key filters overlap."""
        if not FLAVORS[flavor or "aws"].overlaps_refused:
            return
        comparable = [(i, r) for i, r in enumerate(rules) if isinstance(r, Mapping) and strings(r.get("events"))]
        for position, (index, later) in enumerate(comparable):
            for earlier_index, earlier in comparable[:position]:
                shared = shared_event(strings(earlier.get("events")), strings(later.get("events")))
                if shared is not None and filters_overlap(earlier.get("filter"), later.get("filter")):
                    message = (
                        f"overlaps rule {earlier.get('id')!r}: both receive {shared} for keys matching both "
                        "filters, which AWS rejects"
                    )
                    yield Problem(index, (), message, "overlap", see=(earlier_index, ()))

    def shadowing(self, rules: Sequence[Mapping[str, Any] | None], *, flavor: str | None) -> list[Shadowing]:
        """First match wins among TopicConfigurations (the only kind the JD page says is matched in
        order): a later topic rule whose every (event, key) an earlier one also matches never fires."""
        facts = FLAVORS[flavor or "aws"]
        if not facts.ordered:
            return []
        topics = [
            (index, rule)
            for index, rule in enumerate(rules)
            if isinstance(rule, Mapping) and (rule.get("type") or "topic") == "topic" and strings(rule.get("events"))
        ]
        found = []
        for position, (index, later) in enumerate(topics):
            for earlier_index, earlier in topics[:position]:
                if _covers(earlier, later, facts.events):
                    found.append(Shadowing(index, earlier_index, strings(later.get("events"))[0]))
                    break
        return found


def _concrete(events: Sequence[str], known: Sequence[str]) -> set[str]:
    """Events with each `prefix:*` replaced by the flavor's named events under it, as JD documents
    `s3:ObjectCreated:*` "(Put, Post, Copy, CompleteMultipartUpload)"; a wildcard with none stays."""
    result: set[str] = set()
    for event in events:
        children = {other for other in known if event.endswith(":*") and other.startswith(event[:-1])} - {event}
        result |= children or {event}
    return result


def _covers(earlier: Mapping[str, Any], later: Mapping[str, Any], known: Sequence[str]) -> bool:
    """Does `earlier` match every event and key that `later` matches?"""
    if not _concrete(strings(later.get("events")), known) <= _concrete(strings(earlier.get("events")), known):
        return False
    first, second = (r.get("filter") if isinstance(r.get("filter"), Mapping) else {} for r in (earlier, later))
    if any(first.get(name) not in (None, [], ()) for name in CEPH_ONLY_FILTERS):
        return False  # not on jdcloud; never claim coverage we cannot show
    prefix_a, suffix_a = first.get("prefix") or "", first.get("suffix") or ""
    prefix_b, suffix_b = second.get("prefix") or "", second.get("suffix") or ""
    return prefix_b.startswith(prefix_a) and suffix_b.endswith(suffix_a)


def shared_event(first: Sequence[str], second: Sequence[str]) -> str | None:
    """An event both lists receive (`s3:ObjectCreated:*` covers `s3:ObjectCreated:Put`)."""
    for a in first:
        for b in second:
            if a == b or (a.endswith(":*") and b.startswith(a[:-1])):
                return b
            if b.endswith(":*") and a.startswith(b[:-1]):
                return a
    return None


def filters_overlap(first: Any, second: Any) -> bool:
    """A missing prefix or suffix matches every key, so it overlaps any other."""
    a = first if isinstance(first, Mapping) else {}
    b = second if isinstance(second, Mapping) else {}
    prefix_a, prefix_b = a.get("prefix") or "", b.get("prefix") or ""
    suffix_a, suffix_b = a.get("suffix") or "", b.get("suffix") or ""
    prefixes = prefix_a.startswith(prefix_b) or prefix_b.startswith(prefix_a)
    suffixes = suffix_a.endswith(suffix_b) or suffix_b.endswith(suffix_a)
    return prefixes and suffixes


def _target_problems(flavor: str, kind: str, target: str) -> Iterator[str]:
    if flavor == "jdcloud" and kind == "cloud_function":
        if target.startswith("NS:") or any(char.isspace() or char == "," for char in target):
            yield f"{target!r} is not a function id: a jdcloud cloud_function rule names one function (CloudFunction)"
        return
    if flavor == "jdcloud":
        yield from _jdcloud_topic_problems(target)
        return
    parts = target.split(":")
    if flavor == "minio":
        if len(parts) != 6 or parts[:3] != ["arn", "minio", "sqs"] or not parts[4] or not parts[5]:
            yield (
                f"{target!r} is not a minio queue ARN arn:minio:sqs:<region>:<id>:<type> "
                "(e.g. arn:minio:sqs::primary:webhook)"
            )
    elif flavor == "ceph":
        if len(parts) != 6 or parts[:3] != ["arn", "aws", "sns"] or not parts[5]:
            yield (
                f"{target!r} is not a ceph topic ARN arn:aws:sns:<zonegroup>:<tenant>:<topic> "
                "(e.g. arn:aws:sns:default::uploads)"
            )
    else:
        service = _AWS_SERVICES[kind]
        if len(parts) < 6 or parts[0] != "arn" or parts[2] != service or not all(parts[1:6]):
            yield (
                f"{target!r} is not an {service} ARN arn:<partition>:{service}:<region>:<account>:<name>, "
                f"which a {kind} rule on aws needs"
            )


def _jdcloud_topic_problems(target: str) -> Iterator[str]:
    if not target.startswith("NS:"):
        yield (
            f"{target!r} is not a jdcloud target NS:<url>[,<url>…] "
            f"(up to {JDCLOUD_MAX_ENDPOINTS} callback URLs, e.g. NS:https://a.example.com/cb)"
        )
        return
    endpoints = target[3:].split(",")
    if len(endpoints) > JDCLOUD_MAX_ENDPOINTS:
        yield f"{len(endpoints)} callback URLs; jdcloud allows at most {JDCLOUD_MAX_ENDPOINTS}"
    for endpoint in endpoints:
        if not is_http_url(endpoint):
            yield f"callback {endpoint!r} is not an http:// or https:// URL"


KIND = S3Kind()
