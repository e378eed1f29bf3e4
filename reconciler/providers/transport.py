"""The network below the httpx client: aiohttp's connection pool and C HTTP parser behind httpx's
transport interface.

httpx stays the data model (requests the signers sign, responses the codecs and error mapping
read, `httpx.MockTransport` as the test seam, the retrying and logging transport above this one);
aiohttp only moves bytes. httpx's own pool (httpcore) scans every connection on every request,
so its CPU per request grows with `--parallelism` (measured: 3 ms per request at 64 connections
against 0.6 ms through this transport; bench/http_transport_benchmark.py). aiohttp's connector
hands out an idle connection in constant time and caps real connections at `max_connections`.

Every aiohttp failure is raised as the httpx exception that means the same, so the retry policy
and the messages above do not know which transport ran.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import httpx
from yarl import URL

CHUNK = 64 * 1024


def _httpx_error(exc: BaseException, request: httpx.Request) -> httpx.TransportError:
    """The httpx exception meaning what an aiohttp (or asyncio) failure means."""
    detail = str(exc).strip() or type(exc).__name__
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout(detail, request=request)
    if isinstance(exc, aiohttp.SocketTimeoutError | aiohttp.ServerTimeoutError | asyncio.TimeoutError):
        return httpx.ReadTimeout(detail, request=request)
    if isinstance(exc, aiohttp.ClientConnectorError | aiohttp.ClientSSLError):
        return httpx.ConnectError(detail, request=request)
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
    if isinstance(exc, aiohttp.ClientPayloadError | aiohttp.ClientResponseError):
        return httpx.RemoteProtocolError(detail, request=request)
    if isinstance(exc, aiohttp.ClientConnectionError | OSError):
        return httpx.ReadError(detail, request=request)
    if isinstance(exc, aiohttp.InvalidURL):
        return httpx.UnsupportedProtocol(detail, request=request)
    return httpx.TransportError(detail, request=request)


_FAILURES = (aiohttp.ClientError, asyncio.TimeoutError, OSError)


class _Body(httpx.AsyncByteStream):
    """The response body as aiohttp receives it, chunk by chunk (a reader above may stop early)."""

    def __init__(self, response: aiohttp.ClientResponse, request: httpx.Request) -> None:
        self._response = response
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.content.iter_chunked(CHUNK):
                yield chunk
        except _FAILURES as exc:
            self._response.close()  # the broken connection is dropped and its pool slot freed
            raise _httpx_error(exc, self._request) from exc
        except BaseException:
            self._response.close()  # cancelled (a deadline above): the half-read connection cannot be reused
            raise

    async def aclose(self) -> None:
        # a body read to its end gives the connection back to the pool; one left unread closes it
        self._response.release()


class _SignedRequest(aiohttp.ClientRequest):
    """Sends a body-less DELETE without the `Content-Length: 0` aiohttp would add after signing
    (a signer that signs Content-Length when present, as BOS's does, would then be refuted)."""

    GET_METHODS = aiohttp.ClientRequest.GET_METHODS | {"DELETE"}


class AiohttpTransport(httpx.AsyncBaseTransport):
    """An httpx transport over one aiohttp session, opened on the first request (aiohttp needs
    the running event loop) with at most `max_connections` real connections."""

    def __init__(self, *, max_connections: int, ssl_context: ssl.SSLContext) -> None:
        self.max_connections = max_connections
        self.ssl_context = ssl_context
        self._session: aiohttp.ClientSession | None = None
        self._timeouts: dict[tuple[Any, ...], aiohttp.ClientTimeout] = {}

    def _open(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(limit=self.max_connections, limit_per_host=0, ssl=self.ssl_context)
        session = aiohttp.ClientSession(
            connector=connector,
            auto_decompress=False,  # httpx decodes the Content-Encoding it asked for
            cookie_jar=aiohttp.DummyCookieJar(),
            trust_env=False,
            # the request carries every header it is signed with; aiohttp adds none of its own
            skip_auto_headers=("Accept", "Accept-Encoding", "User-Agent", "Content-Type"),
            timeout=aiohttp.ClientTimeout(total=None),
            request_class=_SignedRequest,
        )
        # aiohttp would resend an idempotent request once, unlogged, when a connection drops; the
        # retrying transport above is the one retry layer (bounded, logged, with backoff)
        session._retry_connection = False
        return session

    def _timeout(self, request: httpx.Request) -> aiohttp.ClientTimeout:
        """httpx's connect/read/pool timeouts as aiohttp's (pool wait and connect share `connect`)."""
        given = request.extensions.get("timeout") or {}
        key = (given.get("connect"), given.get("read"), given.get("pool"))
        timeout = self._timeouts.get(key)
        if timeout is None:
            connect, read, pool = key
            waiting = None if connect is None or pool is None else connect + pool
            timeout = aiohttp.ClientTimeout(total=None, connect=waiting, sock_connect=connect, sock_read=read)
            self._timeouts[key] = timeout
        return timeout

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._session is None or self._session.closed:
            self._session = self._open()
        try:
            response = await self._session.request(
                request.method,
                URL(str(request.url), encoded=True),  # sent exactly as signed, never re-quoted
                headers=list(request.headers.multi_items()),
                data=request.content or None,
                allow_redirects=False,
                timeout=self._timeout(request),
            )
        except _FAILURES as exc:
            raise _httpx_error(exc, request) from exc
        return httpx.Response(
            response.status,
            headers=list(response.raw_headers),
            stream=_Body(response, request),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": (response.reason or "").encode("latin-1")},
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
