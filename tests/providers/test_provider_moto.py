"""The S3 client against a real moto server that verifies every SigV4 signature."""

from __future__ import annotations

import asyncio

import pytest

from reconciler.errors import ProviderError
from reconciler.model.common import EnvRef
from reconciler.model.config import Credentials, S3Provider
from reconciler.model.document import LiveDocument
from reconciler.model.s3 import S3Filter, S3Rule
from reconciler.providers.registry import client_for

pytestmark = pytest.mark.moto

TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:uploads"
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:thumbs"
MANAGED = S3Rule(
    id="managed-1",
    type="queue",
    target=QUEUE_ARN,
    events=("s3:ObjectCreated:Put",),
    filter=S3Filter(prefix="images/", suffix=".jpg"),
)
FOREIGN = {
    "TopicConfigurations": [
        {
            "Id": "their-topic",
            "TopicArn": TOPIC_ARN,
            "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:Delete"],
            "Filter": {
                "Key": {"FilterRules": [{"Name": "suffix", "Value": ".png"}, {"Name": "prefix", "Value": "raw/"}]}
            },
        }
    ],
    "LambdaFunctionConfigurations": [
        {
            "Id": "their-lambda",
            "LambdaFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:fn",
            "Events": ["s3:ObjectRemoved:*"],
        }
    ],
}


def _provider(moto, **extra):
    credentials = Credentials(access_key_id=EnvRef(env="MOTO_AK"), secret_access_key=EnvRef(env="MOTO_SK"))
    return S3Provider(name="moto", flavor="aws", endpoint=moto.endpoint, credentials=credentials, **extra)


def _client(moto, secret=None, **extra):
    environ = {"MOTO_AK": moto.access_key_id, "MOTO_SK": secret or moto.secret_access_key}
    return client_for(_provider(moto, **extra), environ=environ)


def run(coro):
    return asyncio.run(coro)


async def _session(moto, steps, **extra):
    results = []
    async with _client(moto, **extra) as client:
        for step in steps:
            results.append(await step(client))
    return results


def _boto_config(moto, bucket):
    config = moto.s3().get_bucket_notification_configuration(Bucket=bucket)
    config.pop("ResponseMetadata")
    return config


def test_read_of_a_bucket_never_configured_is_empty(moto):
    bucket = moto.new_bucket()
    (document,) = run(_session(moto, [lambda c: c.read(bucket)]))
    assert document == LiveDocument()


def test_write_then_read_back(moto):
    bucket = moto.new_bucket()
    _, document = run(_session(moto, [lambda c: c.write(bucket, [MANAGED], LiveDocument()), lambda c: c.read(bucket)]))
    assert document.ids == ["managed-1"]
    assert document.rules[0].rule == MANAGED
    config = _boto_config(moto, bucket)
    assert config["QueueConfigurations"][0]["Id"] == "managed-1"


def test_foreign_rules_put_by_boto3_survive_our_write_unchanged(moto):
    bucket = moto.new_bucket()
    moto.s3().put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=FOREIGN)
    before = _boto_config(moto, bucket)

    async def merge(client):
        live = await client.read(bucket)
        await client.write(bucket, [*live.rules, MANAGED], live)
        return await client.read(bucket)

    (after_ours,) = run(_session(moto, [merge]))
    after = _boto_config(moto, bucket)
    assert after["TopicConfigurations"] == before["TopicConfigurations"]
    assert after["LambdaFunctionConfigurations"] == before["LambdaFunctionConfigurations"]
    assert [q["Id"] for q in after["QueueConfigurations"]] == ["managed-1"]
    assert sorted(after_ours.ids) == ["managed-1", "their-lambda", "their-topic"]


def test_clear_empties_the_document_and_keeps_the_bucket(moto):
    bucket = moto.new_bucket()
    moto.s3().put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=FOREIGN)
    _, document = run(_session(moto, [lambda c: c.clear(bucket), lambda c: c.read(bucket)]))
    assert document == LiveDocument()
    moto.s3().head_bucket(Bucket=bucket)  # raises if clearing had deleted the bucket


def test_writing_nothing_clears_and_keeps_the_bucket(moto):
    bucket = moto.new_bucket()
    moto.s3().put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=FOREIGN)
    run(_session(moto, [lambda c: c.write(bucket, [], LiveDocument())]))
    assert _boto_config(moto, bucket) == {}
    moto.s3().head_bucket(Bucket=bucket)


def test_skip_destination_validation_header_is_accepted_signed(moto):
    bucket = moto.new_bucket()
    _, document = run(
        _session(
            moto,
            [lambda c: c.write(bucket, [MANAGED], LiveDocument()), lambda c: c.read(bucket)],
            skip_destination_validation=True,
        )
    )
    assert document.ids == ["managed-1"]


def test_a_wrong_secret_is_refused_with_403(moto):
    bucket = moto.new_bucket()
    with pytest.raises(ProviderError) as caught:
        run(_session(moto, [lambda c: c.read(bucket)], secret="not-the-secret"))
    assert caught.value.status == 403 and caught.value.code == "SignatureDoesNotMatch"
    assert caught.value.address == f"moto/{bucket}"


def test_a_missing_bucket_is_no_such_bucket(moto):
    with pytest.raises(ProviderError) as caught:
        run(_session(moto, [lambda c: c.read("no-such-bucket-here")]))
    assert caught.value.status == 404 and caught.value.code == "NoSuchBucket"


def test_an_invalid_target_is_the_servers_error(moto):
    bucket = moto.new_bucket()
    bad = MANAGED.model_copy(update={"target": "NS:http://127.0.0.1:1601/cb"})
    with pytest.raises(ProviderError) as caught:
        run(_session(moto, [lambda c: c.write(bucket, [bad], LiveDocument())]))
    assert caught.value.code == "InvalidArgument" and "ARN is not well formed" in str(caught.value)
