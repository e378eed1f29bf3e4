"""The state, where it lives (a local file, an S3 bucket, PostgreSQL), its lock, and adopting
live rules into it (DESIGN §4)."""

from reconciler.state.adopt import Adoption, adopt, choose_rules
from reconciler.state.backend import StateStore, Stored
from reconciler.state.lock import LockInfo, StateLock, force_unlock, lock_path, read_lock_info
from reconciler.state.model import STATE_VERSION, BucketState, StateFile, split_address
from reconciler.state.store import LocalState, backup_path, load_state, save_state

__all__ = [
    "STATE_VERSION",
    "Adoption",
    "BucketState",
    "LocalState",
    "LockInfo",
    "StateFile",
    "StateLock",
    "StateStore",
    "Stored",
    "adopt",
    "backup_path",
    "choose_rules",
    "force_unlock",
    "load_state",
    "lock_path",
    "read_lock_info",
    "save_state",
    "split_address",
]
