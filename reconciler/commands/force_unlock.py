"""`reconciler force-unlock LOCK_ID`: remove a stale state lock record, given its ID as a nonce."""

from __future__ import annotations

import argparse
import sys

from reconciler.commands.workspace import state_path
from reconciler.state.lock import force_unlock


def run(args: argparse.Namespace) -> int:
    holder = force_unlock(state_path(args.state), args.lock_id)
    sys.stdout.write(f"Lock {holder.ID} removed (was held by {holder.Who} for {holder.Operation}).\n")
    return 0
