"""Ownership over time (bucket identity, whole-document checks, refresh, state mv): the CLI in-process
against the real emulator."""

from tests.support.cli_workspace import ws  # noqa: F401
from tests.support.emulator import emulator, emulator_server  # noqa: F401
