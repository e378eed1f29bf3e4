"""Drift: what changed behind Git's back, and what Git holds that was never applied (DESIGN §6).

Pure, like planning: `detect_drift` takes the configuration, the state, the live documents read
and the ignore list, and returns a `DriftReport`. Per bucket, three separate sections:

    managed   rules the state says we applied, compared with live (live ≠ state):
              IN_SYNC, MODIFIED (with field differences) or DELETED. For `observe` buckets,
              which are never applied, the declared rules are compared with live instead.
    foreign   live rules we do not manage. NEW when absent at the last apply; drift only on
              `exclusive` buckets (apply would have removed them), information otherwise.
    pending   configuration not yet applied (configuration ≠ state): create, update, delete.

Differences follow CloudFormation's PropertyDifference: `expected` is the reference side (state
for managed, configuration for pending), `actual` the other. Secrets are compared by digest and
never shown. Only rule-level differences count as drift; fingerprints and timestamps never do.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import AwareDatetime, computed_field, field_serializer

from reconciler.core.address import BucketAddress, RuleAddress
from reconciler.kinds import Dialect, describe_rule, dialect_for
from reconciler.model.common import REDACTED, Frozen
from reconciler.model.config import BucketConfig, Configuration, Ownership
from reconciler.model.document import LiveDocument, LiveRule, Rule
from reconciler.model.ignore import IgnoreEntry, IgnoreList
from reconciler.plan.diff import field_changes
from reconciler.plan.model import Action, PlanWarning, PriorState
from reconciler.plan.ownership import BucketPolicy, Undeclared, relative_positions
from reconciler.plan.planner import moved_message, provider_problem, renamed_buckets, select_buckets
from reconciler.plan.rules import comparable_document, parsed_record, reached, rule_document, unparsed_document
from reconciler.plan.shadowing import Slot, shadowing_warnings
from reconciler.state.model import BucketIdentity, BucketState, StateFile, rfc3339

FORMAT_VERSION = "1.0"
POSITION = "(position)"  # pseudo-field: where a rule sits, on providers where order matters
COPIES = "(copies)"  # pseudo-field: how many live entries carry a managed rule's id
WHOLE_RULE = "(rule)"  # pseudo-field: a live entry that fits no model of the dialect


class DriftStatus(StrEnum):
    IN_SYNC = "IN_SYNC"
    MODIFIED = "MODIFIED"
    DELETED = "DELETED"


class DifferenceType(StrEnum):
    ADD = "ADD"
    REMOVE = "REMOVE"
    NOT_EQUAL = "NOT_EQUAL"


class ForeignStatus(StrEnum):
    NEW = "NEW"  # not seen at the last apply
    KNOWN = "KNOWN"  # already there at the last apply


class BucketStatus(StrEnum):
    IN_SYNC = "IN_SYNC"
    DRIFTED = "DRIFTED"
    ERROR = "ERROR"


class PropertyDifference(Frozen):
    path: str
    expected: Any = None  # None: absent on the expected side
    actual: Any = None  # None: absent on the actual side
    type: DifferenceType
    sensitive: bool = False  # then expected/actual are redacted
    ignored: IgnoreEntry | None = None


class ManagedRuleDrift(Frozen):
    address: str
    id: str
    status: DriftStatus
    differences: tuple[PropertyDifference, ...] = ()
    ignored: IgnoreEntry | None = None  # the whole rule is covered by an ignore entry

    @computed_field  # type: ignore[prop-decorator]
    @property
    def drifted(self) -> bool:
        if self.status is DriftStatus.IN_SYNC or self.ignored is not None:
            return False
        return self.status is DriftStatus.DELETED or any(d.ignored is None for d in self.differences)


class ForeignRuleDrift(Frozen):
    address: str | None  # None: the server holds the rule without an id
    id: str | None
    live_index: int
    status: ForeignStatus
    summary: str
    counts_as_drift: bool = False  # NEW on an exclusive bucket
    ignored: IgnoreEntry | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def drifted(self) -> bool:
        return self.counts_as_drift and self.ignored is None


class PendingChange(Frozen):
    address: str
    id: str
    action: Literal[Action.CREATE, Action.UPDATE, Action.DELETE]
    differences: tuple[PropertyDifference, ...] = ()
    ignored: IgnoreEntry | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def drifted(self) -> bool:
        if self.ignored is not None:
            return False
        return self.action is not Action.UPDATE or any(d.ignored is None for d in self.differences)


class BucketDrift(Frozen):
    address: str
    provider: str
    bucket: str
    type: Literal["qingstor", "bos", "s3"] | None = None  # None: provider no longer configured
    flavor: str | None = None
    ownership: Ownership = "shared"
    in_configuration: bool = True
    in_state: bool = False
    live_fingerprint: str | None = None
    state_fingerprint: str | None = None  # live fingerprint recorded at the last apply
    applied_at: AwareDatetime | None = None
    managed: tuple[ManagedRuleDrift, ...] = ()
    foreign: tuple[ForeignRuleDrift, ...] = ()
    pending: tuple[PendingChange, ...] = ()
    error: str | None = None  # the live document could not be read

    @field_serializer("applied_at")
    def _rfc3339(self, value: datetime | None) -> str | None:
        return None if value is None else rfc3339(value)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def status(self) -> BucketStatus:
        if self.error is not None:
            return BucketStatus.ERROR
        return BucketStatus.DRIFTED if self.drifted else BucketStatus.IN_SYNC

    @computed_field  # type: ignore[prop-decorator]
    @property
    def drifted(self) -> bool:
        return any(item.drifted for item in (*self.managed, *self.foreign, *self.pending))

    def counts(self) -> dict[str, int]:
        """This bucket's share of the rule counters of `DriftSummary`."""
        ignored = 0
        for item in (*self.managed, *self.foreign, *self.pending):
            if item.ignored is not None:
                ignored += 1
            elif not isinstance(item, ForeignRuleDrift):
                ignored += sum(d.ignored is not None for d in item.differences)
        return {
            "total_managed": len(self.managed),
            "total_changed": sum(r.drifted and r.status is DriftStatus.MODIFIED for r in self.managed),
            "total_missing": sum(r.drifted and r.status is DriftStatus.DELETED for r in self.managed),
            "total_unmanaged": len(self.foreign),
            "total_unmanaged_new": sum(f.status is ForeignStatus.NEW for f in self.foreign),
            "total_unmanaged_drift": sum(f.drifted for f in self.foreign),
            "total_pending": sum(c.drifted for c in self.pending),
            "total_ignored": ignored,
        }


