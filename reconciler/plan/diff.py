"""Field-level explanation of how one rule document differs from another (for people).

Planning decides with model equality; deepdiff only says *which fields* differ, and only for
rules that changed. Paths read `events`, `filter.prefix` or `apps[0].eventUrl`: lists of
scalars (normalised sets) are shown whole, lists of objects of equal length item by item, and a
secret is one field.
"""

from __future__ import annotations

import re
from typing import Any

from deepdiff import DeepDiff

from reconciler.kinds import Dialect
from reconciler.model.document import Rule
from reconciler.plan.model import FieldChange
from reconciler.plan.rules import comparable_document, is_secret, parsed_record

_ABSENT = object()


def _step(node: Any, key: Any) -> Any:
    if isinstance(node, dict):
        return node.get(key, _ABSENT)
    if isinstance(node, list) and isinstance(key, int) and key < len(node):
        return node[key]
    return _ABSENT


def _explained_path(raw: list[Any], before: Any, after: Any) -> tuple[Any, ...]:
    """Cut deepdiff's path where people expect one field: at a secret or a list shown whole."""
    kept: list[Any] = []
    old, new = before, after
    for key in raw:
        if is_secret(old) or is_secret(new):
            break
        if isinstance(key, int):
            itemised = (
                isinstance(old, list)
                and isinstance(new, list)
                and len(old) == len(new)
                and all(isinstance(item, dict) for item in old + new)
            )
            if not itemised:
                break
        kept.append(key)
        old, new = _step(old, key), _step(new, key)
    return tuple(kept)


def _format(path: tuple[Any, ...]) -> str:
    text = ""
    for key in path:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else str(key))
    return text


def _value(document: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        document = _step(document, key)
        if document is _ABSENT:
            return None
    return document


def field_changes(
    before: dict[str, Any] | None, after: dict[str, Any] | None, sensitive_paths: tuple[str, ...] = ()
) -> tuple[FieldChange, ...]:
    """Every field whose value differs, in path order; None on one side means the field is absent."""
    before, after = before or {}, after or {}
    tree = DeepDiff(before, after, view="tree")
    paths = {
        _explained_path(level.path(output_format="list"), before, after)
        for levels in tree.values()
        for level in levels
    }
    changes = []
    for path in sorted(paths, key=_format):
        name = _format(path)
        old, new = _value(before, path), _value(after, path)
        changes.append(
            FieldChange(
                path=name,
                before=old,
                after=new,
                sensitive=re.sub(r"\[\d+\]", "[]", name) in sensitive_paths or is_secret(old) or is_secret(new),
            )
        )
    return tuple(changes)


def outside_changes(recorded: dict[str, Any], live: Rule, dialect: Dialect) -> tuple[FieldChange, ...]:
    """How an owned rule's live content differs from what the state recorded at the last apply:
    changes made outside reconciler (before: the record, after: live; secrets by digest)."""
    recorded_rule = parsed_record(recorded, dialect)
    if recorded_rule is not None and dialect.equivalent(recorded_rule, live):
        return ()
    before = comparable_document(recorded_rule, recorded, dialect)
    return field_changes(before, comparable_document(live, live, dialect), dialect.sensitive_paths)
