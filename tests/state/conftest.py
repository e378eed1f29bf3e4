"""Real stores for the state-location tests: moto and Ceph RGW (S3), PostgreSQL, and the local file."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from reconciler.commands.state_location import open_state
from reconciler.state.backend import StateStore
from tests.ceph.conftest import rados_gateway  # noqa: F401
from tests.commands.conftest import moto_server  # noqa: F401
from tests.support.ceph import RadosGateway
from tests.support.moto import MotoServer
from tests.support.postgres import PostgresServer, postgres_server  # noqa: F401


@dataclass
class Remote:
    kind: str  # moto, ceph or postgres
    location: str
    env: dict[str, str]
    opened: list[StateStore] = field(default_factory=list)

    def open(self, location: str | None = None) -> StateStore:
        """A new store on the location (each call: its own connection)."""
        store = open_state(location or self.location, self.env)
        self.opened.append(store)
        return store


def s3_environment(endpoint: str, access_key: str, secret_key: str, region: str) -> dict[str, str]:
    return {
        "AWS_ACCESS_KEY_ID": access_key,
        "AWS_SECRET_ACCESS_KEY": secret_key,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_REGION": region,
    }


def moto_location(server: MotoServer) -> tuple[str, dict[str, str]]:
    bucket = server.new_bucket()
    env = s3_environment(server.endpoint, server.access_key_id, server.secret_access_key, server.region)
    return f"s3://{bucket}/teams/notifications/reconciler.state.json", env


def postgres_location(server: PostgresServer) -> tuple[str, dict[str, str]]:
    return f"{server.url}?state=test-{uuid.uuid4().hex[:12]}", server.env()


@pytest.fixture(params=["moto", "ceph", "postgres"])
def remote(request: pytest.FixtureRequest) -> Iterator[Remote]:
    """A fresh remote location on each real server."""
    kind = request.param
    if kind == "moto":
        location, env = moto_location(request.getfixturevalue("moto_server"))
    elif kind == "ceph":
        gateway: RadosGateway = request.getfixturevalue("rados_gateway")
        bucket = gateway.create_bucket(f"states-{uuid.uuid4().hex[:12]}")
        env = s3_environment(gateway.endpoint, gateway.access_key, gateway.secret_key, gateway.region)
        location = f"s3://{bucket}/reconciler.state.json"
    else:
        location, env = postgres_location(request.getfixturevalue("postgres_server"))
    found = Remote(kind, location, env)
    yield found
    for store in found.opened:
        store.close()


@pytest.fixture
def local_location(tmp_path: Path) -> str:
    return str(tmp_path / "state" / "reconciler.state.json")
