"""Bucket selectors and lists through the CLI against the emulator, for every dialect and flavor:
resolved from the provider's own bucket listing at plan time, shown and saved in the plan, never
widened by apply, and planned exactly like the same buckets written out one by one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator

from reconciler.state import save_state
from reconciler.state.model import StateFile
from tests.commands.conftest import Project
from tests.commands.dialects import BOS_SECRET, BY_NAME, CASES, Case
from tests.support.emulator import RunningEmulator

IDS = [case.name for case in CASES]
PLAN_SCHEMA = json.loads((Path(__file__).parents[2] / "schemas" / "plan.schema.json").read_text())
SELECTOR = {"include": ["sel-*"], "exclude": ["sel-skip-*"]}


@pytest.fixture(autouse=True)
def bos_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOS_NOTIFY_KEY", BOS_SECRET)


def _buckets(emulator: RunningEmulator, case: Case, *names: str) -> None:
    for name in names:
        case.create(emulator, name)


def _selected(case: Case, selector: dict[str, Any] = SELECTOR, **extra: Any) -> dict[str, Any]:
    return {"provider": case.name, "select": selector, "notifications": [case.rule], **extra}


def _plan_document(project: Project) -> dict[str, Any]:
    result = project.cli("plan", "--format", "json")
    assert result.code == 0, result.output
    return json.loads(result.out)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_a_selector_plans_like_the_buckets_written_out(project: Project, emulated: RunningEmulator, case: Case) -> None:
    _buckets(emulated, case, "sel-a", "sel-b", "sel-skip-1", "other")
    save_state(project.state, StateFile.new("test"))  # one lineage: secret digests are keyed with it
    provider = {case.name: case.provider(emulated)}
    project.configure(provider, [case.bucket("sel-a", case.rule), case.bucket("sel-b", case.rule)])
    explicit = _plan_document(project)
    project.configure(provider, [_selected(case)])
    selected = _plan_document(project)

    Draft7Validator(PLAN_SCHEMA).validate(selected)  # format 1.1: `selections` is part of the contract
    assert selected["format_version"] == "1.1"
    (selection,) = selected["selections"]
    assert selection.pop("entry").startswith(f"{project.config}:")
    assert selection == {"provider": case.name, "selector": SELECTOR, "buckets": ["sel-a", "sel-b"]}
    assert explicit["selections"] == []
    for document in (explicit, selected):
        del document["timestamp"], document["selections"]
    assert selected == explicit
    text = project.cli("plan").out
    assert (
        f"{case.name} {{include: [sel-*], exclude: [sel-skip-*]}}" in text and "matched 2 buckets: sel-a, sel-b" in text
    )
    markdown = project.cli("plan", "--format", "markdown").out
    assert f"- Selector {case.name} {{include: [sel-*], exclude: [sel-skip-*]}}" in markdown


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_apply_of_a_saved_plan_never_widens_the_selection(
    project: Project, emulated: RunningEmulator, case: Case
) -> None:
    _buckets(emulated, case, "sel-a", "sel-b")
    project.configure({case.name: case.provider(emulated)}, [_selected(case)])
    saved = project.root / "plan.json"
    assert project.cli("plan", "--out", str(saved)).code == 0
    assert json.loads(saved.read_text())["selections"][0]["buckets"] == ["sel-a", "sel-b"]
    case.create(emulated, "sel-late")  # created after the plan: the saved plan does not know it

    result = project.cli("apply", str(saved))

    assert result.code == 0, result.output
    assert case.ids(emulated, "sel-a") == [case.rule["id"]] and case.ids(emulated, "sel-b") == [case.rule["id"]]
    assert case.ids(emulated, "sel-late") == [] and case.writes(emulated, "sel-late") == 0
    assert sorted(project.state_document()["buckets"]) == [case.address("sel-a"), case.address("sel-b")]
    again = project.cli("plan", "--detailed-exitcode")
    assert again.code == 2 and f"# {case.address('sel-late')}" in again.out and "1 to add" in again.out, again.output


def test_a_saved_plan_without_the_selector_now_configured_is_refused(
    project: Project, emulated: RunningEmulator
) -> None:
    case = BY_NAME["qs"]
    _buckets(emulated, case, "sel-a", "new-a")
    project.configure({case.name: case.provider(emulated)}, [_selected(case)])
    saved = project.root / "plan.json"
    assert project.cli("plan", "--out", str(saved)).code == 0
    project.configure({case.name: case.provider(emulated)}, [_selected(case, {"include": ["new-*"]})])

    result = project.cli("apply", str(saved))

    assert result.code == 1
    assert "the bucket selector of the entry at" in result.err and "is not in the saved plan" in result.err
    assert "run plan again" in result.err and case.ids(emulated, "new-a") == []


def test_a_failed_bucket_listing_stops_the_command(project: Project, emulated: RunningEmulator) -> None:
    case = BY_NAME["qs"]
    _buckets(emulated, case, "sel-a")
    project.configure({case.name: case.provider(emulated)}, [_selected(case)])
    emulated.admin.set_faults(error_rate=1, error_statuses=[403])

    for command in (("plan",), ("apply", "--auto-approve"), ("drift",)):
        result = project.cli(*command)
        assert result.code == 1, result.output
        assert "nothing was planned, because a bucket listing failed" in result.err
        assert f"the bucket selector of the entry at {project.config}:" in result.err
        assert "provider 'qs': " in result.err and "listing the buckets failed" in result.err
    emulated.admin.clear_faults()
    assert case.ids(emulated, "sel-a") == []


def test_a_listing_refused_for_bad_credentials_names_the_provider(
    project: Project, emulated: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = BY_NAME["aws"]
    project.configure({case.name: case.provider(emulated)}, [_selected(case)])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong")

    result = project.cli("plan")

    assert result.code == 1
    assert "provider 'aws': " in result.err and "SignatureDoesNotMatch" in result.err, result.err


def test_a_bucket_matched_by_two_entries_is_an_error_naming_both(project: Project, emulated: RunningEmulator) -> None:
    case = BY_NAME["qs"]
    _buckets(emulated, case, "sel-a", "sel-b")
    project.configure({case.name: case.provider(emulated)}, [_selected(case), case.bucket("sel-b", case.rule)])

    result = project.cli("plan")

    assert result.code == 1
    assert "bucket qs/sel-b is matched by two entries: this one and the one at" in result.err, result.err
    # reported at the selector, naming the explicit entry's place: both entries are named
    assert f"{project.config}:" in result.err and "buckets[0].select: " in result.err
    assert result.err.count(f"{project.config}:") == 2


def test_a_regex_selector_and_ownership_stated_on_the_entry(project: Project, emulated: RunningEmulator) -> None:
    case = BY_NAME["qs"]
    case.create(emulated, "app-12", foreign=True)
    _buckets(emulated, case, "app-x", "app-7")
    selector = {"include": [{"regex": "^app-[0-9]+$"}]}
    project.configure({case.name: case.provider(emulated)}, [_selected(case, selector)])

    shared = project.cli("plan")
    assert "matched 2 buckets: app-12, app-7" in shared.out and "(qingstor, shared)" in shared.out
    assert '= foreign rule "theirs"' in shared.out or "1 foreign rules kept" in shared.out, shared.out

    project.configure({case.name: case.provider(emulated)}, [_selected(case, selector, ownership="exclusive")])
    exclusive = project.cli("plan")
    assert '! foreign rule "theirs" will be removed' in exclusive.out, exclusive.output


def test_show_config_prints_the_buckets_a_selector_means(project: Project, emulated: RunningEmulator) -> None:
    case = BY_NAME["qs"]
    _buckets(emulated, case, "sel-a", "sel-b", "other")
    project.configure({case.name: case.provider(emulated)}, [_selected(case)])

    shown = project.cli("show-config", "-c", str(project.config))
    assert shown.code == 0, shown.output
    assert "matched 2 bucket(s)" in shown.out
    assert "bucket: sel-a" in shown.out and "bucket: sel-b" in shown.out and "bucket: other" not in shown.out
    expanded = project.root / "expanded.yaml"
    expanded.write_text(shown.out)
    assert project.cli("validate", "-c", str(expanded)).code == 0  # the output is a configuration itself

    document = json.loads(project.cli("show-config", "-c", str(project.config), "--format", "json").out)
    assert [o["address"] for o in document["origins"]] == ["qs/sel-a", "qs/sel-b"]
    assert all(o["selected"] for o in document["origins"])


def test_validate_stays_offline_and_checks_selector_syntax(project: Project, emulated: RunningEmulator) -> None:
    case = BY_NAME["qs"]
    _buckets(emulated, case, "sel-a")
    project.configure({case.name: case.provider(emulated)}, [_selected(case)])
    before = emulated.admin.requests("qingstor", "sel-a")

    valid = project.cli("validate", "-c", str(project.config))
    expanded = project.cli("validate", "--expand", "-c", str(project.config))
    offline = project.cli("show-config", "--offline", "-c", str(project.config))

    assert valid.code == 0 and "1 bucket selector" in valid.out, valid.output
    assert expanded.code == 0 and "resolved at plan time, not offline" in expanded.out
    assert offline.code == 0 and "bucket: sel-a" not in offline.out
    assert emulated.admin.requests("qingstor", "sel-a") == before
    project.configure({case.name: case.provider(emulated)}, [_selected(case, {"include": [{"regex": "(x"}]})])
    broken = project.cli("validate", "-c", str(project.config))
    assert broken.code == 1 and "is not an RE2 regular expression: missing ): (x" in broken.err, broken.output


def test_drift_and_import_resolve_selectors_like_plan(project: Project, emulated: RunningEmulator) -> None:
    case = BY_NAME["qs"]
    _buckets(emulated, case, "sel-a", "sel-b")
    project.configure({case.name: case.provider(emulated)}, [_selected(case)])
    assert project.cli("apply", "--auto-approve").code == 0
    assert project.cli("drift").code == 0
    case.create(emulated, "sel-new", foreign=True)  # matched now, not yet applied: drift
    drifted = project.cli("drift")
    assert drifted.code == 2 and "qs/sel-new" in drifted.output, drifted.output
    imported = project.cli("import", "qs/sel-new")  # the selector's entry declares the bucket now
    assert imported.code == 0, imported.output
    assert "qs/sel-new is declared in" in imported.out and "by an entry for 3 buckets" in imported.out


def test_validate_json_can_carry_the_expansion(project: Project) -> None:
    case = BY_NAME["qs"]
    entry = {"provider": case.name, "buckets": ["a1", "a2"], "notifications": [case.rule]}
    project.configure({case.name: {"type": "qingstor", "zone": "pek3b"}}, [entry, _selected(case)])

    result = project.cli("validate", "--format", "json", "--expand", "-c", str(project.config))

    assert result.code == 0, result.output
    document = json.loads(result.out)
    assert document["valid"] is True
    assert [b["bucket"] for b in document["expanded"]["configuration"]["buckets"]] == ["a1", "a2"]
    (selection,) = document["expanded"]["selections"]
    assert selection["resolved"] is False and selection["buckets"] == []
