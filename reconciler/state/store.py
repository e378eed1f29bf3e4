"""Reading and writing the state file (DESIGN §4): versioned, atomic, with a `.backup`.

A missing file is a new, empty state (not written until something is applied). Writes go to a
temporary file in the same directory, are fsynced, renamed over the old file and the directory is
fsynced, so a crash at any instant leaves either the old or the new file, never a torn one.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from pydantic import ValidationError

from reconciler import __version__
from reconciler.errors import StateError
from reconciler.state.model import STATE_VERSION, StateFile

FILE_MODE = 0o600


def backup_path(path: str | os.PathLike[str]) -> Path:
    path = Path(path)
    return path.with_name(path.name + ".backup")


def load_state(path: str | os.PathLike[str]) -> StateFile:
    """The state in `path`; a fresh empty state (new lineage, serial 0) when there is no file."""
    path = Path(path)
    content = _read(path)
    return StateFile.new(__version__) if content is None else _parse(path, content)


def _read(path: Path) -> bytes | None:
    """The file's bytes, None when there is no file."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StateError(f"cannot read state file {path}: {exc.strerror or exc}") from None


def _parse(path: Path, content: bytes) -> StateFile:
    restore = f"restore it from {backup_path(path)} if that holds your last good state"
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise StateError(f"cannot read state file {path}: {exc}") from None
    if not text.strip():
        raise StateError(f"state file {path} is empty; {restore}, or remove the empty file to start a new state")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StateError(
            f"state file {path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); {restore}"
        ) from None
    if not isinstance(document, dict) or "version" not in document:
        raise StateError(f"state file {path} is not a reconciler state (no version); {restore}")
    version = document["version"]
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise StateError(f"state file {path} has an unknown version {version!r}; {restore}")
    if version > STATE_VERSION:
        raise StateError(
            f"state file {path} was written by a newer format (version {version}); upgrade reconciler"
        )
    try:
        return StateFile.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = " at " + ".".join(str(part) for part in first["loc"]) if first["loc"] else ""
        problem = first["msg"].removeprefix("Value error, ")
        raise StateError(f"state file {path} is invalid{where}: {problem}; {restore}") from None


def save_state(path: str | os.PathLike[str], state: StateFile) -> StateFile:
    """Write `state` unless the file already holds the same content; returns what the file holds.

    The serial becomes the file's serial + 1 when the content changed, and stays as it is when it
    did not (then nothing is written). Refuses to overwrite a file of another lineage, or one
    that was written after `state` was read (a higher serial). Keeps the previous file as
    `<name>.backup`. Call it while holding the StateLock.
    """
    path = Path(path)
    content = _read(path)
    previous = None if content is None else _parse(path, content)
    if previous is not None:
        if previous.lineage != state.lineage:
            raise StateError(
                f"state file {path} belongs to another lineage ({previous.lineage}, not {state.lineage}); "
                "refusing to overwrite it"
            )
        if previous.serial > state.serial:
            raise StateError(
                f"state file {path} was changed by another operation (serial {previous.serial}, this run read "
                f"{state.serial}); nothing was overwritten: run again"
            )
        if previous.same_content(state):
            return previous
    serial = (previous.serial if previous is not None else state.serial) + 1
    saved = state.model_copy(update={"serial": serial, "tool_version": __version__})
    text = json.dumps(saved.to_document(), indent=2, ensure_ascii=False) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if content is not None:
            _atomic_write(backup_path(path), content)
        _atomic_write(path, text.encode("utf-8"))
    except OSError as exc:
        raise StateError(f"cannot write state file {path}: {exc.strerror or exc}") from None
    return saved


def _atomic_write(path: Path, content: bytes) -> None:
    """Temp file in the same directory, fsync, rename over `path`, fsync the directory."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            os.fchmod(handle.fileno(), FILE_MODE)
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


# the emulator's data file is written the same way
atomic_write = _atomic_write
