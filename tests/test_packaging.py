"""The package metadata: what setuptools reads at every install."""

from __future__ import annotations

import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_license_is_an_spdx_expression():
    """A TOML table makes setuptools warn "`project.license` as a TOML table is deprecated" at
    every build (three times in the quickstart); the SPDX string form is the current one."""
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    assert project["license"] == "Apache-2.0"
    requires = tomllib.loads(PYPROJECT.read_text())["build-system"]["requires"]
    assert "setuptools>=77" in requires  # the first setuptools that reads an SPDX `license` string
