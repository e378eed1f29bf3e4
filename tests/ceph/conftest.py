"""Fixtures for the tests that run against a real Ceph RADOS Gateway (tests/support/ceph.py).

One cluster per pytest process: under xdist each worker that runs a ceph test starts its own
(about 2 s, 150 MB). A cluster shared by all workers would need cross-process reference
counting to know when the last one is done, and could not be tied to one owning process, which
is what guarantees that an interrupted or killed run leaves no daemon behind.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from tests.support.ceph import EventSink, GatewayUnavailable, RadosGateway, start_gateway, stop_gateway

TOPICS = ("alpha", "beta")  # each pushes to the event sink's /<topic> path
_bucket_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def rados_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RadosGateway]:
    try:
        gateway = start_gateway(tmp_path_factory.mktemp("ceph"))
    except GatewayUnavailable as error:
        pytest.fail(str(error), pytrace=False)  # these tests must run in CI: never a skip
    try:
        yield gateway
    finally:
        stop_gateway(gateway)


@pytest.fixture(scope="session")
def event_sink() -> Iterator[EventSink]:
    sink = EventSink()
    try:
        yield sink
    finally:
        sink.close()


@pytest.fixture(scope="session")
def ceph_topics(rados_gateway: RadosGateway, event_sink: EventSink) -> dict[str, str]:
    """Topic name -> ARN as RGW returns it (`arn:aws:sns:default::<name>`)."""
    return {name: rados_gateway.create_topic(name, event_sink.url(name)) for name in TOPICS}


@pytest.fixture
def ceph_bucket(rados_gateway: RadosGateway, ceph_topics: dict[str, str]) -> str:
    """A new, empty bucket for this test; the topics exist, whatever order tests run in."""
    return rados_gateway.create_bucket(f"bucket-{next(_bucket_numbers):04d}")
