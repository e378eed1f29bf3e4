"""Bucket entries as written, expanded into one plain bucket configuration per bucket.

An entry names its buckets with exactly one of `bucket`, `buckets` or `select`, and gets its
rules from the rule sets it `use`s (in order, with its `overrides` of scalar fields) followed by
its own `notifications`; `${bucket}`, `${provider}` and declared `vars` are substituted per
bucket. Every expanded rule remembers where it was written (and where each overridden field
was), so a problem found in it is reported at that file and line, for the bucket it was
expanded for. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler.config.diagnostics import Diagnostic, Finding, Path
from reconciler.config.source import SourceFile
from reconciler.config.variables import BUILTIN, substitute

__all__ = ["EXPANDED", "ExpandedBucket", "ExpandedRule", "RuleSet", "place", "with_buckets"]

EXPANDED = "@"  # first part of the path of an expanded rule while it is checked


@dataclass(frozen=True)
class Place:
    source: SourceFile
    path: Path


@dataclass(frozen=True)
class RuleSet:
    name: str
    source: SourceFile
    path: Path
    dialect: str
    rules: tuple[Any, ...]
    defaults: Mapping[str, str | None]  # declared vars; None: every entry using the set gives it


@dataclass(frozen=True)
class ExpandedRule:
    data: Any
    origin: Place
    overridden: Mapping[str, Place] = field(default_factory=dict)  # field -> where its value was written


@dataclass(frozen=True)
class ExpandedBucket:
    """One bucket as the configuration means it, in plain data (what show-config prints)."""

    provider: str
    bucket: str
    ownership: str
    rules: tuple[Any, ...]
    entry: str  # file:line:column of the entry it came from
    selected: bool = False  # by a selector
    adopt: tuple[str, ...] = ()  # ids of declared rules that may take over a live foreign rule


def expand_rules(
    rule_sets: Sequence[RuleSet],
    own: Sequence[Any],
    own_place: Place,
    overrides: Mapping[str, Mapping[str, tuple[Any, Place]]],
    variables: Mapping[str, str],
    *,
    substitute_own: bool = True,
) -> list[ExpandedRule]:
    """The rules of one bucket: each rule set's, overridden, then the entry's own; all substituted."""
    rules: list[ExpandedRule] = []
    for rule_set in rule_sets:
        for index, rule in enumerate(rule_set.rules):
            data = substitute(rule, variables)
            rule_id = rule.get("id") if isinstance(rule, dict) else None
            changes = overrides.get(rule_id) if isinstance(rule_id, str) else None
            overridden: dict[str, Place] = {}
            if changes:
                data = {**data, **{name: substitute(value, variables) for name, (value, _) in changes.items()}}
                overridden = {name: place for name, (_, place) in changes.items()}
            rules.append(
                ExpandedRule(data, Place(rule_set.source, rule_set.path + ("notifications", index)), overridden)
            )
    for index, rule in enumerate(own):
        data = substitute(rule, variables) if substitute_own else rule
        rules.append(ExpandedRule(data, Place(own_place.source, own_place.path + (index,))))
    return rules


def bucket_variables(
    rule_sets: Sequence[RuleSet], given: Mapping[str, str], *, provider: str, bucket: str
) -> dict[str, str]:
    defaults = {name: value for rule_set in rule_sets for name, value in rule_set.defaults.items() if value is not None}
    return {**defaults, **given, BUILTIN[0]: bucket, BUILTIN[1]: provider}


def place(finding: Finding, rules: Sequence[ExpandedRule]) -> tuple[SourceFile, Finding]:
    """Where a finding on an expanded rule (path `@`, index, ...) was written."""
    origin, path = _written(finding.path, rules)
    see = None
    message = finding.message
    if finding.see is not None:
        see_origin, see_path = _written(finding.see, rules)
        if see_origin.source is origin.source:
            see = see_path
        else:
            message += f" (see {see_origin.source.where(see_path)})"
    return origin.source, Finding(path, message, finding.hint, finding.at_key, see)


def _written(path: Path, rules: Sequence[ExpandedRule]) -> tuple[Place, Path]:
    if len(path) < 2 or path[0] != EXPANDED or not isinstance(path[1], int):
        raise ValueError(f"not a path of an expanded rule: {path!r}")
    rule, rest = rules[path[1]], path[2:]
    if rest and isinstance(rest[0], str) and rest[0] in rule.overridden:
        where = rule.overridden[rest[0]]
        return where, where.path + rest[1:]
    return rule.origin, rule.origin.path + rest


def with_buckets(diagnostic: Diagnostic, addresses: Sequence[str], entry: str, *, selector: bool) -> Diagnostic:
    """The diagnostic of an expanded entry, saying which buckets it was found for and which entry made them."""
    if selector:
        suffix = f" (for every bucket the selector of the entry at {entry} matches)"
    elif len(addresses) == 1:
        suffix = f" (expanded for bucket {addresses[0]} by the entry at {entry})"
    else:
        others = len(addresses) - 1
        suffix = (
            f" (expanded for bucket {addresses[0]} and {others} other bucket{'s' if others > 1 else ''} "
            f"by the entry at {entry})"
        )
    return Diagnostic(
        diagnostic.file,
        diagnostic.line,
        diagnostic.column,
        diagnostic.path,
        diagnostic.message + suffix,
        diagnostic.hint,
    )
