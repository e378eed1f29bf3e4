"""Hostile answers to a GET `?notification`, for the client's bounds on time, size and depth.

- `trickle`: a 200 whose body arrives one byte per `trickle_interval_ms`, never finishing;
- `huge`: a 200 streaming `hostile_size` bytes of a valid-looking document;
- `gzip_bomb`: a 200 with `Content-Encoding: gzip` that decodes to `hostile_size` bytes;
- `deep`: a document nested `hostile_size` levels deep (JSON or XML, the dialect's);
- `many`: a document of `hostile_size` rules.

Each is streamed in chunks, so the emulator itself never holds the whole answer.
"""

from __future__ import annotations

import asyncio
import struct
import zlib
from collections.abc import AsyncIterator, Callable
from functools import lru_cache
from typing import Literal

Hostile = Literal["trickle", "huge", "gzip_bomb", "deep", "many"]
CHUNK = 64 * 1024


@lru_cache(maxsize=4)
def _gzip_of_zeros(size: int) -> bytes:
    """gzip of `size` zero bytes (rounded up to whole MiB), built in milliseconds: after a full
    flush a deflate compressor starts afresh, so one compressed MiB of zeros is repeated."""
    mebibytes = max(1, -(-size // (1024 * 1024)))
    zeros = bytes(1024 * 1024)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    end = compressor.flush(zlib.Z_FINISH)
    crc = 0
    for _ in range(mebibytes):
        crc = zlib.crc32(zeros, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    trailer = struct.pack("<II", crc, (mebibytes * 1024 * 1024) & 0xFFFFFFFF)
    return header + block * mebibytes + end + trailer


def _repeated(head: bytes, unit: bytes, count: int, tail: bytes) -> AsyncIterator[bytes]:
    async def chunks() -> AsyncIterator[bytes]:
        yield head
        per_chunk = max(1, CHUNK // max(1, len(unit)))
        left = count
        while left > 0:
            step = min(left, per_chunk)
            yield unit * step
            left -= step
            await asyncio.sleep(0)
        yield tail

    return chunks()


async def _chunks(parts: list[bytes]) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


def _deep(xml: bool, levels: int) -> AsyncIterator[bytes]:
    if xml:
        return _nested(b"<NotificationConfiguration>", b"<A>", levels, b"</A>", b"</NotificationConfiguration>")
    return _nested(b'{"notifications":[', b"[", levels, b"]", b"]}")


def _nested(head: bytes, opening: bytes, levels: int, closing: bytes, tail: bytes) -> AsyncIterator[bytes]:
    async def chunks() -> AsyncIterator[bytes]:
        async for part in _repeated(head, opening, levels, b""):
            yield part
        async for part in _repeated(b"", closing, levels, tail):
            yield part

    return chunks()


def _many(xml: bool, count: int) -> AsyncIterator[bytes]:
    if xml:
        unit = (
            b"<TopicConfiguration><Id>r</Id><Topic>arn:aws:sns:us-east-1:1:t</Topic>"
            b"<Event>s3:*</Event></TopicConfiguration>"
        )
        return _repeated(b"<NotificationConfiguration>", unit, count, b"</NotificationConfiguration>")
    return _repeated(b'{"notifications":[{"id":"r0"}', b',{"id":"r"}', count - 1, b"]}")


async def _trickle(interval: float) -> AsyncIterator[bytes]:
    yield b'{"notifications":['
    while True:
        await asyncio.sleep(interval)
        yield b" "


def hostile_answer(
    kind: Hostile, *, xml: bool, size: int, trickle_interval: float
) -> tuple[list[tuple[str, str]], AsyncIterator[bytes]]:
    """(headers besides the request id, body chunks) of a hostile 200 answer."""
    content_type = "application/xml" if xml else "application/json"
    headers = [("content-type", content_type)]
    if kind == "trickle":
        return [*headers, ("content-length", "1000000")], _trickle(trickle_interval)
    if kind == "huge":
        if xml:
            body = _repeated(b"<NotificationConfiguration>", b" " * 1024, size // 1024, b"</NotificationConfiguration>")
        else:
            body = _repeated(b'{"notifications":[', b" " * 1024, size // 1024, b"]}")
        return headers, body
    if kind == "gzip_bomb":
        compressed = _gzip_of_zeros(size)
        chunks = [compressed[i : i + CHUNK] for i in range(0, len(compressed), CHUNK)]
        return [*headers, ("content-encoding", "gzip")], _chunks(chunks)
    if kind == "deep":
        return headers, _deep(xml, size)
    return headers, _many(xml, size)


async def send_hostile(
    send: Callable, receive: Callable, headers: list[tuple[str, str]], body: AsyncIterator[bytes]
) -> None:
    """Stream a hostile answer until it ends or the client goes away."""
    gone = asyncio.Event()

    async def watch() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        gone.set()

    watcher = asyncio.ensure_future(watch())
    try:
        encoded = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers]
        await send({"type": "http.response.start", "status": 200, "headers": encoded})
        async for chunk in body:
            if gone.is_set():
                return
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
    except (OSError, RuntimeError):
        return  # the client left
    finally:
        watcher.cancel()
