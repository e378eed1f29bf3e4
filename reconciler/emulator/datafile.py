"""Durability of the store: `--data FILE`, written atomically, with group commit.

A request that changes a bucket is answered only after a file containing the change is on
disk. Concurrent changes share writes: whoever takes the lock writes the newest snapshot, and
everyone whose change it covers returns without writing again, so N concurrent PUTs cost at
most two writes, not N.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path
from typing import Any

from reconciler.core.files import atomic_write
from reconciler.emulator.store import Store
from reconciler.errors import ReconcilerError
from reconciler.regular_file import read_regular


class MemoryOnly:
    """No `--data`: changes live as long as the process."""

    def load(self) -> Store:
        return Store()

    async def commit(self, store: Store) -> None:
        return None


class DataFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = asyncio.Lock()
        self._saved_generation = 0

    def load(self) -> Store:
        """The stored buckets; a missing file is an empty store (it is created on the first change).
        Its directory must be writable, so no change is ever acknowledged that cannot be kept."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            text = read_regular(self.path).decode("utf-8")
        except FileNotFoundError:
            text = None
        except OSError as error:
            raise ReconcilerError(f"Cannot read emulator data file {self.path}: {error.strerror}") from None
        except UnicodeDecodeError:
            raise ReconcilerError(
                f"Emulator data file {self.path} is not UTF-8 JSON (a binary file?); name another file with --data"
            ) from None
        try:
            tempfile.TemporaryFile(dir=self.path.parent).close()
        except OSError as error:
            raise ReconcilerError(f"Cannot write emulator data file {self.path}: {error.strerror or error}") from None
        if text is None:
            return Store()
        try:
            return Store.from_snapshot(json.loads(text))
        except (ValueError, TypeError) as error:
            raise ReconcilerError(f"Emulator data file {self.path} is not usable: {error}") from None

    async def commit(self, store: Store) -> None:
        wanted = store.generation
        async with self._lock:
            if self._saved_generation >= wanted:
                return  # a write made while we waited already holds our change
            generation = store.generation
            await asyncio.to_thread(write_atomically, self.path, store.snapshot())
            self._saved_generation = generation


def write_atomically(path: Path, data: Any) -> None:
    """Temporary file in the same directory, fsync, rename, fsync the directory (mode 0600)."""
    atomic_write(path, json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
