"""Provider rules a JSON Schema cannot express, checked offline before any network call.

The rules themselves belong to each provider kind (reconciler.kinds): this module runs a kind's
checks over one bucket's rules as written and places each problem at its path in the file. A
field the dialect's schema refused is left to the schema's message (never reported twice).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from reconciler.config.diagnostics import Finding, Path, quote
from reconciler.kinds import Dialect, Problem, kind_of
from reconciler.kinds.base import is_http_url, unique_ids

__all__ = ["RuleEntry", "bucket_findings", "is_http_url", "provider_findings"]


class RuleEntry(NamedTuple):
    """A rule as written, where it sits, and where its dialect's schema found problems."""

    path: Path
    data: Any
    problems: tuple[Path, ...] = ()

    def clean(self, field: str, *, optional: bool = False) -> bool:
        """`field` is present (or, if optional, absent) and the schema found nothing wrong in it."""
        if not isinstance(self.data, dict):
            return False
        if field not in self.data:
            return optional
        place = self.path + (field,)
        return not any(problem[: len(place)] == place for problem in self.problems)


def provider_findings(path: Path, provider: Mapping[str, Any]) -> Iterator[Finding]:
    endpoint = provider.get("endpoint")
    if isinstance(endpoint, str) and endpoint and not is_http_url(endpoint):
        yield Finding(path + ("endpoint",), f"{quote(endpoint)} is not an http:// or https:// URL with a host")


def dialect_of(provider: Mapping[str, Any]) -> Dialect:
    kind = kind_of(provider["type"])
    return Dialect(kind, provider.get("flavor", kind.flavors[0]) if kind.flavors else None)


def bucket_findings(provider: Mapping[str, Any], rules: Sequence[RuleEntry], bucket: str | None) -> Iterator[Finding]:
    """Problems of one bucket's rules under its provider; fields the schema refused are skipped."""
    dialect = dialect_of(provider)
    for entry in rules:
        if not isinstance(entry.data, dict):
            continue
        for problem in dialect.kind.rule_problems(entry.data, flavor=dialect.flavor, bucket=bucket):
            if not problem.path or entry.clean(str(problem.path[0])):
                yield Finding(entry.path + problem.path, problem.message, problem.hint, problem.at_key)
    with_ids = [entry.data if entry.clean("id") else None for entry in rules]
    yield from (_placed(problem, rules) for problem in unique_ids(with_ids))
    comparable = [
        entry.data if entry.clean("id") and entry.clean("events") and entry.clean("filter", optional=True) else None
        for entry in rules
    ]
    yield from (_placed(problem, rules) for problem in dialect.kind.pair_problems(comparable, flavor=dialect.flavor))
    for shadowing in dialect.shadowing(comparable):
        later, earlier = rules[shadowing.shadowed], rules[shadowing.by]
        message = (
            f"rule {quote(later.data['id'])} can never fire: rule {quote(earlier.data['id'])} comes before it and "
            f"matches every event and object key it matches, and on {dialect.flavor} the first matching rule "
            f"wins; put {quote(later.data['id'])} first or narrow {quote(earlier.data['id'])}"
        )
        yield Finding(later.path, message, see=earlier.path)


def _placed(problem: Problem, rules: Sequence[RuleEntry]) -> Finding:
    entry = rules[problem.index]
    see = rules[problem.see[0]].path + problem.see[1] if problem.see is not None else None
    return Finding(entry.path + problem.path, problem.message, problem.hint, problem.at_key, see)
