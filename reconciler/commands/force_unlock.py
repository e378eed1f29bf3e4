"""`reconciler force-unlock LOCK_ID`: remove a stale state lock record, given its ID as a nonce."""

from __future__ import annotations

import sys

from reconciler.commands.options import ForceUnlockOptions
from reconciler.commands.workspace import state_store


def run(args: ForceUnlockOptions) -> int:
    with state_store(args.state) as store:
        holder = store.force_unlock(args.lock_id)
    sys.stdout.write(f"Lock {holder.ID} removed (was held by {holder.Who} for {holder.Operation}).\n")
    return 0
