"""`state mv` on remote states (S3 on moto, PostgreSQL): moved under the lock, nothing live changes."""

from __future__ import annotations

import pytest

from tests.commands.conftest import Project
from tests.commands.test_commands_processes import QS, setup_buckets
from tests.commands.test_commands_remote_state import location, read_remote, remote_project, store_at  # noqa: F401
from tests.support.emulator import RunningEmulator
from tests.support.postgres import postgres_server  # noqa: F401

pytestmark = [pytest.mark.moto, pytest.mark.postgres]


def test_state_mv_works_on_a_remote_state_and_is_locked(remote_project: Project, emulated: RunningEmulator) -> None:  # noqa: F811
    project, where = remote_project, str(remote_project.state)
    setup_buckets(project, emulated, ["photos"])
    assert project.cli("apply", "--auto-approve").code == 0
    rule_id = QS.rule["id"]

    moved = project.cli("state", "mv", f"qs/photos/{rule_id}", "qs/photos/renamed")
    assert moved.code == 0, moved.output
    recorded = read_remote(where)["buckets"]["qs/photos"]
    assert list(recorded["rules"]) == ["renamed"] and recorded["renamed"] == {"renamed": rule_id}
    assert read_remote(where)["serial"] == 3  # the apply's intent and record, then the move

    with store_at(where) as store, store.lock("apply") as holder:
        refused = project.cli("state", "mv", "qs/photos", "qs/pictures")
    assert refused.code == 1 and holder.ID in refused.err
    assert list(read_remote(where)["buckets"]) == ["qs/photos"]
