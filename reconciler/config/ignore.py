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
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from reconciler.config.diagnostics import format_path
from reconciler.config.source import DEFAULT_LOCATION, read_source
from reconciler.errors import ReconcilerError
from reconciler.model.common import Frozen
from reconciler.model.ignore import IgnoreEntry, IgnoreList
from reconciler.words import validation_problem

DEFAULT_IGNORE_FILE = ".driftignore.yaml"


class _IgnoreFile(Frozen):
    version: Literal[1] = 1
    ignore: tuple[IgnoreEntry, ...] = ()


def load_ignore_file(path: str | Path, *, today: dt.date) -> IgnoreList:
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


def load_ignore_files(explicit: str | None, config_locations: Sequence[str] | None, *, today: dt.date) -> IgnoreList:
    """--ignore-file, else every `.driftignore.yaml` next to a configuration location (merged)."""
    if explicit is not None:
        return load_ignore_file(explicit, today=today)
    found: list[Path] = []
    for location in config_locations or [DEFAULT_LOCATION]:
        candidate = Path(location).parent / DEFAULT_IGNORE_FILE
        if candidate.is_file() and candidate.resolve() not in {f.resolve() for f in found}:
            found.append(candidate)
    return IgnoreList([entry for path in found for entry in load_ignore_file(path, today=today).entries], today=today)


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
