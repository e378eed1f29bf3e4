"""QingStor: everything the tool knows about the kind, stated once.

Source: QingStor PUT Bucket Notification (shared/reference/api-pages/000, 001, 002) and
providers.md §1. Rule order has no meaning ("each rule is checked one by one; several may fire").
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from reconciler.kinds.base import Kind, Problem, is_http_url, safe_url, strings, text
from reconciler.model.config import QingStorProvider
from reconciler.model.qingstor import IMAGE_DEFAULTS, QingStorRule
from reconciler.words import near_miss, one_of

if TYPE_CHECKING:
    from reconciler.model.config import ProviderConfig

EVENT_TYPES = ("create_object", "delete_object", "abort_multipart", "complete_multipart")
CLOUDFUNCS = ("tupu-porn", "notifier", "image")
# `cloudfunc_args` are "custom parameters provided to cloudfunc"; only `image` documents its keys
IMAGE_ARGS = ("action", "key_prefix", "key_seprate", "save_bucket")  # sic: key_seprate
IMAGE_ARGS_REQUIRED = ("action",)
IMAGE_ARGS_DEFAULTS = IMAGE_DEFAULTS  # server defaults, filled in by the model
# notifier "pushes the QingStor events to notify_url": without one it delivers nothing
NEEDS_NOTIFY_URL = ("notifier",)


class QingStorKind(Kind):
    type = "qingstor"
    title = "QingStor"
    rule_model = QingStorRule
    provider_model = QingStorProvider
    location_field = "zone"
    # QingStor's JS and Java SDKs read QINGSTOR_*; QingCloud's CLI names the keys QY_*
    credentials: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "access_key_id": ("QINGSTOR_ACCESS_KEY_ID", "QY_ACCESS_KEY_ID"),
        "secret_access_key": ("QINGSTOR_SECRET_ACCESS_KEY", "QY_SECRET_ACCESS_KEY"),
    }

    def default_endpoint(self, provider: ProviderConfig) -> str | None:
        return f"https://{provider.zone.lower()}.qingstor.com"  # type: ignore[union-attr]

    def virtual_host(self, provider: ProviderConfig) -> bool:
        return False  # the official SDKs' default

    def describe(self, rule: Any) -> str:
        target = f" → {safe_url(rule.notify_url)}" if rule.notify_url else ""
        return f"cloudfunc {rule.cloudfunc}{target} on {', '.join(rule.event_types)}"

    def rule_problems(self, rule: Mapping[str, Any], *, flavor: str | None, bucket: str | None) -> Iterator[Problem]:
        for index, event in enumerate(strings(rule.get("event_types"))):
            if event not in EVENT_TYPES:
                message = f"{event!r} is not one of {one_of(EVENT_TYPES)}"
                yield Problem(0, ("event_types", index), message, "enum", near_miss(event, EVENT_TYPES))
        cloudfunc = text(rule, "cloudfunc")
        if cloudfunc is not None and cloudfunc not in CLOUDFUNCS:
            message = f"{cloudfunc!r} is not one of {one_of(CLOUDFUNCS)}"
            yield Problem(0, ("cloudfunc",), message, "enum", near_miss(cloudfunc, CLOUDFUNCS))
        notify_url = text(rule, "notify_url")
        args = rule.get("cloudfunc_args")
        if cloudfunc == "image":
            if not isinstance(args, Mapping) or "action" not in args:
                message = "cloudfunc 'image' needs cloudfunc_args.action (the image operation, e.g. 'resize:w_200')"
                yield Problem(0, ("cloudfunc_args",) if isinstance(args, Mapping) else (), message, "image_action")
            for key in args if isinstance(args, Mapping) else ():
                if key not in IMAGE_ARGS:
                    yield Problem(
                        0,
                        ("cloudfunc_args", key),
                        f"unknown cloudfunc_args key {key!r} for cloudfunc 'image' (allowed: {', '.join(IMAGE_ARGS)})",
                        "image_args",
                        hint=near_miss(key, IMAGE_ARGS),
                        at_key=True,
                    )
                elif args[key] is not None and not isinstance(args[key], str):
                    yield Problem(0, ("cloudfunc_args", key), f"cloudfunc_args.{key} must be a string", "image_args")
        if cloudfunc in NEEDS_NOTIFY_URL and notify_url is None and "notify_url" not in rule:
            message = (
                f"cloudfunc {cloudfunc!r} pushes events to notify_url, so a rule without notify_url delivers nothing"
            )
            yield Problem(0, (), message, "notify_url_required")
        if notify_url is not None and not is_http_url(notify_url):
            yield Problem(0, ("notify_url",), f"{notify_url!r} is not an http:// or https:// URL", "notify_url")


KIND = QingStorKind()
