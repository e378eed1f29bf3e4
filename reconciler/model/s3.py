"""S3-dialect notification rules (flavors aws, jdcloud, minio, ceph).

The wire's TopicConfiguration / QueueConfiguration / CloudFunctionConfiguration lists are
flattened into one list of rules with a `type` and a `target`. Facts about each flavor (events,
rule types, limits, checks) live in reconciler/kinds/s3.py.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import field_validator, model_validator

from reconciler.model.common import Frozen, sorted_unique


class FilterRule(Frozen):
    """A name/value pair of a Ceph `S3Metadata` or `S3Tags` filter."""

    name: str
    value: str


class S3Filter(Frozen):
    """Key filter (`prefix`, `suffix`; Ceph also `regex`) and Ceph's metadata/tag filters."""

    prefix: str | None = None
    suffix: str | None = None
    regex: str | None = None
    metadata: tuple[FilterRule, ...] = ()
    tags: tuple[FilterRule, ...] = ()

    @field_validator("metadata", "tags", mode="after")
    @classmethod
    def _sorted(cls, value: tuple[FilterRule, ...]) -> tuple[FilterRule, ...]:
        return tuple(sorted(set(value), key=lambda r: (r.name, r.value)))

    @property
    def empty(self) -> bool:
        return self == S3Filter()


class S3Rule(Frozen):
    id: str
    type: Literal["topic", "queue", "cloud_function"] = "topic"
    target: str
    events: tuple[str, ...]
    filter: S3Filter | None = None

    @field_validator("events", mode="before")
    @classmethod
    def _as_set(cls, value: Any) -> Any:
        return sorted_unique(value)

    @model_validator(mode="after")
    def _empty_filter_is_none(self) -> S3Rule:
        if self.filter is not None and self.filter.empty:
            object.__setattr__(self, "filter", None)
        return self
