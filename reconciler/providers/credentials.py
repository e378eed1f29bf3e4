"""Access keys for a provider, resolved before any request is made.

Each field comes from the provider's `credentials` reference when given, else from the
ecosystem's usual environment variables (the first one set wins):
- qingstor: QINGSTOR_ACCESS_KEY_ID / QINGSTOR_SECRET_ACCESS_KEY (what QingStor's JS and Java SDKs
  read; the Python SDK reads no environment), then QY_ACCESS_KEY_ID / QY_SECRET_ACCESS_KEY
  (QingCloud's CLI key names);
- bos: BCE_ACCESS_KEY_ID / BCE_SECRET_ACCESS_KEY (the common convention; the BCE SDKs read none);
- s3: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, and AWS_SESSION_TOKEN (or the legacy
  AWS_SECURITY_TOKEN) when set, as botocore's environment provider reads them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from reconciler.config.secrets import resolve_secret
from reconciler.errors import CredentialError
from reconciler.model.common import EnvRef, FileRef
from reconciler.model.config import ProviderConfig

# field -> candidate environment variables, per provider type
DEFAULT_ENV: dict[str, dict[str, tuple[str, ...]]] = {
    "qingstor": {
        "access_key_id": ("QINGSTOR_ACCESS_KEY_ID", "QY_ACCESS_KEY_ID"),
        "secret_access_key": ("QINGSTOR_SECRET_ACCESS_KEY", "QY_SECRET_ACCESS_KEY"),
    },
    "bos": {
        "access_key_id": ("BCE_ACCESS_KEY_ID",),
        "secret_access_key": ("BCE_SECRET_ACCESS_KEY",),
    },
    "s3": {
        "access_key_id": ("AWS_ACCESS_KEY_ID",),
        "secret_access_key": ("AWS_SECRET_ACCESS_KEY",),
        "session_token": ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"),
    },
}


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
    for variable in DEFAULT_ENV[provider.type].get(name, ()):
        if environ.get(variable):
            return resolve_secret(EnvRef(env=variable), what=what, environ=environ)
    return None


def _required(provider: ProviderConfig, name: str, environ: Mapping[str, str]) -> str:
    value = _lookup(provider, name, environ)
    if value is None:
        alternatives = " or ".join(DEFAULT_ENV[provider.type][name])
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
