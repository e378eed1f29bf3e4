"""Adopting live rules into the state for `reconciler import`: what is taken, what is skipped and why."""

from __future__ import annotations

import json
import re

import pytest

from reconciler.errors import ReconcilerError
from reconciler.model import LiveDocument
from reconciler.plan.adopt import Adoption, adopt, choose_rules
from tests.support.plans import NOW, PROVIDERS, SECRET, bos_rule, document, foreign, qs_rule, state

pytestmark = pytest.mark.unit


def test_every_live_rule_with_an_id_and_a_model_is_adopted_and_the_rest_skipped_with_why() -> None:
    live = document(
        qs_rule("a"), foreign(None), qs_rule("mine"), foreign("odd"), qs_rule("b"), qs_rule("a", cloudfunc="other")
    )
    adoption = choose_rules(state(qs__photos=[qs_rule("mine")]), "qs/photos", live, None)
    assert adoption == Adoption(
        "qs/photos",
        (qs_rule("a"), qs_rule("b")),
        (
            "qs/photos: the rule at position 1 has no id, so it stays foreign",
            "qs/photos/mine is already managed",
            "qs/photos/odd does not fit the provider's rule format, so it stays foreign",
            "qs/photos/a appears more than once live; the first is imported",
        ),
    )


def test_one_named_rule_is_adopted_alone() -> None:
    live = document(qs_rule("a"), qs_rule("b"))
    assert choose_rules(state(), "qs/photos", live, "b") == Adoption("qs/photos", (qs_rule("b"),))


@pytest.mark.parametrize(
    ("rule_id", "message"),
    [
        ("gone", "cannot import qs/photos/gone: the live bucket has no rule 'gone' (it has: mine, odd)"),
        ("mine", "cannot import qs/photos/mine: it is already managed (recorded in the state)"),
        ("odd", "cannot import qs/photos/odd: the live rule does not fit the provider's rule format"),
    ],
)
def test_a_named_rule_that_cannot_be_adopted_is_one_clear_error(rule_id: str, message: str) -> None:
    live = document(qs_rule("mine"), foreign("odd"))
    with pytest.raises(ReconcilerError, match=re.escape(message)):
        choose_rules(state(qs__photos=[qs_rule("mine")]), "qs/photos", live, rule_id)


@pytest.mark.parametrize(
    ("live", "message"),
    [
        (document(), "nothing to import in qs/photos: the live bucket has no notification rules"),
        (document(foreign(None)), "nothing to import in qs/photos: qs/photos: the rule at position 0 has no id"),
    ],
)
def test_nothing_to_adopt_is_an_error_naming_why(live: LiveDocument, message: str) -> None:
    with pytest.raises(ReconcilerError, match=re.escape(message)):
        choose_rules(state(), "qs/photos", live, None)


def test_adopt_records_rules_as_managed_with_secrets_as_digests_and_the_rest_foreign() -> None:
    prior = state(bj__docs=[bos_rule("kept")])
    live = document(bos_rule("kept"), bos_rule("ocr"), foreign("theirs"))
    adoption = choose_rules(prior, "bj/docs", live, "ocr")
    after = adopt(prior, PROVIDERS["bj"], "docs", live, adoption, applied_at=NOW)
    recorded = after.buckets["bj/docs"]
    assert sorted(recorded.rules) == ["kept", "ocr"]
    assert recorded.foreign == ("theirs",)
    assert recorded.live_fingerprint == live.fingerprint
    assert recorded.applied_at == NOW and recorded.type == "bos" and recorded.bucket == "docs"
    assert SECRET not in json.dumps(after.to_document())
    assert after.serial == prior.serial  # the store moves the serial when it saves


def test_an_import_keeps_a_pending_state_mv_rename_of_the_bucket() -> None:
    """`state mv a z` then `import` of another rule: the live `a` is still ours, renamed at the next
    apply (not forgotten as gone while `z` is created beside it, so both would fire)."""
    prior = state(qs__b=[qs_rule("a")]).moved("qs/b/a", "qs/b/z")
    live = document(qs_rule("a"), qs_rule("c"))
    after = adopt(prior, PROVIDERS["qs"], "b", live, choose_rules(prior, "qs/b", live, "c"), applied_at=NOW)
    assert after.buckets["qs/b"].renamed == {"z": "a"}
    again = adopt(prior, PROVIDERS["qs"], "b", live, choose_rules(prior, "qs/b", live, "a"), applied_at=NOW)
    assert again.buckets["qs/b"].renamed == {}  # the old id imported on its own: no rename onto it
