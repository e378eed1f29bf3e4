"""detect_drift: every drift class, ignores, targets and secrets, on in-memory models."""

from __future__ import annotations

import datetime as dt

import pytest

from reconciler.drift.detection import (
    COPIES,
    POSITION,
    WHOLE_RULE,
    BucketStatus,
    DifferenceType,
    DriftStatus,
    ForeignStatus,
    detect_drift,
)
from reconciler.model import Configuration, LiveDocument, LiveRule, QingStorProvider, S3Rule, SecretValue
from reconciler.model.ignore import IgnoreEntry, IgnoreList
from reconciler.plan.model import Action
from reconciler.state.model import StateFile
from tests.support.plans import LINEAGE, NOW, PROVIDERS, bos_rule, bucket, document, qs_rule, s3_rule, state

pytestmark = pytest.mark.unit

live = document


def config(*buckets, providers=("qs", "bj", "jd", "mn")):
    return Configuration(providers={n: PROVIDERS[n] for n in providers}, buckets=buckets)


def state_with(*entries) -> StateFile:
    """A state owning rules per bucket, with the foreign ids seen at the last apply."""
    result = state(**{f"{provider}__{name}": rules for provider, name, rules, _ in entries})
    buckets = dict(result.buckets)
    for provider, name, _, foreign in entries:
        address = f"{provider}/{name}"
        buckets[address] = buckets[address].model_copy(update={"foreign": tuple(foreign)})
    return result.model_copy(update={"buckets": buckets})


def run(configuration, prior, documents, **kwargs):
    return detect_drift(configuration, prior, documents, tool_version="0.1.0", now=NOW, **kwargs)


def only_bucket(report):
    (bucket,) = report.buckets
    return bucket


def test_in_sync_when_live_state_and_configuration_agree():
    rules = (qs_rule("a"), qs_rule("b"))
    report = run(
        config(bucket("qs/p", *rules)),
        state_with(("qs", "p", rules, [])),
        {"qs/p": live(*rules)},
    )
    result = only_bucket(report)
    assert not report.drifted and not report.errored
    assert result.status is BucketStatus.IN_SYNC
    assert [r.status for r in result.managed] == [DriftStatus.IN_SYNC, DriftStatus.IN_SYNC]
    assert result.foreign == () and result.pending == ()
    assert report.summary.total_managed == 2 and report.summary.buckets_in_sync == 1


def test_managed_rule_changed_outside_shows_field_differences():
    applied = (qs_rule("a"),)
    changed = qs_rule("a", notify_url="https://evil/x", event_types=["create_object", "delete_object"])
    report = run(
        config(bucket("qs/p", *applied)),
        state_with(("qs", "p", applied, [])),
        {"qs/p": live(changed)},
    )
    (rule,) = only_bucket(report).managed
    assert rule.status is DriftStatus.MODIFIED and rule.drifted
    by_path = {d.path: d for d in rule.differences}
    assert (
        by_path["notify_url"].expected == "https://hooks.example.com/qs"
        and by_path["notify_url"].actual == "https://evil/x"
    )
    assert by_path["notify_url"].type is DifferenceType.NOT_EQUAL
    assert by_path["event_types"].actual == ["create_object", "delete_object"]
    assert report.drifted and report.summary.total_changed == 1
    # the configuration still equals the state: nothing pending
    assert only_bucket(report).pending == ()


def test_added_and_removed_fields_are_typed():
    applied = (qs_rule("a", notify_url=None, object_filters=["*.jpg"]),)
    live_rule = qs_rule("a", object_filters=[])
    report = run(config(), state_with(("qs", "p", applied, [])), {"qs/p": live(live_rule)})
    types = {d.path: d.type for d in only_bucket(report).managed[0].differences}
    assert types == {"notify_url": DifferenceType.ADD, "object_filters": DifferenceType.REMOVE}


def test_managed_rule_deleted_outside():
    applied = (qs_rule("a"), qs_rule("b"))
    report = run(
        config(bucket("qs/p", *applied)),
        state_with(("qs", "p", applied, [])),
        {"qs/p": live(qs_rule("a"))},
    )
    statuses = {r.id: r.status for r in only_bucket(report).managed}
    assert statuses == {"a": DriftStatus.IN_SYNC, "b": DriftStatus.DELETED}
    assert report.drifted and report.summary.total_missing == 1


