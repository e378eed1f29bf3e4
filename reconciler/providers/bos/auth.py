"""Baidu BCE `bce-auth-v1` signature.

    auth_prefix   = bce-auth-v1/<ak>/<UTC yyyy-mm-ddThh:mm:ssZ>/<expiration>
    signing_key   = hex(HMAC-SHA256(secret, auth_prefix))         # the hex text is the next key
    canonical     = METHOD \n UriEncode(path) \n canonical query \n canonical headers
    Authorization = auth_prefix/<signed headers or empty>/hex(HMAC-SHA256(signing_key, canonical))

Facts and vectors: reference/providers.md §2.3 and reference/peers.md §3.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Mapping
from datetime import datetime
from urllib.parse import quote, unquote

import httpx

from reconciler.providers.signing import Clock, SigningAuth, as_utc, hmac_sha256, signed_parts, utc_now

DEFAULT_HEADERS_TO_SIGN = frozenset({"host", "content-md5", "content-length", "content-type"})


def uri_encode(text: str, *, keep_slash: bool = False) -> str:
    """Every byte but A-Z a-z 0-9 - _ . ~ becomes %XX (upper-case hex)."""
    return quote(text, safe="/~" if keep_slash else "~")


def canonical_time(timestamp: datetime) -> str:
    return as_utc(timestamp).strftime("%Y-%m-%dT%H:%M:%SZ")


def canonical_query(params: Mapping[str, str]) -> str:
    return "&".join(
        sorted(
            f"{uri_encode(key)}={uri_encode(value or '')}"
            for key, value in params.items()
            if key.lower() != "authorization"
        )
    )


def canonical_headers(headers: Mapping[str, str], headers_to_sign: Iterable[str] | None) -> str:
    wanted = {name.strip().lower() for name in headers_to_sign or ()} or DEFAULT_HEADERS_TO_SIGN
    lines = []
    for name, value in headers.items():
        key, text = name.strip().lower(), value.strip()
        # x-bce-* headers are always signed, as the SDK does; empty values never are
        if text and (key.startswith("x-bce-") or key in wanted):
            lines.append(f"{uri_encode(key)}:{uri_encode(text)}")
    return "\n".join(sorted(lines))


def canonical_request(
    method: str,
    path: str,
    params: Mapping[str, str],
    headers: Mapping[str, str],
    headers_to_sign: Iterable[str] | None,
) -> str:
    return "\n".join(
        (
            method.upper(),
            uri_encode(unquote(path) or "/", keep_slash=True),
            canonical_query(params),
            canonical_headers(headers, headers_to_sign),
        )
    )


def auth_prefix(access_key_id: str, timestamp: datetime, expiration: int = 1800) -> str:
    return f"bce-auth-v1/{access_key_id}/{canonical_time(timestamp)}/{expiration}"


def signing_key(secret: str, auth_prefix: str) -> str:
    return hmac_sha256(secret, auth_prefix).hex()


def authorization(
    access_key_id: str,
    secret: str,
    method: str,
    path: str,
    params: Mapping[str, str],
    headers: Mapping[str, str],
    timestamp: datetime,
    expiration: int = 1800,
    headers_to_sign: Iterable[str] | None = None,
) -> str:
    prefix = auth_prefix(access_key_id, timestamp, expiration)
    signed = sorted({name.strip().lower() for name in headers_to_sign or ()})
    canonical = canonical_request(method, path, params, headers, signed or None)
    signature = hmac_sha256(signing_key(secret, prefix), canonical).hex()
    return f"{prefix}/{';'.join(signed)}/{signature}"


class BceAuth(SigningAuth):
    """Sets `x-bce-date` (and `x-bce-security-token` for STS keys, as the SDK does) and signs with
    the default header set (host, content-*, x-bce-*)."""

    def __init__(
        self,
        access_key_id: str,
        secret: str,
        *,
        expiration: int = 1800,
        session_token: str | None = None,
        clock: Clock = utc_now,
    ) -> None:
        super().__init__(access_key_id, secret, clock=clock)
        self.expiration = expiration
        self._session_token = session_token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        now = self._clock()  # read once: the date header and the auth prefix must agree
        request.headers["x-bce-date"] = canonical_time(now)
        if self._session_token:
            request.headers["x-bce-security-token"] = self._session_token
        request.headers["Authorization"] = authorization(
            self.access_key_id,
            self._secret,
            *signed_parts(request),
            now,
            self.expiration,
        )
        yield request
