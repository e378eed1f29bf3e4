"""What is wrong with a configuration, and where: one `Diagnostic` per real problem.

Checks (schema, provider rules) produce `Finding`s that know only a JSON path inside one
document; the loader places them in their file as `Diagnostic`s with line and column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from reconciler.words import near_miss, one_of, quote

__all__ = ["Diagnostic", "Finding", "Path", "PathPart", "format_path", "near_miss", "one_of", "quote"]

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
