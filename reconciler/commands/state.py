"""`reconciler state list [ADDR…]` and `reconciler state rm ADDR…`: inspect or forget state
entries. Nothing live ever changes; `rm` takes the state lock and refuses unknown addresses."""

from __future__ import annotations

import argparse
import sys

from reconciler.commands.workspace import state_path
from reconciler.errors import ReconcilerError, StateError
from reconciler.render import render_state_list
from reconciler.render.json import dumps
from reconciler.state.lock import StateLock
from reconciler.state.model import StateFile, split_address
from reconciler.state.store import load_state, save_state


def _checked(addresses: list[str]) -> list[str]:
    for address in addresses:
        try:
            split_address(address)
        except ValueError as exc:
            raise ReconcilerError(str(exc)) from None
    return addresses


def _list(args: argparse.Namespace) -> int:
    addresses = _checked(args.addresses)
    listing = render_state_list(load_state(state_path(args.state)), addresses)
    if args.format == "json":
        sys.stdout.write(dumps(listing.splitlines()))
    else:
        sys.stdout.write(listing)
    return 0


def _forget(state: StateFile, addresses: list[str]) -> StateFile:
    """Every address removed, or StateError naming each unknown one (then nothing is removed)."""
    unknown = []
    for address in addresses:
        try:
            state = state.without(address)
        except ValueError:
            unknown.append(address)
    if unknown:
        raise StateError(f"not in the state: {', '.join(unknown)}; nothing was removed (see `reconciler state list`)")
    return state


def _rm(args: argparse.Namespace) -> int:
    addresses = list(dict.fromkeys(_checked(args.addresses)))
    path = state_path(args.state)
    if not path.exists():  # checked before locking, so a mistyped --state leaves no directory behind
        raise StateError(f"state file {path} does not exist; nothing to remove")
    with StateLock(path, "state rm", timeout=args.lock_timeout):
        save_state(path, _forget(load_state(path), addresses))
    for address in addresses:
        sys.stdout.write(f"Removed {address}\n")
    sys.stdout.write(
        f"Successfully forgot {len(addresses)} address{'es' if len(addresses) != 1 else ''}; "
        "nothing changed on the live buckets.\n"
    )
    return 0


def run(args: argparse.Namespace) -> int:
    return _rm(args) if args.state_command == "rm" else _list(args)
