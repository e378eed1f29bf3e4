"""The ASGI application: notification requests of all three dialects, and the admin API.

A request goes: dialect from the Authorization scheme → bucket from the path or, when the path
names none, from the first Host label (virtual-host style) → request counter → injected faults →
signature → the dialect's handler (`?notification`) or a bucket-level PUT / HEAD / DELETE →
durable store → reply. Every reply carries the dialect's request-id header; every error is in
the dialect's own format (without a body for HEAD).
"""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import logging
import socket
import struct
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from reconciler.emulator.admin import admin_router
from reconciler.emulator.api import NotificationApi
from reconciler.emulator.bos import BosApi
from reconciler.emulator.datafile import DataFile, MemoryOnly
from reconciler.emulator.faults import Decision, Disruption, FaultSpec, FaultTable
from reconciler.emulator.hostile import hostile_answer, send_hostile
from reconciler.emulator.listing import OWNER, bos_listing, qingstor_listing, s3_listing
from reconciler.emulator.qingstor import QingStorApi
from reconciler.emulator.s3 import S3Api
from reconciler.emulator.store import Bucket, Store
from reconciler.emulator.wire import MAX_BODY_BYTES, ApiError, Call, Reply
from reconciler.providers.signing import utc_now

log = logging.getLogger("reconciler.emulator")

ADMIN_PREFIX = "/_emulator"


class ConnectionReset(Exception):
    """Raised to make the server reset the client's connection instead of answering."""


class HostileAnswer(Exception):
    """Raised to answer with a hostile stream (an injected fault) instead of a reply."""

    def __init__(self, spec: FaultSpec) -> None:
        super().__init__(spec.hostile)
        self.spec = spec


class ClientGone(Exception):
    """The client closed the connection before its request was complete."""


class Connections:
    """Open client connections by peer address, so a fault can reset the right one."""

    def __init__(self) -> None:
        self._by_peer: dict[tuple[str, int], asyncio.BaseTransport] = {}

    @staticmethod
    def _peer(transport: asyncio.BaseTransport) -> tuple[str, int] | None:
        peer = transport.get_extra_info("peername")
        return (str(peer[0]), int(peer[1])) if isinstance(peer, tuple) and len(peer) >= 2 else None

    def add(self, transport: asyncio.BaseTransport) -> None:
        peer = self._peer(transport)
        if peer is not None:
            self._by_peer[peer] = transport

    def discard(self, transport: asyncio.BaseTransport) -> None:
        peer = self._peer(transport)
        if peer is not None and self._by_peer.get(peer) is transport:
            del self._by_peer[peer]

    def reset(self, client: Any) -> bool:
        """Abort the connection with a TCP RST; False if it is not known."""
        transport = self._by_peer.get((str(client[0]), int(client[1]))) if client else None
        if transport is None:
            return False
        raw = transport.get_extra_info("socket")
        if raw is not None:
            # linger 0: close() sends RST instead of FIN, so the client sees a reset
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()  # type: ignore[attr-defined]
        return True


