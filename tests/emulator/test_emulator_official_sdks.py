"""The official SDKs as independent peers: each signs with its own code; the emulator must accept
the right secret, reject a wrong one with the provider's error, and round-trip documents."""

from __future__ import annotations

from typing import Any

import pytest
from baidubce.exception import BceHttpClientError
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

from tests.support.emulator import RunningEmulator
from tests.support.sdk_clients import bos_client, qingstor_bucket

QINGSTOR_RULE = {
    "id": "porn-check",
    "event_types": ["create_object"],
    "object_filters": ["*.jpg", "*.png"],
    "cloudfunc": "tupu-porn",
    "notify_url": "https://hooks.example.com/qingstor",
}
BOS_RULE = {
    "id": "ocr",
    "name": "OCR on upload",
    "appId": "app-ocr",
    "status": "enabled",
    "resources": ["/scans/*.png"],
    "events": ["PutObject", "CompleteMultipartUpload"],
    "apps": [{"id": "app-ocr", "eventUrl": "app:ImageOcr", "xVars": '{"saveUrl": "http://x/ocr"}'}],
}


# --- QingStor -----------------------------------------------------------------------------------


def test_qingstor_sdk_round_trips_a_document_and_deletes_it(emulator: RunningEmulator) -> None:
    emulator.admin.create_bucket("qingstor", "photos")
    bucket = qingstor_bucket(emulator, "photos")

    assert bucket.put_notification(notifications=[QINGSTOR_RULE]).status_code == 200
    got = bucket.get_notification()
    assert got.status_code == 200
    assert got["notifications"] == [QINGSTOR_RULE]
    assert bucket.delete_notification().status_code == 204
    assert bucket.get_notification()["notifications"] == []


def test_qingstor_sdk_with_a_wrong_secret_gets_signature_not_matched(emulator: RunningEmulator) -> None:
    emulator.admin.create_bucket("qingstor", "photos")
    reply = qingstor_bucket(emulator, "photos", secret="not-the-secret").get_notification()

    assert reply.status_code == 401
    assert reply["code"] == "signature_not_matched"
    assert reply["request_id"] == reply.headers["X-QS-Request-ID"]
    assert set(reply.keys()) >= {"code", "message", "request_id", "url"}


def test_qingstor_sdk_in_virtual_host_style_signs_the_bucket_back_in(
    emulator: RunningEmulator, localhost_subdomains: None
) -> None:
    emulator.admin.create_bucket("qingstor", "photos")
    bucket = qingstor_bucket(emulator, "photos", vhost=True)

    assert bucket.put_notification(notifications=[QINGSTOR_RULE]).status_code == 200
    assert bucket.get_notification()["notifications"] == [QINGSTOR_RULE]


def test_qingstor_sdk_on_a_missing_bucket_gets_bucket_not_exists(emulator: RunningEmulator) -> None:
    reply = qingstor_bucket(emulator, "nowhere").get_notification()

    assert (reply.status_code, reply["code"]) == (404, "bucket_not_exists")


# --- Baidu BOS ----------------------------------------------------------------------------------


def test_bos_sdk_round_trips_a_document_and_deletes_it(emulator: RunningEmulator) -> None:
    emulator.admin.create_bucket("bos", "docs")
    client = bos_client(emulator)

    client.put_notification("docs", [BOS_RULE])
    got = client.get_notification("docs")
    assert [rule.id for rule in got.notifications] == ["ocr"]
    assert emulator.admin.document("bos", "docs") == {"notifications": [BOS_RULE]}
    client.delete_notification("docs")
    with pytest.raises(BceHttpClientError) as raised:
        client.get_notification("docs")  # the SDK's own test expects exactly this
    assert raised.value.last_error.status_code == 404
    assert raised.value.last_error.code == "NoSuchNotification"


