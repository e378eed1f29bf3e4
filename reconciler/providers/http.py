"""The one place that builds HTTP clients: timeouts, pool limits, user agent, TLS, retries, the
bounds on every answer (`limits`) and a redacted debug log (logger `reconciler.http`, `-v`).

Retries live in the transport, below the signers: a retried attempt resends the same signed
request (signatures stay valid for 15 minutes, far longer than the bounded backoff).
Every request has an overall deadline (`Timeouts.request`) covering all its attempts and pauses.
Retried, within the attempts and the deadline: 429, 500, 502, 503 and 504 (exponential backoff,
full jitter, `Retry-After` honoured), and connections that could not be opened. Reads (GET, HEAD)
are also retried on timeouts, resets, truncated or corrupt bodies. A write whose request may have
reached the server but got no usable answer is never resent here: its outcome is unknown, and
`UnknownOutcomeError` lets the caller read the bucket before deciding (apply does).
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
from urllib.parse import quote

import httpx

from reconciler import __version__
from reconciler.errors import ResponseError, TransportError, UnknownOutcomeError
from reconciler.model.common import REDACTED, printable
from reconciler.providers.error_bodies import request_id_header
from reconciler.providers.limits import (
    DEFAULT_TIMEOUTS,
    MAX_STATE_BYTES,
    AnswerTooLarge,
    BrokenEncoding,
    DeadlineExceeded,
    Timeouts,
    check_json_shape,
    decoded_response,
    read_body,
    read_body_sync,
)

USER_AGENT = f"reconciler/{__version__}"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
RETRY_EXCEPTIONS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError, BrokenEncoding)
# failures that prove the request never reached the server, so even a write may be resent
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
IDEMPOTENT_READS = frozenset({"GET", "HEAD"})

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


class Scrubber:
    """Credential values (secret keys, session tokens, BOS encryption keys) removed by value from
    every logged line, whatever carries them: a header, a JSON or XML body, a server's echo of
    our canonical request. Percent-encoded forms are removed too."""

    MIN_LENGTH = 4  # shorter values would blank out ordinary text

    def __init__(self, values: Any = ()) -> None:
        self._values: set[str] = set()
        for value in values:
            self.add(value)

    def add(self, value: str | None) -> None:
        if value and len(value) >= self.MIN_LENGTH:
            self._values.update({value, quote(value, safe=""), quote(value, safe="/")})

    def __call__(self, text: str) -> str:
        for value in sorted(self._values, key=len, reverse=True):
            if value in text:
                text = text.replace(value, REDACTED)
        return text


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
    if len(content) > 4 * LOG_BODY_LIMIT:
        content = content[: 4 * LOG_BODY_LIMIT]  # only the start is shown; never parse a huge answer for a log
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return f"({len(content)} bytes of binary data)"
    try:
        check_json_shape(text)
        text = json.dumps(_redact_json(json.loads(text)), ensure_ascii=False)
    except (ValueError, RecursionError):
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
    log.disabled = False  # a library's logging.config call (disable_existing_loggers) must not silence -v


def _log(scrub: Scrubber, message: str) -> None:
    """One debug line, every known credential value removed (the line is built, then scrubbed)."""
    log.debug("%s", scrub(message))


def _log_request(request: httpx.Request, attempt: int, scrub: Scrubber) -> None:
    if log.isEnabledFor(logging.DEBUG):
        _log(
            scrub,
            f"→ {request.method} {printable(str(request.url))} (attempt {attempt}) "
            f"headers={redact_headers(request.headers)} body={redact_body(request.content)}",
        )


def _log_response(request: httpx.Request, response: httpx.Response, elapsed: float, scrub: Scrubber) -> None:
    if log.isEnabledFor(logging.DEBUG):
        _log(
            scrub,
            f"← {request.method} {printable(str(request.url))} {response.status_code} in {elapsed * 1000:.0f} ms "
            f"headers={redact_headers(response.headers)} body={redact_body(response.content)}",
        )


def _log_failure(request: httpx.Request, exc: Exception, scrub: Scrubber) -> None:
    if log.isEnabledFor(logging.DEBUG):
        _log(scrub, f"✗ {request.method} {printable(str(request.url))}: {describe_exception(exc)}")


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


def _may_resend(request: httpx.Request, exc: Exception) -> bool:
    """A read may always be resent; a write only when it certainly never reached the server."""
    return request.method in IDEMPOTENT_READS or isinstance(exc, NOT_SENT)


class RetryingTransport(httpx.AsyncBaseTransport):
    """Wraps a transport with the deadline, the answer bounds, bounded retries and the redacted log."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        policy: RetryPolicy,
        timeouts: Timeouts = DEFAULT_TIMEOUTS,
        scrub: Scrubber | None = None,
    ) -> None:
        self._inner = inner
        self._policy = policy
        self._timeouts = timeouts
        self._scrub = scrub or Scrubber()

    async def _attempt(self, request: httpx.Request, deadline: float) -> httpx.Response:
        try:
            async with asyncio.timeout_at(deadline):
                response = await self._inner.handle_async_request(request)
                # read now, bounded, so a reset, a truncation or a bomb mid-body is dealt with here
                body = await read_body(response)
        except TimeoutError:
            raise DeadlineExceeded(
                f"no complete answer within {self._timeouts.request:g} s (the request deadline)", request=request
            ) from None
        return decoded_response(response, body, request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._timeouts.request
        attempt = 1
        while True:
            _log_request(request, attempt, self._scrub)
            started = time.perf_counter()
            try:
                response = await self._attempt(request, deadline)
            except (AnswerTooLarge, DeadlineExceeded) as exc:
                _log_failure(request, exc, self._scrub)
                raise
            except RETRY_EXCEPTIONS as exc:
                _log_failure(request, exc, self._scrub)
                delay = _retry_delay(self._policy, attempt, None) if _may_resend(request, exc) else None
                if delay is None or loop.time() + delay >= deadline:
                    raise
            else:
                _log_response(request, response, time.perf_counter() - started, self._scrub)
                delay = _retry_delay(self._policy, attempt, response)
                if delay is None or loop.time() + delay >= deadline:
                    return response
            await self._policy.sleep(delay)
            attempt += 1

    async def aclose(self) -> None:
        await self._inner.aclose()


class SyncRetryingTransport(httpx.BaseTransport):
    """The same retries, bounds and log for the blocking client (the remote state stores), whose
    answers may be as large as a state file (MAX_STATE_BYTES). Its deadline is checked between
    attempts and reads (a blocking call cannot be cut short)."""

    def __init__(
        self,
        inner: httpx.BaseTransport,
        policy: RetryPolicy,
        sleep: Callable[[float], None],
        timeouts: Timeouts = DEFAULT_TIMEOUTS,
        scrub: Scrubber | None = None,
    ) -> None:
        self._inner = inner
        self._policy = policy
        self._sleep = sleep
        self._timeouts = timeouts
        self._scrub = scrub or Scrubber()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        deadline = time.monotonic() + self._timeouts.request
        attempt = 1
        while True:
            _log_request(request, attempt, self._scrub)
            started = time.perf_counter()
            try:
                raw = self._inner.handle_request(request)
                body = read_body_sync(raw, MAX_STATE_BYTES, deadline=deadline)
                response = decoded_response(raw, body, request)
            except (AnswerTooLarge, DeadlineExceeded) as exc:
                _log_failure(request, exc, self._scrub)
                raise
            except RETRY_EXCEPTIONS as exc:
                _log_failure(request, exc, self._scrub)
                delay = _retry_delay(self._policy, attempt, None) if _may_resend(request, exc) else None
                if delay is None or time.monotonic() + delay >= deadline:
                    raise
            else:
                _log_response(request, response, time.perf_counter() - started, self._scrub)
                delay = _retry_delay(self._policy, attempt, response)
                if delay is None or time.monotonic() + delay >= deadline:
                    return response
            self._sleep(delay)
            attempt += 1

    def close(self) -> None:
        self._inner.close()


def describe_exception(exc: Exception) -> str:
    if isinstance(exc, (DeadlineExceeded, AnswerTooLarge, BrokenEncoding)):
        return str(exc)
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
    timeouts: Timeouts = DEFAULT_TIMEOUTS,
    scrub: Scrubber | None = None,
) -> httpx.AsyncClient:
    """A pooled async client for one endpoint: at most `parallelism` connections, over aiohttp
    (reconciler.providers.transport). `transport` is the test seam (httpx.MockTransport);
    `scrub` holds the credential values the debug log must never show."""
    if transport is None:
        from reconciler.providers.transport import AiohttpTransport  # aiohttp loads only when requests are made

        context = httpx.create_ssl_context(verify=tls_verify)
        transport = AiohttpTransport(max_connections=parallelism, ssl_context=context)
    inner = transport
    return _AsyncClient(
        transport=RetryingTransport(inner, retry or RetryPolicy(), timeouts, scrub),
        timeout=timeouts.for_httpx(),
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,
        trust_env=False,
    )


