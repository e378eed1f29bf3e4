"""The command line a person meets: help for every command and argument, shell completion
(commands, flags, addresses from the state), one colour decision, progress on stderr."""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.cli import build_parser, main
from reconciler.commands.console import Heartbeat, Output, color_decision

REPO = Path(__file__).resolve().parents[1]


def _parsers(parser: argparse.ArgumentParser, name: str = "reconciler"):
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice, sub in action.choices.items():
                yield from _parsers(sub, f"{name} {choice}")


def test_every_command_and_argument_is_described():
    missing = []
    for name, parser in _parsers(build_parser()):
        if name != "reconciler" and not parser.description:
            missing.append(f"{name}: no description")
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                missing += [f"{name} {c.dest}: no help" for c in action._choices_actions if not c.help]
            elif not action.help or action.help == argparse.SUPPRESS:
                missing.append(f"{name} {action.dest}: no help")
            elif "see the command" in action.help:
                missing.append(f"{name} {action.dest}: help points elsewhere")
    assert missing == []


STATE = (
    '{"version": 1, "serial": 1, "lineage": "l", "tool_version": "0", "buckets": {"qs/photos": {"provider": "qs", '
    '"bucket": "photos", "type": "qingstor", "live_fingerprint": "x", "applied_at": "2025-01-01T00:00:00Z", '
    '"rules": {"thumbs": {"id": "thumbs", "event_types": ["create_object"], "cloudfunc": "image", '
    '"cloudfunc_args": {"action": "resize"}}}}}}'
)


def test_validate_with_a_state_names_what_it_manages_that_is_no_longer_declared(tmp_path, capsys):
    state = tmp_path / "s.json"
    state.write_text(STATE)
    config = tmp_path / "c.yaml"
    config.write_text("version: 1\nproviders:\n  qs: {type: qingstor, zone: pek3b}\nbuckets: []\n")
    assert main(["validate", "-c", str(config), "--state", str(state)]) == 0
    out = capsys.readouterr().out
    assert (
        "Warning: qs/photos: no configuration declares this bucket any more, so the next apply deletes the rule" in out
    )
    assert "(thumbs)" in out
    assert main(["validate", "-c", str(config)]) == 0
    assert "Warning" not in capsys.readouterr().out  # without --state, nothing but the configuration is read
    assert main(["validate", "-c", str(config), "--state", str(state), "--format", "json"]) == 0
    assert "no configuration declares this bucket" in json.loads(capsys.readouterr().out)["warnings"][0]
    state.write_text(STATE.replace('"live_fingerprint"', '"imported": ["thumbs"], "live_fingerprint"'))
    assert main(["validate", "-c", str(config), "--state", str(state)]) == 0
    assert "Warning" not in capsys.readouterr().out  # an imported rule is kept, not deleted
    state.write_text(STATE)
    config.write_text("version: 1\nproviders: {}\nbuckets: []\n")
    assert main(["validate", "-c", str(config), "--state", str(state)]) == 0
    assert "1 rule of provider 'qs', which is not configured" in capsys.readouterr().out


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_script_for_each_shell(shell, capsys):
    assert main(["completion", shell]) == 0
    script = capsys.readouterr().out
    assert "reconciler" in script and "_ARGCOMPLETE" in script