@pytest.mark.parametrize(("ownership", "drifted"), [("shared", False), ("exclusive", True), ("observe", False)])
def test_foreign_rule_that_appeared_is_drift_only_on_exclusive_buckets(ownership, drifted):
    mine = (qs_rule("mine"),)
    report = run(
        config(bucket("qs/p", *mine, ownership=ownership)),
        state_with(("qs", "p", mine, ["old-foreign"])),
        {"qs/p": live(qs_rule("old-foreign"), qs_rule("mine"), qs_rule("someone-else"))},
    )
    result = only_bucket(report)
    foreign = {f.id: f for f in result.foreign}
    assert foreign["someone-else"].status is ForeignStatus.NEW
    assert foreign["old-foreign"].status is ForeignStatus.KNOWN and not foreign["old-foreign"].drifted
    assert foreign["someone-else"].drifted is drifted
    assert foreign["someone-else"].live_index == 2
    assert "notifier" in foreign["someone-else"].summary
    assert report.drifted is drifted
    assert report.summary.total_unmanaged == 2 and report.summary.total_unmanaged_new == 1


def test_configuration_not_yet_applied_is_a_separate_section():
    applied = (qs_rule("keep"), qs_rule("edit"), qs_rule("drop"))
    declared = (qs_rule("keep"), qs_rule("edit", notify_url="https://h/new"), qs_rule("add"))
    report = run(
        config(bucket("qs/p", *declared)),
        state_with(("qs", "p", applied, [])),
        {"qs/p": live(*applied)},
    )
    result = only_bucket(report)
    assert all(r.status is DriftStatus.IN_SYNC for r in result.managed)
    pending = {c.id: c for c in result.pending}
    assert {k: v.action for k, v in pending.items()} == {
        "edit": Action.UPDATE,
        "add": Action.CREATE,
        "drop": Action.DELETE,
    }
    (difference,) = pending["edit"].differences
    assert (difference.path, difference.expected, difference.actual) == (
        "notify_url",
        "https://h/new",
        "https://hooks.example.com/qs",
    )
    assert report.drifted and report.summary.total_pending == 3


def test_bucket_removed_from_configuration_pends_deletion_of_its_owned_rules():
    applied = (qs_rule("a"),)
    report = run(config(), state_with(("qs", "p", applied, [])), {"qs/p": live(*applied)})
    result = only_bucket(report)
    assert not result.in_configuration and result.in_state
    assert [(c.id, c.action) for c in result.pending] == [("a", Action.DELETE)]


def test_observe_bucket_compares_declared_rules_with_live_and_never_pends():
    declared = (qs_rule("a"), qs_rule("b"))
    report = run(
        config(bucket("qs/p", *declared, ownership="observe")),
        StateFile(tool_version="0.1.0", lineage="lin"),
        {"qs/p": live(qs_rule("a", notify_url="https://h/other"), qs_rule("c"))},
    )
    result = only_bucket(report)
    assert {r.id: r.status for r in result.managed} == {"a": DriftStatus.MODIFIED, "b": DriftStatus.DELETED}
    assert [f.id for f in result.foreign] == ["c"] and not result.foreign[0].drifted
    assert result.pending == ()


def test_never_applied_bucket_pends_every_declared_rule_and_lists_live_rules_as_foreign():
    declared = (qs_rule("a"),)
    report = run(
        config(bucket("qs/p", *declared)),
        StateFile(tool_version="0.1.0", lineage="lin"),
        {"qs/p": live(qs_rule("x"))},
    )
    result = only_bucket(report)
    assert result.managed == ()
    assert [(c.id, c.action) for c in result.pending] == [("a", Action.CREATE)]
    assert [f.id for f in result.foreign] == ["x"] and not result.foreign[0].drifted


def test_order_matters_only_where_the_provider_says_so():
    applied = (s3_rule("first"), s3_rule("second"))
    report = run(
        config(bucket("jd/u", *applied)),
        state_with(("jd", "u", applied, [])),
        {"jd/u": live(s3_rule("second"), s3_rule("first"))},
    )
    rules = {r.id: r for r in only_bucket(report).managed}
    assert [(d.path, d.expected, d.actual) for d in rules["first"].differences] == [(POSITION, 1, 2)]  # 1-based positions
    assert report.drifted
    # the same swap on an unordered provider is no drift
    qs_applied = (qs_rule("first"), qs_rule("second"))
    report = run(
        config(bucket("qs/p", *qs_applied)),
        state_with(("qs", "p", qs_applied, [])),
        {"qs/p": live(qs_rule("second"), qs_rule("first"))},
    )
    assert not report.drifted


