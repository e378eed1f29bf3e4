"""QingStor notification rules, in the API's own snake_case field names.

API facts: ../shared/reference/providers.md §1. A rule is identified by `id`; the order of
rules has no meaning (every rule is evaluated).
"""

from __future__ import annotations

from typing import Any

from pydantic import field_validator, model_validator

from reconciler.model.common import Frozen, sorted_unique

EVENT_TYPES = ("create_object", "delete_object", "abort_multipart", "complete_multipart")
CLOUDFUNCS = ("tupu-porn", "notifier", "image")


class CloudfuncArgs(Frozen):
    """Arguments of the cloud function; server defaults (`gen`, `_`) are filled in."""

    action: str
    key_prefix: str = "gen"
    key_seprate: str = "_"  # sic: the API spells it this way
    save_bucket: str | None = None


class QingStorRule(Frozen):
    id: str
    event_types: tuple[str, ...]
    object_filters: tuple[str, ...] = ()
    cloudfunc: str
    cloudfunc_args: CloudfuncArgs | None = None
    notify_url: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _accept_object_filter(cls, data: Any) -> Any:
        # GET documents `object_filter` (a string); PUT documents `object_filters` (string or list).
        if isinstance(data, dict) and "object_filter" in data:
            data = dict(data)
            single = data.pop("object_filter")
            if "object_filters" not in data or data["object_filters"] in (None, "", []):
                data["object_filters"] = single
        return data

    @field_validator("event_types", "object_filters", mode="before")
    @classmethod
    def _as_set(cls, value: Any) -> Any:
        if value == "":
            return ()
        return sorted_unique(value)
