"""Primitives shared by the three signature schemes: HMAC-SHA256, an injectable clock and the
shape of their `httpx.Auth` classes."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

import httpx

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """Naive datetimes are taken as UTC, so test vectors can be written either way."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def hmac_sha256(key: bytes | str, message: str) -> bytes:
    raw_key = key.encode("utf-8") if isinstance(key, str) else key
    return hmac.new(raw_key, message.encode("utf-8"), hashlib.sha256).digest()


def header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive header lookup over any mapping (httpx.Headers or a plain dict)."""
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def signed_parts(request: httpx.Request) -> tuple[str, str, dict[str, str], httpx.Headers]:
    """What every scheme signs: method, path, query parameters and headers."""
    return request.method, request.url.path, dict(request.url.params.multi_items()), request.headers


class SigningAuth(httpx.Auth):
    """An access key that may be shown, a secret that never is, and the clock a signature reads."""

    shown: tuple[str, ...] = ("access_key_id",)  # the attributes `repr` names; never the secret

    def __init__(self, access_key_id: str, secret: str, *, clock: Clock = utc_now) -> None:
        self.access_key_id = access_key_id
        self._secret = secret
        self._clock = clock

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.shown)
        return f"{type(self).__name__}({fields})"
