"""The one ownership-and-order policy (DESIGN §2): which live rules are ours, what happens to a
rule we own but no longer declare, what the next document of a bucket is, and how order is
compared on stores where the first matching rule wins (JD Cloud).

Called by the planner, by drift and by apply's foreign-rule guard, so "never remove a foreign
rule" means the same thing everywhere. Pure: no I/O.

Rule kinds of one bucket, by id:

    declared   the configuration declares it                                   managed
    owned      the state records it (applied by reconciler, or imported)       managed
    written    noted by an apply stopped before recording it, live as written  owned
    imported   owned through `import`, not declared at an apply since          kept, reported
    released   owned, listed under `released:` or in an `ownership: release`   forgotten, kept live
               bucket
    adoptable  live, not owned, declared, and listed in the bucket's `adopt:`  adopted (a change)
    foreign    every other live rule (and every live rule without an id)       kept (exclusive: removed)

A declared id that matches a live foreign rule not listed in `adopt:` is refused, as is a
managed id held by more than one live entry: when unsure, the bucket is not planned.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from reconciler.kinds import Dialect
from reconciler.model.config import BucketConfig, Configuration
from reconciler.model.document import LiveDocument, LiveRule
from reconciler.plan.model import LayoutSlot, LiveSlot
from reconciler.plan.rules import parsed_record
from reconciler.state.model import BucketState, split_address


class Undeclared(StrEnum):
    """What becomes of an owned rule that the configuration does not declare."""

    DELETE = "delete"  # it was applied from the configuration and left it: delete it
    KEEP = "keep"  # imported and never declared: kept and reported until declared or released
    RELEASE = "release"  # released from management: forgotten in the state, kept live


class Refused(Exception):
    """The policy cannot say what the bucket's next document is without guessing."""


@dataclass(frozen=True)
class BucketPolicy:
    """Ownership of one bucket's rules, from its configuration entry, its state record and `released:`."""

    address: str
    ownership: str  # shared | exclusive | observe | release
    declared: tuple[str, ...]  # in configuration order
    owned: frozenset[str]
    imported: frozenset[str]
    released: frozenset[str]  # owned ids released by rule address
    adopt: frozenset[str]

    @classmethod
    def of(
        cls,
        address: str,
        entry: BucketConfig | None,
        recorded: BucketState | Mapping[str, Any] | None,
        released: Iterable[str] = (),
        written: Iterable[str] = (),
    ) -> BucketPolicy:
        """`recorded` is the bucket's state record (or just its rules); `released` the configuration's
        list; `written` ids an interrupted apply was writing (`BucketState.writing`) found live as written."""
        if isinstance(recorded, BucketState):
            owned, imported = frozenset(recorded.rules), frozenset(recorded.imported)
        else:
            owned, imported = frozenset(recorded or ()), frozenset()
        owned |= frozenset(written)
        whole = False
        by_rule = set()
        for item in released:
            bucket_address, rule_id = split_address(item)
            if bucket_address == address:
                whole = whole or rule_id is None
                if rule_id is not None:
                    by_rule.add(rule_id)
        ownership = entry.ownership if entry else "shared"
        if whole:
            ownership = "release"
        return cls(
            address=address,
            ownership=ownership,
            declared=tuple(rule.id for rule in entry.notifications) if entry else (),
            owned=owned,
            imported=imported,
            released=frozenset(by_rule),
            adopt=frozenset(entry.adopt) if entry else frozenset(),
        )

    @classmethod
    def for_bucket(cls, config: Configuration, address: str, recorded: BucketState | None) -> BucketPolicy:
        return cls.of(address, config.bucket(address), recorded, config.released)

    def is_managed(self, rule_id: str | None) -> bool:
        """Declared or owned; every other live rule is foreign."""
        return rule_id is not None and (rule_id in self.declared or rule_id in self.owned)

    def undeclared(self, rule_id: str) -> Undeclared:
        """The fate of an owned rule (`rule_id in owned`) the configuration does not declare."""
        if self.ownership == "release" or rule_id in self.released:
            return Undeclared.RELEASE
        if rule_id in self.imported:
            return Undeclared.KEEP
        return Undeclared.DELETE

    def removes_foreign(self, *, partial: bool) -> bool:
        return self.ownership == "exclusive" and not partial

    def may_remove(self, rule_id: str | None, *, partial: bool) -> bool:
        """May a document written to this bucket leave out this live rule? (apply's guard)"""
        if self.removes_foreign(partial=partial):
            return True
        if not self.is_managed(rule_id):
            return False
        assert rule_id is not None
        return rule_id in self.declared or self.undeclared(rule_id) is Undeclared.DELETE

    def adoptions(self, live: LiveDocument, scope: frozenset[str] | None = None) -> list[str]:
        """Declared ids that take over a live foreign rule (in scope); Refused unless each is allowed."""
        live_ids = {rule.id for rule in live.rules}
        found = [
            rule_id
            for rule_id in self.declared
            if rule_id in live_ids and rule_id not in self.owned and (scope is None or rule_id in scope)
        ]
        refused = [rule_id for rule_id in found if rule_id not in self.adopt]
        if refused:
            names = ", ".join(refused)
            listed = ", ".join([*sorted(self.adopt), *refused])
            raise Refused(
                f"{_rules(refused)} {names} {'exists' if len(refused) == 1 else 'exist'} live but "
                f"{'is' if len(refused) == 1 else 'are'} not managed by reconciler (foreign); declaring the same id "
                f"would take {'it' if len(refused) == 1 else 'them'} over. To adopt, add `adopt: [{listed}]` to the "
                f"bucket entry {self.address}, or run `reconciler import {self.address}/{refused[0]}`; otherwise "
                "choose another id"
            )
        return found

    def check_duplicates(self, live: LiveDocument, scope: frozenset[str] | None = None) -> None:
        """Refused when a managed id (in scope) is held by more than one live entry: which is ours?"""
        positions: dict[str, list[int]] = {}
        for index, rule in enumerate(live.rules):
            if self.is_managed(rule.id) and (scope is None or rule.id in scope):
                assert rule.id is not None
                positions.setdefault(rule.id, []).append(index + 1)
        repeated = {rule_id: found for rule_id, found in positions.items() if len(found) > 1}
        if repeated:
            detail = "; ".join(
                f"{rule_id!r} at positions {', '.join(map(str, found))}" for rule_id, found in repeated.items()
            )
            raise Refused(
                f"the live document holds more than one rule with the same managed id ({detail}), so reconciler "
                "cannot tell which one it manages and plans nothing for this bucket; remove or rename the extra "
                "copies with the provider's own tools, then plan again"
            )


