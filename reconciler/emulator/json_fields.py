"""Field checks for the JSON dialects (QingStor, BOS): each failure names the JSON path.

`FieldError.shape` tells a missing field or a wrong type (BOS: InappropriateJSON) from a
well-typed but unacceptable value (BOS: InvalidArgument); QingStor answers both alike.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any


class FieldError(Exception):
    def __init__(self, path: str, message: str, *, shape: bool) -> None:
        super().__init__(f"{path}: {message}")
        self.shape = shape


def obj(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FieldError(path, "must be a JSON object", shape=True)
    return value


def text(parent: dict[str, Any], key: str, path: str, *, required: bool = True) -> str | None:
    value = parent.get(key)
    if value is None:
        if required:
            raise FieldError(f"{path}.{key}", "is required", shape=True)
        return None
    if not isinstance(value, str):
        raise FieldError(f"{path}.{key}", "must be a string", shape=True)
    if required and not value:
        raise FieldError(f"{path}.{key}", "must not be empty", shape=False)
    return value


def texts(
    parent: dict[str, Any],
    key: str,
    path: str,
    *,
    required: bool = True,
    choices: Sequence[str] | None = None,
    lone_string: bool = False,
) -> list[str] | None:
    """A non-empty list of strings (or, with `lone_string`, a single string taken as a list)."""
    value = parent.get(key)
    if value is None:
        if required:
            raise FieldError(f"{path}.{key}", "is required", shape=True)
        return None
    if lone_string and isinstance(value, str):
        value = [value] if value else []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise FieldError(f"{path}.{key}", "must be a list of strings", shape=True)
    if required and not value:
        raise FieldError(f"{path}.{key}", "must not be empty", shape=False)
    for index, item in enumerate(value):
        if choices is not None:
            choose(item, choices, f"{path}.{key}[{index}]")
    return list(value)


def choose(value: str, choices: Sequence[str], path: str) -> str:
    if value not in choices:
        hint = difflib.get_close_matches(value, choices, n=1)
        maybe = f"; did you mean {hint[0]!r}?" if hint else ""
        raise FieldError(path, f"{value!r} is not one of {', '.join(choices)}{maybe}", shape=False)
    return value
