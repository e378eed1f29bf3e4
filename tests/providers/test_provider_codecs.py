"""Wire documents ↔ LiveDocument, with the captured examples of the reference as fixtures."""

from __future__ import annotations

import json

import pytest

from reconciler.errors import CredentialError
from reconciler.model.bos import BosApp, BosEncryption, BosRule
from reconciler.model.common import EnvRef, SecretValue
from reconciler.model.document import LiveRule
from reconciler.model.qingstor import CloudfuncArgs, QingStorRule
from reconciler.model.s3 import FilterRule, S3Filter, S3Rule
from reconciler.providers.bos import codec as bos
from reconciler.providers.error_bodies import MalformedDocument
from reconciler.providers.qingstor import codec as qs
from reconciler.providers.s3 import codec as s3
from tests.support.plans import bos_rule

pytestmark = pytest.mark.unit


def _notifications(body: bytes) -> list:
    return json.loads(body)["notifications"]


# --- QingStor -------------------------------------------------------------------------------


def test_qingstor_docs_example_parses_with_raw_kept(wire):
    body = wire("qingstor/get_docs_example.json")
    document = qs.decode(body)
    (entry,) = document.rules
    assert entry.id == "notificaion-1"
    assert entry.raw == _notifications(body)[0]
    assert entry.rule == QingStorRule(
        id="notificaion-1", event_types=("create_object",), cloudfunc="tupu-porn", notify_url="http://tupu_porn_notify_url"
    )


def test_qingstor_filter_shapes_and_server_extras(wire):
    document = qs.decode(wire("qingstor/get_filter_variants.json"))
    rules = {entry.id: entry.rule for entry in document.rules}
    assert rules["list"].object_filters == ("*.jpg", "images/*")
    assert rules["string"].object_filters == ("*.png",)
    assert rules["singular"].object_filters == ("*.gif",)
    assert rules["singular"].cloudfunc_args == CloudfuncArgs(action="resize:w_200", key_prefix="gen", key_seprate="_")
    assert rules["server-extras"] is not None and rules["server-extras"].notify_url == "https://hooks.example.com/b"
    assert rules["not-a-rule"] is None  # kept as a foreign entry, not dropped
    assert len(document.rules) == 5


def test_qingstor_foreign_entries_round_trip_unchanged(wire):
    body = wire("qingstor/get_filter_variants.json")
    document = qs.decode(body)
    assert _notifications(qs.encode(document.rules)) == _notifications(body)


def test_qingstor_managed_rule_encodes_like_the_sdk(wire):
    rule = QingStorRule(
        id="notify-1",
        event_types=("create_object", "delete_object"),
        object_filters=("*.jpg", "images/*"),
        cloudfunc="notifier",
        cloudfunc_args=CloudfuncArgs(action="notifier"),
        notify_url="http://127.0.0.1:1601/cb",
    )
    assert _notifications(qs.encode([rule])) == _notifications(wire("qingstor/put_sdk_python.json"))


def test_qingstor_mixed_document_keeps_the_given_order(wire):
    foreign = qs.decode(wire("qingstor/get_docs_example.json")).rules[0]
    managed = QingStorRule(id="mine", event_types=("delete_object",), cloudfunc="notifier")
    ids = [item["id"] for item in _notifications(qs.encode([managed, foreign]))]
    assert ids == ["mine", "notificaion-1"]


# --- BOS ------------------------------------------------------------------------------------


def test_bos_docs_example_parses(wire):
    (entry,) = bos.decode(wire("bos/get_docs_example.json")).rules
    assert entry.rule == BosRule(
        id="notify-id-1",
        name="rule-name",
        appId="app-id-1",
        status="enabled",
        resources=("bucket-a/path1",),
        events=("PutObject",),
        apps=(BosApp(id="app-id-3", eventUrl="app:ImageOcr", xVars='{"saveUrl": "http://xxx.com/ocr"}'),),
    )


