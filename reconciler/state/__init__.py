"""The state file and its lock (DESIGN §4)."""

from reconciler.state.lock import LockInfo, StateLock, force_unlock, lock_path, read_lock_info
from reconciler.state.model import STATE_VERSION, BucketState, StateFile, split_address
from reconciler.state.store import backup_path, load_state, save_state

__all__ = [
    "STATE_VERSION",
    "BucketState",
    "LockInfo",
    "StateFile",
    "StateLock",
    "backup_path",
    "force_unlock",
    "load_state",
    "lock_path",
    "read_lock_info",
    "save_state",
    "split_address",
]
