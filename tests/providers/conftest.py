"""Fixtures of the provider tests: captured wire documents, a fake server for httpx's
MockTransport, a retry policy that records instead of sleeping, and a real moto server (one per
pytest process)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from reconciler.providers.http import RetryPolicy
from reconciler.providers.registry import client_for
from tests.support.moto import MotoServer, running_moto

FIXTURES = Path(__file__).parent / "fixtures"
FROZEN = datetime(2025, 1, 1, tzinfo=UTC)
KEYS = {
    "QINGSTOR_ACCESS_KEY_ID": "QSAK",
    "QINGSTOR_SECRET_ACCESS_KEY": "qs-secret-value",
    "BCE_ACCESS_KEY_ID": "BCEAK",
    "BCE_SECRET_ACCESS_KEY": "bce-secret-value",
    "AWS_ACCESS_KEY_ID": "AWSAK",
    "AWS_SECRET_ACCESS_KEY": "aws-secret-value",
}

Handler = Callable[[httpx.Request], httpx.Response]


@dataclass
class FakeServer:
    """Answers with `handler` (or queued responses) and keeps every request it saw."""

    handler: Handler | None = None
    queue: list[httpx.Response | Exception] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        if self.queue:
            answer = self.queue.pop(0)
            if isinstance(answer, Exception):
                raise answer
            return answer
        assert self.handler is not None, f"unexpected request {request.method} {request.url}"
        return self.handler(request)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    def policy(self, jitter: float = 0.0) -> RetryPolicy:
        return RetryPolicy(sleep=self.sleep, jitter=lambda: jitter)

    def client(self, provider, *, environ=None, jitter: float = 0.0, parallelism: int = 10):  # type: ignore[no-untyped-def]
        return client_for(
            provider,
            parallelism=parallelism,
            environ=KEYS if environ is None else environ,
            transport=httpx.MockTransport(self),
            retry=self.policy(jitter),
            clock=lambda: FROZEN,
        )

    @property
    def calls(self) -> list[tuple[str, str]]:
        return [(r.method, str(r.url)) for r in self.requests]


@pytest.fixture
def server() -> FakeServer:
    return FakeServer()


@pytest.fixture
def wire() -> Callable[[str], bytes]:
    """The bytes of a captured wire document under fixtures/, e.g. wire("s3/get_moto_full.xml")."""
    return lambda name: (FIXTURES / name).read_bytes()


@pytest.fixture(scope="session")
def moto() -> Iterator[MotoServer]:
    with running_moto() as server:
        yield server
