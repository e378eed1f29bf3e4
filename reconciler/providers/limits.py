"""Bounds on what one server answer may cost us: time, decoded size, nesting depth, element count.

A notification document is small (a real one is a few KiB); these caps sit far above any real
configuration and far below what would hang the tool or exhaust its memory. They live in the
layer that reads answers, so they hold whatever transport carries the bytes.

- `Timeouts`: connect and read (per socket operation, httpx's own) and `request`, the overall
  deadline of one request including its retries, which a server trickling one byte per second
  cannot stretch.
- `read_body`: reads an answer's bytes, decoding gzip/deflate itself with bounded output, and
  stops as soon as the decoded size passes `MAX_ANSWER_BYTES` (a gzip bomb is refused after a
  few MiB of output, not after gigabytes).
- `check_json_shape`: depth and element caps checked without recursion before `json.loads`.
  XML's are enforced while parsing (`safe_xml.parse`).
"""

from __future__ import annotations

import re
import time
import zlib
from dataclasses import dataclass

import httpx

MAX_ANSWER_BYTES = 4 * 1024 * 1024  # decoded
# a remote state file (~1.1 KiB a bucket: 4 MiB would refuse, on its next read, a state of ~3,700
# buckets that was just saved)
MAX_STATE_BYTES = 512 * 1024 * 1024  # decoded
MAX_DEPTH = 32  # nesting levels of JSON containers or XML elements
MAX_ELEMENTS = 50_000  # JSON values or XML elements in one document


@dataclass(frozen=True)
class Timeouts:
    """Seconds: `connect` to open a connection, `read` between two received bytes, `request` for
    the whole request (every attempt and pause between attempts included)."""

    connect: float = 10.0
    read: float = 30.0
    request: float = 60.0

    def for_httpx(self) -> httpx.Timeout:
        # a write gets the read allowance; waiting for a pooled connection counts against the deadline
        return httpx.Timeout(self.read, connect=self.connect, pool=self.request)


DEFAULT_TIMEOUTS = Timeouts()


class AnswerTooLarge(httpx.DecodingError):
    """The answer's decoded body passed MAX_ANSWER_BYTES (never retried: it would be again)."""


class BrokenEncoding(httpx.DecodingError):
    """The answer's compressed body is corrupt or cut short (retried for reads)."""


class DeadlineExceeded(httpx.TimeoutException):
    """The overall request deadline passed before a complete answer arrived."""


class DocumentTooComplex(ValueError):
    """A document nested deeper than MAX_DEPTH or holding more than MAX_ELEMENTS values."""


def _size(count: int) -> str:
    return f"{count / (1024 * 1024):g} MiB" if count >= 1024 * 1024 else f"{count} bytes"


