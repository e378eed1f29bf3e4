"""What is wrong with a configuration, and where: one `Diagnostic` per real problem.

Checks (schema, provider rules) produce `Finding`s that know only a JSON path inside one
document; the loader places them in their file as `Diagnostic`s with line and column.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

PathPart = str | int
Path = tuple[PathPart, ...]

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def format_path(path: Path) -> str:
    """`buckets[2].notifications[0].events[1]`; keys that are not plain words are quoted."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _PLAIN_KEY.match(part):
            text += f".{part}" if text else part
        else:
            text += f"[{part!r}]"
    return text


def near_miss(value: object, choices: Iterable[object]) -> str | None:
    """The choice a user probably meant by `value`, if one is close enough."""
    if not isinstance(value, str):
        return None
    options = [str(choice) for choice in choices]
    for option in options:  # a case slip is the likeliest miss
        if option.lower() == value.lower():
            return option
    matches = difflib.get_close_matches(value, options, n=1, cutoff=0.6)
    return matches[0] if matches else None


def quote(value: Any) -> str:
    """A value as it would be written in the file, for messages."""
    if isinstance(value, str):
        return repr(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def one_of(choices: Iterable[object], *, limit: int = 10) -> str:
    """`'a', 'b' or 'c'`; long lists are cut with a count of what was left out."""
    quoted = [quote(choice) for choice in choices]
    if len(quoted) > limit:
        return ", ".join(quoted[: limit - 4]) + f", … ({len(quoted)} values)"
    if len(quoted) == 1:
        return quoted[0]
    return ", ".join(quoted[:-1]) + " or " + quoted[-1]


@dataclass(frozen=True)
class Finding:
    """A problem at a path inside one document.

    `at_key` places it at the key itself rather than its value (unknown or duplicate keys);
    `see` names another place in the same document the message refers to (a first definition).
    """

    path: Path
    message: str
    hint: str | None = None
    at_key: bool = False
    see: Path | None = None


@dataclass(frozen=True)
class Diagnostic:
    """One problem in one file. `line` and `column` are 1-based, None when the whole file is meant."""

    file: str
    line: int | None
    column: int | None
    path: str
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        place = self.file if self.line is None else f"{self.file}:{self.line}:{self.column}"
        text = f"{place}: {self.path}: {self.message}" if self.path else f"{place}: {self.message}"
        return f"{text}; did you mean {self.hint!r}?" if self.hint else text

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.path,
            "message": self.message,
            "hint": self.hint,
            "text": str(self),
        }

    @property
    def sort_key(self) -> tuple[str, int, int]:
        return (self.file, self.line or 0, self.column or 0)