def test_pending_reorder_on_an_ordered_provider():
    applied = (s3_rule("first"), s3_rule("second"))
    report = run(
        config(bucket("jd/u", *reversed(applied))),
        state_with(("jd", "u", applied, [])),
        {"jd/u": live(*applied)},
    )
    assert {c.id for c in only_bucket(report).pending} == {"first", "second"}
    assert all(c.differences[0].path == POSITION for c in only_bucket(report).pending)


def test_server_rewrites_are_not_drift():
    applied = (S3Rule(id="q", type="queue", target="arn:minio:sqs::1:webhook", events=("s3:ObjectCreated:*",)),)
    rewritten = S3Rule(id="q", type="queue", target="arn:minio:sqs:us-east-1:1:webhook", events=("s3:ObjectCreated:*",))
    report = run(
        config(bucket("mn/m", *applied)),
        state_with(("mn", "m", applied, [])),
        {"mn/m": live(rewritten)},
    )
    assert not report.drifted


def test_secrets_are_compared_by_digest_and_never_shown():
    applied = (bos_rule("ocr", secret="s3cr3t-one", ref="BOS_KEY"),)
    # read back from the server: same value, no reference
    same = run(
        config(bucket("bj/d", *applied)),
        state_with(("bj", "d", applied, [])),
        {"bj/d": live(bos_rule("ocr", secret="s3cr3t-one", ref=None))},
    )
    assert not same.drifted
    changed = run(
        config(bucket("bj/d", *applied)),
        state_with(("bj", "d", applied, [])),
        {"bj/d": live(bos_rule("ocr", secret="s3cr3t-two", ref=None))},
    )
    (difference,) = changed.buckets[0].managed[0].differences
    assert difference.path == "encryption.key" and difference.sensitive
    assert difference.expected == difference.actual == "(sensitive value)"
    dumped = changed.model_dump_json()
    assert "s3cr3t" not in dumped and SecretValue.of("s3cr3t-two").digest not in dumped


def test_live_entry_that_fits_no_model_is_a_whole_rule_difference():
    applied = (qs_rule("a"),)
    broken = LiveDocument(rules=(LiveRule(id="a", raw={"id": "a", "cloudfunc": 7}, rule=None),))
    report = run(config(), state_with(("qs", "p", applied, [])), {"qs/p": broken})
    (difference,) = report.buckets[0].managed[0].differences
    assert difference.path == WHOLE_RULE and difference.actual == {"id": "a", "cloudfunc": 7}


def test_duplicate_live_copies_of_a_managed_rule_are_drift():
    applied = (qs_rule("a"),)
    report = run(config(), state_with(("qs", "p", applied, [])), {"qs/p": live(qs_rule("a"), qs_rule("a"))})
    (difference,) = report.buckets[0].managed[0].differences
    assert (difference.path, difference.expected, difference.actual) == (COPIES, 1, 2)


def test_active_ignores_hide_drift_expired_ones_do_not_and_are_reported():
    applied = (qs_rule("a"), qs_rule("b"), qs_rule("c"))
    live_doc = live(qs_rule("a", notify_url="https://h/y"), qs_rule("b", notify_url="https://h/y"), qs_rule("z"))
    today = dt.date(2026, 6, 1)
    ignores = IgnoreList(
        [
            IgnoreEntry(address="qs/p/a:notify_url", reason="hook rotation", expires=today),
            IgnoreEntry(address="qs/p/b", reason="old", expires=today - dt.timedelta(days=1)),
            IgnoreEntry(address="qs/p/c", reason="deleted on purpose", expires=today),
            IgnoreEntry(address="qs/p/z", reason="someone's test", expires=today),
        ],
        today=today,
    )
    report = run(
        config(bucket("qs/p", *applied, ownership="exclusive")),
        state_with(("qs", "p", applied, [])),
        {"qs/p": live_doc},
        ignores=ignores,
    )
    rules = {r.id: r for r in report.buckets[0].managed}
    assert rules["a"].status is DriftStatus.MODIFIED and not rules["a"].drifted
    assert rules["a"].differences[0].ignored.reason == "hook rotation"
    assert rules["b"].drifted  # its entry expired
    assert rules["c"].status is DriftStatus.DELETED and not rules["c"].drifted
    assert not report.buckets[0].foreign[0].drifted
    assert [e.address for e in report.expired_ignores] == ["qs/p/b"]
    assert report.summary.total_ignored == 3
    assert report.summary.total_changed == 1 and report.drifted