class _Decoder:
    """identity, gzip, x-gzip or deflate, with output bounded by `limit` at every step."""

    def __init__(self, encoding: str, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self.received = False
        self.parts: list[bytes] = []
        names = [part.strip().lower() for part in encoding.split(",") if part.strip()]
        names = [name for name in names if name != "identity"]
        if len(names) > 1:
            raise BrokenEncoding(f"more than one content encoding ({encoding!r}) is not accepted")
        name = names[0] if names else ""
        if name in ("gzip", "x-gzip"):
            self._zlib: zlib._Decompress | None = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif name == "deflate":
            self._zlib = zlib.decompressobj()  # zlib-wrapped, as RFC 9110 says
        elif name == "":
            self._zlib = None
        else:
            raise BrokenEncoding(f"content encoding {name!r} is not supported")

    def _keep(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limit:
            raise AnswerTooLarge(f"the answer is larger than {_size(self.limit)}")
        self.parts.append(data)

    def feed(self, raw: bytes) -> None:
        self.received = self.received or bool(raw)
        if self._zlib is None:
            self._keep(raw)
            return
        data = raw
        while data:
            if self._zlib.eof:
                raise BrokenEncoding("data follows the end of the compressed body")
            try:
                out = self._zlib.decompress(data, self.limit - self.size + 1)
            except zlib.error as exc:
                raise BrokenEncoding(f"the compressed body is corrupt ({exc})") from None
            self._keep(out)
            data = self._zlib.unconsumed_tail

    def finish(self) -> bytes:
        if self._zlib is not None:
            if self.received and not self._zlib.eof:
                raise BrokenEncoding("the compressed body is cut short")
            try:
                self._keep(self._zlib.flush())
            except zlib.error as exc:
                raise BrokenEncoding(f"the compressed body is corrupt ({exc})") from None
        return b"".join(self.parts)


def _checked_size(body: bytes, limit: int) -> bytes:
    if len(body) > limit:
        raise AnswerTooLarge(f"the answer is larger than {_size(limit)}")
    return body


def _about(exc: httpx.DecodingError, response: httpx.Response) -> httpx.DecodingError:
    """The error, carrying the status and headers of the answer (for its request id)."""
    exc.status_code = response.status_code  # type: ignore[attr-defined]
    exc.headers = response.headers  # type: ignore[attr-defined]
    return exc


async def read_body(response: httpx.Response, limit: int = MAX_ANSWER_BYTES) -> bytes:
    """The decoded body of a response straight from a transport, never more than `limit` bytes
    held; raises AnswerTooLarge or BrokenEncoding (and the transport's own read errors)."""
    try:
        if hasattr(response, "_content"):  # already in memory (a test double's response read before)
            return _checked_size(response.content, limit)
        decoder = _Decoder(response.headers.get("content-encoding", ""), limit)
        async for chunk in response.aiter_raw():
            decoder.feed(chunk)
        return decoder.finish()
    except (AnswerTooLarge, BrokenEncoding) as exc:
        raise _about(exc, response) from None
    finally:
        await response.aclose()


def read_body_sync(response: httpx.Response, limit: int = MAX_ANSWER_BYTES, deadline: float | None = None) -> bytes:
    """`read_body` for the blocking client; past `deadline` (time.monotonic()) between two received
    chunks, DeadlineExceeded (a blocking read cannot be cut short, a trickle can be stopped)."""
    try:
        if hasattr(response, "_content"):
            return _checked_size(response.content, limit)
        decoder = _Decoder(response.headers.get("content-encoding", ""), limit)
        for chunk in response.iter_raw():
            decoder.feed(chunk)
            if deadline is not None and time.monotonic() > deadline:
                raise DeadlineExceeded("no complete answer before the request deadline")
        return decoder.finish()
    except (AnswerTooLarge, BrokenEncoding) as exc:
        raise _about(exc, response) from None
    finally:
        response.close()


def decoded_response(response: httpx.Response, body: bytes, request: httpx.Request) -> httpx.Response:
    """A response holding `body` as read by `read_body`: same status and headers, minus the
    encoding and length of what was on the wire."""
    headers = [
        (name, value)
        for name, value in response.headers.multi_items()
        if name.lower() not in ("content-encoding", "content-length", "transfer-encoding")
    ]
    return httpx.Response(
        response.status_code, headers=headers, content=body, request=request, extensions=response.extensions
    )


# a JSON string (escapes included) or one structural character; strings are skipped whole
_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{},]', re.DOTALL)


def check_json_shape(text: str, max_depth: int = MAX_DEPTH, max_elements: int = MAX_ELEMENTS) -> None:
    """Raises DocumentTooComplex for JSON nested deeper than `max_depth` or holding more than
    `max_elements` values; broken JSON is left for the parser to describe."""
    depth = 0
    elements = 1
    for match in _JSON_TOKENS.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            elements += 1
            if depth > max_depth:
                raise DocumentTooComplex(f"is nested deeper than {max_depth} levels")
        elif token in ("]", "}"):
            depth -= 1
        elif token == ",":
            elements += 1
        if elements > max_elements:
            raise DocumentTooComplex(f"holds more than {max_elements} values")
