"""The apply journal beside a local state file: read with the state it continues, a torn last
line ignored, a journal already folded into a later save ignored, removed by the next save."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from reconciler.apply.recorder import StateRecorder
from reconciler.errors import StateError
from reconciler.state import BucketState, LocalState, StateFile, load_state, save_state
from reconciler.state.journal import Journal, journal_path

WHEN = datetime(2026, 1, 1, tzinfo=UTC)


def entry(bucket: str, fingerprint: str = "sha256:aa") -> BucketState:
    return BucketState(provider="qs", type="qingstor", bucket=bucket, live_fingerprint=fingerprint, applied_at=WHEN)


@pytest.fixture
def path(tmp_path):
    return tmp_path / "state" / "reconciler.state.json"


def test_a_journal_without_a_state_file_is_a_state_of_its_own_lineage(path) -> None:
    base = StateFile.new("0.1.0")
    journal = Journal(path, base)
    journal.append([("qs/a", entry("a")), ("qs/b", entry("b"))])
    journal.close()
    state = load_state(path)
    assert state.lineage == base.lineage and state.serial == 0
    assert sorted(state.buckets) == ["qs/a", "qs/b"]
    assert not path.exists()  # reading never writes


def test_later_lines_win_and_a_dropped_record_is_dropped(path) -> None:
    saved = save_state(path, StateFile.new("0.1.0").with_bucket_applied("qs/old", **_fields("old")))
    journal = Journal(path, saved)
    journal.append([("qs/a", entry("a", "sha256:01"))])
    journal.append([("qs/a", entry("a", "sha256:02")), ("qs/old", None)])
    state = load_state(path)
    assert sorted(state.buckets) == ["qs/a"]
    assert state.buckets["qs/a"].live_fingerprint == "sha256:02"


def test_a_line_cut_short_by_a_crash_is_ignored(path) -> None:
    journal = Journal(path, StateFile.new("0.1.0"))
    journal.append([("qs/a", entry("a"))])
    with journal_path(path).open("ab") as handle:
        handle.write(b'{"address": "qs/b", "bucket": {"provi')  # the process died mid-write
    assert sorted(load_state(path).buckets) == ["qs/a"]


def test_a_journal_already_folded_into_a_later_save_is_ignored(path) -> None:
    first = save_state(path, StateFile.new("0.1.0"))
    journal = Journal(path, first)
    journal.append([("qs/a", entry("a"))])
    # a kill -9 after the state was saved and before the journal was removed
    content = journal_path(path).read_bytes()
    second = save_state(path, load_state(path).with_bucket_applied("qs/b", **_fields("b")))
    journal_path(path).write_bytes(content)
    assert second.serial == first.serial + 1
    assert sorted(load_state(path).buckets) == ["qs/a", "qs/b"]  # as saved, the old journal not applied twice
    save_state(path, load_state(path).without("qs/a"))
    assert sorted(load_state(path).buckets) == ["qs/b"]


def test_a_save_with_nothing_new_still_retires_the_journal(path) -> None:
    first = save_state(path, StateFile.new("0.1.0"))
    Journal(path, first).append([("qs/a", entry("a"))])
    save_state(path, load_state(path).without("qs/a"))  # same content as the file: nothing written
    assert not journal_path(path).exists()
    assert load_state(path).buckets == {}


def test_a_save_folds_the_journal_in_and_removes_it(path) -> None:
    journal = Journal(path, StateFile.new("0.1.0"))
    journal.append([("qs/a", entry("a"))])
    saved = save_state(path, load_state(path))
    assert saved.serial == 1 and sorted(saved.buckets) == ["qs/a"]
    assert not journal_path(path).exists()


def test_an_unreadable_journal_is_a_clear_error(path) -> None:
    path.parent.mkdir(parents=True)
    journal_path(path).write_bytes(b"not json\n")
    with pytest.raises(StateError, match=r"apply journal .*unreadable; remove it"):
        load_state(path)


def test_the_recorder_appends_each_bucket_and_saves_the_state_once(path, monkeypatch) -> None:
    monkeypatch.setattr("reconciler.apply.recorder.SMALL_STATE", 0)  # as a state too large to save per bucket
    saves: list[int] = []
    original = LocalState.store

    def counting(self, content, previous):
        saves.append(len(content))
        original(self, content, previous)

    monkeypatch.setattr(LocalState, "store", counting)
    base = StateFile.new("0.1.0")

    async def apply_many() -> None:
        recorder = StateRecorder(path, base)

        async def one(name: str) -> None:
            await recorder.record(lambda s: s.with_bucket_applied(f"qs/{name}", **_fields(name)), [f"qs/{name}"])

        await asyncio.gather(*(one(f"b{i}") for i in range(50)))
        assert saves == []  # during the apply, only the journal is written
        assert len(load_state(path).buckets) == 50
        await recorder.finish()

    asyncio.run(apply_many())
    assert len(saves) == 1
    assert len(load_state(path).buckets) == 50 and not journal_path(path).exists()


def test_a_bucket_recorded_during_a_whole_save_is_journaled(path, monkeypatch) -> None:
    monkeypatch.setattr("reconciler.apply.recorder.SMALL_STATE", 1)  # the 2nd bucket crosses into the journal
    base = StateFile.new("0.1.0")

    async def two_buckets() -> None:
        recorder = StateRecorder(path, base)

        async def one(name: str) -> None:
            await recorder.record(lambda s: s.with_bucket_applied(f"qs/{name}", **_fields(name)), [f"qs/{name}"])

        # a's whole save is under way when b is recorded; b then goes to the journal
        await asyncio.gather(one("a"), one("b"))
        # no finish(): as after a kill -9, the state file plus its journal must hold both
        assert set(load_state(path).buckets) == {"qs/a", "qs/b"}

    asyncio.run(two_buckets())


def _fields(bucket: str) -> dict[str, object]:
    return {
        "provider": "qs",
        "type": "qingstor",
        "flavor": None,
        "bucket": bucket,
        "rules": {"r": {"id": "r"}},
        "foreign": [],
        "live_fingerprint": "sha256:aa",
        "applied_at": WHEN,
    }
