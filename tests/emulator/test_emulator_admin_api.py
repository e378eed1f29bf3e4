"""The admin API through EmulatorAdmin: buckets, out-of-band documents, counters, reset, errors."""

from __future__ import annotations

import pytest

from reconciler.emulator.admin_client import AdminError, bucket_spec
from tests.support.emulator import RunningEmulator

QS_DOCUMENT = {"notifications": [{"id": "r", "event_types": ["create_object"], "cloudfunc": "notifier"}]}
S3_XML = (
    "<NotificationConfiguration><QueueConfiguration><Id>q</Id><Queue>arn:aws:sqs:us-east-1:123456789012:q</Queue>"
    "<Event>s3:ObjectCreated:*</Event><Filter><S3Key><FilterRule><Name>prefix</Name><Value>a/</Value></FilterRule>"
    "</S3Key></Filter></QueueConfiguration></NotificationConfiguration>"
)


def test_buckets_are_created_one_or_many_at_once_and_listed_with_their_documents(emulator: RunningEmulator) -> None:
    single = emulator.admin.create_bucket("s3", "photos", flavor="jdcloud")
    many = emulator.admin.create_buckets(
        [bucket_spec("qingstor", "photos", document=QS_DOCUMENT), bucket_spec("bos", "docs"), bucket_spec("s3", "raw")]
    )

    assert single == {
        "dialect": "s3",
        "name": "photos",
        "flavor": "jdcloud",
        "rules": 0,
        "counters": {"DELETE": 0, "GET": 0, "PUT": 0},
        "document": '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></NotificationConfiguration>',
    }
    assert [(b["dialect"], b["name"], b["flavor"], b["rules"]) for b in many] == [
        ("qingstor", "photos", None, 1),
        ("bos", "docs", None, 0),
        ("s3", "raw", "aws", 0),
    ]
    assert [(b["dialect"], b["name"]) for b in emulator.admin.buckets()] == [
        ("bos", "docs"),
        ("qingstor", "photos"),
        ("s3", "photos"),
        ("s3", "raw"),
    ]
    assert emulator.admin.document("qingstor", "photos") == QS_DOCUMENT


def test_a_document_put_out_of_band_is_what_the_api_answers(emulator: RunningEmulator) -> None:
    emulator.admin.create_bucket("s3", "raw")
    emulator.admin.put_document("s3", "raw", S3_XML)

    response = emulator.request("s3", "GET", "raw")
    assert "<Name>Prefix</Name>" in response.text  # AWS answers with its own spelling
    assert emulator.admin.bucket("s3", "raw")["rules"] == 1
    assert emulator.admin.requests("s3", "raw") == {"DELETE": 0, "GET": 1, "PUT": 0}  # admin calls are not counted


def test_counters_count_per_bucket_and_method_and_reset(emulator: RunningEmulator) -> None:
    emulator.admin.create_buckets([bucket_spec("qingstor", "a"), bucket_spec("qingstor", "b")])
    for method in ("GET", "GET", "DELETE"):
        emulator.request("qingstor", method, "a")
    emulator.request("qingstor", "GET", "b")
    emulator.request("qingstor", "GET", "missing")  # no bucket, no counter

    counters = emulator.admin.counters()
    assert counters["buckets"] == {
        "qingstor/a": {"DELETE": 1, "GET": 2, "PUT": 0},
        "qingstor/b": {"DELETE": 0, "GET": 1, "PUT": 0},
    }
    assert counters["total"] == {"GET": 3, "PUT": 0, "DELETE": 1}
    assert emulator.admin.counters(bucket="b")["total"]["GET"] == 1
    emulator.admin.reset_counters()
    assert emulator.admin.counters()["total"] == {"GET": 0, "PUT": 0, "DELETE": 0}


def test_a_deleted_bucket_is_gone_for_the_api_too(emulator: RunningEmulator) -> None:
    emulator.admin.create_bucket("bos", "docs")
    emulator.admin.delete_bucket("bos", "docs")

    response = emulator.request("bos", "GET", "docs")
    assert (response.status_code, response.json()["code"]) == (404, "NoSuchBucket")
    with pytest.raises(AdminError) as raised:
        emulator.admin.bucket("bos", "docs")
    assert raised.value.status == 404


def test_reset_removes_buckets_counters_and_faults(emulator: RunningEmulator) -> None:
    emulator.admin.create_bucket("s3", "raw")
    emulator.admin.set_faults(latency_ms=1)
    emulator.admin.reset()

    assert emulator.admin.buckets() == []
    assert emulator.admin.faults() == {}


@pytest.mark.parametrize(
    ("spec", "status", "words"),
    [
        ({"dialect": "gcs", "name": "x"}, 400, "dialect"),
        ({"dialect": "s3", "name": "x", "flavor": "r2"}, 400, "flavor"),
        ({"dialect": "bos", "name": "x", "flavor": "aws"}, 400, "only for s3"),
        ({"dialect": "s3", "name": "bad/name"}, 400, "not a bucket name"),
        (
            {"dialect": "s3", "name": "x", "document": "<Nope"},
            400,
            "buckets[1].document: the body is not well-formed XML",
        ),
        ({"dialect": "qingstor", "name": "x", "document": {"rules": []}}, 400, "notifications"),
        ({"dialect": "s3", "name": "x", "colour": "red"}, 400, "colour"),
        ({"dialect": "s3", "name": "taken"}, 409, "already exists"),
    ],
)
def test_bad_bucket_specs_are_refused_with_one_clear_sentence(
    emulator: RunningEmulator, spec: dict[str, object], status: int, words: str
) -> None:
    emulator.admin.create_bucket("s3", "taken")

    with pytest.raises(AdminError) as raised:
        emulator.admin.create_buckets([{"dialect": "s3", "name": "fine"}, spec])
    assert raised.value.status == status
    assert words in str(raised.value)
    assert [b["name"] for b in emulator.admin.buckets()] == ["taken"]  # all or nothing


def test_a_qingstor_document_put_out_of_band_is_stored_as_the_server_would_store_it(emulator: RunningEmulator) -> None:
    """As if another client PUT it: spec defaults filled, a lone filter listed, unknown keys dropped, so a
    rule planted here is exactly what a later PUT of the same rule leaves (foreign rules stay byte for byte).
    A rule the API would refuse is kept as given, for tests of rules that fit no format."""
    planted = {
        "notifications": [
            {"notify_url": "http://h/x", "id": "a", "cloudfunc": "image", "event_types": ["create_object"],
             "cloudfunc_args": {"action": "resize:w_100"}, "object_filters": "*.jpg", "extra": 1},
            {"id": "odd", "event_types": ["no_such_event"], "cloudfunc": "notifier"},
        ]
    }  # fmt: skip
    emulator.admin.create_bucket("qingstor", "planted")
    emulator.admin.put_document("qingstor", "planted", planted)
    stored = emulator.admin.document("qingstor", "planted")["notifications"]
    assert stored[0] == {
        "id": "a",
        "event_types": ["create_object"],
        "object_filters": ["*.jpg"],
        "cloudfunc": "image",
        "cloudfunc_args": {"action": "resize:w_100", "key_prefix": "gen", "key_seprate": "_"},
        "notify_url": "http://h/x",
    }
    assert list(stored[0]) == ["id", "event_types", "object_filters", "cloudfunc", "cloudfunc_args", "notify_url"]
    assert stored[1] == planted["notifications"][1]
