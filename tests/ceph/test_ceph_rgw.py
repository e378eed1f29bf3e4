"""The s3 client's `ceph` flavor against a real Ceph RADOS Gateway (Debian 12's pacific).

RGW merges a PUT into what exists, sorts GET by Id, answers every topic ARN as
`arn:aws:sns:default::<name>` and rejects an empty PUT; the client must still make the live
document equal to what it is asked to write, and never touch a foreign rule.
"""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Sequence

import pytest

from reconciler.errors import ProviderError
from reconciler.kinds import dialect_for
from reconciler.model.common import EnvRef
from reconciler.model.config import Credentials, S3Provider
from reconciler.model.document import DocumentEntry, LiveDocument
from reconciler.model.s3 import FilterRule, S3Filter, S3Rule
from reconciler.providers.registry import client_for
from tests.support.ceph import EventSink, RadosGateway

pytestmark = pytest.mark.ceph

CANONICAL_ALPHA = "arn:aws:sns:default::alpha"
# a rule with every RGW filter extension, written raw: boto3's model knows only S3Key prefix/suffix
FOREIGN_EXTENSIONS_XML = (
    "<NotificationConfiguration><TopicConfiguration><Id>foreign-extensions</Id>"
    "<Topic>arn:aws:sns:default::beta</Topic><Filter>"
    "<S3Key><FilterRule><Name>regex</Name><Value>([0-9]+)\\.log</Value></FilterRule></S3Key>"
    "<S3Metadata><FilterRule><Name>x-amz-meta-team</Name><Value>data</Value></FilterRule></S3Metadata>"
    "<S3Tags><FilterRule><Name>stage</Name><Value>raw</Value></FilterRule></S3Tags>"
    "</Filter><Event>s3:ObjectCreated:Put</Event><Event>s3:ObjectCreated:Copy</Event>"
    "</TopicConfiguration></NotificationConfiguration>"
)
FOREIGN_IDS = ("foreign-boto3", "foreign-extensions")


class Client:
    """The async NotificationClient, one call at a time, each through a fresh client."""

    def __init__(self, provider: S3Provider) -> None:
        self.provider = provider

    def _call(self, method: str, *args: object) -> object:
        async def call() -> object:
            async with client_for(self.provider) as client:
                return await getattr(client, method)(*args)

        return asyncio.run(call())

    def read(self, bucket: str) -> LiveDocument:
        document = self._call("read", bucket)
        assert isinstance(document, LiveDocument)
        return document

    def write(self, bucket: str, entries: Sequence[DocumentEntry], previous: LiveDocument) -> None:
        self._call("write", bucket, list(entries), previous)

    def clear(self, bucket: str) -> None:
        self._call("clear", bucket)


@pytest.fixture
def ceph_provider(rados_gateway: RadosGateway, monkeypatch: pytest.MonkeyPatch) -> S3Provider:
    monkeypatch.setenv("RGW_TEST_ACCESS_KEY", rados_gateway.access_key)
    monkeypatch.setenv("RGW_TEST_SECRET_KEY", rados_gateway.secret_key)
    return S3Provider(
        name="rgw",
        flavor="ceph",
        endpoint=rados_gateway.endpoint,
        credentials=Credentials(
            access_key_id=EnvRef(env="RGW_TEST_ACCESS_KEY"), secret_access_key=EnvRef(env="RGW_TEST_SECRET_KEY")
        ),
    )


@pytest.fixture
def client(ceph_provider: S3Provider) -> Client:
    return Client(ceph_provider)