def test_bos_unknown_keys_are_tolerated_and_preserved(wire):
    body = wire("bos/get_go_sdk_extras.json")
    document = bos.decode(body)
    go_sdk = document.rules[0]
    assert go_sdk.rule is not None
    assert go_sdk.rule.name is None  # "" on the wire means no name
    assert [app.id for app in go_sdk.rule.apps] == ["app-1", "cfc", "ocr"]
    assert go_sdk.raw["quota"] == {"quotaDay": 1000, "quotaSec": 10}
    assert _notifications(bos.encode(document.rules)) == _notifications(body)


def test_bos_encryption_key_from_the_wire_is_a_secret_value(wire):
    encrypted = bos.decode(wire("bos/get_go_sdk_extras.json")).rules[1]
    key = encrypted.rule.encryption.key
    assert isinstance(key, SecretValue)
    assert key == SecretValue.of("callback-signing-key")
    assert "callback-signing-key" not in repr(encrypted.rule)


def test_bos_managed_rule_encodes_like_the_sdk(wire):
    sdk = bos.decode(wire("bos/put_sdk_python.json")).rules[0].rule
    ours = bos.decode(bos.encode([sdk])).rules[0]
    assert ours.rule == sdk
    assert list(ours.raw) == ["id", "name", "appId", "status", "resources", "events", "apps"]


def test_bos_secret_is_revealed_only_into_the_body():
    rule = bos_rule("r", secret="s3cr3t")
    assert _notifications(bos.encode([rule]))[0]["encryption"] == {"key": "s3cr3t"}


def test_bos_unresolved_secret_cannot_be_written():
    rule = BosRule(
        id="r",
        appId="a",
        status="enabled",
        encryption=BosEncryption(key=EnvRef(env="BOS_NOTIFY_KEY")),
        resources=("/x/*",),
        events=("PutObject",),
        apps=(BosApp(id="a", eventUrl="https://h.example.com"),),
    )
    with pytest.raises(CredentialError, match=r"encryption.key of rule 'r'"):
        bos.encode([rule])
    resolving = bos.reveal_with(lambda ref, what: {"BOS_NOTIFY_KEY": "from-env"}[ref.env])
    assert _notifications(bos.encode([rule], resolving))[0]["encryption"] == {"key": "from-env"}


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"", "not valid JSON"),
        (b'{"notifications": [', "not valid JSON"),
        (b"[]", "not a JSON object"),
        (b'{"notifications": {}}', "not a list"),
        (b'{"notifications": ["x"]}', r"notifications\[0\] that is not an object"),
    ],
)
def test_json_documents_that_are_not_documents(body, problem):
    with pytest.raises(MalformedDocument, match=problem):
        qs.decode(body)


def test_json_document_without_notifications_is_empty():
    assert qs.decode(b"{}").rules == ()
    assert bos.decode(b'{"notifications": null}').rules == ()


# --- S3 -------------------------------------------------------------------------------------


def test_s3_moto_empty_root_is_an_empty_document(wire):
    assert s3.decode(wire("s3/get_moto_empty.xml")).rules == ()
    assert s3.decode(wire("s3/get_jdcloud_empty.xml")).rules == ()


def test_s3_moto_full_document(wire):
    document = s3.decode(wire("s3/get_moto_full.xml"))
    assert [(entry.id, entry.rule.type) for entry in document.rules] == [
        ("topic-1", "topic"),
        ("Xbp5CWsb5bo7FznZT4zGHpsWh5eT8hK5omoTeNOHMMQ5xbXwSf", "queue"),
        ("lambda-1", "cloud_function"),
    ]
    topic = document.rules[0].rule
    assert topic.filter == S3Filter(prefix="images/", suffix=".jpg")
    assert topic.events == ("s3:ObjectCreated:*", "s3:ObjectRemoved:Delete")
    assert document.rules[0].raw.startswith("<TopicConfiguration><Id>topic-1</Id>")


def test_s3_foreign_entries_go_back_byte_for_byte(wire):
    body = wire("s3/get_moto_full.xml").decode()
    document = s3.decode(body.encode())
    encoded = s3.encode(document.rules).decode()
    inner = body.split('2006-03-01/">', 1)[1].rsplit("</NotificationConfiguration>", 1)[0]
    assert encoded == f'<NotificationConfiguration xmlns="{s3.NAMESPACE}">{inner}</NotificationConfiguration>'
    assert s3.decode(encoded.encode()) == document


