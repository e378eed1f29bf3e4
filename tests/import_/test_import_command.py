"""`reconciler import` against the emulator: adoption into state, paste-ready YAML, and the round
trip (import, paste, plan shows no changes) for every dialect."""

from __future__ import annotations

import json
import sys

import pytest
from ruamel.yaml import YAML

from reconciler.cli import main
from reconciler.state.lock import StateLock

QS_RULES = [
    {"id": "porn", "event_types": ["create_object"], "object_filter": "*.jpg", "cloudfunc": "tupu-porn",
     "notify_url": "https://hooks.example.com/qs"},
    {"id": "thumbs", "event_types": ["create_object"], "cloudfunc": "image",
     "cloudfunc_args": {"action": "resize:w_200", "key_prefix": "thumb"}},
]  # fmt: skip
BOS_SECRET = "bos-live-signing-key-never-printed"
BOS_RULE = {
    "id": "ocr",
    "name": "OCR",
    "appId": "app-ocr",
    "status": "enabled",
    "resources": ["/scans/*.png"],
    "events": ["PutObject"],
    "encryption": {"key": BOS_SECRET},
    "apps": [{"id": "app-ocr", "eventUrl": "app:ImageOcr", "xVars": '{"saveUrl": "http://x/ocr"}'}],
}
JD_XML = (
    '<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
    "<TopicConfiguration><Id>second-wins-never</Id><Topic>NS:https://a.example.com/cb</Topic>"
    "<Event>s3:ObjectCreated:*</Event><Filter><S3Key><FilterRule><Name>Prefix</Name><Value>images/</Value>"
    "</FilterRule></S3Key></Filter></TopicConfiguration>"
    "<TopicConfiguration><Id>all</Id><Topic>NS:https://b.example.com/cb</Topic>"
    "<Event>s3:ObjectRemoved:*</Event></TopicConfiguration></NotificationConfiguration>"
)
MINIO_XML = (
    '<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
    "<QueueConfiguration><Id>hook</Id><Queue>arn:minio:sqs::1:webhook</Queue>"
    "<Event>s3:ObjectCreated:Put</Event></QueueConfiguration></NotificationConfiguration>"
)
AWS_XML = (
    '<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
    "<QueueConfiguration><Id>q</Id><Queue>arn:aws:sqs:us-east-1:123456789012:q</Queue>"
    "<Event>s3:ObjectCreated:*</Event><Filter><S3Key><FilterRule><Name>prefix</Name><Value>images/</Value>"
    "</FilterRule></S3Key></Filter></QueueConfiguration>"
    "<TopicConfiguration><Id>t</Id><Topic>arn:aws:sns:us-east-1:123456789012:t</Topic>"
    "<Event>s3:ObjectRemoved:*</Event></TopicConfiguration>"
    "<CloudFunctionConfiguration><Id>f</Id><CloudFunction>arn:aws:lambda:us-east-1:123456789012:function:f"
    "</CloudFunction><Event>s3:ObjectRestore:Completed</Event></CloudFunctionConfiguration>"
    "</NotificationConfiguration>"
)
# issue 10: documented statements the tool once refused, so `import` printed what `validate` rejected
QS_CUSTOM_ARGS = {"notifications": [
    {"id": "porn-args", "event_types": ["create_object"], "cloudfunc": "tupu-porn",
     "cloudfunc_args": {"threshold": 0.9, "labels": ["porn", "sexy"], "nested": {"k": 1}}},
]}  # fmt: skip
BOS_DOCUMENTED = {"notifications": [
    {"id": "modify", "appId": "app", "status": "enabled", "resources": ["modify-docs/in/*", "/x/*"],
     "events": ["ObjectModifyGroup:*", "ObjectCreateGroup:*"], "apps": [{"id": "app", "eventUrl": "https://h.example/b"}]},
    {"id": "keys-only", "name": "", "appId": "app", "status": "disabled"},
]}  # fmt: skip
JD_FUNCTION_XML = (
    '<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
    "<TopicConfiguration><Id>jpg</Id><Topic>NS:https://a.example.com/cb</Topic>"
    "<Event>s3:ObjectCreated:Put</Event><Filter><S3Key><FilterRule><Name>suffix</Name><Value>.jpg</Value>"
    "</FilterRule></S3Key></Filter></TopicConfiguration>"
    "<CloudFunctionConfiguration><Id>thumbs</Id><CloudFunction>function-thumbs-01</CloudFunction>"
    "<Event>s3:ObjectCreated:*</Event></CloudFunctionConfiguration></NotificationConfiguration>"
)
# RGW: a configuration without <Event> gets every Created and Removed event
CEPH_XML = (
    "<NotificationConfiguration><TopicConfiguration><Id>all</Id><Topic>arn:aws:sns:default::everything</Topic>"
    "</TopicConfiguration><TopicConfiguration><Id>puts</Id><Topic>arn:aws:sns:default::puts</Topic>"
    "<Event>s3:ObjectCreated:Put</Event><Filter><S3Key><FilterRule><Name>prefix</Name><Value>p/</Value>"
    "</FilterRule></S3Key></Filter></TopicConfiguration></NotificationConfiguration>"
)


