"""The state file's content (DESIGN §4): what this tool applied, bucket by bucket.

`rules` holds each managed rule normalised exactly as the plan's `after` (secrets as
`{"digest", "ref"}`, never in clear); `foreign` the ids of the foreign rules seen at the last apply.
Values are immutable: `with_bucket_applied` and `without` return a new StateFile; the serial is
bumped by `save_state`, and only when the content changed.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, Field, ValidationError, field_serializer, model_validator

from reconciler.kinds import KINDS
from reconciler.model.common import Frozen, SecretValue, reached

STATE_VERSION = 1
ProviderType = Literal["qingstor", "bos", "s3"]


def split_address(address: str) -> tuple[str, str | None]:
    """`p/b` → (`p/b`, None); `p/b/rule` → (`p/b`, `rule`). Rule ids may themselves hold `/`."""
    parts = address.split("/", 2)
    if len(parts) < 2 or not parts[0] or not parts[1] or (len(parts) == 3 and not parts[2]):
        raise ValueError(
            f"{address!r} is not an address: expected <provider>/<bucket> or <provider>/<bucket>/<rule-id>"
        )
    return f"{parts[0]}/{parts[1]}", (parts[2] if len(parts) == 3 else None)


class BucketState(Frozen):
    provider: str
    type: ProviderType
    flavor: str | None = None
    bucket: str
    rules: dict[str, dict[str, Any]] = Field(default_factory=dict)
    foreign: tuple[str, ...] = ()
    live_fingerprint: str
    applied_at: AwareDatetime

    @field_serializer("applied_at")
    def _rfc3339(self, value: datetime) -> str:
        return rfc3339(value)


SENSITIVE_PATHS = {kind.type: kind.sensitive_paths for kind in KINDS.values() if kind.sensitive_paths}


def _is_digest(value: Any) -> bool:
    try:
        SecretValue.model_validate(value)
    except ValidationError:
        return False
    return True


def rfc3339(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class StateFile(Frozen):
    version: int = STATE_VERSION
    tool_version: str
    lineage: str = Field(min_length=1)
    serial: int = Field(default=0, ge=0)
    buckets: dict[str, BucketState] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> StateFile:
        """Keys match what they name, and secrets are digests (a hand-edited file may break either)."""
        for address, entry in self.buckets.items():
            if address != f"{entry.provider}/{entry.bucket}":
                raise ValueError(
                    f"bucket {address!r} is recorded as provider {entry.provider!r}, bucket {entry.bucket!r}"
                )
            for rule_id, rule in entry.rules.items():
                if rule.get("id") != rule_id:
                    raise ValueError(f"rule '{address}/{rule_id}' is recorded with id {rule.get('id')!r}")
                for path in SENSITIVE_PATHS.get(entry.type, ()):
                    if any(not _is_digest(container[key]) for container, key in reached(rule, path)):
                        raise ValueError(
                            f"rule '{address}/{rule_id}' holds {path} in clear; the state keeps only digests"
                        )
        return self

    @classmethod
    def new(cls, tool_version: str) -> StateFile:
        """A fresh, empty state with its own lineage (not written anywhere yet)."""
        return cls(tool_version=tool_version, lineage=str(uuid.uuid4()))

    @property
    def digest_key(self) -> str | None:
        """The key of this state's secret digests: its lineage, a random UUID chosen when the state
        was created, kept in it and carried by every plan made from it. None (plain sha256) for a
        state recorded before keyed digests, so its digests keep comparing equal."""
        for entry in self.buckets.values():
            for rule in entry.rules.values():
                for path in SENSITIVE_PATHS.get(entry.type, ()):
                    for container, key in reached(rule, path):
                        value = container[key]
                        if isinstance(value, dict) and str(value.get("digest", "")).startswith("sha256:"):
                            return None
        return self.lineage

    def same_content(self, other: StateFile) -> bool:
        """Equal in what the state records (serial and tool version aside)."""
        return self.lineage == other.lineage and self.to_document()["buckets"] == other.to_document()["buckets"]

    def owned(self, address: str) -> dict[str, dict[str, Any]]:
        """Rules recorded for a bucket address (empty when the bucket is not in state)."""
        entry = self.buckets.get(address)
        return dict(entry.rules) if entry else {}

    def addresses(self) -> list[str]:
        """Every bucket and rule address, sorted, as `state list` prints them."""
        found: list[str] = []
        for address in sorted(self.buckets):
            found.append(address)
            found.extend(f"{address}/{rule_id}" for rule_id in sorted(self.buckets[address].rules))
        return found

    def with_bucket_applied(
        self,
        address: str,
        provider: str,
        type: ProviderType,
        flavor: str | None,
        bucket: str,
        rules: dict[str, dict[str, Any]],
        foreign: list[str] | tuple[str, ...],
        live_fingerprint: str,
        applied_at: datetime,
    ) -> StateFile:
        """The state after a bucket was applied; a bucket left with no managed rule is dropped."""
        buckets = dict(self.buckets)
        if rules:
            buckets[address] = BucketState(
                provider=provider,
                type=type,
                flavor=flavor,
                bucket=bucket,
                rules=dict(rules),
                foreign=tuple(sorted({f for f in foreign if f is not None})),
                live_fingerprint=live_fingerprint,
                applied_at=applied_at,
            )
        else:
            buckets.pop(address, None)
        return self.model_copy(update={"buckets": buckets})

    def without(self, address: str) -> StateFile:
        """Forget a bucket (`p/b`) or one rule (`p/b/id`); nothing live changes. Unknown: ValueError."""
        bucket_address, rule_id = split_address(address)
        entry = self.buckets.get(bucket_address)
        if entry is None or (rule_id is not None and rule_id not in entry.rules):
            raise ValueError(f"{address} is not in the state")
        buckets = dict(self.buckets)
        if rule_id is None:
            del buckets[bucket_address]
        else:
            rules = {k: v for k, v in entry.rules.items() if k != rule_id}
            if rules:
                buckets[bucket_address] = entry.model_copy(update={"rules": rules})
            else:
                del buckets[bucket_address]
        return self.model_copy(update={"buckets": buckets})

    def to_document(self) -> dict[str, Any]:
        return self.model_dump(mode="json")
