"""The apply journal beside a local state file (`<name>.journal`): what apply has recorded since
the state was last saved, one bucket per line, so a large apply writes the whole state once at
the end instead of after every bucket, and kill -9 at any moment still loses nothing.

    {"journal": 1, "lineage": "…", "serial": 12}          the state this journal continues
    {"address": "qs/photos", "bucket": {…BucketState…}}   a bucket's record after it was written
    {"address": "qs/old", "bucket": null}                 a bucket's record dropped

Each batch of lines is appended and fsynced before apply goes on (`append`). Reading the state
(`fold`) applies the lines to the state they continue: a journal of another lineage or serial was
already folded into a later save and is ignored; a last line cut short by a crash was never
acknowledged, and is ignored too. Saving the state folds the journal in, then removes it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from reconciler.errors import StateError
from reconciler.state.model import BucketState, StateFile

JOURNAL_VERSION = 1
FILE_MODE = 0o600


def journal_path(state_path: str | os.PathLike[str]) -> Path:
    path = Path(state_path)
    return path.with_name(path.name + ".journal")


def _line(document: Mapping[str, Any]) -> bytes:
    return (json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


class Journal:
    """Appends bucket records for the state `base` (lineage and serial), durably, one batch at a time."""

    def __init__(self, state_path: str | os.PathLike[str], base: StateFile) -> None:
        self.path = journal_path(state_path)
        self.base = base
        self._handle: Any = None
        self.records = 0

    def append(self, records: Iterable[tuple[str, BucketState | None]]) -> None:
        """Write the records and fsync; on return they survive a crash (StateError if they cannot)."""
        lines = [
            _line({"address": address, "bucket": None if entry is None else entry.model_dump(mode="json")})
            for address, entry in records
        ]
        try:
            if self._handle is None:
                self._open()
            self._handle.write(b"".join(lines))
            self._handle.flush()
            os.fsync(self._handle.fileno())
        except OSError as exc:
            raise StateError(f"cannot write the apply journal {self.path}: {exc.strerror or exc}") from None
        self.records += len(lines)

    def _open(self) -> None:
        """A new journal for `base` (an old one was folded into `base` when it was read)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        self._handle = os.fdopen(descriptor, "wb")
        header = {"journal": JOURNAL_VERSION, "lineage": self.base.lineage, "serial": self.base.serial}
        self._handle.write(_line(header))
        self._handle.flush()
        os.fsync(self._handle.fileno())
        _fsync_directory(self.path.parent)

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def remove_journal(state_path: str | os.PathLike[str]) -> None:
    """Called once a save holding everything the journal says is on disk."""
    journal_path(state_path).unlink(missing_ok=True)


def fold(state_path: str | os.PathLike[str], state: StateFile | None, tool_version: str) -> StateFile | None:
    """`state` (None: no state file) with the journal beside it applied, when the journal
    continues exactly that state; otherwise `state` as it is."""
    path = journal_path(state_path)
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        return state
    except OSError as exc:
        raise StateError(f"cannot read the apply journal {path}: {exc.strerror or exc}") from None
    lines = content.split(b"\n")
    complete = lines[:-1]  # whatever follows the last newline was being written when the process died
    if not complete:
        return state
    try:
        header = json.loads(complete[0])
        lineage, serial = header["lineage"], header["serial"]
    except (ValueError, KeyError, TypeError):
        raise StateError(f"the apply journal {path} is unreadable; remove it if the state is otherwise good") from None
    if state is None:
        if serial != 0:
            return None  # a journal of a state file that is gone: nothing to continue
        state = StateFile(tool_version=tool_version, lineage=lineage)
    if (state.lineage, state.serial) != (lineage, serial):
        return state  # folded into a later save already
    buckets = dict(state.buckets)
    for number, raw in enumerate(complete[1:], start=2):
        try:
            record = json.loads(raw)
            address, entry = record["address"], record["bucket"]
            if entry is None:
                buckets.pop(address, None)
            else:
                buckets[address] = BucketState.model_validate(entry)
        except (ValueError, KeyError, TypeError, ValidationError):
            raise StateError(
                f"the apply journal {path} is invalid at line {number}; remove it if the state is otherwise good"
            ) from None
    try:
        return StateFile.model_validate({**state.model_dump(), "buckets": buckets})
    except ValidationError as exc:
        raise StateError(f"the apply journal {path} does not fit the state: {exc.errors()[0]['msg']}") from None


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