class DriftSummary(Frozen):
    """driftctl's counters, plus the sections it lacks (pending, ignored)."""

    total_buckets: int = 0
    buckets_in_sync: int = 0
    buckets_drifted: int = 0
    buckets_errored: int = 0
    total_managed: int = 0  # managed rules checked against live
    total_changed: int = 0  # MODIFIED, not ignored
    total_missing: int = 0  # DELETED, not ignored
    total_unmanaged: int = 0  # foreign rules live
    total_unmanaged_new: int = 0  # foreign rules that appeared since the last apply
    total_unmanaged_drift: int = 0  # of those, the ones that count as drift (exclusive buckets)
    total_pending: int = 0  # configuration changes not yet applied, not ignored
    total_ignored: int = 0  # items or differences hidden by an active ignore entry


class DriftReport(Frozen):
    format_version: str = FORMAT_VERSION
    tool_version: str
    timestamp: AwareDatetime
    prior_state: PriorState
    buckets: tuple[BucketDrift, ...] = ()
    expired_ignores: tuple[IgnoreEntry, ...] = ()
    unused_ignores: tuple[IgnoreEntry, ...] = ()  # active, for a bucket checked, matching nothing
    warnings: tuple[PlanWarning, ...] = ()  # managed rules live that cannot fire; never drift by themselves

    @field_serializer("timestamp")
    def _rfc3339(self, value: datetime) -> str:
        return rfc3339(value)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def drifted(self) -> bool:
        return any(bucket.drifted for bucket in self.buckets)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def errored(self) -> bool:
        return any(bucket.error is not None for bucket in self.buckets)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def summary(self) -> DriftSummary:
        counts: dict[str, int] = dict.fromkeys(DriftSummary.model_fields, 0)
        status_key = {"IN_SYNC": "buckets_in_sync", "DRIFTED": "buckets_drifted", "ERROR": "buckets_errored"}
        for bucket in self.buckets:
            counts["total_buckets"] += 1
            counts[status_key[bucket.status.value]] += 1
            for key, value in bucket.counts().items():
                counts[key] += value
        return DriftSummary(**counts)


