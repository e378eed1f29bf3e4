"""Retries, error bodies, user agent, TLS and the redacted debug log, through httpx.MockTransport."""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import sys
import tracemalloc
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from reconciler import __version__
from reconciler.errors import ProviderError, ResponseError, TransportError, UnknownOutcomeError
from reconciler.model.config import BosProvider, QingStorProvider, S3Provider
from reconciler.model.document import LiveDocument
from reconciler.providers.error_bodies import provider_error
from reconciler.providers.http import RetryPolicy, retry_after
from reconciler.providers.limits import Timeouts
from reconciler.providers.registry import client_for
from tests.providers.conftest import KEYS
from tests.support.plans import bos_rule

QS = QingStorProvider(name="qs", zone="pek3b")
BOS = BosProvider(name="bj", region="bj")
AWS = S3Provider(name="aws", region="us-east-1")
EMPTY_QS = httpx.Response(200, json={"notifications": []})


def run(coro):
    return asyncio.run(coro)


async def _read(client, bucket="photos"):
    async with client:
        return await client.read(bucket)


# --- retries --------------------------------------------------------------------------------


def test_429_waits_as_long_as_retry_after_says(server):
    server.queue = [httpx.Response(429, headers={"Retry-After": "7"}), EMPTY_QS]
    assert run(_read(server.client(QS))).rules == ()
    assert len(server.requests) == 2
    assert server.sleeps == [7.0]


def test_retry_after_as_an_http_date():
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= retry_after(httpx.Response(503, headers={"Retry-After": later})) <= 30
    assert retry_after(httpx.Response(503, headers={"Retry-After": "soon"})) is None
    assert retry_after(httpx.Response(503)) is None


def test_retry_after_longer_than_we_wait_is_surfaced_at_once(server):
    server.queue = [httpx.Response(429, headers={"Retry-After": "3600"}, json={"code": "too_many_requests"})]
    with pytest.raises(ProviderError) as caught:
        run(_read(server.client(QS)))
    assert caught.value.status == 429 and caught.value.code == "too_many_requests"
    assert len(server.requests) == 1 and server.sleeps == []


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_transient_statuses_are_retried(server, status):
    server.queue = [httpx.Response(status), httpx.Response(status), EMPTY_QS]
    assert run(_read(server.client(QS))).rules == ()
    assert len(server.requests) == 3


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 409, 412])
def test_other_statuses_are_not_retried(server, status):
    server.queue = [httpx.Response(status, json={"code": "nope", "message": "No."})]
    with pytest.raises(ProviderError):
        run(_read(server.client(QS)))
    assert len(server.requests) == 1


def test_retries_are_bounded_with_exponential_backoff(server):
    server.handler = lambda request: httpx.Response(503, json={"code": "service_unavailable", "message": "Busy."})
    with pytest.raises(ProviderError) as caught:
        run(_read(server.client(QS, jitter=1.0)))
    assert len(server.requests) == RetryPolicy().attempts == 5
    assert server.sleeps == [0.25, 0.5, 1.0, 2.0]
    assert caught.value.status == 503 and caught.value.code == "service_unavailable"


def test_backoff_has_a_cap_and_full_jitter():
    policy = RetryPolicy(jitter=lambda: 0.5)
    assert policy.backoff(1) == 0.125
    assert policy.backoff(30) == 0.5 * policy.max_delay


@pytest.mark.parametrize(
    "failure",
    [httpx.ConnectTimeout("slow"), httpx.ReadTimeout("slow"), httpx.ConnectError("refused"), httpx.ReadError("reset")],
    ids=["connect-timeout", "read-timeout", "refused", "reset"],
)
def test_timeouts_and_connection_errors_are_retried(server, failure):
    server.queue = [failure, failure, EMPTY_QS]
    assert run(_read(server.client(QS))).rules == ()
    assert len(server.requests) == 3 and len(server.sleeps) == 2


