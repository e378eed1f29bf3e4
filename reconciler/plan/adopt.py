"""Adoption of live rules into the state, for `reconciler import`: pure, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from reconciler.errors import ReconcilerError
from reconciler.kinds import dialect_for
from reconciler.model.config import ProviderConfig
from reconciler.model.document import LiveDocument, Rule
from reconciler.plan.rules import rule_document
from reconciler.state.model import BucketIdentity, StateFile


@dataclass(frozen=True)
class Adoption:
    """What an import takes over, and what it leaves as it is (with why)."""

    address: str  # the bucket
    rules: tuple[Rule, ...]
    skipped: tuple[str, ...] = ()  # one sentence each


def choose_rules(state: StateFile, address: str, live: LiveDocument, rule_id: str | None) -> Adoption:
    """The live rules an import adopts; ReconcilerError when there is nothing it may adopt."""
    owned = state.owned(address)
    if rule_id is not None:
        entry = live.by_id().get(rule_id)
        if entry is None:
            ids = ", ".join(i for i in live.ids if i is not None) or "no rules"
            raise ReconcilerError(
                f"cannot import {address}/{rule_id}: the live bucket has no rule {rule_id!r} (it has: {ids})"
            )
        if rule_id in owned:
            raise ReconcilerError(f"cannot import {address}/{rule_id}: it is already managed (recorded in the state)")
        if entry.rule is None:
            raise ReconcilerError(
                f"cannot import {address}/{rule_id}: the live rule does not fit the provider's rule format, "
                "so it cannot be declared; fix or recreate it first"
            )
        return Adoption(address, (entry.rule,))
    adopted: dict[str, Rule] = {}
    skipped = []
    for index, entry in enumerate(live.rules):
        if entry.id is None:
            skipped.append(f"{address}: the rule at position {index} has no id, so it stays foreign")
        elif entry.id in owned:
            skipped.append(f"{address}/{entry.id} is already managed")
        elif entry.rule is None:
            skipped.append(f"{address}/{entry.id} does not fit the provider's rule format, so it stays foreign")
        elif entry.id in adopted:
            skipped.append(f"{address}/{entry.id} appears more than once live; the first is imported")
        else:
            adopted[entry.id] = entry.rule
    if not adopted:
        detail = f": {'; '.join(skipped)}" if skipped else ": the live bucket has no notification rules"
        raise ReconcilerError(f"nothing to import in {address}{detail}")
    return Adoption(address, tuple(adopted.values()), tuple(skipped))


def adopt(
    state: StateFile,
    provider: ProviderConfig,
    bucket: str,
    live: LiveDocument,
    adoption: Adoption,
    *,
    applied_at: datetime,
    identity: BucketIdentity | None = None,
) -> StateFile:
    """The state with the adopted rules recorded as managed, normalised, secrets as digests, and
    `identity` (the bucket read) recorded when given."""
    dialect = dialect_for(provider)
    recorded = state.buckets.get(adoption.address)
    rules = state.owned(adoption.address)
    rules.update({rule.id: rule_document(rule, dialect) for rule in adoption.rules})
    # kept (never deleted as "no longer in the configuration") until declared at an apply, or released
    adoption_ids = [rule.id for rule in adoption.rules]
    imported = [*(recorded.imported if recorded else ()), *adoption_ids]
    return state.with_bucket_applied(
        adoption.address,
        provider=provider.name,
        type=provider.type,
        flavor=dialect.flavor,
        bucket=bucket,
        rules=rules,
        foreign=[rule_id for rule_id in live.ids if rule_id is not None and rule_id not in rules],
        live_fingerprint=live.fingerprint,
        applied_at=applied_at,
        imported=imported,
        identity=identity or (recorded.identity if recorded else None),
        # a pending `state mv` rename still waits for its apply, unless its live id is what was imported
        renamed={
            new: old for new, old in (recorded.renamed if recorded else {}).items() if old not in adoption_ids
        },
    )
