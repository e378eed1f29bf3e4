"""Issue 9.7: plan checks the whole document apply would write (declared + kept foreign rules), so
the plan fails for a bucket exactly when the provider would refuse the apply."""

from __future__ import annotations

import json

from tests.support.cli_workspace import Workspace

QS_RULE = {"id": "ok", "event_types": ["create_object"], "cloudfunc": "tupu-porn", "notify_url": "https://h.example"}
NS = "http://s3.amazonaws.com/doc/2006-03-01/"
FOREIGN_TOPIC = (
    f'<NotificationConfiguration xmlns="{NS}"><TopicConfiguration><Id>legacy-audit</Id>'
    "<Topic>arn:aws:sns:us-east-1:123456789012:audit</Topic><Event>s3:ObjectCreated:*</Event>"
    "<Filter><S3Key><FilterRule><Name>prefix</Name><Value>images/</Value></FilterRule></S3Key></Filter>"
    "</TopicConfiguration></NotificationConfiguration>"
)


def _rule(prefix: str) -> dict:
    return {
        "id": "thumbs",
        "type": "topic",
        "target": "arn:aws:sns:us-east-1:123456789012:thumbs",
        "events": ["s3:ObjectCreated:Put"],
        "filter": {"prefix": prefix},
    }


def test_a_declared_rule_overlapping_a_kept_foreign_rule_fails_the_plan_not_the_apply(ws: Workspace) -> None:
    ws.create("aws", "media", FOREIGN_TOPIC)
    ws.create("qs", "photos")
    ws.write(
        "buckets.yaml",
        buckets=[
            ws.bucket("aws", "media", _rule("images/thumbs/")),
            ws.bucket("qs", "photos", QS_RULE),
        ],
    )
    assert ws.cli("validate").code == 0  # the declared rules alone are fine

    plan = ws.cli("plan", "--format", "json")
    assert plan.code == 1
    document = json.loads(plan.out)
    media = next(b for b in document["buckets"] if b["address"] == "aws/media")
    assert "rule 'thumbs' overlaps rule 'legacy-audit'" in media["error"]
    assert "would be refused by the provider" in media["error"]
    assert next(b for b in document["buckets"] if b["address"] == "qs/photos")["error"] is None
    assert "aws/media" in plan.err and "overlaps rule 'legacy-audit'" in plan.err

    assert media["refused"] is True
    ws.emulator.admin.reset_counters()
    applied = ws.cli("apply", "--auto-approve")
    assert applied.code == 1 and "aws/media" in applied.err
    # never sent to the provider (the emulator refusing the write would also leave "thumbs" out of live)
    assert ws.emulator.admin.requests("s3", "media").get("PUT", 0) == 0
    assert "thumbs" not in ws.live("aws", "media") and "legacy-audit" in ws.live("aws", "media")
    assert [r["id"] for r in ws.live("qs", "photos")["notifications"]] == ["ok"]  # the other bucket went on


def test_a_declared_rule_that_does_not_overlap_plans_and_applies(ws: Workspace) -> None:
    ws.create("aws", "media", FOREIGN_TOPIC)
    ws.write("buckets.yaml", buckets=[ws.bucket("aws", "media", _rule("videos/"))])
    assert ws.cli("plan", "--detailed-exitcode").code == 2
    ws.emulator.admin.reset_counters()
    assert ws.cli("apply", "--auto-approve").code == 0
    assert ws.emulator.admin.requests("s3", "media").get("PUT", 0) == 1
    live = ws.live("aws", "media")
    assert "thumbs" in live and "legacy-audit" in live

