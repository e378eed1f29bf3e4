"""The GitOps example as a repository of its own, pointed at the emulator."""

from tests.support.emulator import emulator, emulator_server  # noqa: F401
