"""Buckets created, checked and deleted through the official SDKs, signed like notification
requests; conflicts and missing buckets answered in each provider's format."""

from __future__ import annotations

import botocore
import pytest
from baidubce.exception import BceHttpClientError
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

from tests.support.emulator import RunningEmulator, start_emulator
from tests.support.sdk_clients import bos_client, qingstor_bucket

QINGSTOR_RULE = {"id": "scan", "event_types": ["create_object"], "cloudfunc": "tupu-porn"}
BOS_RULE = {
    "id": "ocr",
    "appId": "app-ocr",
    "status": "enabled",
    "resources": ["/*"],
    "events": ["PutObject"],
    "apps": [{"id": "app-ocr", "eventUrl": "app:ImageOcr"}],
}
S3_TOPIC = {"TopicArn": "arn:aws:sns:us-east-1:123456789012:uploads", "Events": ["s3:ObjectCreated:*"]}


def _s3_error(raised: pytest.ExceptionInfo[ClientError]) -> tuple[int, str]:
    response = raised.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]


# --- QingStor -----------------------------------------------------------------------------------


@pytest.mark.parametrize("vhost", [False, True])
def test_qingstor_sdk_creates_heads_uses_and_deletes_a_bucket(
    emulator: RunningEmulator, localhost_subdomains: None, vhost: bool
) -> None:
    bucket = qingstor_bucket(emulator, "photos", vhost=vhost)

    assert bucket.put().status_code == 201
    assert bucket.head().status_code == 200
    assert bucket.put_notification(notifications=[QINGSTOR_RULE]).status_code == 200
    assert bucket.get_notification()["notifications"][0]["id"] == "scan"
    assert emulator.admin.requests("qingstor", "photos") == {"DELETE": 0, "GET": 1, "HEAD": 1, "PUT": 2}
    assert bucket.delete().status_code == 204
    assert emulator.admin.buckets() == []


def test_qingstor_sdk_conflict_and_missing_bucket(emulator: RunningEmulator) -> None:
    bucket = qingstor_bucket(emulator, "photos")
    bucket.put()

    conflict = bucket.put()
    assert (conflict.status_code, conflict["code"]) == (409, "bucket_already_exists")
    assert conflict["request_id"] == conflict.headers["X-QS-Request-ID"]
    bucket.delete()
    head = bucket.head()
    assert (head.status_code, head.content) == (404, b"")
    missing = bucket.delete()
    assert (missing.status_code, missing["code"]) == (404, "bucket_not_exists")


def test_qingstor_sdk_with_a_wrong_secret_creates_nothing(emulator: RunningEmulator) -> None:
    reply = qingstor_bucket(emulator, "photos", secret="not-the-secret").put()

    assert (reply.status_code, reply["code"]) == (401, "signature_not_matched")
    assert emulator.admin.buckets() == []


# --- Baidu BOS ----------------------------------------------------------------------------------


def test_bos_sdk_creates_checks_uses_and_deletes_a_bucket(emulator: RunningEmulator) -> None:
    client = bos_client(emulator)
    assert not client.does_bucket_exist("docs")

    client.create_bucket("docs")
    assert client.does_bucket_exist("docs")
    client.put_notification("docs", [BOS_RULE])
    assert [rule.id for rule in client.get_notification("docs").notifications] == ["ocr"]
    assert client.delete_bucket("docs").metadata.bce_request_id
    assert not client.does_bucket_exist("docs")


def test_bos_sdk_accepts_its_multi_az_body(emulator: RunningEmulator) -> None:
    bos_client(emulator).create_bucket("docs", enable_maz=True)

    assert emulator.admin.bucket("bos", "docs")["name"] == "docs"


def test_bos_sdk_conflict_and_missing_bucket(emulator: RunningEmulator) -> None:
    client = bos_client(emulator)
    client.create_bucket("docs")

    with pytest.raises(BceHttpClientError) as conflict:
        client.create_bucket("docs")
    with pytest.raises(BceHttpClientError) as missing:
        client.delete_bucket("nowhere")
    assert (conflict.value.last_error.status_code, conflict.value.last_error.code) == (409, "BucketAlreadyExists")
    assert (missing.value.last_error.status_code, missing.value.last_error.code) == (404, "NoSuchBucket")


def test_a_bos_bucket_name_outside_the_naming_rules_is_refused(emulator: RunningEmulator) -> None:
    reply = emulator.request("bos", "PUT", "Bad_Name", query="")  # the SDK refuses it before sending

    assert (reply.status_code, reply.json()["code"]) == (400, "InvalidBucketName")
    assert emulator.admin.buckets() == []


# --- S3 (boto3) ---------------------------------------------------------------------------------


