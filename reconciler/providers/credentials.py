"""Access keys for a provider, resolved before any request is made.

Each field comes from the provider's `credentials` reference when given, else from the
ecosystem's usual environment variables (the first one set wins), as each kind's `credentials`
entry in the registry (reconciler.kinds) names them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from reconciler.config.secrets import resolve_secret
from reconciler.errors import CredentialError
from reconciler.kinds import kind_of
from reconciler.model.common import EnvRef, FileRef
from reconciler.model.config import ProviderConfig


@dataclass(frozen=True)
class AccessKey:
    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)


def _lookup(provider: ProviderConfig, name: str, environ: Mapping[str, str]) -> str | None:
    """The field's value from its reference or the first default variable set; None if neither."""
    ref: EnvRef | FileRef | None = getattr(provider.credentials, name, None) if provider.credentials else None
    what = f"{name} of provider {provider.name!r}"
    if ref is not None:
        return resolve_secret(ref, what=what, environ=environ)
    for variable in kind_of(provider.type).credentials.get(name, ()):
        if environ.get(variable):
            return resolve_secret(EnvRef(env=variable), what=what, environ=environ)
    return None


def _required(provider: ProviderConfig, name: str, environ: Mapping[str, str]) -> str:
    value = _lookup(provider, name, environ)
    if value is None:
        alternatives = " or ".join(kind_of(provider.type).credentials[name])
        raise CredentialError(
            f"provider {provider.name!r} has no {name}: set {alternatives}, "
            f"or reference one under `credentials.{name}` in the configuration"
        )
    return value


def resolve_credentials(provider: ProviderConfig, environ: Mapping[str, str]) -> AccessKey:
    return AccessKey(
        _required(provider, "access_key_id", environ),
        _required(provider, "secret_access_key", environ),
        _lookup(provider, "session_token", environ) if provider.type == "s3" else None,
    )
