"""Planning: configuration + live documents + state → Plan. Pure: no I/O, no clock.

Per bucket (DESIGN §2, §5) the ownership policy (`plan.ownership`) says which live rules are
managed, what becomes of owned rules no longer declared, which foreign rules may be adopted, and
what the next document is. Managed rules are compared after normalisation (`Dialect.equivalent`);
foreign rules keep their live slots (shared), are removed (exclusive), or nothing is written at
all (observe). The written document is described by `BucketChange.layout`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reconciler.core.address import BucketAddress, RuleAddress, split_address
from reconciler.errors import ReconcilerError
from reconciler.kinds import Dialect, describe_rule, dialect_for
from reconciler.model.config import BucketConfig, Configuration, ProviderConfig
from reconciler.model.document import LiveDocument, LiveRule, Rule
from reconciler.model.identity import store_of
from reconciler.plan.diff import field_changes, outside_changes
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
from reconciler.plan.ownership import (
    BucketPolicy,
    Refused,
    Undeclared,
    check_renames,
    next_layout,
    written_rules,
)
from reconciler.plan.rules import is_secret, rule_document, sensitive_map, unparsed_document
from reconciler.plan.shadowing import Slot, shadowing_warnings
from reconciler.state.model import BucketIdentity, BucketState, StateFile


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
    return BucketPolicy.for_bucket(config, address, state.buckets.get(address)).is_managed(rule_id)


def buckets_to_read(config: Configuration, state: StateFile, targets: Sequence[str] = ()) -> list[BucketRead]:
    """Every bucket the plan needs live, except those whose provider is gone (the plan reports them)."""
    reads = []
    for address in select_buckets(config, state, targets):
        where = BucketAddress.of(address)
        provider = config.providers.get(where.provider)
        if provider is not None and provider_problem(provider, state.buckets.get(address)) is None:
            reads.append(BucketRead(address, provider, where.bucket))
    return reads


def config_digest(config: Configuration) -> str:
    """Fingerprint of what the configuration declares (file positions aside): a secret counts by its
    reference, resolved or not, so the digest does not depend on which buckets --target resolved."""
    # selectors are in the buckets they expanded to: the same buckets listed by name digest the same
    exclude = {"buckets": {"__all__": {"source"}}, "selections": True}
    document = _declared(config.model_dump(mode="json", exclude=exclude))
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _declared(value: Any) -> Any:
    if is_secret(value):
        return value.get("ref")
    if isinstance(value, dict):
        return {key: _declared(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_declared(item) for item in value]
    return value


def build_plan(
    config: Configuration,
    live: Mapping[str, LiveDocument],
    state: StateFile,
    *,
    targets: Sequence[str] = (),
    tool_version: str,
    now: datetime,
    read_errors: Mapping[str, object] | None = None,
    identities: Mapping[str, BucketIdentity] | None = None,
    confirm_identity: Collection[str] = (),
    refresh_only: bool = False,
) -> Plan:
    """Compute the plan. `live` is keyed by bucket address; secrets in `config` are resolved.

    A bucket missing from `live` is planned as errored with its `read_errors` entry (or "not
    read"), as is a bucket in state whose provider is no longer configured.

    `identities` (by provider name; their `bucket` is ignored) say which physical store each
    provider reaches now. A bucket whose state record names another identity owns nothing until
    its address or provider is in `confirm_identity`: its recorded rules are forgotten, not deleted.

    `refresh_only`: the configuration's rules are ignored; each owned rule is planned as it is live
    (its record refreshed), an owned rule gone live is forgotten, and nothing is ever written.
    """
    read_errors = read_errors or {}
    entries = {b.address: b for b in config.buckets}  # Configuration.bucket() scans: too slow for 10,000
    twins = renamed_buckets(entries, state, identities)
    buckets = []
    warnings: list[PlanWarning] = []
    for address, rule_targets in select_buckets(config, state, targets).items():
        entry = entries.get(address)
        recorded = state.buckets.get(address)
        provider_name = BucketAddress.provider_of(address)
        provider = config.providers.get(provider_name)
        if entry is None and address in twins:
            moved_away = moved_message(address, twins, state)
            buckets.append(_errored(address, provider, recorded, entry, moved_away, refused=True))
            continue
        problem = provider_problem(provider, recorded)
        if problem is None and address not in live:
            problem = f"live document not read: {read_errors.get(address, 'no read was attempted')}"
        if problem is not None:
            buckets.append(_errored(address, provider, recorded, entry, problem))
            continue
        assert provider is not None
        identity = _identity(identities, provider_name, address)
        moved = recorded.identity.differences(identity) if identity and recorded and recorded.identity else []
        confirmed = bool(moved) and (address in confirm_identity or provider_name in confirm_identity)
        disowned = bool(moved) and not confirmed
        if disowned and refresh_only:
            problem = (
                f"the bucket's identity changed since the last apply ({'; '.join(moved)}); a refresh does not "
                f"move ownership: if it is the same bucket, add --confirm-identity {address}"
            )
            buckets.append(_errored(address, provider, recorded, entry, problem, refused=True))
            continue
        renames = {} if disowned or recorded is None else recorded.renamed
        if not refresh_only:
            try:
                records = recorded.rules if recorded else {}
                check_renames(address, renames, live[address], records, dialect_for(provider))
            except Refused as refusal:
                buckets.append(_errored(address, provider, recorded, entry, str(refusal), refused=True))
                continue
        # a refresh writes nothing, so a `state mv` rename waits for an apply: its rule is left out
        view = live[address] if refresh_only else renamed_view(live[address], renames)
        owned = {} if disowned else state.owned(address)
        # rules an interrupted apply wrote: ours, and their records a pending refresh
        written = {} if disowned else written_rules(recorded, view, dialect_for(provider))
        planned = {k: v for k, v in {**written, **owned}.items() if not (refresh_only and k in renames)}
        record = None if disowned else recorded
        if refresh_only and renames and recorded is not None:
            kept = {k: v for k, v in recorded.rules.items() if k not in renames}
            record = recorded.model_copy(update={"rules": kept})
        if refresh_only:
            entry = _as_live(address, entry, planned, recorded, view)
        planner = _BucketPlanner(
            address=address,
            provider=provider,
            entry=entry,
            policy=BucketPolicy.of(address, entry, record, () if refresh_only else config.released, written),
            owned=planned,
            disowned=state.owned(address) if disowned else {},
            live=view,
            scope=rule_targets,
        )
        try:
            change = planner.plan()
        except Refused as refusal:
            reason = str(refusal)
            if address in twins:
                reason += f" ({moved_message(twins[address], twins, state)})"
            if disowned:  # the likely cause: say it, and how to confirm the same bucket
                reason += (
                    f" (the bucket's identity changed since the last apply: {'; '.join(moved)}, so its recorded "
                    f"rules are not treated as owned; if it is the same bucket, add --confirm-identity {address})"
                )
            buckets.append(_errored(address, provider, recorded, entry, reason, refused=True))
            continue
        refused = planner.document_problems(change)
        if refused is not None:  # like a policy refusal: depends on live foreign rules; fails alone at apply
            buckets.append(_errored(address, provider, recorded, entry, refused, refused=True))
            continue
        change = change.model_copy(
            update={
                "identity": identity,
                "identity_change": tuple(moved),
                "identity_confirmed": confirmed,
                "refresh": _refresh(change, owned),
            }
        )
        buckets.append(change)
        warnings += planner.warnings(change)
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
        refresh_only=refresh_only,
    )


def renamed_view(live: LiveDocument, renamed: Mapping[str, str]) -> LiveDocument:
    """The live document as the state names its rules after `state mv` of rule ids (`renamed`: new id
    -> the id the live rule still has): each such entry carries its new id, content and raw entry as
    they are, so the plan updates it in place (keeping its position) and the fingerprint is unchanged."""
    if not renamed:
        return live
    ids = set(live.ids)
    moving_away = set(renamed.values())  # ids renamed in a chain or a swap are renamed all at once
    back = {old: new for new, old in renamed.items() if new not in ids or new in moving_away}
    if not back:
        return live
    return live.model_copy(
        update={
            "rules": tuple(
                rule.model_copy(update={"id": back[rule.id]}) if rule.id in back else rule for rule in live.rules
            )
        }
    )


def _as_live(
    address: str,
    entry: BucketConfig | None,
    owned: Mapping[str, dict[str, Any]],
    recorded: BucketState | None,
    live: LiveDocument,
) -> BucketConfig:
    """A refresh-only plan's bucket entry: every owned rule declared as it is live (imported rules
    stay imported), in live order; shared, so no foreign rule is ever removed; observe stays observe."""
    imported = set(recorded.imported) if recorded else set()
    rules = []
    seen: set[str] = set()
    for rule in live.rules:
        if rule.id in owned and rule.id not in imported and rule.id not in seen and rule.rule is not None:
            rules.append(rule.rule)
            seen.add(rule.id)
    provider, bucket = address.split("/", 1)
    ownership = "observe" if entry is not None and entry.ownership == "observe" else "shared"
    return BucketConfig.model_construct(
        provider=provider, bucket=bucket, ownership=ownership, notifications=tuple(rules), adopt=(), source=None
    )


def renamed_buckets(
    entries: Mapping[str, BucketConfig], state: StateFile, identities: Mapping[str, BucketIdentity] | None
) -> dict[str, str]:
    """Pairs of addresses for one physical bucket, both ways: one only in the state (a provider or
    bucket entry renamed in the configuration without `state mv`, or an alias imported), one in the
    configuration. Neither is guessed to be the other: the state's is refused (nothing deleted),
    with the fix."""
    declared: dict[tuple[str, str, str], str] = {}
    for address in entries:
        identity = _identity(identities, address.split("/", 1)[0], address)
        if identity is not None and identity.endpoint:
            declared[(identity.type, store_of(identity.endpoint), identity.bucket)] = address
    twins: dict[str, str] = {}
    for address, recorded in state.buckets.items():
        if address in entries:
            continue
        identity = recorded.identity or _identity(identities, recorded.provider, address)
        other = (
            declared.get((identity.type, store_of(identity.endpoint), identity.bucket))
            if identity is not None and identity.endpoint
            else None
        )
        if other is not None:
            twins[address] = other
            twins.setdefault(other, address)
    return twins


def moved_message(recorded: str, twins: Mapping[str, str], state: StateFile) -> str:
    declared = twins[recorded]
    fix = (
        f"`reconciler state rm {recorded}` to forget what it records there ({declared} is in the state too)"
        if declared in state.buckets
        else f"`reconciler state mv {recorded} {declared}` to keep managing them under the new address, or "
        f"`reconciler state rm {recorded}` to forget them"
    )
    return (
        f"the state records the bucket as {recorded}, which the configuration no longer declares, and "
        f"{declared} in the configuration reaches the same bucket; reconciler does not guess that its rules "
        f"moved, so {recorded} is not planned and nothing is deleted: run {fix}"
    )


def _identity(identities: Mapping[str, BucketIdentity] | None, provider: str, address: str) -> BucketIdentity | None:
    found = identities.get(provider) if identities else None
    return None if found is None else found.model_copy(update={"bucket": address.split("/", 1)[1]})


def _refresh(change: BucketChange, owned: Mapping[str, dict[str, Any]]) -> tuple[str, ...]:
    """Managed rules left as they are live whose state record apply brings up to date."""
    if change.action is Action.READ:
        return ()
    return tuple(
        c.rule_id
        for c in change.changes
        if c.actions == (Action.NO_OP,) and c.reason is None and _content(owned.get(c.rule_id)) != _content(c.after)
    )


def _content(record: Any) -> Any:
    """A rule record without where its secrets come from (`ref`): what a refresh would change."""
    if isinstance(record, dict):
        if "digest" in record and set(record) <= {"digest", "ref"}:
            return record["digest"]
        return {key: _content(value) for key, value in record.items()}
    if isinstance(record, list):
        return [_content(value) for value in record]
    return record


def provider_problem(provider: ProviderConfig | None, recorded: BucketState | None) -> str | None:
    """Why a bucket cannot be read (its provider gone or of another type than when applied), or None."""
    if provider is None:
        assert recorded is not None  # configured buckets always name a configured provider
        return (
            f"provider {recorded.provider!r} is no longer configured, so this bucket cannot be read; "
            f"restore the provider in the configuration, or run `reconciler state rm "
            f"{recorded.provider}/{recorded.bucket}` to forget its rules"
        )
    if recorded is None:
        return None
    flavor = dialect_for(provider).flavor
    if (recorded.type, recorded.flavor) != (provider.type, flavor):
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
    *,
    refused: bool = False,
) -> BucketChange:
    where = BucketAddress.of(address)
    if provider is not None:
        kind, flavor = provider.type, getattr(provider, "flavor", None)
    else:
        assert recorded is not None
        kind, flavor = recorded.type, recorded.flavor
    return BucketChange(
        address=address,
        provider=where.provider,
        type=kind,
        flavor=flavor,
        bucket=where.bucket,
        ownership=entry.ownership if entry else "shared",
        live_fingerprint=None,
        action=Action.NO_OP,
        error=problem,
        refused=refused,
    )


def _summarize(buckets: list[BucketChange]) -> Summary:
    names = ("add", "change", "delete", "forget", "adopt", "foreign_kept", "foreign_removed", "refresh")
    counts = dict.fromkeys(names, 0)
    by_action = {
        Action.CREATE: "add",
        Action.UPDATE: "change",
        Action.DELETE: "delete",
        Action.FORGET: "forget",
        Action.ADOPT: "adopt",
    }
    for bucket in buckets:
        if bucket.action is Action.READ or bucket.error is not None:
            continue  # observe buckets are reported, never counted
        for change in bucket.changes:
            if change.action in by_action:
                counts[by_action[change.action]] += 1
        for foreign in bucket.foreign:
            counts["foreign_kept" if foreign.disposition == "keep" else "foreign_removed"] += 1
        counts["refresh"] += len(bucket.refresh)
    return Summary(**counts)


class _BucketPlanner:
    """Plans one readable bucket; one instance per bucket, discarded after `plan()`."""

    def __init__(
        self,
        *,
        address: str,
        provider: ProviderConfig,
        entry: BucketConfig | None,
        policy: BucketPolicy,
        owned: dict[str, dict[str, Any]],
        live: LiveDocument,
        scope: frozenset[str] | None,
        disowned: Mapping[str, dict[str, Any]] | None = None,
    ) -> None:
        self.address = address
        self.provider = provider
        self.dialect: Dialect = dialect_for(provider)
        self.entry = entry
        self.policy = policy
        self.ownership = policy.ownership
        self.desired: dict[str, Rule] = {r.id: r for r in (entry.notifications if entry else ())}
        self.owned = owned
        self.disowned = dict(disowned or {})  # recorded for another bucket identity: forgotten
        self.live = live
        self.scope = scope
        self.adopted: set[str] = set()
        self.first: dict[str, int] = {}
        for index, rule in enumerate(live.rules):
            if rule.id is not None:
                self.first.setdefault(rule.id, index)

    def in_scope(self, rule_id: str) -> bool:
        return self.scope is None or rule_id in self.scope

    def is_managed(self, rule_id: str | None) -> bool:
        return self.policy.is_managed(rule_id)

    # --- the plan of one bucket -----------------------------------------------------------

    def plan(self) -> BucketChange:
        """The bucket's change; Refused when the policy cannot tell what to write without guessing."""
        if self.ownership not in ("observe", "release"):
            self.policy.check_duplicates(self.live, self.scope)
            self.adopted = set(self.policy.adoptions(self.live, self.scope))
        slots, moved = next_layout(self.policy, self.live, ordered=self.dialect.ordered, scope=self.scope)
        position = {slot: i for i, slot in enumerate(slots) if isinstance(slot, str)}
        ordered = self.dialect.ordered
        changes: list[RuleChange] = []
        for rule_id in (r for r in self.desired if self.in_scope(r)):
            changes.append(self._desired_change(rule_id, position[rule_id] if ordered else None, rule_id in moved))
        for rule_id in (r for r in self.owned if r not in self.desired and self.in_scope(r)):
            changes.append(self._undeclared_change(rule_id))
        for rule_id, record in self.disowned.items():
            if not (rule_id in self.desired and self.in_scope(rule_id)):
                changes.append(self._change(rule_id, Action.FORGET, record, None, reason=Reason.IDENTITY_CHANGED))
        layout = tuple(ManagedSlot(managed=s) if isinstance(s, str) else s for s in slots)
        action = self._bucket_action(layout, changes)
        if action is Action.READ:
            layout = tuple(LiveSlot(live_index=i) for i in range(len(self.live.rules)))
        return BucketChange(
            address=self.address,
            provider=self.provider.name,
            type=self.provider.type,
            flavor=self.dialect.flavor,
            bucket=BucketAddress.of(self.address).bucket,
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
        return shadowing_warnings(self.address, self.dialect, slots) + self._deletion_warnings(change)

    def _deletion_warnings(self, change: BucketChange) -> list[PlanWarning]:
        """Managed rules to delete that someone changed live since the last apply: say which fields."""
        found: list[PlanWarning] = []
        if change.action is Action.READ:
            return found
        for rule in change.changes:
            if rule.action is not Action.DELETE or not rule.changed_outside:
                continue
            fields = tuple(field.path for field in rule.changed_outside)
            found.append(
                PlanWarning(
                    code="deletes_changed_outside",
                    address=self.address,
                    rule=rule.rule_id,
                    position=self.first[rule.rule_id] + 1,
                    by=None,
                    by_position=None,
                    fields=fields,
                    message=(
                        f"rule {rule.rule_id!r} will be deleted, but it was changed outside reconciler since the last "
                        f"apply ({', '.join(fields)}); if someone relies on it, declare it again or release it "
                        f"(`released: [{self.address}/{rule.rule_id}]`) instead"
                    ),
                )
            )
        return found

    def document_problems(self, change: BucketChange) -> str | None:
        """Why the provider would refuse the whole document this plan writes, or None: the provider's
        document-level rules (overlaps and the like) between a declared rule and a foreign rule kept
        beside it, which `validate` cannot see. Problems among declared rules are validate's, and
        among foreign rules the store's own (it already holds them)."""
        if change.action is not Action.UPDATE:
            return None
        rules: list[Rule] = []
        names: list[str] = []
        managed: list[bool] = []
        for slot in change.layout:
            if isinstance(slot, ManagedSlot):
                rules.append(self.desired[slot.managed])
                names.append(repr(slot.managed))
                managed.append(True)
            else:
                entry = self.live.rules[slot.live_index]
                if entry.rule is None:
                    continue  # not in the dialect's model: nothing to check it with
                rules.append(entry.rule)
                managed.append(self.is_managed(entry.id))
                names.append(
                    "(foreign rule without an id)"
                    if entry.id is None
                    else f"{entry.id!r}" + ("" if managed[-1] else " (foreign)")
                )
        found = []
        for problem in self.dialect.check_document(rules, bucket=self.address.split("/", 1)[1]):
            if problem.see is None:
                continue  # one rule alone: validate checked the declared ones, the store holds the foreign ones
            pair = (managed[problem.index], managed[problem.see[0]])
            if pair != (True, False) and pair != (False, True):
                continue  # declared rules among themselves: validate's; foreign among themselves: the store's
            field = f" {'.'.join(str(part) for part in problem.path)}:" if problem.path else ""
            found.append(f"rule {names[problem.index]}{field} {problem.message}")
        if not found:
            return None
        return (
            "the document apply would write (declared rules and the foreign rules kept) would be refused by the "
            "provider: " + "; ".join(found) + "; change the declared rules, or remove the conflicting foreign rule"
        )

    def _change(
        self, rule_id: str, action: Action, before: Any, after: Any, *, outside: Any = None, **extra: Any
    ) -> RuleChange:
        """`outside`: the changes outside reconciler when already known (None: compare live with the record)."""
        actions = (action,)
        if rule_id in self.adopted and action in (Action.UPDATE, Action.NO_OP):
            actions = (Action.ADOPT,) if action is Action.NO_OP else (Action.ADOPT, Action.UPDATE)
        fields = field_changes(before, after, self.dialect.sensitive_paths) if Action.UPDATE in actions else ()
        return RuleChange(
            address=RuleAddress.join(self.address, rule_id),
            rule_id=rule_id,
            actions=actions,
            changed_outside=self._changed_outside(rule_id) if outside is None else outside,
            before=before,
            after=after,
            before_sensitive=sensitive_map(before, self.dialect),
            after_sensitive=sensitive_map(after, self.dialect),
            fields=fields,
            **extra,
        )

    def _changed_outside(self, rule_id: str) -> tuple[Any, ...]:
        """How an owned rule's live content differs from the state's record of it."""
        index = self.first.get(rule_id)
        record = self.owned.get(rule_id)
        if index is None or record is None or self.live.rules[index].rule is None:
            return ()
        live_rule = self.live.rules[index].rule
        assert live_rule is not None
        return outside_changes(record, live_rule, self.dialect)

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
            # live is as declared; recorded as declared too (the usual case), nothing changed outside
            outside = () if self.owned.get(rule_id, after) == after else None
            if not moved:
                return self._change(rule_id, Action.NO_OP, after, after, outside=outside, **positions)
            return self._change(rule_id, Action.UPDATE, after, after, reason=Reason.MOVED, outside=outside, **positions)
        reason = Reason.MOVED if moved else (Reason.UNPARSEABLE if live_rule.rule is None else None)
        if reason is None and live_rule.rule is not None and live_rule.rule.id != rule_id:
            reason = Reason.RENAMED  # `state mv`: the live rule still has its old id
        return self._change(rule_id, Action.UPDATE, self._live_document(live_rule), after, reason=reason, **positions)

    def _undeclared_change(self, rule_id: str) -> RuleChange:
        index = self.first.get(rule_id)
        fate = self.policy.undeclared(rule_id)
        if fate is Undeclared.RELEASE:
            before = self.owned[rule_id] if index is None else self._live_document(self.live.rules[index])
            return self._change(rule_id, Action.FORGET, before, None, reason=Reason.RELEASED, live_index=index)
        if index is None:
            return self._change(rule_id, Action.FORGET, self.owned[rule_id], None, reason=Reason.ALREADY_GONE)
        before = self._live_document(self.live.rules[index])
        if fate is Undeclared.KEEP:
            return self._change(
                rule_id, Action.NO_OP, before, before, reason=Reason.IMPORTED_NOT_DECLARED, live_index=index
            )
        reason = Reason.NOT_IN_CONFIGURATION if self.entry else Reason.BUCKET_NOT_IN_CONFIGURATION
        before_position = index if self.dialect.ordered else None
        return self._change(rule_id, Action.DELETE, before, None, reason=reason, before_position=before_position)

    def _foreign(self) -> tuple[ForeignRule, ...]:
        remove = self.policy.removes_foreign(partial=self.scope is not None)
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
        unchanged = {c.rule_id for c in changes if not c.writes}
        identical = len(layout) == len(self.live.rules) and all(
            (isinstance(slot, LiveSlot) and slot.live_index == i)
            or (isinstance(slot, ManagedSlot) and slot.managed in unchanged and self.first[slot.managed] == i)
            for i, slot in enumerate(layout)
        )
        if identical:
            return Action.NO_OP
        return Action.UPDATE if layout else Action.DELETE
