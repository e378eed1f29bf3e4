"""The CLI as separate processes: a terminal prompt, two applies at once, SIGKILL and Ctrl-C
in the middle of an apply, and the `-v` HTTP log."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reconciler.state import load_state, read_lock_info
from reconciler.state.journal import journal_path
from tests.commands.conftest import Project
from tests.commands.dialects import BOS_SECRET, BY_NAME, Case
from tests.support.emulator import RunningEmulator

QS = BY_NAME["qs"]
WAIT_SECONDS = 60
LATENCY_SECONDS = 0.15


def command(project: Project, *argv: str) -> list[str]:
    return [sys.executable, "-m", "reconciler", *project.args(*argv)]


def environment(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "1", "BOS_NOTIFY_KEY": BOS_SECRET, **extra}


def start(project: Project, *argv: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        command(project, *argv),
        cwd=project.root,
        env=environment(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def applied_buckets(state) -> int:  # type: ignore[no-untyped-def]
    """Buckets recorded as applied (not only noted as about to be written)."""
    return 0 if state is None else sum(1 for entry in state.buckets.values() if entry.rules)


def setup_buckets(project: Project, emulator: RunningEmulator, names: list[str], case: Case = QS) -> None:
    for name in names:
        case.create(emulator, name)
    project.configure({case.name: case.provider(emulator)}, [case.bucket(n, case.rule) for n in names])


def converges(project: Project, emulator: RunningEmulator, names: list[str]) -> None:
    result = project.cli("apply", "--auto-approve")
    assert result.code == 0, result.output
    assert project.cli("plan", "--detailed-exitcode").code == 0
    assert sorted(load_state(project.state).buckets) == sorted(QS.address(n) for n in names)
    for name in names:
        assert QS.ids(emulator, name) == [QS.rule["id"]]


def run_in_terminal(project: Project, answer: str, *argv: str, **env: str) -> tuple[int, str]:
    """Run with stdin, stdout and stderr on a pseudo-terminal; answer the prompt."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        command(project, *argv),
        cwd=project.root,
        env=environment(**env),
        stdin=follower,
        stdout=follower,
        stderr=follower,
    )
    os.close(follower)
    output = b""
    answered = False
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal closes when the process ends
                break
            if not chunk:
                break
            output += chunk
        if not answered and b"Only 'yes' will be accepted:" in output:
            os.write(leader, answer.encode() + b"\n")
            answered = True
    os.close(leader)
    return process.wait(timeout=WAIT_SECONDS), output.decode("utf-8", "replace")


@pytest.fixture(autouse=True)
def bos_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOS_NOTIFY_KEY", BOS_SECRET)


def test_terminal_prompt_yes_applies_in_colour(project: Project, emulated: RunningEmulator) -> None:
    setup_buckets(project, emulated, ["asked"])

    code, output = run_in_terminal(project, "yes", "apply")

    assert code == 0, output
    assert "Do you want to perform these actions? Only 'yes' will be accepted:" in output
    assert "\x1b[" in output  # colour on a terminal
    assert QS.ids(emulated, "asked") == [QS.rule["id"]]


def test_terminal_prompt_anything_else_cancels(project: Project, emulated: RunningEmulator) -> None:
    setup_buckets(project, emulated, ["declined"])

    code, output = run_in_terminal(project, "y", "apply", NO_COLOR="1")

    assert code == 1
    assert "apply cancelled; nothing was changed" in output
    assert "\x1b[" not in output
    assert QS.writes(emulated, "declined") == 0 and not project.state.exists()


@pytest.mark.parametrize(("flags", "env"), [(("--no-color",), {}), ((), {"NO_COLOR": "1"})], ids=["flag", "env"])
def test_no_color_on_a_terminal_means_no_escape_codes_even_from_progress_bars(
    project: Project, emulated: RunningEmulator, flags: tuple[str, ...], env: dict[str, str]
) -> None:
    setup_buckets(project, emulated, ["slow"])
    emulated.admin.set_faults(bucket="slow", latency_ms=800)  # long enough for the progress bars to show

    code, output = run_in_terminal(project, "", "apply", "--auto-approve", *flags, **env)

    assert code == 0, output
    assert "Apply complete!" in output
    assert "\x1b" not in output


