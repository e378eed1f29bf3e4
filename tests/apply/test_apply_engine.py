"""The apply engine against in-memory clients: what it writes, refuses, records and reports."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from reconciler.apply.engine import ApplyEngine
from reconciler.apply.recorder import StateRecorder
from reconciler.apply.report import ApplyReport, BucketOutcome
from reconciler.errors import CredentialError, ProviderError, StalePlanError, StateError
from reconciler.kinds import dialect_for
from reconciler.model import LiveDocument
from reconciler.plan import rule_document
from reconciler.plan.model import Plan
from reconciler.state import load_state, save_state
from reconciler.state.journal import Journal
from reconciler.state.model import StateFile
from tests.support.fake_provider import FakeClient
from tests.support.plans import (
    LINEAGE,
    NOW,
    PROVIDERS,
    SECRET,
    bos_rule,
    bucket,
    config,
    document,
    foreign,
    live_rule,
    plan,
    qs_rule,
    s3_rule,
    state,
)


class RecordingHook:
    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    def writes_started(self, total: int) -> None:
        self.events.append(("writes_started", total))

    def pre_bucket(self, address: str) -> None:
        self.events.append(("pre", address))

    def post_bucket(self, outcome: BucketOutcome) -> None:
        self.events.append(("post", outcome))

    def apply_finished(self, report: ApplyReport) -> None:
        self.events.append(("finished", report))


def run_apply(
    the_plan: Plan,
    cfg,
    clients: dict[str, FakeClient],
    state_path,
    prior: StateFile | None = None,
    environ: dict[str, str] | None = None,
    hook: RecordingHook | None = None,
    verify_delays=(0.0,),
) -> ApplyReport:
    prior = prior or StateFile(tool_version="0.1.0", lineage=LINEAGE)
    engine = ApplyEngine(
        the_plan,
        config=cfg,
        clients=clients,
        recorder=StateRecorder(state_path, prior),
        environ=environ if environ is not None else {"BOS_KEY": SECRET},
        parallelism=4,
        hook=hook,
        verify_delays=verify_delays,
    )
    return asyncio.run(engine.run())


def statuses(report: ApplyReport) -> dict[str, str]:
    return {o.address: o.status for o in report.outcomes}


@pytest.fixture
def state_path(tmp_path):
    return tmp_path / "reconciler.state.json"


def test_creates_a_rule_keeping_the_foreign_rule_byte_for_byte(state_path):
    theirs = foreign("theirs", raw={"id": "theirs", "event_types": ["delete_object"], "x-unknown": [1, 2]})
    client = FakeClient({"photos": document(theirs)})
    cfg = config(bucket("qs/photos", qs_rule("mine")))
    the_plan = plan(cfg, {"qs/photos": client.documents["photos"]})

    report = run_apply(the_plan, cfg, {"qs": client}, state_path)

    assert statuses(report) == {"qs/photos": "applied"}
    written = client.documents["photos"]
    assert written.ids == ["theirs", "mine"]
    assert written.rules[0].raw == theirs.raw
    assert client.count("write", "photos") == 1
    saved = load_state(state_path)
    assert set(saved.owned("qs/photos")) == {"mine"}
    assert saved.buckets["qs/photos"].foreign == ("theirs",)
    assert saved.buckets["qs/photos"].live_fingerprint == written.fingerprint
    again = plan(cfg, {"qs/photos": written}, saved)
    assert not again.has_changes


def test_unchanged_buckets_get_no_request_at_all(state_path):
    same = FakeClient({"same": document(qs_rule("a")), "other": document()})
    cfg = config(bucket("qs/same", qs_rule("a")), bucket("qs/other", qs_rule("b")))
    prior = save_state(state_path, state(qs__same=[qs_rule("a")]))
    the_plan = plan(cfg, {a: same.documents[a.split("/")[1]] for a in ("qs/same", "qs/other")}, prior)
    same.requests.clear()

    report = run_apply(the_plan, cfg, {"qs": same}, state_path, prior)

    assert statuses(report) == {"qs/same": "unchanged", "qs/other": "applied"}
    assert same.count("read", "same") == 0 and same.count("write", "same") == 0
    assert same.count("write", "other") == 1


def test_changed_live_document_refuses_every_write(state_path):
    client = FakeClient({"a": document(), "b": document()})
    cfg = config(bucket("qs/a", qs_rule("x")), bucket("qs/b", qs_rule("y")))
    the_plan = plan(cfg, dict(zip(("qs/a", "qs/b"), (client.documents["a"], client.documents["b"]), strict=True)))
    client.documents["b"] = document(foreign("sneaked-in"))

    with pytest.raises(StalePlanError, match="live configuration of bucket qs/b changed since the plan"):
        run_apply(the_plan, cfg, {"qs": client}, state_path)

    assert client.writes() == 0
    assert not state_path.exists()


def test_one_failing_bucket_does_not_stop_the_others(state_path):
    client = FakeClient({"a": document(), "b": document(), "c": document()})
    cfg = config(*(bucket(f"qs/{name}", qs_rule("r")) for name in "abc"))
    the_plan = plan(cfg, {f"qs/{n}": client.documents[n] for n in "abc"})
    client.fail[("write", "b")] = ProviderError(
        "access denied", code="permission_denied", status=403, request_id="rq-9"
    )
    hook = RecordingHook()

    report = run_apply(the_plan, cfg, {"qs": client}, state_path, hook=hook)

    assert statuses(report) == {"qs/a": "applied", "qs/b": "failed", "qs/c": "applied"}
    failed = report.with_status("failed")[0]
    assert failed.reason == "access denied (HTTP 403, code permission_denied, request id rq-9)"
    assert report.failed
    assert set(load_state(state_path).buckets) == {"qs/a", "qs/c"}
    kinds = [kind for kind, _ in hook.events]
    assert kinds[0] == "writes_started" and kinds[-1] == "finished"
    assert kinds.count("pre") == 3 and kinds.count("post") == 3


def test_a_bucket_that_cannot_be_reread_is_not_written(state_path):
    client = FakeClient({"a": document(), "b": document()})
    cfg = config(bucket("qs/a", qs_rule("r")), bucket("qs/b", qs_rule("r")))
    the_plan = plan(cfg, {"qs/a": client.documents["a"], "qs/b": client.documents["b"]})
    client.fail[("read", "a")] = ProviderError("timed out", code=None)

    report = run_apply(the_plan, cfg, {"qs": client}, state_path)

    assert statuses(report) == {"qs/a": "failed", "qs/b": "applied"}
    assert "reading it again before writing failed: timed out" in report.outcomes[0].reason
    assert client.count("write", "a") == 0


def test_observe_buckets_are_never_written(state_path):
    client = FakeClient({"watched": document(foreign("theirs"))})
    cfg = config(bucket("qs/watched", qs_rule("mine"), ownership="observe"))
    the_plan = plan(cfg, {"qs/watched": client.documents["watched"]})
    client.requests.clear()

    report = run_apply(the_plan, cfg, {"qs": client}, state_path)

    assert statuses(report) == {"qs/watched": "unchanged"}
    assert not client.requests
    assert not state_path.exists()


def test_exclusive_removes_foreign_rules_and_an_empty_layout_clears(state_path):
    client = FakeClient(
        {"mine": document(foreign("theirs"), live_rule(qs_rule("keep"))), "gone": document(foreign("x"))}
    )
    cfg = config(bucket("qs/mine", qs_rule("keep"), ownership="exclusive"), bucket("qs/gone", ownership="exclusive"))
    the_plan = plan(cfg, {"qs/mine": client.documents["mine"], "qs/gone": client.documents["gone"]})

    report = run_apply(the_plan, cfg, {"qs": client}, state_path)

    assert statuses(report) == {"qs/mine": "applied", "qs/gone": "applied"}
    assert client.documents["mine"].ids == ["keep"]
    assert client.documents["gone"].rules == ()


def test_secrets_are_resolved_again_and_never_recorded(state_path):
    client = FakeClient({"docs": document()})
    cfg = config(bucket("bj/docs", bos_rule("ocr")))
    the_plan = plan(cfg, {"bj/docs": client.documents["docs"]})

    run_apply(the_plan, cfg, {"bj": client}, state_path)

    assert client.documents["docs"].rules[0].raw["encryption"]["key"] == SECRET
    assert SECRET not in state_path.read_text()


def test_a_secret_changed_since_the_plan_refuses_before_any_request(state_path):
    client = FakeClient({"docs": document()})
    cfg = config(bucket("bj/docs", bos_rule("ocr")))
    the_plan = plan(cfg, {"bj/docs": client.documents["docs"]})
    client.requests.clear()

    with pytest.raises(StalePlanError, match="changed since the plan"):
        run_apply(the_plan, cfg, {"bj": client}, state_path, environ={"BOS_KEY": "another"})
    with pytest.raises(CredentialError, match="BOS_KEY"):
        run_apply(the_plan, cfg, {"bj": client}, state_path, environ={})
    assert not client.requests


def test_a_readback_that_never_matches_fails_the_bucket_after_retries(state_path):
    client = FakeClient({"up": document()})
    cfg = config(bucket("aws/up", s3_rule("cb")))
    the_plan = plan(cfg, {"aws/up": client.documents["up"]})
    original_write = client.write

    async def write_dropping_everything(bucket_name, entries, previous):
        await original_write(bucket_name, [], previous)

    client.write = write_dropping_everything  # type: ignore[method-assign]
    report = run_apply(the_plan, cfg, {"aws": client}, state_path, verify_delays=(0.0, 0.0))

    assert statuses(report) == {"aws/up": "failed"}
    assert "1 rules were written but 0 were read back" in report.outcomes[0].reason
    assert client.count("read", "up") == 1 + 3  # the guard, then three read-backs
    # the server accepted the write: the state owns what was written, so removing it later deletes it
    assert set(load_state(state_path).owned("aws/up")) == {"cb"}


def test_a_readback_that_fails_still_records_what_was_written(state_path):
    client = FakeClient({"up": document()})
    cfg = config(bucket("aws/up", s3_rule("cb")))
    the_plan = plan(cfg, {"aws/up": client.documents["up"]})
    reads = 0
    original_read = client.read

    async def read_failing_after_the_guard(bucket_name):
        nonlocal reads
        reads += 1
        if reads > 1:
            raise ProviderError("reading failed", code="InternalError", status=500)
        return await original_read(bucket_name)

    client.read = read_failing_after_the_guard  # type: ignore[method-assign]
    report = run_apply(the_plan, cfg, {"aws": client}, state_path, verify_delays=(0.0,))

    assert statuses(report) == {"aws/up": "failed"}
    assert "reading it back failed" in report.outcomes[0].reason
    assert set(load_state(state_path).owned("aws/up")) == {"cb"}


def test_ordered_readback_must_keep_the_order(state_path):
    client = FakeClient({"up": document()})
    cfg = config(bucket("jd/up", s3_rule("first"), s3_rule("second", events=["s3:ObjectRemoved:*"])))
    the_plan = plan(cfg, {"jd/up": client.documents["up"]})
    original_write = client.write

    async def write_reversed(bucket_name, entries, previous):
        await original_write(bucket_name, list(reversed(entries)), previous)

    client.write = write_reversed  # type: ignore[method-assign]
    report = run_apply(the_plan, cfg, {"jd": client}, state_path)

    assert "in that order" in report.outcomes[0].reason


def test_state_only_changes_are_recorded_without_requests(state_path):
    client = FakeClient({"a": document(live_rule(qs_rule("kept")))})
    cfg = config(bucket("qs/a", qs_rule("kept"), adopt=["kept"]))
    prior = save_state(state_path, StateFile(tool_version="0.1.0", lineage=LINEAGE))
    the_plan = plan(cfg, {"qs/a": client.documents["a"]}, prior)
    client.requests.clear()

    report = run_apply(the_plan, cfg, {"qs": client}, state_path, prior)

    assert statuses(report) == {"qs/a": "unchanged"}
    assert not client.requests
    assert set(load_state(state_path).owned("qs/a")) == {"kept"}


def test_many_buckets_are_all_recorded(state_path):
    names = [f"b{i:02}" for i in range(40)]
    client = FakeClient({n: document() for n in names})
    cfg = config(*(bucket(f"qs/{n}", qs_rule("r")) for n in names))
    the_plan = plan(cfg, {f"qs/{n}": client.documents[n] for n in names})

    report = run_apply(the_plan, cfg, {"qs": client}, state_path)

    assert len(report.with_status("applied")) == 40
    saved = load_state(state_path)
    assert len(saved.buckets) == 40
    assert all(isinstance(doc, LiveDocument) and doc.ids == ["r"] for doc in client.documents.values())


def test_a_state_that_cannot_be_saved_stops_and_says_what_was_written(state_path, monkeypatch):
    monkeypatch.setattr("reconciler.apply.recorder.SMALL_STATE", 0)  # as a state too large to save per bucket
    client = FakeClient({"photos": document(foreign("theirs"))})
    cfg = config(bucket("qs/photos", qs_rule("mine")))
    the_plan = plan(cfg, {"qs/photos": client.documents["photos"]})

    appends = []

    def disk_full(self, records):
        appends.append(records)
        if len(appends) == 1:  # the note of what is about to be written is recorded; the result is not
            return original(self, records)
        raise StateError(f"cannot write the apply journal {self.path}: No space left on device")

    original = Journal.append

    def no_save(self, content, previous):
        raise StateError(f"cannot write {self.where}: No space left on device")

    monkeypatch.setattr("reconciler.state.journal.Journal.append", disk_full)
    monkeypatch.setattr("reconciler.state.store.LocalState.store", no_save)  # the same full disk
    message = "^qs/photos was applied, but the state could not be saved .*No space left"
    with pytest.raises(StateError, match=message) as raised:
        run_apply(the_plan, cfg, {"qs": client}, state_path)
    assert "apply again once the state can be saved" in str(raised.value)
    assert client.documents["photos"].ids == ["theirs", "mine"]
    monkeypatch.undo()
    noted = load_state(state_path)  # the note saved before writing: 'mine' is ours if live as written
    assert list(noted.buckets["qs/photos"].writing) == ["mine"] and not noted.buckets["qs/photos"].rules
    again = plan(cfg, {"qs/photos": client.documents["photos"]}, noted)
    assert again.bucket("qs/photos").error is None
    assert not any(b.writes_document for b in again.buckets)  # the next apply only records it
    # without that note, the same live rule is foreign: taking it over is never silent
    bare = plan(cfg, {"qs/photos": client.documents["photos"]}, StateFile(tool_version="0.1.0", lineage=LINEAGE))
    assert "reconciler import qs/photos/mine" in bare.bucket("qs/photos").error


@pytest.mark.parametrize("kept", ["imported", "released"])
def test_the_guard_never_removes_an_imported_or_released_rule_whatever_the_plan_says(state_path, kept):
    client = FakeClient({"photos": document(live_rule(qs_rule("old")), live_rule(qs_rule("mine")))})
    cfg = config(bucket("qs/photos", qs_rule("mine")))
    owned = state(qs__photos=[qs_rule("old"), qs_rule("mine")])
    the_plan = plan(cfg, {"qs/photos": client.documents["photos"]}, owned)  # planned: delete 'old'
    assert the_plan.bucket("qs/photos").change("old").action.value == "delete"
    now = owned
    if kept == "imported":  # since the plan, 'old' became imported and undeclared
        entry = owned.buckets["qs/photos"].model_copy(update={"imported": ("old",)})
        now = owned.model_copy(update={"buckets": {"qs/photos": entry}})
    else:
        cfg = cfg.model_copy(update={"released": ("qs/photos/old",)})

    with pytest.raises(StalePlanError, match=r"would remove live rule 'old' .* owned but kept by the configuration"):
        run_apply(the_plan, cfg, {"qs": client}, state_path, now)
    assert client.count("write", "photos") == 0


def test_a_rule_noted_by_a_stopped_apply_is_ours_for_the_plan_and_the_guard_alike(state_path):
    client = FakeClient({"photos": document(foreign("theirs"), live_rule(qs_rule("mine")))})
    noted = StateFile(tool_version="0.1.0", lineage=LINEAGE).with_writing(
        "qs/photos",
        provider="qs",
        type="qingstor",
        flavor=None,
        bucket="photos",
        writing={"mine": rule_document(qs_rule("mine"), dialect_for(PROVIDERS["qs"]))},
        live_fingerprint="sha256:" + "0" * 64,
        applied_at=NOW,
    )
    cfg = config(bucket("qs/photos"))  # dropped from the configuration since
    the_plan = plan(cfg, {"qs/photos": client.documents["photos"]}, noted)
    assert the_plan.bucket("qs/photos").change("mine").action.value == "delete"

    report = run_apply(the_plan, cfg, {"qs": client}, state_path, noted)

    assert statuses(report) == {"qs/photos": "applied"}
    assert client.documents["photos"].ids == ["theirs"]


def test_a_final_save_that_fails_loses_nothing_the_journal_holds(state_path, monkeypatch):
    monkeypatch.setattr("reconciler.apply.recorder.SMALL_STATE", 0)  # as a state too large to save per bucket
    client = FakeClient({"photos": document(foreign("theirs"))})
    cfg = config(bucket("qs/photos", qs_rule("mine")))
    the_plan = plan(cfg, {"qs/photos": client.documents["photos"]})

    def disk_full(self, content, previous):
        raise StateError(f"cannot write {self.where}: No space left on device")

    monkeypatch.setattr("reconciler.state.store.LocalState.store", disk_full)
    with pytest.raises(StateError, match="recorded in the apply journal, but the state could not be saved"):
        run_apply(the_plan, cfg, {"qs": client}, state_path)
    monkeypatch.undo()
    assert not state_path.exists()
    assert sorted(load_state(state_path).buckets) == ["qs/photos"]  # read with the journal folded in
    again = plan(cfg, {"qs/photos": client.documents["photos"]}, load_state(state_path))
    assert not any(b.writes_document for b in again.buckets)
