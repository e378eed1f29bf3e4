"""The state lock: one writer at a time across processes, released however the holder ends."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.errors import LockError, StateError
from reconciler.state import StateLock, force_unlock, lock_path, read_lock_info

REPO = Path(__file__).parents[2]
HOLDER = """
import sys, time
from reconciler.state import StateLock
with StateLock(sys.argv[1], "apply") as lock:
    print(lock.info.ID, flush=True)
    if sys.argv[2] == "stdin":
        sys.stdin.read()  # hold until the test closes our stdin (or kills us)
    else:
        time.sleep(float(sys.argv[2]))
"""


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "reconciler.state.json"


@pytest.fixture
def holder(path: Path) -> Iterator[tuple[subprocess.Popen, str]]:
    """Another process holding the lock until its stdin closes; yields it and its lock ID."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), "stdin"],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        lock_id = process.stdout.readline().strip()
        assert lock_id, "the holder process failed to take the lock"
        yield process, lock_id
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        process.stdin.close()
        process.stdout.close()


def test_a_second_process_is_refused_with_the_holder_named(path: Path, holder) -> None:
    _, lock_id = holder
    with pytest.raises(LockError) as refused:
        with StateLock(path, "plan"):
            pytest.fail("took a lock that another process holds")
    message = str(refused.value)
    info = read_lock_info(path)
    assert info is not None and info.ID == lock_id and info.Operation == "apply"
    assert f"state {path} is locked by {info.Who} (apply, since {info.Created}, lock ID {lock_id})" in message
    assert f"reconciler force-unlock {lock_id}" in message
    assert "@" in info.Who and info.Path == str(path)


def test_sigkill_of_the_holder_releases_the_lock(path: Path, holder) -> None:
    process, _ = holder
    process.kill()
    process.wait()
    with StateLock(path, "apply") as lock:
        assert read_lock_info(path) == lock.info


def test_waiting_with_a_timeout_gets_the_lock_once_the_holder_finishes(path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), "0.5"], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout.readline().strip()
        with StateLock(path, "apply", timeout=60) as lock:
            assert lock.info is not None and lock.info.Operation == "apply"
    finally:
        process.wait()
        process.stdout.close()


def test_timeout_expires_with_the_holder_named(path: Path, holder) -> None:
    with pytest.raises(
        LockError, match=r"lock ID .* after waiting 0\.2s; wait for it to finish or use a longer --lock"
    ):
        with StateLock(path, "apply", timeout=0.2):
            pass


def test_lock_is_released_on_exception_and_keyboard_interrupt(path: Path) -> None:
    for interruption in (RuntimeError("boom"), KeyboardInterrupt()):
        with pytest.raises(type(interruption)):
            with StateLock(path, "apply"):
                raise interruption
        assert read_lock_info(path) is None
        with StateLock(path, "apply"):
            pass


def test_holder_record_has_terraform_fields_and_lives_next_to_the_state(path: Path) -> None:
    with StateLock(path, "state rm"):
        record = json.loads(lock_path(path).read_text())
        assert list(record) == ["ID", "Operation", "Who", "Version", "Created", "Path"]
        assert lock_path(path).name == "reconciler.state.json.lock" and record["Operation"] == "state rm"
        assert record["Created"].endswith("Z")
    assert lock_path(path).read_text() == ""


def test_same_process_second_writer_is_refused_too(path: Path) -> None:
    with StateLock(path, "apply"):
        with pytest.raises(LockError, match="is locked by"):
            with StateLock(path, "import"):
                pass


# --- force-unlock -----------------------------------------------------------------------------------------


def stale_record(path: Path, lock_id: str = "11111111-2222-3333-4444-555555555555") -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "ID": lock_id,
        "Operation": "apply",
        "Who": "ci@runner",
        "Version": "0.1.0",
        "Created": "2026-11-23T10:00:00Z",
        "Path": str(path),
    }
    lock_path(path).write_text(json.dumps(record))
    return lock_id


def test_force_unlock_removes_a_stale_record_with_the_right_id(path: Path) -> None:
    lock_id = stale_record(path)
    assert force_unlock(path, lock_id).Who == "ci@runner"
    assert read_lock_info(path) is None


def test_force_unlock_refuses_a_wrong_id(path: Path) -> None:
    stale_record(path)
    with pytest.raises(
        LockError, match=r"lock ID nope does not match the lock on state .* held by ci@runner .*nothing was unlocked"
    ):
        force_unlock(path, "nope")
    assert read_lock_info(path) is not None


def test_force_unlock_refuses_a_lock_held_by_a_running_process(path: Path, holder) -> None:
    _, lock_id = holder
    with pytest.raises(LockError, match=f"lock {lock_id} on state .* is held by a running process"):
        force_unlock(path, lock_id)
    assert read_lock_info(path).ID == lock_id


def test_force_unlock_without_a_lock_says_so(path: Path) -> None:
    with pytest.raises(LockError, match="is not locked"):
        force_unlock(path, "anything")


def test_a_lock_that_cannot_be_created_is_one_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the state directory should be")
    with pytest.raises(StateError, match=r"cannot create the state lock .*not-a-directory/reconciler.state.json.lock"):
        with StateLock(blocker / "reconciler.state.json", "apply"):
            pass


def test_force_unlock_of_a_lock_file_it_cannot_open(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with StateLock(path, "apply") as lock:
        lock_id = lock.info.ID
        record = lock_path(path).read_bytes()
    lock_path(path).write_bytes(record)  # a record left behind, as by a killed holder on another host
    real_open = os.open

    def read_only(file, flags, *args):
        if str(file) == str(lock_path(path)) and flags & os.O_RDWR:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(file))
        return real_open(file, flags, *args)

    monkeypatch.setattr(os, "open", read_only)
    with pytest.raises(StateError, match=r"cannot open the state lock .*Read-only file system"):
        force_unlock(path, lock_id)


def test_a_lock_record_that_cannot_be_written_is_one_clear_error(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def disk_full(*args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "pwrite", disk_full)
    with pytest.raises(StateError, match=r"cannot write the state lock .*No space left on device"):
        with StateLock(path, "apply"):
            pass
    monkeypatch.undo()
    with StateLock(path, "apply"):  # nothing was left held
        pass