@pytest.mark.parametrize("addressing", ["path", "virtual"])
def test_boto3_creates_heads_uses_and_deletes_a_bucket(
    emulator: RunningEmulator, localhost_subdomains: None, addressing: str
) -> None:
    endpoint = emulator.url if addressing == "path" else f"http://s3.localhost:{emulator.port}"
    s3 = emulator.boto3_client(endpoint_url=endpoint, config=BotoConfig(s3={"addressing_style": addressing}))

    created = s3.create_bucket(Bucket="uploads")
    assert created["Location"] == "/uploads"
    head = s3.head_bucket(Bucket="uploads")
    assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == emulator.region
    s3.put_bucket_notification_configuration(Bucket="uploads", NotificationConfiguration={"TopicConfigurations": [S3_TOPIC]})
    got = s3.get_bucket_notification_configuration(Bucket="uploads")
    assert got["TopicConfigurations"][0]["TopicArn"] == S3_TOPIC["TopicArn"]
    assert emulator.admin.bucket("s3", "uploads")["flavor"] == "aws"
    deleted = s3.delete_bucket(Bucket="uploads")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as raised:
        s3.head_bucket(Bucket="uploads")
    assert _s3_error(raised) == (404, "404")  # a HEAD error has no body to name a code


def test_boto3_create_with_a_matching_location_constraint(emulator: RunningEmulator) -> None:
    s3 = emulator.boto3_client(region_name="eu-west-1")

    s3.create_bucket(Bucket="uploads", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert emulator.admin.bucket("s3", "uploads")["name"] == "uploads"


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"Bucket": "uploads"}, 409, "BucketAlreadyOwnedByYou"),
        ({"Bucket": "x"}, 400, "InvalidBucketName"),
        (
            {"Bucket": "elsewhere", "CreateBucketConfiguration": {"LocationConstraint": "ap-south-1"}},
            400,
            "IllegalLocationConstraintException",
        ),
    ],
)
def test_boto3_create_errors(emulator: RunningEmulator, kwargs: dict, status: int, code: str) -> None:
    s3 = emulator.boto3_client()
    s3.create_bucket(Bucket="uploads")

    with pytest.raises(ClientError) as raised:
        s3.create_bucket(**kwargs)
    assert _s3_error(raised) == (status, code)
    assert [bucket["name"] for bucket in emulator.admin.buckets()] == ["uploads"]


def test_boto3_delete_of_a_missing_bucket_is_no_such_bucket(emulator: RunningEmulator) -> None:
    with pytest.raises(ClientError) as raised:
        emulator.boto3_client().delete_bucket(Bucket="nowhere")

    assert _s3_error(raised) == (404, "NoSuchBucket")
    assert raised.value.response["Error"]["BucketName"] == "nowhere"


def _with_flavor_header(flavor: str):  # type: ignore[no-untyped-def]
    def add(request: botocore.awsrequest.AWSRequest, **_: object) -> None:
        request.headers["x-emulator-flavor"] = flavor

    return add


def test_the_flavor_header_picks_a_created_buckets_flavor(emulator: RunningEmulator) -> None:
    s3 = emulator.boto3_client()
    s3.meta.events.register("before-sign.s3.CreateBucket", _with_flavor_header("minio"))

    s3.create_bucket(Bucket="queues")
    assert emulator.admin.bucket("s3", "queues")["flavor"] == "minio"
    with pytest.raises(ClientError) as raised:  # MinIO accepts only queues, as the flavor does
        s3.put_bucket_notification_configuration(
            Bucket="queues", NotificationConfiguration={"TopicConfigurations": [S3_TOPIC]}
        )
    assert _s3_error(raised) == (400, "UnsupportedNotification")


def test_an_unknown_flavor_header_is_refused(emulator: RunningEmulator) -> None:
    reply = emulator.request("s3", "PUT", "queues", query="", headers={"x-emulator-flavor": "oracle"})

    assert reply.status_code == 400
    assert b"<Code>InvalidArgument</Code>" in reply.content and b"oracle" in reply.content
    assert emulator.admin.buckets() == []


def test_the_flavor_header_on_a_json_dialect_is_refused(emulator: RunningEmulator) -> None:
    reply = emulator.request("bos", "PUT", "docs", query="", headers={"x-emulator-flavor": "aws"})

    assert (reply.status_code, reply.json()["code"]) == (400, "InvalidArgument")


def test_listing_objects_is_not_implemented(emulator: RunningEmulator) -> None:
    emulator.admin.create_bucket("s3", "uploads")

    assert emulator.request("s3", "GET", "uploads", query="").status_code == 501


def test_s3_flavor_option_sets_the_default_flavor(tmp_path) -> None:  # type: ignore[no-untyped-def]
    running = start_emulator(tmp_path, extra_args=["--s3-flavor", "ceph"])
    try:
        running.boto3_client().create_bucket(Bucket="rgw")
        assert running.admin.bucket("s3", "rgw")["flavor"] == "ceph"
    finally:
        running.stop()


def test_bucket_requests_persist_in_the_data_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "emulator.json"
    first = start_emulator(tmp_path, data=data)
    try:
        first.boto3_client().create_bucket(Bucket="kept")
        bos_client(first).create_bucket("gone")
        bos_client(first).delete_bucket("gone")
    finally:
        first.stop()
    second = start_emulator(tmp_path, data=data)
    try:
        assert [(b["dialect"], b["name"]) for b in second.admin.buckets()] == [("s3", "kept")]
    finally:
        second.stop()
