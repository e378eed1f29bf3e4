"""How a command runs its asynchronous part: on uvloop where it is installed (less CPU per
request than asyncio's own loop), and with the result handed back outside the loop.

`asyncio.run(main())` would build the text representation of whatever `main()` returns while
the loop shuts down (reprlib, in Python 3.11's task bookkeeping): for a plan of 10,000 buckets
that is a pydantic repr of the whole plan, about a tenth of the command's CPU, for nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency except on Windows
        return None
    return uvloop.new_event_loop


def run(main: Coroutine[Any, Any, T]) -> T:
    """`main()`'s result (or exception), the loop closed and every connection with it."""
    box: list[T] = []

    async def keep() -> None:
        box.append(await main)

    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        runner.run(keep())
    return box[0]
