"""Fixtures of the provider tests: captured wire documents, and a real moto server (one per
pytest process)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.moto import MotoServer, running_moto

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def wire() -> Callable[[str], bytes]:
    """The bytes of a captured wire document under fixtures/, e.g. wire("s3/get_moto_full.xml")."""
    return lambda name: (FIXTURES / name).read_bytes()


@pytest.fixture(scope="session")
def moto() -> Iterator[MotoServer]:
    with running_moto() as server:
        yield server
