"""Secret digests in state and plans are keyed per state (issue 11): HMAC-SHA256 with the state's
own random lineage, so equal keys compare equal within one state but a weak key cannot be looked
up in a table precomputed for every state; states written before keep their plain digests."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from tests.commands.conftest import Project
from tests.commands.dialects import BOS_SECRET, BY_NAME
from tests.support.emulator import RunningEmulator

CASE = next(case for case in BY_NAME.values() if case.dialect == "bos")


@pytest.fixture(autouse=True)
def bos_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOS_NOTIFY_KEY", BOS_SECRET)


def _digests(document: Any) -> list[str]:
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if set(value) <= {"digest", "ref"} and "digest" in value:
                found.append(value["digest"])
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(document)
    return found


def _applied_state(project: Project, emulated: RunningEmulator, bucket: str) -> dict[str, Any]:
    CASE.create(emulated, bucket)
    project.configure({CASE.name: CASE.provider(emulated)}, [CASE.bucket(bucket, CASE.rule)])
    assert project.cli("apply", "--auto-approve").code == 0
    assert project.cli("plan", "--detailed-exitcode").code == 0  # equal keys compare equal
    return project.state_document()


def test_state_and_plan_digests_are_keyed_with_the_states_own_salt(
    project: Project, emulated: RunningEmulator, tmp_path_factory: pytest.TempPathFactory, capsys: Any
) -> None:
    first = _applied_state(project, emulated, "keyed")
    other = Project(tmp_path_factory.mktemp("other"), capsys)
    second = _applied_state(other, emulated, "keyed2")

    [one], [two] = _digests(first["buckets"]), _digests(second["buckets"])
    plain = "sha256:" + hashlib.sha256(BOS_SECRET.encode()).hexdigest()
    assert one.startswith("hmac-sha256:") and two.startswith("hmac-sha256:")
    assert one != two and plain not in (one, two)  # same key, different states: nothing to look up
    planned = project.cli("plan", "--format", "json")
    assert plain not in planned.out and BOS_SECRET not in planned.out
    assert project.cli("drift").code == 0


def test_a_plan_saved_before_the_first_apply_applies_with_the_same_digests(
    project: Project, emulated: RunningEmulator
) -> None:
    CASE.create(emulated, "saved")
    project.configure({CASE.name: CASE.provider(emulated)}, [CASE.bucket("saved", CASE.rule)])
    planfile = project.root / "saved.plan"
    assert project.cli("plan", "--out", str(planfile)).code == 0
    assert project.cli("apply", str(planfile)).code == 0  # the secret's digest re-checked at apply
    assert project.cli("plan", "--detailed-exitcode").code == 0


def test_a_state_with_plain_digests_keeps_them_and_plans_clean(project: Project, emulated: RunningEmulator) -> None:
    document = _applied_state(project, emulated, "legacy")
    [keyed] = _digests(document["buckets"])
    plain = "sha256:" + hashlib.sha256(BOS_SECRET.encode()).hexdigest()
    project.state.write_text(json.dumps(document).replace(keyed, plain))  # as an earlier version wrote it

    assert project.cli("plan", "--detailed-exitcode").code == 0
    assert project.cli("drift").code == 0
