"""plan → apply → plan through the CLI against the emulator, for every dialect and flavor."""

from __future__ import annotations

import json

import pytest

from tests.commands.conftest import Project
from tests.commands.dialects import BOS_SECRET, BY_NAME, CASES, Case
from tests.support.emulator import RunningEmulator

IDS = [case.name for case in CASES]


@pytest.fixture(autouse=True)
def bos_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOS_NOTIFY_KEY", BOS_SECRET)


def configure(project: Project, emulator: RunningEmulator, case: Case, *buckets: dict) -> None:
    project.configure({case.name: case.provider(emulator)}, list(buckets))


def applied(project: Project) -> None:
    result = project.cli("apply", "--auto-approve")
    assert result.code == 0, result.output
    again = project.cli("plan", "--detailed-exitcode")
    assert again.code == 0, again.output


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_create_update_delete_keep_foreign_rules(project: Project, emulated: RunningEmulator, case: Case) -> None:
    case.create(emulated, "shared-bkt", foreign=True)
    foreign = case.foreign_entry(emulated, "shared-bkt")
    assert foreign is not None

    configure(project, emulated, case, case.bucket("shared-bkt", case.rule))
    applied(project)
    assert sorted(case.ids(emulated, "shared-bkt")) == sorted(["theirs", case.rule["id"]])
    assert case.foreign_entry(emulated, "shared-bkt") == foreign

    configure(project, emulated, case, case.bucket("shared-bkt", case.changed))
    planned = project.cli("plan", "--detailed-exitcode")
    assert planned.code == 2 and "1 to change" in planned.out, planned.output
    applied(project)
    assert case.foreign_entry(emulated, "shared-bkt") == foreign

    configure(project, emulated, case, case.bucket("shared-bkt"))
    applied(project)
    assert case.ids(emulated, "shared-bkt") == ["theirs"]
    assert case.foreign_entry(emulated, "shared-bkt") == foreign
    assert project.state_document()["buckets"] == {}


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_exclusive_removes_foreign_rules(project: Project, emulated: RunningEmulator, case: Case) -> None:
    case.create(emulated, "excl-bkt", foreign=True)
    configure(project, emulated, case, case.bucket("excl-bkt", case.rule, ownership="exclusive"))

    planned = project.cli("plan")
    assert '! foreign rule "theirs" will be removed' in planned.out, planned.output
    result = project.cli("apply", "--auto-approve")
    assert result.code == 0 and "1 foreign removed" in result.out, result.output
    assert project.cli("plan", "--detailed-exitcode").code == 0
    assert case.ids(emulated, "excl-bkt") == [case.rule["id"]]

    configure(project, emulated, case, case.bucket("excl-bkt", ownership="exclusive"))
    applied(project)
    assert case.ids(emulated, "excl-bkt") == []


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_observe_writes_nothing(project: Project, emulated: RunningEmulator, case: Case) -> None:
    case.create(emulated, "watched", foreign=True)
    configure(project, emulated, case, case.bucket("watched", case.rule, ownership="observe"))

    result = project.cli("apply", "--auto-approve")

    assert result.code == 0, result.output
    assert case.writes(emulated, "watched") == 0
    assert case.ids(emulated, "watched") == ["theirs"]


def test_unchanged_buckets_get_no_write_and_no_second_read(project: Project, emulated: RunningEmulator) -> None:
    case = BY_NAME["qs"]
    for name in ("steady", "moving"):
        case.create(emulated, name)
    configure(project, emulated, case, case.bucket("steady", case.rule), case.bucket("moving", case.rule))
    applied(project)
    configure(project, emulated, case, case.bucket("steady", case.rule), case.bucket("moving", case.changed))
    emulated.admin.reset_counters()

    result = project.cli("apply", "--auto-approve")

    assert result.code == 0, result.output
    assert emulated.admin.requests("qingstor", "steady") == {"DELETE": 0, "GET": 1, "PUT": 0}
    assert emulated.admin.requests("qingstor", "moving")["PUT"] == 1


