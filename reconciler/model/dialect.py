"""Per-dialect facts the planner needs, kept out of the planner itself.

`canonical(rule)` undoes what a server rewrites on read-back, for comparison only (the rule
written to the wire is always the one the user declared):
- minio: the region token of an `arn:minio:sqs:<region>:<id>:<type>` target;
- ceph: every topic ARN is reduced to its topic name (RGW answers `arn:aws:sns:default::<name>`).
Everything else (set-like fields, defaults, filter-name case, `object_filter(s)`) is already
normalised by the models themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.model.bos import SENSITIVE_PATHS as BOS_SENSITIVE, BosRule
from reconciler.model.config import ProviderConfig
from reconciler.model.document import Rule
from reconciler.model.qingstor import QingStorRule
from reconciler.model.s3 import S3Rule


@dataclass(frozen=True)
class Dialect:
    type: str  # qingstor | bos | s3
    flavor: str | None  # s3 only
    rule_model: type
    ordered: bool  # does rule order change behaviour (jdcloud: first match wins)?
    sensitive_paths: tuple[str, ...] = ()

    def canonical(self, rule: Rule) -> Rule:
        if isinstance(rule, S3Rule):
            if self.flavor == "minio" and rule.target.startswith("arn:minio:sqs:"):
                parts = rule.target.split(":")
                if len(parts) == 6:
                    parts[3] = ""
                    return rule.model_copy(update={"target": ":".join(parts)})
            if self.flavor == "ceph" and rule.target.startswith("arn:"):
                return rule.model_copy(update={"target": rule.target.rsplit(":", 1)[-1]})
        return rule

    def equivalent(self, a: Rule, b: Rule) -> bool:
        return self.canonical(a) == self.canonical(b)


def dialect_for(provider: ProviderConfig) -> Dialect:
    if provider.type == "qingstor":
        return Dialect("qingstor", None, QingStorRule, ordered=False)
    if provider.type == "bos":
        return Dialect("bos", None, BosRule, ordered=False, sensitive_paths=BOS_SENSITIVE)
    return Dialect("s3", provider.flavor, S3Rule, ordered=provider.flavor == "jdcloud")
