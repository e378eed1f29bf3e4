"""Access keys for a provider, resolved before any request is made.

Each field comes from the provider's `credentials` reference when given, else from the
ecosystem's usual environment variables (the first one set wins):
- qingstor: QINGSTOR_ACCESS_KEY_ID / QINGSTOR_SECRET_ACCESS_KEY (QingStor's SDK convention), then
  QY_ACCESS_KEY_ID / QY_SECRET_ACCESS_KEY (QingCloud's CLI key names);
- bos: BCE_ACCESS_KEY_ID / BCE_SECRET_ACCESS_KEY;
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
_OPTIONAL = frozenset({"session_token"})


@dataclass(frozen=True)
class AccessKey:
    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)


def _resolve_field(
    provider: ProviderConfig, name: str, environ: Mapping[str, str]
) -> str | None:
    ref: EnvRef | FileRef | None = getattr(provider.credentials, name, None) if provider.credentials else None
    what = f"{name} of provider {provider.name!r}"
    if ref is not None:
        return resolve_secret(ref, what=what, environ=environ)
    candidates = DEFAULT_ENV[provider.type].get(name, ())
    for variable in candidates:
        if environ.get(variable):
            return resolve_secret(EnvRef(env=variable), what=what, environ=environ)
    if name in _OPTIONAL:
        return None
    alternatives = " or ".join(candidates)
    raise CredentialError(
        f"provider {provider.name!r} has no {name}: set {alternatives}, "
        f"or reference one under `credentials.{name}` in the configuration"
    )


def resolve_credentials(provider: ProviderConfig, environ: Mapping[str, str]) -> AccessKey:
    access_key_id = _resolve_field(provider, "access_key_id", environ)
    secret = _resolve_field(provider, "secret_access_key", environ)
    token = _resolve_field(provider, "session_token", environ) if provider.type == "s3" else None
    assert access_key_id is not None and secret is not None  # required fields raise instead
    return AccessKey(access_key_id, secret, token)