class Emulator:
    def __init__(
        self,
        store: Store,
        keys: Mapping[str, str],
        *,
        region: str,
        persistence: DataFile | MemoryOnly | None = None,
        connections: Connections | None = None,
        clock: Callable[[], datetime] = utc_now,
        default_flavor: str = "aws",
    ) -> None:
        self.store = store
        self.default_flavor = default_flavor
        self.keys = dict(keys)
        self.region = region
        self.persistence = persistence or MemoryOnly()
        self.connections = connections or Connections()
        self.faults = FaultTable()
        self.clock = clock
        self.apis: dict[str, NotificationApi] = {api.dialect: api for api in (QingStorApi(), BosApi(), S3Api(region))}
        self._admin = admin_router(self)

    async def persist(self) -> None:
        await self.persistence.commit(self.store)

    def api_for(self, authorization: str | None) -> NotificationApi | None:
        for api in self.apis.values():
            if authorization and authorization.startswith(api.scheme):
                return api
        return None

    async def __call__(self, scope: dict[str, Any], receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            return
        if scope["path"] == ADMIN_PREFIX or scope["path"].startswith(ADMIN_PREFIX + "/"):
            await self._admin(scope, receive, send)
        else:
            await self._notification(scope, receive, send)

    # --- the notification APIs ----------------------------------------------------------------

    async def _notification(self, scope: dict[str, Any], receive: Callable, send: Callable) -> None:
        started = time.perf_counter()
        call = _call(scope)
        placed = self.api_for(call.header("authorization"))
        api = placed or self.apis["s3"]  # S3 is the lingua franca for a request we cannot place
        bucket_name: str | None = None
        bucket: Bucket | None = None
        try:
            call = await _with_body(call, receive, api)
            if placed is None:
                raise ApiError(
                    403,
                    "AccessDenied",
                    "Missing or unsupported Authorization header: expected 'QS …', 'bce-auth-v1/…' or "
                    "'AWS4-HMAC-SHA256 …' (presigned URLs are not supported).",
                )
            if self._is_listing(api, call):
                reply = await self._serve_listing(api, call)
            else:
                bucket_name, virtual_host = self._bucket_name(api, call)
                bucket = self.store.get(api.dialect, bucket_name)
                reply = await self._serve(api, call, bucket_name, bucket, virtual_host)
        except ClientGone:
            return
        except ConnectionReset:
            self._log(call, api, bucket_name, "connection reset", started)
            await self._reset(scope, receive)
            return
        except HostileAnswer as hostile:
            spec = hostile.spec
            headers, body = hostile_answer(
                spec.hostile,
                xml=api.dialect == "s3",
                size=spec.hostile_size,
                trickle_interval=spec.trickle_interval_ms / 1000,
            )
            self._log(call, api, bucket_name, f"hostile answer ({spec.hostile})", started)
            await send_hostile(send, receive, [*headers, (api.request_id_header, call.request_id)], body)
            return
        except ApiError as error:
            reply = api.render_error(error, call, bucket_name, bucket.flavor if bucket is not None else None)
            if error.reason != error.message:
                log.info("%s %s: %s", call.request_id, error.code, error.reason)
        except Exception:  # a bug of ours: answer like a server would, keep serving
            log.exception("internal error while serving %s %s", call.method, call.raw_path)
            internal = ApiError(500, api.error_code(500), "We encountered an internal error. Please try again.")
            reply = api.render_error(internal, call, bucket_name)
        if call.method == "HEAD":
            reply = dataclasses.replace(reply, body=b"")
        await _send(send, reply, ((api.request_id_header, call.request_id),))
        self._log(call, api, bucket_name, reply.status, started)

    def _is_listing(self, api: NotificationApi, call: Call) -> bool:
        """`GET /` on the service itself (not on a bucket named by the Host): ListBuckets."""
        if call.method != "GET" or call.raw_path != "/" or "notification" in call.query:
            return False
        host = call.header("host") or ""
        label = host.split(".", 1)[0] if "." in host and not _is_ip_address(host) else ""
        return not label or self.store.get(api.dialect, label) is None

    async def _serve_listing(self, api: NotificationApi, call: Call) -> Reply:
        """The dialect's bucket listing (emulator/listing.py); global faults apply to it too."""
        faults = self.faults.for_bucket(api.dialect, "")
        decision = faults.decide(call.method) if faults is not None else Decision()
        if decision.delay:
            await asyncio.sleep(decision.delay)
        if decision.disruption is Disruption.THROTTLE:
            raise api.throttled(decision.retry_after)
        if decision.disruption is Disruption.ERROR:
            raise api.injected(decision.status)
        api.authenticate(call, self.keys, bucket="", virtual_host=False, now=self.clock())
        names = [bucket.name for bucket in self.store.buckets() if bucket.dialect == api.dialect]
        if decision.disruption is Disruption.HOSTILE and faults is not None:
            raise HostileAnswer(faults.spec)
        if api.dialect == "qingstor":
            return qingstor_listing(call, names, call.header("host") or "")
        if api.dialect == "bos":
            return bos_listing(names, OWNER)
        return s3_listing(call, names, OWNER)

    def _bucket_name(self, api: NotificationApi, call: Call) -> tuple[str, bool]:
        bucket_level = not call.query
        if "notification" not in call.query and not bucket_level:
            raise api.not_implemented(
                "The emulator implements only the bucket notification API (?notification) and creating, "
                "checking and deleting buckets."
            )
        segments = call.raw_path.split("/")
        if len(segments) > 2 and any(segments[2:]):
            raise api.not_implemented("Object paths are not part of the bucket notification API.")
        if len(segments) > 1 and segments[1]:
            return unquote(segments[1]), False
        host = call.header("host") or ""
        label = host.split(".", 1)[0] if "." in host and not _is_ip_address(host) else ""
        # a bucket-level request may name a bucket that does not exist yet (create, or a 404)
        if label and (bucket_level or self.store.get(api.dialect, label) is not None):
            return label, True
        raise api.invalid_request(
            f"The request names no bucket: the path is '/' and the Host {host!r} does not start with an existing "
            f"{api.dialect} bucket."
        )

    async def _serve(
        self, api: NotificationApi, call: Call, name: str, bucket: Bucket | None, virtual_host: bool
    ) -> Reply:
        if bucket is not None:
            bucket.requests[call.method] += 1
        faults = self.faults.for_bucket(api.dialect, name)
        decision = faults.decide(call.method) if faults is not None else Decision()
        if decision.delay:
            await asyncio.sleep(decision.delay)
        if decision.disruption is Disruption.RESET and not decision.after:
            raise ConnectionReset
        if decision.disruption is Disruption.THROTTLE:
            raise api.throttled(decision.retry_after)
        if decision.disruption is Disruption.ERROR:
            raise api.injected(decision.status)
        api.authenticate(call, self.keys, bucket=name, virtual_host=virtual_host, now=self.clock())
        if call.query:
            reply = await self._notification_request(api, call, name, bucket)
        else:
            reply = await self._bucket_request(api, call, name, bucket)
        if decision.disruption is Disruption.RESET:
            raise ConnectionReset  # after: the change is kept, the client never hears of it
        if decision.disruption is Disruption.HOSTILE and faults is not None:
            raise HostileAnswer(faults.spec)
        if decision.disruption is Disruption.MALFORMED:
            return Reply(200, reply.body[: len(reply.body) // 2] or b"{", reply.content_type, reply.headers)
        return reply

    async def _notification_request(self, api: NotificationApi, call: Call, name: str, bucket: Bucket | None) -> Reply:
        if bucket is None:
            raise api.no_such_bucket(name)
        outcome = api.handle(call, bucket)
        if outcome.rules is not None:
            self.store.replace_rules(bucket, outcome.rules)
            await self.persist()
        return outcome.reply

    async def _bucket_request(self, api: NotificationApi, call: Call, name: str, bucket: Bucket | None) -> Reply:
        """PUT creates the bucket, HEAD checks it, DELETE removes it with its rules."""
        if call.method not in ("PUT", "HEAD", "DELETE"):
            if call.method == "GET":
                raise api.not_implemented("Listing objects is not part of the emulator: it keeps no objects.")
            raise api.method_not_allowed(call.method)
        if call.method == "PUT":
            if bucket is not None:
                raise api.bucket_exists(name)
            if not api.bucket_name_pattern.match(name):
                raise api.invalid_bucket_name(name)
            created = self.store.create(api.dialect, name, api.creation_flavor(call, self.default_flavor))
            created.requests[call.method] += 1
            await self.persist()
            return api.bucket_created(name)
        if bucket is None:
            raise api.no_such_bucket(name)
        if call.method == "HEAD":
            return api.bucket_found()
        self.store.delete(api.dialect, name)
        await self.persist()
        return Reply(api.bucket_deleted_status)

    async def _reset(self, scope: dict[str, Any], receive: Callable) -> None:
        if not self.connections.reset(scope.get("client")):
            log.warning("cannot reset an unknown connection from %s; closing it instead", scope.get("client"))
            raise ConnectionError("connection reset requested by an injected fault")
        # wait until the server has seen the disconnect, so it does not answer on its own
        while (await receive())["type"] != "http.disconnect":
            pass

    @staticmethod
    def _log(call: Call, api: NotificationApi, bucket: str | None, outcome: object, started: float) -> None:
        if log.isEnabledFor(logging.INFO):
            elapsed = (time.perf_counter() - started) * 1000
            where = f"{api.dialect}/{bucket or '-'}"
            log.info(
                "%s %s %s?%s %s -> %s (%.1f ms)",
                call.request_id, call.method, call.raw_path, call.query_string, where, outcome, elapsed,
            )  # fmt: skip


def _is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.rsplit(":", 1)[0] if host.count(":") == 1 else host.strip("[]"))
    except ValueError:
        return False
    return True


def _call(scope: dict[str, Any]) -> Call:
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
    return Call(
        method=scope["method"],
        raw_path=raw_path.decode("latin-1"),
        query_string=scope.get("query_string", b"").decode("latin-1"),
        headers=headers,
        request_id=uuid.uuid4().hex,
    )


async def _with_body(call: Call, receive: Callable, api: NotificationApi) -> Call:
    chunks = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise api.invalid_request(f"The request body exceeds {MAX_BODY_BYTES} bytes.")
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    return dataclasses.replace(call, body=b"".join(chunks))


async def _send(send: Callable, reply: Reply, extra: tuple[tuple[str, str], ...] = ()) -> None:
    headers = [(b"content-length", str(len(reply.body)).encode())]
    if reply.content_type:
        headers.append((b"content-type", reply.content_type.encode()))
    headers += [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in (*reply.headers, *extra)]
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": reply.body})
