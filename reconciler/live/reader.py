"""Concurrent reading of live notification documents: the apply guard, plan, drift and import.

`read_live(clients, addresses, parallelism=..., progress=...)` reads every bucket with at most
`parallelism` requests in flight over the clients' pooled connections. A bucket that cannot be
read does not stop the others: its ProviderError is collected in `LiveRead.errors`, and its caller
reports that bucket on its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from reconciler.core.address import BucketAddress
from reconciler.errors import ProviderError
from reconciler.model.document import LiveDocument
from reconciler.providers.base import NotificationClient

T = TypeVar("T")


def with_address(error: ProviderError, address: str) -> ProviderError:
    """Name the bucket in a provider error that does not name it yet (clients know only buckets)."""
    if error.address != address:
        error.address = address
        error.args = (error.describe(),)
    return error


async def for_each(items: Iterable[T], work: Callable[[T], Awaitable[None]], *, parallelism: int) -> None:
    """Await `work(item)` for every item, at most `parallelism` at a time.

    A fixed pool of workers, not one task per item: 10,000 buckets stay cheap.
    """
    queue: asyncio.Queue[T] = asyncio.Queue()
    for item in items:
        queue.put_nowait(item)

    async def worker() -> None:
        while not queue.empty():
            await work(queue.get_nowait())

    await asyncio.gather(*(worker() for _ in range(min(parallelism, queue.qsize()))))


class ReadProgress(Protocol):
    """Told about a live read as it goes; a progress bar implements it."""

    def read_started(self, total: int) -> None: ...

    def bucket_read(self, address: str, error: ProviderError | None) -> None: ...

    def read_finished(self) -> None: ...


@dataclass
class LiveRead:
    """Documents read, by bucket address, and the errors of buckets that could not be read."""

    documents: dict[str, LiveDocument] = field(default_factory=dict)
    errors: dict[str, ProviderError] = field(default_factory=dict)


async def read_live(
    clients: Mapping[str, NotificationClient],
    addresses: Iterable[str],
    *,
    parallelism: int,
    progress: ReadProgress | None = None,
) -> LiveRead:
    """Read every bucket address with at most `parallelism` requests in flight.

    `clients` maps provider names to open clients; every address is a planned `<provider>/<bucket>`
    whose provider is in it.
    Returns as soon as every bucket is read or has failed; never raises a ProviderError.
    """
    pending = sorted(set(addresses))
    result = LiveRead()
    if progress is not None:
        progress.read_started(len(pending))

    async def read_one(address: str) -> None:
        where = BucketAddress.of(address)
        error: ProviderError | None = None
        try:
            result.documents[address] = await clients[where.provider].read(where.bucket)
        except ProviderError as exc:
            error = result.errors[address] = with_address(exc, address)
        if progress is not None:
            progress.bucket_read(address, error)

    try:
        await for_each(pending, read_one, parallelism=parallelism)
    finally:
        if progress is not None:
            progress.read_finished()
    return result
