"""Is a saved plan still the plan of today's state, configuration, live documents and secrets?

Every refusal of a saved plan is decided here and worded by one family of messages, so a user
learns one shape (Terraform's two headings):

    Saved plan does not match the given state: <why>; <what to do>     wrong --state
    Saved plan is stale: [<address>: ]<what changed>; run plan again   anything moved on since

The checks, in the order apply meets them: the state (`state_for_saved_plan`, before anything is
read), each bucket's provider (`check_provider`), each rule written against the configuration
(`check_declared`, which reads the plan's `config_digest` to say whether the configuration changed
or the plan file was edited), each secret (`secret_changed`, from `rule_from_after`), and each live
document just before writing (`live_changed`). Pure: callers pass what they read.
"""

from __future__ import annotations

from collections.abc import Mapping

from reconciler import __version__
from reconciler.core.address import RuleAddress
from reconciler.errors import StalePlanError
from reconciler.kinds import Dialect, dialect_for
from reconciler.model.config import BucketConfig, ProviderConfig
from reconciler.model.document import LiveDocument, Rule
from reconciler.plan.model import BucketChange, Plan
from reconciler.state.model import StateFile

STALE = "Saved plan is stale"
NOT_THIS_STATE = "Saved plan does not match the given state"
PLAN_AGAIN = "run plan again"


def stale_reason(what: str, *, subject: str | None = None, remedy: str = PLAN_AGAIN) -> str:
    """One line of the family: `Saved plan is stale: [subject: ]what; remedy`."""
    return f"{STALE}: {f'{subject}: ' if subject else ''}{what}; {remedy}"


def stale(what: str, *, subject: str | None = None, remedy: str = PLAN_AGAIN) -> StalePlanError:
    return StalePlanError(stale_reason(what, subject=subject, remedy=remedy))


def state_for_saved_plan(plan: Plan, state: StateFile, *, state_exists: bool, state_path: str) -> StateFile:
    """The state to apply `plan` on, or StalePlanError when the state moved on since the plan.

    A plan made before any state file existed adopts the plan's lineage, so the same plan can
    never be applied twice (the second time the serial has moved).
    """
    prior = plan.prior_state
    if not state_exists:
        if prior.serial == 0:
            return StateFile(tool_version=__version__, lineage=prior.lineage)
        raise StalePlanError(
            f"{NOT_THIS_STATE}: it was made against serial {prior.serial} of lineage "
            f"{prior.lineage}, but there is no state at {state_path}; check --state, or {PLAN_AGAIN}"
        )
    if state.lineage != prior.lineage:
        raise StalePlanError(
            f"{NOT_THIS_STATE}: it was created from a different state lineage "
            f"({prior.lineage}, while {state_path} has {state.lineage}); {PLAN_AGAIN} against this state"
        )
    if state.serial != prior.serial:
        raise stale(
            "the state was changed by another operation after the plan was created "
            f"(plan serial {prior.serial}, state serial {state.serial})"
        )
    return state


def check_provider(
    change: BucketChange, provider: ProviderConfig | None, *, opened: bool, entry: BucketConfig | None
) -> Dialect:
    """The dialect to write `change` in, as planned; StalePlanError when the configuration says otherwise.

    `opened` tells whether a client was opened for the provider (it is not when the provider is gone).
    """
    if provider is None or not opened:
        raise stale(
            f"provider {change.provider!r} is not in the configuration",
            subject=change.address,
            remedy=f"restore it or {PLAN_AGAIN}",
        )
    dialect = dialect_for(provider)
    if (dialect.type, dialect.flavor) != (change.type, change.flavor):
        flavor = f" ({change.flavor})" if change.flavor else ""
        raise stale(
            f"provider {change.provider!r} is no longer {change.type}{flavor} as when planned", subject=change.address
        )
    if entry is not None and entry.ownership == "observe":
        raise stale(
            "the bucket is now observe-only in the configuration, so it is never written", subject=change.address
        )
    return dialect


def configuration_changed(plan: Plan, digest: str) -> bool | None:
    """Whether the configuration, whose `config_digest` is `digest`, differs from the one the plan was
    computed from (None: the plan does not say)."""
    if plan.config_digest is None:
        return None
    return digest != plan.config_digest


def check_declared(
    change: BucketChange, rules: Mapping[str, Rule], entry: BucketConfig | None, *, changed: bool | None
) -> None:
    """Every rule a saved plan writes must be the one the configuration declares now.

    `changed` is `configuration_changed(...)`: it says which of the two causes it was.
    """
    declared = {rule.id: rule for rule in entry.notifications} if entry else {}
    for rule_id, rule in rules.items():
        if declared.get(rule_id) != rule:
            if changed is None:
                why = "the configuration changed since the plan, or the plan was edited"
            elif changed:
                why = "the configuration changed since the plan"
            else:
                why = "the configuration is the one planned from, so the plan file was edited"
            raise stale(
                f"the rule in the saved plan is not what the configuration declares ({why})",
                subject=RuleAddress.join(change.address, rule_id),
            )


def secret_changed(rule_id: str | None, path: str) -> StalePlanError:
    """A secret reference now resolves to another value than the one planned."""
    return stale(f"secret {path} changed since the plan was made", subject=f"rule {rule_id!r}")


def live_changed(change: BucketChange, fresh: LiveDocument) -> str | None:
    """Why the live document re-read before writing is no longer the one planned on, or None."""
    if fresh.fingerprint != change.live_fingerprint:
        return stale_reason(f"live configuration of bucket {change.address} changed since the plan")
    if len(fresh.rules) != change.rule_count_before:
        return stale_reason("the plan does not describe the live document (edited?)", subject=change.address)
    return None
