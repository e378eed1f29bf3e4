"""What every provider kind states, and the shape of the problems its document checks find.

A kind module (`qingstor.py`, `bos.py`, `s3.py`) subclasses `Kind` once and states everything
about its provider in one place: the rule model, events and enums, limits, credential variables,
endpoint defaults, addressing, rule ordering, sensitive paths, server rewrites undone for
comparison, and the document-level checks (`check_document`) that validation and planning run.

Checks read rules as plain JSON-able mappings, the configuration's own field names (what a
file holds and what `rule.model_dump()` gives), and skip a field that is missing or of the wrong
type: the schema reports those. So the same functions serve `validate` (on parsed files) and the
planner (on the models of the next document).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from pydantic import BaseModel

if TYPE_CHECKING:
    from reconciler.model.config import ProviderConfig
    from reconciler.model.document import Rule

RulePath = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """Something a provider would refuse (or that cannot work) in a document of rules.

    `index` is the rule's position in the list checked, `path` the field inside it (empty: the
    rule as a whole); `see` is another rule (index, path) the message refers to. `code` is stable,
    for JSON output and tests.
    """

    index: int
    path: RulePath
    message: str
    code: str
    see: tuple[int, RulePath] | None = None
    hint: str | None = None
    at_key: bool = False


@dataclass(frozen=True)
class Shadowing:
    """Rule `shadowed` can never fire: rule `by`, earlier in a first-match-wins document, matches
    every object and event it matches (`event` names one example)."""

    shadowed: int
    by: int
    event: str


class Kind:
    """One provider kind; subclasses state its facts as class attributes."""

    type: ClassVar[str]
    title: ClassVar[str]
    rule_model: ClassVar[type]
    provider_model: ClassVar[type]
    # the provider field that names where the store is (zone or region)
    location_field: ClassVar[str]
    # credential field -> environment variables read when the configuration names none, first set wins
    credentials: ClassVar[Mapping[str, tuple[str, ...]]]
    # dotted paths (`[]` for any list item) of rule fields that hold secrets
    sensitive_paths: ClassVar[tuple[str, ...]] = ()
    flavors: ClassVar[tuple[str, ...]] = ()

    def default_endpoint(self, provider: ProviderConfig) -> str | None:
        """The public endpoint for this provider's zone/region; None: the provider must name one."""
        raise NotImplementedError

    def virtual_host(self, provider: ProviderConfig) -> bool:
        """The provider's usual addressing: bucket in the host name (True) or in the path."""
        raise NotImplementedError

    def ordered(self, flavor: str | None) -> bool:
        """Does rule order change behaviour (first match wins)?"""
        return False

    def canonical(self, rule: Rule, flavor: str | None) -> Rule:
        """`rule` with what a server rewrites on read-back undone, for comparison only."""
        return rule

    def describe(self, rule: Any) -> str:
        """One line for people: what a rule sends where, on which events; never a secret."""
        raise NotImplementedError

    def rule_problems(self, rule: Mapping[str, Any], *, flavor: str | None, bucket: str | None) -> Iterator[Problem]:
        """Problems of one rule that its fields alone show (`index` 0; callers renumber)."""
        return iter(())

    def pair_problems(self, rules: Sequence[Mapping[str, Any] | None], *, flavor: str | None) -> Iterator[Problem]:
        """Problems between rules of one document (overlaps); None entries are skipped."""
        return iter(())

    def shadowing(self, rules: Sequence[Mapping[str, Any] | None], *, flavor: str | None) -> list[Shadowing]:
        """Rules that can never fire because an earlier one always matches first."""
        return []

    def check_document(
        self, rules: Sequence[Mapping[str, Any] | BaseModel], *, flavor: str | None = None, bucket: str | None = None
    ) -> list[Problem]:
        """Every document-level rule of the provider over one bucket's whole list of rules (models
        or their plain form): per-rule checks, unique ids, overlaps and limits. Shadowing is
        reported separately (`shadowing`), since the provider accepts a document with a dead rule."""
        rules = [rule.model_dump() if isinstance(rule, BaseModel) else rule for rule in rules]
        found: list[Problem] = []
        for index, rule in enumerate(rules):
            found += [_renumbered(p, index) for p in self.rule_problems(rule, flavor=flavor, bucket=bucket)]
        found += unique_ids(rules)
        found += self.pair_problems(rules, flavor=flavor)
        return found


def _renumbered(problem: Problem, index: int) -> Problem:
    see = problem.see
    return Problem(index, problem.path, problem.message, problem.code, see, problem.hint, problem.at_key)


def unique_ids(rules: Sequence[Mapping[str, Any] | None]) -> Iterator[Problem]:
    first: dict[str, int] = {}
    for index, rule in enumerate(rules):
        rule_id = rule.get("id") if isinstance(rule, Mapping) else None
        if not isinstance(rule_id, str):
            continue
        if rule_id in first:
            message = f"duplicate rule id {rule_id!r} in this bucket"
            yield Problem(index, ("id",), message, "duplicate_id", see=(first[rule_id], ("id",)))
        else:
            first[rule_id] = index


_WHITESPACE = re.compile(r"\s")  # for a str pattern, exactly the characters str.isspace() accepts


def is_http_url(text: str) -> bool:
    """An absolute http(s) URL with a host and nothing unprintable in it."""
    if _WHITESPACE.search(text):
        return False
    try:
        parts = urlsplit(text)
        _ = parts.port  # raises on a malformed port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def safe_url(text: str) -> str:
    """A destination without credentials or query strings, for display."""
    parts = urlsplit(text)
    if parts.scheme in ("http", "https") and parts.hostname:
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{parts.hostname}{port}{parts.path}"
    return text


def strings(value: Any) -> list[str]:
    """A list-of-strings field as a list (a lone string as one item); anything else: empty."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [item for item in value if isinstance(item, str)]
    return []


def text(rule: Mapping[str, Any], name: str) -> str | None:
    value = rule.get(name)
    return value if isinstance(value, str) else None
