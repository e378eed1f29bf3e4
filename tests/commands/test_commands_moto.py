"""plan → apply → plan through the CLI against a real moto S3 server (SigV4 checked)."""

from __future__ import annotations

import json

import pytest

from tests.commands.conftest import Project
from tests.support.moto import MotoServer

pytestmark = pytest.mark.moto

FOREIGN = {
    "QueueConfigurations": [
        {"Id": "their-queue", "QueueArn": "arn:aws:sqs:us-east-1:123456789012:theirs", "Events": ["s3:ObjectRemoved:*"]}
    ]
}


def configure(project: Project, moto: MotoServer, bucket: str, rules: str, ownership: str = "shared") -> None:
    project.write_config(
        f"""
version: 1
providers:
  aws:
    type: s3
    flavor: aws
    region: us-east-1
    endpoint: {moto.endpoint}
    addressing: path
buckets:
  - provider: aws
    bucket: {bucket}
    ownership: {ownership}
    notifications:{rules}
"""
    )


RULE = """
      - id: uploads
        type: topic
        target: arn:aws:sns:us-east-1:123456789012:uploads
        events: ["s3:ObjectCreated:*"]
        filter: {prefix: incoming/, suffix: .jpg}"""
RULE_CHANGED = RULE.replace('["s3:ObjectCreated:*"]', '["s3:ObjectCreated:Put", "s3:ObjectCreated:Post"]')


@pytest.fixture
def aws(project: Project, moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> MotoServer:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", moto_server.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", moto_server.secret_access_key)
    return moto_server


def live(moto: MotoServer, bucket: str) -> dict:
    document = moto.s3().get_bucket_notification_configuration(Bucket=bucket)
    document.pop("ResponseMetadata")
    return document


def test_create_update_delete_keep_the_foreign_rule(project: Project, aws: MotoServer) -> None:
    bucket = aws.new_bucket()
    aws.s3().put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=FOREIGN)

    configure(project, aws, bucket, RULE)
    created = project.cli("apply", "--auto-approve")
    assert created.code == 0, created.output
    assert f"aws/{bucket}: applied (1 added, 0 changed, 0 deleted)" in created.out
    assert live(aws, bucket)["QueueConfigurations"] == FOREIGN["QueueConfigurations"]
    assert [t["Id"] for t in live(aws, bucket)["TopicConfigurations"]] == ["uploads"]
    assert project.cli("plan", "--detailed-exitcode").code == 0

    configure(project, aws, bucket, RULE_CHANGED)
    planned = project.cli("plan", "--detailed-exitcode")
    assert planned.code == 2 and "Plan: 0 to add, 1 to change, 0 to delete. 1 foreign rules kept." in planned.out
    assert project.cli("apply", "--auto-approve").code == 0
    assert set(live(aws, bucket)["TopicConfigurations"][0]["Events"]) == {
        "s3:ObjectCreated:Put",
        "s3:ObjectCreated:Post",
    }
    assert project.cli("plan", "--detailed-exitcode").code == 0

    configure(project, aws, bucket, " []")
    deleted = project.cli("apply", "--auto-approve")
    assert deleted.code == 0, deleted.output
    assert live(aws, bucket) == FOREIGN
    assert project.cli("plan", "--detailed-exitcode").code == 0
    assert project.state_document()["buckets"] == {}


def test_saved_plan_applies_once(project: Project, aws: MotoServer, tmp_path) -> None:
    bucket = aws.new_bucket()
    configure(project, aws, bucket, RULE)
    planfile = tmp_path / "changes.plan.json"

    planned = project.cli("plan", "--out", str(planfile))
    assert planned.code == 0 and f"reconciler apply {planfile}" in planned.out
    shown = project.cli("show", str(planfile), "--format", "json")
    assert json.loads(shown.out) == json.loads(planfile.read_text())

    applied = project.cli("apply", str(planfile))
    assert applied.code == 0, applied.output
    # a small state is saved whole: the note of the rule about to be created, then its record
    assert project.state_document()["serial"] == 2
    again = project.cli("apply", str(planfile))
    assert again.code == 1
    assert "Saved plan is stale" in again.err
    assert project.state_document()["serial"] == 2


def test_live_change_after_the_plan_refuses_every_write(project: Project, aws: MotoServer, tmp_path) -> None:
    bucket = aws.new_bucket()
    configure(project, aws, bucket, RULE)
    planfile = tmp_path / "p.json"
    assert project.cli("plan", "--out", str(planfile)).code == 0
    aws.s3().put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=FOREIGN)

    refused = project.cli("apply", str(planfile))

    assert refused.code == 1
    assert f"live configuration of bucket aws/{bucket} changed since the plan; run plan again" in refused.err
    assert "Traceback" not in refused.err
    assert live(aws, bucket) == FOREIGN
    assert not project.state.exists()


def test_exclusive_removes_foreign_rules(project: Project, aws: MotoServer) -> None:
    bucket = aws.new_bucket()
    aws.s3().put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=FOREIGN)
    configure(project, aws, bucket, RULE, ownership="exclusive")

    planned = project.cli("plan")
    assert '! foreign rule "their-queue" will be removed' in planned.out
    assert project.cli("apply", "--auto-approve").code == 0
    document = live(aws, bucket)
    assert "QueueConfigurations" not in document
    assert [t["Id"] for t in document["TopicConfigurations"]] == ["uploads"]
    assert project.cli("plan", "--detailed-exitcode").code == 0


def test_observe_never_writes(project: Project, aws: MotoServer) -> None:
    bucket = aws.new_bucket()
    aws.s3().put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=FOREIGN)
    configure(project, aws, bucket, RULE, ownership="observe")

    result = project.cli("apply", "--auto-approve")

    assert result.code == 0, result.output
    assert live(aws, bucket) == FOREIGN
    assert not project.state.exists()


def test_a_selector_is_resolved_from_motos_bucket_listing(project: Project, aws: MotoServer) -> None:
    s3 = aws.s3()
    for name in ("sel-moto-a", "sel-moto-b", "sel-moto-skip"):
        s3.create_bucket(Bucket=name)
    project.write_config(
        f"""
version: 1
providers:
  aws: {{type: s3, flavor: aws, region: us-east-1, endpoint: "{aws.endpoint}", addressing: path}}
buckets:
  - provider: aws
    select: {{include: ["sel-moto-*"], exclude: ["*-skip"]}}
    notifications:{RULE}
"""
    )
    planned = project.cli("plan", "--format", "json")
    assert planned.code == 0, planned.output
    (selection,) = json.loads(planned.out)["selections"]
    assert selection["buckets"] == ["sel-moto-a", "sel-moto-b"]
    assert project.cli("apply", "--auto-approve").code == 0
    assert [c["Id"] for c in live(aws, "sel-moto-a")["TopicConfigurations"]] == ["uploads"]
    assert "TopicConfigurations" not in live(aws, "sel-moto-skip")
