"""The ownership-and-order policy alone (reconciler/plan/ownership.py): no server, no I/O."""

from __future__ import annotations

import pytest

from reconciler.plan.ownership import BucketPolicy, Refused, Undeclared, moved_rules, relative_positions
from reconciler.state.model import BucketState
from tests.support.plans import NOW, bucket, document, foreign, qs_rule


def recorded(*rule_ids: str, imported: tuple[str, ...] = ()) -> BucketState:
    return BucketState(
        provider="qs",
        type="qingstor",
        bucket="b",
        rules={rule_id: {"id": rule_id} for rule_id in rule_ids},
        imported=imported,
        live_fingerprint="sha256:" + "0" * 64,
        applied_at=NOW,
    )


def test_managed_means_declared_or_owned_and_everything_else_is_foreign() -> None:
    policy = BucketPolicy.of("qs/b", bucket("qs/b", qs_rule("d")), recorded("o"))
    assert policy.is_managed("d") and policy.is_managed("o")
    assert not policy.is_managed("f") and not policy.is_managed(None)


def test_the_fate_of_an_owned_rule_no_longer_declared() -> None:
    policy = BucketPolicy.of("qs/b", bucket("qs/b"), recorded("gone", "imp", "rel", imported=("imp",)), ["qs/b/rel"])
    assert policy.undeclared("gone") is Undeclared.DELETE
    assert policy.undeclared("imp") is Undeclared.KEEP
    assert policy.undeclared("rel") is Undeclared.RELEASE
    whole = BucketPolicy.of("qs/b", None, recorded("a"), ["qs/b"])
    assert whole.ownership == "release" and whole.undeclared("a") is Undeclared.RELEASE


def test_only_rules_the_policy_lets_go_may_be_left_out_of_a_written_document() -> None:
    policy = BucketPolicy.of("qs/b", bucket("qs/b", qs_rule("d")), recorded("gone", "imp", imported=("imp",)))
    assert policy.may_remove("gone", partial=False) and policy.may_remove("d", partial=False)
    assert not policy.may_remove("imp", partial=False) and not policy.may_remove("f", partial=False)
    exclusive = BucketPolicy.of("qs/b", bucket("qs/b", ownership="exclusive"), None)
    assert exclusive.may_remove("f", partial=False) and not exclusive.may_remove("f", partial=True)
    released = BucketPolicy.of("qs/b", bucket("qs/b"), recorded("rel", "kept"), ["qs/b/rel"])
    assert not released.may_remove("rel", partial=False) and released.may_remove("kept", partial=False)
    whole = BucketPolicy.of("qs/b", bucket("qs/b", ownership="release"), recorded("a"))
    assert not whole.may_remove("a", partial=False) and not whole.may_remove("f", partial=False)


def test_adoption_needs_the_id_in_adopt() -> None:
    live = document(foreign("legacy"), qs_rule("mine"))
    allowed = BucketPolicy.of("qs/b", bucket("qs/b", qs_rule("legacy"), adopt=["legacy"]), None)
    assert allowed.adoptions(live) == ["legacy"]
    refused = BucketPolicy.of("qs/b", bucket("qs/b", qs_rule("legacy")), None)
    with pytest.raises(Refused, match=r"add `adopt: \[legacy\]` to the bucket entry qs/b"):
        refused.adoptions(live)
    assert refused.adoptions(live, scope=frozenset({"other"})) == []  # outside the rule targets


def test_a_managed_id_held_twice_is_refused_a_foreign_one_is_not() -> None:
    policy = BucketPolicy.of("qs/b", bucket("qs/b", qs_rule("r")), None)
    policy.check_duplicates(document(foreign("f"), foreign("f"), qs_rule("r")))
    with pytest.raises(Refused, match=r"'r' at positions 1, 3"):
        policy.check_duplicates(document(qs_rule("r"), foreign("f"), qs_rule("r")))


@pytest.mark.parametrize(
    ("actual", "wanted", "moved"),
    [
        (["a", "b", "c"], ["a", "b", "c"], set()),
        (["b", "a"], ["a", "b"], {"a"}),  # one move is enough; a tie keeps the earlier live rule
        (["c", "b", "a"], ["a", "b", "c"], {"a", "c"}),  # the one in place stays
        (["b", "c", "a"], ["a", "b", "c"], {"a"}),
        (["x", "a", "b"], ["b", "y", "a"], {"b"}),  # ids on one side only are ignored
    ],
)
def test_one_order_comparison(actual, wanted, moved) -> None:
    assert moved_rules(actual, wanted) == moved


def test_drift_positions_come_from_the_same_comparison() -> None:
    assert relative_positions(["a", "b", "c"], ["a", "b", "c"]) == {}
    assert relative_positions(["a", "b"], ["b", None, "a"]) == {"a": (1, 2), "b": (2, 1)}


def test_read_back_names_the_rules_out_of_order_with_the_same_comparison() -> None:
    from reconciler.apply.document import readback_mismatch
    from reconciler.kinds import dialect_for
    from tests.support.plans import PROVIDERS, s3_rule

    written = [s3_rule("a"), s3_rule("b"), s3_rule("c")]
    read = document(s3_rule("c"), s3_rule("a"), s3_rule("b"))
    jdcloud, aws = dialect_for(PROVIDERS["jd"]), dialect_for(PROVIDERS["aws"])
    assert readback_mismatch(jdcloud, written, read) == (
        "rules ['a', 'b', 'c'] were written in that order but ['c', 'a', 'b'] were read back (c out of place)"
    )
    assert readback_mismatch(aws, written, read) is None  # order means nothing there
    assert readback_mismatch(jdcloud, written, document(*written)) is None
