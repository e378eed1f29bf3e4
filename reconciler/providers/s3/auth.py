"""AWS Signature Version 4 for S3 (payload always hashed, canonical URI not normalised).

    canonical request = METHOD \n URI \n sorted query (`notification=`) \n headers \n\n signed \n payload hash
    string to sign    = AWS4-HMAC-SHA256 \n amz-date \n scope \n hex(sha256(canonical request))
    signing key       = HMAC chain "AWS4"+secret → date → region → service → "aws4_request"

Facts and vectors: reference/providers.md §4.1 and reference/peers.md §4.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Generator, Mapping, Sequence
from datetime import datetime
from urllib.parse import quote, unquote

import httpx

from reconciler.providers.signing import Clock, SigningAuth, as_utc, header, hmac_sha256, signed_parts, utc_now

ALGORITHM = "AWS4-HMAC-SHA256"
EMPTY_PAYLOAD_HASH = hashlib.sha256(b"").hexdigest()
_WHITESPACE = re.compile(r"\s+")


def payload_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def amz_date(timestamp: datetime) -> str:
    return as_utc(timestamp).strftime("%Y%m%dT%H%M%SZ")


def credential_scope(date: str, region: str, service: str = "s3") -> str:
    return f"{date}/{region}/{service}/aws4_request"


def _encode(text: str) -> str:
    return quote(text, safe="~")


def canonical_query(query: Mapping[str, str]) -> str:
    return "&".join(sorted(f"{_encode(key)}={_encode(value or '')}" for key, value in query.items()))


def canonical_request(
    method: str,
    path: str,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    signed_headers: Sequence[str],
    payload_hash: str,
) -> str:
    names = sorted({name.lower() for name in signed_headers})
    lines = []
    for name in names:
        value = header(headers, name)
        if value is None:
            raise ValueError(f"header {name!r} is to be signed but is not present")
        lines.append(f"{name}:{_WHITESPACE.sub(' ', value.strip())}\n")
    return "\n".join(
        (
            method.upper(),
            quote(unquote(path or "/"), safe="/~"),
            canonical_query(query),
            "".join(lines),
            ";".join(names),
            payload_hash,
        )
    )


def string_to_sign(amz_date: str, scope: str, canonical_request: str) -> str:
    digest = hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{amz_date}\n{scope}\n{digest}"


def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    key = hmac_sha256("AWS4" + secret, date)
    for part in (region, service, "aws4_request"):
        key = hmac_sha256(key, part)
    return key


def default_signed_headers(headers: Mapping[str, str]) -> list[str]:
    """host, content-type, content-md5 and every x-amz-* header: what proxies leave alone."""
    return sorted(
        {
            name.lower()
            for name in headers
            if name.lower() in ("host", "content-type", "content-md5") or name.lower().startswith("x-amz-")
        }
    )


def authorization(
    access_key_id: str,
    secret: str,
    method: str,
    path: str,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    *,
    timestamp: datetime,
    region: str,
    service: str = "s3",
    payload_hash: str | None = None,
    signed_headers: Sequence[str] | None = None,
) -> str:
    """The Authorization value; `payload_hash` defaults to the request's x-amz-content-sha256."""
    stamp = amz_date(timestamp)
    scope = credential_scope(stamp[:8], region, service)
    names = sorted({name.lower() for name in signed_headers}) if signed_headers else default_signed_headers(headers)
    hashed = payload_hash or header(headers, "x-amz-content-sha256") or EMPTY_PAYLOAD_HASH
    request = canonical_request(method, path, query, headers, names, hashed)
    signature = hmac_sha256(signing_key(secret, stamp[:8], region, service), string_to_sign(stamp, scope, request))
    return (
        f"{ALGORITHM} Credential={access_key_id}/{scope}, SignedHeaders={';'.join(names)}, Signature={signature.hex()}"
    )


class SigV4Auth(SigningAuth):
    """Hashes the body, sets x-amz-date / x-amz-content-sha256 (and the session token), signs."""

    requires_request_body = True
    shown = ("access_key_id", "region")

    def __init__(
        self,
        access_key_id: str,
        secret: str,
        *,
        region: str,
        service: str = "s3",
        session_token: str | None = None,
        clock: Clock = utc_now,
    ) -> None:
        super().__init__(access_key_id, secret, clock=clock)
        self._session_token = session_token
        self.region = region
        self.service = service

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        now = self._clock()
        hashed = payload_hash(request.content)
        request.headers["x-amz-date"] = amz_date(now)
        request.headers["x-amz-content-sha256"] = hashed
        if self._session_token:
            request.headers["x-amz-security-token"] = self._session_token
        request.headers["Authorization"] = authorization(
            self.access_key_id,
            self._secret,
            *signed_parts(request),
            timestamp=now,
            region=self.region,
            service=self.service,
            payload_hash=hashed,
        )
        yield request