class _CookieJar(httpx.Cookies):
    """Object-storage answers rarely set a cookie; the standard cookie jar would still build its
    request wrapper for every response (~0.1 ms), so it is consulted only when one is set."""

    def extract_cookies(self, response: httpx.Response) -> None:
        if "set-cookie" in response.headers:
            super().extract_cookies(response)


class _AsyncClient(httpx.AsyncClient):
    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._cookie_jar = _CookieJar()

    @property
    def cookies(self) -> httpx.Cookies:
        return self._cookie_jar

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        self._cookie_jar = _CookieJar(cookies)


def build_sync_client(
    *,
    tls_verify: bool = True,
    transport: httpx.BaseTransport | None = None,
    retry: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
    timeouts: Timeouts = DEFAULT_TIMEOUTS,
    scrub: Scrubber | None = None,
) -> httpx.Client:
    """A blocking client with the same timeouts, retries, user agent and log, for the remote state
    stores (their calls sit under the state lock, outside any event loop)."""
    inner = transport or httpx.HTTPTransport(verify=tls_verify)
    return httpx.Client(
        transport=SyncRetryingTransport(inner, retry or RetryPolicy(), sleep, timeouts, scrub),
        timeout=timeouts.for_httpx(),
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,
        trust_env=False,
    )


def host_and_port(url: httpx.URL) -> str:
    port = url.port or (443 if url.scheme == "https" else 80)
    host = f"[{url.host}]" if ":" in url.host else url.host
    return f"{host}:{port}"