def test_a_terminal_shows_a_progress_bar_while_a_slow_endpoint_answers(
    project: Project, emulated: RunningEmulator
) -> None:
    setup_buckets(project, emulated, ["slow"])
    emulated.admin.set_faults(bucket="slow", latency_ms=2000)  # the bar shows after 0.5 s, no bucket done yet

    code, output = run_in_terminal(project, "", "plan")

    assert code == 0, output
    assert "plan: reading" in output and "0/1" in output  # rich's bar: description, then done/total
    assert "bucket done" not in output  # no heartbeat lines where a bar is drawn


@pytest.mark.parametrize("env", [{"TERM": "dumb"}, {"NO_COLOR": "1"}], ids=["dumb", "no-color"])
def test_a_terminal_that_cannot_draw_gets_heartbeat_lines(
    project: Project, emulated: RunningEmulator, env: dict[str, str]
) -> None:
    setup_buckets(project, emulated, ["slow"])
    emulated.admin.set_faults(bucket="slow", latency_ms=1500)

    code, output = run_in_terminal(project, "", "plan", "--heartbeat", "100ms", **env)

    assert code == 0, output
    assert "plan: reading: 0 of 1 bucket done" in output
    assert "\x1b" not in output


def test_two_applies_at_once_never_both_write(project: Project, emulated: RunningEmulator) -> None:
    setup_buckets(project, emulated, ["contended"])
    emulated.admin.set_faults(bucket="contended", latency_ms=400)
    first = start(project, "apply", "--auto-approve")
    wait_for(lambda: read_lock_info(project.state) is not None, "the first apply to take the lock")
    holder = read_lock_info(project.state)

    second = project.cli("apply", "--auto-approve")
    waiting = project.cli("apply", "--auto-approve", "--lock-timeout", "60s")

    out, err = first.communicate(timeout=WAIT_SECONDS)
    assert first.returncode == 0, out + err
    assert second.code == 1 and "is locked by" in second.err and holder.ID in second.err
    assert waiting.code == 0, waiting.output  # it waited, then found nothing left to do
    assert emulated.admin.requests("qingstor", "contended")["PUT"] == 1


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGINT], ids=["sigkill", "ctrl-c"])
def test_an_apply_stopped_midway_leaves_a_valid_state_and_the_next_converges(
    project: Project, emulated: RunningEmulator, stop: signal.Signals
) -> None:
    names = [f"many-{i}" for i in range(8)]
    setup_buckets(project, emulated, names)
    emulated.admin.set_faults(latency_ms=LATENCY_SECONDS * 1000)
    process = start(project, "apply", "--auto-approve", "--parallelism", "2")
    # buckets are recorded as they finish
    wait_for(lambda: applied_buckets(load_state(project.state)), "the first bucket recorded")

    process.send_signal(stop)
    out, err = process.communicate(timeout=WAIT_SECONDS)

    expected = -signal.SIGKILL if stop == signal.SIGKILL else 130
    assert process.returncode == expected, out + err
    assert "Traceback" not in err
    recorded = load_state(project.state)  # valid, whatever instant it was stopped at
    assert 1 <= applied_buckets(recorded) < len(names)
    # a small state is saved whole after each bucket: the file itself holds what was applied
    raw = json.loads(project.state.read_text())["buckets"].values()
    assert 1 <= sum(1 for entry in raw if entry.get("rules")) < len(names)
    assert not journal_path(project.state).exists()
    left = read_lock_info(project.state)
    if stop == signal.SIGKILL:  # the OS lock died with the process; its record can be removed by ID
        assert left is not None
        unlocked = project.cli("force-unlock", left.ID)
        assert unlocked.code == 0 and left.ID in unlocked.out
    else:
        assert left is None  # Ctrl-C releases the lock cleanly
    emulated.admin.clear_faults()
    # A PUT the stopped process left in flight still lands after its injected latency; the next
    # apply would rightly refuse it as a change since its plan, so let it land first.
    time.sleep(LATENCY_SECONDS * 4)
    converges(project, emulated, names)
    assert not journal_path(project.state).exists()  # folded into the state by the next apply


def test_verbose_logs_requests_without_secrets(project: Project, emulated: RunningEmulator, tmp_path: Path) -> None:
    case = BY_NAME["bj"]
    setup_buckets(project, emulated, ["logged"], case)

    process = start(project, "apply", "--auto-approve", "-v")
    out, err = process.communicate(timeout=WAIT_SECONDS)

    assert process.returncode == 0, out + err
    assert "reconciler.http" in err and "PUT" in err
    for secret in (BOS_SECRET, emulated.secret_key):
        assert secret not in out + err
