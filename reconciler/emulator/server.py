"""Serving the emulator with uvicorn: a socket we bind ourselves (so `--port 0` can be announced),
keep-alive, many connections, and a clean stop on SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import sys
from collections.abc import Iterator
from typing import Any, TextIO

import uvicorn
from uvicorn.protocols.http.auto import AutoHTTPProtocol

from reconciler.emulator.app import Connections, Emulator
from reconciler.errors import ReconcilerError

BACKLOG = 4096
KEEP_ALIVE_SECONDS = 75  # longer than any client pool keeps an idle connection


def tracking_protocol(connections: Connections) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol, also recording each transport so a fault can reset it."""

    class TrackingProtocol(AutoHTTPProtocol):  # type: ignore[misc, valid-type]
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self._tracked = transport
            connections.add(transport)
            super().connection_made(transport)

        def connection_lost(self, exc: Exception | None) -> None:
            connections.discard(self._tracked)
            super().connection_lost(exc)

    return TrackingProtocol


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # stop gracefully and return, instead of re-raising the signal afterwards as uvicorn does
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def listening_socket(host: str, port: int) -> socket.socket:
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
    except OSError as error:
        raise ReconcilerError(f"Cannot listen on {host}:{port}: {error.strerror or error}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(BACKLOG)
    except OSError as error:
        sock.close()
        raise ReconcilerError(f"Cannot listen on {host}:{port}: {error.strerror or error}") from None
    sock.setblocking(False)
    return sock


def base_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def serve(emulator: Emulator, sock: socket.socket, *, verbose: bool = False, out: TextIO = sys.stdout) -> None:
    """Block serving until SIGINT/SIGTERM; the socket is already listening, so announce first."""
    print(f"Emulator listening on {base_url(sock)}", file=out, flush=True)
    config = uvicorn.Config(
        emulator,
        http=tracking_protocol(emulator.connections),
        lifespan="off",
        access_log=False,
        log_level="info" if verbose else "warning",
        server_header=False,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        backlog=BACKLOG,
    )
    server: Any = _Server(config)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
