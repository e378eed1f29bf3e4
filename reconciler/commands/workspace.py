"""Wiring shared by the commands that talk to live buckets (plan, apply, drift, import).

    config  = load_config(args.config, environ)            # validated, rule secrets resolved
    state   = read_state(args.state)                       # a path, s3://… or postgresql://…; no lock
    async with open_clients(config, providers_in_scope(config, state, targets),
                            parallelism=args.parallelism, environ=environ) as clients:
        live = await read_live(clients, addresses, parallelism=..., progress=...)   # reconciler.live
        plan, live = await make_plan(config, state, clients, targets=..., parallelism=..., progress=...)

Every failure is a ReconcilerError with one clear message, raised before any request where it
can be (configuration, credentials, state file, unknown targets).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager

from reconciler import __version__
from reconciler.commands.state_location import open_state
from reconciler.config.loader import Resolve, load_configuration
from reconciler.config.secrets import resolve_rule_secrets
from reconciler.core.address import BucketAddress
from reconciler.core.clock import utc_now
from reconciler.errors import ReconcilerError, error_reason
from reconciler.live.reader import LiveRead, ReadProgress, read_live
from reconciler.model.config import Configuration
from reconciler.plan.model import Plan
from reconciler.plan.planner import buckets_to_read, build_plan, select_buckets
from reconciler.providers.base import NotificationClient
from reconciler.providers.credentials import resolve_all
from reconciler.providers.identity import provider_identities
from reconciler.providers.registry import client_for
from reconciler.state.backend import StateStore
from reconciler.state.model import StateFile


def load_config(
    paths: Sequence[str] | None,
    environ: Mapping[str, str],
    targets: Sequence[str] = (),
    *,
    resolve: Resolve | None = None,
) -> Configuration:
    """The validated configuration (ConfigError with every problem), rule secrets resolved
    (only those of the targeted buckets when there are targets). `resolve` turns bucket selectors
    into buckets (commands.selections); without it selectors stand for no bucket."""
    addresses = {"/".join(target.split("/")[:2]) for target in targets} if targets else None
    return resolve_rule_secrets(load_configuration(paths, resolve), environ, addresses=addresses)


def state_store(location: str) -> StateStore:
    """The state location `--state` / RECONCILER_STATE names: a path, s3://BUCKET/KEY or
    postgresql://…; StateError for one that cannot be, before any I/O. Close it after use."""
    return open_state(location, os.environ)


def read_state(location: str) -> StateFile:
    """The state, for a command that only reads it: no lock, nothing written; empty when none."""
    with state_store(location) as store:
        return store.load()


def providers_in_scope(config: Configuration, state: StateFile, targets: Sequence[str] = ()) -> list[str]:
    """Configured providers of the buckets a plan over `targets` reads (ReconcilerError for a bad target)."""
    names = {BucketAddress.provider_of(address) for address in select_buckets(config, state, targets)}
    return sorted(name for name in names if name in config.providers)


@asynccontextmanager
async def open_clients(
    config: Configuration,
    names: Iterable[str],
    *,
    parallelism: int,
    environ: Mapping[str, str],
    timeouts: Mapping[str, float | None] | None = None,
) -> AsyncIterator[dict[str, NotificationClient]]:
    """One pooled client per named provider, all closed on exit. Credentials are resolved first,
    for every provider, so a missing one fails before any request (one error naming every provider
    that lacks one). `timeouts`: the command line's (see `options.Timeouts.overrides`)."""
    names = list(names)
    keys = resolve_all([config.providers[name] for name in names], environ)
    pending = {
        name: client_for(
            config.providers[name], parallelism=parallelism, environ=environ, timeouts=timeouts, credentials=keys[name]
        )
        for name in names
    }
    async with AsyncExitStack() as stack:
        clients = {name: await stack.enter_async_context(client) for name, client in pending.items()}
        yield clients


async def make_plan(
    config: Configuration,
    state: StateFile,
    clients: Mapping[str, NotificationClient],
    *,
    targets: Sequence[str] = (),
    parallelism: int,
    progress: ReadProgress | None = None,
    confirm_identity: Sequence[str] = (),
    refresh_only: bool = False,
) -> tuple[Plan, LiveRead]:
    """Read every bucket in scope concurrently and plan. A bucket that cannot be read is an
    errored bucket of the plan (its reason names the provider's code and request id) and is in
    the LiveRead's errors; any other errored bucket cannot be planned from the configuration."""
    addresses = [read.address for read in buckets_to_read(config, state, targets)]
    live = await read_live(clients, addresses, parallelism=parallelism, progress=progress)
    reasons = {address: error_reason(error) for address, error in live.errors.items()}
    plan = build_plan(
        config,
        live.documents,
        state,
        targets=targets,
        tool_version=__version__,
        now=utc_now(),
        read_errors=reasons,
        identities=provider_identities(
            (config.providers[name] for name in clients),
            os.environ,
            {name: client.access_key for name, client in clients.items() if hasattr(client, "access_key")},
        ),
        confirm_identity=confirm_identity,
        refresh_only=refresh_only,
    )
    return plan, live


def targeting_warning(config: Configuration, state: StateFile, targets: Sequence[str], *, command: str) -> str | None:
    """Terraform's caution for --target: what the run leaves out (None without targets)."""
    if not targets:
        return None
    selected = select_buckets(config, state, targets)
    partial = sum(1 for rules in selected.values() if rules is not None)
    others = len(select_buckets(config, state, ())) - len(selected)
    left_out = []
    if others:
        left_out.append(f"{others} other bucket{'s' if others != 1 else ''} (not read)")
    if partial:
        left_out.append(f"the other rules of {partial} bucket{'s' if partial != 1 else ''}")
    scope = "; it leaves out " + " and ".join(left_out) if left_out else ""
    outcome = {
        "plan": "this plan may not show every change the configuration asks for",
        "apply": "the changes applied may be incomplete",
        "drift": "this report may not show all drift",
    }[command]
    return (
        f"--target is in effect{scope}: {outcome}. Use --target for exceptional cases such as recovering "
        f"from a mistake; run `reconciler {command}` without it to see everything."
    )


def confirmed_identities(config: Configuration, addresses: Sequence[str] | None) -> tuple[str, ...]:
    """`--confirm-identity` values, each a configured provider or one of its bucket addresses."""
    for address in addresses or ():
        provider = address.split("/", 1)[0]
        if provider not in config.providers or address.count("/") > 1 or address.endswith("/"):
            raise ReconcilerError(
                f"--confirm-identity {address}: expected a configured provider or <provider>/<bucket> "
                f"(providers: {', '.join(sorted(config.providers))})"
            )
    return tuple(addresses or ())


def planning_error(errors: Sequence[str], *, consequence: str = "") -> ReconcilerError:
    """One error naming every bucket that could not be planned, one line each; `consequence`
    (e.g. "the plan was not saved") opens the message."""
    noun = "bucket" if len(errors) == 1 else "buckets"
    opening = f"{consequence}: " if consequence else ""
    return ReconcilerError(f"{opening}{len(errors)} {noun} could not be planned:\n  " + "\n  ".join(errors))


def raise_plan_errors(plan: Plan, *, consequence: str = "") -> None:
    if plan.errored:
        raise planning_error(plan.errors, consequence=consequence)
