"""The state file's content (DESIGN §4): what this tool applied, bucket by bucket.

`rules` holds each managed rule normalised exactly as the plan's `after` (secrets as
`{"digest", "ref"}`, never in clear); `foreign` the ids of the foreign rules seen at the last apply.
Values are immutable: `with_bucket_applied` and `without` return a new StateFile; the serial is
bumped by `save_state`, and only when the content changed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import (
    AwareDatetime,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    field_serializer,
    model_serializer,
    model_validator,
)

from reconciler.core.address import BucketAddress, RuleAddress, split_address
from reconciler.kinds import KINDS
from reconciler.model.common import Frozen, SecretValue, reached
from reconciler.model.identity import BucketIdentity as BucketIdentity  # its home is the model layer

STATE_VERSION = 1
ProviderType = Literal["qingstor", "bos", "s3"]


class BucketState(Frozen):
    provider: str
    type: ProviderType
    flavor: str | None = None
    bucket: str
    rules: dict[str, dict[str, Any]] = Field(default_factory=dict)
    foreign: tuple[str, ...] = ()
    imported: tuple[str, ...] = ()  # owned through `import` and not declared at an apply since: kept
    # rules an apply started writing and has not recorded (interrupted?): ours if found live as written
    writing: dict[str, dict[str, Any]] = Field(default_factory=dict)
    live_fingerprint: str
    applied_at: AwareDatetime
    # None: recorded before identities were (the next apply records it)
    identity: BucketIdentity | None = None
    # `state mv` of a rule id: new id -> the id the live rule still has, until the next apply renames it
    renamed: dict[str, str] = Field(default_factory=dict)

    @field_serializer("applied_at")
    def _rfc3339(self, value: datetime) -> str:
        return rfc3339(value)

    @model_serializer(mode="wrap")
    def _without_empty_imported(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """`imported` is written only when it holds something, so older states read back unchanged."""
        document: dict[str, Any] = handler(self)
        for name in ("imported", "writing", "identity", "renamed"):
            if not document.get(name):
                document.pop(name, None)
        return document


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
            if address != str(BucketAddress(entry.provider, entry.bucket)):
                raise ValueError(
                    f"bucket {address!r} is recorded as provider {entry.provider!r}, bucket {entry.bucket!r}"
                )
            for rule_id, rule in [*entry.rules.items(), *entry.writing.items()]:
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
            found.extend(RuleAddress.join(address, rule_id) for rule_id in sorted(self.buckets[address].rules))
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
        identity: BucketIdentity | None = None,
        imported: list[str] | tuple[str, ...] = (),
        renamed: dict[str, str] | None = None,
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
                imported=tuple(sorted({i for i in imported if i in rules})),
                live_fingerprint=live_fingerprint,
                applied_at=applied_at,
                identity=identity,
                renamed={new: old for new, old in (renamed or {}).items() if new in rules},
            )
        else:
            buckets.pop(address, None)
        return self.model_copy(update={"buckets": buckets})

    def with_writing(
        self,
        address: str,
        provider: str,
        type: ProviderType,
        flavor: str | None,
        bucket: str,
        writing: dict[str, dict[str, Any]],
        live_fingerprint: str,
        applied_at: datetime,
    ) -> StateFile:
        """The state before a write: the rules about to be written that are not owned yet, so an
        apply stopped before recording them does not leave them foreign (normalised, no clear secret)."""
        entry = self.buckets.get(address)
        if entry is None:
            entry = BucketState(
                provider=provider,
                type=type,
                flavor=flavor,
                bucket=bucket,
                live_fingerprint=live_fingerprint,
                applied_at=applied_at,
            )
        buckets = dict(self.buckets)
        buckets[address] = entry.model_copy(update={"writing": {**entry.writing, **writing}})
        return self.model_copy(update={"buckets": buckets})

    def without_writing(self, address: str, rule_ids: Iterable[str]) -> StateFile:
        """Forget rules noted as being written (the write certainly did not happen)."""
        entry = self.buckets.get(address)
        if entry is None:
            return self
        dropped = set(rule_ids)
        writing = {k: v for k, v in entry.writing.items() if k not in dropped}
        buckets = dict(self.buckets)
        if entry.rules or writing:
            buckets[address] = entry.model_copy(update={"writing": writing})
        else:
            del buckets[address]
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
                imported = tuple(i for i in entry.imported if i != rule_id)
                # a pending `state mv` of the forgotten rule goes too: its live rule is foreign again
                renamed = {k: v for k, v in entry.renamed.items() if k != rule_id}
                buckets[bucket_address] = entry.model_copy(
                    update={"rules": rules, "imported": imported, "renamed": renamed}
                )
            else:
                del buckets[bucket_address]
        return self.model_copy(update={"buckets": buckets})

    def moved(self, source: str, destination: str) -> StateFile:
        """`state mv`: a provider (`p` -> `q`: all its buckets), a bucket (`p/b` -> `q/c`) or a rule id
        within its bucket (`p/b/r` -> `p/b/s`) recorded under a new name; nothing live changes.
        A renamed rule remembers the id it still has live, so the next apply renames it in place.
        ValueError (one sentence) when it cannot be done."""
        if "/" not in source or "/" not in destination:
            if "/" in source or "/" in destination or not source or not destination:
                raise ValueError(f"{source} -> {destination}: a provider moves only to a provider name")
            moves = {a: f"{destination}/{e.bucket}" for a, e in self.buckets.items() if e.provider == source}
            if not moves:
                raise ValueError(f"provider {source!r} has no bucket in the state")
        else:
            source_bucket, source_rule = split_address(source)
            target_bucket, target_rule = split_address(destination)
            if (source_rule is None) != (target_rule is None):
                raise ValueError(f"{source} -> {destination}: a bucket moves to a bucket, a rule to a rule")
            if source_rule is not None and target_rule is not None:
                return self._rule_renamed(source_bucket, source_rule, target_bucket, target_rule)
            moves = {source_bucket: target_bucket}
        buckets = dict(self.buckets)
        for old, new in moves.items():
            if old not in buckets:
                raise ValueError(f"{old} is not in the state")
            if new in self.buckets and new not in moves:
                raise ValueError(f"{new} is already in the state; `state rm` it first or choose another address")
        entries = {old: buckets.pop(old) for old in moves}
        for old, new in moves.items():
            provider, bucket = new.split("/", 1)
            buckets[new] = entries[old].model_copy(update={"provider": provider, "bucket": bucket})
        return self.model_copy(update={"buckets": buckets})

    def _rule_renamed(self, address: str, old: str, target: str, new: str) -> StateFile:
        if target != address:
            raise ValueError(f"a rule keeps its bucket: {address}/{old} cannot move to {target}/{new}")
        entry = self.buckets.get(address)
        if entry is None or old not in entry.rules:
            raise ValueError(f"{address}/{old} is not in the state")
        if new in entry.rules:
            raise ValueError(f"{address}/{new} is already in the state; `state rm` it first or choose another id")
        if new in entry.foreign:
            raise ValueError(
                f"{address}/{new} is the id of a live rule reconciler does not manage (seen at the last apply); "
                "choose another id"
            )
        rules = {(new if k == old else k): ({**v, "id": new} if k == old else v) for k, v in entry.rules.items()}
        renamed = {k: v for k, v in entry.renamed.items() if k != old}
        renamed[new] = entry.renamed.get(old, old)
        if renamed[new] == new:
            del renamed[new]  # renamed back: the live rule already has that id
        imported = tuple(new if i == old else i for i in entry.imported)
        buckets = dict(self.buckets)
        buckets[address] = entry.model_copy(update={"rules": rules, "renamed": renamed, "imported": imported})
        return self.model_copy(update={"buckets": buckets})

    def to_document(self) -> dict[str, Any]:
        return self.model_dump(mode="json")
