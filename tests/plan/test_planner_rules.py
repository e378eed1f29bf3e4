"""build_plan per dialect and flavor: create, update, delete, no-op, forget; normalisation."""

from __future__ import annotations

import json

import pytest

from reconciler.model import LiveRule
from reconciler.plan import Action, Reason
from tests.support.plans import (
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

pytestmark = pytest.mark.unit

ADDRESSES = ["qs/b", "bj/b", "aws/b", "jd/b", "mn/b", "ce/b"]


def rule_for(address: str, rule_id: str, variant: int = 0):
    provider = address.split("/")[0]
    if provider == "qs":
        return qs_rule(rule_id, event_types=["create_object", "delete_object"][: variant + 1])
    if provider == "bj":
        return bos_rule(rule_id, events=["PutObject", "CopyObject"][: variant + 1])
    target = {
        "aws": "arn:aws:sns:us-east-1:123456789012:t",
        "jd": "NS:https://a.example.com/cb",
        "mn": "arn:minio:sqs::primary:webhook",
        "ce": "arn:aws:sns:default::alpha",
    }[provider]
    return s3_rule(rule_id, target=target, events=["s3:ObjectCreated:*", "s3:ObjectRemoved:*"][: variant + 1])


def actions(result, address: str) -> dict[str, str]:
    return {c.rule_id: c.action.value for c in result.bucket(address).changes}


@pytest.mark.parametrize("address", ADDRESSES)
def test_each_action_per_dialect(address: str) -> None:
    cfg = config(bucket(address, rule_for(address, "same"), rule_for(address, "changed", 1), rule_for(address, "new")))
    live = {address: document(rule_for(address, "same"), rule_for(address, "changed"), rule_for(address, "old"))}
    applied = ("same", "changed", "old", "gone")
    prior = state(**{address.replace("/", "__"): [rule_for(address, rule_id) for rule_id in applied]})
    result = plan(cfg, live, prior)
    assert actions(result, address) == {
        "same": "no-op",
        "changed": "update",
        "new": "create",
        "old": "delete",
        "gone": "forget",
    }
    change = result.bucket(address)
    assert change.action is Action.UPDATE
    assert [c.reason for c in change.changes if c.rule_id in ("old", "gone")] == [
        Reason.NOT_IN_CONFIGURATION,
        Reason.ALREADY_GONE,
    ]
    assert (result.summary.add, result.summary.change, result.summary.delete, result.summary.forget) == (1, 1, 1, 1)
    assert result.has_changes


@pytest.mark.parametrize("address", ADDRESSES)
def test_matching_live_document_is_no_op(address: str) -> None:
    rules = [rule_for(address, "a"), rule_for(address, "b", 1)]
    result = plan(config(bucket(address, *rules)), {address: document(*rules)})
    assert result.bucket(address).action is Action.NO_OP
    assert set(actions(result, address).values()) == {"no-op"}
    assert not result.has_changes


def test_update_explains_changed_fields() -> None:
    cfg = config(bucket("aws/b", s3_rule("r", filter={"prefix": "images/"})))
    live = {"aws/b": document(s3_rule("r", filter={"prefix": "img/", "suffix": ".jpg"}))}
    change = plan(cfg, live).bucket("aws/b").change("r")
    assert change.action is Action.UPDATE
    assert [(f.path, f.before, f.after) for f in change.fields] == [
        ("filter.prefix", "img/", "images/"),
        ("filter.suffix", ".jpg", None),
    ]


def test_create_of_an_owned_rule_missing_live_says_it_was_deleted_outside() -> None:
    result = plan(config(bucket("qs/b", qs_rule("r"))), {"qs/b": document()}, state(qs__b=[qs_rule("r")]))
    change = result.bucket("qs/b").change("r")
    assert change.action is Action.CREATE and change.reason == Reason.DELETED_OUTSIDE


def test_forget_only_changes_state_not_the_document() -> None:
    result = plan(config(bucket("qs/b")), {"qs/b": document(foreign("f"))}, state(qs__b=[qs_rule("gone")]))
    change = result.bucket("qs/b")
    assert change.action is Action.NO_OP and not change.writes_document
    assert change.changes_state and result.has_changes
    assert change.change("gone").before["id"] == "gone"


# --- normalisation: server rewrites are not changes -------------------------------------------------


def test_qingstor_object_filter_read_back_form_is_no_op() -> None:
    declared = qs_rule("r", object_filters=["*.jpg"], cloudfunc="image", cloudfunc_args={"action": "resize"})
    read_back = {
        "id": "r",
        "event_types": ["create_object"],
        "object_filter": "*.jpg",
        "cloudfunc": "image",
        "cloudfunc_args": {"action": "resize", "key_prefix": "gen", "key_seprate": "_"},
        "notify_url": "https://hooks.example.com/qs",
    }
    parsed = type(declared).model_validate(read_back)
    result = plan(config(bucket("qs/b", declared)), {"qs/b": document(LiveRule(id="r", raw=read_back, rule=parsed))})
    assert result.bucket("qs/b").action is Action.NO_OP


def test_minio_arn_region_rewrite_is_no_op() -> None:
    declared = s3_rule("r", type="queue", target="arn:minio:sqs::primary:webhook")
    live = s3_rule("r", type="queue", target="arn:minio:sqs:us-east-1:primary:webhook")
    result = plan(config(bucket("mn/b", declared)), {"mn/b": document(live)})
    assert result.bucket("mn/b").action is Action.NO_OP


def test_minio_different_target_is_an_update() -> None:
    declared = s3_rule("r", type="queue", target="arn:minio:sqs::primary:webhook")
    live = s3_rule("r", type="queue", target="arn:minio:sqs:us-east-1:other:webhook")
    assert plan(config(bucket("mn/b", declared)), {"mn/b": document(live)}).bucket("mn/b").change("r").action is Action.UPDATE


def test_ceph_topic_arn_rewrite_is_no_op() -> None:
    result = plan(
        config(bucket("ce/b", s3_rule("r", target="alpha"))),
        {"ce/b": document(s3_rule("r", target="arn:aws:sns:default::alpha"))},
    )
    assert result.bucket("ce/b").action is Action.NO_OP


def test_s3_event_order_and_duplicates_do_not_matter() -> None:
    declared = s3_rule("r", events=["s3:ObjectRemoved:*", "s3:ObjectCreated:*"])
    live = s3_rule("r", events=["s3:ObjectCreated:*", "s3:ObjectRemoved:*", "s3:ObjectCreated:*"])
    assert plan(config(bucket("aws/b", declared)), {"aws/b": document(live)}).bucket("aws/b").action is Action.NO_OP


# --- secrets ------------------------------------------------------------------------------------------


def test_bos_same_secret_is_no_op_although_live_has_no_reference() -> None:
    live = bos_rule("r", ref=None)
    result = plan(config(bucket("bj/b", bos_rule("r"))), {"bj/b": document(live)})
    change = result.bucket("bj/b").change("r")
    assert change.action is Action.NO_OP
    assert change.after["encryption"]["key"]["ref"] == {"env": "BOS_KEY"}


def test_bos_secret_digest_change_is_a_sensitive_update() -> None:
    cfg = config(bucket("bj/b", bos_rule("r", secret="rotated-key")))
    change = plan(cfg, {"bj/b": document(bos_rule("r"))}).bucket("bj/b").change("r")
    assert change.action is Action.UPDATE
    assert [(f.path, f.sensitive) for f in change.fields] == [("encryption.key", True)]
    assert change.before_sensitive == change.after_sensitive == {"encryption": {"key": True}}


def test_plan_document_never_holds_a_clear_secret() -> None:
    unparsed_raw = {"id": "bad", "encryption": {"key": SECRET}, "status": 7}
    cfg = config(bucket("bj/b", bos_rule("r", secret="rotated-key"), bos_rule("bad")))
    live = {
        "bj/b": document(
            bos_rule("r"),
            LiveRule(id="bad", raw=unparsed_raw),
            foreign("f", raw={"encryption": {"key": SECRET}}, rule=bos_rule("f")),
        )
    }
    text = json.dumps(plan(cfg, live).to_document())
    assert SECRET not in text and "rotated-key" not in text
    assert "sha256:" in text


def test_unresolved_secret_is_refused() -> None:
    from reconciler.model import EnvRef

    unresolved = bos_rule("r", secret=None, encryption={"key": EnvRef(env="BOS_KEY")})
    with pytest.raises(TypeError, match="must be resolved"):
        plan(config(bucket("bj/b", unresolved)), {"bj/b": document()})


# --- odd live documents ------------------------------------------------------------------------------


def test_unparseable_managed_entry_is_updated_and_shown_without_secret() -> None:
    raw = {"id": "r", "encryption": {"key": SECRET}, "events": "not-a-list", "bogus": 1}
    result = plan(config(bucket("bj/b", bos_rule("r"))), {"bj/b": document(LiveRule(id="r", raw=raw))})
    change = result.bucket("bj/b").change("r")
    assert change.action is Action.UPDATE and change.reason == Reason.UNPARSEABLE
    assert change.before["bogus"] == 1 and SECRET not in json.dumps(change.before)
    assert change.before_sensitive == {"encryption": {"key": True}}


def test_unparseable_s3_entry_is_shown_as_its_xml() -> None:
    raw = "<TopicConfiguration><Id>r</Id><Bogus/></TopicConfiguration>"
    change = (
        plan(config(bucket("aws/b", s3_rule("r"))), {"aws/b": document(LiveRule(id="r", raw=raw))})
        .bucket("aws/b")
        .change("r")
    )
    assert change.before == {"raw": raw}


def test_duplicate_live_ids_of_a_managed_rule_refuse_the_bucket() -> None:
    live = {
        "qs/b": document(qs_rule("r"), foreign("f"), qs_rule("r", cloudfunc="image", cloudfunc_args={"action": "x"}))
    }
    result = plan(config(bucket("qs/b", qs_rule("r"))), live)
    change = result.bucket("qs/b")
    assert change.error is not None and "'r' at positions 1, 3" in change.error
    assert change.changes == () and result.errored


def test_foreign_rules_without_id_are_kept_in_place() -> None:
    live = {"qs/b": document(foreign(None, raw={"no": "id"}), qs_rule("old"))}
    result = plan(config(bucket("qs/b")), live, state(qs__b=[qs_rule("old")]))
    change = result.bucket("qs/b")
    assert [f.model_dump() for f in change.foreign] == [
        {"id": None, "live_index": 0, "disposition": "keep", "summary": "(does not fit the provider's rule format)"}
    ]
    assert [s.model_dump() for s in change.layout] == [{"live_index": 0}]


def test_foreign_summary_carries_no_credentials_or_query() -> None:
    rule = qs_rule("f", notify_url="https://user:pw@hooks.example.com/x?token=abc")
    summary = plan(config(bucket("qs/b")), {"qs/b": document(rule)}).bucket("qs/b").foreign[0].summary
    assert summary == "cloudfunc notifier → https://hooks.example.com/x on create_object"


def test_live_rule_helper_keeps_raw_secret_in_clear_like_a_server() -> None:
    # the fixture itself must model a server faithfully, or the secret tests above prove nothing
    assert live_rule(bos_rule("r")).raw["encryption"]["key"] == SECRET
