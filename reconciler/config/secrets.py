"""Secret references (`{env: NAME}`, `{file: PATH}`) resolved to their clear value."""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Mapping

from reconciler.errors import CredentialError
from reconciler.model.bos import BosRule
from reconciler.model.common import EnvRef, FileRef, SecretValue
from reconciler.model.config import BucketConfig, Configuration
from reconciler.regular_file import NotRegularFile, read_regular


def resolve_secret(ref: EnvRef | FileRef, *, what: str, environ: Mapping[str, str]) -> str:
    """The clear value of `ref`; `what` names the secret in the error (never the value)."""
    if isinstance(ref, EnvRef):
        value = environ.get(ref.env)
        if not value:
            raise CredentialError(f"the {what} comes from environment variable {ref.env}, which is not set or empty")
        return value
    path = os.path.expanduser(ref.file)
    try:
        value = read_regular(path).decode("utf-8").rstrip("\r\n")
    except FileNotFoundError:
        raise CredentialError(f"the {what} comes from file {ref.file}, which does not exist") from None
    except (IsADirectoryError, NotRegularFile):
        raise CredentialError(f"the {what} comes from {ref.file}, which is not a regular file") from None
    except PermissionError:
        raise CredentialError(
            f"the {what} comes from file {ref.file}, which cannot be read (permission denied)"
        ) from None
    except UnicodeDecodeError:
        raise CredentialError(f"the {what} comes from file {ref.file}, which is not UTF-8 text") from None
    except OSError as exc:
        raise CredentialError(f"the {what} comes from file {ref.file}, which cannot be read ({exc.strerror})") from None
    if not value:
        raise CredentialError(f"the {what} comes from file {ref.file}, which is empty")
    return value



def secret_resolver(environ: Mapping[str, str]) -> Callable[[EnvRef | FileRef, str], str]:
    """`resolve_secret` over `environ`, as the planner's functions take it: (reference, what) -> clear value."""

    def resolve(ref: EnvRef | FileRef, what: str) -> str:
        return resolve_secret(ref, what=what, environ=environ)

    return resolve

def resolve_rule_secrets(
    config: Configuration, environ: Mapping[str, str], *, addresses: Collection[str] | None = None
) -> Configuration:
    """The configuration with BOS `encryption.key` references replaced by their SecretValue.

    With `addresses`, only those buckets' secrets are resolved: a run limited by --target needs
    no secret of a bucket it does not touch.
    """
    buckets = tuple(
        _bucket_secrets(bucket, environ) if addresses is None or bucket.address in addresses else bucket
        for bucket in config.buckets
    )
    return config.model_copy(update={"buckets": buckets})


def _bucket_secrets(bucket: BucketConfig, environ: Mapping[str, str]) -> BucketConfig:
    rules = []
    for rule in bucket.notifications:
        ref = rule.encryption.key if isinstance(rule, BosRule) and rule.encryption is not None else None
        if isinstance(ref, (EnvRef, FileRef)):
            clear = resolve_secret(ref, what=f"encryption.key of rule {bucket.address}/{rule.id}", environ=environ)
            encryption = rule.encryption.model_copy(update={"key": SecretValue.of(clear, ref=ref)})
            rule = rule.model_copy(update={"encryption": encryption})
        rules.append(rule)
    return bucket.model_copy(update={"notifications": tuple(rules)})
