"""The wall clock, read only at the edges (commands, the apply engine) and passed inward as a value."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """Now, in UTC, to the second: what plans, reports and state records carry."""
    return datetime.now(UTC).replace(microsecond=0)
