"""Resolving the configuration's bucket selectors: live from each provider's bucket listing, or
from a saved plan (apply never widens a plan: a bucket created since is not touched).

A listing that fails stops the command with one error per selector: planning without it would
read the selector as matching nothing, and plan its buckets as gone from the configuration.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from contextlib import AsyncExitStack

from reconciler.apply.report import error_reason
from reconciler.commands import event_loop
from reconciler.config.loader import Resolve, SelectorRequest
from reconciler.errors import ReconcilerError, StalePlanError
from reconciler.model.config import ProviderConfig
from reconciler.plan.model import Plan
from reconciler.providers.registry import client_for


def listed_selections(
    environ: Mapping[str, str], *, parallelism: int, timeouts: Mapping[str, float | None] | None = None
) -> Resolve:
    """Resolve selectors against each provider's own bucket listing (one listing per provider).
    `timeouts`: the command line's (commands.options.Timeouts.overrides), as for every request."""

    def resolve(providers: Mapping[str, ProviderConfig], requests: Sequence[SelectorRequest]) -> dict[str, list[str]]:
        listings = event_loop.run(_list(providers, environ, parallelism, timeouts))
        failed = [
            f"the bucket selector of the entry at {request.entry} cannot be resolved: {listings[request.provider]}"
            for request in requests
            if isinstance(listings[request.provider], str)
        ]
        if failed:
            raise ReconcilerError(
                "nothing was planned, because a bucket listing failed (a selector must not silently match "
                "nothing):\n  " + "\n  ".join(failed)
            )
        return {request.key: list(request.selector.select(listings[request.provider])) for request in requests}

    return resolve


async def _list(
    providers: Mapping[str, ProviderConfig],
    environ: Mapping[str, str],
    parallelism: int,
    timeouts: Mapping[str, float | None] | None = None,
) -> dict[str, list[str] | str]:
    """Each provider's bucket names, or why they could not be listed."""
    async with AsyncExitStack() as stack:
        clients = {}
        for name, provider in providers.items():
            clients[name] = await stack.enter_async_context(
                client_for(  # type: ignore[arg-type]
                    provider, parallelism=parallelism, environ=environ, timeouts=timeouts
                )
            )
        results = await asyncio.gather(*(client.list_buckets() for client in clients.values()), return_exceptions=True)
    listings: dict[str, list[str] | str] = {}
    for name, result in zip(clients, results, strict=True):
        if isinstance(result, ReconcilerError):
            listings[name] = f"provider {name!r}: {error_reason(result)}"
        elif isinstance(result, BaseException):
            raise result
        else:
            listings[name] = result
    return listings


def saved_selections(plan: Plan) -> Resolve:
    """Resolve selectors to the bucket lists a saved plan holds; a selector it lacks means plan again."""

    def resolve(providers: Mapping[str, ProviderConfig], requests: Sequence[SelectorRequest]) -> dict[str, list[str]]:
        saved = {selection.key: list(selection.buckets) for selection in plan.selections}
        for request in requests:
            if request.key not in saved:
                raise StalePlanError(
                    f"the bucket selector of the entry at {request.entry} is not in the saved plan (the configuration "
                    "changed since the plan); run plan again"
                )
        return saved

    return resolve
