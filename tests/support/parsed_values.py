"""Helpers for differential tests of the configuration readers: two parsers must give the same value."""

from __future__ import annotations

from typing import Any


def typed(value: Any) -> Any:
    """A value with the type of every scalar and the order of every mapping spelt out (1, 1.0, True differ)."""
    if isinstance(value, dict):
        return ("mapping", [(key, typed(item)) for key, item in value.items()])
    if isinstance(value, list):
        return ("list", [typed(item) for item in value])
    return (type(value).__name__, repr(value))


def value_paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path of the value itself and of everything nested in it, depth first."""
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += value_paths(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += value_paths(item, path + (index,))
    return found