class _ResetMidBody(httpx.AsyncByteStream):
    async def __aiter__(self):
        yield b'{"notifications": ['
        raise httpx.ReadError("connection reset by peer")


def test_a_reset_in_the_middle_of_a_body_is_retried(server):
    server.queue = [httpx.Response(200, stream=_ResetMidBody()), EMPTY_QS]
    assert run(_read(server.client(QS))).rules == ()
    assert len(server.requests) == 2


def test_persistent_connection_failure_becomes_a_transport_error(server):
    def refuse(request):
        raise httpx.ConnectError("connection refused")

    server.handler = refuse
    with pytest.raises(TransportError) as caught:
        run(_read(server.client(QS)))
    assert len(server.requests) == 5
    message = str(caught.value)
    assert message.startswith("qs/photos: reading the notification rules failed: connection failed")
    assert "pek3b.qingstor.com" in message


def test_a_retried_put_sends_the_same_whole_document(server):
    rule = bos_rule("r", secret=None)
    server.queue = [httpx.ConnectError("refused"), httpx.Response(502), httpx.Response(200)]

    async def write():
        async with server.client(BOS) as client:
            await client.write("docs", [rule], previous=LiveDocument())

    run(write())
    bodies = {request.content for request in server.requests}
    assert len(server.requests) == 3 and len(bodies) == 1


@pytest.mark.parametrize(
    "failure",
    [httpx.ReadTimeout("slow"), httpx.ReadError("reset"), httpx.RemoteProtocolError("peer closed")],
    ids=["read-timeout", "reset", "cut-short"],
)
def test_a_put_whose_outcome_is_unknown_is_never_resent(server, failure):
    server.queue = [failure, httpx.Response(200)]

    async def write():
        async with server.client(BOS) as client:
            await client.write("docs", [bos_rule("r", secret=None)], previous=LiveDocument())

    with pytest.raises(UnknownOutcomeError) as caught:
        run(write())
    assert len(server.requests) == 1 and server.sleeps == []
    assert "may or may not have taken effect" in str(caught.value)
    assert "(talking to docs.bj.bcebos.com:443 after" in str(caught.value)


# --- error bodies ---------------------------------------------------------------------------


def _error(status, *, content=b"", headers=None):
    request = httpx.Request("GET", "https://example.com/b?notification")
    return provider_error(
        httpx.Response(status, content=content, headers=headers, request=request), address="p/b", action="reading"
    )


def test_qingstor_error_body():
    body = {
        "code": "bad_request",
        "message": "Invalid argument(s) or invalid argument value(s)",
        "request_id": "aa08cf7a43f611e5886952542e6ce14b",
        "url": "https://docsv4.qingcloud.com/user_guide/storage/object_storage/api/error_code/",
    }
    error = _error(400, content=json.dumps(body).encode())
    assert (error.code, error.status, error.request_id) == ("bad_request", 400, "aa08cf7a43f611e5886952542e6ce14b")
    assert str(error) == (
        "p/b: reading failed: Invalid argument(s) or invalid argument value(s) "
        "(HTTP 400, code bad_request, request id aa08cf7a43f611e5886952542e6ce14b)"
    )


def test_bce_error_body():
    body = b'{"code":"NoSuchBucket","message":"The specified bucket does not exist.","requestId":"4ad9-bce"}'
    error = _error(404, content=body, headers={"x-bce-request-id": "header-id"})
    assert (error.code, error.request_id) == ("NoSuchBucket", "4ad9-bce")
    assert "The specified bucket does not exist (HTTP 404" in str(error)


def test_jdcloud_json_error_body():
    body = (
        b'{"code":"AccessDenied","message":"Access Denied","resource":"/mybucket/public/index.html",'
        b'"requestId":"71515159-E9A8-4AA6-9D8C-54D4E2B8B6B3"}'
    )
    error = _error(403, content=body)
    assert (error.code, error.request_id) == ("AccessDenied", "71515159-E9A8-4AA6-9D8C-54D4E2B8B6B3")


