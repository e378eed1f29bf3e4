"""Documented-values tests ask the real emulator over HTTP."""

from tests.support.emulator import emulator, emulator_server  # noqa: F401