def _complete(line: str, tmp_path: Path) -> list[str]:
    """What the shell's completion function gets back for the command line `line` (cursor at the end)."""
    out = tmp_path / "completions"
    env = {
        **os.environ,
        "_ARGCOMPLETE": "1",
        "_ARGCOMPLETE_IFS": "\n",
        "COMP_LINE": line,
        "COMP_POINT": str(len(line)),
        "ARGCOMPLETE_USE_TEMPFILES": "1",
        "_ARGCOMPLETE_STDOUT_FILENAME": str(out),
    }
    result = subprocess.run(
        [sys.executable, "-m", "reconciler"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return [word.strip() for word in out.read_text().split("\n") if word.strip()]


def test_completion_offers_commands_flags_and_state_addresses(tmp_path):
    state = tmp_path / "s.json"
    state.write_text(STATE)
    assert "state" in _complete("reconciler st", tmp_path)
    assert "--detailed-exitcode" in _complete("reconciler plan --det", tmp_path)
    offered = _complete(f"reconciler state rm --state {state} qs/", tmp_path)
    assert offered == ["qs/photos", "qs/photos/thumbs"]
    assert _complete(f"reconciler plan --state {state} --target qs/photos/", tmp_path) == ["qs/photos/thumbs"]


def test_bash_completes_through_the_printed_script(tmp_path):
    """The script `completion bash` prints, loaded in a real bash, completes a command."""
    script = (
        "source <(reconciler completion bash)\n"
        'COMP_LINE="reconciler sta"; COMP_POINT=${#COMP_LINE}; COMP_WORDS=(reconciler sta); COMP_CWORD=1\n'
        "_python_argcomplete reconciler sta reconciler\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    result = subprocess.run(
        ["bash", "-c", script],
        env={**os.environ, "PATH": path},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert [word.strip() for word in result.stdout.split()] == ["state"]


def test_completion_offers_configured_addresses_to_target_and_import(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text(
        "version: 1\nproviders:\n  qs: {type: qingstor, zone: pek3b}\nbuckets:\n  - provider: qs\n    bucket: new\n"
        "    notifications:\n      - {id: r1, event_types: [create_object], cloudfunc: tupu-porn}\n"
    )
    state = tmp_path / "s.json"
    state.write_text(STATE)
    offered = _complete(f"reconciler plan -c {config} --state {state} --target qs/", tmp_path)
    assert offered == ["qs/new", "qs/new/r1", "qs/photos", "qs/photos/thumbs"]
    assert _complete(f"reconciler import -c {config} --state {state} qs/n", tmp_path) == ["qs/new", "qs/new/r1"]


class _Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


@pytest.mark.parametrize(
    ("flag", "environ", "tty", "expected"),
    [
        (False, {}, True, True),
        (False, {}, False, False),
        (True, {}, True, False),
        (False, {"NO_COLOR": "1"}, True, False),
        (False, {"NO_COLOR": ""}, True, True),  # no-color.org: set and not empty
        (False, {"FORCE_COLOR": "1"}, False, True),  # CI logs that render colour
        (False, {"FORCE_COLOR": ""}, False, False),
        (False, {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False, False),
        (True, {"FORCE_COLOR": "1"}, False, False),
        (False, {"TERM": "dumb"}, True, False),
        (False, {"TERM": "dumb", "FORCE_COLOR": "1"}, True, True),
    ],
)
def test_one_colour_decision(flag, environ, tty, expected):
    assert color_decision(flag, _Stream(tty), environ) is expected


def test_force_color_colours_a_pipe_through_the_cli(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("version: 1\nproviders: {}\nbuckets: []\n")
    run = lambda **env: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "reconciler", "validate", "-c", str(config)],
        env={**{k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run(FORCE_COLOR="1").stdout.startswith("\x1b[32mSuccess!\x1b[0m")
    assert run().stdout.startswith("Success!")
    assert run(FORCE_COLOR="1", NO_COLOR="1").stdout.startswith("Success!")


def test_output_draws_a_bar_only_on_a_terminal_with_colour():
    args = argparse.Namespace(no_color=False, heartbeat=30.0)
    plain = Output(color=False, draw_progress=False, heartbeat=5.0).progress("plan")
    assert isinstance(plain, Heartbeat) and plain.interval == 5.0
    assert type(Output(heartbeat=0).progress("plan")).__name__ == "Quiet"
    assert Output.for_args(args, environ={"TERM": "dumb"}).draw_progress is False


def test_heartbeat_line_counts_buckets_and_time():
    now = [100.0]
    beat = Heartbeat("plan", interval=3600, stream=io.StringIO(), clock=lambda: now[0])
    beat.read_started(3)
    beat.bucket_read("qs/a", None)
    now[0] += 42
    assert beat.line() == "plan: reading: 1 of 3 buckets done, 42s elapsed"
    beat.read_finished()
    assert beat.line() is None


def test_a_heartbeat_cut_short_stops_when_closed():
    beat = Heartbeat("apply", interval=3600, stream=io.StringIO())
    beat.writes_started(5)
    thread = beat._thread
    assert thread is not None and thread.is_alive()
    beat.close()
    assert not thread.is_alive() and beat.line() is None