def test_s3_xml_error_body(wire):
    error = _error(400, content=wire("s3/error_moto_invalid_argument.xml"))
    assert (error.code, error.request_id) == ("InvalidArgument", "LNMbS157")
    assert "The ARN is not well formed" in str(error)


def test_empty_error_body_keeps_status_and_header_request_id():
    error = _error(403, headers={"x-qs-request-id": "qs-req"})
    assert type(error) is ProviderError
    assert (error.code, error.status, error.request_id) == (None, 403, "qs-req")
    assert "Forbidden (empty response body)" in str(error)


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (b"<!DOCTYPE html><html><title>500 Internal Server Error</title></html>", "an HTML page"),
        (b'{"code":"bad_req', "an unreadable body"),
        (b"<Error><Code>Access", "an unreadable body"),
    ],
)
def test_html_and_truncated_bodies_are_response_errors(content, kind):
    error = _error(500, content=content, headers={"x-amz-request-id": "amz-req"})
    assert type(error) is ResponseError
    assert error.status == 500 and error.request_id == "amz-req"
    assert kind in str(error)


def test_broken_success_body_is_read_again_then_a_response_error(server):
    server.handler = lambda request: httpx.Response(
        200, content=b'{"notifications": [', headers={"x-qs-request-id": "r1"}
    )
    with pytest.raises(ResponseError) as caught:
        run(_read(server.client(QS)))
    assert caught.value.request_id == "r1"
    assert "the server's answer could not be read: the body is not valid JSON" in str(caught.value)
    assert len(server.requests) == 5  # the retry budget


def test_a_cut_short_body_is_read_again(server):
    server.queue = [httpx.Response(200, content=b'{"notifications": ['), EMPTY_QS]
    assert run(_read(server.client(QS))).rules == ()
    assert len(server.requests) == 2


# --- client settings ------------------------------------------------------------------------


def test_user_agent_names_the_tool(server):
    server.queue = [EMPTY_QS]
    run(_read(server.client(QS)))
    assert server.requests[0].headers["User-Agent"] == f"reconciler/{__version__}"


def _ssl_and_limits(provider, parallelism=10):
    client = client_for(provider, parallelism=parallelism, environ={"QY_ACCESS_KEY_ID": "A", "QY_SECRET_ACCESS_KEY": "S"})
    transport = client._http._transport._inner  # the one place the settings end up
    run(client.aclose())
    return transport.ssl_context, transport.max_connections


def test_tls_is_verified_unless_the_provider_says_otherwise():
    verified, _ = _ssl_and_limits(QS)
    assert verified.verify_mode == ssl.CERT_REQUIRED and verified.check_hostname
    unverified, _ = _ssl_and_limits(QS.model_copy(update={"tls_verify": False}))
    assert unverified.verify_mode == ssl.CERT_NONE


def test_pool_size_follows_parallelism():
    assert _ssl_and_limits(QS, parallelism=3)[1] == 3


# --- redacted debug log ---------------------------------------------------------------------


def test_debug_log_never_shows_credentials_or_secret_fields(server, caplog):
    rule = bos_rule("r", secret="callback-key-value")
    echoed = {"notifications": [{"id": "r", "encryption": {"key": "callback-key-value"}}]}
    server.queue = [httpx.Response(503), httpx.Response(200), httpx.Response(200, json=echoed)]

    async def write_and_read():
        async with server.client(BOS) as client:
            await client.write("docs", [rule], previous=LiveDocument())
            return await client.read("docs")

    with caplog.at_level(logging.DEBUG, logger="reconciler.http"):
        run(write_and_read())
    text = caplog.text
    assert "PUT https://docs.bj.bcebos.com/?notification=" in text and "503" in text
    assert server.requests[0].headers["Authorization"].split("/")[-1] not in text
    for secret in ("callback-key-value", "bce-secret-value", "bce-auth-v1", "BCEAK"):
        assert secret not in text
    assert "(sensitive value)" in text


