"""Pure planning: Plan, BucketChange, RuleChange, Action; no I/O (DESIGN §5)."""

from reconciler.plan.adopt import Adoption, adopt, choose_rules
from reconciler.plan.model import (
    FORMAT_VERSION,
    Action,
    BucketChange,
    FieldChange,
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
from reconciler.plan.outcome import state_after
from reconciler.plan.planner import BucketRead, buckets_to_read, build_plan, config_digest, select_buckets
from reconciler.plan.rules import rule_document, rule_from_after

__all__ = [
    "FORMAT_VERSION",
    "Action",
    "Adoption",
    "BucketChange",
    "BucketRead",
    "FieldChange",
    "ForeignRule",
    "LayoutSlot",
    "LiveSlot",
    "ManagedSlot",
    "Plan",
    "PlanWarning",
    "PriorState",
    "Reason",
    "RuleChange",
    "Summary",
    "adopt",
    "buckets_to_read",
    "build_plan",
    "choose_rules",
    "config_digest",
    "rule_document",
    "rule_from_after",
    "select_buckets",
    "state_after",
]
