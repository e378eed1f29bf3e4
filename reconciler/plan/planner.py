"""Planning: configuration + live documents + state → Plan. Pure: no I/O, no clock.

Per bucket (DESIGN §2, §5): a live rule is *managed* if the configuration declares its id or the
state says we own it, else *foreign*. Managed rules are compared after normalisation
(`Dialect.equivalent`); foreign rules keep their live slots (shared), are removed (exclusive), or
nothing is written at all (observe). The written document is described by `BucketChange.layout`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reconciler.errors import ReconcilerError
from reconciler.kinds import Dialect, describe_rule, dialect_for
from reconciler.model.config import BucketConfig, Configuration, ProviderConfig
from reconciler.model.document import LiveDocument, LiveRule, Rule
from reconciler.plan.diff import field_changes
from reconciler.plan.model import (
    Action,
    BucketChange,
    ForeignRule,
    LayoutSlot,
    LiveSlot,
    ManagedSlot,
    Plan,
    PlanWarning,
    PriorState,
    Reason,
    RuleChange,
    Summary,
)
from reconciler.plan.rules import rule_document, sensitive_map, unparsed_document
from reconciler.plan.shadowing import Slot, shadowing_warnings
from reconciler.state.model import BucketState, StateFile, split_address


@dataclass(frozen=True)
class BucketRead:
    """A bucket whose live document the command layer must read before planning."""

    address: str
    provider: ProviderConfig
    bucket: str


def select_buckets(
    config: Configuration, state: StateFile, targets: Sequence[str] = ()
) -> dict[str, frozenset[str] | None]:
    """Bucket addresses to plan, in plan order, each with its rule targets (None: the whole bucket).

    Raises ReconcilerError for a malformed target or one that matches nothing.
    """
    configured = [b.address for b in config.buckets]
    known = configured + sorted(set(state.buckets) - set(configured))
    if not targets:
        return {address: None for address in known}
    whole: set[str] = set()
    rules: dict[str, set[str]] = {}
    for target in targets:
        try:
            address, rule_id = split_address(target)
        except ValueError as exc:
            raise ReconcilerError(f"invalid target: {exc}") from None
        if address not in known:
            raise ReconcilerError(f"target {target} matches no bucket in the configuration or the state")
        if rule_id is None:
            whole.add(address)
        elif _declares_or_owns(config, state, address, rule_id):
            rules.setdefault(address, set()).add(rule_id)
        else:
            raise ReconcilerError(f"target {target} matches no rule in the configuration or the state")
    return {a: None if a in whole else frozenset(rules[a]) for a in known if a in whole or a in rules}


def _declares_or_owns(config: Configuration, state: StateFile, address: str, rule_id: str) -> bool:
    entry = config.bucket(address)
    return rule_id in state.owned(address) or (entry is not None and any(r.id == rule_id for r in entry.notifications))


def buckets_to_read(config: Configuration, state: StateFile, targets: Sequence[str] = ()) -> list[BucketRead]:
    """Every bucket the plan needs live, except those whose provider is gone (the plan reports them)."""
    reads = []
    for address in select_buckets(config, state, targets):
        provider_name, bucket = address.split("/", 1)
        provider = config.providers.get(provider_name)
        if provider is not None and provider_problem(provider, state.buckets.get(address)) is None:
            reads.append(BucketRead(address, provider, bucket))
    return reads


def config_digest(config: Configuration) -> str:
    """Fingerprint of what the configuration declares (file positions aside)."""
    # selectors are in the buckets they expanded to: the same buckets listed by name digest the same
    document = config.model_dump(mode="json", exclude={"buckets": {"__all__": {"source"}}, "selections": True})
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def build_plan(
    config: Configuration,
    live: Mapping[str, LiveDocument],
    state: StateFile,
    *,
    targets: Sequence[str] = (),
    tool_version: str,
    now: datetime,
    read_errors: Mapping[str, object] | None = None,
) -> Plan:
    """Compute the plan. `live` is keyed by bucket address; secrets in `config` are resolved.

    A bucket missing from `live` is planned as errored with its `read_errors` entry (or "not
    read"), as is a bucket in state whose provider is no longer configured.
    """
    read_errors = read_errors or {}
    entries = {b.address: b for b in config.buckets}  # Configuration.bucket() scans: too slow for 10,000
    buckets = []
    warnings: list[PlanWarning] = []
    for address, rule_targets in select_buckets(config, state, targets).items():
        entry = entries.get(address)
        recorded = state.buckets.get(address)
        provider_name = address.split("/", 1)[0]
        provider = config.providers.get(provider_name)
        problem = provider_problem(provider, recorded)
        if problem is None and address not in live:
            problem = f"live document not read: {read_errors.get(address, 'no read was attempted')}"
        if problem is not None:
            buckets.append(_errored(address, provider, recorded, entry, problem))
            continue
        assert provider is not None
        planner = _BucketPlanner(
            address=address,
            provider=provider,
            entry=entry,
            owned=state.owned(address),
            live=live[address],
            scope=rule_targets,
        )
        buckets.append(planner.plan())
        warnings += planner.warnings(buckets[-1])
    return Plan(
        tool_version=tool_version,
        timestamp=now,
        prior_state=PriorState(lineage=state.lineage, serial=state.serial),
        errored=any(b.error is not None for b in buckets),
        summary=_summarize(buckets),
        targets=tuple(targets),
        config_digest=config_digest(config),
        selections=config.selections,
        buckets=tuple(buckets),
        warnings=tuple(warnings),
    )


def provider_problem(provider: ProviderConfig | None, recorded: BucketState | None) -> str | None:
    """Why a bucket cannot be read (its provider gone or of another type than when applied), or None."""
    if provider is None:
        assert recorded is not None  # configured buckets always name a configured provider
        return (
            f"provider {recorded.provider!r} is no longer configured, so this bucket cannot be read; "
            f"restore the provider in the configuration, or run `reconciler state rm "
            f"{recorded.provider}/{recorded.bucket}` to forget its rules"
        )
    flavor = getattr(provider, "flavor", None)
    if recorded is not None and (recorded.type, recorded.flavor) != (provider.type, flavor):
        was = recorded.type + (f" ({recorded.flavor})" if recorded.flavor else "")
        now = provider.type + (f" ({flavor})" if flavor else "")
        return (
            f"provider {provider.name!r} was {was} when last applied and is now {now}; restore it, or run "
            f"`reconciler state rm {recorded.provider}/{recorded.bucket}` and import the bucket again"
        )
    return None


def _errored(
    address: str,
    provider: ProviderConfig | None,
    recorded: BucketState | None,
    entry: BucketConfig | None,
    problem: str,
) -> BucketChange:
    provider_name, bucket = address.split("/", 1)
    if provider is not None:
        kind, flavor = provider.type, getattr(provider, "flavor", None)
    else:
        assert recorded is not None
        kind, flavor = recorded.type, recorded.flavor
    return BucketChange(
        address=address,
        provider=provider_name,
        type=kind,
        flavor=flavor,
        bucket=bucket,
        ownership=entry.ownership if entry else "shared",
        live_fingerprint=None,
        action=Action.NO_OP,
        error=problem,
    )


def _summarize(buckets: list[BucketChange]) -> Summary:
    counts = dict.fromkeys(("add", "change", "delete", "forget", "foreign_kept", "foreign_removed"), 0)
    by_action = {Action.CREATE: "add", Action.UPDATE: "change", Action.DELETE: "delete", Action.FORGET: "forget"}
    for bucket in buckets:
        if bucket.action is Action.READ or bucket.error is not None:
            continue  # observe buckets are reported, never counted
        for change in bucket.changes:
            if change.action in by_action:
                counts[by_action[change.action]] += 1
        for foreign in bucket.foreign:
            counts["foreign_kept" if foreign.disposition == "keep" else "foreign_removed"] += 1
    return Summary(**counts)


class _BucketPlanner:
    """Plans one readable bucket; one instance per bucket, discarded after `plan()`."""

    def __init__(
        self,
        *,
        address: str,
        provider: ProviderConfig,
        entry: BucketConfig | None,
        owned: dict[str, dict[str, Any]],
        live: LiveDocument,
        scope: frozenset[str] | None,
    ) -> None:
        self.address = address
        self.provider = provider
        self.dialect: Dialect = dialect_for(provider)
        self.entry = entry
        self.ownership = entry.ownership if entry else "shared"
        self.desired: dict[str, Rule] = {r.id: r for r in (entry.notifications if entry else ())}
        self.owned = owned
        self.live = live
        self.scope = scope
        self.first: dict[str, int] = {}
        for index, rule in enumerate(live.rules):
            if rule.id is not None:
                self.first.setdefault(rule.id, index)

    def in_scope(self, rule_id: str) -> bool:
        return self.scope is None or rule_id in self.scope

    def is_managed(self, rule_id: str | None) -> bool:
        return rule_id is not None and (rule_id in self.desired or rule_id in self.owned)

    # --- the document to write ------------------------------------------------------------

    def layout(self) -> tuple[list[LayoutSlot | str], set[str]]:
        """The slots of the written document (a str is a desired id), and the ids moved."""
        exclusive = self.ownership == "exclusive" and self.scope is None
        slots: list[LayoutSlot | str] = []
        anchored: list[str] = []
        for index, rule in enumerate(self.live.rules):
            if not self.is_managed(rule.id):
                if not exclusive:
                    slots.append(LiveSlot(live_index=index))
            elif rule.id is not None and not self.in_scope(rule.id):
                slots.append(LiveSlot(live_index=index))  # outside the rule targets: left as it is
            elif rule.id in self.desired and self.first[rule.id] == index:
                slots.append(rule.id)
                anchored.append(rule.id)
        placing = [rule_id for rule_id in self.desired if self.in_scope(rule_id)]
        moved = self._moved(anchored, placing) if self.dialect.ordered else set()
        slots = [slot for slot in slots if slot not in moved]
        previous: str | None = None
        for rule_id in placing:
            if rule_id not in slots:
                slots.insert(self._insertion_point(slots, previous), rule_id)
            previous = rule_id
        return slots, moved

    @staticmethod
    def _moved(anchored: list[str], placing: list[str]) -> set[str]:
        """Managed rules whose order relative to the others changes: all but a longest run kept in
        order, preferring (among runs as long) rules that keep their place, so a swap moves the two."""
        anchored_ids = set(anchored)
        wanted = [rule_id for rule_id in placing if rule_id in anchored_ids]
        if wanted == anchored:
            return set()
        target = {rule_id: index for index, rule_id in enumerate(wanted)}
        order = [target[rule_id] for rule_id in anchored]
        # weighted longest increasing subsequence: length first, rules in place break ties
        weights = [len(order) + 1 + (index == position) for index, position in enumerate(order)]
        best, previous = list(weights), [-1] * len(order)
        for i, position in enumerate(order):
            for j in range(i):
                if order[j] < position and best[j] + weights[i] > best[i]:
                    best[i], previous[i] = best[j] + weights[i], j
        kept: set[str] = set()
        index = max(range(len(order)), key=best.__getitem__, default=-1)
        while index >= 0:
            kept.add(anchored[index])
            index = previous[index]
        return anchored_ids - kept

    def _insertion_point(self, slots: list[LayoutSlot | str], previous: str | None) -> int:
        """Ordered: right after the previous desired rule, the first before every managed rule.
        Unordered: at the end, so every existing entry keeps its index."""
        if not self.dialect.ordered:
            return len(slots)
        if previous is not None:
            return slots.index(previous) + 1
        return next((i for i, slot in enumerate(slots) if isinstance(slot, str)), len(slots))

    # --- the plan of one bucket -----------------------------------------------------------

    def plan(self) -> BucketChange:
        slots, moved = self.layout()
        position = {slot: i for i, slot in enumerate(slots) if isinstance(slot, str)}
        ordered = self.dialect.ordered
        changes: list[RuleChange] = []
        for rule_id in (r for r in self.desired if self.in_scope(r)):
            changes.append(self._desired_change(rule_id, position[rule_id] if ordered else None, rule_id in moved))
        for rule_id in (r for r in self.owned if r not in self.desired and self.in_scope(r)):
            changes.append(self._undeclared_change(rule_id))
        changes.extend(self._duplicates())
        layout = tuple(ManagedSlot(managed=s) if isinstance(s, str) else s for s in slots)
        action = self._bucket_action(layout, changes)
        if action is Action.READ:
            layout = tuple(LiveSlot(live_index=i) for i in range(len(self.live.rules)))
        return BucketChange(
            address=self.address,
            provider=self.provider.name,
            type=self.provider.type,
            flavor=self.dialect.flavor,
            bucket=self.address.split("/", 1)[1],
            ownership=self.ownership,
            live_fingerprint=self.live.fingerprint,
            action=action,
            changes=tuple(changes),
            foreign=self._foreign(),
            rule_count_before=len(self.live.rules),
            rule_count_after=len(layout),
            layout=layout,
            partial=self.scope is not None,
        )

    def warnings(self, change: BucketChange) -> list[PlanWarning]:
        """Managed rules of the document as it will be written (or, observed, as it is) that cannot fire."""
        slots = []
        for slot in change.layout:
            if isinstance(slot, ManagedSlot):
                slots.append(Slot(slot.managed, self.desired[slot.managed], True))
            else:
                entry = self.live.rules[slot.live_index]
                slots.append(Slot(entry.id, entry.rule, self.is_managed(entry.id)))
        return shadowing_warnings(self.address, self.dialect, slots)

    def _change(self, rule_id: str, action: Action, before: Any, after: Any, **extra: Any) -> RuleChange:
        fields = field_changes(before, after, self.dialect.sensitive_paths) if action is Action.UPDATE else ()
        return RuleChange(
            address=f"{self.address}/{rule_id}",
            rule_id=rule_id,
            actions=(action,),
            before=before,
            after=after,
            before_sensitive=sensitive_map(before, self.dialect),
            after_sensitive=sensitive_map(after, self.dialect),
            fields=fields,
            **extra,
        )

    def _live_document(self, live_rule: LiveRule) -> dict[str, Any]:
        if live_rule.rule is None:
            return unparsed_document(live_rule.raw, self.dialect)
        return rule_document(live_rule.rule, self.dialect)

    def _desired_change(self, rule_id: str, after_position: int | None, moved: bool) -> RuleChange:
        desired = self.desired[rule_id]
        after = rule_document(desired, self.dialect)
        index = self.first.get(rule_id)
        if index is None:
            reason = Reason.DELETED_OUTSIDE if rule_id in self.owned else None
            return self._change(rule_id, Action.CREATE, None, after, reason=reason, after_position=after_position)
        live_rule = self.live.rules[index]
        before_position = index if after_position is not None else None
        positions = {"before_position": before_position, "after_position": after_position}
        if live_rule.rule is not None and self.dialect.equivalent(desired, live_rule.rule):
            if not moved:
                return self._change(rule_id, Action.NO_OP, after, after, **positions)
            return self._change(rule_id, Action.UPDATE, after, after, reason=Reason.MOVED, **positions)
        reason = Reason.MOVED if moved else (Reason.UNPARSEABLE if live_rule.rule is None else None)
        return self._change(rule_id, Action.UPDATE, self._live_document(live_rule), after, reason=reason, **positions)

    def _undeclared_change(self, rule_id: str) -> RuleChange:
        index = self.first.get(rule_id)
        if index is None:
            return self._change(rule_id, Action.FORGET, self.owned[rule_id], None, reason=Reason.ALREADY_GONE)
        reason = Reason.NOT_IN_CONFIGURATION if self.entry else Reason.BUCKET_NOT_IN_CONFIGURATION
        before_position = index if self.dialect.ordered else None
        return self._change(
            rule_id,
            Action.DELETE,
            self._live_document(self.live.rules[index]),
            None,
            reason=reason,
            before_position=before_position,
        )

    def _duplicates(self) -> list[RuleChange]:
        """Later live entries repeating a managed id: removed, so the id means one rule again."""
        found = []
        for index, rule in enumerate(self.live.rules):
            rule_id = rule.id
            if rule_id is None or self.first[rule_id] == index:
                continue
            if self.is_managed(rule_id) and self.in_scope(rule_id):
                found.append(
                    self._change(
                        rule_id,
                        Action.DELETE,
                        self._live_document(rule),
                        None,
                        reason=Reason.DUPLICATE_ID,
                        before_position=index,
                    )
                )
        return found

    def _foreign(self) -> tuple[ForeignRule, ...]:
        remove = self.ownership == "exclusive" and self.scope is None
        return tuple(
            ForeignRule(
                id=rule.id,
                live_index=index,
                disposition="remove" if remove else "keep",
                summary=describe_rule(rule.rule),
            )
            for index, rule in enumerate(self.live.rules)
            if not self.is_managed(rule.id)
        )

    def _bucket_action(self, layout: tuple[LayoutSlot, ...], changes: list[RuleChange]) -> Action:
        if self.ownership == "observe":
            return Action.READ
        unchanged = {c.rule_id for c in changes if c.action is Action.NO_OP}
        identical = len(layout) == len(self.live.rules) and all(
            (isinstance(slot, LiveSlot) and slot.live_index == i)
            or (isinstance(slot, ManagedSlot) and slot.managed in unchanged and self.first[slot.managed] == i)
            for i, slot in enumerate(layout)
        )
        if identical:
            return Action.NO_OP
        return Action.UPDATE if layout else Action.DELETE
