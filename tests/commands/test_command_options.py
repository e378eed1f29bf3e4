"""Each command's run() receives its own typed, frozen options, built in one place from the parsed
command line: every argument the parser gives a command is declared by its options, and nothing else."""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import inspect

import pytest

from reconciler.cli import build_parser, parse_arguments
from reconciler.commands import options
from reconciler.commands.dispatch import COMMANDS

# a command line per command (and state subcommand), and the options its run() takes
COMMAND_LINES = {
    ("validate",): ("validate", options.ValidateOptions),
    ("show-config",): ("show_config", options.ShowConfigOptions),
    ("fmt",): ("fmt", options.FmtOptions),
    ("plan",): ("plan", options.PlanOptions),
    ("apply",): ("apply", options.ApplyOptions),
    ("drift",): ("drift", options.DriftOptions),
    ("show",): ("show", options.ShowOptions),
    ("import", "qs/photos"): ("import_", options.ImportOptions),
    ("state", "list"): ("state", options.StateListOptions),
    ("state", "rm", "qs/photos"): ("state", options.StateRmOptions),
    ("state", "mv", "qs/a", "qs/b"): ("state", options.StateMvOptions),
    ("state", "migrate", "--to", "other.json"): ("state", options.StateMigrateOptions),
    ("force-unlock", "1234"): ("force_unlock", options.ForceUnlockOptions),
    ("emulator",): ("emulator", options.EmulatorOptions),
    ("completion", "bash"): ("completion", options.CompletionOptions),
}
ROUTING = {"command", "state_command"}  # which command runs, not an option of it


def _options(argv: tuple[str, ...]) -> tuple[argparse.Namespace, object]:
    args = parse_arguments(list(argv))
    built = options.state_options(args) if args.command == "state" else None
    if built is None:
        built = options.from_arguments(COMMAND_LINES[argv][1], args)
    return args, built


@pytest.mark.unit
def test_every_command_of_the_parser_has_a_command_line_here() -> None:
    commands = {argv[0] for argv in COMMAND_LINES}
    assert commands == set(COMMANDS)
    parser = build_parser()
    state = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices["state"]
    subcommands = next(a for a in state._actions if isinstance(a, argparse._SubParsersAction)).choices
    assert set(subcommands) == set(options.STATE_SUBCOMMANDS)


@pytest.mark.unit
@pytest.mark.parametrize("argv", list(COMMAND_LINES), ids=" ".join)
def test_the_options_declare_exactly_the_arguments_the_parser_gives(argv: tuple[str, ...]) -> None:
    args, built = _options(argv)
    kind = COMMAND_LINES[argv][1]
    assert type(built) is kind
    declared = {field.name for field in dataclasses.fields(kind)}
    assert declared == set(vars(args)) - ROUTING


@pytest.mark.unit
@pytest.mark.parametrize("argv", list(COMMAND_LINES), ids=" ".join)
def test_run_takes_its_own_options(argv: tuple[str, ...]) -> None:
    module, kind = COMMAND_LINES[argv]
    run = importlib.import_module(f"reconciler.commands.{module}").run
    annotation = inspect.signature(run).parameters["args"].annotation
    expected = "StateOptions" if module == "state" else kind.__name__
    assert annotation == expected


@pytest.mark.unit
def test_options_are_frozen_and_repeatable_flags_become_tuples() -> None:
    _, built = _options(("plan",))
    args = parse_arguments(["plan", "--target", "qs/a", "--target", "qs/b", "-c", "x.yaml", "--timeout", "5s"])
    plan = options.from_arguments(options.PlanOptions, args)
    assert plan.target == ("qs/a", "qs/b") and plan.targets == ("qs/a", "qs/b") and plan.config == ("x.yaml",)
    assert plan.overrides() == {"connect": 5.0, "read": 5.0, "request": None}
    assert built.targets == ()  # type: ignore[attr-defined]
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.parallelism = 3  # type: ignore[misc]


@pytest.mark.unit
def test_flags_before_the_command_reach_its_options() -> None:
    args = parse_arguments(["--no-color", "-v", "drift"])
    drift = options.from_arguments(options.DriftOptions, args)
    assert drift.no_color and drift.verbose
    emulator = options.from_arguments(options.EmulatorOptions, parse_arguments(["-v", "emulator"]))
    assert emulator.verbose and not hasattr(emulator, "no_color")
