"""S3-dialect notification rules (flavors aws, jdcloud, minio, ceph).

The wire's TopicConfiguration / QueueConfiguration / CloudFunctionConfiguration lists are
flattened into one list of rules with a `type` and a `target`. API facts:
../shared/reference/providers.md §3 and §4.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import field_validator, model_validator

from reconciler.model.common import Frozen, sorted_unique

FLAVORS = ("aws", "jdcloud", "minio", "ceph")
RULE_TYPES = ("topic", "queue", "cloud_function")

# wire element names per rule type: (configuration element, target element)
WIRE_NAMES = {
    "topic": ("TopicConfiguration", "Topic"),
    "queue": ("QueueConfiguration", "Queue"),
    "cloud_function": ("CloudFunctionConfiguration", "CloudFunction"),
}

_CREATED = ["*", "Put", "Post", "Copy", "CompleteMultipartUpload"]
JDCLOUD_EVENTS = tuple(
    [f"s3:ObjectCreated:{x}" for x in _CREATED] + ["s3:ObjectRemoved:*", "s3:ObjectRemoved:Delete"]
)
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
    + [
        f"s3:ObjectLifecycle:Expiration:{x}"
        for x in ("Current", "NonCurrent", "DeleteMarker", "AbortMultipartUpload")
    ]
    + [f"s3:ObjectLifecycle:Transition:{x}" for x in ("Current", "NonCurrent")]
    + [f"s3:ObjectSynced:{x}" for x in ("*", "Create", "Delete", "DeletionMarkerCreated")]
)
EVENTS_BY_FLAVOR = {"aws": AWS_EVENTS, "jdcloud": JDCLOUD_EVENTS, "minio": MINIO_EVENTS, "ceph": CEPH_EVENTS}
# what a configuration without <Event> subscribes to (RGW: "all Created and Removed events")
IMPLIED_EVENTS_BY_FLAVOR = {"ceph": ("s3:ObjectCreated:*", "s3:ObjectRemoved:*")}
# which rule types each flavor's server accepts
RULE_TYPES_BY_FLAVOR = {
    "aws": RULE_TYPES,
    "jdcloud": ("topic",),
    "minio": ("queue",),
    "ceph": ("topic",),
}
FILTER_VALUE_MAX_BYTES = 1022
JDCLOUD_MAX_ENDPOINTS = 5


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