def test_one_failing_bucket_while_the_others_apply(project: Project, emulated: RunningEmulator) -> None:
    case = BY_NAME["qs"]
    names = ["first", "broken", "third"]
    for name in names:
        case.create(emulated, name)
    configure(project, emulated, case, *(case.bucket(n, case.rule) for n in names))
    emulated.admin.set_faults(bucket="broken", error_rate=1, error_statuses=[403], methods=["PUT"])

    result = project.cli("apply", "--auto-approve")

    assert result.code == 1
    assert "qs/broken: failed:" in result.out and "HTTP 403" in result.out
    assert "qs/first: applied" in result.out and "qs/third: applied" in result.out
    assert "1 of 3 buckets could not be applied: qs/broken" in result.err
    assert "Traceback" not in result.output
    assert set(project.state_document()["buckets"]) == {"qs/first", "qs/third"}

    emulated.admin.clear_faults()
    applied(project)
    assert set(project.state_document()["buckets"]) == {"qs/first", "qs/broken", "qs/third"}


def test_injected_503_and_429_are_retried(project: Project, emulated: RunningEmulator) -> None:
    case = BY_NAME["aws"]
    case.create(emulated, "flaky")
    case.create(emulated, "throttled")
    configure(project, emulated, case, case.bucket("flaky", case.rule), case.bucket("throttled", case.rule))
    emulated.admin.set_faults(bucket="flaky", error_rate=1, error_statuses=[503], limit=3)
    emulated.admin.set_faults(bucket="throttled", throttle_rate=1, retry_after=0, limit=3)

    applied(project)

    for name in ("flaky", "throttled"):
        assert case.ids(emulated, name) == [case.rule["id"]]


def test_read_errors_name_the_bucket_code_and_request_id(project: Project, emulated: RunningEmulator) -> None:
    case = BY_NAME["qs"]
    case.create(emulated, "present")
    configure(project, emulated, case, case.bucket("present", case.rule), case.bucket("absent", case.rule))

    result = project.cli("plan")

    assert result.code == 1
    assert "1 bucket could not be planned" in result.err
    line = next(line for line in result.err.splitlines() if "qs/absent" in line)
    assert "bucket_not_exists" in line and "request id" in line
    assert "Traceback" not in result.output


def test_live_change_after_the_plan_writes_nothing(project: Project, emulated: RunningEmulator, tmp_path) -> None:
    case = BY_NAME["bj"]
    for name in ("calm", "touched"):
        case.create(emulated, name)
    configure(project, emulated, case, case.bucket("calm", case.rule), case.bucket("touched", case.rule))
    planfile = tmp_path / "plan.json"
    assert project.cli("plan", "--out", str(planfile)).code == 0
    emulated.admin.put_document("bos", "touched", case.foreign)
    emulated.admin.reset_counters()

    result = project.cli("apply", str(planfile))

    assert result.code == 1
    assert "live configuration of bucket bj/touched changed since the plan; run plan again" in result.err
    assert case.writes(emulated, "calm") == 0 and case.writes(emulated, "touched") == 0
    assert not project.state.exists()


def test_plans_of_another_lineage_or_serial_write_nothing(
    project: Project, emulated: RunningEmulator, tmp_path
) -> None:
    case = BY_NAME["qs"]
    case.create(emulated, "one")
    configure(project, emulated, case, case.bucket("one", case.rule))
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    assert project.cli("plan", "--out", str(first)).code == 0
    assert project.cli("plan", "--out", str(second)).code == 0  # another fresh lineage
    assert project.cli("apply", str(first)).code == 0
    configure(project, emulated, case, case.bucket("one", case.changed))
    stale = tmp_path / "stale.json"
    assert project.cli("plan", "--out", str(stale)).code == 0
    state_before = project.state.read_bytes()
    emulated.admin.reset_counters()

    other_lineage = project.cli("apply", str(second))
    assert other_lineage.code == 1 and "Saved plan does not match the given state" in other_lineage.err

    assert project.cli("state", "rm", "qs/one/thumbs").code == 0  # serial moves on
    moved_on = project.cli("apply", str(stale))
    assert moved_on.code == 1 and "Saved plan is stale" in moved_on.err

    assert case.writes(emulated, "one") == 0
    assert project.state.read_bytes() != state_before  # only the `state rm`


