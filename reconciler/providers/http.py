"""The one place that builds HTTP clients: timeouts, pool limits, user agent, TLS, retries and
a redacted debug log (logger `reconciler.http`, enabled by `-v`).

Retries live in the transport, below the signers: a retried attempt resends the same signed
request (signatures stay valid for 15 minutes, far longer than the bounded backoff).
Retried: timeouts, connection errors and resets, 429, 500, 502, 503 and 504, with exponential
backoff and full jitter, honouring `Retry-After`. PUTs are safe to retry: each writes a whole
document.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from reconciler import __version__
from reconciler.errors import TransportError
from reconciler.model.common import REDACTED, printable

USER_AGENT = f"reconciler/{__version__}"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
RETRY_EXCEPTIONS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
TIMEOUT = httpx.Timeout(30.0, connect=10.0, pool=60.0)

# Header and JSON field names whose values are credentials or secrets, compared lower-case.
SENSITIVE_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-amz-security-token",
        "x-bce-security-token",
        "x-qs-security-token",
    }
)
SENSITIVE_FIELDS = frozenset({"key", "secret", "secret_access_key", "session_token", "password", "token"})
LOG_BODY_LIMIT = 4000

log = logging.getLogger("reconciler.http")

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class RetryPolicy:
    """At most `attempts` tries; the delay before try n+1 is uniform in [0, min(cap, base·2ⁿ)]."""

    attempts: int = 5
    base_delay: float = 0.25
    max_delay: float = 20.0
    max_retry_after: float = 120.0  # a server asking for a longer pause gets its answer surfaced
    sleep: Sleep = asyncio.sleep
    jitter: Callable[[], float] = field(default=random.random)

    def backoff(self, attempt: int) -> float:
        return self.jitter() * min(self.max_delay, self.base_delay * 2 ** (attempt - 1))


def retry_after(response: httpx.Response) -> float | None:
    """Seconds the server asked us to wait (delta-seconds or HTTP-date), or None."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


# --- redaction ------------------------------------------------------------------------------


def redact_headers(headers: httpx.Headers) -> dict[str, str]:
    return {
        name: REDACTED if name.lower() in SENSITIVE_HEADERS else printable(value) for name, value in headers.items()
    }


def _redact_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: REDACTED if k.lower() in SENSITIVE_FIELDS else _redact_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_json(item) for item in value]
    return value


def redact_body(content: bytes) -> str:
    """A body fit for the debug log: JSON secrets replaced, anything undecodable summarised."""
    if not content:
        return ""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return f"({len(content)} bytes of binary data)"
    try:
        text = json.dumps(_redact_json(json.loads(text)), ensure_ascii=False)
    except ValueError:
        if text.lstrip().startswith(("{", "[")):
            # unparseable JSON may still hold a secret: never print it
            return f"({len(content)} bytes of malformed JSON)"
    text = printable(text)  # a server's body is data: shown, never obeyed by the terminal
    return text if len(text) <= LOG_BODY_LIMIT else text[:LOG_BODY_LIMIT] + "…"


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time (test captures replace it)."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def enable_debug_log(stream: Any = None) -> None:
    """What `-v` turns on: every HTTP attempt, redacted, on `stream` (default: the current
    sys.stderr). Calling it again changes nothing."""
    if not any(getattr(handler, "_reconciler", False) for handler in log.handlers):
        handler = _StderrHandler() if stream is None or stream is sys.stderr else logging.StreamHandler(stream)
        handler._reconciler = True  # type: ignore[attr-defined]
        handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        log.addHandler(handler)
    log.setLevel(logging.DEBUG)


def _log_request(request: httpx.Request, attempt: int) -> None:
    if log.isEnabledFor(logging.DEBUG):
        log.debug(
            "→ %s %s (attempt %d) headers=%s body=%s",
            request.method,
            request.url,
            attempt,
            redact_headers(request.headers),
            redact_body(request.content),
        )


def _log_response(request: httpx.Request, response: httpx.Response, elapsed: float) -> None:
    if log.isEnabledFor(logging.DEBUG):
        log.debug(
            "← %s %s %d in %.0f ms headers=%s body=%s",
            request.method,
            request.url,
            response.status_code,
            elapsed * 1000,
            redact_headers(response.headers),
            redact_body(response.content),
        )


# --- transport ------------------------------------------------------------------------------


def _retry_delay(policy: RetryPolicy, attempt: int, response: httpx.Response | None) -> float | None:
    """Seconds to wait before the next try, or None when this attempt's outcome stands
    (`response` None: the attempt failed with one of RETRY_EXCEPTIONS)."""
    if attempt == policy.attempts:
        return None
    if response is None:
        return policy.backoff(attempt)
    if response.status_code not in RETRY_STATUSES:
        return None
    asked = retry_after(response)
    if asked is not None and asked > policy.max_retry_after:
        return None
    return max(asked or 0.0, policy.backoff(attempt))