def check_renames(
    address: str,
    renamed: Mapping[str, str],
    live: LiveDocument,
    records: Mapping[str, dict[str, Any]],
    dialect: Dialect,
) -> None:
    """Refused when a rule `state mv` renamed (`renamed`: new id -> the id it still has live) may
    meet a rule reconciler did not write under the new id: the old id is live too (the new id belongs
    to that other rule), or the old id is gone and the rule live under the new id is not the one
    recorded (`records`), so it may be another team's, created since. Renaming ours onto it, or
    updating or deleting it as ours, would take over a rule reconciler did not write."""
    ids = set(live.ids)
    found = live.by_id()
    moving_away = set(renamed.values())  # a live id another rename frees (a chain or a swap) is no clash
    clashes = sorted(
        new
        for new, old in renamed.items()
        if new in ids
        and new not in moving_away
        and (old in ids or not _as_recorded(found[new], records.get(new), dialect))
    )
    if clashes:
        detail = "; ".join(f"{address}/{renamed[new]} was moved to {address}/{new}" for new in clashes)
        raise Refused(
            f"`state mv` gave a rule an id that another live rule already holds ({detail}, and "
            f"{'a live rule has that id' if len(clashes) == 1 else 'live rules have those ids'} too), so "
            "reconciler plans nothing for this bucket rather than take that rule over; move it back with "
            f"`reconciler state mv {address}/{clashes[0]} {address}/{renamed[clashes[0]]}` "
            "and choose an id no live rule uses"
        )


def _as_recorded(entry: LiveRule, record: dict[str, Any] | None, dialect: Dialect) -> bool:
    planned = None if record is None else parsed_record(record, dialect)
    return entry.rule is not None and planned is not None and dialect.equivalent(planned, entry.rule)


def written_rules(recorded: BucketState | None, live: LiveDocument, dialect: Dialect) -> dict[str, dict[str, Any]]:
    """Rules an interrupted apply noted it was writing (`BucketState.writing`) that are live exactly
    as it wrote them: ours, by id with the record. Any other live rule of such an id stays foreign."""
    if recorded is None or not recorded.writing:
        return {}
    found = live.by_id()
    return {
        rule_id: record
        for rule_id, record in recorded.writing.items()
        if rule_id in found and _as_recorded(found[rule_id], record, dialect)
    }


