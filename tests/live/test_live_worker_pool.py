"""The worker pool behind live reads and bucket writes: every item once, never more than `parallelism` at a time."""

from __future__ import annotations

import asyncio

import pytest

from reconciler.live.reader import for_each

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("items", "parallelism", "expected_peak"), [(20, 3, 3), (2, 8, 2), (0, 4, 0)])
def test_every_item_runs_once_with_at_most_parallelism_in_flight(items: int, parallelism: int, expected_peak: int):
    done: list[int] = []
    running = peak = 0

    async def work(item: int) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        for _ in range(3):  # stay in flight while the other workers start
            await asyncio.sleep(0)
        running -= 1
        done.append(item)

    asyncio.run(for_each(range(items), work, parallelism=parallelism))
    assert sorted(done) == list(range(items))
    assert peak == expected_peak