def paste(ws, name, yaml_text):
    """The printed YAML, saved as its own configuration file, as the README tells users to."""
    (ws.config / name).write_text(yaml_text)


def state_rules(ws, address):
    return json.loads(ws.state.read_text())["buckets"][address]["rules"]


@pytest.mark.parametrize(
    ("provider", "bucket", "document", "ids"),
    [
        ("qs", "photos", {"notifications": QS_RULES}, ["porn", "thumbs"]),
        ("bj", "docs", {"notifications": [BOS_RULE]}, ["ocr"]),
        ("jd", "uploads", JD_XML, ["second-wins-never", "all"]),
        ("mn", "media", MINIO_XML, ["hook"]),
        ("aws", "events", AWS_XML, ["t", "q", "f"]),
        ("ce", "rgw", CEPH_XML, ["all", "puts"]),
        ("qs", "custom-args", QS_CUSTOM_ARGS, ["porn-args"]),
        ("bj", "modify-docs", BOS_DOCUMENTED, ["modify", "keys-only"]),
        ("jd", "functions", JD_FUNCTION_XML, ["jpg", "thumbs"]),
    ],
)
def test_import_round_trip_then_plan_shows_no_changes_and_drift_none(ws, monkeypatch, provider, bucket, document, ids):
    ws.create(provider, bucket, document)
    ws.write("providers.yaml", buckets=[])
    before = ws.live(provider, bucket)
    result = ws.cli("import", f"{provider}/{bucket}")
    assert result.code == 0, result.err
    assert f"Imported {len(ids)} rule" in result.err
    assert list(state_rules(ws, f"{provider}/{bucket}")) == ids
    printed = YAML(typ="safe").load(result.out)
    assert [r["id"] for r in printed["buckets"][0]["notifications"]] == ids
    assert ws.live(provider, bucket) == before  # nothing live was written
    assert BOS_SECRET not in result.out + result.err + ws.state.read_text()
    if provider == "bj" and bucket == "docs":
        assert printed["buckets"][0]["notifications"][0]["encryption"] == {"key": {"env": "BOS_OCR_ENCRYPTION_KEY"}}
        assert "# secret, never printed: set BOS_OCR_ENCRYPTION_KEY" in result.out
        monkeypatch.setenv("BOS_OCR_ENCRYPTION_KEY", BOS_SECRET)
    paste(ws, "imported.yaml", result.out)
    assert ws.cli("validate").code == 0
    plan = ws.cli("plan", "--detailed-exitcode")
    assert plan.code == 0, plan.out + plan.err
    assert ws.cli("drift").code == 0


def test_unknown_cloudfunc_args_are_printed_and_kept_byte_for_byte(ws):
    ws.create("qs", "custom-args", QS_CUSTOM_ARGS)
    ws.write("providers.yaml", buckets=[])
    before = ws.live("qs", "custom-args")
    printed = YAML(typ="safe").load(ws.cli("import", "qs/custom-args").out)
    assert (
        printed["buckets"][0]["notifications"][0]["cloudfunc_args"]
        == QS_CUSTOM_ARGS["notifications"][0]["cloudfunc_args"]
    )
    # a managed change elsewhere in the rule rewrites it: the custom parameters go back unchanged
    rule = {**QS_CUSTOM_ARGS["notifications"][0], "event_types": ["create_object", "delete_object"]}
    ws.write("imported.yaml", buckets=[ws.bucket("qs", "custom-args", rule)])
    (ws.config / "providers.yaml").unlink()
    assert ws.cli("apply", "--auto-approve").code == 0
    after = ws.live("qs", "custom-args")["notifications"][0]
    assert after["cloudfunc_args"] == before["notifications"][0]["cloudfunc_args"]
    assert ws.cli("plan", "--detailed-exitcode").code == 0


def test_import_of_a_dead_jdcloud_rule_says_why_validate_will_refuse_it(ws):
    """The one case where pasted output does not validate: the live document holds a rule that
    can never fire. Import prints it as it is, with the reason next to it."""
    dead = (
        '<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        "<TopicConfiguration><Id>first</Id><Topic>NS:https://a.example.com/cb</Topic>"
        "<Event>s3:ObjectCreated:*</Event></TopicConfiguration>"
        "<TopicConfiguration><Id>dead</Id><Topic>NS:https://b.example.com/cb</Topic>"
        "<Event>s3:ObjectCreated:Put</Event></TopicConfiguration></NotificationConfiguration>"
    )
    ws.create("jd", "dead", dead)
    ws.write("providers.yaml", buckets=[])
    result = ws.cli("import", "jd/dead")
    assert result.code == 0, result.err
    assert "# can never fire: 'first' above matches every event and key it matches first" in result.out
    paste(ws, "imported.yaml", result.out)
    refused = ws.cli("validate")
    assert refused.code == 1 and "rule 'dead' can never fire" in refused.err


