"""QingStor `QS` header signature (HMAC-SHA256, base64).

    string_to_sign = VERB \n Content-MD5 \n Content-Type \n Date \n CanonicalizedHeaders CanonicalizedResource
    Authorization: QS <access_key_id>:<base64(HMAC-SHA256(secret, string_to_sign))>

Facts and vectors: reference/providers.md §1.4 and reference/peers.md §2. The same
`string_to_sign` serves query signing when the caller puts the expiry in the Date line and
leaves out Content-Type, as the SDKs do.
"""

from __future__ import annotations

import base64
from collections.abc import Generator, Mapping
from email.utils import format_datetime
from urllib.parse import quote, unquote

import httpx

from reconciler.providers.signing import Clock, SigningAuth, as_utc, header, hmac_sha256, signed_parts, utc_now

# Query keys that take part in the signature (the Go SDK v2 whitelist, a superset of Python's).
SUB_RESOURCES = frozenset(
    {
        "acl", "append", "cname", "cors", "delete", "image", "lifecycle", "logging", "mirror",
        "notification", "part_number", "policy", "position", "replication", "stats", "upload_id",
        "uploads", "versioning", "version_id", "versions", "response-expires",
        "response-cache-control", "response-content-type", "response-content-language",
        "response-content-encoding", "response-content-disposition",
    }
)  # fmt: skip


def canonicalized_headers(headers: Mapping[str, str]) -> str:
    entries = sorted(
        (name.strip().lower(), value.strip()) for name, value in headers.items() if name.lower().startswith("x-qs-")
    )
    return "".join(f"{name}:{value}\n" for name, value in entries)


def canonicalized_resource(
    path: str, query: Mapping[str, str], *, bucket: str | None = None, virtual_host: bool = False
) -> str:
    resource = quote(unquote(path or "/"))
    if virtual_host and bucket:
        # the gateway expects the bucket back in front of a virtual-host path: `/<bucket>/`
        resource = f"/{bucket}{resource}"
    keys = sorted(f"{key}={value}" if value else key for key, value in query.items() if key in SUB_RESOURCES)
    return f"{resource}?{'&'.join(keys)}" if keys else resource


def string_to_sign(
    method: str,
    path: str,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    *,
    bucket: str | None = None,
    virtual_host: bool = False,
) -> str:
    date = "" if header(headers, "x-qs-date") else header(headers, "date") or ""
    return (
        f"{method.upper()}\n"
        f"{header(headers, 'content-md5') or ''}\n"
        f"{header(headers, 'content-type') or ''}\n"
        f"{date}\n"
        f"{canonicalized_headers(headers)}"
        f"{canonicalized_resource(path, query, bucket=bucket, virtual_host=virtual_host)}"
    )


def sign(secret: str, string_to_sign: str) -> str:
    return base64.b64encode(hmac_sha256(secret, string_to_sign)).decode("ascii").strip()


class QingStorAuth(SigningAuth):
    """Sets `Date` from the clock and signs exactly the headers the request carries."""

    def __init__(
        self,
        access_key_id: str,
        secret: str,
        *,
        bucket: str | None = None,
        virtual_host: bool = False,
        clock: Clock = utc_now,
    ) -> None:
        if virtual_host and not bucket:
            raise ValueError("virtual-host signing needs the bucket name")
        super().__init__(access_key_id, secret, clock=clock)
        self.bucket = bucket
        self.virtual_host = virtual_host

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Date"] = format_datetime(as_utc(self._clock()), usegmt=True)
        text = string_to_sign(
            *signed_parts(request),
            bucket=self.bucket,
            virtual_host=self.virtual_host,
        )
        request.headers["Authorization"] = f"QS {self.access_key_id}:{sign(self._secret, text)}"
        yield request
