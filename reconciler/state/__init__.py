"""The state file, its lock, and adopting live rules into it (DESIGN §4)."""

from reconciler.state.adopt import Adoption, adopt, choose_rules
from reconciler.state.lock import LockInfo, StateLock, force_unlock, lock_path, read_lock_info
from reconciler.state.model import STATE_VERSION, BucketState, StateFile, split_address
from reconciler.state.store import backup_path, load_state, save_state

__all__ = [
    "STATE_VERSION",
    "Adoption",
    "BucketState",
    "LockInfo",
    "StateFile",
    "StateLock",
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
