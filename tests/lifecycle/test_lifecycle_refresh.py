"""Issue 9.8: an apply interrupted while a write was in flight leaves a pending state refresh that
plan reports and apply records; `plan --refresh-only` / `apply --refresh-only` update the state from
live for owned rules without writing to any bucket."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from tests.support.cli_workspace import Workspace

KEPT = {"id": "kept", "event_types": ["create_object"], "cloudfunc": "tupu-porn", "notify_url": "https://k.example.com"}
NEW = {"id": "new", "event_types": ["delete_object"], "cloudfunc": "tupu-porn", "notify_url": "https://n.example.com"}
FOREIGN = {"id": "theirs", "event_types": ["delete_object"], "cloudfunc": "image", "cloudfunc_args": {"action": "a"}}


def _records(ws: Workspace) -> dict:
    return json.loads(ws.state.read_text())["buckets"]["qs/photos"]["rules"]


def _writes(ws: Workspace) -> int:
    counts = ws.emulator.admin.requests("qingstor", "photos")
    return counts.get("PUT", 0) + counts.get("DELETE", 0)


def test_an_apply_interrupted_after_its_write_leaves_a_refresh_plan_reports_and_apply_records(ws: Workspace) -> None:
    ws.create("qs", "photos")
    ws.write("buckets.yaml", buckets=[ws.bucket("qs", "photos", KEPT)])
    assert ws.cli("apply", "--auto-approve").code == 0
    ws.write("buckets.yaml", buckets=[ws.bucket("qs", "photos", KEPT, NEW)])
    assert ws.cli("apply", "--auto-approve").code == 0
    # The state as an interruption between the write and its record leaves it: the apply noted its
    # intent (saved before writing, in the journal or the state) and never recorded the rule.
    interrupted = json.loads(ws.state.read_text())
    bucket = interrupted["buckets"]["qs/photos"]
    bucket["writing"] = {"new": bucket["rules"].pop("new")}
    ws.state.write_text(json.dumps(interrupted))
    assert list(interrupted["buckets"]["qs/photos"]["writing"]) == ["new"] and "new" not in _records(ws)
    assert [r["id"] for r in ws.live("qs", "photos")["notifications"]] == ["kept", "new"]

    assert ws.cli("drift").code == 2  # live holds a rule the state does not record
    plan = ws.cli("plan", "--detailed-exitcode")
    assert plan.code == 2, plan.out + plan.err  # not "No changes", and not an adoption of a foreign rule
    assert 'state record of rule "new" will be brought up to date from live' in plan.out
    assert "1 state record to refresh" in plan.out
    document = json.loads(ws.cli("plan", "--format", "json").out)
    assert document["buckets"][0]["refresh"] == ["new"] and document["summary"]["refresh"] == 1

    ws.emulator.admin.reset_counters()
    assert ws.cli("apply", "--auto-approve").code == 0
    assert _writes(ws) == 0
    assert sorted(_records(ws)) == ["kept", "new"]
    assert "writing" not in json.loads(ws.state.read_text())["buckets"]["qs/photos"]
    assert ws.cli("plan", "--detailed-exitcode").code == 0
    assert ws.cli("drift").code == 0


def test_refresh_only_updates_owned_records_from_live_and_writes_no_bucket(ws: Workspace) -> None:
    ws.create("qs", "photos")
    ws.write("buckets.yaml", buckets=[ws.bucket("qs", "photos", KEPT, NEW, ownership="exclusive")])
    assert ws.cli("apply", "--auto-approve").code == 0
    # outside reconciler: "kept" changed, "new" deleted, a foreign rule added to the exclusive bucket
    changed = KEPT | {"notify_url": "https://elsewhere.example.com"}
    ws.put_live("qs", "photos", {"notifications": [changed, FOREIGN]})
    before_state = json.loads(ws.state.read_text())

    plan = ws.cli("plan", "--refresh-only", "--detailed-exitcode")
    assert plan.code == 2, plan.out + plan.err
    assert plan.out.startswith("This is a refresh-only plan")
    assert 'state record of rule "kept" will be brought up to date from live' in plan.out
    assert 'rule "new" will be removed from the state only' in plan.out
    assert "foreign rule \"theirs\" kept" in plan.out  # exclusive, but a refresh never removes anything
    document = json.loads(ws.cli("plan", "--refresh-only", "--format", "json").out)
    assert document["refresh_only"] is True
    assert [b["action"] for b in document["buckets"]] == ["no-op"]
    assert json.loads(ws.state.read_text()) == before_state  # plan writes nothing

    ws.emulator.admin.reset_counters()
    applied = ws.cli("apply", "--refresh-only", "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    assert _writes(ws) == 0
    assert _records(ws) == {"kept": _records(ws)["kept"]} and "elsewhere" in _records(ws)["kept"]["notify_url"]
    assert ws.cli("plan", "--refresh-only", "--detailed-exitcode").code == 0
    # the configuration still differs from live: an ordinary plan would restore it
    assert ws.cli("plan", "--detailed-exitcode").code == 2


def test_refresh_only_leaves_a_bucket_whose_identity_changed_until_confirmed(ws: Workspace) -> None:
    ws.create("qs", "photos")
    ws.write("buckets.yaml", buckets=[ws.bucket("qs", "photos", KEPT)])
    assert ws.cli("apply", "--auto-approve").code == 0
    path = ws.config / "buckets.yaml"
    document = json.loads(path.read_text())
    document["providers"]["qs"]["endpoint"] = ws.emulator.url.replace("127.0.0.1", "localhost")
    path.write_text(json.dumps(document))
    refused = ws.cli("apply", "--refresh-only", "--auto-approve")
    assert refused.code == 1 and "a refresh does not move ownership" in refused.out + refused.err
    ws.emulator.admin.reset_counters()
    assert ws.cli("apply", "--refresh-only", "--auto-approve", "--confirm-identity", "qs").code == 0
    assert _writes(ws) == 0  # confirmed or not, a refresh writes no bucket
    recorded = json.loads(ws.state.read_text())["buckets"]["qs/photos"]
    assert recorded["identity"]["endpoint"].startswith("http://localhost")


def test_a_saved_refresh_only_plan_applies_as_it_was_shown(ws: Workspace) -> None:
    ws.create("qs", "photos")
    ws.write("buckets.yaml", buckets=[ws.bucket("qs", "photos", KEPT)])
    assert ws.cli("apply", "--auto-approve").code == 0
    ws.put_live("qs", "photos", {"notifications": [KEPT | {"notify_url": "https://moved.example.com"}]})
    planfile = ws.root / "refresh.json"
    assert ws.cli("plan", "--refresh-only", "--out", str(planfile)).code == 0
    assert json.loads(planfile.read_text())["refresh_only"] is True
    assert ws.cli("apply", str(planfile), "--refresh-only").code == 1  # the saved plan already says so
    ws.emulator.admin.reset_counters()
    assert ws.cli("apply", str(planfile)).code == 0
    assert _writes(ws) == 0 and "moved" in _records(ws)["kept"]["notify_url"]


def test_plans_and_states_of_these_features_match_the_published_schemas(ws: Workspace) -> None:
    schemas = Path(__file__).parents[2] / "schemas"
    plan_schema = jsonschema.Draft7Validator(json.loads((schemas / "plan.schema.json").read_text()))
    state_schema = jsonschema.Draft7Validator(json.loads((schemas / "state.schema.json").read_text()))
    ws.create("qs", "photos")
    ws.write("buckets.yaml", buckets=[ws.bucket("qs", "photos", KEPT, NEW)])
    assert ws.cli("apply", "--auto-approve").code == 0
    ws.put_live("qs", "photos", {"notifications": [KEPT | {"notify_url": "https://moved.example.com"}]})
    state_schema.validate(json.loads(ws.state.read_text()))
    for argv in (("--refresh-only",), ()):
        plan_schema.validate(json.loads(ws.cli("plan", "--format", "json", *argv).out))
    path = ws.config / "buckets.yaml"
    document = json.loads(path.read_text())
    document["providers"]["qs"]["endpoint"] = ws.emulator.url.replace("127.0.0.1", "localhost")
    path.write_text(json.dumps(document))
    changed = json.loads(ws.cli("plan", "--format", "json", "--confirm-identity", "qs").out)
    assert changed["buckets"][0]["identity_confirmed"] is True
    plan_schema.validate(changed)