# --- computation ------------------------------------------------------------------------------


def detect_drift(
    configuration: Configuration,
    state: StateFile,
    live: Mapping[str, LiveDocument],
    *,
    errors: Mapping[str, str] | None = None,
    targets: Iterable[str] = (),
    ignores: IgnoreList | None = None,
    tool_version: str,
    now: datetime,
    identities: Mapping[str, BucketIdentity] | None = None,
) -> DriftReport:
    """Compare live documents, state and configuration for every bucket in either (or in targets).

    `live` holds the documents read, by bucket address; `errors` why the others could not be.
    Declared rules must hold resolved secrets (`SecretValue`), so digests can be compared.
    `identities` (by provider name) say which store each provider reaches now: a bucket whose state
    record names another one is not compared (an error saying so), as plan would not own its rules.
    """
    errors = errors or {}
    ignores = ignores or IgnoreList(today=now.date())
    selection = select_buckets(configuration, state, tuple(targets))
    declared = {entry.address: entry for entry in configuration.buckets}  # Configuration.bucket() scans
    twins = renamed_buckets(declared, state, identities)
    buckets = []
    warnings: list[PlanWarning] = []
    for address, rule_filter in selection.items():
        warnings += _live_warnings(address, configuration, declared.get(address), state.buckets.get(address), live)
        drift = _bucket_drift(
            address,
            configuration,
            declared.get(address),
            state.buckets.get(address),
            live.get(address),
            errors.get(address),
            ignores,
            rule_filter,
        )
        moved = _identity_change(address, state.buckets.get(address), identities)
        if moved and drift.error is None:
            drift = drift.model_copy(
                update={
                    "error": f"the bucket's identity changed since the last apply ({'; '.join(moved)}): the state "
                    f"describes another bucket; if it is the same one, confirm with `reconciler apply "
                    f"--confirm-identity {address}`",
                    "live_fingerprint": None,
                    "managed": (),
                    "foreign": (),
                    "pending": (),
                }
            )
        if address in twins and address not in declared and drift.error is None:
            drift = drift.model_copy(
                update={
                    "error": moved_message(address, twins, state),
                    "live_fingerprint": None,
                    "managed": (),
                    "foreign": (),
                    "pending": (),
                }
            )
        buckets.append(drift)
    # an entry is unused only if its whole bucket was checked and nothing in it matched
    checked = {b.address for b in buckets if b.error is None and selection[b.address] is None}
    used = {entry for bucket in buckets for entry in _entries_used(bucket)}
    return DriftReport(
        tool_version=tool_version,
        timestamp=now,
        prior_state=PriorState(lineage=state.lineage, serial=state.serial),
        buckets=tuple(buckets),
        expired_ignores=ignores.expired,
        unused_ignores=tuple(e for e in ignores.active if e.bucket_address in checked and e not in used),
        warnings=tuple(warnings),
    )


def _identity_change(
    address: str, recorded: BucketState | None, identities: Mapping[str, BucketIdentity] | None
) -> list[str]:
    now = identities.get(address.split("/", 1)[0]) if identities else None
    if now is None or recorded is None or recorded.identity is None:
        return []
    return recorded.identity.differences(now.model_copy(update={"bucket": address.split("/", 1)[1]}))


def _live_warnings(
    address: str,
    configuration: Configuration,
    declared: BucketConfig | None,
    recorded: BucketState | None,
    live: Mapping[str, LiveDocument],
) -> list[PlanWarning]:
    """Managed rules (declared or owned) of the live document that an earlier rule always beats."""
    provider = configuration.providers.get(BucketAddress.provider_of(address))
    document = live.get(address)
    if provider is None or document is None or provider_problem(provider, recorded) is not None:
        return []
    policy = BucketPolicy.of(address, declared, recorded, configuration.released)
    slots = [Slot(entry.id, entry.rule, policy.is_managed(entry.id)) for entry in document.rules]
    return shadowing_warnings(address, dialect_for(provider), slots)


def _entries_used(bucket: BucketDrift) -> list[IgnoreEntry]:
    used = []
    for item in (*bucket.managed, *bucket.foreign, *bucket.pending):
        if item.ignored is not None:
            used.append(item.ignored)
        if not isinstance(item, ForeignRuleDrift):
            used.extend(d.ignored for d in item.differences if d.ignored is not None)
    return used