def test_unused_ignore_entries_are_reported_for_buckets_checked():
    applied = (qs_rule("a"),)
    today = dt.date(2026, 6, 1)
    ignores = IgnoreList(
        [
            IgnoreEntry(address="qs/p/a", reason="no longer needed", expires=today),
            IgnoreEntry(address="qs/other/a", reason="other bucket", expires=today),
        ],
        today=today,
    )
    report = run(
        config(bucket("qs/p", *applied)),
        state_with(("qs", "p", applied, [])),
        {"qs/p": live(*applied)},
        ignores=ignores,
    )
    assert [e.address for e in report.unused_ignores] == ["qs/p/a"]


def test_targets_narrow_to_buckets_and_rules():
    applied = (qs_rule("a"), qs_rule("b"))
    state = state_with(("qs", "p", applied, []), ("qs", "q", applied, []))
    documents = {"qs/p": live(), "qs/q": live()}
    report = run(config(), state, documents, targets=["qs/p/a"])
    assert [b.address for b in report.buckets] == ["qs/p"]
    assert [r.id for r in report.buckets[0].managed] == ["a"]
    assert [c.id for c in report.buckets[0].pending] == ["a"]
    report = run(config(), state, documents, targets=["qs/q", "qs/q/a"])
    assert [r.id for r in report.buckets[0].managed] == ["a", "b"]


def test_a_bucket_that_could_not_be_read_is_an_error_and_others_still_report():
    applied = (qs_rule("a"),)
    report = run(
        config(),
        state_with(("qs", "p", applied, []), ("qs", "q", applied, [])),
        {"qs/q": live()},
        errors={"qs/p": "qs/p: bucket not found (HTTP 404, code bucket_not_exists)"},
    )
    by_address = {b.address: b for b in report.buckets}
    assert by_address["qs/p"].status is BucketStatus.ERROR and "bucket_not_exists" in by_address["qs/p"].error
    assert by_address["qs/q"].managed[0].status is DriftStatus.DELETED
    assert report.errored and report.drifted and report.summary.buckets_errored == 1


def test_bucket_of_a_provider_no_longer_configured_is_an_error_naming_the_way_out():
    applied = (qs_rule("a"),)
    report = run(config(providers=()), state_with(("qs", "p", applied, [])), {})
    assert "`reconciler state rm qs/p`" in report.buckets[0].error


def test_report_serialises_with_stable_words():
    applied = (qs_rule("a"),)
    report = run(config(), state_with(("qs", "p", applied, [])), {"qs/p": live()})
    dumped = report.model_dump(mode="json")
    assert dumped["timestamp"] == "2026-11-23T10:00:00Z"
    assert dumped["buckets"][0]["managed"][0]["status"] == "DELETED"
    assert dumped["buckets"][0]["pending"][0]["action"] == "delete"
    assert dumped["prior_state"] == {"lineage": LINEAGE, "serial": 3}


def test_a_target_matching_nothing_is_an_error():
    from reconciler.errors import ReconcilerError

    with pytest.raises(ReconcilerError, match="target qs/nope matches no bucket"):
        run(config(), state_with(("qs", "p", (qs_rule("a"),), [])), {}, targets=["qs/nope"])


def test_provider_whose_type_changed_since_the_last_apply_is_an_error():
    applied = (qs_rule("a"),)
    moved = QingStorProvider(name="jd", zone="pek3b")
    state = state_with(("jd", "u", (s3_rule("a"),), []))
    report = run(Configuration(providers={"jd": moved}), state, {"jd/u": live(*applied)})
    assert report.buckets[0].status is BucketStatus.ERROR and "was s3 (jdcloud)" in report.buckets[0].error
