"""Rules as plan documents: normalised JSON-able dicts with secrets as digests, and back.

A sensitive path (`Dialect.sensitive_paths`, e.g. BOS `encryption.key`) holds a `SecretValue`,
which dumps as `{"digest": "sha256:…", "ref": {"env": …} | null}`: never the clear value.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from reconciler.errors import CredentialError, PlanFileError
from reconciler.kinds import Dialect
from reconciler.model.common import SecretRef, SecretValue, digest_of, reached
from reconciler.model.document import Rule
from reconciler.plan.staleness import secret_changed
from reconciler.words import field_path, validation_problem

# (reference, what it is for) -> the clear value, or CredentialError; the caller decides where secrets come from
SecretResolver = Callable[[SecretRef, str], str]


def is_secret(value: Any) -> bool:
    """Is this a secret as plans and state hold it: `{"digest": …, "ref": …}`?"""
    return isinstance(value, dict) and "digest" in value and set(value) <= {"digest", "ref"}


def _without_empty(value: Any) -> Any:
    """Drop absent fields (None, empty sets) so documents show only what a rule says."""
    if isinstance(value, dict):
        pruned = {key: _without_empty(item) for key, item in value.items()}
        return {key: item for key, item in pruned.items() if item not in (None, [], {})}
    if isinstance(value, list):
        return [_without_empty(item) for item in value]
    return value


def rule_document(rule: Rule, dialect: Dialect) -> dict[str, Any]:
    """The normalised rule as a plan/state dict. Refuses a secret that was never resolved."""
    document = _without_empty(rule.model_dump(mode="json"))
    for path in dialect.sensitive_paths:
        for container, key in reached(document, path):
            value = container[key]
            if not is_secret(value):
                raise TypeError(f"rule {rule.id!r}: secret {path} must be resolved before planning")
    return document


def sensitive_map(document: dict[str, Any] | None, dialect: Dialect) -> dict[str, Any]:
    """Terraform's true-leaf map: `{"encryption": {"key": true}}` where a secret is present."""
    if document is None:
        return {}
    marks: dict[str, Any] = {}
    for path in dialect.sensitive_paths:
        if reached(document, path):
            node = marks
            parts = [p.removesuffix("[]") for p in path.split(".")]
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            node[parts[-1]] = True
    return marks


def unparsed_document(raw: Any, dialect: Dialect) -> dict[str, Any]:
    """A live entry that fits no model, shown as it is with any secret replaced by its digest."""
    if not isinstance(raw, dict):
        return {"raw": raw if isinstance(raw, str) else json.dumps(raw, sort_keys=True)}
    document = copy.deepcopy(raw)
    for path in dialect.sensitive_paths:
        for container, key in reached(document, path):
            value = container[key]
            clear = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
            container[key] = {"digest": digest_of(clear), "ref": None}
    return document


def rule_from_after(dialect: Dialect, after: dict[str, Any], resolve: SecretResolver) -> Rule:
    """Rebuild the rule to write from a saved plan's `after`, secrets re-resolved from their `ref` by `resolve`.

    Raises CredentialError when a reference cannot be resolved, StalePlanError when it now
    resolves to a value whose digest differs from the one planned, PlanFileError when `after`
    is not a rule of the dialect (a plan edited by hand).
    """
    document = copy.deepcopy(after)
    rule_id = document.get("id")
    for path in dialect.sensitive_paths:
        for container, key in reached(document, path):
            if not is_secret(container[key]):
                raise PlanFileError(f"rule {rule_id!r}: secret {path} is not a digest with a reference in the plan")
            planned = _valid(SecretValue, container[key], f"rule {rule_id!r}: secret {path}")
            if planned.ref is None:
                raise CredentialError(f"rule {rule_id!r}: secret {path} has no reference to resolve it from")
            clear = resolve(planned.ref, f"secret {path} of rule {rule_id!r}")
            resolved = SecretValue.of(clear, planned.ref)
            if resolved.digest != planned.digest:
                raise secret_changed(rule_id, path)
            container[key] = resolved  # a model instance passes validation as is, clear value included
    return _valid(dialect.rule_model, document, f"rule {rule_id!r} is not a valid {dialect.type} rule")


def _valid(model: Any, document: Any, what: str) -> Any:
    """`model` validated from a plan's document; PlanFileError naming the first problem (never its value)."""
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = field_path(first["loc"]) or "(top level)"
        raise PlanFileError(f"{what}: {where}: {validation_problem(first)}") from None


def parsed_record(value: dict[str, Any] | Rule, dialect: Dialect) -> Rule | None:
    """A recorded rule document as its model (None for a record of a shape the model no longer reads)."""
    if not isinstance(value, dict):
        return value
    try:
        return dialect.rule_model.model_validate(value)
    except ValidationError:
        return None


def comparable_document(rule: Rule | None, original: dict[str, Any] | Rule, dialect: Dialect) -> dict[str, Any]:
    """A rule document in the dialect's canonical form, each secret reduced to its digest."""
    if rule is not None:
        return _without_refs(rule_document(dialect.canonical(rule), dialect), dialect)
    assert isinstance(original, dict)
    return _without_refs(original, dialect)


def _without_refs(document: dict[str, Any], dialect: Dialect) -> dict[str, Any]:
    """Where a secret came from is configuration, not content: keep only its digest."""
    if not dialect.sensitive_paths:
        return document
    document = copy.deepcopy(document)
    for path in dialect.sensitive_paths:
        for container, key in reached(document, path):
            value = container[key]
            if isinstance(value, dict) and "digest" in value:
                container[key] = {"digest": value["digest"], "ref": None}
    return document
