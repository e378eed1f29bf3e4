"""Ownership tests run the CLI in-process against the real emulator (the `ws` workspace)."""

from tests.support.cli_workspace import ws  # noqa: F401
from tests.support.emulator import emulator, emulator_server  # noqa: F401
