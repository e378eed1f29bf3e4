"""`reconciler apply` then `plan` through the CLI against a real Ceph RADOS Gateway.

The configuration uses topic ARNs in forms RGW rewrites and Ids in an order GET does not keep,
so an empty plan after apply proves those rewrites are normalised away end to end.
"""

from __future__ import annotations

import pytest

from tests.commands.conftest import Project
from tests.support.ceph import RadosGateway

pytestmark = pytest.mark.ceph

THUMBNAILS = """
      - id: zz-thumbnails
        type: topic
        target: arn:aws:sns:us-east-1::alpha
        events: ["s3:ObjectCreated:Put", "s3:ObjectCreated:Copy"]
        filter: {prefix: img/, suffix: .jpg}"""
AUDIT = """
      - id: audit
        type: topic
        target: arn:aws:sns:default:123456789012:beta
        events: ["s3:ObjectRemoved:*"]"""
FOREIGN = {"Id": "their-rule", "TopicArn": "arn:aws:sns:default::beta", "Events": ["s3:ObjectCreated:Post"]}


@pytest.fixture
def project(tmp_path, capsys: pytest.CaptureFixture[str]) -> Project:
    return Project(tmp_path, capsys)


@pytest.fixture
def bucket_with_foreign_rule(
    rados_gateway: RadosGateway, ceph_topics: dict[str, str], ceph_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> str:
    monkeypatch.setenv("RGW_TEST_ACCESS_KEY", rados_gateway.access_key)
    monkeypatch.setenv("RGW_TEST_SECRET_KEY", rados_gateway.secret_key)
    rados_gateway.boto3_client("s3").put_bucket_notification_configuration(
        Bucket=ceph_bucket, NotificationConfiguration={"TopicConfigurations": [FOREIGN]}
    )
    return ceph_bucket


def configure(project: Project, gateway: RadosGateway, bucket: str, rules: str) -> None:
    project.write_config(
        f"""
version: 1
providers:
  rgw:
    type: s3
    flavor: ceph
    endpoint: {gateway.endpoint}
    credentials:
      access_key_id: {{env: RGW_TEST_ACCESS_KEY}}
      secret_access_key: {{env: RGW_TEST_SECRET_KEY}}
buckets:
  - provider: rgw
    bucket: {bucket}
    notifications:{rules}
"""
    )


def live_rules(gateway: RadosGateway, bucket: str) -> list[dict]:
    document = gateway.boto3_client("s3").get_bucket_notification_configuration(Bucket=bucket)
    return document.get("TopicConfigurations", [])


def test_apply_then_plan_and_drift_find_nothing_to_do(
    project: Project, rados_gateway: RadosGateway, bucket_with_foreign_rule: str
) -> None:
    bucket = bucket_with_foreign_rule
    configure(project, rados_gateway, bucket, THUMBNAILS + AUDIT)

    applied = project.cli("apply", "--auto-approve")

    assert applied.code == 0, applied.output
    assert f"rgw/{bucket}: applied (2 added, 0 changed, 0 deleted)" in applied.out
    assert [rule["Id"] for rule in live_rules(rados_gateway, bucket)] == ["audit", "their-rule", "zz-thumbnails"]
    planned = project.cli("plan", "--detailed-exitcode")
    assert planned.code == 0, planned.output
    drift = project.cli("drift")
    assert drift.code == 0, drift.output


def test_changes_and_removals_converge_and_keep_the_foreign_rule(
    project: Project, rados_gateway: RadosGateway, bucket_with_foreign_rule: str
) -> None:
    bucket = bucket_with_foreign_rule
    configure(project, rados_gateway, bucket, THUMBNAILS + AUDIT)
    assert project.cli("apply", "--auto-approve").code == 0

    moved = THUMBNAILS.replace("arn:aws:sns:us-east-1::alpha", "arn:aws:sns:::beta")
    configure(project, rados_gateway, bucket, moved)
    planned = project.cli("plan", "--detailed-exitcode")
    assert planned.code == 2 and "Plan: 0 to add, 1 to change, 1 to delete. 1 foreign rules kept." in planned.out
    applied = project.cli("apply", "--auto-approve")
    assert applied.code == 0, applied.output
    assert {(rule["Id"], rule["TopicArn"]) for rule in live_rules(rados_gateway, bucket)} == {
        ("their-rule", FOREIGN["TopicArn"]),
        ("zz-thumbnails", "arn:aws:sns:default::beta"),
    }
    assert project.cli("plan", "--detailed-exitcode").code == 0

    configure(project, rados_gateway, bucket, " []")
    removed = project.cli("apply", "--auto-approve")
    assert removed.code == 0, removed.output
    assert live_rules(rados_gateway, bucket) == [FOREIGN]
    assert project.cli("plan", "--detailed-exitcode").code == 0