@pytest.fixture
def foreign_rules(rados_gateway: RadosGateway, ceph_topics: dict[str, str], ceph_bucket: str) -> dict[str, str]:
    """Two rules another tool made on `ceph_bucket`; returns their exact XML as GET answers it."""
    rados_gateway.boto3_client("s3").put_bucket_notification_configuration(
        Bucket=ceph_bucket,
        NotificationConfiguration={
            "TopicConfigurations": [
                {
                    "Id": "foreign-boto3",
                    "TopicArn": ceph_topics["beta"],
                    "Events": ["s3:ObjectRemoved:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "logs/"}]}},
                }
            ]
        },
    )
    put = rados_gateway.signed_request("PUT", ceph_bucket, "notification", FOREIGN_EXTENSIONS_XML.encode())
    assert put.status_code == 200, rados_gateway.log_tail()
    live = _xml_entries(rados_gateway.notification_xml(ceph_bucket))
    assert [rule_id for rule_id, _ in live] == list(FOREIGN_IDS)
    return dict(live)


def _xml_entries(document: str) -> list[tuple[str, str]]:
    """(Id, exact XML text) of every TopicConfiguration, in the server's order."""
    entries = re.findall(r"<TopicConfiguration>.*?</TopicConfiguration>", document, flags=re.S)
    ids = [re.findall(r"<Id>(.*?)</Id>", entry, flags=re.S)[0] for entry in entries]
    return [(html.unescape(rule_id), entry) for rule_id, entry in zip(ids, entries, strict=True)]


def _rule(rule_id: str, target: str = CANONICAL_ALPHA, **fields: object) -> S3Rule:
    events = fields.pop("events", ("s3:ObjectCreated:*",))
    return S3Rule(id=rule_id, type="topic", target=target, events=events, **fields)


def _live_rule(document: LiveDocument, rule_id: str) -> S3Rule:
    entry = document.by_id()[rule_id]
    assert isinstance(entry.rule, S3Rule), f"{rule_id} was not parsed into an S3Rule: {entry.raw!r}"
    return entry.rule


def _records_for(event_sink: EventSink, topic: str, bucket: str) -> list[dict[str, object]]:
    return [record for record in event_sink.records(topic) if record["s3"]["bucket"]["name"] == bucket]


def test_read_of_a_bucket_without_rules_is_an_empty_document(client: Client, ceph_bucket: str) -> None:
    assert client.read(ceph_bucket) == LiveDocument()


def test_read_parses_every_rule_including_rgw_filter_extensions(
    client: Client, ceph_bucket: str, foreign_rules: dict[str, str]
) -> None:
    document = client.read(ceph_bucket)

    assert document.ids == list(FOREIGN_IDS)
    assert _live_rule(document, "foreign-boto3") == _rule(
        "foreign-boto3",
        "arn:aws:sns:default::beta",
        events=("s3:ObjectRemoved:*",),
        filter=S3Filter(prefix="logs/"),
    )
    assert _live_rule(document, "foreign-extensions") == _rule(
        "foreign-extensions",
        "arn:aws:sns:default::beta",
        events=("s3:ObjectCreated:Copy", "s3:ObjectCreated:Put"),
        filter=S3Filter(
            regex="([0-9]+)\\.log",
            metadata=(FilterRule(name="x-amz-meta-team", value="data"),),
            tags=(FilterRule(name="stage", value="raw"),),
        ),
    )


def test_read_of_a_missing_bucket_names_the_provider_error(client: Client) -> None:
    with pytest.raises(ProviderError) as raised:
        client.read("no-such-bucket")
    assert (raised.value.status, raised.value.code) == (404, "NoSuchBucket")


def test_wrong_credentials_give_a_provider_error_not_a_traceback(
    ceph_provider: S3Provider, ceph_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RGW_TEST_SECRET_KEY", "not-the-secret")
    with pytest.raises(ProviderError) as raised:
        Client(ceph_provider).read(ceph_bucket)
    assert raised.value.status == 403
    assert raised.value.code == "SignatureDoesNotMatch"


def test_write_adds_managed_rules_and_keeps_foreign_rules_byte_for_byte(
    client: Client, rados_gateway: RadosGateway, ceph_bucket: str, foreign_rules: dict[str, str]
) -> None:
    previous = client.read(ceph_bucket)
    managed = [_rule("thumbnails", filter=S3Filter(prefix="img/", suffix=".jpg")), _rule("audit")]

    client.write(ceph_bucket, [*managed, *previous.rules], previous)

    live = dict(_xml_entries(rados_gateway.notification_xml(ceph_bucket)))
    assert {rule_id: live[rule_id] for rule_id in FOREIGN_IDS} == foreign_rules
    document = client.read(ceph_bucket)
    assert sorted(document.by_id()) == sorted(["audit", "thumbnails", *FOREIGN_IDS])
    dialect = dialect_for(client.provider)
    for rule in managed:
        assert dialect.equivalent(_live_rule(document, rule.id), rule)


def test_written_filters_and_topics_are_live(
    client: Client, rados_gateway: RadosGateway, event_sink: EventSink, ceph_bucket: str
) -> None:
    client.write(ceph_bucket, [_rule("jpg-only", filter=S3Filter(prefix="img/", suffix=".jpg"))], LiveDocument())

    s3 = rados_gateway.boto3_client("s3")
    for key in ("img/a.jpg", "img/a.png", "doc/a.jpg"):
        s3.put_object(Bucket=ceph_bucket, Key=key, Body=b"x")

    records = _records_for(event_sink, "alpha", ceph_bucket)
    assert [(r["s3"]["configurationId"], r["s3"]["object"]["key"]) for r in records] == [("jpg-only", "img/a.jpg")]


def test_removing_one_rule_deletes_only_that_rule(
    client: Client, rados_gateway: RadosGateway, ceph_bucket: str, foreign_rules: dict[str, str]
) -> None:
    before = client.read(ceph_bucket)
    client.write(ceph_bucket, [_rule("keep"), _rule("drop"), *before.rules], before)
    previous = client.read(ceph_bucket)
    assert "drop" in previous.by_id()

    client.write(ceph_bucket, [entry for entry in previous.rules if entry.id != "drop"], previous)

    live = dict(_xml_entries(rados_gateway.notification_xml(ceph_bucket)))
    assert sorted(live) == sorted(["keep", *FOREIGN_IDS])
    assert {rule_id: live[rule_id] for rule_id in FOREIGN_IDS} == foreign_rules


def test_a_rule_whose_id_needs_escaping_is_removed(
    client: Client, rados_gateway: RadosGateway, ceph_bucket: str
) -> None:
    awkward = "a b/c&d?e=f"
    client.write(ceph_bucket, [_rule(awkward), _rule("plain")], LiveDocument())
    previous = client.read(ceph_bucket)
    assert sorted(previous.by_id()) == sorted([awkward, "plain"])

    client.write(ceph_bucket, [_rule("plain")], previous)

    assert [rule_id for rule_id, _ in _xml_entries(rados_gateway.notification_xml(ceph_bucket))] == ["plain"]


@pytest.mark.parametrize(
    "change",
    [
        {"target": "arn:aws:sns:default::beta"},
        {"events": ("s3:ObjectRemoved:Delete",)},
        {"filter": S3Filter(suffix=".png")},
    ],
    ids=["topic", "events", "filter"],
)
def test_changing_a_rule_leaves_exactly_one_entry_with_its_id(
    client: Client,
    rados_gateway: RadosGateway,
    ceph_bucket: str,
    foreign_rules: dict[str, str],
    change: dict[str, object],
) -> None:
    foreign = client.read(ceph_bucket).rules
    original = _rule("resize", filter=S3Filter(prefix="img/"))
    client.write(ceph_bucket, [original, *foreign], client.read(ceph_bucket))
    changed = original.model_copy(update=change)

    client.write(ceph_bucket, [changed, *foreign], client.read(ceph_bucket))

    entries = _xml_entries(rados_gateway.notification_xml(ceph_bucket))
    assert [rule_id for rule_id, _ in entries].count("resize") == 1
    assert dialect_for(client.provider).equivalent(_live_rule(client.read(ceph_bucket), "resize"), changed)
    assert {rule_id: xml for rule_id, xml in entries if rule_id in FOREIGN_IDS} == foreign_rules


@pytest.mark.parametrize("declared", [[_rule("dup")], []], ids=["kept-once", "removed"])
def test_an_id_duplicated_by_another_tool_ends_up_as_declared(
    client: Client,
    rados_gateway: RadosGateway,
    ceph_topics: dict[str, str],
    ceph_bucket: str,
    declared: list[S3Rule],
) -> None:
    # RGW keys entries by Id and topic, so two PUTs of one Id on two topics keep both entries,
    # and `DELETE ?notification=<id>` removes only one of them per request
    s3 = rados_gateway.boto3_client("s3")
    for topic in ("beta", "alpha"):
        configuration = {"Id": "dup", "TopicArn": ceph_topics[topic], "Events": ["s3:ObjectCreated:*"]}
        s3.put_bucket_notification_configuration(
            Bucket=ceph_bucket, NotificationConfiguration={"TopicConfigurations": [configuration]}
        )
    previous = client.read(ceph_bucket)
    assert previous.ids == ["dup", "dup"]

    client.write(ceph_bucket, [*declared, _rule("other")], previous)

    document = client.read(ceph_bucket)
    assert sorted(document.ids) == sorted([rule.id for rule in declared] + ["other"])
    dialect = dialect_for(client.provider)
    assert all(dialect.equivalent(_live_rule(document, rule.id), rule) for rule in declared)


def test_a_rule_moved_to_another_topic_notifies_only_the_new_topic(
    client: Client, rados_gateway: RadosGateway, event_sink: EventSink, ceph_bucket: str
) -> None:
    on_alpha = _rule("mover")
    client.write(ceph_bucket, [on_alpha], LiveDocument())
    on_beta = on_alpha.model_copy(update={"target": "arn:aws:sns:default::beta"})
    client.write(ceph_bucket, [on_beta], client.read(ceph_bucket))

    rados_gateway.boto3_client("s3").put_object(Bucket=ceph_bucket, Key="moved.txt", Body=b"x")

    assert _records_for(event_sink, "alpha", ceph_bucket) == []
    assert [r["s3"]["configurationId"] for r in _records_for(event_sink, "beta", ceph_bucket)] == ["mover"]


def test_clear_removes_every_rule(client: Client, ceph_bucket: str, foreign_rules: dict[str, str]) -> None:
    client.write(ceph_bucket, [_rule("managed"), *client.read(ceph_bucket).rules], client.read(ceph_bucket))

    client.clear(ceph_bucket)

    assert client.read(ceph_bucket) == LiveDocument()


def test_clear_of_a_bucket_without_rules_is_not_an_error(client: Client, ceph_bucket: str) -> None:
    client.clear(ceph_bucket)
    assert client.read(ceph_bucket) == LiveDocument()


def test_writing_no_entries_clears_the_document(client: Client, ceph_bucket: str) -> None:
    client.write(ceph_bucket, [_rule("one"), _rule("two")], LiveDocument())

    client.write(ceph_bucket, [], client.read(ceph_bucket))

    assert client.read(ceph_bucket) == LiveDocument()


def test_a_rejected_write_leaves_foreign_rules_untouched(
    client: Client, rados_gateway: RadosGateway, ceph_bucket: str, foreign_rules: dict[str, str]
) -> None:
    previous = client.read(ceph_bucket)
    unknown_topic = _rule("orphan", "arn:aws:sns:default::no-such-topic")

    with pytest.raises(ProviderError) as raised:
        client.write(ceph_bucket, [unknown_topic, *previous.rules], previous)

    assert (raised.value.status, raised.value.code) == (404, "NoSuchKey")  # RGW's "topic does not exist"
    assert dict(_xml_entries(rados_gateway.notification_xml(ceph_bucket))) == foreign_rules


@pytest.mark.parametrize(
    "target",
    [
        CANONICAL_ALPHA,
        "arn:aws:sns:us-east-1::alpha",
        "arn:aws:sns:default:123456789012:alpha",
        "arn:aws:sns:::alpha",
    ],
)
def test_any_accepted_topic_arn_reads_back_equivalent(client: Client, ceph_bucket: str, target: str) -> None:
    declared = _rule("arn-form", target)
    client.write(ceph_bucket, [declared], LiveDocument())

    live = _live_rule(client.read(ceph_bucket), "arn-form")

    assert live.target == CANONICAL_ALPHA  # RGW keeps only the topic name
    assert dialect_for(client.provider).equivalent(live, declared)


def test_get_sorts_rules_by_id_which_makes_no_difference(client: Client, ceph_bucket: str) -> None:
    events = {"zeta": "Put", "Alpha": "Post", "beta": "Copy", "10": "*", "9": "CompleteMultipartUpload"}
    declared = [_rule(rule_id, events=(f"s3:ObjectCreated:{event}",)) for rule_id, event in events.items()]
    client.write(ceph_bucket, declared, LiveDocument())

    document = client.read(ceph_bucket)

    assert document.ids == ["10", "9", "Alpha", "beta", "zeta"]  # byte-wise, not insertion order
    dialect = dialect_for(client.provider)
    assert not dialect.ordered
    assert {dialect.canonical(entry.rule) for entry in document.rules} == {dialect.canonical(r) for r in declared}
    # writing the declared order again over the sorted live document changes nothing
    client.write(ceph_bucket, declared, document)
    assert client.read(ceph_bucket).fingerprint == document.fingerprint


def test_the_bucket_listing_names_the_gateways_buckets(client: Client, ceph_bucket: str) -> None:
    """What a bucket selector is resolved from: RGW's ListBuckets, read by the same client."""
    names = client._call("list_buckets")
    assert isinstance(names, list) and ceph_bucket in names
