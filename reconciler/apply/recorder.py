"""Saving the state as buckets finish, so an interruption loses nothing that was applied.

Buckets finish concurrently; `record` returns only once a save that includes its update is on
the store. Saves run one at a time: updates that arrive during a save are written together by the
next one, so a large apply does not rewrite the file once per bucket while others wait.
Call it while holding the StateLock.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable

from reconciler.state.backend import StateStore
from reconciler.state.model import StateFile
from reconciler.state.store import LocalState

StateUpdate = Callable[[StateFile], StateFile]


class StateRecorder:
    def __init__(self, store: StateStore | str | os.PathLike[str], state: StateFile) -> None:
        self.store = store if isinstance(store, StateStore) else LocalState(store)
        self.state = state  # what is recorded so far, saved or about to be
        self._updates = 0
        self._saved_updates = 0
        self._saving = asyncio.Lock()

    async def record(self, update: StateUpdate) -> None:
        """Apply `update` to the state and return when it is saved (StateError if it cannot be)."""
        self.state = update(self.state)
        self._updates += 1
        mine = self._updates
        async with self._saving:
            if self._saved_updates >= mine:
                return  # a save that started after this update already wrote it
            snapshot, covered = self.state, self._updates
            saved = await asyncio.to_thread(self.store.save, snapshot)
            self._saved_updates = covered
            # later updates were made on the old serial; carry the file's serial forward
            self.state = self.state.model_copy(update={"serial": saved.serial})
