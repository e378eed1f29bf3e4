"""Recording the state as buckets finish, so an interruption loses nothing that was applied.

Buckets finish concurrently; `record` returns only once what it recorded survives a crash.
A state of up to SMALL_STATE buckets is saved whole after each bucket (DESIGN §5 step 5, to the
letter: the state file itself always holds every bucket applied; a save costs a few
milliseconds at most at that size). A larger one, where the location keeps a journal (the local file:
state.journal), has each bucket's record appended to the journal and fsynced, and the whole state
written once, by `finish`, so apply stays linear; a kill -9 leaves the journal, which the next read
of the state folds in. Elsewhere (S3, PostgreSQL) each record is a save. Either way writes run
one at a time and updates that arrive meanwhile are written together by the next one, so buckets
never wait in line for one write each.
Call it while holding the StateLock.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterable

from reconciler.state.backend import StateStore
from reconciler.state.model import StateFile
from reconciler.state.store import LocalState

StateUpdate = Callable[[StateFile], StateFile]

SMALL_STATE = 200  # buckets: up to this many, every record is a whole save (no journal needed)


class StateRecorder:
    def __init__(self, store: StateStore | str | os.PathLike[str], state: StateFile) -> None:
        self.store = store if isinstance(store, StateStore) else LocalState(store)
        self.state = state  # what is recorded so far, durable or about to be
        self._journal = self.store.journal(state)
        self._pending: dict[str, None] = {}  # addresses recorded since the last journal write
        self._whole = False  # an update of unknown reach since the last write: save it all
        self._updates = 0
        self._durable_updates = 0
        self._writing = asyncio.Lock()

    async def record(self, update: StateUpdate, addresses: Iterable[str] | None = None) -> None:
        """Apply `update` (which changes the records of `addresses`; None: any) to the state and
        return once it is durable (StateError if it cannot be)."""
        self.state = update(self.state)
        self._updates += 1
        mine = self._updates
        if addresses is None:
            self._whole = True
        else:
            self._pending.update(dict.fromkeys(addresses))
        async with self._writing:
            if self._durable_updates >= mine:
                return  # a write that started after this update already holds it
            covered = self._updates
            if self._journal is None or self._whole or len(self.state.buckets) <= SMALL_STATE:
                await self._save()
            else:
                records = [(address, self.state.buckets.get(address)) for address in self._pending]
                self._pending.clear()
                await asyncio.to_thread(self._journal.append, records)
            self._durable_updates = covered

    async def finish(self) -> None:
        """Write the whole state once, if the journal holds anything (the journal then goes)."""
        async with self._writing:
            if self._journal is not None and self._journal.records:
                await self._save()

    async def _save(self) -> None:
        # what this save holds is no longer pending; updates recorded while it runs stay pending
        # (cleared after the save, they would be journaled by nobody)
        pending, whole = self._pending, self._whole
        self._pending, self._whole = {}, False
        try:
            saved = await asyncio.to_thread(self.store.save, self.state)
        except BaseException:
            self._pending, self._whole = {**pending, **self._pending}, whole or self._whole
            raise
        # later updates were made on the old serial; carry the stored serial forward
        self.state = self.state.model_copy(update={"serial": saved.serial})
        if self._journal is not None:  # the save folded it in; a new one continues the saved state
            self._journal.close()
            self._journal = self.store.journal(self.state)
