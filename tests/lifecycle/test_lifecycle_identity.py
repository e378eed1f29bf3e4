"""Issue 9.2: ownership belongs to the physical bucket. The state records each bucket's identity;
when the provider reaches another store, plan treats the recorded rules as not owned (nothing is
deleted) until `--confirm-identity`; states without identities get one on the next apply."""

from __future__ import annotations

import json

from tests.support.cli_workspace import Workspace

QS = {"event_types": ["create_object"], "cloudfunc": "tupu-porn"}
RULE = QS | {"id": "mine", "notify_url": "https://h.example.com/a"}
OTHER_TEAM = QS | {"id": "other", "event_types": ["delete_object"], "notify_url": "https://o.example.com"}


def _point_qs_at(ws: Workspace, endpoint: str, buckets: list[dict]) -> None:
    path = ws.write("buckets.yaml", buckets=buckets)
    document = json.loads(path.read_text())
    document["providers"]["qs"]["endpoint"] = endpoint
    path.write_text(json.dumps(document))


def _applied(ws: Workspace) -> None:
    ws.create("qs", "photos")
    ws.write("buckets.yaml", buckets=[ws.bucket("qs", "photos", RULE)])
    assert ws.cli("apply", "--auto-approve").code == 0


def test_apply_records_the_bucket_identity_and_never_a_secret(ws: Workspace) -> None:
    _applied(ws)
    identity = json.loads(ws.state.read_text())["buckets"]["qs/photos"]["identity"]
    assert identity == {
        "type": "qingstor",
        "endpoint": ws.emulator.url.rstrip("/").lower(),
        "location": "pek3b",
        "bucket": "photos",
        "account": ws.emulator.access_key,
    }
    assert ws.emulator.secret_key not in ws.state.read_text()


def test_another_endpoint_deletes_nothing_until_confirmed(ws: Workspace) -> None:
    _applied(ws)
    # the same emulator under another host name: to reconciler another store, until the user says otherwise
    other = ws.emulator.url.replace("127.0.0.1", "localhost")
    ws.put_live("qs", "photos", {"notifications": [RULE, OTHER_TEAM]})
    _point_qs_at(ws, other, [ws.bucket("qs", "photos")])  # the rule left the configuration

    plan = ws.cli("plan", "--detailed-exitcode")
    assert plan.code == 2, plan.err
    assert "identity changed since the last apply" in plan.out
    assert "--confirm-identity qs/photos" in plan.out
    assert "will be deleted" not in plan.out
    assert 'rule "mine" will be removed from the state only (recorded for another bucket identity' in plan.out
    document = json.loads(ws.cli("plan", "--format", "json").out)
    bucket = document["buckets"][0]
    assert bucket["identity_change"] and not bucket.get("identity_confirmed")
    assert [(c["rule_id"], c["actions"], c["reason"]) for c in bucket["changes"]] == [
        ("mine", ["forget"], "identity_changed")
    ]
    assert "**Identity** `qs/photos`" in ws.cli("plan", "--format", "markdown").out

    # confirmed: the same bucket, so the recorded rule is owned and leaving the configuration deletes it
    confirmed = ws.cli("plan", "--confirm-identity", "qs", "--format", "json")
    bucket = json.loads(confirmed.out)["buckets"][0]
    assert bucket["identity_confirmed"] is True
    assert [(c["rule_id"], c["actions"]) for c in bucket["changes"]] == [("mine", ["delete"])]

    # applied unconfirmed: nothing deleted live, the record forgotten, the new identity recorded
    assert ws.cli("apply", "--auto-approve").code == 0
    assert [r["id"] for r in ws.live("qs", "photos")["notifications"]] == ["mine", "other"]
    assert "qs/photos" not in json.loads(ws.state.read_text())["buckets"]


def test_a_confirmed_identity_is_recorded_and_the_next_plan_is_quiet(ws: Workspace) -> None:
    _applied(ws)
    other = ws.emulator.url.replace("127.0.0.1", "localhost")
    _point_qs_at(ws, other, [ws.bucket("qs", "photos", RULE)])
    assert ws.cli("plan", "--detailed-exitcode", "--confirm-identity", "qs/photos").code == 2
    assert ws.cli("apply", "--auto-approve", "--confirm-identity", "qs/photos").code == 0
    recorded = json.loads(ws.state.read_text())["buckets"]["qs/photos"]
    assert recorded["identity"]["endpoint"] == other.rstrip("/").lower()
    assert ws.cli("plan", "--detailed-exitcode").code == 0


def test_a_state_without_identity_keeps_working_and_gets_one_on_the_next_apply(ws: Workspace) -> None:
    _applied(ws)
    document = json.loads(ws.state.read_text())
    del document["buckets"]["qs/photos"]["identity"]
    ws.state.write_text(json.dumps(document))
    plan = ws.cli("plan", "--detailed-exitcode")
    assert plan.code == 0 and "identity" not in plan.out
    assert ws.cli("apply", "--auto-approve").code == 0
    assert json.loads(ws.state.read_text())["buckets"]["qs/photos"]["identity"]["bucket"] == "photos"


def test_confirm_identity_names_a_configured_provider(ws: Workspace) -> None:
    _applied(ws)
    result = ws.cli("plan", "--confirm-identity", "nope/photos")
    assert result.code == 1 and "--confirm-identity nope/photos: expected a configured provider" in result.err


def test_a_declared_rule_found_at_the_new_identity_is_an_adoption_that_names_the_identity_change(ws: Workspace) -> None:
    _applied(ws)
    _point_qs_at(ws, ws.emulator.url.replace("127.0.0.1", "localhost"), [ws.bucket("qs", "photos", RULE)])
    plan = ws.cli("plan")
    assert plan.code == 1
    assert "not managed by reconciler" in plan.out + plan.err
    assert "identity changed since the last apply" in plan.err and "--confirm-identity qs/photos" in plan.err
    assert ws.cli("plan", "--detailed-exitcode", "--confirm-identity", "qs/photos").code == 2  # records the identity


def test_import_records_the_identity_and_replaces_records_of_another_bucket(ws: Workspace) -> None:
    _applied(ws)  # owns "mine" at the first identity
    ws.put_live("qs", "photos", {"notifications": [OTHER_TEAM]})
    _point_qs_at(ws, ws.emulator.url.replace("127.0.0.1", "localhost"), [])
    imported = ws.cli("import", "qs/photos")
    assert imported.code == 0, imported.err
    assert "were for another bucket" in imported.err
    recorded = json.loads(ws.state.read_text())["buckets"]["qs/photos"]
    assert list(recorded["rules"]) == ["other"] and recorded["identity"]["endpoint"].startswith("http://localhost")


def test_drift_does_not_compare_a_state_made_for_another_bucket(ws: Workspace) -> None:
    _applied(ws)
    assert ws.cli("drift").code == 0
    _point_qs_at(ws, ws.emulator.url.replace("127.0.0.1", "localhost"), [ws.bucket("qs", "photos", RULE)])
    drift = ws.cli("drift", "--format", "json")
    bucket = json.loads(drift.out)["buckets"][0]
    assert bucket["status"] == "ERROR" and "identity changed since the last apply" in bucket["error"]
    assert drift.code == 1