def test_ceph_rule_without_events_is_imported_with_the_events_it_gets(ws):
    ws.create("ce", "rgw", CEPH_XML)
    ws.write("providers.yaml", buckets=[])
    printed = YAML(typ="safe").load(ws.cli("import", "ce/rgw/all").out)
    assert printed["buckets"][0]["notifications"][0]["events"] == ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]


def test_import_redirected_into_a_new_file_of_the_configuration(ws, monkeypatch):
    """`reconciler import qs/photos > notifications/photos.yaml`: the shell creates the empty file
    before the command reads the configuration."""
    ws.create("qs", "photos", {"notifications": QS_RULES})
    ws.write("providers.yaml", buckets=[])
    target = ws.config / "photos.yaml"
    with target.open("w") as output, monkeypatch.context() as patch:
        patch.setattr(sys, "stdout", output)
        code = main(["import", "qs/photos", "-c", str(ws.config), "--state", str(ws.state)])
    assert code == 0
    assert "- id: porn" in target.read_text()
    assert ws.cli("plan", "--detailed-exitcode").code == 0


def test_import_one_rule_leaves_the_others_foreign(ws):
    ws.create("qs", "photos", {"notifications": QS_RULES})
    ws.write("providers.yaml", buckets=[])
    result = ws.cli("import", "qs/photos/thumbs")
    assert result.code == 0, result.err
    assert list(state_rules(ws, "qs/photos")) == ["thumbs"]
    assert json.loads(ws.state.read_text())["buckets"]["qs/photos"]["foreign"] == ["porn"]
    paste(ws, "imported.yaml", result.out)
    plan = ws.cli("plan", "--detailed-exitcode")
    assert plan.code == 0, plan.out
    planned = json.loads(ws.cli("plan", "--format", "json").out)["buckets"][0]
    assert planned["foreign"][0]["id"] == "porn" and planned["foreign"][0]["disposition"] == "keep"
    # the other rule can be imported next; the printed entry names the file that declares the bucket
    second = ws.cli("import", "qs/photos/porn")
    assert second.code == 0, second.err
    assert "qs/photos is already declared in" in second.out and "imported.yaml line" in second.out


def test_importing_a_managed_rule_is_an_error(ws):
    ws.create("qs", "photos", {"notifications": QS_RULES})
    ws.write("providers.yaml", buckets=[])
    assert ws.cli("import", "qs/photos/porn").code == 0
    state_before = ws.state.read_bytes()
    again = ws.cli("import", "qs/photos/porn")
    assert again.code == 1
    assert "cannot import qs/photos/porn: it is already managed" in again.err
    assert ws.state.read_bytes() == state_before
    rest = ws.cli("import", "qs/photos")  # the bucket: only what is not managed yet
    assert rest.code == 0 and "Skipped: qs/photos/porn is already managed" in rest.err
    assert list(state_rules(ws, "qs/photos")) == ["porn", "thumbs"]
    nothing = ws.cli("import", "qs/photos")
    assert nothing.code == 1 and "nothing to import in qs/photos" in nothing.err


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("qs/photos/nope", "the live bucket has no rule 'nope' (it has: porn, thumbs)"),
        ("qs/missing-bucket", "qs/missing-bucket"),
        ("zz/photos", "provider 'zz' is not in the configuration"),
        ("photos", "is not an address"),
    ],
)
def test_unknown_rule_bucket_or_provider_is_one_clear_error(ws, address, message):
    ws.create("qs", "photos", {"notifications": QS_RULES})
    ws.write("providers.yaml", buckets=[])
    result = ws.cli("import", address)
    assert result.code == 1
    assert message in result.err and "Traceback" not in result.err
    assert not ws.state.exists()


def test_empty_bucket_has_nothing_to_import(ws):
    ws.create("qs", "photos")
    ws.write("providers.yaml", buckets=[])
    result = ws.cli("import", "qs/photos")
    assert result.code == 1 and "the live bucket has no notification rules" in result.err


def test_import_takes_the_state_lock(ws):
    ws.create("qs", "photos", {"notifications": QS_RULES})
    ws.write("providers.yaml", buckets=[])
    with StateLock(ws.state, "apply"):
        result = ws.cli("import", "qs/photos")
    assert result.code == 1 and "is locked by" in result.err
    assert not ws.state.exists()