def test_debug_log_hides_the_session_token(server, caplog):
    environ = {"AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK", "AWS_SESSION_TOKEN": "token-value"}
    server.queue = [httpx.Response(200, content=b"<NotificationConfiguration/>")]
    with caplog.at_level(logging.DEBUG, logger="reconciler.http"):
        run(_read(server.client(AWS, environ=environ)))
    assert server.requests[0].headers["x-amz-security-token"] == "token-value"
    assert "token-value" not in caplog.text


def test_debug_log_shows_control_characters_from_the_server_without_obeying_them(server, caplog):
    hostile = b"<NotificationConfiguration><Id>evil\x1b[2J\nfake line</Id></NotificationConfiguration>"
    server.handler = lambda request: httpx.Response(200, content=hostile, headers={"x-amz-request-id": "id\x1b[8m"})
    with caplog.at_level(logging.DEBUG, logger="reconciler.http"), pytest.raises(ProviderError):  # not XML
        run(_read(server.client(AWS, environ={"AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK"})))
    text = "".join(record.getMessage() for record in caplog.records)
    assert "\x1b" not in text and "\n" not in text
    assert "evil\u241b[2J\u240afake line" in text and "id\u241b[8m" in text


def test_verbose_switches_the_log_on_once(server, capsys):
    from reconciler.providers.http import enable_debug_log, log

    enable_debug_log()
    enable_debug_log(sys.stderr)
    try:
        server.queue = [EMPTY_QS]
        run(_read(server.client(QS)))
        lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("reconciler.http: → GET")]
        assert lines == [lines[0]] and "https://pek3b.qingstor.com/photos?notification" in lines[0]
    finally:
        for handler in list(log.handlers):
            log.removeHandler(handler)
        log.setLevel(logging.NOTSET)


def test_debug_log_scrubs_credentials_by_value_whatever_the_format(server, caplog):
    rule = bos_rule("r", secret="callback-key-value")
    echo = (
        "<Error><Code>Mismatch</Code><Message>you sent key callback-key-value with secret bce-secret-value"
        "</Message></Error>"
    )
    server.queue = [httpx.Response(200), httpx.Response(400, text=echo, headers={"x-echo": "bce-secret-value"})]

    async def write_twice():
        async with server.client(BOS) as client:
            await client.write("docs", [rule], previous=LiveDocument())
            await client.write("docs", [rule], previous=LiveDocument())

    with caplog.at_level(logging.DEBUG, logger="reconciler.http"), pytest.raises(ProviderError) as caught:
        run(write_twice())
    assert "you sent key" in caplog.text
    assert "callback-key-value" not in caplog.text and "bce-secret-value" not in caplog.text
    assert "bce-secret-value" not in str(caught.value)  # the error message quoting the server, too


# --- bounds on answers ----------------------------------------------------------------------


def test_a_gzip_bomb_is_refused_after_a_few_mib_of_output(server):
    import gzip

    bomb = gzip.compress(bytes(16 * 1024 * 1024), compresslevel=1)  # 16 MiB of zeros in a few KiB
    server.handler = lambda request: httpx.Response(  # a stream: httpx would decode `content=` at once
        200, stream=httpx.ByteStream(bomb), headers={"Content-Encoding": "gzip", "x-qs-request-id": "bomb-1"}
    )
    tracemalloc.start()
    try:
        with pytest.raises(ResponseError) as caught:
            run(_read(server.client(QS)))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "the server's answer could not be read: the answer is larger than 4 MiB" in str(caught.value)
    assert caught.value.request_id == "bomb-1" and caught.value.status == 200
    assert peak < 10 * 1024 * 1024, peak  # the 16 MiB were never decompressed: the message alone cannot tell
    assert len(server.requests) == 1  # a bomb is not worth asking for again


