"""Faults injected during apply, per dialect: the foreign rule survives byte for byte, whatever
fails, and the next apply without faults converges (plan then shows nothing to do)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.commands.conftest import Project
from tests.commands.dialects import BOS_SECRET, CASES, Case
from tests.support.emulator import RunningEmulator

FAULTS: dict[str, dict[str, Any]] = {
    # a plain 404 is not the provider saying "no configuration" (BOS answers that with a 404 of its own)
    "get-404": {"error_rate": 1, "error_statuses": [404], "methods": ["GET"], "limit": 2},
    "get-malformed": {"malformed_rate": 1, "methods": ["GET"], "limit": 2},
    "write-500-always": {"error_rate": 1, "error_statuses": [500], "methods": ["PUT", "DELETE"]},
    "write-reset-after": {"reset_rate": 1, "reset_when": "after", "methods": ["PUT", "DELETE"]},
    "write-throttled": {"throttle_rate": 1, "retry_after": 0, "methods": ["PUT", "DELETE"], "limit": 2},
}


@pytest.fixture(autouse=True)
def bos_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOS_NOTIFY_KEY", BOS_SECRET)


def configure(project: Project, emulator: RunningEmulator, case: Case, *rules: dict[str, Any]) -> None:
    project.configure({case.name: case.provider(emulator)}, [case.bucket("faulty", *rules)])


@pytest.mark.parametrize("phase", ["create", "delete"])
@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_no_fault_during_apply_loses_a_foreign_rule(
    project: Project, emulated: RunningEmulator, case: Case, fault: str, phase: str
) -> None:
    case.create(emulated, "faulty", foreign=True)
    foreign = case.foreign_entry(emulated, "faulty")
    if phase == "delete":  # the managed rule exists and is owned; the configuration drops it
        configure(project, emulated, case, case.rule)
        assert project.cli("apply", "--auto-approve").code == 0
        configure(project, emulated, case)
    else:
        configure(project, emulated, case, case.rule)
    emulated.admin.set_faults(bucket="faulty", dialect=case.dialect, seed=7, **FAULTS[fault])

    faulted = project.cli("apply", "--auto-approve")

    assert "Traceback" not in faulted.output and "internal error" not in faulted.output, faulted.output
    assert case.foreign_entry(emulated, "faulty") == foreign, faulted.output
    emulated.admin.clear_faults()
    converged = project.cli("apply", "--auto-approve")
    assert converged.code == 0, converged.output
    assert project.cli("plan", "--detailed-exitcode").code == 0
    assert case.foreign_entry(emulated, "faulty") == foreign
    expected = ["theirs"] if phase == "delete" else ["theirs", case.rule["id"]]
    assert sorted(case.ids(emulated, "faulty")) == sorted(expected)
