"""Writing a file so that a crash at any point leaves either the old or the new content, whole."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

FILE_MODE = 0o600  # state, plans and the emulator's data are for their owner only


def atomic_write(path: Path, content: bytes) -> None:
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
