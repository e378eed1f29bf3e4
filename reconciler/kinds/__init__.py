"""The registry of provider kinds: one module per kind states everything about it once.

Schema suggestions, validation, codecs, endpoints, credentials, the planner and the renderers
read a kind's facts from here (`kind_of(type)`, `dialect_for(provider)`); adding a provider means
one module here plus its codec, signer and client under `reconciler/providers/`. The emulator
never reads this registry: it keeps its own tables, written from the API documents, so a
mistake here is caught rather than repeated (tests/documented_values.py checks both).

For document-level checks over a whole list of rules (what validation and the planner run):
`dialect_for(provider).check_document(rules, bucket=…)` and `.shadowing(rules)`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from reconciler.kinds import bos, qingstor, s3
from reconciler.kinds.base import Kind, Problem, Shadowing

if TYPE_CHECKING:
    from reconciler.model.config import ProviderConfig
    from reconciler.model.document import Rule

KINDS: dict[str, Kind] = {kind.type: kind for kind in (qingstor.KIND, bos.KIND, s3.KIND)}
_KIND_OF_RULE_MODEL: dict[type, Kind] = {kind.rule_model: kind for kind in KINDS.values()}


def kind_of(provider_type: str) -> Kind:
    return KINDS[provider_type]


@dataclass(frozen=True)
class Dialect:
    """A kind with its flavor (s3 only): the facts planning and rendering need for one provider."""

    kind: Kind
    flavor: str | None = None

    @property
    def type(self) -> str:
        return self.kind.type

    @property
    def rule_model(self) -> type:
        return self.kind.rule_model

    @property
    def ordered(self) -> bool:
        return self.kind.ordered(self.flavor)

    @property
    def sensitive_paths(self) -> tuple[str, ...]:
        return self.kind.sensitive_paths

    def canonical(self, rule: Rule) -> Rule:
        return self.kind.canonical(rule, self.flavor)

    def equivalent(self, a: Rule, b: Rule) -> bool:
        return self.canonical(a) == self.canonical(b)

    def check_document(
        self, rules: Sequence[Mapping[str, Any] | BaseModel], *, bucket: str | None = None
    ) -> list[Problem]:
        """The provider's document-level rules over one bucket's whole list of rules (see Kind)."""
        return self.kind.check_document(rules, flavor=self.flavor, bucket=bucket)

    def shadowing(self, rules: Sequence[Mapping[str, Any] | BaseModel | None]) -> list[Shadowing]:
        """Rules (by index) that can never fire because an earlier one matches first."""
        plain = [rule.model_dump() if isinstance(rule, BaseModel) else rule for rule in rules]
        return self.kind.shadowing(plain, flavor=self.flavor)


def describe_rule(rule: Rule | None) -> str:
    """One line for people: what a rule sends where, on which events; never a secret."""
    if rule is None:
        return "(does not fit the provider's rule format)"
    kind = _KIND_OF_RULE_MODEL.get(type(rule)) or next(k for k in KINDS.values() if isinstance(rule, k.rule_model))
    return kind.describe(rule)


def dialect_for(provider: ProviderConfig) -> Dialect:
    # a model without the field: no getattr, whose AttributeError costs pydantic ~20 µs a bucket
    has_flavor = "flavor" in getattr(type(provider), "model_fields", ("flavor",))
    return Dialect(KINDS[provider.type], getattr(provider, "flavor", None) if has_flavor else None)


__all__ = ["KINDS", "Dialect", "Kind", "Problem", "Shadowing", "describe_rule", "dialect_for", "kind_of"]
