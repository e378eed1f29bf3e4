"""Field-level explanation of how one rule document differs from another (for people).

Planning decides with model equality; this only says *which fields* differ, as paths such as
`events`, `filter.prefix` or `apps[0].eventUrl`. Lists of scalars (normalised sets) are shown
whole; lists of objects of equal length are compared item by item; a secret is one field.
A direct walk of two small JSON trees: deepdiff gives the same answer at ~1 ms a rule, too slow
for plans of 10,000 buckets.
"""

from __future__ import annotations

import re
from typing import Any

from reconciler.plan.model import FieldChange
from reconciler.plan.rules import is_secret


def _differences(before: Any, after: Any, path: str, found: dict[str, tuple[Any, Any]]) -> None:
    if before == after:
        return
    if isinstance(before, dict) and isinstance(after, dict) and not (is_secret(before) or is_secret(after)):
        for key in {**before, **after}:
            _differences(before.get(key), after.get(key), f"{path}.{key}" if path else key, found)
    elif (
        isinstance(before, list)
        and isinstance(after, list)
        and len(before) == len(after)
        and all(isinstance(item, dict) for item in before + after)
    ):
        for index, (old, new) in enumerate(zip(before, after)):
            _differences(old, new, f"{path}[{index}]", found)
    else:
        found[path] = (before, after)


def field_changes(
    before: dict[str, Any] | None, after: dict[str, Any] | None, sensitive_paths: tuple[str, ...] = ()
) -> tuple[FieldChange, ...]:
    """Every field whose value differs, in path order; None on one side means the field is absent."""
    found: dict[str, tuple[Any, Any]] = {}
    _differences(before or {}, after or {}, "", found)
    return tuple(
        FieldChange(
            path=path,
            before=old,
            after=new,
            sensitive=re.sub(r"\[\d+\]", "[]", path) in sensitive_paths or is_secret(old) or is_secret(new),
        )
        for path, (old, new) in sorted(found.items())
    )
