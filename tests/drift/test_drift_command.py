"""`reconciler drift` against the emulator: every class of drift, exit codes, formats, ignore
files, and never a byte written to the state directory."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from prometheus_client.parser import text_string_to_metric_families

from reconciler.state.lock import StateLock

SCHEMA = json.loads((Path(__file__).parents[2] / "schemas" / "drift.schema.json").read_text())
BOS_KEY = "bos-signing-key-for-drift-tests"
QS_A = {
    "id": "a",
    "event_types": ["create_object"],
    "cloudfunc": "notifier",
    "notify_url": "https://hooks.example.com/a",
}
QS_B = {
    "id": "b",
    "event_types": ["delete_object"],
    "cloudfunc": "notifier",
    "notify_url": "https://hooks.example.com/b",
}
QS_FOREIGN = {
    "id": "theirs",
    "event_types": ["create_object"],
    "cloudfunc": "notifier",
    "notify_url": "https://x.example.org/",
}
OCR = {
    "id": "ocr",
    "appId": "app-ocr",
    "status": "enabled",
    "resources": ["/scans/*.png"],
    "events": ["PutObject"],
    "encryption": {"key": {"env": "BOS_NOTIFY_KEY"}},
    "apps": [{"id": "app-ocr", "eventUrl": "app:ImageOcr"}],
}
JPG = {
    "id": "jpg",
    "target": "NS:https://a.example.com/cb",
    "events": ["s3:ObjectCreated:*"],
    "filter": {"suffix": ".jpg"},
}
PNG = {"id": "png", "target": "NS:https://a.example.com/png", "events": ["s3:ObjectCreated:*"]}


@pytest.fixture
def applied(ws, monkeypatch):
    """Three buckets (qingstor with a foreign rule, bos with a secret, jdcloud ordered), applied."""
    monkeypatch.setenv("BOS_NOTIFY_KEY", BOS_KEY)
    ws.create("qs", "photos", {"notifications": [QS_FOREIGN]})
    ws.create("bj", "docs")
    ws.create("jd", "uploads")
    configure(ws)
    result = ws.cli("apply", "--auto-approve")
    assert result.code == 0, result.err
    return ws


def configure(ws, *, photos=(QS_A, QS_B), ownership="shared"):
    ws.write(
        "buckets.yaml",
        buckets=[
            ws.bucket("qs", "photos", *photos, ownership=ownership),
            ws.bucket("bj", "docs", OCR),
            ws.bucket("jd", "uploads", JPG, PNG),
        ],
    )


def drift(ws, *argv):
    """Run drift and check it left the state directory exactly as it was, lock file included."""
    before = ws.files()
    result = ws.cli("drift", *argv)
    assert ws.files() == before, "drift wrote to the state directory"
    return result


def as_json(result) -> dict:
    document = json.loads(result.out)
    jsonschema.Draft7Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(document)
    return document


def bucket(document, address):
    return next(b for b in document["buckets"] if b["address"] == address)


def test_in_sync_after_apply_exits_0(applied):
    result = drift(applied)
    assert result.code == 0, result.out + result.err
    assert "No drift" in result.out
    document = as_json(drift(applied, "--format", "json"))
    assert document["drifted"] is False and document["summary"]["total_managed"] == 5
    assert bucket(document, "qs/photos")["foreign"][0]["status"] == "KNOWN"


def test_managed_rule_changed_outside_exits_2_with_field_differences(applied):
    live = applied.live("qs", "photos")
    for rule in live["notifications"]:
        if rule["id"] == "a":
            rule["notify_url"] = "https://hooks.example.com/changed"
    applied.put_live("qs", "photos", live)
    result = drift(applied, "--format", "json")
    assert result.code == 2
    managed = {r["id"]: r for r in bucket(as_json(result), "qs/photos")["managed"]}
    assert managed["a"]["status"] == "MODIFIED"
    assert managed["a"]["differences"] == [
        {
            "path": "notify_url",
            "expected": "https://hooks.example.com/a",
            "actual": "https://hooks.example.com/changed",
            "type": "NOT_EQUAL",
            "sensitive": False,
            "ignored": None,
        }
    ]


def test_managed_rule_deleted_outside_exits_2(applied):
    live = applied.live("qs", "photos")
    live["notifications"] = [r for r in live["notifications"] if r["id"] != "b"]
    applied.put_live("qs", "photos", live)
    result = drift(applied)
    assert result.code == 2
    assert "- b  DELETED" in result.out


def test_secret_changed_outside_is_drift_and_never_shown(applied):
    live = applied.live("bj", "docs")
    live["notifications"][0]["encryption"]["key"] = "rotated-by-hand-secret"
    applied.put_live("bj", "docs", live)
    for fmt in ("text", "json", "markdown", "prometheus"):
        result = drift(applied, "--format", fmt)
        assert result.code == 2
        assert BOS_KEY not in result.out + result.err and "rotated-by-hand-secret" not in result.out + result.err
    differences = bucket(as_json(drift(applied, "--format", "json")), "bj/docs")["managed"][0]["differences"]
    assert differences[0]["path"] == "encryption.key" and differences[0]["sensitive"] is True


def test_reorder_on_jdcloud_is_drift(applied):
    xml = applied.live("jd", "uploads")
    start, middle = (
        xml.index("<TopicConfiguration>"),
        xml.index("<TopicConfiguration>", xml.index("<TopicConfiguration>") + 1),
    )
    end = xml.index("</NotificationConfiguration>")
    applied.put_live("jd", "uploads", xml[:start] + xml[middle:end] + xml[start:middle] + xml[end:])
    result = drift(applied, "--format", "json")
    assert result.code == 2
    paths = {d["path"] for r in bucket(as_json(result), "jd/uploads")["managed"] for d in r["differences"]}
    assert paths == {"(position)"}


@pytest.mark.parametrize(("ownership", "code"), [("shared", 0), ("exclusive", 2)])
def test_foreign_rule_appearing_is_drift_only_on_exclusive_buckets(ws, ownership, code, monkeypatch):
    monkeypatch.setenv("BOS_NOTIFY_KEY", BOS_KEY)
    ws.create("qs", "photos")
    ws.create("bj", "docs")
    ws.create("jd", "uploads")
    configure(ws, ownership=ownership)
    assert ws.cli("apply", "--auto-approve").code == 0
    live = ws.live("qs", "photos")
    live["notifications"].append(QS_FOREIGN)
    ws.put_live("qs", "photos", live)
    result = drift(ws)
    assert result.code == code, result.out
    assert "theirs  new since the last apply" in result.out


def test_configuration_not_yet_applied_is_its_own_section_and_exits_2(applied):
    changed_b = {**QS_B, "event_types": ["delete_object", "create_object"]}
    new = {**QS_A, "id": "c"}
    configure(applied, photos=(changed_b, new))
    result = drift(applied)
    assert result.code == 2
    section = result.out[result.out.index("Configuration not yet applied") :]
    assert "+ c  create" in section and "~ b  update" in section and "- a  delete" in section
    assert "Changed outside reconciler" not in result.out


def test_a_bucket_that_cannot_be_read_exits_1_but_reports_the_others(applied):
    applied.emulator.admin.delete_bucket("s3", "uploads")
    result = drift(applied, "--format", "prometheus")
    assert result.code == 1
    families = {f.name: f for f in text_string_to_metric_families(result.out)}
    errors = {s.labels["address"]: s.value for s in families["reconciler_drift_bucket_error"].samples}
    assert errors["jd/uploads"] == 1 and errors["qs/photos"] == 0
    assert "reconciler_drift_last_success_timestamp_seconds" not in families
    text = drift(applied)
    assert text.code == 1 and "jd/uploads  ERROR" in text.out and "could not be checked" in text.out
    assert text.err.startswith("Error: 1 of 3 buckets could not be checked for drift:\n  jd/uploads: ")
    assert "NoSuchBucket" in text.err and "Traceback" not in text.err


def test_prometheus_output_for_a_textfile_collector(applied):
    result = drift(applied, "--format", "prometheus")
    assert result.code == 0
    families = {f.name: f for f in text_string_to_metric_families(result.out)}
    assert families["reconciler_drift_detected"].samples[0].value == 0
    assert families["reconciler_drift_last_success_timestamp_seconds"].samples[0].value > 0
    rules = {(s.labels["address"], s.labels["kind"]) for s in families["reconciler_drift_rules"].samples}
    assert ("jd/uploads", "modified") in rules


def test_markdown_for_an_issue(applied):
    applied.put_live("qs", "photos", {"notifications": [QS_FOREIGN]})
    result = drift(applied, "--format", "markdown")
    assert result.code == 2
    assert result.out.startswith("<!-- reconciler:drift -->\n### ⚠️ Drift: 2 deleted outside reconciler.")


def test_targets_limit_the_check(applied):
    applied.put_live("qs", "photos", {"notifications": [QS_FOREIGN]})
    assert drift(applied, "--target", "bj/docs", "--target", "jd/uploads/jpg").code == 0
    assert drift(applied, "--target", "qs/photos/a").code == 2
    missing = drift(applied, "--target", "qs/nope")
    assert missing.code == 1 and "target qs/nope matches no bucket" in missing.err


IGNORE = """\
version: 1
ignore:
  - address: qs/photos/a:notify_url
    reason: the hooks team rotates this URL by hand until TICKET-7
    expires: {expires}
