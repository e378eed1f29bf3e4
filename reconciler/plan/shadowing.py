"""Managed rules that can never fire on a first-match-wins store (JD Cloud), as plan warnings.

The analysis itself is the kind's (`Dialect.shadowing`: event sets × prefix/suffix containment);
this module only says which of its findings concern a managed rule, and where the rule would
have to go. Pure: used by the planner (on the document apply will write) and by drift (on the
live document).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from reconciler.kinds import Dialect
from reconciler.model.document import Rule
from reconciler.plan.model import PlanWarning


class Slot(NamedTuple):
    """One entry of a document in order: its id, its model (None: unparseable), and whether it is managed."""

    rule_id: str | None
    rule: Rule | None
    managed: bool


def shadowing_warnings(address: str, dialect: Dialect, slots: Sequence[Slot]) -> list[PlanWarning]:
    if not dialect.ordered:
        return []
    documents = [slot.rule.model_dump() if slot.rule is not None else None for slot in slots]
    warnings = []
    for found in dialect.shadowing(documents):
        shadowed, by = slots[found.shadowed], slots[found.by]
        if not shadowed.managed or shadowed.rule_id is None:
            continue
        whose = "managed" if by.managed else "foreign"
        by_name = repr(by.rule_id) if by.rule_id is not None else "without an id"
        where = (
            "move it before that rule in the configuration"
            if by.managed
            else "only the owner of that rule can move it, or `ownership: exclusive` removes it"
        )
        message = (
            f"rule {shadowed.rule_id!r} (position {found.shadowed + 1}) can never fire: {whose} rule {by_name} "
            f"(position {found.by + 1}) comes first and matches every event and object key it matches, and on "
            f"{dialect.flavor} the first matching rule wins. To fire it would have to come before position "
            f"{found.by + 1}: {where}"
        )
        warnings.append(
            PlanWarning(
                code="shadowed" if by.managed else "shadowed_by_foreign",
                address=address,
                rule=shadowed.rule_id,
                position=found.shadowed + 1,
                by=by.rule_id,
                by_position=found.by + 1,
                message=message,
            )
        )
    return warnings