def test_a_huge_plain_body_is_refused_while_it_streams(server):
    class Endless(httpx.AsyncByteStream):  # 64 MiB of body, counted as the client pulls it
        produced = 0

        async def __aiter__(self):  # type: ignore[no-untyped-def]
            for _ in range(1024):
                self.produced += 65536
                yield bytes(65536)

    stream = Endless()
    server.handler = lambda request: httpx.Response(200, stream=stream, headers={"x-qs-request-id": "huge-1"})
    with pytest.raises(ResponseError) as caught:
        run(_read(server.client(QS)))
    assert "the server's answer could not be read: the answer is larger than 4 MiB" in str(caught.value)
    assert stream.produced <= 5 * 1024 * 1024, stream.produced  # stopped at the cap, not after the whole body
    assert len(server.requests) == 1


def test_a_corrupt_gzip_body_is_read_again(server):
    import gzip

    good = gzip.compress(b'{"notifications": []}')
    server.queue = [
        httpx.Response(200, stream=httpx.ByteStream(good[: len(good) // 2]), headers={"Content-Encoding": "gzip"}),
        httpx.Response(200, stream=httpx.ByteStream(good), headers={"Content-Encoding": "gzip"}),
    ]
    assert run(_read(server.client(QS))).rules == ()
    assert len(server.requests) == 2


@pytest.mark.parametrize(
    ("provider", "body", "problem"),
    [
        (QS, b'{"notifications": ' + b"[" * 5000 + b"]" * 5000 + b"}", "is nested deeper than 32 levels"),
        (AWS, b"<NotificationConfiguration>" + b"<a>" * 5000 + b"</a>" * 5000 + b"</NotificationConfiguration>",
         "is nested deeper than 32 levels"),
        (QS, b'{"notifications": [' + b"{}," * 60_000 + b"{}]}", "holds more than 50000 values"),
        (AWS, b"<NotificationConfiguration>" + b"<a/>" * 60_000 + b"</NotificationConfiguration>",
         "holds more than 50000 elements"),
    ],
    ids=["json-deep", "xml-deep", "json-many", "xml-many"],
)  # fmt: skip
def test_deep_or_enormous_documents_are_the_buckets_response_error(server, provider, body, problem):
    server.handler = lambda request: httpx.Response(200, content=body, headers={"x-amz-request-id": "req-9"})
    environ = {"AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK", **KEYS}
    with pytest.raises(ResponseError) as caught:
        run(_read(server.client(provider, environ=environ)))
    assert f"the server's answer could not be read: the body {problem}" in str(caught.value)
    assert caught.value.request_id == "req-9"
    assert len(server.requests) == 1  # whole but refused: reading again would not help


def test_deep_error_bodies_are_no_internal_error(server):
    deep = b'{"code": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    server.handler = lambda request: httpx.Response(403, content=deep)
    with pytest.raises(ResponseError) as caught:
        run(_read(server.client(QS)))
    assert caught.value.status == 403


def test_a_server_that_never_finishes_meets_the_request_deadline():
    class Trickle(httpx.AsyncByteStream):
        async def __aiter__(self):
            yield b'{"notifications": ['
            while True:
                await asyncio.sleep(0.05)  # each byte in time for the read timeout
                yield b" "

    async def handler(request):
        return httpx.Response(200, stream=Trickle())

    client = client_for(
        QS,
        environ=KEYS,
        transport=httpx.MockTransport(handler),
        timeouts={"request": 0.5},
    )
    with pytest.raises(TransportError) as caught:
        run(_read(client))
    message = str(caught.value)
    assert "no complete answer within 0.5 s (the request deadline)" in message
    assert "pek3b.qingstor.com:443" in message


def test_an_unreachable_endpoint_names_host_port_and_time_waited():
    provider = QS.model_copy(update={"endpoint": "http://127.0.0.1:9"})  # discard port: nothing listens
    client = client_for(provider, environ=KEYS, retry=RetryPolicy(attempts=2, sleep=_no_sleep))
    with pytest.raises(TransportError) as caught:
        run(_read(client))
    message = str(caught.value)
    assert "connection failed" in message and "127.0.0.1:9 after" in message and " s, even after retrying" in message


async def _no_sleep(seconds: float) -> None:
    return None


def test_timeouts_come_from_the_command_line_then_the_provider_then_the_defaults():
    from reconciler.model.config import ProviderTimeout
    from reconciler.providers.registry import timeouts_for

    configured = QS.model_copy(update={"timeout": ProviderTimeout(read=5, request=20)})
    assert timeouts_for(QS) == Timeouts(connect=10, read=30, request=60)
    assert timeouts_for(configured) == Timeouts(connect=10, read=5, request=20)
    assert timeouts_for(configured, {"connect": 2, "read": 2, "request": None}) == Timeouts(2, 2, 20)
    client = client_for(configured, environ=KEYS)
    assert client._http.timeout.read == 5 and client._http._transport._timeouts.request == 20
    run(client.aclose())


def test_headers_sent_a_byte_at_a_time_meet_the_request_deadline():
    """A real loopback server trickling its status line and headers: each byte comes in time for
    the read timeout, so only the overall deadline ends the request."""

    async def scenario() -> str:
        async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            try:
                for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 100_000:
                    writer.write(bytes([byte]))
                    await writer.drain()
                    await asyncio.sleep(0.02)
            except (ConnectionError, asyncio.CancelledError):
                pass

        server = await asyncio.start_server(trickle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        provider = QS.model_copy(update={"endpoint": f"http://127.0.0.1:{port}"})
        client = client_for(provider, environ=KEYS, timeouts={"read": 5, "request": 0.5})
        try:
            async with client:
                await client.read("photos")
        except TransportError as error:
            return str(error)
        finally:
            server.close()
        return "no error"

    message = run(scenario())
    assert "no complete answer within 0.5 s (the request deadline)" in message
    assert "127.0.0.1:" in message


def test_the_blocking_client_stops_a_trickling_body_at_the_deadline():
    import time as clock

    from reconciler.providers.http import build_sync_client
    from reconciler.providers.limits import DeadlineExceeded

    class Trickle(httpx.SyncByteStream):
        def __iter__(self):
            while True:
                clock.sleep(0.02)
                yield b" "

    client = build_sync_client(
        transport=httpx.MockTransport(lambda request: httpx.Response(200, stream=Trickle())),
        timeouts=Timeouts(request=0.3),
    )
    with client, pytest.raises(DeadlineExceeded):
        client.get("http://127.0.0.1:1/state")


def test_the_blocking_client_reads_a_state_larger_than_a_provider_answer():
    from reconciler.providers.http import build_sync_client
    from reconciler.providers.limits import MAX_ANSWER_BYTES

    state = b"x" * (MAX_ANSWER_BYTES + 1)  # a remote state of some 4,000 buckets
    stream = httpx.ByteStream(state)  # a stream, read through the bounded reader
    client = build_sync_client(transport=httpx.MockTransport(lambda request: httpx.Response(200, stream=stream)))
    with client:
        assert client.get("http://127.0.0.1:1/state").content == state


def test_a_write_whose_answer_cannot_be_read_has_an_unknown_outcome(server):
    garbage = httpx.ByteStream(b"\x1f\x8b garbage")  # a stream: httpx would decode `content=` at once
    server.queue = [httpx.Response(200, stream=garbage, headers={"Content-Encoding": "gzip"})]

    async def write():
        async with server.client(BOS) as client:
            await client.write("docs", [bos_rule("r", secret=None)], previous=LiveDocument())

    with pytest.raises(UnknownOutcomeError) as caught:
        run(write())
    assert "the server's answer could not be read" in str(caught.value) and caught.value.status == 200
    assert len(server.requests) == 1
