"""The clock the commands pass inward, and the exit codes of DESIGN §3."""

from __future__ import annotations

from datetime import UTC

import pytest

from reconciler.core import EXIT_CHANGES, EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, utc_now

pytestmark = pytest.mark.unit


def test_now_is_utc_to_the_second() -> None:
    now = utc_now()
    assert now.tzinfo is UTC
    assert now.microsecond == 0


def test_exit_codes_are_the_documented_ones() -> None:
    assert (EXIT_OK, EXIT_ERROR, EXIT_CHANGES, EXIT_INTERRUPTED) == (0, 1, 2, 130)
