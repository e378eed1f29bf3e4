"""The aiohttp transport below httpx, against a raw loopback server: it sends exactly the headers
that were signed, caps real connections at the parallelism, keeps connections alive, and turns
every network failure into the httpx exception the retry policy knows."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx
import pytest

from reconciler.errors import TransportError
from reconciler.model.config import BosProvider, QingStorProvider
from reconciler.model.document import LiveDocument
from reconciler.providers.http import RetryPolicy, build_client
from reconciler.providers.registry import client_for

KEYS = {
    "QY_ACCESS_KEY_ID": "AK",
    "QY_SECRET_ACCESS_KEY": "SK",
    "BCE_ACCESS_KEY_ID": "AK",
    "BCE_SECRET_ACCESS_KEY": "SK",
}
OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n" + b'{"notifications":[]}'
NO_CONTENT = b"HTTP/1.1 204 No Content\r\n\r\n"

Answer = Callable[[bytes, asyncio.StreamWriter], Awaitable[bool]]  # False: close the connection


class RawServer:
    """A loopback HTTP/1.1 server that records each request head and the connection it came on."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.heads: list[tuple[int, bytes]] = []
        self.connections = 0
        self.open_now = 0
        self.most_open = 0

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        number = self.connections
        self.open_now += 1
        self.most_open = max(self.most_open, self.open_now)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    0,
                )
                if length:
                    await reader.readexactly(length)
                self.heads.append((number, head))
                if not await self.answer(head, writer):
                    return
        finally:
            self.open_now -= 1
            writer.close()

    async def __aenter__(self) -> str:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def __aexit__(self, *_: object) -> None:
        self._server.close()


def header_names(head: bytes) -> set[str]:
    return {line.split(b":")[0].decode().lower() for line in head.split(b"\r\n")[1:] if b":" in line}


async def answer_ok(head: bytes, writer: asyncio.StreamWriter) -> bool:
    await asyncio.sleep(0.01)  # long enough for concurrent requests to pile up
    writer.write(NO_CONTENT if head.startswith((b"DELETE", b"PUT")) else OK)
    await writer.drain()
    return True


def test_a_delete_carries_exactly_the_headers_it_was_signed_with() -> None:
    """No Content-Length: 0 added after signing (BOS signs Content-Length when present)."""
    signed: list[httpx.Request] = []

    async def keep(request: httpx.Request) -> None:
        signed.append(request)

    async def scenario() -> set[str]:
        server = RawServer(answer_ok)
        async with server as url:
            client = client_for(BosProvider(name="bj", region="bj", endpoint=url), environ=KEYS)
            client._http.event_hooks["request"].append(keep)  # sees the request after signing
            async with client:
                await client.clear("docs")
        return header_names(server.heads[0][1])

    sent = asyncio.run(scenario())
    assert sent == {name.lower() for name in signed[0].headers}
    assert "authorization" in sent
    assert "content-length" not in sent and "content-type" not in sent


def test_real_connections_are_capped_at_the_parallelism_and_reused() -> None:
    async def scenario() -> tuple[int, int]:
        server = RawServer(answer_ok)
        async with server as url:
            client = client_for(QingStorProvider(name="qs", zone="pek3b", endpoint=url), parallelism=3, environ=KEYS)
            async with client:
                await asyncio.gather(*(client.read(f"bucket-{i}") for i in range(30)))
        return server.most_open, server.connections

    most_open, opened = asyncio.run(scenario())
    assert most_open <= 3
    assert opened <= 3  # every later request reused a kept-alive connection


@pytest.mark.parametrize(
    "failure",
    ["close-before-answer", "close-mid-body", "garbage"],
)
def test_network_failures_are_retried_then_reported(failure: str) -> None:
    async def broken(head: bytes, writer: asyncio.StreamWriter) -> bool:
        if failure == "close-mid-body":
            writer.write(OK[:-5])
            await writer.drain()
        elif failure == "garbage":
            writer.write(b"NOT HTTP AT ALL\r\n\r\n")
            await writer.drain()
        return False

    async def scenario() -> tuple[int, str]:
        server = RawServer(broken)
        async with server as url:

            async def no_wait(_seconds: float) -> None:
                return None

            http = build_client(parallelism=1, retry=RetryPolicy(attempts=3, sleep=no_wait))
            client = client_for(QingStorProvider(name="qs", zone="pek3b", endpoint=url), environ=KEYS)
            await client._http.aclose()
            client._http = http
            with pytest.raises(TransportError) as caught:
                async with client:
                    await client.read("photos")
        return len(server.heads), str(caught.value)

    attempts, message = asyncio.run(scenario())
    assert attempts == 3
    assert "reading the notification rules failed" in message and "127.0.0.1" in message


def test_a_write_then_read_round_trip_keeps_the_body_and_status() -> None:
    async def scenario() -> LiveDocument:
        server = RawServer(answer_ok)
        async with server as url:
            client = client_for(QingStorProvider(name="qs", zone="pek3b", endpoint=url), environ=KEYS)
            async with client:
                return await client.read("photos")

    assert asyncio.run(scenario()).rules == ()
