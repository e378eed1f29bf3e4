"""The plan model's own contract, its document round trip, and the helpers apply relies on."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from pydantic import ValidationError

from reconciler.config.secrets import secret_resolver
from reconciler.errors import CredentialError, PlanFileError, StalePlanError
from reconciler.kinds import dialect_for
from reconciler.model import EnvRef, FileRef, SecretValue
from reconciler.plan import Action, Plan, RuleChange, rule_from_after, state_after
from reconciler.plan.diff import field_changes
from reconciler.plan.model import BucketChange, ForeignRule, LiveSlot, ManagedSlot
from tests.support.plans import (
    NOW,
    PROVIDERS,
    SECRET,
    bos_rule,
    bucket,
    config,
    document,
    foreign,
    plan,
    qs_rule,
    s3_rule,
    state,
)

pytestmark = pytest.mark.unit

SCHEMA = json.loads((Path(__file__).parents[2] / "schemas" / "plan.schema.json").read_text())
RULE = {"id": "r", "x": 1}


def change(action: str, before, after, **extra) -> RuleChange:
    return RuleChange(address="qs/b/r", rule_id="r", actions=(Action(action),), before=before, after=after, **extra)


# --- RuleChange contract ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "before", "after", "message"),
    [
        ("create", RULE, RULE, "create needs after and no before"),
        ("create", None, None, "create needs after and no before"),
        ("delete", RULE, RULE, "delete needs before and no after"),
        ("forget", None, None, "forget needs before and no after"),
        ("update", None, RULE, "update needs both before and after"),
        ("no-op", RULE, {"id": "r", "x": 2}, "no-op with differing before and after"),
        ("update", RULE, RULE, "an update without a content difference must be a move"),
        ("read", RULE, RULE, "'read' is not a rule action"),
    ],
)
def test_rule_change_asserts_its_contract(action, before, after, message) -> None:
    with pytest.raises(ValidationError, match=message):
        change(action, before, after)


def test_rule_change_has_exactly_one_action_and_a_matching_address() -> None:
    with pytest.raises(ValidationError, match="exactly one action"):
        RuleChange(address="qs/b/r", rule_id="r", actions=(Action.DELETE, Action.CREATE), before=RULE, after=RULE)
    with pytest.raises(ValidationError, match="does not end with the rule id"):
        RuleChange(address="qs/b/other", rule_id="r", actions=(Action.CREATE,), after=RULE)


def test_a_change_writes_the_rule_it_names() -> None:
    with pytest.raises(ValidationError, match="its 'after' is the rule 'other', not 'r'"):
        change("create", None, {"id": "other"})


def test_a_move_may_keep_its_content() -> None:
    assert change("update", RULE, RULE, reason="moved", before_position=1, after_position=0).action is Action.UPDATE


# --- BucketChange contract --------------------------------------------------------------------------


THEIRS, MINE = LiveSlot(live_index=0), ManagedSlot(managed="r")


def bucket_change(**fields) -> BucketChange:
    base = dict(
        address="qs/b",
        provider="qs",
        type="qingstor",
        bucket="b",
        live_fingerprint="sha256:" + "0" * 64,
        action=Action.UPDATE,
        changes=(change("create", None, RULE),),
        foreign=(ForeignRule(id="f", live_index=0, disposition="keep"),),
        rule_count_before=1,
        rule_count_after=2,
        layout=(LiveSlot(live_index=0), ManagedSlot(managed="r")),
    )
    base.update(fields)
    return BucketChange(**base)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"layout": (ManagedSlot(managed="zz"), LiveSlot(live_index=0))}, "has no change with an after"),
        ({"layout": (LiveSlot(live_index=1), ManagedSlot(managed="r"))}, "live_index 1 is out of range"),
        ({"rule_count_after": 5}, "rule_count_after does not match"),
        ({"action": Action.NO_OP}, "does not match its rule changes"),
        ({"action": Action.READ}, "observe buckets, and only they, are read-only"),
        ({"action": Action.FORGET}, "'forget' is not a bucket action"),
        ({"address": "qs/other"}, "address is not <provider>/<bucket>"),
        ({"error": "boom"}, "an errored bucket plans nothing"),
        ({"live_fingerprint": None}, "live_fingerprint is required"),
        ({"layout": (MINE,), "rule_count_after": 1}, "foreign rule 'f' \\(live_index 0\\) is kept but"),
        ({"layout": (THEIRS, THEIRS, MINE), "rule_count_after": 3}, "writes live_index 0 more than once"),
        ({"layout": (THEIRS, MINE, MINE), "rule_count_after": 3}, "writes rule 'r' more than once"),
        ({"layout": (THEIRS,), "rule_count_after": 1}, "rules \\['r'\\] have no slot in the layout"),
        (
            {"foreign": (ForeignRule(id="f", live_index=0, disposition="remove"),), "layout": (MINE,)}
            | {"rule_count_after": 1},
            "only an exclusive bucket removes foreign rules",
        ),
        ({"foreign": ()}, "keeps live entries that are not foreign rules"),
        ({"foreign": (ForeignRule(id="f", live_index=3, disposition="keep"),)}, "distinct live entries in range"),
        ({"changes": (change("create", None, RULE),) * 2}, "more than one change writes rule 'r'"),
    ],
)
def test_bucket_change_asserts_its_contract(fields, message) -> None:
    with pytest.raises(ValidationError, match=message):
        bucket_change(**fields)


def test_plan_names_each_bucket_once() -> None:
    result = plan(config(bucket("qs/b", qs_rule("r"))), {"qs/b": document()})
    document_ = result.to_document()
    with pytest.raises(ValidationError, match="bucket qs/b appears more than once"):
        Plan.model_validate({**document_, "buckets": document_["buckets"] * 2})


def test_plan_errored_flag_must_match_its_buckets() -> None:
    result = plan(config(bucket("qs/b", qs_rule("r"))), {"qs/b": document()})
    with pytest.raises(ValidationError, match="errored must be true exactly when"):
        Plan.model_validate({**result.to_document(), "errored": True})


# --- the document --------------------------------------------------------------------------------------


def rich_plan() -> Plan:
    cfg = config(
        bucket("qs/b", qs_rule("r", cloudfunc="image", cloudfunc_args={"action": "a"}), qs_rule("n")),
        bucket("bj/b", bos_rule("k", secret="rotated")),
        bucket("jd/b", s3_rule("a"), s3_rule("b")),
        bucket("aws/b", s3_rule("x"), ownership="observe"),
    )
    live = {
        "qs/b": document(foreign("f"), qs_rule("r"), qs_rule("old")),
        "bj/b": document(bos_rule("k")),
        "jd/b": document(s3_rule("b"), s3_rule("a")),
        "aws/b": document(),
    }
    prior = state(
        qs__b=[qs_rule("r"), qs_rule("old"), qs_rule("gone")], bj__b=[bos_rule("k")], jd__b=[s3_rule("a"), s3_rule("b")]
    )
    return plan(cfg, live, prior)


def test_document_round_trips_and_validates_against_the_schema() -> None:
    original = rich_plan()
    document_ = json.loads(json.dumps(original.to_document()))
    jsonschema.Draft7Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(document_)
    assert Plan.from_document(document_) == original
    assert document_["timestamp"] == "2026-11-23T10:00:00Z"
    assert list(document_)[:6] == ["format_version", "tool_version", "timestamp", "prior_state", "errored", "summary"]


def test_errored_plan_validates_against_the_schema() -> None:
    result = plan(config(bucket("qs/b", qs_rule("r"))), {})
    assert result.errored
    jsonschema.Draft7Validator(SCHEMA).validate(json.loads(json.dumps(result.to_document())))


@pytest.mark.parametrize(
    ("document_", "message"),
    [
        ([], "is not a reconciler plan \\(expected a JSON object\\)"),
        ({"buckets": []}, "is not a reconciler plan \\(no format_version\\)"),
        ({"format_version": "2.0"}, "has plan format 2.0; this reconciler reads format 1.1"),
        ({"format_version": "1.2", "new": 1}, "has plan format 1.2; this reconciler reads format 1.1"),
        ({"format_version": "one"}, "is not a reconciler plan \\(no format_version\\)"),
        ({"format_version": "1.0", "tool_version": "0.1.0"}, "is not a valid plan: timestamp: required field is missing"),
    ],
)
def test_reading_a_bad_document_names_the_problem(document_, message) -> None:
    with pytest.raises(PlanFileError, match=f"^plan.json {message}"):
        Plan.from_document(document_, source="plan.json")


# --- rule_from_after: what apply writes ---------------------------------------------------------------------


def test_rule_from_after_restores_the_secret_from_its_reference() -> None:
    bos = dialect_for(PROVIDERS["bj"])
    after = rich_plan().bucket("bj/b").change("k").after
    rule = rule_from_after(bos, after, secret_resolver({"BOS_KEY": "rotated"}))
    assert rule.encryption.key.reveal() == "rotated"
    assert rule == bos_rule("k", secret="rotated")


def test_rule_from_after_refuses_a_secret_changed_since_the_plan() -> None:
    after = rich_plan().bucket("bj/b").change("k").after
    with pytest.raises(StalePlanError, match=r"^Saved plan is stale: rule 'k': secret encryption.key changed since the plan was made; run plan again$"):
        rule_from_after(dialect_for(PROVIDERS["bj"]), after, secret_resolver({"BOS_KEY": "something else"}))


def test_rule_from_after_refuses_an_unresolvable_reference() -> None:
    after = rich_plan().bucket("bj/b").change("k").after
    with pytest.raises(CredentialError, match="BOS_KEY"):
        rule_from_after(dialect_for(PROVIDERS["bj"]), after, secret_resolver({}))


def test_rule_from_after_reads_file_references(tmp_path) -> None:
    secret_file = tmp_path / "key"
    secret_file.write_text("from-a-file\n")
    rule = bos_rule("k", secret=None, encryption={"key": SecretValue.of("from-a-file", FileRef(file=str(secret_file)))})
    after = plan(config(bucket("bj/b", rule)), {"bj/b": document()}).bucket("bj/b").change("k").after
    assert rule_from_after(dialect_for(PROVIDERS["bj"]), after, secret_resolver({})).encryption.key.reveal() == "from-a-file"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"status": 5}, "rule 'k' is not a valid bos rule: status: must be a string, not a number"),
        ({"surprise": 1}, "rule 'k' is not a valid bos rule: surprise: unknown field"),
        ({"encryption": {"key": SECRET}}, "rule 'k': secret encryption.key is not a digest with a reference"),
        ({"encryption": {"key": {"digest": 5}}}, "rule 'k': secret encryption.key: digest: must be a string, not a number"),
    ],
)
def test_rule_from_after_refuses_an_edited_rule_without_showing_values(edit, message) -> None:
    after = {**rich_plan().bucket("bj/b").change("k").after, **edit}
    with pytest.raises(PlanFileError, match=f"^{message}") as raised:
        rule_from_after(dialect_for(PROVIDERS["bj"]), after, secret_resolver({"BOS_KEY": "rotated"}))
    assert SECRET not in str(raised.value)


def test_rule_from_after_without_secrets_is_the_plain_model() -> None:
    after = plan(config(bucket("aws/b", s3_rule("x"))), {"aws/b": document()}).bucket("aws/b").change("x").after
    assert rule_from_after(dialect_for(PROVIDERS["aws"]), after, secret_resolver({})) == s3_rule("x")


def test_a_secret_without_reference_cannot_be_rewritten() -> None:
    after = bos_rule("k", ref=None).model_dump(mode="json")
    with pytest.raises(CredentialError, match="no reference"):
        rule_from_after(dialect_for(PROVIDERS["bj"]), after, secret_resolver({"BOS_KEY": SECRET}))


# --- state_after: what the state records once a bucket is applied ---------------------------------------------


def test_state_after_records_layout_rules_drops_deleted_and_forgotten_and_notes_foreign() -> None:
    result = rich_plan()
    prior = state(qs__b=[qs_rule("old"), qs_rule("gone")])
    after = state_after(prior, result.bucket("qs/b"), live_fingerprint="sha256:" + "1" * 64, applied_at=NOW)
    entry = after.buckets["qs/b"]
    assert list(entry.rules) == ["r", "n"] and entry.foreign == ("f",)
    assert entry.rules["r"]["cloudfunc"] == "image" and entry.live_fingerprint == "sha256:" + "1" * 64


def test_state_after_a_rule_target_keeps_other_owned_records() -> None:
    cfg = config(bucket("qs/b", qs_rule("a"), qs_rule("b", cloudfunc="image", cloudfunc_args={"action": "x"})))
    prior = state(qs__b=[qs_rule("a"), qs_rule("b")])
    change_ = plan(cfg, {"qs/b": document(qs_rule("b"))}, prior, targets=["qs/b/a"]).bucket("qs/b")
    entry = state_after(prior, change_, live_fingerprint="sha256:" + "2" * 64, applied_at=NOW).buckets["qs/b"]
    assert entry.rules["b"] == prior.buckets["qs/b"].rules["b"] and "a" in entry.rules


def test_state_after_removing_every_managed_rule_drops_the_bucket() -> None:
    prior = state(qs__b=[qs_rule("old")])
    change_ = plan(config(providers=["qs"]), {"qs/b": document(qs_rule("old"))}, prior).bucket("qs/b")
    assert "qs/b" not in state_after(prior, change_, live_fingerprint="sha256:" + "3" * 64, applied_at=NOW).buckets


def test_state_after_refuses_observe_buckets() -> None:
    with pytest.raises(ValueError, match="never applied"):
        state_after(state(), rich_plan().bucket("aws/b"), live_fingerprint="x", applied_at=NOW)


def test_state_never_holds_a_clear_secret() -> None:
    result = rich_plan()
    after = state_after(state(), result.bucket("bj/b"), live_fingerprint="sha256:" + "4" * 64, applied_at=NOW)
    text = json.dumps(after.to_document())
    assert "rotated" not in text and SECRET not in text and '"digest": "sha256:' in text


# --- field_changes ------------------------------------------------------------------------------------------


def test_field_changes_reports_whole_sets_nested_fields_and_list_items() -> None:
    before = {"events": ["a", "b"], "filter": {"prefix": "p"}, "apps": [{"id": "1", "eventUrl": "u"}], "gone": 1}
    after = {"events": ["a", "c"], "filter": {"prefix": "q"}, "apps": [{"id": "1", "eventUrl": "v"}], "new": 2}
    assert [(f.path, f.before, f.after) for f in field_changes(before, after)] == [
        ("apps[0].eventUrl", "u", "v"),
        ("events", ["a", "b"], ["a", "c"]),
        ("filter.prefix", "p", "q"),
        ("gone", 1, None),
        ("new", None, 2),
    ]


def test_field_changes_shows_a_secret_as_one_sensitive_field() -> None:
    key = lambda d: {"encryption": {"key": {"digest": d, "ref": {"env": "K"}}}}  # noqa: E731
    (only,) = field_changes(key("sha256:1"), key("sha256:2"), ("encryption.key",))
    assert only.path == "encryption.key" and only.sensitive


def test_secret_value_is_compared_by_digest_only() -> None:
    assert SecretValue.of("x", EnvRef(env="A")) == SecretValue.of("x", None)
