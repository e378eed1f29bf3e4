"""Emulator tests run the real server (tests/support/emulator.py) and real SDK clients."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from tests.support.emulator import emulator, emulator_server  # noqa: F401

_real_getaddrinfo = socket.getaddrinfo


@pytest.fixture
def localhost_subdomains(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """`<bucket>.<anything>.localhost` resolves to 127.0.0.1, so SDKs can use virtual-host style."""

    def resolve(host, *args, **kwargs):  # type: ignore[no-untyped-def]
        if isinstance(host, str) and host.endswith(".localhost"):
            host = "127.0.0.1"
        return _real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    yield
