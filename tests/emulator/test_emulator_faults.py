"""Fault injection through the admin API: latency, errors, 429, resets, broken bodies, scopes."""

from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ElementTree

import httpx
import pytest

from reconciler.emulator.admin_client import AdminError
from tests.support.emulator import RunningEmulator

QS_DOCUMENT = {"notifications": [{"id": "r", "event_types": ["create_object"], "cloudfunc": "notifier"}]}
S3_DOCUMENT = (
    b"<NotificationConfiguration><TopicConfiguration><Id>t</Id><Topic>arn:aws:sns:us-east-1:123456789012:x</Topic>"
    b"<Event>s3:ObjectCreated:*</Event></TopicConfiguration></NotificationConfiguration>"
)


@pytest.fixture
def bucket(emulator: RunningEmulator) -> str:
    emulator.admin.create_buckets({"dialect": dialect, "name": "faulty"} for dialect in ("qingstor", "bos", "s3"))
    emulator.admin.create_bucket("s3", "healthy")
    return "faulty"


def test_latency_delays_every_answer_by_at_least_the_injected_time(emulator: RunningEmulator, bucket: str) -> None:
    emulator.admin.set_faults(bucket=bucket, latency_ms=300)

    started = time.monotonic()
    response = emulator.request("s3", "GET", bucket)
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.3


@pytest.mark.parametrize(
    ("dialect", "code"),
    [("qingstor", "service_unavailable"), ("bos", "ServiceUnavailable"), ("s3", "ServiceUnavailable")],
)
def test_errors_come_with_the_chosen_status_in_the_dialects_format(
    emulator: RunningEmulator, bucket: str, dialect: str, code: str
) -> None:
    emulator.admin.set_faults(error_rate=1, error_statuses=[503])
    response = emulator.request(dialect, "GET", bucket)

    assert response.status_code == 503
    if dialect == "s3":
        assert ElementTree.fromstring(response.content).findtext("Code") == code
    else:
        assert json.loads(response.content)["code"] == code


def test_a_limit_makes_the_first_requests_fail_and_the_next_succeed(emulator: RunningEmulator, bucket: str) -> None:
    emulator.admin.set_faults(bucket=bucket, error_rate=1, error_statuses=[500, 502], limit=2)

    statuses = [emulator.request("s3", "GET", bucket).status_code for _ in range(4)]
    assert statuses[:2] in ([500, 500], [500, 502], [502, 500], [502, 502])
    assert statuses[2:] == [200, 200]
    assert emulator.admin.faults()["*/faulty"]["fired"] == 2
    assert emulator.admin.requests("s3", bucket)["GET"] == 4  # faulted requests are counted too


def test_throttling_answers_429_with_retry_after(emulator: RunningEmulator, bucket: str) -> None:
    emulator.admin.set_faults(throttle_rate=1, retry_after=7)
    response = emulator.request("bos", "GET", bucket)

    assert (response.status_code, response.headers["Retry-After"]) == (429, "7")
    assert response.json()["code"] == "TooManyRequests"


def test_a_reset_before_the_request_leaves_the_document_unchanged(emulator: RunningEmulator, bucket: str) -> None:
    emulator.admin.set_faults(bucket=bucket, dialect="qingstor", reset_rate=1, methods=["PUT"])

    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        emulator.request("qingstor", "PUT", bucket, body=json.dumps(QS_DOCUMENT).encode())
    assert emulator.admin.document("qingstor", bucket) == {"notifications": []}
    assert emulator.request("qingstor", "GET", bucket).status_code == 200  # GETs are spared


def test_a_reset_after_the_request_keeps_the_change_the_client_never_heard_of(
    emulator: RunningEmulator, bucket: str
) -> None:
    emulator.admin.set_faults(bucket=bucket, dialect="s3", reset_rate=1, reset_when="after", limit=1)

    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        emulator.request("s3", "PUT", bucket, body=S3_DOCUMENT)
    assert "<Id>t</Id>" in emulator.admin.document("s3", bucket)
    assert emulator.request("s3", "PUT", bucket, body=S3_DOCUMENT).status_code == 200  # limit reached


def test_malformed_bodies_break_reads_only(emulator: RunningEmulator, bucket: str) -> None:
    emulator.admin.set_faults(malformed_rate=1)

    assert emulator.request("qingstor", "PUT", bucket, body=json.dumps(QS_DOCUMENT).encode()).status_code == 200
    response = emulator.request("qingstor", "GET", bucket)
    assert response.status_code == 200
    with pytest.raises(ValueError):
        json.loads(response.content)
    response = emulator.request("s3", "GET", bucket)
    with pytest.raises(ElementTree.ParseError):
        ElementTree.fromstring(response.content)


def test_the_most_specific_fault_set_wins_and_clearing_restores_service(emulator: RunningEmulator, bucket: str) -> None:
    emulator.admin.set_faults(error_rate=1, error_statuses=[500])
    emulator.admin.set_faults(bucket=bucket, error_rate=1, error_statuses=[502])
    emulator.admin.set_faults(bucket=bucket, dialect="s3", error_rate=0)

    assert emulator.request("s3", "GET", "healthy").status_code == 500  # global
    assert emulator.request("qingstor", "GET", bucket).status_code == 502  # any dialect's bucket "faulty"
    assert emulator.request("s3", "GET", bucket).status_code == 200  # s3/faulty itself
    emulator.admin.clear_faults(bucket=bucket)
    assert emulator.request("qingstor", "GET", bucket).status_code == 500
    emulator.admin.clear_faults()
    assert emulator.admin.faults() == {}
    assert emulator.request("s3", "GET", "healthy").status_code == 200


def test_a_seed_makes_the_random_draws_reproducible(emulator: RunningEmulator, bucket: str) -> None:
    def run() -> list[int]:
        emulator.admin.set_faults(error_rate=0.5, error_statuses=[500, 503], seed=42)
        return [emulator.request("s3", "GET", bucket).status_code for _ in range(12)]

    first, second = run(), run()
    assert first == second
    assert {200, 500, 503} & set(first) != {200}


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ({"latency_ms": -1}, "latency_ms"),
        ({"error_rate": 0.7, "reset_rate": 0.5}, "must not exceed 1"),
        ({"error_statuses": [200]}, "not an HTTP error status"),
        ({"methods": ["POST"]}, "methods"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_an_invalid_fault_spec_is_refused_naming_the_field(
    emulator: RunningEmulator, spec: dict[str, object], words: str
) -> None:
    with pytest.raises(AdminError) as raised:
        emulator.admin.set_faults(**spec)

    assert raised.value.status == 400
    assert words in str(raised.value)
