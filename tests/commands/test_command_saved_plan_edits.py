"""A saved plan edited by hand: one clear error, nothing written, and never a lost foreign rule."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.commands.conftest import Project
from tests.commands.dialects import BOS_SECRET, BY_NAME, Case
from tests.support.emulator import RunningEmulator

Edit = Callable[[dict[str, Any]], None]


@pytest.fixture(autouse=True)
def bos_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOS_NOTIFY_KEY", BOS_SECRET)


def saved_plan(project: Project, emulator: RunningEmulator, case: Case, tmp_path: Path) -> tuple[Path, dict]:
    """A bucket holding the foreign rule `theirs`, a plan creating the case's rule, saved."""
    case.create(emulator, "shared-bkt", foreign=True)
    project.configure({case.name: case.provider(emulator)}, [case.bucket("shared-bkt", case.rule)])
    path = tmp_path / "plan.json"
    assert project.cli("plan", "--out", str(path)).code == 0
    return path, json.loads(path.read_text())


def bucket_of(plan: dict[str, Any]) -> dict[str, Any]:
    return plan["buckets"][0]


def created(plan: dict[str, Any]) -> dict[str, Any]:
    return bucket_of(plan)["changes"][0]


def drop_kept_foreign_slot(plan: dict[str, Any]) -> None:
    bucket = bucket_of(plan)
    bucket["layout"] = [slot for slot in bucket["layout"] if "live_index" not in slot]
    bucket["rule_count_after"] = len(bucket["layout"])


def repeat_foreign_slot(plan: dict[str, Any]) -> None:
    bucket = bucket_of(plan)
    bucket["layout"].append({"live_index": 0})
    bucket["rule_count_after"] = len(bucket["layout"])


def mark_foreign_removed(plan: dict[str, Any]) -> None:
    drop_kept_foreign_slot(plan)
    bucket_of(plan)["foreign"][0]["disposition"] = "remove"


def foreign_as_managed_delete(plan: dict[str, Any]) -> None:
    """The foreign rule turned into a managed deletion: consistent in itself, but not ours."""
    drop_kept_foreign_slot(plan)
    bucket = bucket_of(plan)
    bucket["foreign"] = []
    bucket["changes"].append(
        {
            "address": f"{bucket['address']}/theirs",
            "rule_id": "theirs",
            "actions": ["delete"],
            "before": {"id": "theirs"},
            "after": None,
        }
    )


def repeat_change(plan: dict[str, Any]) -> None:
    bucket_of(plan)["changes"].append(dict(created(plan)))


def repeat_bucket(plan: dict[str, Any]) -> None:
    plan["buckets"].append(dict(bucket_of(plan)))


def after_of_another_rule(plan: dict[str, Any]) -> None:
    created(plan)["after"]["id"] = "someone-elses"


def after_with_unknown_field(plan: dict[str, Any]) -> None:
    created(plan)["after"]["surprise"] = 1


def after_without_id(plan: dict[str, Any]) -> None:
    del created(plan)["after"]["id"]


def after_of_wrong_type(plan: dict[str, Any]) -> None:
    after = created(plan)["after"]
    after["event_types" if "event_types" in after else "events"] = 5


def after_edited(plan: dict[str, Any]) -> None:
    after = created(plan)["after"]
    key = next(k for k in ("notify_url", "target") if k in after)
    after[key] = after[key].replace("example.com", "example.net")


EDITS: dict[str, tuple[Edit, str]] = {
    "drop-kept-foreign": (drop_kept_foreign_slot, "foreign rule 'theirs'"),
    "repeat-foreign": (repeat_foreign_slot, "live_index 0 more than once"),
    "foreign-removed-in-shared": (mark_foreign_removed, "only an exclusive bucket removes foreign rules"),
    "foreign-as-managed-delete": (foreign_as_managed_delete, "would remove live rule 'theirs'"),
    "repeat-change": (repeat_change, "more than one change writes rule"),
    "repeat-bucket": (repeat_bucket, "more than once"),
    "after-of-another-rule": (after_of_another_rule, "'after' is the rule 'someone-elses'"),
    "after-unknown-field": (after_with_unknown_field, "surprise"),
    "after-without-id": (after_without_id, "'after' is the rule None"),
    "after-wrong-type": (after_of_wrong_type, "is not a valid"),
    # the configuration's digest is the plan's: the plan file, not the configuration, changed
    "after-edited": (
        after_edited,
        "Saved plan is stale: {address}/{rule_id}: the rule in the saved plan is not what the configuration "
        "declares (the configuration is the one planned from, so the plan file was edited); run plan again",
    ),
}


@pytest.mark.parametrize("case_name", ["qs", "jd"])
@pytest.mark.parametrize("edit_name", list(EDITS))
def test_an_edited_plan_writes_nothing(
    project: Project, emulated: RunningEmulator, tmp_path: Path, case_name: str, edit_name: str
) -> None:
    case = BY_NAME[case_name]
    path, plan = saved_plan(project, emulated, case, tmp_path)
    foreign = case.foreign_entry(emulated, "shared-bkt")
    edit, message = EDITS[edit_name]
    edit(plan)
    path.write_text(json.dumps(plan))
    emulated.admin.reset_counters()

    result = project.cli("apply", str(path))

    assert result.code == 1, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output
    assert message.format(address=case.address("shared-bkt"), rule_id=case.rule["id"]) in result.err, result.err
    assert case.writes(emulated, "shared-bkt") == 0
    assert case.foreign_entry(emulated, "shared-bkt") == foreign
    assert not project.state.exists()


def test_the_unedited_plan_still_applies(project: Project, emulated: RunningEmulator, tmp_path: Path) -> None:
    case = BY_NAME["qs"]
    path, _ = saved_plan(project, emulated, case, tmp_path)
    result = project.cli("apply", str(path))
    assert result.code == 0, result.output
    assert project.cli("plan", "--detailed-exitcode").code == 0


@pytest.mark.parametrize("case_name", ["qs", "jd"])
def test_a_plan_whose_configuration_changed_since_says_so(
    project: Project, emulated: RunningEmulator, tmp_path: Path, case_name: str
) -> None:
    """The plan's config_digest tells a configuration edited after the plan from a plan file edited by hand."""
    case = BY_NAME[case_name]
    path, _ = saved_plan(project, emulated, case, tmp_path)
    project.configure({case.name: case.provider(emulated)}, [case.bucket("shared-bkt", case.changed)])
    emulated.admin.reset_counters()

    result = project.cli("apply", str(path))

    assert result.code == 1, result.output
    assert (
        f"Saved plan is stale: {case.address('shared-bkt')}/{case.rule['id']}: the rule in the saved plan is not what "
        "the configuration declares (the configuration changed since the plan); run plan again"
    ) in result.err, result.err
    assert case.writes(emulated, "shared-bkt") == 0
    assert not project.state.exists()
