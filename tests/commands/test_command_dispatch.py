"""One dispatch table names every command the parser accepts, and each entry runs its command's module."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.cli import build_parser
from reconciler.commands.dispatch import COMMANDS


def parser_commands() -> set[str]:
    actions = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return set(actions[0].choices)


@pytest.mark.unit
def test_every_command_of_the_parser_has_an_entry() -> None:
    assert set(COMMANDS) == parser_commands()


@pytest.mark.unit
def test_an_entry_runs_its_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = tmp_path / "none.json"
    args = argparse.Namespace(command="state", state_command="list", state=str(state), format="json", addresses=[])
    assert COMMANDS["state"](args) == 0
    assert capsys.readouterr().out.strip().startswith("[")


def test_a_command_loads_only_what_it_needs() -> None:
    """validate never loads the emulator's server or the apply engine (the table imports a command when it runs)."""
    probe = (
        "import sys\n"
        "from reconciler.cli import main\n"
        "main(['validate', '--config', 'nowhere.yaml'])\n"
        "print(sorted(m for m in sys.modules if m.startswith(('reconciler.emulator', 'reconciler.apply.engine', 'uvicorn', 'starlette'))))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=Path(__file__).parents[2])
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stderr
