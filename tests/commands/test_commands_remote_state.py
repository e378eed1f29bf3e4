"""Every command on a remote state (S3 on a real moto server, PostgreSQL on a real server), the
state moving between locations, and two processes or a SIGKILL against one remote state."""

from __future__ import annotations

import json
import os
import signal
import time
import uuid
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.commands.state_location import open_state
from reconciler.state.backend import StateStore
from tests.commands.conftest import Project
from tests.commands.test_commands_processes import (
    LATENCY_SECONDS,
    QS,
    WAIT_SECONDS,
    applied_buckets,
    setup_buckets,
    start,
    wait_for,
)
from tests.support.emulator import RunningEmulator
from tests.support.moto import MotoServer
from tests.support.postgres import PostgresServer, postgres_server  # noqa: F401

pytestmark = [pytest.mark.moto, pytest.mark.postgres]


def moto_state(server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> str:
    """An s3:// location on moto; its keys in AWS_* (the qingstor provider under test reads QINGSTOR_*)."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": server.access_key_id,
        "AWS_SECRET_ACCESS_KEY": server.secret_access_key,
        "AWS_ENDPOINT_URL": server.endpoint,
        "AWS_REGION": server.region,
    }.items():
        monkeypatch.setenv(name, value)
    return f"s3://{server.new_bucket()}/prod/reconciler.state.json"


def postgres_state(server: PostgresServer, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("PGPASSWORD", server.password)
    return f"{server.url}?state=test-{uuid.uuid4().hex[:12]}"


@pytest.fixture(params=["s3", "postgres"])
def location(request: pytest.FixtureRequest, emulated: RunningEmulator, monkeypatch: pytest.MonkeyPatch) -> str:
    """After `emulated`, whose keys go in every ecosystem's variables: AWS_* are the state's here."""
    if request.param == "s3":
        return moto_state(request.getfixturevalue("moto_server"), monkeypatch)
    return postgres_state(request.getfixturevalue("postgres_server"), monkeypatch)


@pytest.fixture
def remote_project(project: Project, location: str) -> Project:
    project.state = location  # type: ignore[assignment]  # `--state` takes a location, not only a path
    return project


def store_at(location: str) -> StateStore:
    return open_state(location, os.environ)


def read_remote(location: str) -> dict:
    with store_at(location) as store:
        state = store.read()
    assert state is not None, f"no state at {location}"
    return state.to_document()


def test_every_command_works_on_a_remote_state(remote_project: Project, emulated: RunningEmulator) -> None:
    project, location = remote_project, str(remote_project.state)
    setup_buckets(project, emulated, ["photos"])

    applied = project.cli("apply", "--auto-approve")
    assert applied.code == 0, applied.output
    assert list((project.root / "state").iterdir()) == []  # nothing written locally
    document = read_remote(location)
    # two saves: the note of the rules about to be created, then the bucket applied
    assert document["serial"] == 2 and list(document["buckets"]) == ["qs/photos"]

    assert project.cli("plan", "--detailed-exitcode").code == 0
    assert project.cli("drift").code == 0
    shown = project.cli("show", "--format", "json")
    assert shown.code == 0 and json.loads(shown.out)["lineage"] == document["lineage"]
    assert project.cli("state", "list").out.split() == ["qs/photos", f"qs/photos/{QS.rule['id']}"]

    # a saved plan made before another apply is refused as stale, remotely too
    project.configure({QS.name: QS.provider(emulated)}, [QS.bucket("photos", QS.changed)])
    assert project.cli("plan", "--out", str(project.root / "first.json")).code == 0
    assert project.cli("plan", "--out", str(project.root / "second.json")).code == 0
    assert project.cli("apply", str(project.root / "first.json")).code == 0
    stale = project.cli("apply", str(project.root / "second.json"))
    assert stale.code == 1 and "Saved plan is stale" in stale.err
    assert read_remote(location)["serial"] == 3

    removed = project.cli("state", "rm", "qs/photos")
    assert removed.code == 0, removed.output
    assert read_remote(location)["buckets"] == {}
    imported = project.cli("import", "qs/photos")
    assert imported.code == 0, imported.output
    assert f"into {location}" in imported.err
    assert list(read_remote(location)["buckets"]) == ["qs/photos"]


def test_a_locked_remote_state_refuses_a_second_writer_naming_the_holder(
    remote_project: Project, emulated: RunningEmulator
) -> None:
    project, location = remote_project, str(remote_project.state)
    setup_buckets(project, emulated, ["held"])
    with store_at(location) as store, store.lock("apply") as holder:
        store.save(store.load())
        refused = project.cli("apply", "--auto-approve")
        removal = project.cli("state", "rm", "qs/held")
    assert refused.code == 1 and holder.ID in refused.err and "is locked by" in refused.err
    assert removal.code == 1 and holder.ID in removal.err
    assert QS.writes(emulated, "held") == 0


def test_malformed_and_unknown_locations_are_refused_and_create_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    cases = {
        "s3:/bucket/key.json": "is not s3://BUCKET/KEY",
        "s3://bucket-only": "is not s3://BUCKET/KEY",
        "s3://bucket/key.json?colour=blue": "unknown option colour",
        "ftp://host/state.json": "unknown scheme 'ftp'",
        "postgresql://admin:hunter2secret@127.0.0.1/states": "holds a password",
    }
    for location, expected in cases.items():
        capsys.readouterr()
        code = main(["state", "list", "--state", location])
        err = capsys.readouterr().err
        assert code == 1 and expected in err, (location, err)
        assert "hunter2secret" not in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # no `s3:` directory, nothing at all


def test_a_missing_state_bucket_is_an_error_not_an_empty_state(
    moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    moto_state(moto_server, monkeypatch)
    code = main(["show", "--state", "s3://no-such-bucket-here/reconciler.state.json"])
    err = capsys.readouterr().err
    assert code == 1 and "reading the state failed" in err and "NoSuchBucket" in err, err


def test_reconciler_state_names_the_location_for_every_command(
    moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    location = moto_state(moto_server, monkeypatch)
    with store_at(location) as store, store.lock("test"):
        store.save(store.load())
    monkeypatch.setenv("RECONCILER_STATE", location)
    monkeypatch.chdir(tmp_path)

    assert main(["show", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["serial"] == 1
    assert list(tmp_path.iterdir()) == []


def test_a_state_moves_between_locations_with_its_lineage_and_serial(
    project: Project,
    emulated: RunningEmulator,
    moto_server: MotoServer,
    postgres_server: PostgresServer,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    setup_buckets(project, emulated, ["moving"])
    assert project.cli("apply", "--auto-approve").code == 0
    local = project.state_document()
    saved_plan = str(project.root / "plan.json")
    project.configure({QS.name: QS.provider(emulated)}, [QS.bucket("moving", QS.changed)])
    assert project.cli("plan", "--out", saved_plan).code == 0

    s3, pg = moto_state(moto_server, monkeypatch), postgres_state(postgres_server, monkeypatch)
    moved = project.cli("state", "migrate", "--to", s3)
    assert moved.code == 0, moved.output
    assert f"serial {local['serial']}" in moved.out and local["lineage"] in moved.out
    assert project.cli("state", "migrate", "--to", s3).code == 0  # the same state again: nothing to do

    project.state = s3  # type: ignore[assignment]
    assert project.cli("state", "migrate", "--to", pg).code == 0
    assert read_remote(pg) == read_remote(s3) == local

    # the plan saved against the local state applies to the moved one: same lineage and serial
    project.state = pg  # type: ignore[assignment]
    applied = project.cli("apply", saved_plan)
    assert applied.code == 0, applied.output
    assert read_remote(pg)["serial"] == local["serial"] + 1

    back = project.root / "state" / "back.json"
    assert project.cli("state", "migrate", "--to", str(back)).code == 0
    assert json.loads(back.read_text()) == read_remote(pg)

    # a location that holds another state is never overwritten
    project.state = s3  # type: ignore[assignment]
    refused = project.cli("state", "migrate", "--to", pg)  # pg is ahead of s3 now
    assert refused.code == 1 and "already holds a state" in refused.err
    other = project.root / "state" / "other.json"
    other.write_text(json.dumps({**local, "lineage": str(uuid.uuid4())}))
    refused = project.cli("state", "migrate", "--to", str(other))
    assert refused.code == 1 and "already holds a state" in refused.err
    assert read_remote(pg)["serial"] == local["serial"] + 1


def test_two_applies_at_once_on_a_remote_state_never_both_write(
    remote_project: Project, emulated: RunningEmulator
) -> None:
    project, location = remote_project, str(remote_project.state)
    setup_buckets(project, emulated, ["contended"])
    emulated.admin.set_faults(bucket="contended", latency_ms=400)
    with store_at(location) as store:
        first = start(project, "apply", "--auto-approve")
        wait_for(lambda: store.lock_holder() is not None, "the first apply to take the lock")
        holder = store.lock_holder()

        second = project.cli("apply", "--auto-approve")
        waiting = project.cli("apply", "--auto-approve", "--lock-timeout", "60s")

    out, err = first.communicate(timeout=WAIT_SECONDS)
    assert first.returncode == 0, out + err
    assert second.code == 1 and "is locked by" in second.err and holder is not None and holder.ID in second.err
    assert waiting.code == 0, waiting.output  # it waited, then found nothing left to do
    assert emulated.admin.requests("qingstor", "contended")["PUT"] == 1
    assert read_remote(location)["serial"] == 2  # the first apply's note and record only


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGINT], ids=["sigkill", "ctrl-c"])
def test_a_remote_apply_stopped_midway_leaves_a_valid_state_and_at_most_a_lock_force_unlock_clears(
    remote_project: Project, emulated: RunningEmulator, stop: signal.Signals
) -> None:
    project, location = remote_project, str(remote_project.state)
    names = [f"many-{i}" for i in range(8)]
    setup_buckets(project, emulated, names)
    emulated.admin.set_faults(latency_ms=LATENCY_SECONDS * 1000)
    with store_at(location) as store:
        process = start(project, "apply", "--auto-approve", "--parallelism", "2")
        wait_for(lambda: applied_buckets(store.read()), "the first bucket to be recorded")
        process.send_signal(stop)
        out, err = process.communicate(timeout=WAIT_SECONDS)
        recorded = store.read()  # valid, whatever instant it was stopped at
        left = store.lock_holder()

    assert process.returncode == (-signal.SIGKILL if stop == signal.SIGKILL else 130), out + err
    assert "Traceback" not in err
    assert recorded is not None and 1 <= applied_buckets(recorded) < len(names)
    if stop == signal.SIGINT:
        assert left is None  # Ctrl-C gives the lock back
    else:
        assert left is not None
        deadline = time.monotonic() + WAIT_SECONDS
        while True:  # PostgreSQL ends the killed session as soon as it sees the connection close
            unlocked = project.cli("force-unlock", left.ID)
            if unlocked.code == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert unlocked.code == 0 and left.ID in unlocked.out, unlocked.output
    emulated.admin.clear_faults()
    time.sleep(LATENCY_SECONDS * 4)  # let a PUT the stopped process left in flight land
    result = project.cli("apply", "--auto-approve")
    assert result.code == 0, result.output
    assert project.cli("plan", "--detailed-exitcode").code == 0
    assert sorted(read_remote(location)["buckets"]) == sorted(QS.address(n) for n in names)
