"""scripts/quickstart.sh end to end: a copy of the repository in an awkward directory name, run
from another directory, reusing this interpreter (RECONCILER_PYTHON) instead of installing."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """The parts of the repository the script reads, under a name with spaces and quotes."""
    root = tmp_path / "my 'checkout' (copy)"
    shutil.copytree(REPO / "scripts", root / "scripts")
    shutil.copytree(REPO / "examples", root / "examples")
    return root


def run_quickstart(root: Path, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "QY_", "BCE_"))}
    environ.update(env)
    return subprocess.run(
        ["bash", str(root / "scripts" / "quickstart.sh")],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


def emulator_pid(output: str) -> int:
    match = re.search(r"Emulator at http://127\.0\.0\.1:\d+ \(pid (\d+)\)", output)
    assert match, output
    return int(match.group(1))


def is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()


def test_quickstart_runs_the_main_job_and_shows_drift(checkout, tmp_path):
    work = tmp_path / "work"
    result = run_quickstart(checkout, tmp_path, RECONCILER_PYTHON=sys.executable, RECONCILER_QUICKSTART_DIR=str(work))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    for step in ("reconciler validate", "reconciler plan", "reconciler apply --auto-approve", "reconciler drift"):
        assert f"==> {step}" in output
    assert '= foreign rule "legacy-audit" kept' in output
    assert "No changes." in output  # the plan right after apply
    assert "~ porn-check  MODIFIED" in output
    assert 'notify_url: "https://hooks.example.com/qingstor" → "https://hooks.example.net/hand-edited"' in output
    assert "drift exited 2, as expected" in output
    assert "quickstart-bos-signing-key" not in output  # the BOS secret is never shown
    assert not is_running(emulator_pid(output))
    assert (work / "state" / "reconciler.state.json").is_file()
    # the committed example is untouched: only the generated copy points at the emulator
    committed = (checkout / "examples" / "quickstart" / "notifications.yaml").read_text()
    assert not re.search(r"^\s*endpoint:", committed, re.MULTILINE)
    assert "endpoint: http://127.0.0.1:" in (work / "notifications.yaml").read_text()


def test_quickstart_fails_loudly_and_still_stops_the_emulator(checkout, tmp_path):
    example = checkout / "examples" / "quickstart" / "notifications.yaml"
    example.write_text(example.read_text().replace("create_object]", "create_objct]", 1))
    result = run_quickstart(
        checkout, tmp_path, RECONCILER_PYTHON=sys.executable, RECONCILER_QUICKSTART_DIR=str(tmp_path / "work")
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "did you mean 'create_object'" in output
    assert "quickstart failed: validate rejected the example" in output
    assert not is_running(emulator_pid(output))


def test_quickstart_without_a_usable_python_says_so_before_touching_anything(checkout, tmp_path):
    old_python = tmp_path / "python3.9"
    old_python.write_text("#!/bin/sh\nexit 1\n")
    old_python.chmod(0o755)
    result = run_quickstart(checkout, tmp_path, PYTHON=str(old_python))
    assert result.returncode != 0
    assert "is older than Python 3.11" in result.stderr
    assert not (checkout / ".venv").exists()
