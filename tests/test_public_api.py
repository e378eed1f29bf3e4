"""Each package's public face: `__all__` sorted (constants, classes, functions), naming only objects
that exist, and listing everything its `__init__` imports for re-export."""

from __future__ import annotations

import importlib
import inspect

import pytest

pytestmark = pytest.mark.unit

PACKAGES = [
    "reconciler.config",
    "reconciler.core",
    "reconciler.drift",
    "reconciler.live",
    "reconciler.model",
    "reconciler.plan",
    "reconciler.render",
    "reconciler.state",
]


def _isort_key(name: str) -> tuple[int, str]:
    # the order ruff's RUF022 keeps: SCREAMING_CASE, then CamelCase, then the rest
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


@pytest.mark.parametrize("package", PACKAGES)
def test_all_is_sorted(package: str) -> None:
    public = importlib.import_module(package).__all__
    assert list(public) == sorted(public, key=_isort_key)
    assert len(set(public)) == len(public)


@pytest.mark.parametrize("package", PACKAGES)
def test_all_names_only_existing_objects(package: str) -> None:
    module = importlib.import_module(package)
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert missing == []


@pytest.mark.parametrize("package", PACKAGES)
def test_all_lists_every_re_export(package: str) -> None:
    module = importlib.import_module(package)
    imported = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and not inspect.ismodule(value) and name != "annotations"
    }
    assert imported - set(module.__all__) == set()