def _bucket_drift(
    address: str,
    configuration: Configuration,
    declared: BucketConfig | None,
    recorded: BucketState | None,
    document: LiveDocument | None,
    error: str | None,
    ignores: IgnoreList,
    rule_filter: frozenset[str] | None,
) -> BucketDrift:
    where = BucketAddress.of(address)
    provider = configuration.providers.get(where.provider)
    base = BucketDrift(
        address=address,
        provider=where.provider,
        bucket=where.bucket,
        type=provider.type if provider else (recorded.type if recorded else None),
        flavor=getattr(provider, "flavor", None) if provider else (recorded.flavor if recorded else None),
        ownership=declared.ownership if declared else "shared",
        in_configuration=declared is not None,
        in_state=recorded is not None,
        live_fingerprint=document.fingerprint if document is not None else None,
        state_fingerprint=recorded.live_fingerprint if recorded else None,
        applied_at=recorded.applied_at if recorded else None,
        error=error if document is None else None,
    )
    problem = provider_problem(provider, recorded)
    if problem is not None:
        return base.model_copy(update={"live_fingerprint": None, "error": problem})
    assert provider is not None
    dialect = dialect_for(provider)

    def selected(rule_id: str) -> bool:
        return rule_filter is None or rule_id in rule_filter

    declared_rules = {rule.id: rule for rule in declared.notifications} if declared else {}
    if base.ownership == "observe":
        expected = {rid: rule_document(rule, dialect) for rid, rule in declared_rules.items()}
    else:
        expected = dict(recorded.rules) if recorded else {}
    policy = BucketPolicy.of(address, declared, recorded, configuration.released)
    pending = (
        () if base.ownership == "observe" else _pending(address, policy, declared, recorded, dialect, selected, ignores)
    )
    if document is None:
        return base.model_copy(update={"pending": pending, "error": error or "the live document was not read"})
    managed = _managed(address, expected, document, dialect, selected, ignores)
    foreign = _foreign(address, policy, recorded, document, base.ownership, selected, ignores)
    return base.model_copy(update={"managed": managed, "foreign": foreign, "pending": pending})


def _managed(
    address: str,
    expected: Mapping[str, dict[str, Any]],
    document: LiveDocument,
    dialect: Dialect,
    selected: Callable[[str], bool],
    ignores: IgnoreList,
) -> tuple[ManagedRuleDrift, ...]:
    live_by_id = document.by_id()
    copies = Counter(document.ids)
    positions = relative_positions(list(expected), document.ids) if dialect.ordered else {}
    results = []
    for rule_id, recorded in expected.items():
        if not selected(rule_id):
            continue
        rule_address = RuleAddress.join(address, rule_id)
        entry = live_by_id.get(rule_id)
        if entry is None:
            results.append(
                ManagedRuleDrift(
                    address=rule_address,
                    id=rule_id,
                    status=DriftStatus.DELETED,
                    ignored=ignores.for_rule(rule_address),
                )
            )
            continue
        differences = list(_rule_differences(recorded, entry, dialect))
        if copies[rule_id] > 1:
            differences.append(_pseudo(COPIES, 1, copies[rule_id]))
        if rule_id in positions:
            differences.append(_pseudo(POSITION, *positions[rule_id]))
        status = DriftStatus.MODIFIED if differences else DriftStatus.IN_SYNC
        results.append(
            ManagedRuleDrift(
                address=rule_address,
                id=rule_id,
                status=status,
                differences=_with_ignores(rule_address, differences, ignores),
                ignored=ignores.for_rule(rule_address) if differences else None,
            )
        )
    return tuple(results)


def _foreign(
    address: str,
    policy: BucketPolicy,
    recorded: BucketState | None,
    document: LiveDocument,
    ownership: Ownership,
    selected: Callable[[str], bool],
    ignores: IgnoreList,
) -> tuple[ForeignRuleDrift, ...]:
    known = set(recorded.foreign) if recorded else set()
    results = []
    for index, entry in enumerate(document.rules):
        if policy.is_managed(entry.id) or (entry.id is not None and not selected(entry.id)):
            continue
        rule_address = RuleAddress.join(address, entry.id) if entry.id is not None else None
        status = ForeignStatus.KNOWN if entry.id in known else ForeignStatus.NEW
        results.append(
            ForeignRuleDrift(
                address=rule_address,
                id=entry.id,
                live_index=index,
                status=status,
                summary=describe_rule(entry.rule),
                counts_as_drift=status is ForeignStatus.NEW and ownership == "exclusive",
                ignored=ignores.for_rule(rule_address) if rule_address else None,
            )
        )
    return tuple(results)


