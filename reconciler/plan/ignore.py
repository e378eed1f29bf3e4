"""The drift ignore file: known, accepted differences, each with a reason and an expiry date.

    # .driftignore.yaml (next to the configuration, or --ignore-file)
    version: 1
    ignore:
      - address: qs/photos/porn-check                # a whole rule
        reason: the security team tunes it by hand until TICKET-42 lands
        expires: 2026-12-31
      - address: jd/uploads/jpg-callback:filter.prefix   # one field (and everything under it)
        reason: prefix migration in progress
        expires: 2026-09-30

An entry applies up to and including its `expires` day (UTC) and not after: expired entries are
reported as such, so accepted noise never becomes permanent blindness. Matching is by exact
address, never by pattern, for the same reason.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator

from reconciler.config.diagnostics import format_path
from reconciler.config.source import read_source
from reconciler.errors import ReconcilerError
from reconciler.model.common import Frozen
from reconciler.words import validation_problem

DEFAULT_IGNORE_FILE = ".driftignore.yaml"


class IgnoreEntry(Frozen):
    address: str = Field(description="<provider>/<bucket>/<rule-id>[:field.path]")
    reason: str
    expires: dt.date

    @field_validator("address")
    @classmethod
    def _is_rule_or_field_address(cls, value: str) -> str:
        parts = value.split("/", 2)
        if len(parts) != 3 or not all(part.strip() for part in parts):
            raise ValueError(f"{value!r} is not a rule address <provider>/<bucket>/<rule-id> (optionally :field.path)")
        return value

    @property
    def bucket_address(self) -> str:
        return "/".join(self.address.split("/", 2)[:2])

    @field_validator("reason")
    @classmethod
    def _reason_given(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a reason is required: say why this difference is accepted")
        return value.strip()

    def active_on(self, today: dt.date) -> bool:
        return today <= self.expires


class _IgnoreFile(Frozen):
    version: Literal[1] = 1
    ignore: tuple[IgnoreEntry, ...] = ()


def field_ancestors(path: str) -> list[str]:
    """`apps[0].xVars` → [`apps[0].xVars`, `apps[0]`, `apps`]: an ignored field covers what is under it."""
    cuts = [m.start() for m in re.finditer(r"[.\[]", path)]
    return [path] + [path[:cut] for cut in reversed(cuts)]


class IgnoreList:
    """The entries of one ignore file, split by expiry on one day."""

    def __init__(self, entries: Iterable[IgnoreEntry] = (), *, today: dt.date | None = None) -> None:
        self.today = today or dt.datetime.now(dt.UTC).date()
        self.entries = entries = tuple(entries)
        self.active = tuple(e for e in entries if e.active_on(self.today))
        self.expired = tuple(e for e in entries if not e.active_on(self.today))
        self._by_address = {e.address: e for e in self.active}

    def for_rule(self, rule_address: str) -> IgnoreEntry | None:
        return self._by_address.get(rule_address)

    def for_field(self, rule_address: str, path: str) -> IgnoreEntry | None:
        """The entry covering this field or the whole rule, if any."""
        for candidate in field_ancestors(path):
            entry = self._by_address.get(f"{rule_address}:{candidate}")
            if entry is not None:
                return entry
        return self.for_rule(rule_address)


def load_ignore_file(path: str | Path, *, today: dt.date | None = None) -> IgnoreList:
    """Read and check an ignore file; every problem is reported at once, with line and column."""
    path = Path(path)
    # the configuration's reader: size, encoding, YAML and duplicate-key problems, with positions
    source = read_source(str(path))
    if not source.parsed:
        raise ReconcilerError("\n".join(f"ignore file {problem}" for problem in source.diagnostics))
    problems = [str(problem) for problem in source.diagnostics]
    if source.data is None and not problems:
        return IgnoreList(today=today)
    try:
        parsed = _IgnoreFile.model_validate(source.data)
    except ValidationError as exc:
        for error in exc.errors():
            # a mapping or list is pointed at by its key, a scalar by its value
            line, column = source.position(error["loc"], at_key=isinstance(error["input"], (dict, list)))
            field = format_path(error["loc"]) or "(top level)"
            problems.append(f"{path}:{line}:{column}: {field}: {_message(error)}")
        raise _invalid(path, problems) from None
    first_line: dict[str, int] = {}
    for index, entry in enumerate(parsed.ignore):
        line, column = source.position(("ignore", index))
        if entry.address in first_line:
            problems.append(
                f"{path}:{line}:{column}: {entry.address} is listed twice (first at line {first_line[entry.address]})"
            )
        first_line.setdefault(entry.address, line)
    if problems:
        raise _invalid(path, problems)
    return IgnoreList(parsed.ignore, today=today)


def _invalid(path: Path, problems: list[str]) -> ReconcilerError:
    count = len(problems)
    listing = "\n".join(f"  {p}" for p in problems)
    return ReconcilerError(f"ignore file {path} is invalid ({count} problem{'s' if count != 1 else ''}):\n{listing}")


def _message(error: Any) -> str:
    kind = error["type"]
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        expected = "address, reason, expires" if len(error["loc"]) > 1 else "version, ignore"
        return f"unknown field (expected {expected})"
    if kind.startswith("date"):
        return f"{error.get('input')!r} is not a date (YYYY-MM-DD)"
    if kind == "literal_error":
        return f"{error.get('input')!r} is not a supported version (expected 1)"
    return validation_problem(error)
