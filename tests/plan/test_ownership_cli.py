"""Ownership through the CLI against the emulator (DESIGN §2, issue 9): adoption is explicit,
imported rules are kept until declared, changes outside reconciler are shown, a managed id held
twice live refuses the bucket, and release forgets without deleting."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from reconciler.state import load_state
from tests.support.cli_workspace import Workspace

PLAN_SCHEMA = json.loads(
    (__import__("pathlib").Path(__file__).parents[2] / "schemas" / "plan.schema.json").read_text()
)


def qs(rule_id: str, url: str = "https://hooks.example.com/a", **fields: Any) -> dict[str, Any]:
    return {"id": rule_id, "event_types": ["create_object"], "cloudfunc": "notifier", "notify_url": url, **fields}


def live_ids(ws: Workspace, bucket: str) -> list[str]:
    return [rule["id"] for rule in ws.live("qs", bucket).get("notifications", [])]


def plan_json(ws: Workspace, *argv: str) -> dict[str, Any]:
    result = ws.cli("plan", "--format", "json", *argv)
    document = json.loads(result.out)
    jsonschema.Draft7Validator(PLAN_SCHEMA).validate(document)
    return document


def changes(document: dict[str, Any], address: str) -> dict[str, dict[str, Any]]:
    bucket = next(b for b in document["buckets"] if b["address"] == address)
    return {c["rule_id"]: c for c in bucket["changes"]}


# --- 9.1 adoption is explicit --------------------------------------------------------------------


def test_declaring_a_foreign_rule_is_refused_for_its_bucket_and_others_go_on(ws: Workspace) -> None:
    ws.create("qs", "photos", {"notifications": [qs("legacy-audit")]})
    ws.create("qs", "other")
    ws.write("b.yaml", buckets=[ws.bucket("qs", "photos", qs("legacy-audit")), ws.bucket("qs", "other", qs("new"))])

    planned = ws.cli("plan", "--detailed-exitcode")

    assert planned.code == 1, planned.out + planned.err
    assert "qs/photos" in planned.err and "legacy-audit exists live but is not managed by reconciler" in planned.err
    assert "add `adopt: [legacy-audit]` to the bucket entry qs/photos" in planned.err
    assert "reconciler import qs/photos/legacy-audit" in planned.err
    assert '+ rule "new" will be created' in planned.out  # the other bucket is still planned
    assert plan_json(ws)["buckets"][0]["refused"] is True
    applied = ws.cli("apply", "--auto-approve")  # the refused bucket fails alone, the others are applied
    assert applied.code == 1 and "1 of 2 buckets could not be applied: qs/photos" in applied.err
    assert "add `adopt: [legacy-audit]`" in applied.out + applied.err
    assert live_ids(ws, "photos") == ["legacy-audit"] and live_ids(ws, "other") == ["new"]
    assert set(load_state(ws.state).buckets) == {"qs/other"}


def test_adopting_an_identical_rule_is_a_change_in_every_format(ws: Workspace) -> None:
    ws.create("qs", "photos", {"notifications": [qs("theirs", "https://x.example.org/"), qs("legacy-audit")]})
    entry = ws.bucket("qs", "photos", qs("legacy-audit"))
    ws.write("b.yaml", buckets=[{**entry, "adopt": ["legacy-audit"]}])

    text = ws.cli("plan", "--detailed-exitcode")
    assert text.code == 2, text.out + text.err
    assert '< rule "legacy-audit" will be adopted: a rule reconciler did not manage, taken over as declared' in text.out
    assert "1 foreign rule to adopt." in text.out
    document = plan_json(ws)
    assert changes(document, "qs/photos")["legacy-audit"]["actions"] == ["adopt"]
    assert document["summary"]["adopt"] == 1
    markdown = ws.cli("plan", "--format", "markdown").out
    assert "adopts-foreign" in markdown and '< rule "legacy-audit" will be adopted' in markdown

    ws.emulator.admin.reset_counters()
    applied = ws.cli("apply", "--auto-approve")
    assert applied.code == 0 and "adopted legacy-audit: now managed" in applied.out, applied.out
    assert ws.emulator.admin.requests("qingstor", "photos").get("PUT", 0) == 0  # only the state changes
    assert set(load_state(ws.state).owned("qs/photos")) == {"legacy-audit"}
    assert ws.cli("plan", "--detailed-exitcode").code == 0
    # now managed: dropping the declaration deletes it, and only it
    ws.write("b.yaml", buckets=[ws.bucket("qs", "photos")])
    assert ws.cli("apply", "--auto-approve").code == 0
    assert live_ids(ws, "photos") == ["theirs"]


def test_adopting_a_different_rule_is_adopt_and_update(ws: Workspace) -> None:
    theirs = qs("theirs", "https://x.example.org/")
    ws.create("qs", "photos", {"notifications": [qs("legacy-audit", "https://old.example.com/"), theirs]})
    entry = ws.bucket("qs", "photos", qs("legacy-audit", "https://new.example.com/"))
    ws.write("b.yaml", buckets=[{**entry, "adopt": ["legacy-audit"]}])

    text = ws.cli("plan", "--detailed-exitcode")
    assert text.code == 2
    assert '< rule "legacy-audit" will be adopted and updated in place' in text.out
    assert 'notify_url = "https://old.example.com/" -> "https://new.example.com/"' in text.out
    change = changes(plan_json(ws), "qs/photos")["legacy-audit"]
    assert change["actions"] == ["adopt", "update"] and change["fields"][0]["path"] == "notify_url"

    assert ws.cli("apply", "--auto-approve").code == 0
    # the adopted rule is rewritten in its place; the foreign rule beside it is kept as it was
    assert ws.live("qs", "photos")["notifications"] == [qs("legacy-audit", "https://new.example.com/"), theirs]
    assert set(load_state(ws.state).owned("qs/photos")) == {"legacy-audit"}
    assert ws.cli("plan", "--detailed-exitcode").code == 0


def test_adopt_naming_an_undeclared_rule_is_invalid(ws: Workspace) -> None:
    ws.write("b.yaml", buckets=[{**ws.bucket("qs", "photos", qs("a")), "adopt": ["b"]}])
    result = ws.cli("validate")
    assert result.code == 1 and "adopt names 'b', which this bucket does not declare" in result.out + result.err


# --- 9.4 imported but not declared -------------------------------------------------------------


def test_imported_rules_not_declared_are_kept_and_reported(ws: Workspace) -> None:
    ws.create("qs", "photos", {"notifications": [qs("a"), qs("b", "https://hooks.example.com/b")]})
    ws.write("b.yaml", buckets=[])
    assert ws.cli("import", "qs/photos").code == 0  # its YAML is not saved anywhere

    planned = ws.cli("plan", "--detailed-exitcode")
    assert planned.code == 0, planned.out
    assert '= rule "a" imported, not in configuration: add it or `reconciler state rm qs/photos/a`' in planned.out
    assert "to delete" in planned.out and "- rule" not in planned.out
    document = plan_json(ws)
    assert {c["reason"] for c in changes(document, "qs/photos").values()} == {"imported_not_declared"}
    assert ws.cli("apply", "--auto-approve").code == 0
    assert live_ids(ws, "photos") == ["a", "b"]

    # declared and applied: an ordinary managed rule, which leaving the configuration deletes
    ws.write("b.yaml", buckets=[ws.bucket("qs", "photos", qs("a"))])
    assert ws.cli("apply", "--auto-approve").code == 0
    assert load_state(ws.state).buckets["qs/photos"].imported == ("b",)
    ws.write("b.yaml", buckets=[ws.bucket("qs", "photos")])
    planned = ws.cli("plan")
    assert '- rule "a" will be deleted' in planned.out and '= rule "b" imported' in planned.out
    assert ws.cli("apply", "--auto-approve").code == 0
    assert live_ids(ws, "photos") == ["b"]


# --- 9.6 a managed id held twice live --------------------------------------------------------------


def test_a_managed_id_held_twice_live_refuses_the_bucket(ws: Workspace) -> None:
    ws.create("qs", "photos")
    ws.write("b.yaml", buckets=[ws.bucket("qs", "photos", qs("r"))])
    assert ws.cli("apply", "--auto-approve").code == 0
    twice = {"notifications": [qs("r"), qs("f", "https://x.example.org/"), qs("r", "https://other.example.org/")]}
    ws.put_live("qs", "photos", twice)

    planned = ws.cli("plan")

    assert planned.code == 1
    assert "more than one rule with the same managed id ('r' at positions 1, 3)" in planned.err
    assert ws.cli("apply", "--auto-approve").code == 1
    assert ws.live("qs", "photos") == twice


# --- 9.3 changes outside reconciler ------------------------------------------------------------


def test_changes_outside_reconciler_are_shown_in_every_format(ws: Workspace) -> None:
    ws.create("qs", "photos")
    ws.write("b.yaml", buckets=[ws.bucket("qs", "photos", qs("r"), qs("s"))])
    assert ws.cli("apply", "--auto-approve").code == 0
    ws.put_live("qs", "photos", {"notifications": [qs("r", "https://elsewhere.example.org/"), qs("s")]})

    text = ws.cli("plan").out
    assert "Note: managed rules changed outside reconciler since the last apply:" in text
    assert '~ notify_url = "https://hooks.example.com/a" -> "https://elsewhere.example.org/"' in text
    change = changes(plan_json(ws), "qs/photos")["r"]
    assert change["changed_outside"][0]["path"] == "notify_url" and change["actions"] == ["update"]
    markdown = ws.cli("plan", "--format", "markdown").out
    assert "**Changed outside reconciler** `qs/photos/r`: notify_url" in markdown and "changed-outside" in markdown

    # deleting it: a warning names the fields changed outside
    ws.write("b.yaml", buckets=[ws.bucket("qs", "photos", qs("s"))])
    text = ws.cli("plan").out
    assert "Warning: qs/photos [deletes_changed_outside]: rule 'r' will be deleted" in text
    assert "changed outside reconciler since the last apply (notify_url)" in text
    warning = plan_json(ws)["warnings"][0]
    assert (warning["code"], warning["fields"]) == ("deletes_changed_outside", ["notify_url"])


# --- 9.9 release without deleting ---------------------------------------------------------------


def _released_config(ws: Workspace, buckets: list[dict[str, Any]], released: list[str]) -> None:
    path = ws.write("b.yaml", buckets=buckets)
    document = json.loads(path.read_text())
    path.write_text(json.dumps({**document, "released": released}))


def test_released_rule_is_forgotten_and_kept_live(ws: Workspace) -> None:
    ws.create("qs", "photos")
    ws.write("b.yaml", buckets=[ws.bucket("qs", "photos", qs("a"), qs("b"))])
    assert ws.cli("apply", "--auto-approve").code == 0
    _released_config(ws, [ws.bucket("qs", "photos", qs("b"))], ["qs/photos/a"])

    planned = ws.cli("plan", "--detailed-exitcode")
    assert planned.code == 2
    assert '. rule "a" will be removed from the state only (released from management' in planned.out
    change = changes(plan_json(ws), "qs/photos")["a"]
    assert (change["actions"], change["reason"], change["live_index"]) == (["forget"], "released", 0)
    ws.emulator.admin.reset_counters()
    assert ws.cli("apply", "--auto-approve").code == 0
    assert ws.emulator.admin.requests("qingstor", "photos").get("PUT", 0) == 0
    assert live_ids(ws, "photos") == ["a", "b"] and set(load_state(ws.state).owned("qs/photos")) == {"b"}
    assert ws.cli("plan", "--detailed-exitcode").code == 0  # 'a' is now a foreign rule, kept


@pytest.mark.parametrize("how", ["ownership", "released"])
def test_released_bucket_forgets_every_owned_rule(ws: Workspace, how: str) -> None:
    ws.create("qs", "photos", {"notifications": [qs("theirs", "https://x.example.org/")]})
    ws.write("b.yaml", buckets=[ws.bucket("qs", "photos", qs("a"), qs("b"))])
    assert ws.cli("apply", "--auto-approve").code == 0
    if how == "ownership":
        ws.write("b.yaml", buckets=[ws.bucket("qs", "photos", ownership="release")])
    else:
        _released_config(ws, [], ["qs/photos"])

    planned = ws.cli("plan")
    assert planned.out.count("will be removed from the state only (released from management") == 2
    assert "- rule" not in planned.out
    assert ws.cli("apply", "--auto-approve").code == 0
    assert live_ids(ws, "photos") == ["theirs", "a", "b"]
    assert "qs/photos" not in load_state(ws.state).buckets


def test_releasing_a_declared_rule_is_invalid(ws: Workspace) -> None:
    _released_config(ws, [ws.bucket("qs", "photos", qs("a"))], ["qs/photos/a"])
    result = ws.cli("validate")
    assert result.code == 1 and "qs/photos/a is released but declared as a rule" in result.out + result.err


# --- drift follows the same policy ---------------------------------------------------------------


def test_drift_reports_no_pending_deletion_for_imported_or_released_rules(ws: Workspace) -> None:
    ws.create("qs", "photos", {"notifications": [qs("a"), qs("b", "https://hooks.example.com/b")]})
    ws.write("b.yaml", buckets=[])
    assert ws.cli("import", "qs/photos").code == 0
    result = ws.cli("drift", "--format", "json")
    assert result.code == 0, result.out  # imported and kept: nothing pending
    _released_config(ws, [], ["qs/photos/a"])
    assert ws.cli("drift").code == 0  # released, not yet applied: still no deletion pending


def test_drift_counts_a_declared_rule_as_managed_not_foreign(ws: Workspace) -> None:
    ws.create("qs", "photos", {"notifications": [qs("theirs", "https://x.example.org/"), qs("legacy-audit")]})
    entry = ws.bucket("qs", "photos", qs("legacy-audit"), ownership="exclusive")
    ws.write("b.yaml", buckets=[{**entry, "adopt": ["legacy-audit"]}])
    foreign = json.loads(ws.cli("drift", "--format", "json").out)["buckets"][0]["foreign"]
    assert [rule["id"] for rule in foreign] == ["theirs"]  # declared and not owned yet: not foreign