def _pending(
    address: str,
    policy: BucketPolicy,
    declared: BucketConfig | None,
    recorded: BucketState | None,
    dialect: Dialect,
    selected: Callable[[str], bool],
    ignores: IgnoreList,
) -> tuple[PendingChange, ...]:
    wanted: dict[str, Rule] = {rule.id: rule for rule in declared.notifications} if declared else {}
    applied = dict(recorded.rules) if recorded else {}
    positions = relative_positions(list(wanted), list(applied)) if dialect.ordered else {}
    changes = []
    # owned rules kept although undeclared (imported, released) are no pending deletion
    undeclared = [r for r in applied if r not in wanted and policy.undeclared(r) is Undeclared.DELETE]
    for rule_id in [*wanted, *undeclared]:
        if not selected(rule_id):
            continue
        rule_address = RuleAddress.join(address, rule_id)
        ignored = ignores.for_rule(rule_address)
        if rule_id not in applied:
            changes.append(PendingChange(address=rule_address, id=rule_id, action=Action.CREATE, ignored=ignored))
        elif rule_id not in wanted:
            changes.append(PendingChange(address=rule_address, id=rule_id, action=Action.DELETE, ignored=ignored))
        else:
            differences = list(_document_differences(wanted[rule_id], applied[rule_id], dialect))
            if rule_id in positions:
                differences.append(_pseudo(POSITION, *positions[rule_id]))
            if differences:
                changes.append(
                    PendingChange(
                        address=rule_address,
                        id=rule_id,
                        action=Action.UPDATE,
                        differences=_with_ignores(rule_address, differences, ignores),
                        ignored=ignored,
                    )
                )
    return tuple(changes)


def _rule_differences(recorded: dict[str, Any], entry: LiveRule, dialect: Dialect) -> list[PropertyDifference]:
    if entry.rule is None:
        actual = unparsed_document(entry.raw, dialect)
        expected = _redacted_secrets(comparable_document(parsed_record(recorded, dialect), recorded, dialect), dialect)
        return [_pseudo(WHOLE_RULE, expected, _redacted_secrets(actual, dialect))]
    return _document_differences(recorded, entry.rule, dialect)


def _document_differences(
    expected: dict[str, Any] | Rule, actual: dict[str, Any] | Rule, dialect: Dialect
) -> list[PropertyDifference]:
    """Field differences after the dialect's canonical form; secrets by digest only."""
    expected_rule, actual_rule = parsed_record(expected, dialect), parsed_record(actual, dialect)
    if expected_rule is not None and actual_rule is not None and dialect.equivalent(expected_rule, actual_rule):
        return []  # the common case, decided by model equality without building documents
    expected_doc = comparable_document(expected_rule, expected, dialect)
    actual_doc = comparable_document(actual_rule, actual, dialect)
    differences = []
    for change in field_changes(expected_doc, actual_doc, dialect.sensitive_paths):
        if change.before is None:
            kind = DifferenceType.ADD
        elif change.after is None:
            kind = DifferenceType.REMOVE
        else:
            kind = DifferenceType.NOT_EQUAL
        differences.append(
            PropertyDifference(
                path=change.path,
                expected=REDACTED if change.sensitive and change.before is not None else change.before,
                actual=REDACTED if change.sensitive and change.after is not None else change.after,
                type=kind,
                sensitive=change.sensitive,
            )
        )
    return differences


def _redacted_secrets(document: dict[str, Any], dialect: Dialect) -> dict[str, Any]:
    document = copy.deepcopy(document)
    for path in dialect.sensitive_paths:
        for container, key in reached(document, path):
            container[key] = REDACTED
    return document


def _pseudo(path: str, expected: Any, actual: Any) -> PropertyDifference:
    return PropertyDifference(path=path, expected=expected, actual=actual, type=DifferenceType.NOT_EQUAL)


def _with_ignores(
    rule_address: str, differences: list[PropertyDifference], ignores: IgnoreList
) -> tuple[PropertyDifference, ...]:
    return tuple(d.model_copy(update={"ignored": ignores.for_field(rule_address, d.path)}) for d in differences)
