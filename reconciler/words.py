"""Words for messages: quoting values as a file would hold them, lists of choices, near misses."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
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
