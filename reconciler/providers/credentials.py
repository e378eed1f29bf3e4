"""Access keys for a provider, resolved before any request is made.

Each provider type has its ecosystem's chain; the first source that has a key wins:

| type     | chain                                                                                   |
|----------|-----------------------------------------------------------------------------------------|
| all      | 1. the configuration's own `credentials:` block (`{env: …}` / `{file: …}` references)   |
| qingstor | 2. QINGSTOR_ACCESS_KEY_ID / QY_ACCESS_KEY_ID (and the secrets) 3. qingstor-sdk's config |
|          |    file ~/.qingstor/config.yaml (`access_key_id`, `secret_access_key`)                  |
| bos      | 2. BCE_ACCESS_KEY_ID, BCE_SECRET_ACCESS_KEY, BCE_SESSION_TOKEN (STS)                     |
| s3       | 2. AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (not with `profile:`)     |
|          | 3. botocore's chain (reconciler.providers.aws_chain): shared files and profiles,        |
|          |    credential_process, SSO, assume-role, web identity, container and instance metadata |

The variables of step 2 come from the `environ` mapping given (the process environment in every
command; a test seam otherwise); botocore's chain reads the process environment and the files it
names. Keys from a refreshing source (assume-role, SSO, metadata) are re-read by `AccessKey.current`
before each signature, so a long run never signs with an expired key.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

from reconciler.config.secrets import resolve_secret
from reconciler.errors import CredentialError
from reconciler.kinds import kind_of
from reconciler.model.common import EnvRef, FileRef
from reconciler.model.config import ProviderConfig
from reconciler.providers.access_key import AccessKey

QINGSTOR_CONFIG_FILE = os.path.join("~", ".qingstor", "config.yaml")  # qingstor-sdk's default_config_file


def _reference(provider: ProviderConfig, name: str) -> EnvRef | FileRef | None:
    return getattr(provider.credentials, name, None) if provider.credentials else None


def _what(provider: ProviderConfig, name: str) -> str:
    return f"{name} of provider {provider.name!r}"


def _from_configuration(provider: ProviderConfig, environ: Mapping[str, str]) -> AccessKey | None:
    """Step 1: the `credentials:` block. A block that names one key names both (else the error)."""
    if provider.credentials is None:
        return None
    named = {
        name: _reference(provider, name)
        for name in ("access_key_id", "secret_access_key", "session_token")
        if _reference(provider, name) is not None
    }
    if not named:
        return None
    values = {name: resolve_secret(ref, what=_what(provider, name), environ=environ) for name, ref in named.items()}
    # a block may name only some fields, as it always could: the others come from the variables
    for name in ("access_key_id", "secret_access_key", "session_token"):
        if name not in values:
            values[name] = _variable(provider, name, environ)
    access_key_id, secret, token = values["access_key_id"], values["secret_access_key"], values["session_token"]
    for name, value in (("access_key_id", access_key_id), ("secret_access_key", secret)):
        if value is None:
            raise CredentialError(_missing(provider, name))
    return AccessKey(access_key_id, secret, token, origin="configuration")  # type: ignore[arg-type]


def _variable(provider: ProviderConfig, name: str, environ: Mapping[str, str]) -> str | None:
    for variable in kind_of(provider.type).credentials.get(name, ()):
        if environ.get(variable):
            return resolve_secret(EnvRef(env=variable), what=_what(provider, name), environ=environ)
    return None


def _from_variables(provider: ProviderConfig, environ: Mapping[str, str]) -> AccessKey | None:
    """Step 2: the ecosystem's environment variables; one of the pair without the other is an error."""
    access_key_id = _variable(provider, "access_key_id", environ)
    secret = _variable(provider, "secret_access_key", environ)
    if access_key_id is None and secret is None:
        return None
    if access_key_id is None or secret is None:
        raise CredentialError(_missing(provider, "access_key_id" if access_key_id is None else "secret_access_key"))
    return AccessKey(access_key_id, secret, _variable(provider, "session_token", environ), origin="environment")


def _from_qingstor_file(provider: ProviderConfig, environ: Mapping[str, str]) -> AccessKey | None:
    """Step 3 for qingstor: the SDK's own config file, as `Config().load_user_config()` reads it."""
    from reconciler.providers.sdk_files import read_qingstor_config

    home = environ.get("HOME") or os.path.expanduser("~")
    path = os.path.join(home, ".qingstor", "config.yaml")
    found = read_qingstor_config(path)
    if found is None:
        return None
    access_key_id, secret = found
    if not access_key_id and not secret:
        return None  # the SDK installs this file with empty keys
    if not access_key_id or not secret:
        missing = "access_key_id" if not access_key_id else "secret_access_key"
        raise CredentialError(f"provider {provider.name!r}: {path} sets no {missing} (qingstor-sdk's config file)")
    return AccessKey(access_key_id, secret, origin=f"qingstor-sdk config file {path}")


def _hint(provider: ProviderConfig) -> str:
    if provider.type == "qingstor":
        return f", write them in qingstor-sdk's {QINGSTOR_CONFIG_FILE}"
    if provider.type == "s3":
        return (
            ", set up an AWS profile (~/.aws/credentials or ~/.aws/config, chosen with AWS_PROFILE or the "
            "provider's `profile:`; credential_process, SSO and assume-role profiles work too), "
            "or run where container or instance metadata serves credentials"
        )
    return ""


def _missing(provider: ProviderConfig, name: str) -> str:
    alternatives = " or ".join(kind_of(provider.type).credentials[name])
    return (
        f"provider {provider.name!r} has no {name}: set {alternatives}{_hint(provider)}, "
        f"or reference one under `credentials.{name}` in the configuration"
    )


def resolve_credentials(provider: ProviderConfig, environ: Mapping[str, str]) -> AccessKey:
    """The provider's key from its chain (see the module doc); CredentialError naming what to set."""
    key = _from_configuration(provider, environ)
    if key is not None:
        return key
    profile = getattr(provider, "profile", None)
    if not profile:
        key = _from_variables(provider, environ)
        if key is not None:
            return key
    if provider.type == "qingstor":
        key = _from_qingstor_file(provider, environ)
    elif provider.type == "s3":
        from reconciler.providers.aws_chain import botocore_credentials  # botocore only when it is needed

        key = botocore_credentials(provider.name, profile)
    if key is None:
        raise CredentialError(_missing(provider, "access_key_id"))
    return key


def resolve_all(providers: Iterable[ProviderConfig], environ: Mapping[str, str]) -> dict[str, AccessKey]:
    """Every provider's key; one CredentialError naming every provider that has none (one line each)."""
    keys: dict[str, AccessKey] = {}
    problems: list[str] = []
    for provider in providers:
        try:
            keys[provider.name] = resolve_credentials(provider, environ)
        except CredentialError as exc:
            problems.append(str(exc))
    if len(problems) == 1:
        raise CredentialError(problems[0])
    if problems:
        raise CredentialError(f"{len(problems)} providers have no usable credentials:\n  " + "\n  ".join(problems))
    return keys
