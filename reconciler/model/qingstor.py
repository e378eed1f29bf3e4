"""QingStor notification rules, in the API's own snake_case field names.

API facts: ../shared/reference/providers.md §1. A rule is identified by `id`; the order of
rules has no meaning (every rule is evaluated).
"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, field_validator, model_validator

from reconciler.model.common import Frozen, sorted_unique


class CloudfuncArgs(Frozen):
    """`cloudfunc_args`: "custom parameters provided to cloudfunc".

    `image` documents action (required), key_prefix, key_seprate and save_bucket, and its server
    defaults (`gen`, `_`) are filled in by `QingStorRule`; any other cloudfunc takes keys of its
    own, kept exactly as given (values of any JSON type).
    """

    model_config = ConfigDict(frozen=True, extra="allow")

    action: str | None = None
    key_prefix: str | None = None
    key_seprate: str | None = None  # sic: the API spells it this way
    save_bucket: str | None = None


IMAGE_DEFAULTS = {"key_prefix": "gen", "key_seprate": "_"}


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

    @model_validator(mode="after")
    def _image_defaults(self) -> QingStorRule:
        args = self.cloudfunc_args
        if self.cloudfunc == "image" and args is not None:
            missing = {name: value for name, value in IMAGE_DEFAULTS.items() if getattr(args, name) is None}
            if missing:
                filled = CloudfuncArgs.model_validate({**args.model_dump(exclude_none=True), **missing})
                object.__setattr__(self, "cloudfunc_args", filled)
        return self

    @field_validator("event_types", "object_filters", mode="before")
    @classmethod
    def _as_set(cls, value: Any) -> Any:
        if value == "":
            return ()
        return sorted_unique(value)