def _rules(ids: Sequence[str]) -> str:
    return "rule" if len(ids) == 1 else "rules"


# --- the next document ---------------------------------------------------------------------


def next_layout(
    policy: BucketPolicy,
    live: LiveDocument,
    *,
    ordered: bool,
    scope: frozenset[str] | None,
) -> tuple[list[LayoutSlot | str], set[str]]:
    """The slots of the document to write (a str is a declared id) and the declared ids it moves.

    Foreign rules keep their live slots unless the bucket removes them; owned rules that are not
    declared keep theirs while imported or released, and are left out (deleted) otherwise; rules
    outside `scope` stay as they are live; declared rules take their live slot when they have one.
    """
    partial = scope is not None
    first: dict[str, int] = {}
    for index, rule in enumerate(live.rules):
        if rule.id is not None:
            first.setdefault(rule.id, index)
    slots: list[LayoutSlot | str] = []
    anchored: list[str] = []
    for index, rule in enumerate(live.rules):
        rule_id = rule.id
        if not policy.is_managed(rule_id):
            if not policy.removes_foreign(partial=partial):
                slots.append(LiveSlot(live_index=index))
            continue
        assert rule_id is not None
        if scope is not None and rule_id not in scope:
            slots.append(LiveSlot(live_index=index))  # outside the rule targets: left as it is
        elif rule_id in policy.declared:
            if first[rule_id] == index:
                slots.append(rule_id)
                anchored.append(rule_id)
        elif policy.undeclared(rule_id) is not Undeclared.DELETE:
            slots.append(LiveSlot(live_index=index))  # imported or released: kept as it is
    placing = [rule_id for rule_id in policy.declared if scope is None or rule_id in scope]
    moved = moved_rules(anchored, placing) if ordered else set()
    slots = [slot for slot in slots if slot not in moved]
    previous: str | None = None
    for rule_id in placing:
        if rule_id not in slots:
            slots.insert(_insertion_point(slots, previous, ordered), rule_id)
        previous = rule_id
    return slots, moved


def _insertion_point(slots: list[LayoutSlot | str], previous: str | None, ordered: bool) -> int:
    """Ordered: right after the previous declared rule, the first before every declared rule.
    Unordered: at the end, so every existing entry keeps its index."""
    if not ordered:
        return len(slots)
    if previous is not None:
        return slots.index(previous) + 1
    return next((i for i, slot in enumerate(slots) if isinstance(slot, str)), len(slots))


# --- order (first match wins) --------------------------------------------------------------


def moved_rules(actual: Sequence[str], wanted: Sequence[str]) -> set[str]:
    """The one order comparison: rules of `actual` whose order relative to the others differs from
    `wanted` (ids in only one of them are ignored). All but a longest run kept in order, preferring
    (among runs as long) rules that keep their place, so a swap moves the two."""
    wanted_set = set(wanted)
    anchored = [rule_id for rule_id in _unique(actual) if rule_id in wanted_set]
    anchored_ids = set(anchored)
    target_order = [rule_id for rule_id in _unique(wanted) if rule_id in anchored_ids]
    if target_order == anchored:
        return set()
    target = {rule_id: index for index, rule_id in enumerate(target_order)}
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


def relative_positions(reference: Sequence[str], actual: Sequence[str | None]) -> dict[str, tuple[int, int]]:
    """When `moved_rules` finds the order changed: id → (1-based place among the rules both sides
    share in `reference`, and in `actual`) for every shared rule whose place differs, as drift
    reports them (a swap names both rules)."""
    shared = [rule_id for rule_id in _unique(reference) if rule_id in set(actual)]
    seen = [rule_id for rule_id in _unique(actual) if rule_id in set(shared)]
    if not moved_rules(seen, shared):
        return {}
    return {
        rule_id: (shared.index(rule_id) + 1, seen.index(rule_id) + 1)
        for rule_id in shared
        if shared.index(rule_id) != seen.index(rule_id)
    }


def _unique(ids: Iterable[str | None]) -> list[str]:
    found: list[str] = []
    seen: set[str] = set()
    for rule_id in ids:
        if rule_id is not None and rule_id not in seen:
            seen.add(rule_id)
            found.append(rule_id)
    return found