def test_secrets_never_leave_the_process(project: Project, emulated: RunningEmulator, tmp_path) -> None:
    case = BY_NAME["bj"]
    case.create(emulated, "secret-bkt")
    configure(project, emulated, case, case.bucket("secret-bkt", case.rule))
    planfile = tmp_path / "plan.json"
    outputs = [project.cli("plan", "--format", fmt, "--out", str(planfile)) for fmt in ("text", "json", "markdown")]
    outputs.append(project.cli("apply", str(planfile)))
    outputs += [project.cli("show", "--format", fmt) for fmt in ("text", "json", "markdown")]
    configure(project, emulated, case, case.bucket("secret-bkt", case.changed))
    outputs.append(project.cli("plan"))

    for result in outputs:
        assert result.code in (0, 2), result.output
        assert BOS_SECRET not in result.output
    assert BOS_SECRET not in planfile.read_text() and BOS_SECRET not in project.state.read_text()
    stored = emulated.admin.document("bos", "secret-bkt")["notifications"][0]
    assert stored["encryption"]["key"] == BOS_SECRET  # it did reach the server


def test_apply_json_report(project: Project, emulated: RunningEmulator) -> None:
    case = BY_NAME["ce"]
    case.create(emulated, "reported")
    configure(project, emulated, case, case.bucket("reported", case.rule))

    result = project.cli("apply", "--auto-approve", "--format", "json")

    assert result.code == 0, result.output
    report = json.loads(result.out)
    assert report["buckets"] == [
        {
            "address": "ce/reported",
            "status": "applied",
            "reason": None,
            "summary": {"add": 1, "change": 0, "delete": 0, "foreign_removed": 0},
        }
    ]
    assert "reconciler will perform the following actions" in result.err


def test_a_removed_provider_stops_the_whole_apply(project: Project, emulated: RunningEmulator) -> None:
    qs, aws = BY_NAME["qs"], BY_NAME["aws"]
    qs.create(emulated, "kept-provider")
    aws.create(emulated, "dropped-provider")
    providers = {qs.name: qs.provider(emulated), aws.name: aws.provider(emulated)}
    project.configure(providers, [qs.bucket("kept-provider", qs.rule), aws.bucket("dropped-provider", aws.rule)])
    applied(project)
    project.configure({qs.name: qs.provider(emulated)}, [qs.bucket("kept-provider", qs.changed)])
    state_before = project.state.read_bytes()
    emulated.admin.reset_counters()

    result = project.cli("apply", "--auto-approve")

    assert result.code == 1
    assert "nothing was applied: 1 bucket could not be planned" in result.err
    assert "aws/dropped-provider: provider 'aws' is no longer configured" in result.err
    assert qs.writes(emulated, "kept-provider") == 0
    assert project.state.read_bytes() == state_before


def test_jdcloud_order_is_applied_and_verified(project: Project, emulated: RunningEmulator) -> None:
    case = BY_NAME["jd"]
    case.create(emulated, "ordered", foreign=True)
    # removals, not creations: neither rule shadows the other, so order is a choice, not a dead rule
    second = {**case.rule, "id": "second", "target": "NS:https://c.example.com/cb", "events": ["s3:ObjectRemoved:*"]}
    configure(project, emulated, case, case.bucket("ordered", case.rule, second))
    applied(project)
    assert case.ids(emulated, "ordered") == ["theirs", "callback", "second"]

    configure(project, emulated, case, case.bucket("ordered", second, case.rule))
    planned = project.cli("plan")
    assert "will move from position" in planned.out, planned.output
    applied(project)
    assert case.ids(emulated, "ordered") == ["theirs", "second", "callback"]


def test_defaults_in_a_fresh_directory(
    emulated: RunningEmulator, tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """-c ./notifications and --state state/reconciler.state.json: plan needs no state directory and
    creates none; the first apply creates it."""
    from reconciler.cli import main

    case = BY_NAME["qs"]
    case.create(emulated, "fresh")
    (tmp_path / "notifications").mkdir()
    document = {
        "version": 1,
        "providers": {"qs": case.provider(emulated)},
        "buckets": [case.bucket("fresh", case.rule)],
    }
    (tmp_path / "notifications" / "rules.yaml").write_text(json.dumps(document))
    monkeypatch.chdir(tmp_path)

    assert main(["plan", "--detailed-exitcode"]) == 2
    assert not (tmp_path / "state").exists()
    assert main(["apply", "--auto-approve"]) == 0
    assert (tmp_path / "state" / "reconciler.state.json").stat().st_mode & 0o777 == 0o600
    assert main(["plan", "--detailed-exitcode"]) == 0
    capsys.readouterr()
