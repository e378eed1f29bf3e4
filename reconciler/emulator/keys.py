"""The access keys the emulator accepts: a default pair, one from flags, or a keys file."""

from __future__ import annotations

import json
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from reconciler.emulator import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY
from reconciler.errors import ReconcilerError
from reconciler.regular_file import read_regular


def accepted_keys(
    access_key: str | None = None, secret_key: str | None = None, keys_file: str | None = None
) -> dict[str, str]:
    """Access key id -> secret. With neither flags nor file: the documented default pair."""
    if (access_key is None) != (secret_key is None):
        raise ReconcilerError("--access-key and --secret-key must be given together")
    keys: dict[str, str] = {}
    if keys_file is not None:
        keys.update(read_keys_file(Path(keys_file)))
    if access_key is not None and secret_key is not None:
        if not access_key or not secret_key:
            raise ReconcilerError("--access-key and --secret-key must not be empty")
        keys[access_key] = secret_key
    return keys or {DEFAULT_ACCESS_KEY: DEFAULT_SECRET_KEY}


def read_keys_file(path: Path) -> dict[str, str]:
    """A JSON or YAML mapping of access key ids to secrets."""
    try:
        text = read_regular(path).decode("utf-8")
    except OSError as error:
        raise ReconcilerError(f"Cannot read keys file {path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise ReconcilerError(f"Keys file {path} is not UTF-8 text (a binary file?)") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else YAML(typ="safe").load(text)
    except (ValueError, YAMLError) as error:
        raise ReconcilerError(
            f"Keys file {path} is not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {error}"
        ) from None
    if not isinstance(data, dict) or not data:
        raise ReconcilerError(f'Keys file {path} must map access key ids to secrets, e.g. {{"my-key": "my-secret"}}')
    for key, secret in data.items():
        if not isinstance(key, str) or not key or not isinstance(secret, str) or not secret:
            raise ReconcilerError(f"Keys file {path}: entry {key!r} must map a non-empty string to a non-empty string")
    return dict(data)
