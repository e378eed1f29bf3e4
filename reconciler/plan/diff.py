"""Field-level explanation of how one rule document differs from another (for people).

Planning decides with model equality; this only says *which fields* differ, as paths such as
`events`, `filter.prefix` or `apps[0].eventUrl`. Lists of scalars (normalised sets) are shown
whole; lists of objects of equal length are compared item by item. Secrets are leaves.
"""

from __future__ import annotations

import re
from typing import Any

from deepdiff import DeepDiff

from reconciler.plan.model import FieldChange

_MISSING = object()


def _is_secret(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"digest", "ref"}


def _pattern(path: str) -> str:
    return re.sub(r"\[\d+\]", "[]", path)


def _dotted(steps: list[str | int]) -> str:
    text = ""
    for step in steps:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else step)
    return text


def _value_at(document: Any, steps: list[str | int]) -> Any:
    node = document
    for step in steps:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return _MISSING
        if node is None:
            return None
    return node


def _field_steps(document_a: Any, document_b: Any, steps: list[str | int]) -> list[str | int]:
    """Shorten a deepdiff path to the field a person thinks of: a whole set, a whole secret."""
    for depth in range(1, len(steps) + 1):
        head = steps[:depth]
        a, b = _value_at(document_a, head), _value_at(document_b, head)
        if _is_secret(a) or _is_secret(b):
            return head
        if isinstance(a, list) or isinstance(b, list):
            same_shape = isinstance(a, list) and isinstance(b, list) and len(a) == len(b)
            objects = same_shape and all(isinstance(item, dict) for item in a + b)
            if not objects:
                return head
    return steps


def field_changes(
    before: dict[str, Any] | None, after: dict[str, Any] | None, sensitive_paths: tuple[str, ...] = ()
) -> tuple[FieldChange, ...]:
    """Every field whose value differs, in path order; None on one side means the field is absent."""
    before, after = before or {}, after or {}
    found: dict[str, list[str | int]] = {}
    for report in DeepDiff(before, after, view="tree").values():
        for level in report:
            steps = _field_steps(before, after, level.path(output_format="list"))
            found.setdefault(_dotted(steps), steps)
    changes = []
    for name in sorted(found):
        old, new = _value_at(before, found[name]), _value_at(after, found[name])
        changes.append(
            FieldChange(
                path=name,
                before=None if old is _MISSING else old,
                after=None if new is _MISSING else new,
                sensitive=_pattern(name) in sensitive_paths or _is_secret(old) or _is_secret(new),
            )
        )
    return tuple(changes)
