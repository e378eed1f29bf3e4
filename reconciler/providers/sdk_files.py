"""Credential files of the official SDKs that reconciler reads as they do."""

from __future__ import annotations

import os
import stat

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from reconciler.errors import CredentialError


def read_qingstor_config(path: str) -> tuple[str, str] | None:
    """(access_key_id, secret_access_key) of qingstor-sdk's config file (YAML); None when there is
    no such file. Empty strings stand for keys the file leaves empty (the SDK's installed default)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise CredentialError(f"qingstor-sdk's config file {path} is not a regular file")
        with open(path, encoding="utf-8") as handle:
            data = YAML(typ="safe", pure=True).load(handle)
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise CredentialError(f"qingstor-sdk's config file {path} cannot be read: {exc}") from None
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise CredentialError(f"qingstor-sdk's config file {path} is not valid YAML{where}") from None
    if data is None:
        return None
    if not isinstance(data, dict):
        raise CredentialError(f"qingstor-sdk's config file {path} is not a mapping of settings")
    values = []
    for name in ("access_key_id", "secret_access_key"):
        value = data.get(name)
        if value is not None and not isinstance(value, str):
            raise CredentialError(f"qingstor-sdk's config file {path}: {name} is not a string")
        values.append(value or "")
    return values[0], values[1]
