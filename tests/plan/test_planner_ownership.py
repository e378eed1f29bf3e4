"""build_plan: ownership modes, removed buckets, targets, errors, JD Cloud order, and the
promise that a plan applied faithfully leaves nothing to plan."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from reconciler.errors import ReconcilerError
from reconciler.model import LiveDocument
from reconciler.plan import Action, Reason, buckets_to_read, state_after
from reconciler.plan.model import ManagedSlot
from tests.support.plans import (
    NOW,
    bucket,
    config,
    document,
    foreign,
    plan,
    qs_rule,
    s3_rule,
    state,
    written,
)

pytestmark = pytest.mark.unit


def slots(change) -> list:
    return [s.managed if isinstance(s, ManagedSlot) else s.live_index for s in change.layout]


# --- ownership ----------------------------------------------------------------------------------


def test_shared_keeps_every_foreign_rule_in_its_slot() -> None:
    live = {"qs/b": document(foreign("f1"), qs_rule("r"), foreign("f2"))}
    result = plan(
        config(bucket("qs/b", qs_rule("r", cloudfunc="image", cloudfunc_args={"action": "a"}), qs_rule("n"))), live
    )
    change = result.bucket("qs/b")
    assert slots(change) == [0, "r", 2, "n"]
    assert [(f.id, f.disposition) for f in change.foreign] == [("f1", "keep"), ("f2", "keep")]
    assert (change.rule_count_before, change.rule_count_after) == (3, 4)
    assert (result.summary.foreign_kept, result.summary.foreign_removed) == (2, 0)


def test_exclusive_removes_foreign_rules() -> None:
    live = {"qs/b": document(foreign("f1"), qs_rule("r"))}
    result = plan(config(bucket("qs/b", qs_rule("r"), ownership="exclusive")), live)
    change = result.bucket("qs/b")
    assert change.action is Action.UPDATE and slots(change) == ["r"]
    assert [(f.id, f.disposition) for f in change.foreign] == [("f1", "remove")]
    assert (result.summary.foreign_kept, result.summary.foreign_removed) == (0, 1)


def test_exclusive_with_only_foreign_rules_clears_the_document() -> None:
    result = plan(config(bucket("qs/b", ownership="exclusive")), {"qs/b": document(foreign("f"))})
    assert result.bucket("qs/b").action is Action.DELETE and result.has_changes


def test_observe_lists_differences_but_never_writes_or_counts() -> None:
    live = {"qs/b": document(foreign("f"), qs_rule("r"), qs_rule("old"))}
    cfg = config(
        bucket(
            "qs/b", qs_rule("r", cloudfunc="image", cloudfunc_args={"action": "a"}), qs_rule("n"), ownership="observe"
        )
    )
    result = plan(cfg, live, state(qs__b=[qs_rule("old"), qs_rule("gone")]))
    change = result.bucket("qs/b")
    assert change.action is Action.READ and not change.writes_document and not change.changes_state
    assert {c.rule_id: c.action.value for c in change.changes} == {
        "r": "update",
        "n": "create",
        "old": "delete",
        "gone": "forget",
    }
    assert slots(change) == [0, 1, 2] and change.rule_count_after == 3
    assert result.summary.model_dump() == dict.fromkeys(result.summary.model_dump(), 0)
    assert not result.has_changes


def test_removed_bucket_deletes_owned_rules_and_keeps_foreign() -> None:
    live = {"qs/b": document(qs_rule("mine"), foreign("theirs"), qs_rule("undeclared-never-owned"))}
    result = plan(config(providers=["qs"]), live, state(qs__b=[qs_rule("mine")]))
    change = result.bucket("qs/b")
    assert [(c.rule_id, c.action.value, c.reason) for c in change.changes] == [
        ("mine", "delete", Reason.BUCKET_NOT_IN_CONFIGURATION)
    ]
    assert change.action is Action.UPDATE and slots(change) == [1, 2]


def test_removed_bucket_with_nothing_foreign_clears_the_document() -> None:
    result = plan(config(providers=["qs"]), {"qs/b": document(qs_rule("mine"))}, state(qs__b=[qs_rule("mine")]))
    change = result.bucket("qs/b")
    assert change.action is Action.DELETE and change.layout == () and change.rule_count_after == 0


def test_removed_provider_is_reported_with_what_to_do() -> None:
    prior = state(qs__b=[qs_rule("r")], aws__b=[s3_rule("r")])
    cfg = config(bucket("aws/b", s3_rule("r")))
    result = plan(cfg, {"aws/b": document(s3_rule("r"))}, prior)
    assert result.errored
    assert result.errors == [
        "qs/b: provider 'qs' is no longer configured, so this bucket cannot be read; restore the provider in "
        "the configuration, or run `reconciler state rm qs/b` to forget its rules"
    ]
    assert [r.address for r in buckets_to_read(cfg, prior)] == ["aws/b"]


def test_provider_whose_type_changed_is_reported() -> None:
    from reconciler.model import S3Provider

    cfg = config(bucket("qs/b"))
    cfg = cfg.model_copy(update={"providers": {"qs": S3Provider(name="qs")}})
    result = plan(cfg, {"qs/b": LiveDocument()}, state(qs__b=[qs_rule("r")]))
    assert "was qingstor when last applied and is now s3 (aws)" in result.errors[0]


def test_bucket_not_read_is_errored_with_the_read_error() -> None:
    from reconciler.plan.planner import build_plan
    from reconciler.state.model import StateFile
    from tests.support.plans import LINEAGE

    cfg = config(bucket("qs/a", qs_rule("r")), bucket("qs/b", qs_rule("r")))
    result = build_plan(
        cfg,
        {"qs/a": document()},
        StateFile(tool_version="0.1.0", lineage=LINEAGE),
        tool_version="0.1.0",
        now=NOW,
        read_errors={"qs/b": "qs/b: access denied (HTTP 403, code permission_denied)"},
    )
    assert result.errors == ["qs/b: live document not read: qs/b: access denied (HTTP 403, code permission_denied)"]
    assert result.bucket("qs/b").changes == () and result.summary.add == 1


# --- targets ---------------------------------------------------------------------------------------


def two_buckets():
    cfg = config(bucket("qs/a", qs_rule("r1"), qs_rule("r2")), bucket("qs/b", qs_rule("x")))
    live = {
        "qs/a": document(qs_rule("r2", cloudfunc="image", cloudfunc_args={"action": "z"}), qs_rule("old")),
        "qs/b": document(),
    }
    return cfg, live, state(qs__a=[qs_rule("old"), qs_rule("r2")])


def test_bucket_target_limits_the_plan_to_that_bucket() -> None:
    cfg, live, prior = two_buckets()
    result = plan(cfg, live, prior, targets=["qs/b"])
    assert [b.address for b in result.buckets] == ["qs/b"] and result.targets == ("qs/b",)
    assert [r.address for r in buckets_to_read(cfg, prior, ["qs/b"])] == ["qs/b"]


def test_rule_target_changes_only_that_rule_and_leaves_the_rest_as_live() -> None:
    cfg, live, prior = two_buckets()
    change = plan(cfg, live, prior, targets=["qs/a/r1"]).bucket("qs/a")
    assert [(c.rule_id, c.action.value) for c in change.changes] == [("r1", "create")]
    assert change.partial and slots(change) == [0, 1, "r1"]


def test_rule_and_bucket_targets_together_plan_the_whole_bucket() -> None:
    cfg, live, prior = two_buckets()
    change = plan(cfg, live, prior, targets=["qs/a/r1", "qs/a"]).bucket("qs/a")
    assert not change.partial and {c.rule_id for c in change.changes} == {"r1", "r2", "old"}


def test_rule_target_on_exclusive_bucket_keeps_foreign_rules() -> None:
    cfg = config(bucket("qs/b", qs_rule("r"), ownership="exclusive"))
    change = plan(cfg, {"qs/b": document(foreign("f"))}, targets=["qs/b/r"]).bucket("qs/b")
    assert [f.disposition for f in change.foreign] == ["keep"] and slots(change) == [0, "r"]


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("qs", "invalid target: 'qs' is not an address"),
        ("qs//r", "invalid target"),
        ("qs/nope", "target qs/nope matches no bucket in the configuration or the state"),
        ("qs/a/nope", "target qs/a/nope matches no rule in the configuration or the state"),
    ],
)
def test_bad_targets_are_refused_clearly(target: str, message: str) -> None:
    cfg, live, prior = two_buckets()
    with pytest.raises(ReconcilerError, match=message.replace("(", r"\(")):
        plan(cfg, live, prior, targets=[target])


def test_rule_ids_may_contain_slashes_in_targets() -> None:
    cfg = config(bucket("aws/b", s3_rule("team/a"), s3_rule("team/b")))
    change = plan(cfg, {"aws/b": document()}, targets=["aws/b/team/a"]).bucket("aws/b")
    assert [c.rule_id for c in change.changes] == ["team/a"]


# --- order: JD Cloud (first match wins) ---------------------------------------------------------------


def test_jdcloud_reorder_is_an_update_with_positions() -> None:
    cfg = config(bucket("jd/b", s3_rule("a"), s3_rule("b")))
    change = plan(cfg, {"jd/b": document(s3_rule("b"), s3_rule("a"))}).bucket("jd/b")
    moved = [c for c in change.changes if c.action is Action.UPDATE]
    assert len(moved) == 1 and moved[0].reason == Reason.MOVED
    assert moved[0].before == moved[0].after and moved[0].fields == ()
    assert moved[0].before_position != moved[0].after_position
    assert slots(change) == ["a", "b"] and change.action is Action.UPDATE


def test_jdcloud_swap_moves_the_two_swapped_rules_and_not_the_one_in_place() -> None:
    cfg = config(bucket("jd/b", s3_rule("c"), s3_rule("b"), s3_rule("a")))
    change = plan(cfg, {"jd/b": document(s3_rule("a"), s3_rule("b"), s3_rule("c"))}).bucket("jd/b")
    moves = {c.rule_id: (c.before_position, c.after_position) for c in change.changes if c.reason == Reason.MOVED}
    assert moves == {"a": (0, 2), "c": (2, 0)}
    assert slots(change) == ["c", "b", "a"]


def test_unordered_dialect_never_reports_order() -> None:
    cfg = config(bucket("qs/b", qs_rule("a"), qs_rule("b")))
    change = plan(cfg, {"qs/b": document(qs_rule("b"), qs_rule("a"))}).bucket("qs/b")
    assert change.action is Action.NO_OP and {c.before_position for c in change.changes} == {None}


def test_jdcloud_new_rule_goes_after_its_predecessor_and_foreign_rules_keep_their_place() -> None:
    cfg = config(bucket("jd/b", s3_rule("a"), s3_rule("new"), s3_rule("b")))
    change = plan(cfg, {"jd/b": document(s3_rule("a"), foreign("f"), s3_rule("b"))}).bucket("jd/b")
    assert slots(change) == ["a", "new", 1, "b"]
    assert {c.rule_id: c.action.value for c in change.changes} == {"a": "no-op", "new": "create", "b": "no-op"}
    assert change.change("b").before_position == 2 and change.change("b").after_position == 3


def test_jdcloud_first_new_rule_goes_before_every_managed_rule() -> None:
    cfg = config(bucket("jd/b", s3_rule("new"), s3_rule("a")))
    change = plan(cfg, {"jd/b": document(foreign("f"), s3_rule("a"))}).bucket("jd/b")
    assert slots(change) == [0, "new", "a"]


# --- apply, then plan: always empty -------------------------------------------------------------------

RULE_IDS = ["a", "b", "c", "d"]


@st.composite
def scenarios(draw):
    provider = draw(st.sampled_from(["qs", "jd"]))
    make = (
        (lambda i, v: qs_rule(i, event_types=["create_object", "delete_object"][: v + 1]))
        if provider == "qs"
        else (lambda i, v: s3_rule(i, events=["s3:ObjectCreated:*", "s3:ObjectRemoved:*"][: v + 1]))
    )
    desired = draw(st.permutations(RULE_IDS).map(lambda ids: ids[: draw(st.integers(0, 4))]))
    entries = []
    for rule_id in draw(st.lists(st.sampled_from(RULE_IDS + ["f1", "f2", None]), max_size=6)):
        if rule_id in RULE_IDS:
            entries.append(make(rule_id, draw(st.integers(0, 1))))
        else:
            entries.append(foreign(rule_id, raw={"id": rule_id, "n": len(entries)}))
    owned = draw(st.lists(st.sampled_from(RULE_IDS), unique=True))
    ownership = draw(st.sampled_from(["shared", "exclusive"]))
    present = draw(st.booleans()) or not owned
    address = f"{provider}/b"
    cfg = (
        config(bucket(address, *[make(i, 0) for i in desired], ownership=ownership), providers=[provider])
        if present
        else config(providers=[provider])
    )
    return (
        address,
        cfg,
        {address: document(*entries)},
        state(**({f"{provider}__b": [make(i, 1) for i in owned]} if owned else {})),
    )


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_applying_a_plan_then_planning_again_is_empty(scenario) -> None:
    address, cfg, live, prior = scenario
    if address not in prior.buckets and cfg.bucket(address) is None:
        return  # nothing to plan at all
    first = plan(cfg, live, prior)
    after_live = written(first, live)
    after_state = prior
    for change in first.buckets:
        if change.changes_state:
            after_state = state_after(
                after_state, change, live_fingerprint=after_live[change.address].fingerprint, applied_at=NOW
            )
    again = plan(cfg, after_live, after_state)
    assert not again.has_changes, again.to_document()
    assert all(b.action is Action.NO_OP for b in again.buckets)
    # and nothing foreign was lost in a shared bucket
    entry = cfg.bucket(address)
    if entry is None or entry.ownership == "shared":
        foreign_before = [e.raw for e in live[address].rules if not _managed(e.id, cfg, prior, address)]
        foreign_after = [e.raw for e in after_live[address].rules if not _managed(e.id, cfg, prior, address)]
        assert foreign_after == foreign_before


def _managed(rule_id, cfg, prior, address) -> bool:
    entry = cfg.bucket(address)
    return rule_id is not None and (
        rule_id in prior.owned(address) or (entry is not None and any(r.id == rule_id for r in entry.notifications))
    )


def test_a_state_mv_rename_whose_old_id_is_gone_does_not_take_over_another_rule_live_under_the_new_id() -> None:
    """`state mv a z`, then `a` is gone live and a rule `z` reconciler did not write is there: refused,
    not deleted or updated as ours; a `z` live as recorded (renamed by hand) stays ours."""
    prior = state(qs__b=[qs_rule("a"), qs_rule("keep")]).moved("qs/b/a", "qs/b/z")
    theirs = {"qs/b": document(qs_rule("z", cloudfunc="image", cloudfunc_args={"action": "x"}), qs_rule("keep"))}
    for cfg in (config(bucket("qs/b", qs_rule("keep"))), config(bucket("qs/b", qs_rule("keep"), qs_rule("z")))):
        change = plan(cfg, theirs, prior).bucket("qs/b")
        assert change.refused and "a live rule has that id" in (change.error or "")
    by_hand = {"qs/b": document(qs_rule("z"), qs_rule("keep"))}
    change = plan(config(bucket("qs/b", qs_rule("keep"))), by_hand, prior).bucket("qs/b")
    assert change.error is None and change.change("z").action is Action.DELETE
