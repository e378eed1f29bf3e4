"""`reconciler import ADDR`: bring existing live rules under management without touching them.

Takes the state lock, reads the live bucket, records its rules (or the one rule) in the state as
managed, and prints them on stdout as configuration YAML ready to paste, so the next `plan`
shows no changes. Nothing live is written. Secrets are never printed: each becomes an
`{env: …}` reference to set. Messages go to stderr, so stdout can be redirected into a file.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Sequence

from reconciler.commands import event_loop
from reconciler.commands.console import enable_verbose
from reconciler.commands.options import ImportOptions
from reconciler.commands.selections import listed_selections
from reconciler.commands.workspace import load_config, open_clients, state_store
from reconciler.config.source import discover
from reconciler.core.address import BucketAddress, split_address
from reconciler.core.clock import utc_now
from reconciler.errors import ReconcilerError
from reconciler.model.common import digest_key
from reconciler.model.config import Configuration, ProviderConfig
from reconciler.model.document import LiveDocument
from reconciler.model.identity import BucketIdentity, store_of
from reconciler.plan.adopt import adopt, choose_rules
from reconciler.providers.credentials import AccessKey
from reconciler.providers.identity import provider_identities
from reconciler.render import configuration_yaml
from reconciler.state.model import StateFile


def run(args: ImportOptions) -> int:
    enable_verbose(args)
    locations = config_without_output(args.config)
    resolve = listed_selections(os.environ, parallelism=10, timeouts=args.overrides())
    try:
        address, rule_id = split_address(args.address)
    except ValueError as exc:
        raise ReconcilerError(str(exc)) from None
    where = BucketAddress.of(address)
    store = state_store(args.state)
    with store, store.lock("import", timeout=args.lock_timeout):
        state = store.load()
        with digest_key(state.digest_key):  # secrets digested as this state records them
            config = load_config(locations, os.environ, [args.address], resolve=resolve)
            provider = config.providers.get(where.provider)
            if provider is None:
                known = ", ".join(sorted(config.providers)) or "none"
                raise ReconcilerError(
                    f"cannot import {args.address}: provider {where.provider!r} is not in the configuration "
                    f"(configured: {known}); declare it under `providers:` first"
                )
            live, key = event_loop.run(_read(config, provider, where.bucket, args.overrides()))
            keys = {provider.name: key} if key is not None else None  # resolved once: no second credential_process
            identity = provider_identities([provider], os.environ, keys)[provider.name].model_copy(
                update={"bucket": where.bucket}
            )
            _refuse_alias(state, address, identity)
            recorded = state.buckets.get(address)
            moved = recorded.identity.differences(identity) if recorded and recorded.identity else []
            if moved:  # those records belong to another physical bucket: this one starts afresh
                sys.stderr.write(
                    f"The state's records of {address} were for another bucket ({'; '.join(moved)}); "
                    "they are replaced by what is imported here.\n"
                )
                state = state.without(address)
            adoption = choose_rules(state, address, live, rule_id)
            saved = store.save(
                adopt(state, provider, where.bucket, live, adoption, applied_at=utc_now(), identity=identity)
            )
    for reason in adoption.skipped:
        sys.stderr.write(f"Skipped: {reason}\n")
    count = len(adoption.rules)
    sys.stderr.write(
        f"Imported {count} rule{'s' if count != 1 else ''} of {address} into {store.location} (serial {saved.serial}). "
        "Add the printed configuration to the configuration files, then `reconciler plan` shows no changes; "
        "until then plan keeps the imported rules and reports them as not in the configuration.\n"
    )
    declared = config.bucket(address)
    siblings = sum(1 for b in config.buckets if declared is not None and b.source == declared.source)
    sys.stdout.write(configuration_yaml(address, provider, adoption.rules, declared, entry_buckets=siblings))
    return 0


def _refuse_alias(state: StateFile, address: str, identity: BucketIdentity) -> None:
    """The state records this physical bucket under another address: importing it again would make
    two addresses own the same rules, each deleting what the other keeps."""
    here = (identity.type, store_of(identity.endpoint), identity.bucket)
    for other, recorded in state.buckets.items():
        there = recorded.identity
        if other != address and there is not None and (there.type, store_of(there.endpoint), there.bucket) == here:
            raise ReconcilerError(
                f"cannot import {address}: the state already records the same bucket as {other} ({identity.type} at "
                f"{identity.endpoint}, bucket {identity.bucket!r}); run `reconciler state mv {other} {address}` to "
                f"manage it under the new address, or `reconciler state rm {other}` first"
            )


def config_without_output(locations: Sequence[str] | None) -> Sequence[str] | None:
    """The configuration files to read, less the empty file stdout was just redirected into
    (`reconciler import qs/photos > notifications/photos.yaml`): the output is not an input."""
    try:
        output = os.fstat(sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is an OSError
        return locations
    if not stat.S_ISREG(output.st_mode) or output.st_size != 0:
        return locations
    names, problems = discover(locations)
    kept = [name for name in names if not _same_file(name, output)]
    return kept if not problems and kept and len(kept) < len(names) else locations


def _same_file(name: str, output: os.stat_result) -> bool:
    try:
        found = os.stat(name)
    except OSError:
        return False
    return (found.st_dev, found.st_ino) == (output.st_dev, output.st_ino)


async def _read(
    config: Configuration, provider: ProviderConfig, bucket: str, timeouts: dict[str, float | None] | None = None
) -> tuple[LiveDocument, AccessKey | None]:
    """The bucket's live document, and the key it was read with."""
    async with open_clients(config, [provider.name], parallelism=1, environ=os.environ, timeouts=timeouts) as clients:
        client = clients[provider.name]
        return await client.read(bucket), getattr(client, "access_key", None)
