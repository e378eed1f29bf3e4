"""Providers never import plan, apply, render, commands or cli (DESIGN §9)."""

from __future__ import annotations

import ast
from pathlib import Path

import reconciler.providers

FORBIDDEN = ("reconciler.plan", "reconciler.apply", "reconciler.render", "reconciler.commands", "reconciler.cli")


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_providers_stay_below_the_engine():
    package = Path(reconciler.providers.__file__).parent
    offending = {
        f"{path.relative_to(package)}: {name}"
        for path in package.rglob("*.py")
        for name in _imports(path)
        if name.startswith(FORBIDDEN)
    }
    assert not offending