"""


def changed_notify_url(ws):
    live = ws.live("qs", "photos")
    for rule in live["notifications"]:
        if rule["id"] == "a":
            rule["notify_url"] = "https://hooks.example.com/rotated"
    ws.put_live("qs", "photos", live)


def test_ignore_file_next_to_the_configuration_hides_accepted_differences(applied):
    changed_notify_url(applied)
    (applied.root / ".driftignore.yaml").write_text(IGNORE.format(expires="2999-12-31"))
    result = drift(applied)
    assert result.code == 0, result.out
    assert "(ignored until 2999-12-31: the hooks team rotates this URL by hand until TICKET-7)" in result.out
    assert as_json(drift(applied, "--format", "json"))["summary"]["total_ignored"] == 1


def test_an_expired_ignore_entry_stops_hiding_and_is_reported(applied):
    changed_notify_url(applied)
    (applied.root / ".driftignore.yaml").write_text(IGNORE.format(expires="2001-01-01"))
    result = drift(applied)
    assert result.code == 2
    assert "Expired ignore entries" in result.out and "qs/photos/a:notify_url  expired 2001-01-01" in result.out


def test_explicit_ignore_file_and_a_malformed_one(applied, tmp_path):
    changed_notify_url(applied)
    explicit = tmp_path / "accepted.yaml"
    explicit.write_text(IGNORE.format(expires="2999-12-31"))
    assert drift(applied, "--ignore-file", str(explicit)).code == 0
    explicit.write_text("ignore:\n  - address: qs/photos/a\n    expires: 2999-12-31\n")
    result = drift(applied, "--ignore-file", str(explicit))
    assert result.code == 1
    assert f"{explicit}:2:5: ignore[0].reason: required field is missing" in result.err
    assert "Traceback" not in result.err and result.out == ""


def test_drift_runs_while_another_command_holds_the_lock(applied):
    with StateLock(applied.state, "apply"):
        assert drift(applied).code == 0


def test_a_missing_state_directory_is_a_new_state_and_is_not_created(ws):
    ws.write("buckets.yaml", buckets=[])
    result = ws.cli("drift", "--state", str(ws.root / "nowhere" / "state.json"))
    assert result.code == 0 and not (ws.root / "nowhere").exists()
