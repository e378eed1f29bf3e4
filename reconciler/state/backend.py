"""Where a state lives: one interface for the local file, an S3-compatible bucket and PostgreSQL.

    store = open_state(location, environ)       # reconciler.state.location
    state = store.load()                        # read only: no lock, nothing written (plan, drift)
    with store.lock("apply", timeout=30):       # one writer at a time, across machines
        state = store.load()
        store.save(new_state)                   # one call per save: checks, backup, conditional write

Every location stores the same state document (DESIGN §4) and applies the same rules on save
(`next_state`: lineage kept, serial checked and bumped); a location only says how to fetch the
stored bytes, how to write new ones only if nobody else did in between (compare-and-swap), and
how to lock. A batching layer can sit on `save`: it is the only write.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from types import TracebackType

from reconciler import __version__
from reconciler.errors import LockError, StateError
from reconciler.state.document import encode_state, next_state, parse_state
from reconciler.state.journal import Journal
from reconciler.state.lock import LockInfo, held_error, new_lock_info, poll
from reconciler.state.model import StateFile


@dataclass(frozen=True)
class Stored:
    """What a location holds now: the state document's bytes and the version a conditional write
    is checked against (an ETag, a serial; unused by the locked local file)."""

    content: bytes
    version: str = ""


class StateStore(ABC):
    """A state location. `location` is what the user gave (never holds a password); `where`
    names it in messages ("state file x.json", "state s3://bucket/key")."""

    location: str
    where: str

    @abstractmethod
    def fetch(self) -> Stored | None:
        """The stored document, None when there is no state yet."""

    @abstractmethod
    def store(self, content: bytes, previous: Stored | None) -> None:
        """Write `content` only if the location still holds `previous` (StateError otherwise,
        nothing overwritten), keeping `previous` as the backup."""

    @abstractmethod
    def lock(self, operation: str, timeout: float = 0) -> AbstractContextManager[LockInfo]:
        """Hold the write lock (LockError naming the holder when it cannot be had in `timeout`)."""

    @abstractmethod
    def lock_holder(self) -> LockInfo | None:
        """Who the lock record names (None when nobody does)."""

    @abstractmethod
    def force_unlock(self, lock_id: str) -> LockInfo:
        """Remove a stale lock whose ID is `lock_id`; returns the record removed."""

    @property
    def restore_hint(self) -> str:
        """How to get the last good state back, for messages about an unusable one; empty when this
        location holds no earlier version (then no message suggests one)."""
        return ""

    def journal(self, base: StateFile) -> Journal | None:
        """Where an apply records each bucket between saves, durably and in constant time per
        bucket, when this location has one (the local file does); None: every record is a save."""
        return None

    def close(self) -> None:  # noqa: B027 - most locations hold no connection
        """Release connections (the store can still be used: they reopen)."""

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *_exc_info: object) -> None:
        self.close()

    def parse(self, stored: Stored) -> StateFile:
        return parse_state(stored.content, self.where, lambda: self.restore_hint)  # probed only on error

    def read(self) -> StateFile | None:
        """The state held here, None when there is none yet."""
        stored = self.fetch()
        return None if stored is None else self.parse(stored)

    def load(self) -> StateFile:
        """The state held here, or a fresh empty one (new lineage, serial 0, not written)."""
        state = self.read()
        return StateFile.new(__version__) if state is None else state

    def save(self, state: StateFile, *, keep_serial: bool = False) -> StateFile:
        """Write `state` unless the location holds the same content; returns what it holds now.

        The serial becomes the stored serial + 1 (`keep_serial`: stays as it is, for a state
        moved here). Refuses another lineage, a state saved since `state` was read, and a write
        that races another writer. Call it while holding the lock."""
        stored = self.fetch()
        previous = None if stored is None else self.parse(stored)
        saved = next_state(previous, state, self.where, keep_serial=keep_serial)
        if saved is None:
            assert previous is not None
            return previous
        self.store(encode_state(saved), stored)
        return saved


class PollingLock:
    """The lock of a remote store: `take(info)` tries once (True when taken), `give_back(info)`
    releases; tried every `interval` seconds for up to `timeout`, then LockError naming the holder."""

    def __init__(
        self,
        store: StateStore,
        operation: str,
        timeout: float,
        *,
        take: Callable[[LockInfo], bool],
        give_back: Callable[[LockInfo], None],
        interval: float,
    ) -> None:
        self.store = store
        self.timeout = timeout
        self.info = new_lock_info(operation, store.location)
        self._take = take
        self._give_back = give_back
        self._interval = interval

    def __enter__(self) -> LockInfo:
        if not poll(lambda: self._take(self.info), self.timeout, self._interval):
            raise held_error(self.store.where, self.store.lock_holder(), self.timeout)
        return self.info

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        try:
            self._give_back(self.info)
        except StateError as exc:
            if kind is None:
                raise LockError(
                    f"{exc}; the lock {self.info.ID} may remain: `reconciler force-unlock {self.info.ID}` removes it"
                ) from None