def test_s3_capitalised_filter_names_and_eventbridge(wire):
    document = s3.decode(wire("s3/get_aws_capitalised.xml"))
    queue, eventbridge = document.rules
    assert queue.rule == S3Rule(
        id="thumbs",
        type="queue",
        target="arn:aws:sqs:us-east-1:123456789012:thumbs",
        events=("s3:ObjectCreated:Put",),
        filter=S3Filter(prefix="images/", suffix=".jpg"),
    )
    assert eventbridge.id is None and eventbridge.rule is None
    assert eventbridge.raw == "<EventBridgeConfiguration />"
    assert s3.decode(s3.encode(document.rules)) == document


def test_s3_ceph_metadata_tags_and_regex(wire):
    document = s3.decode(wire("s3/get_ceph_filters.xml"))
    rule = document.rules[0].rule
    assert rule.filter == S3Filter(
        regex=r"([0-9a-zA-Z\.]*)",
        metadata=(FilterRule(name="x-amz-meta-team", value="media"),),
        tags=(FilterRule(name="kind", value="photo & video"),),
    )
    again = s3.decode(s3.encode([rule]))
    assert again.rules[0].rule == rule


def test_s3_ordered_jdcloud_document_keeps_order(wire):
    document = s3.decode(wire("s3/get_jdcloud_ordered.xml"))
    assert document.ids == ["jpg-callback", "catch-all"]
    reversed_ids = s3.decode(s3.encode([document.rules[1].rule, document.rules[0]])).ids
    assert reversed_ids == ["catch-all", "jpg-callback"]


def test_s3_managed_rule_encodes_exactly_like_botocore(wire):
    rule = S3Rule(
        id="t1",
        type="topic",
        target="arn:aws-cn:sns:cn-north-1:123456789012:topic",
        events=("s3:ObjectCreated:*",),
        filter=S3Filter(prefix="images/"),
    )
    assert s3.encode([rule]) == wire("s3/put_boto3_topic.xml")
    assert s3.encode([]) == wire("s3/put_empty.xml")


def test_s3_text_is_escaped():
    rule = S3Rule(id="a<b", target="arn:aws:sns:us-east-1:1:t&u", events=("s3:ObjectCreated:*",))
    assert s3.decode(s3.encode([rule])).rules[0].rule == rule


def test_s3_entries_that_do_not_fit_the_model_are_foreign_not_lost():
    body = (
        f'<NotificationConfiguration xmlns="{s3.NAMESPACE}">'
        "<QueueConfiguration><Queue>arn:aws:sqs:us-east-1:1:q</Queue><Event>s3:ObjectCreated:*</Event></QueueConfiguration>"
        "<TopicConfiguration><Id>x</Id><Topic>arn:aws:sns:us-east-1:1:t</Topic><Event>s3:ObjectCreated:*</Event>"
        "<Filter><S3Key><FilterRule><Name>prefix</Name><Value>a</Value></FilterRule>"
        "<FilterRule><Name>prefix</Name><Value>b</Value></FilterRule></S3Key></Filter></TopicConfiguration>"
        "<FutureConfiguration><Id>f</Id></FutureConfiguration>"
        "</NotificationConfiguration>"
    ).encode()
    document = s3.decode(body)
    assert [(entry.id, entry.rule) for entry in document.rules] == [(None, None), ("x", None), ("f", None)]
    assert s3.encode(document.rules) == body


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"", "is empty"),
        (b"<NotificationConfiguration><TopicConfiguration>", "not well-formed"),
        (b"<html><body>oops</body></html>", "root <html>"),
        (b"<Error><Code>AccessDenied</Code></Error>", "root <Error>"),
    ],
)
def test_s3_bodies_that_are_not_documents(body, problem):
    with pytest.raises(MalformedDocument, match=problem):
        s3.decode(body)


def test_s3_entity_expansion_is_refused(wire):
    with pytest.raises(MalformedDocument, match="refused by the safe XML parser"):
        s3.decode(wire("s3/entity_expansion.xml"))


def test_s3_raw_that_is_not_xml_is_never_written():
    with pytest.raises(ValueError, match="well-formed XML"):
        s3.encode([LiveRule(id="x", raw="<TopicConfiguration><Id>x</Id>")])
