"""Each command's options, typed: one frozen dataclass per command, built from the parsed command
line in one place (`from_arguments`), so a command's `run()` reads only the options it declares.

The parser (reconciler.cli) owns flags, defaults and help; these classes name what each command
receives. A field's default is used only where the parser has no such argument for that command
(`--no-color` and `-v` are merged by `cli.parse_arguments`; a hand-built Namespace may omit them).
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any, TypeVar

DEFAULT_HEARTBEAT = 30.0


@dataclasses.dataclass(frozen=True, kw_only=True)
class Display:
    """What every command that prints has: `--no-color` and `-v`."""

    no_color: bool = False
    verbose: bool = False


@dataclasses.dataclass(frozen=True, kw_only=True)
class Timeouts:
    """`--timeout` (connect and read) and `--request-timeout`; None where not given."""

    timeout: float | None = None
    request_timeout: float | None = None

    def overrides(self) -> dict[str, float | None]:
        return {"connect": self.timeout, "read": self.timeout, "request": self.request_timeout}


@dataclasses.dataclass(frozen=True, kw_only=True)
class LiveRead(Display, Timeouts):
    """The commands that read live buckets over `--target`s: plan, apply and drift."""

    config: tuple[str, ...] | None
    state: str
    format: str
    target: tuple[str, ...] | None = None
    parallelism: int = 10
    heartbeat: float = DEFAULT_HEARTBEAT

    @property
    def targets(self) -> tuple[str, ...]:
        """The `--target` addresses; empty for all."""
        return self.target or ()


@dataclasses.dataclass(frozen=True, kw_only=True)
class ValidateOptions(Display):
    config: tuple[str, ...] | None
    format: str
    state: str | None = None
    expand: bool = False


@dataclasses.dataclass(frozen=True, kw_only=True)
class ShowConfigOptions(Display, Timeouts):
    config: tuple[str, ...] | None
    format: str
    offline: bool = False
    parallelism: int = 10


@dataclasses.dataclass(frozen=True, kw_only=True)
class FmtOptions(Display):
    config: tuple[str, ...] | None
    check: bool = False
    diff: bool = False


@dataclasses.dataclass(frozen=True, kw_only=True)
class PlanOptions(LiveRead):
    confirm_identity: tuple[str, ...] | None = None
    refresh_only: bool = False
    out: str | None = None
    detailed_exitcode: bool = False


@dataclasses.dataclass(frozen=True, kw_only=True)
class ApplyOptions(LiveRead):
    confirm_identity: tuple[str, ...] | None = None
    refresh_only: bool = False
    lock_timeout: float = 0.0
    planfile: str | None = None
    auto_approve: bool = False


@dataclasses.dataclass(frozen=True, kw_only=True)
class DriftOptions(LiveRead):
    ignore_file: str | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class ShowOptions(Display):
    state: str
    format: str
    planfile: str | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class ImportOptions(Display, Timeouts):
    config: tuple[str, ...] | None
    state: str
    address: str
    lock_timeout: float = 0.0


@dataclasses.dataclass(frozen=True, kw_only=True)
class StateListOptions(Display):
    state: str
    format: str
    addresses: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True, kw_only=True)
class StateRmOptions(Display):
    state: str
    addresses: tuple[str, ...]
    lock_timeout: float = 0.0


@dataclasses.dataclass(frozen=True, kw_only=True)
class StateMvOptions(Display):
    state: str
    source: str
    destination: str
    lock_timeout: float = 0.0


@dataclasses.dataclass(frozen=True, kw_only=True)
class StateMigrateOptions(Display):
    state: str
    to: str
    lock_timeout: float = 0.0


StateOptions = StateListOptions | StateRmOptions | StateMvOptions | StateMigrateOptions

STATE_SUBCOMMANDS: dict[str, type[StateOptions]] = {
    "list": StateListOptions,
    "rm": StateRmOptions,
    "mv": StateMvOptions,
    "migrate": StateMigrateOptions,
}


@dataclasses.dataclass(frozen=True, kw_only=True)
class ForceUnlockOptions(Display):
    state: str
    lock_id: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class EmulatorOptions:
    host: str
    port: int
    data: str | None = None
    access_key: str | None = None
    secret_key: str | None = None
    keys_file: str | None = None
    region: str | None = None
    s3_flavor: str = "aws"
    verbose: bool = False


@dataclasses.dataclass(frozen=True, kw_only=True)
class CompletionOptions:
    shell: str


Options = TypeVar("Options")


def _value(value: Any) -> Any:
    """Repeatable flags and positional lists become tuples: the options are frozen."""
    return tuple(value) if isinstance(value, list) else value


def from_arguments(kind: type[Options], args: argparse.Namespace) -> Options:
    """`kind`'s options from the parsed command line: each declared field from the argument of its
    name (a field the parser did not give takes its declared default). Nothing else is carried over."""
    given = vars(args)
    fields = dataclasses.fields(kind)  # type: ignore[arg-type]
    return kind(**{field.name: _value(given[field.name]) for field in fields if field.name in given})


def state_options(args: argparse.Namespace) -> StateOptions:
    """The options of the `state` subcommand the command line names."""
    return from_arguments(STATE_SUBCOMMANDS[args.state_command], args)
