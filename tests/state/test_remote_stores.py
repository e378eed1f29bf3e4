"""The remote state stores against real servers: moto and Ceph RGW (S3 conditional writes) and
PostgreSQL (serial-checked transactions, advisory locks). Same contract as the local file."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from reconciler.commands.state_location import open_state
from reconciler.errors import LockError, StateError
from reconciler.state.lock import encode_lock_info, new_lock_info
from reconciler.state.model import StateFile
from tests.state.conftest import Remote, moto_location, postgres_location
from tests.support.header_dropping_proxy import header_dropping_proxy
from tests.support.moto import MotoServer
from tests.support.postgres import PostgresServer

pytestmark = [pytest.mark.moto, pytest.mark.ceph, pytest.mark.postgres]
APPLIED = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def with_bucket(state: StateFile, bucket: str) -> StateFile:
    rule = {"id": "r1", "event_types": ["create_object"], "notify_url": "https://hooks.example.com/x"}
    return state.with_bucket_applied(
        f"qs/{bucket}", "qs", "qingstor", None, bucket, {"r1": rule}, [], "sha256:" + "0" * 64, APPLIED
    )


def test_a_new_location_holds_no_state_and_reading_writes_nothing(remote: Remote) -> None:
    store = remote.open()
    assert store.read() is None
    fresh = store.load()
    assert fresh.serial == 0 and fresh.lineage
    assert store.lock_holder() is None
    assert store.read() is None  # load did not write


def test_saves_keep_the_lineage_bump_the_serial_and_skip_unchanged_content(remote: Remote) -> None:
    store = remote.open()
    with store.lock("apply"):
        first = store.save(with_bucket(store.load(), "photos"))
        again = store.save(first)
        second = store.save(with_bucket(first, "docs"))
    assert (first.serial, again.serial, second.serial) == (1, 1, 2)
    read_back = remote.open().read()
    assert read_back is not None and read_back.lineage == first.lineage and read_back.serial == 2
    assert sorted(read_back.buckets) == ["qs/docs", "qs/photos"]


def test_a_state_saved_since_it_was_read_is_never_overwritten(remote: Remote) -> None:
    store = remote.open()
    with store.lock("apply"):
        read = store.save(store.load())
        store.save(with_bucket(read, "photos"))
        with pytest.raises(StateError, match=r"was changed by another operation .*nothing was overwritten"):
            store.save(with_bucket(read, "docs"))
        with pytest.raises(StateError, match="belongs to another lineage"):
            store.save(StateFile.new("0.1.0"))
    held = remote.open().read()
    assert held is not None and sorted(held.buckets) == ["qs/photos"]


def test_a_conditional_write_conflict_is_refused_and_nothing_is_overwritten(remote: Remote) -> None:
    """Someone else saved between our read and our write: the store itself refuses our write."""
    ours, theirs = remote.open(), remote.open()
    base = ours.save(ours.load())
    seen = ours.fetch()  # what we read...
    theirs.save(with_bucket(base, "theirs"))  # ...then another writer saves

    with pytest.raises(StateError, match=r"changed by another writer while this run saved it.*nothing was overwritten"):
        ours.store(b'{"version": 1, "lineage": "x", "serial": 2}', seen)

    held = remote.open().read()
    assert held is not None and list(held.buckets) == ["qs/theirs"]
    with pytest.raises(StateError, match="changed by another writer"):
        ours.store(b'{"version": 1, "lineage": "x", "serial": 1}', None)  # create-only, but it exists


def test_the_previous_version_is_kept_as_a_backup(remote: Remote, request: pytest.FixtureRequest) -> None:
    store = remote.open()
    with store.lock("apply"):
        first = store.save(with_bucket(store.load(), "photos"))
        store.save(with_bucket(first, "docs"))
    before = first.to_document()
    if remote.kind == "postgres":
        server: PostgresServer = request.getfixturevalue("postgres_server")
        with psycopg.connect(server.url, password=server.password) as connection:
            row = connection.execute(
                "SELECT previous_document FROM reconciler_states WHERE name = %s", (store.name,)
            ).fetchone()
        assert row is not None and StateFile.model_validate_json(row[0]).to_document() == before
    else:
        backup = remote.open(f"{remote.location}.backup").read()
        assert backup is not None and backup.to_document() == before


def test_a_versioned_bucket_keeps_versions_instead_of_a_backup_object(moto_server: MotoServer) -> None:
    location, env = moto_location(moto_server)
    bucket, key = location.removeprefix("s3://").split("/", 1)
    s3 = moto_server.s3()
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    store = open_state(location, env)
    with store.lock("apply"):
        first = store.save(store.load())
        store.save(with_bucket(first, "photos"))
    keys = [entry["Key"] for entry in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert keys == [key]  # no .backup object, and the lock is gone
    versions = [v for v in s3.list_object_versions(Bucket=bucket, Prefix=key)["Versions"] if v["Key"] == key]
    assert len(versions) == 2


def test_a_second_writer_is_refused_naming_the_holder_or_waits_for_it(remote: Remote) -> None:
    first, second = remote.open(), remote.open()
    with first.lock("apply") as held:
        assert second.lock_holder() == held
        with pytest.raises(LockError) as refused:
            with second.lock("state rm"):
                pass
        assert held.ID in str(refused.value) and held.Who in str(refused.value)
        assert f"reconciler force-unlock {held.ID}" in str(refused.value)
        with pytest.raises(LockError, match="does not match the lock"):
            second.force_unlock(str(uuid.uuid4()))

        got: list[str] = []

        def wait_for_it() -> None:
            with second.lock("apply", timeout=60) as info:
                got.append(info.ID)

        waiter = threading.Thread(target=wait_for_it)
        waiter.start()
        time.sleep(1.0)
        assert not got  # still waiting
    waiter.join(timeout=60)
    assert len(got) == 1 and got[0] != held.ID
    assert first.lock_holder() is None
    with pytest.raises(LockError, match="is not locked"):
        first.force_unlock(held.ID)


def test_an_s3_lock_left_by_a_killed_run_is_removed_by_force_unlock(moto_server: MotoServer) -> None:
    location, env = moto_location(moto_server)
    bucket, key = location.removeprefix("s3://").split("/", 1)
    stale = new_lock_info("apply", location)
    moto_server.s3().put_object(Bucket=bucket, Key=f"{key}.lock", Body=encode_lock_info(stale))
    store = open_state(location, env)

    with pytest.raises(LockError, match=f"force-unlock {stale.ID}"):
        with store.lock("apply"):
            pass
    assert store.force_unlock(stale.ID) == stale
    with store.lock("apply"):
        pass


def test_a_postgres_lock_is_released_with_its_session_and_its_record_cleared_by_force_unlock(
    postgres_server: PostgresServer,
) -> None:
    location, env = postgres_location(postgres_server)
    holder = open_state(location, env)
    other = open_state(location, env)
    lock = holder.lock("apply")
    info = lock.__enter__()
    with pytest.raises(LockError, match="held by a running session"):
        other.force_unlock(info.ID)
    holder.close()  # the session ends as if its process were killed: the advisory lock goes with it

    assert other.lock_holder() == info  # the record stays for people to see
    assert other.force_unlock(info.ID) == info
    assert other.lock_holder() is None
    with other.lock("apply"):
        pass


def test_a_store_that_ignores_conditional_writes_is_refused(moto_server: MotoServer) -> None:
    location, env = moto_location(moto_server)
    bucket, key = location.removeprefix("s3://").split("/", 1)
    with header_dropping_proxy(moto_server.endpoint, ("If-Match", "If-None-Match")) as proxy:
        store = open_state(location, {**env, "AWS_ENDPOINT_URL": proxy})
        with pytest.raises(StateError) as refused:
            with store.lock("apply"):
                store.save(store.load())
        store.close()
    message = str(refused.value)
    assert "ignores conditional writes" in message and "If-None-Match: *" in message and "HTTP 200" in message
    assert moto_server.s3().list_objects_v2(Bucket=bucket).get("KeyCount") == 0  # no state, no lock left
    assert key


def test_a_postgres_password_comes_from_pgpass_when_not_in_the_environment(
    postgres_server: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    location, _ = postgres_location(postgres_server)
    with pytest.raises(StateError, match="no password supplied") as refused:
        open_state(location, {}).read()
    assert postgres_server.password not in str(refused.value)
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"127.0.0.1:{postgres_server.port}:*:reconciler:{postgres_server.password}\n")
    pgpass.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    store = open_state(location, {})
    with store.lock("apply"):
        assert store.save(store.load()).serial == 1
    store.close()


def _corrupt(kind: str, store, request: pytest.FixtureRequest) -> None:  # type: ignore[no-untyped-def]
    """Overwrite the stored document with something that is not a state, behind the store's back."""
    if kind == "postgres":
        server: PostgresServer = request.getfixturevalue("postgres_server")
        with psycopg.connect(server.url, password=server.password, autocommit=True) as connection:
            connection.execute("UPDATE reconciler_states SET document = %s WHERE name = %s", ('{"no": 1}', store.name))
    else:
        moto: MotoServer = request.getfixturevalue("moto_server")
        moto.s3().put_object(Bucket=store.bucket, Key=store.key, Body=b'{"no": 1}')


@pytest.mark.parametrize("kind", ["moto", "postgres"])
@pytest.mark.parametrize("saves", [1, 2], ids=["no-backup-yet", "backup-kept"])
def test_a_broken_remote_state_suggests_a_backup_only_when_one_exists(
    kind: str, saves: int, request: pytest.FixtureRequest
) -> None:
    if kind == "moto":
        location, env = moto_location(request.getfixturevalue("moto_server"))
    else:
        location, env = postgres_location(request.getfixturevalue("postgres_server"))
    store = open_state(location, env)
    with store.lock("apply"):
        state = store.save(with_bucket(store.load(), "photos"))
        if saves == 2:
            store.save(with_bucket(state, "docs"))
    _corrupt(kind, store, request)
    with pytest.raises(StateError, match="is not a reconciler state") as raised:
        open_state(location, env).load()
    suggested = "previous_document" in str(raised.value) or ".backup over it" in str(raised.value)
    assert suggested is (saves == 2), str(raised.value)