async def send(
    client: httpx.AsyncClient,
    request: httpx.Request,
    *,
    auth: httpx.Auth,
    address: str,
    action: str,
) -> httpx.Response:
    """Send once (retries happen below). A request that got no usable answer becomes
    UnknownOutcomeError for a write that may have reached the server, ResponseError for an answer
    that could not be read, TransportError otherwise; each names the server and the time waited."""
    started = time.monotonic()
    try:
        return await client.send(request, auth=auth)
    except httpx.RequestError as exc:
        waited = time.monotonic() - started
        where = host_and_port(request.url)
        unreadable = isinstance(exc, (AnswerTooLarge, BrokenEncoding))
        if request.method not in IDEMPOTENT_READS and not isinstance(exc, NOT_SENT):
            what = f"the server's answer could not be read: {exc}" if unreadable else describe_exception(exc)
            raise UnknownOutcomeError(
                f"{action} failed: {what} (talking to {where} after {waited:.1f} s); the request may or may not "
                "have taken effect",
                address=address,
                status=getattr(exc, "status_code", None),
            ) from exc
        if unreadable:
            headers = getattr(exc, "headers", httpx.Headers())
            raise ResponseError(
                f"{action} failed: the server's answer could not be read: {exc}",
                address=address,
                status=getattr(exc, "status_code", None),
                request_id=request_id_header(headers),
            ) from exc
        what = f"{describe_exception(exc)} talking to {where} after {waited:.1f} s"
        retried = "" if isinstance(exc, DeadlineExceeded) else ", even after retrying"
        raise TransportError(f"{action} failed: {what}{retried}", address=address) from exc
