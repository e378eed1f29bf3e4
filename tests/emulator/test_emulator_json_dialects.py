"""QingStor and BOS: validation like the providers, their error formats, and their read-backs."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.support.emulator import RunningEmulator

QS_RULE = {
    "id": "thumbs",
    "event_types": ["create_object"],
    "cloudfunc": "image",
    "cloudfunc_args": {"action": "resize"},
}
BOS_RULE = {
    "id": "ocr",
    "appId": "app-ocr",
    "status": "enabled",
    "resources": ["/scans/*.png"],
    "events": ["PutObject"],
    "apps": [{"id": "app-ocr", "eventUrl": "https://hooks.example.com/bos"}],
}


def put(emulator: RunningEmulator, dialect: str, bucket: str, body: Any) -> httpx.Response:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return emulator.request(dialect, "PUT", bucket, body=raw, headers={"Content-Type": "application/json"})


@pytest.fixture
def qingstor(emulator: RunningEmulator) -> str:
    emulator.admin.create_bucket("qingstor", "qs-bucket")
    return "qs-bucket"


@pytest.fixture
def bos(emulator: RunningEmulator) -> str:
    emulator.admin.create_bucket("bos", "bos-bucket")
    return "bos-bucket"


# --- QingStor -----------------------------------------------------------------------------------


def test_qingstor_fills_spec_defaults_lists_a_lone_filter_and_drops_unknown_keys(
    emulator: RunningEmulator, qingstor: str
) -> None:
    rule = {**QS_RULE, "object_filters": "*.jpg", "colour": "blue"}
    assert put(emulator, "qingstor", qingstor, {"notifications": [rule]}).status_code == 200

    got = emulator.request("qingstor", "GET", qingstor).json()
    assert got == {
        "notifications": [
            {
                "id": "thumbs",
                "event_types": ["create_object"],
                "object_filters": ["*.jpg"],
                "cloudfunc": "image",
                "cloudfunc_args": {"action": "resize", "key_prefix": "gen", "key_seprate": "_"},
            }
        ]
    }


def test_qingstor_put_replaces_and_get_of_an_empty_bucket_is_an_empty_list(
    emulator: RunningEmulator, qingstor: str
) -> None:
    assert emulator.request("qingstor", "GET", qingstor).json() == {"notifications": []}
    put(emulator, "qingstor", qingstor, {"notifications": [QS_RULE]})
    put(emulator, "qingstor", qingstor, {"notifications": [{**QS_RULE, "id": "other"}]})

    assert [rule["id"] for rule in emulator.request("qingstor", "GET", qingstor).json()["notifications"]] == ["other"]


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        (
            {**QS_RULE, "event_types": ["create_objct"]},
            ["notifications[0].event_types[0]", "did you mean 'create_object'"],
        ),
        ({k: v for k, v in QS_RULE.items() if k != "cloudfunc"}, ["notifications[0].cloudfunc", "required"]),
        ({**QS_RULE, "cloudfunc": "thumbnailer"}, ["notifications[0].cloudfunc", "tupu-porn"]),
        ({**QS_RULE, "cloudfunc_args": {"key_prefix": "x"}}, ["notifications[0].cloudfunc_args.action"]),
        ({**QS_RULE, "notify_url": "ftp://x"}, ["notifications[0].notify_url", "http(s)"]),
        ({**QS_RULE, "id": ""}, ["notifications[0].id", "empty"]),
    ],
    ids=["event", "no-cloudfunc", "cloudfunc", "no-action", "url", "empty-id"],
)
def test_qingstor_rejects_invalid_rules_naming_the_field(
    emulator: RunningEmulator, qingstor: str, rule: dict[str, Any], words: list[str]
) -> None:
    response = put(emulator, "qingstor", qingstor, {"notifications": [rule]})

    body = response.json()
    assert (response.status_code, body["code"]) == (400, "invalid_argument")
    assert all(word in body["message"] for word in words), body["message"]
    assert body["request_id"] == response.headers["X-QS-Request-ID"]


def test_qingstor_rejects_duplicate_ids_and_broken_json(emulator: RunningEmulator, qingstor: str) -> None:
    duplicate = put(emulator, "qingstor", qingstor, {"notifications": [QS_RULE, QS_RULE]})
    broken = put(emulator, "qingstor", qingstor, b'{"notifications": [')
    shapeless = put(emulator, "qingstor", qingstor, {"rules": []})

    assert (duplicate.status_code, duplicate.json()["code"]) == (400, "invalid_argument")
    assert (broken.status_code, broken.json()["code"]) == (400, "invalid_request")
    assert (shapeless.status_code, shapeless.json()["code"]) == (400, "invalid_argument")


def test_qingstor_answers_other_methods_with_method_not_allowed(emulator: RunningEmulator, qingstor: str) -> None:
    response = emulator.request("qingstor", "POST", qingstor)

    assert (response.status_code, response.json()["code"]) == (405, "method_not_allowed")


# --- BOS ----------------------------------------------------------------------------------------


def test_bos_keeps_and_echoes_keys_it_does_not_know(emulator: RunningEmulator, bos: str) -> None:
    rule = {**BOS_RULE, "quota": {"quotaDay": 10}, "apps": [{**BOS_RULE["apps"][0], "xParams": "{}"}]}
    assert put(emulator, "bos", bos, {"notifications": [rule]}).status_code == 200

    assert emulator.request("bos", "GET", bos).json() == {"notifications": [rule]}


def test_bos_answers_no_configuration_with_an_error_that_is_not_no_such_bucket(
    emulator: RunningEmulator, bos: str
) -> None:
    empty = emulator.request("bos", "GET", bos)
    put(emulator, "bos", bos, {"notifications": [BOS_RULE]})
    deleted = emulator.request("bos", "DELETE", bos)
    after = emulator.request("bos", "GET", bos)

    assert (empty.status_code, empty.json()["code"]) == (404, "NoSuchNotification")
    assert empty.json()["requestId"] == empty.headers["x-bce-request-id"]
    assert deleted.status_code == 200
    assert (after.status_code, after.json()["code"]) == (404, "NoSuchNotification")


@pytest.mark.parametrize(
    ("body", "code", "word"),
    [
        ({"notifications": [{k: v for k, v in BOS_RULE.items() if k != "appId"}]}, "InappropriateJSON", "appId"),
        ({"notifications": [{**BOS_RULE, "events": "PutObject"}]}, "InappropriateJSON", "events"),
        ({"notifications": [{**BOS_RULE, "status": "on"}]}, "InvalidArgument", "status"),
        ({"notifications": [{**BOS_RULE, "resources": ["/a/*/b/*.png"]}]}, "InvalidArgument", "'*'"),
        ({"notifications": [{**BOS_RULE, "events": ["PutObjekt"]}]}, "InvalidArgument", "PutObject"),
        (
            {"notifications": [{**BOS_RULE, "apps": [{"id": "a", "eventUrl": "ftp://x"}]}]},
            "InvalidArgument",
            "eventUrl",
        ),
        ({"notifications": [BOS_RULE, BOS_RULE]}, "InvalidArgument", "twice"),
        (b"{not json", "MalformedJSON", "well-formed"),
    ],
    ids=["no-appId", "events-type", "status", "two-stars", "event", "url-scheme", "duplicate", "broken"],
)
def test_bos_rejects_invalid_documents(emulator: RunningEmulator, bos: str, body: Any, code: str, word: str) -> None:
    response = put(emulator, "bos", bos, body)

    assert (response.status_code, response.json()["code"]) == (400, code)
    assert word in response.json()["message"]
