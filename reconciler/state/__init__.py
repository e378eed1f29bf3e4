"""The state, where it lives (a local file, an S3 bucket, PostgreSQL) and its lock (DESIGN §4).
Adopting live rules into it (`reconciler import`) is decided in `reconciler.plan.adopt`."""

from reconciler.state.backend import StateStore, Stored
from reconciler.state.lock import LockInfo, StateLock, force_unlock, lock_path, read_lock_info
from reconciler.state.model import STATE_VERSION, BucketState, StateFile, split_address
from reconciler.state.store import LocalState, backup_path, load_state, save_state

__all__ = [
    "STATE_VERSION",
    "BucketState",
    "LocalState",
    "LockInfo",
    "StateFile",
    "StateLock",
    "StateStore",
    "Stored",
    "backup_path",
    "force_unlock",
    "load_state",
    "lock_path",
    "read_lock_info",
    "save_state",
    "split_address",
]
