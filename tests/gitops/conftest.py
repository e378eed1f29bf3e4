"""The GitOps example as a repository of its own, pointed at the emulator."""

from tests.commands.conftest import moto_server  # noqa: F401  (the recommended remote state, on S3)
from tests.support.emulator import emulator, emulator_server  # noqa: F401
