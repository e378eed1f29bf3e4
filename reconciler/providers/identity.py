"""Which physical bucket a provider's bucket is (DESIGN §2): ownership belongs to it, not to a name.

A bucket's identity is its provider type, the normalised endpoint it is reached at (scheme, host
and port as `endpoint_for` resolves them, so a default endpoint derived from the zone or region
and the same URL written out are one endpoint), the zone or region, the bucket name, and the
access-key id it is read with when the command knows it (never a secret). Two configuration
entries whose `physical_location` (reconciler.config.endpoints) is equal reach the same bucket
(aliases).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from reconciler.config.endpoints import normalised_endpoint, physical_location
from reconciler.errors import ReconcilerError
from reconciler.kinds import kind_of
from reconciler.model.config import ProviderConfig
from reconciler.model.identity import BucketIdentity
from reconciler.providers.credentials import AccessKey, resolve_credentials

__all__ = ["bucket_identity", "normalised_endpoint", "physical_location", "provider_identities"]


def bucket_identity(provider: ProviderConfig, bucket: str, account: str | None = None) -> BucketIdentity:
    location = getattr(provider, kind_of(provider.type).location_field)
    return BucketIdentity(
        type=provider.type,
        endpoint=normalised_endpoint(provider) or "",
        location=str(location),
        bucket=bucket,
        account=account,
    )


def provider_identities(
    providers: Iterable[ProviderConfig],
    environ: Mapping[str, str],
    keys: Mapping[str, AccessKey] | None = None,
) -> dict[str, BucketIdentity]:
    """Each provider's identity (its `bucket` left empty), with the access-key id it reads with
    when its credentials resolve (a provider whose credentials do not fails when its client opens).
    `keys`: the keys already resolved, by provider name (not resolved again: a credential_process
    would run twice, an assume-role would ask STS twice). A temporary key names no account."""
    found = {}
    for provider in providers:
        key = (keys or {}).get(provider.name)
        try:
            account: str | None = (key or resolve_credentials(provider, environ)).account
        except ReconcilerError:
            account = None
        found[provider.name] = bucket_identity(provider, "", account)
    return found
