"""What every dialect handler sees and returns: one request, one reply, one API error.

Handlers are pure functions of a `Call` and a bucket's rules, so they are tested without a
server; only `app.py` touches ASGI.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from urllib.parse import parse_qsl

# Notification documents are small; anything bigger is a mistake or an attack.
MAX_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Call:
    """One HTTP request. `raw_path` is percent-encoded as sent; header names are lower case."""

    method: str
    raw_path: str
    query_string: str
    headers: dict[str, str]
    body: bytes = b""
    request_id: str = "0"

    @cached_property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(self.query_string, keep_blank_values=True))

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: tuple[tuple[str, str], ...] = ()


class ApiError(Exception):
    """A provider error: rendered by the dialect that raised it in its own format.

    `details` are extra fields some formats carry (S3's `<BucketName>`, `<StringToSign>` …);
    `reason` is logged with -v when the public message is deliberately empty (Ceph).
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        details: dict[str, str] | None = None,
        headers: tuple[tuple[str, str], ...] = (),
        reason: str | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {reason or message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}
        self.headers = headers
        self.reason = reason or message


@dataclass
class Outcome:
    """A handler's answer: the reply, and the bucket's new rules when the call changed them."""

    reply: Reply
    rules: tuple | None = None
