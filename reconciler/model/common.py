"""Building blocks shared by every dialect: frozen models, secret references and secret values."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from pydantic import BaseModel, ConfigDict, PrivateAttr, field_validator


class Frozen(BaseModel):
    """Immutable, closed model: `==` between two instances is semantic equality."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def sorted_unique(values: Any) -> Any:
    """Normalise a set-like field: a lone string becomes a one-item set; sorted, de-duplicated."""
    if values is None:
        return ()
    if isinstance(values, str):
        return (values,)
    if isinstance(values, Iterable) and not isinstance(values, (bytes, dict)):
        items = list(values)
        if all(isinstance(v, str) for v in items):
            return tuple(sorted(set(items)))
        return tuple(items)
    return values


# --- secret references (what configuration files hold) ---------------------------------------


class EnvRef(Frozen):
    """`{env: NAME}`: the value of an environment variable."""

    env: str


class FileRef(Frozen):
    """`{file: PATH}`: the content of a file, trailing newline stripped."""

    file: str


SecretRef = EnvRef | FileRef


# The key of secret digests: the state's own random salt (see `StateFile.digest_key`), set by a
# command for its whole run once the state is read. Without one (validate, tests), the legacy
# unkeyed sha256 digest.
_DIGEST_KEY: ContextVar[str | None] = ContextVar("digest_key", default=None)
_DIGEST = re.compile(r"^(sha256|hmac-sha256):[0-9a-f]{64}$")


@contextmanager
def digest_key(key: str | None) -> Iterator[None]:
    """Secret digests made inside are `hmac-sha256:` keyed with `key` (None: plain sha256), so a
    weak secret cannot be looked up in a precomputed table by whoever reads a state or plan."""
    token = _DIGEST_KEY.set(key)
    try:
        yield
    finally:
        _DIGEST_KEY.reset(token)


def digest_of(clear: str) -> str:
    key = _DIGEST_KEY.get()
    if key is None:
        return "sha256:" + hashlib.sha256(clear.encode("utf-8")).hexdigest()
    return "hmac-sha256:" + hmac.new(key.encode("utf-8"), clear.encode("utf-8"), hashlib.sha256).hexdigest()


class SecretValue(Frozen):
    """A resolved secret, known everywhere by its digest.

    The clear value is a private attribute: it is never dumped, printed or compared; it exists
    only so a provider codec can put it on the wire (`reveal()`). `ref` remembers where the value
    came from so a saved plan can resolve it again at apply time without storing it.
    """

    digest: str
    ref: EnvRef | FileRef | None = None
    _clear: str | None = PrivateAttr(default=None)

    @field_validator("digest")
    @classmethod
    def _is_digest(cls, value: str) -> str:
        if not _DIGEST.match(value):
            raise ValueError("a secret digest is 'hmac-sha256:' or 'sha256:' followed by 64 hex digits")
        return value

    @classmethod
    def of(cls, clear: str, ref: EnvRef | FileRef | None = None) -> SecretValue:
        secret = cls(digest=digest_of(clear), ref=ref)
        secret._clear = clear
        return secret

    @property
    def known(self) -> bool:
        return self._clear is not None

    def reveal(self) -> str:
        if self._clear is None:
            raise ValueError("the clear value of this secret is not known")
        return self._clear

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretValue) and other.digest == self.digest

    def __hash__(self) -> int:
        return hash(self.digest)

    def __repr__(self) -> str:
        return f"SecretValue({self.digest[:15]}…)"

    __str__ = __repr__


REDACTED = "(sensitive value)"

# C0 controls (tab aside) as their control pictures, DEL as ␡, C1 controls as �: one character each
_VISIBLE = {c: 0x2400 + c for c in range(0x20) if c != 0x09} | {0x7F: 0x2421}
_VISIBLE |= dict.fromkeys(range(0x80, 0xA0), 0xFFFD)
_SGR = re.compile(r"(\x1b\[[0-9;]*m)")


def printable(text: str, *, keep: str = "", keep_sgr: bool = False) -> str:
    """`text` with every control character shown, not obeyed: rule ids, targets and server messages
    are data, and must never clear a terminal or start a fake line. `keep` lists characters the
    caller wrote itself (a document's newlines); `keep_sgr` keeps colour codes (colour output)."""
    table = {c: v for c, v in _VISIBLE.items() if chr(c) not in keep} if keep else _VISIBLE
    if not keep_sgr:
        return text.translate(table)
    return "".join(part if index % 2 else part.translate(table) for index, part in enumerate(_SGR.split(text)))


# --- dotted paths into JSON-able rule documents (`encryption.key`, `apps[].key`) ----------------


def _slots(node: Any, parts: list[str]) -> Iterator[tuple[Any, str | int]]:
    """Every (container, key) a dotted path with `[]` list steps reaches in a JSON-able tree."""
    if not parts:
        return
    name, rest = parts[0], parts[1:]
    each = name.endswith("[]")
    key = name[:-2] if each else name
    if not isinstance(node, dict) or node.get(key) is None:
        return
    if each:
        items = node[key]
        if not isinstance(items, list):
            return
        for index, item in enumerate(items):
            if rest:
                yield from _slots(item, rest)
            else:
                yield items, index
    elif rest:
        yield from _slots(node[key], rest)
    else:
        yield node, key


def reached(document: Any, path: str) -> list[tuple[Any, str | int]]:
    return list(_slots(document, path.split(".")))
