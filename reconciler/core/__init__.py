"""Neutral helpers every layer may use and that use nothing of the tool: addresses, the clock, exit codes."""

from reconciler.core.address import BucketAddress, RuleAddress, parse_address, split_address
from reconciler.core.clock import Clock, utc_now
from reconciler.core.exit_codes import EXIT_CHANGES, EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK

__all__ = [
    "EXIT_CHANGES",
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "BucketAddress",
    "Clock",
    "RuleAddress",
    "parse_address",
    "split_address",
    "utc_now",
]
