"""The local state file (DESIGN §4), the default location: versioned, atomic, with a `.backup`.

A missing file is a new, empty state (not written until something is applied). An apply records
each bucket in a journal beside the file and saves the file once at the end (state.journal). Writes go to a
temporary file in the same directory, are fsynced, renamed over the old file and the directory is
fsynced, so a crash at any instant leaves either the old or the new file, never a torn one.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from reconciler import __version__
from reconciler.core.files import atomic_write as _atomic_write
from reconciler.errors import StateError
from reconciler.regular_file import kind_of
from reconciler.state.backend import StateStore, Stored
from reconciler.state.journal import Journal, fold, remove_journal
from reconciler.state.lock import LockInfo, StateLock, force_unlock, read_lock_info
from reconciler.state.model import StateFile


def backup_path(path: str | os.PathLike[str]) -> Path:
    path = Path(path)
    return path.with_name(path.name + ".backup")


class LocalState(StateStore):
    """The state file at `path`, locked by an OS lock on `<name>.lock` (DESIGN §4)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.location = str(self.path)
        self.where = f"state file {self.path}"

    @property
    def restore_hint(self) -> str:
        backup = backup_path(self.path)
        if not backup.is_file():  # the first save writes none: never suggest a file that is not there
            return ""
        return f"restore it from {backup} if that holds your last good state"

    def read(self) -> StateFile | None:
        """The state file with the apply journal beside it folded in (state.journal)."""
        return fold(self.path, super().read(), __version__)

    def save(self, state: StateFile, *, keep_serial: bool = False) -> StateFile:
        """As every location's save; then the journal goes, its records now being in the file (a
        save starts from a read that folded them in), also when there was nothing new to write."""
        saved = super().save(state, keep_serial=keep_serial)
        try:
            remove_journal(self.path)
        except OSError as exc:
            raise StateError(f"cannot remove the apply journal beside {self.where}: {exc.strerror or exc}") from None
        return saved

    def journal(self, base: StateFile) -> Journal:
        return Journal(self.path, base)

    def fetch(self) -> Stored | None:
        try:
            mode = self.path.stat().st_mode
            if not stat.S_ISREG(mode):  # a FIFO in its place would block the read forever
                raise StateError(f"cannot read {self.where}: not a regular file but {kind_of(mode)}")
            return Stored(self.path.read_bytes())
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StateError(f"cannot read {self.where}: {exc.strerror or exc}") from None

    def store(self, content: bytes, previous: Stored | None) -> None:
        """Atomic replace; the lock keeps other writers out, so `previous` is what is on disk."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if previous is not None:
                _atomic_write(backup_path(self.path), previous.content)
            _atomic_write(self.path, content)
        except OSError as exc:
            raise StateError(f"cannot write {self.where}: {exc.strerror or exc}") from None

    def lock(self, operation: str, timeout: float = 0) -> StateLock:
        return StateLock(self.path, operation, timeout=timeout)

    def lock_holder(self) -> LockInfo | None:
        return read_lock_info(self.path)

    def force_unlock(self, lock_id: str) -> LockInfo:
        return force_unlock(self.path, lock_id)


def load_state(path: str | os.PathLike[str]) -> StateFile:
    """The state in `path`; a fresh empty state (new lineage, serial 0) when there is no file."""
    return LocalState(path).load()


def save_state(path: str | os.PathLike[str], state: StateFile, *, keep_serial: bool = False) -> StateFile:
    """Write `state` unless the file already holds the same content; returns what the file holds.

    The serial becomes the file's serial + 1 when the content changed, and stays as it is when it
    did not (then nothing is written). Refuses to overwrite a file of another lineage, or one
    that was written after `state` was read (a higher serial). Keeps the previous file as
    `<name>.backup`. Call it while holding the StateLock.
    """
    return LocalState(path).save(state, keep_serial=keep_serial)