class RetryingTransport(httpx.AsyncBaseTransport):
    """Wraps a transport with bounded retries and the redacted debug log."""

    def __init__(self, inner: httpx.AsyncBaseTransport, policy: RetryPolicy) -> None:
        self._inner = inner
        self._policy = policy

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        attempt = 1
        while True:
            _log_request(request, attempt)
            started = time.perf_counter()
            try:
                response = await self._inner.handle_async_request(request)
                await response.aread()  # small documents; read now so a reset mid-body is retried too
            except RETRY_EXCEPTIONS as exc:
                log.debug("✗ %s %s: %s", request.method, request.url, describe_exception(exc))
                delay = _retry_delay(self._policy, attempt, None)
                if delay is None:
                    raise
            else:
                _log_response(request, response, time.perf_counter() - started)
                delay = _retry_delay(self._policy, attempt, response)
                if delay is None:
                    return response
            await self._policy.sleep(delay)
            attempt += 1

    async def aclose(self) -> None:
        await self._inner.aclose()


class SyncRetryingTransport(httpx.BaseTransport):
    """The same retries and log for the blocking client (the remote state stores)."""

    def __init__(self, inner: httpx.BaseTransport, policy: RetryPolicy, sleep: Callable[[float], None]) -> None:
        self._inner = inner
        self._policy = policy
        self._sleep = sleep

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        attempt = 1
        while True:
            _log_request(request, attempt)
            started = time.perf_counter()
            try:
                response = self._inner.handle_request(request)
                response.read()
            except RETRY_EXCEPTIONS as exc:
                log.debug("✗ %s %s: %s", request.method, request.url, describe_exception(exc))
                delay = _retry_delay(self._policy, attempt, None)
                if delay is None:
                    raise
            else:
                _log_response(request, response, time.perf_counter() - started)
                delay = _retry_delay(self._policy, attempt, response)
                if delay is None:
                    return response
            self._sleep(delay)
            attempt += 1

    def close(self) -> None:
        self._inner.close()


def describe_exception(exc: Exception) -> str:
    kind = {
        httpx.ConnectTimeout: "connection timed out",
        httpx.ReadTimeout: "response timed out",
        httpx.WriteTimeout: "sending timed out",
        httpx.PoolTimeout: "no free connection in the pool",
        httpx.ConnectError: "connection failed",
        httpx.ReadError: "connection reset while reading",
        httpx.WriteError: "connection reset while sending",
        httpx.RemoteProtocolError: "the server broke the HTTP protocol",
    }.get(type(exc), "request failed")
    detail = str(exc).strip()
    return f"{kind} ({detail})" if detail and detail != kind else kind


def build_client(
    *,
    parallelism: int = 10,
    tls_verify: bool = True,
    transport: httpx.AsyncBaseTransport | None = None,
    retry: RetryPolicy | None = None,
) -> httpx.AsyncClient:
    """A pooled async client for one endpoint: at most `parallelism` connections, over aiohttp
    (reconciler.providers.transport). `transport` is the test seam (httpx.MockTransport)."""
    if transport is None:
        from reconciler.providers.transport import AiohttpTransport  # aiohttp loads only when requests are made

        context = httpx.create_ssl_context(verify=tls_verify)
        transport = AiohttpTransport(max_connections=parallelism, ssl_context=context)
    inner = transport
    return httpx.AsyncClient(
        transport=RetryingTransport(inner, retry or RetryPolicy()),
        timeout=TIMEOUT,
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,
        trust_env=False,
    )


def build_sync_client(
    *,
    tls_verify: bool = True,
    transport: httpx.BaseTransport | None = None,
    retry: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> httpx.Client:
    """A blocking client with the same timeouts, retries, user agent and log, for the remote state
    stores (their calls sit under the state lock, outside any event loop)."""
    inner = transport or httpx.HTTPTransport(verify=tls_verify)
    return httpx.Client(
        transport=SyncRetryingTransport(inner, retry or RetryPolicy(), sleep),
        timeout=TIMEOUT,
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,
        trust_env=False,
    )


async def send(
    client: httpx.AsyncClient,
    request: httpx.Request,
    *,
    auth: httpx.Auth,
    address: str,
    action: str,
) -> httpx.Response:
    """Send once (retries happen below); a request that got no usable response becomes TransportError."""
    try:
        return await client.send(request, auth=auth)
    except httpx.RequestError as exc:
        raise TransportError(
            f"{action} failed: {describe_exception(exc)} talking to {request.url.host}, even after retrying",
            address=address,
        ) from exc
