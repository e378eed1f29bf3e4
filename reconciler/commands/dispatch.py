"""The one table from a command's name to the function that runs it (DESIGN §3).

Each entry imports its command module when it runs, not before: `reconciler validate` never loads
the HTTP stack, nor `reconciler plan` the emulator's server. The imports are written out, so the
architecture contracts (`.importlinter`) and type checkers see every one of them. Each entry
builds its command's typed options (reconciler.commands.options) from the parsed command line, so a
command's `run()` receives only what it declares.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping

from reconciler.commands import options

Runner = Callable[[argparse.Namespace], int]


def _validate(args: argparse.Namespace) -> int:
    from reconciler.commands import validate

    return validate.run(options.from_arguments(options.ValidateOptions, args))


def _plan(args: argparse.Namespace) -> int:
    from reconciler.commands import plan

    return plan.run(options.from_arguments(options.PlanOptions, args))


def _apply(args: argparse.Namespace) -> int:
    from reconciler.commands import apply

    return apply.run(options.from_arguments(options.ApplyOptions, args))


def _drift(args: argparse.Namespace) -> int:
    from reconciler.commands import drift

    return drift.run(options.from_arguments(options.DriftOptions, args))


def _show(args: argparse.Namespace) -> int:
    from reconciler.commands import show

    return show.run(options.from_arguments(options.ShowOptions, args))


def _import(args: argparse.Namespace) -> int:
    from reconciler.commands import import_

    return import_.run(options.from_arguments(options.ImportOptions, args))


def _state(args: argparse.Namespace) -> int:
    from reconciler.commands import state

    return state.run(options.state_options(args))


def _force_unlock(args: argparse.Namespace) -> int:
    from reconciler.commands import force_unlock

    return force_unlock.run(options.from_arguments(options.ForceUnlockOptions, args))


def _emulator(args: argparse.Namespace) -> int:
    from reconciler.commands import emulator

    return emulator.run(options.from_arguments(options.EmulatorOptions, args))


def _show_config(args: argparse.Namespace) -> int:
    from reconciler.commands import show_config

    return show_config.run(options.from_arguments(options.ShowConfigOptions, args))


def _fmt(args: argparse.Namespace) -> int:
    from reconciler.commands import fmt

    return fmt.run(options.from_arguments(options.FmtOptions, args))


def _completion(args: argparse.Namespace) -> int:
    from reconciler.commands import completion

    return completion.run(options.from_arguments(options.CompletionOptions, args))


COMMANDS: Mapping[str, Runner] = {
    "validate": _validate,
    "plan": _plan,
    "apply": _apply,
    "drift": _drift,
    "show": _show,
    "import": _import,
    "state": _state,
    "force-unlock": _force_unlock,
    "emulator": _emulator,
    "show-config": _show_config,
    "fmt": _fmt,
    "completion": _completion,
}


def run_command(args: argparse.Namespace) -> int:
    """Run the command `args.command` names (the parser admits only names of this table)."""
    return int(COMMANDS[args.command](args))
