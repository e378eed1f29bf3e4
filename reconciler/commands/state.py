"""`reconciler state list [ADDR…]`, `reconciler state rm ADDR…`, `reconciler state mv SRC DST` and
`reconciler state migrate --to LOCATION`: inspect, forget or rename state entries, or move the whole
state to another location. Nothing live ever changes; `rm`, `mv` and `migrate` take the state lock
and refuse what they cannot do whole."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from reconciler.commands.options import (
    StateListOptions,
    StateMigrateOptions,
    StateMvOptions,
    StateOptions,
    StateRmOptions,
)
from reconciler.commands.workspace import read_state, state_store
from reconciler.core.address import split_address
from reconciler.errors import ReconcilerError, StateError
from reconciler.render import render_state_list
from reconciler.render.json import dumps
from reconciler.state.model import StateFile


def _checked(addresses: Sequence[str]) -> Sequence[str]:
    for address in addresses:
        try:
            split_address(address)
        except ValueError as exc:
            raise ReconcilerError(str(exc)) from None
    return addresses


def _list(args: StateListOptions) -> int:
    addresses = _checked(args.addresses)
    listing = render_state_list(read_state(args.state), addresses)
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


def _rm(args: StateRmOptions) -> int:
    addresses = list(dict.fromkeys(_checked(args.addresses)))
    with state_store(args.state) as store:
        if store.fetch() is None:  # checked before locking, so a mistyped --state leaves nothing behind
            raise StateError(f"{store.where} does not exist; nothing to remove")
        with store.lock("state rm", timeout=args.lock_timeout):
            store.save(_forget(store.load(), addresses))
    for address in addresses:
        sys.stdout.write(f"Removed {address}\n")
    sys.stdout.write(
        f"Successfully forgot {len(addresses)} address{'es' if len(addresses) != 1 else ''}; "
        "nothing changed on the live buckets.\n"
    )
    return 0


def _mv(args: StateMvOptions) -> int:
    """Record a provider, bucket or rule id under a new name; locked like every state write."""
    for address in (args.source, args.destination):
        if "/" in address:
            _checked([address])
    with state_store(args.state) as store:
        if store.fetch() is None:
            raise StateError(f"{store.where} does not exist; nothing to move")
        with store.lock("state mv", timeout=args.lock_timeout):
            try:
                moved = store.load().moved(args.source, args.destination)
            except ValueError as exc:
                raise StateError(f"{exc}; nothing was moved") from None
            store.save(moved)
    sys.stdout.write(f"Moved {args.source} to {args.destination}; nothing changed on the live buckets.\n")
    renamed = split_address(args.destination)[1] if "/" in args.destination else None
    if renamed is not None:  # a rule id may itself hold "/": everything after the bucket
        sys.stdout.write(
            "Declare the rule as "
            f"{renamed!r} in the configuration: the next apply renames the live rule in "
            "place (on first-match-wins stores it keeps its position).\n"
        )
    return 0


def _migrate(args: StateMigrateOptions) -> int:
    """Copy the state, lineage and serial as they are, to an empty location (or one holding an
    older serial of the same lineage); both locations are locked while it moves."""
    with state_store(args.state) as source, state_store(args.to) as target:
        if source.location == target.location:
            raise StateError(f"--to names the same location as --state ({source.location}); nothing to move")
        if source.fetch() is None:
            raise StateError(f"{source.where} does not exist; nothing to move")
        with source.lock("state migrate", timeout=args.lock_timeout):
            with target.lock("state migrate", timeout=args.lock_timeout):
                state = source.load()
                existing = target.read()
                if existing is not None and not (
                    existing.lineage == state.lineage
                    and (existing.serial < state.serial or existing.same_content(state))
                ):
                    raise StateError(
                        f"{target.where} already holds a state (lineage {existing.lineage}, serial "
                        f"{existing.serial}); nothing was moved: choose an empty location, or remove that state first"
                    )
                moved = target.save(state, keep_serial=True)
    sys.stdout.write(
        f"Moved the state (lineage {moved.lineage}, serial {moved.serial}, {len(moved.buckets)} bucket"
        f"{'s' if len(moved.buckets) != 1 else ''}) from {source.location} to {target.location}.\n"
        f"Use --state {target.location} (or RECONCILER_STATE) from now on; {source.location} was left as it was: "
        "delete it once nothing uses it.\n"
    )
    return 0


def run(args: StateOptions) -> int:
    if isinstance(args, StateRmOptions):
        return _rm(args)
    if isinstance(args, StateMvOptions):
        return _mv(args)
    if isinstance(args, StateMigrateOptions):
        return _migrate(args)
    return _list(args)
