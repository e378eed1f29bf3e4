"""Issue 9.9 (first half): `state mv` renames a provider, a bucket address or a rule id in the state
without deleting and re-creating anything; a renamed rule is renamed live in place by the next apply
(on JD Cloud, in its position); locked like every state write."""

from __future__ import annotations

import json

import pytest

from reconciler.cli import main
from reconciler.state.lock import StateLock
from tests.support.cli_workspace import Result, Workspace

QS_RULE = {"id": "r", "event_types": ["create_object"], "cloudfunc": "tupu-porn", "notify_url": "https://h.example.com"}


def _jd(rule_id: str, suffix: str) -> dict:
    return {
        "id": rule_id,
        "type": "topic",
        "target": f"NS:https://{rule_id}.example.com/cb",
        "events": ["s3:ObjectCreated:*"],
        "filter": {"suffix": suffix},
    }


def _state(ws: Workspace, *argv: str) -> Result:
    ws.capsys.readouterr()
    code = main(["state", argv[0], "--state", str(ws.state), *argv[1:]])
    captured = ws.capsys.readouterr()
    return Result(code, captured.out, captured.err)


def _live_ids(ws: Workspace) -> list[str]:
    live = ws.live("jd", "uploads")
    return [part.split("</Id>")[0] for part in live.split("<Id>")[1:]]


def test_renaming_a_jdcloud_rule_updates_it_in_place_keeping_its_position(ws: Workspace) -> None:
    ws.create("jd", "uploads")
    ws.write("buckets.yaml", buckets=[ws.bucket("jd", "uploads", _jd("jpg", ".jpg"), _jd("png", ".png"))])
    assert ws.cli("apply", "--auto-approve").code == 0
    # someone else's rule goes first, then ours: positions 2 and 3
    live = ws.live("jd", "uploads")
    head, tail = live.split("<TopicConfiguration>", 1)
    ws.put_live(
        "jd",
        "uploads",
        head + "<TopicConfiguration><Id>first</Id><Topic>NS:https://f.example.com/cb</Topic>"
        "<Event>s3:ObjectCreated:*</Event><Filter><S3Key><FilterRule><Name>suffix</Name><Value>.gif</Value>"
        "</FilterRule></S3Key></Filter></TopicConfiguration><TopicConfiguration>" + tail,
    )
    assert ws.cli("apply", "--auto-approve").code == 0  # records the foreign rule seen
    assert _live_ids(ws) == ["first", "jpg", "png"]

    moved = _state(ws, "mv", "jd/uploads/jpg", "jd/uploads/jpeg")
    assert moved.code == 0, moved.err
    assert "nothing changed on the live buckets" in moved.out
    assert "Declare the rule as 'jpeg' in the configuration" in moved.out
    recorded = json.loads(ws.state.read_text())["buckets"]["jd/uploads"]
    assert sorted(recorded["rules"]) == ["jpeg", "png"] and recorded["renamed"] == {"jpeg": "jpg"}
    assert _live_ids(ws) == ["first", "jpg", "png"]

    renamed = _jd("jpg", ".jpg") | {"id": "jpeg"}
    ws.write("buckets.yaml", buckets=[ws.bucket("jd", "uploads", renamed, _jd("png", ".png"))])
    plan = ws.cli("plan", "--format", "json")
    assert plan.code == 0, plan.err
    changes = {c["rule_id"]: (c["actions"], c["reason"]) for c in json.loads(plan.out)["buckets"][0]["changes"]}
    assert changes == {"jpeg": (["update"], "renamed"), "png": (["no-op"], None)}  # no delete, no create

    assert ws.cli("apply", "--auto-approve").code == 0
    assert _live_ids(ws) == ["first", "jpeg", "png"]  # renamed where it was
    assert "renamed" not in json.loads(ws.state.read_text())["buckets"]["jd/uploads"]
    assert ws.cli("plan", "--detailed-exitcode").code == 0


def test_renaming_a_rule_whose_id_holds_a_slash_says_how_to_declare_it(ws: Workspace) -> None:
    ws.create("jd", "uploads")
    ws.write("buckets.yaml", buckets=[ws.bucket("jd", "uploads", _jd("img/jpg", ".jpg"))])
    assert ws.cli("apply", "--auto-approve").code == 0

    moved = _state(ws, "mv", "jd/uploads/img/jpg", "jd/uploads/img/jpeg")
    assert moved.code == 0, moved.err
    assert "Declare the rule as 'img/jpeg' in the configuration" in moved.out
    assert json.loads(ws.state.read_text())["buckets"]["jd/uploads"]["renamed"] == {"img/jpeg": "img/jpg"}


def test_renaming_a_provider_keeps_ownership(ws: Workspace) -> None:
    ws.create("qs", "photos")
    rule = QS_RULE
    ws.write("buckets.yaml", buckets=[ws.bucket("qs", "photos", rule)])
    assert ws.cli("apply", "--auto-approve").code == 0
    assert _state(ws, "mv", "qs", "qingstor").code == 0
    assert list(json.loads(ws.state.read_text())["buckets"]) == ["qingstor/photos"]

    path = ws.write("buckets.yaml", buckets=[])
    document = json.loads(path.read_text())
    document["providers"]["qingstor"] = document["providers"].pop("qs")
    document["buckets"] = [{"provider": "qingstor", "bucket": "photos", "notifications": [rule]}]
    path.write_text(json.dumps(document))
    assert ws.cli("plan", "--detailed-exitcode").code == 0  # owned as before: nothing to adopt or create


@pytest.mark.parametrize(
    ("source", "destination", "message"),
    [
        ("qs/photos/r", "qs/other/r", "a rule keeps its bucket"),
        ("qs/photos/nope", "qs/photos/x", "qs/photos/nope is not in the state"),
        ("qs/photos", "qs/photos/x", "a bucket moves to a bucket, a rule to a rule"),
        ("qs/photos", "bj/docs", "bj/docs is already in the state"),
        ("zz", "yy", "provider 'zz' has no bucket in the state"),
    ],
)
def test_what_cannot_be_moved_is_refused_whole(ws: Workspace, source: str, destination: str, message: str) -> None:
    ws.create("qs", "photos")
    ws.create("bj", "docs")
    qs_rule = {"id": "r", "event_types": ["create_object"], "cloudfunc": "tupu-porn", "notify_url": "https://h.x.com"}
    bos_rule = {
        "id": "b", "name": "b", "appId": "a", "status": "enabled", "resources": ["/*"], "events": ["PutObject"],
        "apps": [{"id": "a", "eventUrl": "https://b.example.com"}],
    }  # fmt: skip
    ws.write("buckets.yaml", buckets=[ws.bucket("qs", "photos", qs_rule), ws.bucket("bj", "docs", bos_rule)])
    assert ws.cli("apply", "--auto-approve").code == 0
    before = ws.state.read_bytes()
    result = _state(ws, "mv", source, destination)
    assert result.code == 1 and message in result.err and "nothing was moved" in result.err
    assert ws.state.read_bytes() == before


def test_state_mv_takes_the_state_lock(ws: Workspace) -> None:
    ws.create("qs", "photos")
    rule = QS_RULE
    ws.write("buckets.yaml", buckets=[ws.bucket("qs", "photos", rule)])
    assert ws.cli("apply", "--auto-approve").code == 0
    with StateLock(ws.state, "apply"):
        result = _state(ws, "mv", "qs/photos/r", "qs/photos/s")
    assert result.code == 1 and "lock" in result.err.lower()
    assert "s" not in json.loads(ws.state.read_text())["buckets"]["qs/photos"]["rules"]
