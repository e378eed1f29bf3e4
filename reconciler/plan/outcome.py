"""What the state records once a bucket's change has been applied (for the apply engine)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from reconciler.plan.model import Action, BucketChange, ManagedSlot
from reconciler.state.model import StateFile


def state_after(state: StateFile, change: BucketChange, *, live_fingerprint: str, applied_at: datetime) -> StateFile:
    """The state once `change` is applied and verified; `live_fingerprint` is of the read-back.

    Records every managed rule of the written layout (their `after`), keeps the records of owned
    rules the plan leaves as they are (outside the rule targets, or imported and not declared),
    drops deleted, forgotten and released rules, and notes which foreign rules were kept and which
    imported rules are still undeclared.
    """
    if change.error is not None or change.action is Action.READ:
        raise ValueError(f"{change.address}: an errored or observe-only bucket is never applied")
    rules: dict[str, dict[str, Any]] = {}
    for slot in change.layout:
        if isinstance(slot, ManagedSlot):
            after = change.change(slot.managed)
            assert after is not None and after.after is not None
            rules[slot.managed] = after.after
    dropped = {c.rule_id for c in change.changes if c.action in (Action.DELETE, Action.FORGET)}
    owned = state.owned(change.address)
    rules.update({k: v for k, v in owned.items() if k not in rules and k not in dropped})
    recorded = state.buckets.get(change.address)
    declared = {slot.managed for slot in change.layout if isinstance(slot, ManagedSlot)}
    imported = [i for i in (recorded.imported if recorded else ()) if i not in declared]
    return state.with_bucket_applied(
        change.address,
        provider=change.provider,
        type=change.type,
        flavor=change.flavor,
        bucket=change.bucket,
        rules=rules,
        foreign=[f.id for f in change.foreign if f.disposition == "keep" and f.id is not None],
        live_fingerprint=live_fingerprint,
        applied_at=applied_at,
        imported=imported,
        identity=change.identity or (recorded.identity if recorded else None),
        # a `state mv` rename not planned here (outside the rule targets) still waits for its apply
        renamed={k: v for k, v in (recorded.renamed if recorded else {}).items() if change.change(k) is None},
    )
