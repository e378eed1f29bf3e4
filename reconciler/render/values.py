"""How rule values read in every human format: JSON literals, secrets always redacted, and
control characters from data made visible (`printable`)."""

from __future__ import annotations

import json
from typing import Any

from reconciler.model.common import REDACTED, printable
from reconciler.plan.rules import is_secret

__all__ = ["leaves", "literal", "printable"]


def literal(value: Any, sensitive: bool = False) -> str:
    if sensitive or is_secret(value):
        return REDACTED
    return json.dumps(value, ensure_ascii=False)


def leaves(document: dict[str, Any] | None, prefix: str = "") -> list[tuple[str, Any]]:
    """(path, value) of every present field: nested objects flattened, sets and secrets whole."""
    found: list[tuple[str, Any]] = []
    for key, value in (document or {}).items():
        path = f"{prefix}.{key}" if prefix else key
        if value is None:
            continue
        if isinstance(value, dict) and not is_secret(value):
            found.extend(leaves(value, path))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for index, item in enumerate(value):
                found.extend(leaves(item, f"{path}[{index}]"))
        else:
            found.append((path, value))
    return found
