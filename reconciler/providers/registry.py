"""The factory the commands use: one pooled, signed client per configured provider."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping

import httpx

from reconciler.config.secrets import resolve_secret
from reconciler.model.config import ProviderConfig
from reconciler.providers.base import NotificationClient
from reconciler.providers.bos import codec as bos_codec
from reconciler.providers.bos.client import BosClient
from reconciler.providers.client_base import BucketClient
from reconciler.providers.credentials import AccessKey, resolve_credentials
from reconciler.providers.endpoints import endpoint_for
from reconciler.providers.http import RetryPolicy, Scrubber, build_client
from reconciler.providers.limits import DEFAULT_TIMEOUTS, Timeouts
from reconciler.providers.qingstor.client import QingStorClient
from reconciler.providers.s3.client import S3Client
from reconciler.providers.signing import Clock, utc_now

CLIENTS: dict[str, type[BucketClient]] = {"qingstor": QingStorClient, "bos": BosClient, "s3": S3Client}


def timeouts_for(provider: ProviderConfig, overrides: Mapping[str, float | None] | None = None) -> Timeouts:
    """Each limit from the command line (`overrides`: connect, read, request), else the provider's
    `timeout`, else the default."""
    chosen = {}
    for name in ("connect", "read", "request"):
        given = (overrides or {}).get(name)
        configured = getattr(provider.timeout, name) if provider.timeout is not None else None
        chosen[name] = given if given is not None else configured if configured is not None else getattr(
            DEFAULT_TIMEOUTS, name
        )
    return Timeouts(**chosen)


def client_for(
    provider: ProviderConfig,
    *,
    parallelism: int = 10,
    environ: Mapping[str, str] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    retry: RetryPolicy | None = None,
    clock: Clock = utc_now,
    timeouts: Mapping[str, float | None] | None = None,
    credentials: AccessKey | None = None,
) -> NotificationClient:
    """Resolves endpoint and credentials first, so configuration mistakes fail before any request.

    `credentials`: the key already resolved (see `resolve_all`); else it is resolved here.
    `timeouts` are the command line's overrides (connect, read, request seconds, None: not given).
    `transport`, `retry` and `clock` are test seams (httpx.MockTransport, no-wait sleeps, frozen time).
    """
    env = os.environ if environ is None else environ
    endpoint = endpoint_for(provider)
    credentials = credentials or resolve_credentials(provider, env)
    scrub = Scrubber((credentials.secret_access_key, credentials.session_token))
    credentials = _scrubbing_refreshes(credentials, scrub)
    http = build_client(
        parallelism=parallelism,
        tls_verify=provider.tls_verify,
        transport=transport,
        retry=retry,
        timeouts=timeouts_for(provider, timeouts),
        scrub=scrub,
    )
    extra = {}
    if provider.type == "bos":
        resolving = bos_codec.reveal_with(lambda ref, what: resolve_secret(ref, what=what, environ=env))

        def reveal(secret: object, what: str) -> str:
            clear = resolving(secret, what)  # type: ignore[arg-type]
            scrub.add(clear)  # an encryption key sent in a body is never logged either
            return clear

        extra["reveal"] = reveal
    return CLIENTS[provider.type](
        provider, http=http, credentials=credentials, endpoint=endpoint, clock=clock, retry=retry, scrub=scrub, **extra
    )


def _scrubbing_refreshes(credentials: AccessKey, scrub: Scrubber) -> AccessKey:
    """A key that refreshes (assume-role, SSO, metadata) brings new secrets: the log scrubs them too."""
    refresh = credentials.refresh
    if refresh is None:
        return credentials

    def refreshed() -> AccessKey:
        key = refresh()
        scrub.add(key.secret_access_key)
        scrub.add(key.session_token)
        return key

    return dataclasses.replace(credentials, refresh=refreshed)
