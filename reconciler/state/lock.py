"""The state lock (DESIGN §4): an OS lock on `<state>.lock`, plus who holds it, in that file.

`fcntl.flock` is released by the kernel when the holder exits in any way, SIGKILL included, so a
killed run never locks the next one out; the JSON record only tells a waiting user who holds it.
"""

from __future__ import annotations

import fcntl
import getpass
import json
import os
import socket
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from pydantic import ValidationError

from reconciler import __version__
from reconciler.errors import LockError, StateError
from reconciler.model.common import Frozen
from reconciler.state.model import rfc3339

POLL_SECONDS = 0.1


class LockInfo(Frozen):
    """Terraform's LockInfo fields, spelt as Terraform writes them."""

    ID: str
    Operation: str
    Who: str
    Version: str
    Created: str
    Path: str

    def describe(self) -> str:
        return f"{self.Who} ({self.Operation}, since {self.Created}, lock ID {self.ID})"


def lock_path(state_path: str | os.PathLike[str]) -> Path:
    state_path = Path(state_path)
    return state_path.with_name(state_path.name + ".lock")


def _who() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return f"{user}@{socket.gethostname()}"


def new_lock_info(operation: str, location: str) -> LockInfo:
    """The record a new holder writes: a fresh ID, who and what, now."""
    return LockInfo(
        ID=str(uuid.uuid4()),
        Operation=operation,
        Who=_who(),
        Version=__version__,
        Created=rfc3339(datetime.now(UTC).replace(microsecond=0)),
        Path=location,
    )


def poll(attempt: Callable[[], bool], timeout: float, interval: float = POLL_SECONDS) -> bool:
    """Call `attempt` until it returns True (then True), or until `timeout` seconds passed (False)."""
    deadline = time.monotonic() + timeout
    while not attempt():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        time.sleep(min(interval, remaining))
    return True


def held_error(where: str, holder: LockInfo | None, timeout: float) -> LockError:
    """The message for a lock another writer holds; `where` is e.g. "state s3://b/k"."""
    waited = f" after waiting {timeout:g}s" if timeout > 0 else ""
    option = "a longer --lock-timeout" if timeout > 0 else "--lock-timeout"
    if holder is None:
        return LockError(f"{where} is locked by another process{waited}; try again shortly")
    return LockError(
        f"{where} is locked by {holder.describe()}{waited}; wait for it to finish or use "
        f"{option}; if that process is stuck, stop it, or run `reconciler force-unlock {holder.ID}`"
    )


def parse_lock_info(content: bytes) -> LockInfo | None:
    """A stored lock record (None when empty or unreadable)."""
    try:
        text = content.decode("utf-8")
        return LockInfo.model_validate(json.loads(text)) if text.strip() else None
    except (UnicodeDecodeError, json.JSONDecodeError, ValidationError):
        return None


def encode_lock_info(info: LockInfo) -> bytes:
    return (json.dumps(info.model_dump(), indent=2) + "\n").encode("utf-8")


def read_lock_info(state_path: str | os.PathLike[str]) -> LockInfo | None:
    """The holder recorded next to the state (None when nothing is recorded or it is unreadable)."""
    try:
        return parse_lock_info(lock_path(state_path).read_bytes())
    except OSError:
        return None


def _unusable(doing: str, path: Path, exc: OSError) -> StateError:
    return StateError(f"cannot {doing} the state lock {path}: {exc.strerror or exc}; nothing was changed")


def _try_flock(descriptor: int) -> bool:
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


class StateLock:
    """`with StateLock(path, "apply", timeout=30): ...` holds the state's write lock.

    Fails at once with LockError naming the holder, or polls for up to `timeout` seconds.
    Released on exit, whatever the exit (exceptions and KeyboardInterrupt included).
    """

    def __init__(self, state_path: str | os.PathLike[str], operation: str, timeout: float = 0) -> None:
        self.state_path = Path(state_path)
        self.operation = operation
        self.timeout = timeout
        self.info: LockInfo | None = None
        self._descriptor: int | None = None

    def __enter__(self) -> StateLock:
        path = lock_path(self.state_path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise _unusable("create", path, exc) from None
        try:
            if not poll(lambda: _try_flock(descriptor), self.timeout):
                raise self._held_error()
            self.info = new_lock_info(self.operation, str(self.state_path))
            record = encode_lock_info(self.info)
            os.ftruncate(descriptor, 0)
            os.pwrite(descriptor, record, 0)
            os.fsync(descriptor)
        except BaseException as exc:
            os.close(descriptor)  # closing also drops the flock if it was taken
            if isinstance(exc, OSError):
                raise _unusable("write", path, exc) from None
            raise
        self._descriptor = descriptor
        return self

    def _held_error(self) -> LockError:
        return held_error(f"state {self.state_path}", read_lock_info(self.state_path), self.timeout)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        descriptor, self._descriptor = self._descriptor, None
        if descriptor is None:
            return
        try:
            os.ftruncate(descriptor, 0)  # the record goes first, so nobody reads a released holder
        finally:
            os.close(descriptor)


def checked_unlock(where: str, record: str, holder: LockInfo | None, lock_id: str) -> LockInfo:
    """The holder a force-unlock of `lock_id` removes; LockError when none, or another, holds it."""
    if holder is None:
        raise LockError(f"{where} is not locked (no lock record in {record}); nothing to unlock")
    if holder.ID != lock_id:
        raise LockError(
            f"lock ID {lock_id} does not match the lock on {where}, held by {holder.describe()}; nothing was unlocked"
        )
    return holder


def force_unlock(state_path: str | os.PathLike[str], lock_id: str) -> LockInfo:
    """Remove a stale lock record whose ID is `lock_id`; refuses a wrong ID or a live holder."""
    path = lock_path(state_path)
    holder = checked_unlock(f"state {state_path}", str(path), read_lock_info(state_path), lock_id)
    try:
        descriptor = os.open(path, os.O_RDWR)
    except OSError as exc:
        raise _unusable("open", path, exc) from None
    try:
        if not _try_flock(descriptor):
            raise LockError(
                f"lock {lock_id} on state {state_path} is held by a running process, {holder.describe()}; "
                "it is released as soon as that process ends: stop it rather than unlocking under it"
            )
        os.ftruncate(descriptor, 0)
    finally:
        os.close(descriptor)
    return holder