def test_bos_sdk_with_a_wrong_secret_gets_signature_does_not_match(emulator: RunningEmulator) -> None:
    emulator.admin.create_bucket("bos", "docs")
    with pytest.raises(BceHttpClientError) as raised:
        bos_client(emulator, secret="not-the-secret").get_notification("docs")

    assert (raised.value.last_error.status_code, raised.value.last_error.code) == (403, "SignatureDoesNotMatch")


def test_bos_sdk_on_a_missing_bucket_gets_no_such_bucket(emulator: RunningEmulator) -> None:
    with pytest.raises(BceHttpClientError) as raised:
        bos_client(emulator).get_notification("nowhere")

    assert (raised.value.last_error.status_code, raised.value.last_error.code) == (404, "NoSuchBucket")


# --- S3 (boto3) ---------------------------------------------------------------------------------

S3_DOCUMENT = {
    "TopicConfigurations": [
        {
            "Id": "jpg-callback",
            "TopicArn": "arn:aws:sns:us-east-1:123456789012:uploads",
            "Events": ["s3:ObjectCreated:*"],
            "Filter": {"Key": {"FilterRules": [{"Name": "Prefix", "Value": "images/"}]}},
        }
    ],
    "QueueConfigurations": [
        {"Id": "removals", "QueueArn": "arn:aws:sqs:us-east-1:123456789012:q", "Events": ["s3:ObjectRemoved:*"]}
    ],
}


def _without_metadata(reply: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in reply.items() if key != "ResponseMetadata"}


@pytest.mark.parametrize("addressing", ["path", "virtual"])
def test_boto3_round_trips_a_document_and_clears_it_with_an_empty_put(
    emulator: RunningEmulator, localhost_subdomains: None, addressing: str
) -> None:
    emulator.admin.create_bucket("s3", "uploads")
    endpoint = emulator.url if addressing == "path" else f"http://s3.localhost:{emulator.port}"
    s3 = emulator.boto3_client(endpoint_url=endpoint, config=BotoConfig(s3={"addressing_style": addressing}))

    s3.put_bucket_notification_configuration(Bucket="uploads", NotificationConfiguration=S3_DOCUMENT)
    assert _without_metadata(s3.get_bucket_notification_configuration(Bucket="uploads")) == S3_DOCUMENT
    s3.put_bucket_notification_configuration(Bucket="uploads", NotificationConfiguration={})
    assert _without_metadata(s3.get_bucket_notification_configuration(Bucket="uploads")) == {}
    assert emulator.admin.requests("s3", "uploads") == {"DELETE": 0, "GET": 2, "PUT": 2}


def test_boto3_with_a_wrong_secret_gets_signature_does_not_match(emulator: RunningEmulator) -> None:
    emulator.admin.create_bucket("s3", "uploads")
    s3 = emulator.boto3_client(aws_secret_access_key="not-the-secret")

    with pytest.raises(ClientError) as raised:
        s3.get_bucket_notification_configuration(Bucket="uploads")
    error = raised.value.response
    assert (error["ResponseMetadata"]["HTTPStatusCode"], error["Error"]["Code"]) == (403, "SignatureDoesNotMatch")


def test_boto3_with_an_unknown_access_key_gets_invalid_access_key_id(emulator: RunningEmulator) -> None:
    emulator.admin.create_bucket("s3", "uploads")
    s3 = emulator.boto3_client(aws_access_key_id="nobody")

    with pytest.raises(ClientError) as raised:
        s3.get_bucket_notification_configuration(Bucket="uploads")
    assert raised.value.response["Error"]["Code"] == "InvalidAccessKeyId"


def test_boto3_on_a_missing_bucket_gets_no_such_bucket(emulator: RunningEmulator) -> None:
    with pytest.raises(ClientError) as raised:
        emulator.boto3_client().get_bucket_notification_configuration(Bucket="nowhere")

    error = raised.value.response
    assert (error["ResponseMetadata"]["HTTPStatusCode"], error["Error"]["Code"]) == (404, "NoSuchBucket")
    assert error["Error"]["BucketName"] == "nowhere"
