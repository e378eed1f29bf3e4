"""Hostile answers (issue 11): a server that trickles, floods, bombs or nests its answer costs one
bucket a clear provider error, bounded in time and memory; the other buckets are planned and
applied as usual, and the run exits 1 with no traceback or internal error."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from tests.commands.conftest import Project
from tests.commands.dialects import BY_NAME, Case
from tests.support.emulator import RunningEmulator

HOSTILE: dict[str, tuple[dict[str, Any], str]] = {
    # a byte a second: the read timeout alone would never fire, the request deadline does
    "trickle": ({"hostile": "trickle", "trickle_interval_ms": 200}, "no complete answer within 1 s"),
    "huge": ({"hostile": "huge", "hostile_size": 32 * 1024 * 1024}, "the answer is larger than 4 MiB"),
    "gzip-bomb": ({"hostile": "gzip_bomb", "hostile_size": 256 * 1024 * 1024}, "the answer is larger than 4 MiB"),
    "deep": ({"hostile": "deep", "hostile_size": 20_000}, "nested deeper than 32 levels"),
    "many": ({"hostile": "many", "hostile_size": 30_000}, "holds more than 50000"),
}
DIALECTS = [BY_NAME["qs"], BY_NAME["aws"]]  # JSON and XML


@pytest.mark.parametrize("hostile", list(HOSTILE))
@pytest.mark.parametrize("case", DIALECTS, ids=[case.name for case in DIALECTS])
def test_a_hostile_answer_fails_its_bucket_alone(
    project: Project, emulated: RunningEmulator, case: Case, hostile: str
) -> None:
    fault, message = HOSTILE[hostile]
    for bucket in ("good", "bad"):
        case.create(emulated, bucket, foreign=True)
    project.configure(
        {case.name: case.provider(emulated)}, [case.bucket("good", case.rule), case.bucket("bad", case.rule)]
    )
    emulated.admin.set_faults(bucket="bad", dialect=case.dialect, hostile_rate=1, **fault)

    planned = project.cli("plan", "--request-timeout", "1s")
    applied = project.cli("apply", "--auto-approve", "--request-timeout", "1s")

    for result in (planned, applied):
        assert result.code == 1, result.output
        assert "Traceback" not in result.output and "internal error" not in result.output, result.output
        assert message in result.output, result.output
        assert f"{case.address('bad')}" in result.output
    assert "the server's answer could not be read" in planned.output or hostile == "trickle"
    assert "request id" in planned.output or hostile == "trickle"  # the emulator's request id header
    assert sorted(case.ids(emulated, "good")) == sorted(["theirs", case.rule["id"]])
    assert case.ids(emulated, "bad") == ["theirs"]
    emulated.admin.clear_faults()
    assert project.cli("apply", "--auto-approve").code == 0
    assert project.cli("plan", "--detailed-exitcode").code == 0


@pytest.mark.parametrize("when, puts", [("after", 1), ("before", 2)])
@pytest.mark.parametrize("case", DIALECTS, ids=[case.name for case in DIALECTS])
def test_a_write_whose_answer_is_lost_is_resent_only_if_the_bucket_shows_it_did_not_happen(
    project: Project, emulated: RunningEmulator, case: Case, when: str, puts: int
) -> None:
    case.create(emulated, "lossy", foreign=True)
    project.configure({case.name: case.provider(emulated)}, [case.bucket("lossy", case.rule)])
    emulated.admin.set_faults(
        bucket="lossy", dialect=case.dialect, reset_rate=1, reset_when=when, methods=["PUT"], limit=1
    )

    applied = project.cli("apply", "--auto-approve")

    assert applied.code == 0, applied.output  # converged in one run
    assert case.writes(emulated, "lossy") == puts
    assert sorted(case.ids(emulated, "lossy")) == sorted(["theirs", case.rule["id"]])
    assert project.cli("plan", "--detailed-exitcode").code == 0


def test_a_garbled_read_is_read_again_within_one_run(project: Project, emulated: RunningEmulator) -> None:
    case = BY_NAME["aws"]
    case.create(emulated, "garbled", foreign=True)
    project.configure({case.name: case.provider(emulated)}, [case.bucket("garbled", case.rule)])
    emulated.admin.set_faults(bucket="garbled", dialect=case.dialect, malformed_rate=1, limit=2)

    assert project.cli("apply", "--auto-approve").code == 0
    # a garbled read taken for an empty bucket would write the managed rule over the foreign one
    assert sorted(case.ids(emulated, "garbled")) == sorted(["theirs", case.rule["id"]])
    assert project.cli("plan", "--detailed-exitcode").code == 0


def test_a_foreign_rule_holding_nan_is_never_written_back_as_non_standard_json(
    project: Project, emulated: RunningEmulator
) -> None:
    case = BY_NAME["qs"]
    odd = {"id": "odd", "event_types": ["create_object"], "cloudfunc": "tupu-porn", "notify_url": float("nan")}
    spec = {"dialect": case.dialect, "name": "nan", "document": {"notifications": [odd]}}
    created = emulated.http.post(f"{emulated.url}/_emulator/buckets", content=json.dumps(spec))  # NaN as is
    assert created.status_code < 300, created.text
    emulated.admin.create_bucket(case.dialect, "fine")
    project.configure(
        {case.name: case.provider(emulated)}, [case.bucket("nan", case.rule), case.bucket("fine", case.rule)]
    )

    result = project.cli("apply", "--auto-approve")

    assert result.code == 1, result.output
    assert "rule 'odd' holds a number that is not valid JSON (NaN or Infinity)" in result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert case.writes(emulated, "nan") == 0
    assert case.ids(emulated, "fine") == [case.rule["id"]]


def test_a_providers_timeout_setting_bounds_its_requests(project: Project, emulated: RunningEmulator) -> None:
    case = BY_NAME["qs"]
    case.create(emulated, "slow")
    provider = {**case.provider(emulated), "timeout": {"connect": 5, "read": 5, "request": 1}}
    project.configure({case.name: provider}, [case.bucket("slow", case.rule)])
    emulated.admin.set_faults(bucket="slow", dialect=case.dialect, hostile_rate=1, trickle_interval_ms=100)

    result = project.cli("plan")

    assert result.code == 1, result.output
    assert "no complete answer within 1 s (the request deadline)" in result.output


def test_a_bad_timeout_setting_is_a_configuration_error(project: Project, emulated: RunningEmulator) -> None:
    case = BY_NAME["qs"]
    project.configure({case.name: {**case.provider(emulated), "timeout": {"request": 0}}}, [])
    result = project.cli("validate", "-c", str(project.config))
    assert result.code == 1 and "timeout.request" in result.output, result.output


def test_deeply_nested_state_and_plan_files_are_clear_errors(project: Project) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    project.state.write_text(deep)
    shown = project.cli("show")
    planfile = project.root / "deep.plan"
    planfile.write_text(deep)
    shown_plan = project.cli("show", str(planfile))
    project.state.unlink()  # apply reads the saved plan whatever the state holds
    applied = project.cli("apply", str(planfile))
    for result, words in (
        (shown, "nested far too deeply"),
        (shown_plan, "nested far too deeply"),
        (applied, "nested far too deeply"),
    ):
        assert result.code == 1, result.output
        assert words in result.output and "internal error" not in result.output, result.output


def test_a_state_file_that_is_a_fifo_is_a_clear_error(project: Project) -> None:
    os.mkfifo(project.state)  # reading it would wait for a writer forever
    result = project.cli("show")
    assert result.code == 1 and "not a regular file but a FIFO" in result.output, result.output
