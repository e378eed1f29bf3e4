"""Baidu BOS: everything the tool knows about the kind, stated once.

Source: BOS PutNotification (shared/reference/api-pages/004) and providers.md §2. Rule order is
not documented to matter. A rule is either full (resources, events and apps) or, "if the request
is only used for configuring notification or callback keys", simplified (none of the three).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from reconciler.kinds.base import Kind, Problem, is_http_url, safe_url, strings, text
from reconciler.model.bos import BosRule
from reconciler.model.config import BosProvider
from reconciler.words import near_miss, one_of

if TYPE_CHECKING:
    from reconciler.model.config import ProviderConfig

STATUSES = ("enabled", "disabled")
EVENTS = (
    "PutObject",
    "PostObject",
    "AppendObject",
    "CopyObject",
    "CompleteMultipartUpload",
    "FetchObject",
    "DeleteObject",
    "DeleteMultipleObjects",
    "BosLifecycle:Copy",
    "ObjectCreateGroup:*",
    "ObjectModifyGroup:*",
)
EVENT_URL_SCHEMES = ("http", "https", "brn", "app")
RESOURCE_MAX_WILDCARDS = 1
# the fields a simplified rule leaves out, all together
FULL_RULE_FIELDS = ("resources", "events", "apps")
SENSITIVE_PATHS = ("encryption.key",)


class BosKind(Kind):
    type = "bos"
    title = "Baidu BOS"
    rule_model = BosRule
    provider_model = BosProvider
    location_field = "region"
    # the common convention; the BCE SDKs read no environment
    credentials: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "access_key_id": ("BCE_ACCESS_KEY_ID",),
        "secret_access_key": ("BCE_SECRET_ACCESS_KEY",),
        "session_token": ("BCE_SESSION_TOKEN",),  # STS keys: sent as x-bce-security-token
    }
    sensitive_paths = SENSITIVE_PATHS

    def default_endpoint(self, provider: ProviderConfig) -> str | None:
        return f"https://{provider.region}.bcebos.com"  # type: ignore[union-attr]

    def virtual_host(self, provider: ProviderConfig) -> bool:
        return True  # Baidu's recommendation

    def describe(self, rule: Any) -> str:
        if rule.simplified:
            return f"{rule.status} app {rule.appId}: notification keys only (no resources, events or apps)"
        urls = ", ".join(safe_url(app.eventUrl) for app in rule.apps)
        return f"{rule.status} app {rule.appId} → {urls} on {', '.join(rule.events)}"

    def rule_problems(self, rule: Mapping[str, Any], *, flavor: str | None, bucket: str | None) -> Iterator[Problem]:
        status = text(rule, "status")
        if status is not None and status not in STATUSES:
            yield Problem(
                0, ("status",), f"{status!r} is not one of {one_of(STATUSES)}", "enum", near_miss(status, STATUSES)
            )
        present = [name for name in FULL_RULE_FIELDS if rule.get(name) is not None]
        if present and len(present) < len(FULL_RULE_FIELDS):
            missing = [name for name in FULL_RULE_FIELDS if name not in present]
            message = (
                f"a rule with {' and '.join(present)} also needs {' and '.join(missing)}; a simplified rule "
                "(notification or callback keys only) has none of resources, events and apps"
            )
            yield Problem(0, (), message, "simplified_rule")
        for index, resource in enumerate(strings(rule.get("resources"))):
            yield from _resource_problems(index, resource, bucket)
        for index, event in enumerate(strings(rule.get("events"))):
            if event not in EVENTS:
                yield Problem(
                    0, ("events", index), f"{event!r} is not one of {one_of(EVENTS)}", "enum", near_miss(event, EVENTS)
                )
        app_ids: set[str] = set()
        apps = rule.get("apps")
        for index, app in enumerate(apps if isinstance(apps, (list, tuple)) else ()):
            if not isinstance(app, Mapping):
                continue
            app_id, url = text(app, "id"), text(app, "eventUrl")
            if app_id is not None and app_id in app_ids:
                yield Problem(
                    0, ("apps", index, "id"), f"app id {app_id!r} is used twice in this rule", "duplicate_app"
                )
            if app_id is not None:
                app_ids.add(app_id)
            if url is not None and not is_event_url(url):
                message = f"{url!r} is not an http(s) URL, brn:… (a CFC function) or app:… (an official app)"
                yield Problem(0, ("apps", index, "eventUrl"), message, "event_url")


def _resource_problems(index: int, resource: str, bucket: str | None) -> Iterator[Problem]:
    stars = resource.count("*")
    if stars > RESOURCE_MAX_WILDCARDS:
        message = f"{resource!r} has {stars} '*' wildcards; BOS allows at most one per resource"
        yield Problem(0, ("resources", index), message, "resource_wildcards")
    # documented forms: ${bucket_name}/path… or /path…; anything else names another bucket
    if bucket is None or resource.startswith("/") or resource == bucket or resource.startswith(bucket + "/"):
        return
    other = resource.split("/", 1)[0]
    message = (
        f"{resource!r} is read by BOS as a path in bucket {other!r}; a resource is /path… "
        f"(in this bucket) or {bucket}/path…"
    )
    yield Problem(0, ("resources", index), message, "resource_form", hint="/" + resource)


def is_event_url(url: str) -> bool:
    scheme, _, rest = url.partition(":")
    if scheme.lower() in ("http", "https"):
        return is_http_url(url)
    return scheme.lower() in EVENT_URL_SCHEMES and bool(rest.strip())


KIND = BosKind()
