"""Everything bad is one clear message, exit 1, and nothing changed (no server needed)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from reconciler.state import StateFile, StateLock, save_state
from tests.commands.conftest import Project

UNUSED_ENDPOINT = "http://127.0.0.1:9"  # discard port: nothing must ever be sent there

CONFIG = f"""
version: 1
providers:
  qs:
    type: qingstor
    zone: pek3b
    endpoint: {UNUSED_ENDPOINT}
    credentials:
      access_key_id: {{env: QS_TEST_KEY_ID}}
      secret_access_key: {{env: QS_TEST_SECRET}}
buckets:
  - provider: qs
    bucket: photos
    notifications:
      - id: thumbs
        event_types: [create_object]
        cloudfunc: image
        cloudfunc_args: {{action: "resize:w_200"}}
"""


@pytest.fixture
def configured(project: Project) -> Project:
    project.write_config(CONFIG)
    return project


def assert_clean_failure(result, *fragments: str) -> None:
    assert result.code == 1, result.output
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.err, result.err


def owned_state(project: Project, provider: str = "gone") -> StateFile:
    state = StateFile.new("0.1.0").with_bucket_applied(
        f"{provider}/old",
        provider=provider,
        type="qingstor",
        flavor=None,
        bucket="old",
        rules={"r": {"id": "r"}},
        foreign=(),
        live_fingerprint="sha256:" + "0" * 64,
        applied_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    return save_state(project.state, state)


def test_state_path_that_is_a_directory(configured: Project, tmp_path) -> None:
    result = configured.cli("plan", "--state", str(tmp_path))
    assert_clean_failure(result, "is a directory")


def test_missing_credential_fails_before_any_request(configured: Project) -> None:
    result = configured.cli("plan")
    assert_clean_failure(result, "QS_TEST_KEY_ID")


def test_unknown_target(configured: Project, monkeypatch) -> None:
    monkeypatch.setenv("QS_TEST_KEY_ID", "ak")
    monkeypatch.setenv("QS_TEST_SECRET", "sk")
    result = configured.cli("plan", "--target", "qs/nope")
    assert_clean_failure(result, "qs/nope", "matches no bucket")


def test_removed_provider_with_buckets_in_state(configured: Project) -> None:
    owned_state(configured)
    configured.write_config(CONFIG.split("buckets:")[0] + "buckets: []\n")
    before = configured.state.read_bytes()
    result = configured.cli("plan")
    assert_clean_failure(result, "gone/old", "provider 'gone' is no longer configured")
    assert configured.state.read_bytes() == before


def test_unreadable_plan_file(configured: Project, tmp_path) -> None:
    result = configured.cli("apply", str(tmp_path / "missing.json"))
    assert_clean_failure(result, "cannot read plan file", "missing.json")
    assert not configured.state.exists()


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("not json at all", "is not a reconciler plan (not JSON"),
        (json.dumps({"format_version": "2.0"}), "has plan format 2.0"),
        (json.dumps({"version": 4, "terraform_version": "1.9.0"}), "no format_version"),
        (json.dumps({"format_version": "1.0", "buckets": "x"}), "is not a valid plan"),
    ],
)
def test_plan_file_of_another_kind(configured: Project, tmp_path, content: str, fragment: str) -> None:
    planfile = tmp_path / "plan.json"
    planfile.write_text(content)
    assert_clean_failure(configured.cli("apply", str(planfile)), fragment)
    assert_clean_failure(configured.cli("show", str(planfile)), fragment)


def test_apply_without_terminal_or_approval_refuses(configured: Project) -> None:
    result = configured.cli("apply")
    assert_clean_failure(result, "--auto-approve", "nothing was changed")
    assert not configured.state.exists()


def test_target_with_a_saved_plan_is_refused(configured: Project, tmp_path) -> None:
    result = configured.cli("apply", str(tmp_path / "p.json"), "--target", "qs/photos")
    assert_clean_failure(result, "--target cannot be used with a saved plan")


def test_a_held_lock_names_its_holder(configured: Project, monkeypatch) -> None:
    monkeypatch.setenv("QS_TEST_KEY_ID", "ak")
    monkeypatch.setenv("QS_TEST_SECRET", "sk")
    with StateLock(configured.state, "apply") as held:
        result = configured.cli("apply", "--auto-approve")
    assert_clean_failure(result, "is locked by", held.info.ID)


def test_show_and_list_an_empty_state(configured: Project) -> None:
    shown = configured.cli("show")
    assert shown.code == 0 and "The state is empty" in shown.out
    listed = configured.cli("state", "list")
    assert listed.code == 0 and listed.out == ""


def test_state_rm_forgets_and_refuses_unknown_addresses(configured: Project) -> None:
    owned_state(configured)
    assert configured.cli("state", "list").out == "gone/old\ngone/old/r\n"
    assert json.loads(configured.cli("state", "list", "--format", "json").out) == ["gone/old", "gone/old/r"]

    unknown = configured.cli("state", "rm", "gone/old/r", "gone/other")
    assert_clean_failure(unknown, "not in the state: gone/other", "nothing was removed")
    assert configured.state_document()["serial"] == 1

    removed = configured.cli("state", "rm", "gone/old/r")
    assert removed.code == 0 and "Removed gone/old/r" in removed.out
    document = configured.state_document()
    assert document["serial"] == 2 and document["buckets"] == {}


def test_state_rm_without_state_and_bad_addresses(configured: Project) -> None:
    assert_clean_failure(configured.cli("state", "rm", "qs/photos"), "does not exist")
    assert_clean_failure(configured.cli("state", "list", "justone"), "is not an address")


def test_force_unlock_with_a_wrong_id(configured: Project) -> None:
    with StateLock(configured.state, "apply"):
        result = configured.cli("force-unlock", "not-the-id")
    assert_clean_failure(result, "does not match the lock")


def test_a_plan_file_that_cannot_be_written_whole_leaves_the_previous_one(tmp_path, monkeypatch) -> None:
    from reconciler.commands import planfile
    from reconciler.errors import PlanFileError
    from tests.support.plans import bucket, config, document, plan, qs_rule

    target = tmp_path / "plan.json"
    target.write_text("the plan reviewed yesterday")
    the_plan = plan(config(bucket("qs/b", qs_rule("r"))), {"qs/b": document()})

    def disk_full(descriptor):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(planfile.os, "fsync", disk_full)
    with pytest.raises(PlanFileError, match=r"cannot write plan file .*No space left on device"):
        planfile.save_plan_file(target, the_plan)
    assert target.read_text() == "the plan reviewed yesterday"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]  # no temporary file left behind
    monkeypatch.undo()
    planfile.save_plan_file(target, the_plan)
    assert planfile.load_plan_file(target) == the_plan
    assert target.stat().st_mode & 0o777 == 0o600
    with pytest.raises(PlanFileError, match=r"cannot write plan file .*: it is a directory"):
        planfile.save_plan_file(tmp_path, the_plan)
