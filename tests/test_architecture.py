"""DESIGN §9: data flows one way, and imports follow it. The contracts are declared in `.importlinter`
(a layer for every package and top-level module, what pure and oracle code must not import, no cycles
at any level) and checked here with import-linter, the same check `lint-imports` runs by hand."""

from __future__ import annotations

import configparser
import logging
from pathlib import Path

import pytest
from importlinter.cli import lint_imports

pytestmark = pytest.mark.unit

ROOT = Path(__file__).parents[1]
CONTRACTS = ROOT / ".importlinter"


def test_imports_keep_every_declared_contract(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(ROOT)
    # import-linter configures logging with dictConfig, which disables every logger that exists:
    # give them back as they were, so later tests in this process still log
    loggers = [logger for logger in logging.Logger.manager.loggerDict.values() if isinstance(logger, logging.Logger)]
    disabled = [logger.disabled for logger in loggers]
    try:
        code = lint_imports(config_filename=str(CONTRACTS), no_cache=True, no_logo=True)
    finally:
        for logger, was in zip(loggers, disabled, strict=True):
            logger.disabled = was
    assert code == 0, capsys.readouterr().out


def test_every_package_has_a_layer() -> None:
    """A new package or top-level module must be placed in the layers, not left out of every contract."""
    contracts = configparser.ConfigParser()
    contracts.read(CONTRACTS, encoding="utf-8")
    layers = contracts["importlinter:contract:layers"]
    assert layers["type"] == "layers" and layers.getboolean("exhaustive")
    declared = {name.strip() for line in layers["layers"].split("\n") for name in line.split("|") if name.strip()}
    package = ROOT / "reconciler"
    present = {p.name for p in package.iterdir() if (p / "__init__.py").is_file()}
    present |= {p.stem for p in package.glob("*.py") if p.stem != "__init__"}
    assert present == declared
