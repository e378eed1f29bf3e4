"""Dialect recognition, signature and clock checks, and path / virtual-host addressing."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from reconciler.providers.s3.auth import amz_date, authorization, payload_hash
from tests.support.emulator import RunningEmulator

DIALECTS = ("qingstor", "bos", "s3")


def code_of(response: httpx.Response) -> str:
    if response.headers.get("content-type", "").startswith("application/json"):
        return json.loads(response.content)["code"]
    return ElementTree.fromstring(response.content).findtext("Code") or ""


def clock(offset: timedelta):  # type: ignore[no-untyped-def]
    return lambda: datetime.now(UTC) + offset


@pytest.fixture
def buckets(emulator: RunningEmulator) -> str:
    emulator.admin.create_buckets({"dialect": dialect, "name": "shared-name"} for dialect in DIALECTS)
    return "shared-name"


@pytest.mark.parametrize(
    ("dialect", "status", "code"),
    [
        ("qingstor", 401, "signature_not_matched"),
        ("bos", 403, "SignatureDoesNotMatch"),
        ("s3", 403, "SignatureDoesNotMatch"),
    ],
)
def test_a_wrong_secret_is_rejected_in_the_providers_own_format(
    emulator: RunningEmulator, buckets: str, dialect: str, status: int, code: str
) -> None:
    response = emulator.request(dialect, "GET", buckets, secret="not-the-secret")

    assert (response.status_code, code_of(response)) == (status, code)


@pytest.mark.parametrize(
    ("dialect", "status", "code"),
    [("qingstor", 401, "invalid_access_key_id"), ("bos", 403, "InvalidAccessKeyId"), ("s3", 403, "InvalidAccessKeyId")],
)
def test_an_unknown_access_key_is_rejected(
    emulator: RunningEmulator, buckets: str, dialect: str, status: int, code: str
) -> None:
    response = emulator.request(dialect, "GET", buckets, access_key="nobody")

    assert (response.status_code, code_of(response)) == (status, code)


@pytest.mark.parametrize(
    ("dialect", "offset", "status", "code"),
    [
        ("qingstor", timedelta(minutes=-16), 403, "request_expired"),
        ("qingstor", timedelta(minutes=16), 403, "request_expired"),
        ("bos", timedelta(minutes=-31), 400, "RequestExpired"),  # signed for 1800 s
        ("bos", timedelta(minutes=16), 400, "RequestExpired"),
        ("s3", timedelta(minutes=-16), 403, "RequestTimeTooSkewed"),
        ("s3", timedelta(minutes=16), 403, "RequestTimeTooSkewed"),
    ],
)
def test_requests_outside_the_clock_window_are_rejected(
    emulator: RunningEmulator, buckets: str, dialect: str, offset: timedelta, status: int, code: str
) -> None:
    response = emulator.request(dialect, "GET", buckets, clock=clock(offset))

    assert (response.status_code, code_of(response)) == (status, code)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_requests_inside_the_clock_window_are_accepted(emulator: RunningEmulator, buckets: str, dialect: str) -> None:
    response = emulator.request(
        dialect, "DELETE" if dialect == "bos" else "GET", buckets, clock=clock(timedelta(minutes=-10))
    )

    assert response.status_code in (200, 204)


@pytest.mark.parametrize("authorization_value", [None, "Bearer abc", "AWS AKID:signature"])
def test_a_missing_or_unknown_scheme_is_a_clear_403_in_s3_xml(
    emulator: RunningEmulator, buckets: str, authorization_value: str | None
) -> None:
    headers = {"Authorization": authorization_value} if authorization_value else {}
    response = emulator.http.get(f"/{buckets}?notification", headers=headers)

    root = ElementTree.fromstring(response.content)
    assert (response.status_code, root.findtext("Code")) == (403, "AccessDenied")
    assert "QS" in (root.findtext("Message") or "") and "bce-auth-v1" in (root.findtext("Message") or "")


def test_an_s3_body_that_does_not_match_its_signed_hash_is_rejected(emulator: RunningEmulator, buckets: str) -> None:
    now = datetime.now(UTC)
    headers = {
        "host": f"127.0.0.1:{emulator.port}",
        "x-amz-date": amz_date(now),
        "x-amz-content-sha256": payload_hash(b"<NotificationConfiguration/>"),
    }
    headers["Authorization"] = authorization(
        emulator.access_key, emulator.secret_key, "PUT", f"/{buckets}", {"notification": ""}, headers,
        timestamp=now, region=emulator.region,
    )  # fmt: skip
    response = emulator.http.put(f"/{buckets}?notification", headers=headers, content=b"<Tampered/>")

    assert (response.status_code, code_of(response)) == (400, "XAmzContentSHA256Mismatch")


@pytest.mark.parametrize("dialect", DIALECTS)
def test_virtual_host_style_finds_the_bucket_in_the_host_header(
    emulator: RunningEmulator, buckets: str, dialect: str
) -> None:
    before = emulator.admin.requests(dialect, buckets)["DELETE"]
    response = emulator.request(dialect, "DELETE" if dialect != "s3" else "GET", buckets, virtual_host=True)

    assert response.status_code in (200, 204), response.text
    assert emulator.admin.requests(dialect, buckets)["DELETE"] == before + (dialect != "s3")


def test_a_request_naming_no_bucket_says_so(emulator: RunningEmulator, buckets: str) -> None:
    response = emulator.request("s3", "GET", "", headers={"Host": f"unknown.s3.localhost:{emulator.port}"})

    root = ElementTree.fromstring(response.content)
    assert (response.status_code, root.findtext("Code")) == (400, "InvalidRequest")
    assert "names no bucket" in (root.findtext("Message") or "")


@pytest.mark.parametrize(("path", "query"), [("/shared-name/key.jpg", "notification"), ("/shared-name", "acl")])
def test_anything_but_the_bucket_notification_api_is_not_implemented(
    emulator: RunningEmulator, buckets: str, path: str, query: str
) -> None:
    response = emulator.request("s3", "GET", path.lstrip("/"), query=query)

    assert (response.status_code, code_of(response)) == (501, "NotImplemented")


def test_every_reply_carries_the_dialects_request_id_header(emulator: RunningEmulator, buckets: str) -> None:
    headers = {
        "qingstor": emulator.request("qingstor", "GET", buckets).headers,
        "bos": emulator.request("bos", "GET", buckets).headers,
        "s3": emulator.request("s3", "GET", buckets).headers,
    }

    assert headers["qingstor"]["x-qs-request-id"]
    assert headers["bos"]["x-bce-request-id"]
    assert headers["s3"]["x-amz-request-id"]
