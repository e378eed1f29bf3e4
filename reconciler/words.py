"""Words for messages: quoting values as a file would hold them, lists of choices, near misses."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any


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


_KINDS = {
    "string": "a string",
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "dict": "a mapping",
    "model": "a mapping",
    "list": "a list",
    "tuple": "a list",
    "set": "a list",
    "frozen_set": "a list",
    "datetime": "a date and time (RFC 3339, e.g. 2025-01-31T12:00:00Z)",
    "date": "a date (YYYY-MM-DD)",
    "timezone_aware": "a date and time with a time zone (e.g. 2025-01-31T12:00:00Z)",
    "url": "a URL",
}


def validation_problem(error: Mapping[str, Any]) -> str:
    """One problem of a pydantic ValidationError (an item of `errors()`) in this tool's words:
    never pydantic's ("Input should be a valid tuple"), never a Python literal (None, True)."""
    kind = str(error.get("type", ""))
    context = error.get("ctx") or {}
    value = error.get("input")
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field"
    if kind in ("literal_error", "enum"):
        expected = str(context.get("expected", "")).replace("None", "null")
        return f"must be one of {expected}"
    if kind == "union_tag_invalid":
        return f"must be one of {context.get('expected_tags', '')}"
    if kind == "union_tag_not_found":
        return f"the field {quote(context.get('discriminator', '')).strip(chr(39))} is missing"
    if kind in ("string_too_short", "too_short"):
        least = context.get("min_length", 1)
        if kind == "string_too_short":
            return "must not be empty" if least == 1 else f"must be at least {least} characters long"
        return f"must hold at least {least} item{'s' if least != 1 else ''}"
    if kind in ("string_too_long", "too_long"):
        most = context.get("max_length")
        unit = "characters" if kind == "string_too_long" else "items"
        return (
            f"must be at most {most} {unit} long" if kind == "string_too_long" else f"must hold at most {most} {unit}"
        )
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        words = {
            "greater_than_equal": "at least",
            "greater_than": "more than",
            "less_than_equal": "at most",
            "less_than": "less than",
        }[kind]
        bound = next(iter(context.values()), "")
        return f"must be {words} {bound}"
    for prefix, wanted in _KINDS.items():
        if kind.startswith(prefix + "_") or kind == prefix:
            return f"must be {wanted}, not {_described(value)}"
    if kind in ("value_error", "assertion_error"):
        return str(error.get("msg", "")).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    message = str(error.get("msg", "is not valid"))
    return message.replace("Input should be", "must be").replace("None", "null")


def _described(value: Any) -> str:
    """What kind of value was found, never the value itself (it may be a secret)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a mapping" if isinstance(value, dict) else "a list"


def field_path(location: Iterable[Any]) -> str:
    """`buckets[2].notifications[0].events` from a pydantic location ('buckets', 2, …)."""
    text = ""
    for part in location:
        if isinstance(part, str) and ("[" in part or part.startswith("function-")):
            continue  # pydantic's name for a union member, not a field of the file
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def rule_name(rule_id: str | None, position: int | None = None) -> str:
    """`rule 'thumbs'`, or for a live rule without an Id (servers allow one), where it is: never `rule None`."""
    if rule_id is not None:
        return f"rule {rule_id!r}"
    return "a rule without an id" + (f" (position {position + 1} in the live document)" if position is not None else "")


def id_list(ids: Iterable[str | None]) -> str:
    """Rule ids for a message, `(no id)` for a rule without one."""
    return "[" + ", ".join(repr(i) if i is not None else "(no id)" for i in ids) + "]"
