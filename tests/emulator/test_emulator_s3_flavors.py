"""Each S3 flavor's documented behaviour and quirks, over the wire with SigV4-signed requests."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

import httpx
import pytest

from tests.support.emulator import RunningEmulator

NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"
TOPIC = "arn:aws:sns:us-east-1:123456789012:uploads"
QUEUE = "arn:aws:sqs:us-east-1:123456789012:jobs"


def entry(
    kind: str = "Topic",
    target: str = TOPIC,
    *events: str,
    id: str | None = None,
    prefix: str | None = None,
    suffix: str | None = None,
    rule_names: tuple[str, str] = ("prefix", "suffix"),
) -> str:
    parts = [f"<Id>{id}</Id>"] if id is not None else []
    parts.append(f"<{kind}>{target}</{kind}>")
    parts += [f"<Event>{event}</Event>" for event in events or ("s3:ObjectCreated:*",)]
    rules = [(name, value) for name, value in zip(rule_names, (prefix, suffix), strict=True) if value is not None]
    if rules:
        body = "".join(f"<FilterRule><Name>{n}</Name><Value>{v}</Value></FilterRule>" for n, v in rules)
        parts.append(f"<Filter><S3Key>{body}</S3Key></Filter>")
    return f"<{kind}Configuration>{''.join(parts)}</{kind}Configuration>"


def document(*entries: str) -> bytes:
    return f'<NotificationConfiguration xmlns="{NS[1:-1]}">{"".join(entries)}</NotificationConfiguration>'.encode()


def put(emulator: RunningEmulator, bucket: str, body: bytes) -> httpx.Response:
    return emulator.request("s3", "PUT", bucket, body=body)


def get(emulator: RunningEmulator, bucket: str, query: str = "notification") -> ElementTree.Element:
    response = emulator.request("s3", "GET", bucket, query=query)
    assert response.status_code == 200, response.text
    return ElementTree.fromstring(response.content)


def error(response: httpx.Response) -> tuple[int, str, str]:
    root = ElementTree.fromstring(response.content)
    return response.status_code, root.findtext("Code") or "", root.findtext("Message") or ""


def ids(root: ElementTree.Element) -> list[str | None]:
    return [child.findtext(f"{NS}Id") or child.findtext("Id") for child in root]


def _bucket(emulator: RunningEmulator, flavor: str) -> str:
    emulator.admin.create_bucket("s3", f"{flavor}-bucket", flavor=flavor)
    return f"{flavor}-bucket"


@pytest.fixture
def aws(emulator: RunningEmulator) -> str:
    return _bucket(emulator, "aws")


@pytest.fixture
def jdcloud(emulator: RunningEmulator) -> str:
    return _bucket(emulator, "jdcloud")


@pytest.fixture
def minio(emulator: RunningEmulator) -> str:
    return _bucket(emulator, "minio")


@pytest.fixture
def ceph(emulator: RunningEmulator) -> str:
    return _bucket(emulator, "ceph")


# --- aws ------------------------------------------------------------------------------------------


def test_aws_invents_missing_ids_and_capitalises_filter_rule_names(emulator: RunningEmulator, aws: str) -> None:
    assert put(emulator, aws, document(entry(prefix="img/", suffix=".jpg"))).status_code == 200

    root = get(emulator, aws)
    [invented] = ids(root)
    assert invented and len(invented) > 20
    names = [name.text for name in root.iter(f"{NS}Name")]
    assert names == ["Prefix", "Suffix"]


def test_aws_replaces_the_whole_document_and_an_empty_put_clears_it(emulator: RunningEmulator, aws: str) -> None:
    put(emulator, aws, document(entry(id="a", prefix="a/"), entry(id="b", prefix="b/")))
    put(emulator, aws, document(entry(id="c")))
    assert ids(get(emulator, aws)) == ["c"]

    assert put(emulator, aws, document()).status_code == 200
    assert list(get(emulator, aws)) == []


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (entry(id="a", prefix="img/"), entry(id="b", prefix="img/thumbs/")),
        (entry(id="a", suffix=".jpg"), entry(id="b", suffix="jpg")),
        (entry(id="a"), entry("Queue", QUEUE, "s3:ObjectCreated:Put", id="b", prefix="x/")),
    ],
    ids=["nested-prefixes", "nested-suffixes", "no-filter-overlaps-everything"],
)
def test_aws_rejects_overlapping_filters_for_intersecting_events(
    emulator: RunningEmulator, aws: str, first: str, second: str
) -> None:
    status, code, message = error(put(emulator, aws, document(first, second)))

    assert (status, code) == (400, "InvalidArgument")
    assert "overlap" in message
    assert list(get(emulator, aws)) == []


def test_aws_accepts_overlapping_prefixes_when_suffixes_or_events_differ(emulator: RunningEmulator, aws: str) -> None:
    body = document(
        entry(id="jpg", prefix="img/", suffix=".jpg"),
        entry(id="png", prefix="img/", suffix=".png"),
        entry("Topic", TOPIC, "s3:ObjectRemoved:*", id="rm"),
    )
    assert put(emulator, aws, body).status_code == 200
    assert ids(get(emulator, aws)) == ["jpg", "png", "rm"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (document(entry("Topic", TOPIC, "s3:ObjectCreated:Bogus")), "InvalidArgument"),
        (document(entry("Topic", "not-an-arn")), "InvalidArgument"),
        (document(entry("Queue", TOPIC)), "InvalidArgument"),  # an SNS ARN in a queue
        (document(entry(id="same"), entry("Queue", QUEUE, "s3:ObjectRemoved:*", id="same")), "InvalidArgument"),
        (document(entry(prefix="a", suffix="b", rule_names=("prefix", "prefix"))), "InvalidArgument"),
        (b"<NotificationConfiguration><TopicConfiguration>", "MalformedXML"),
        (b"<Other/>", "MalformedXML"),
        (b"", "MalformedXML"),
        (document("<TopicConfiguration><Topic>" + TOPIC + "</Topic></TopicConfiguration>"), "MalformedXML"),
    ],
    ids=["event", "arn", "arn-kind", "duplicate-id", "two-prefixes", "broken", "root", "empty", "no-event"],
)
def test_aws_rejects_invalid_documents(emulator: RunningEmulator, aws: str, body: bytes, code: str) -> None:
    assert error(put(emulator, aws, body))[:2] == (400, code)


def test_entity_expansion_is_refused_not_performed(emulator: RunningEmulator, aws: str) -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b"<NotificationConfiguration><TopicConfiguration><Id>&b;</Id><Topic>" + TOPIC.encode() + b"</Topic>"
        b"<Event>s3:ObjectCreated:*</Event></TopicConfiguration></NotificationConfiguration>"
    )
    assert error(put(emulator, aws, bomb))[:2] == (400, "MalformedXML")


def test_aws_groups_entries_by_kind_and_echoes_event_bridge(emulator: RunningEmulator, aws: str) -> None:
    body = document(
        entry("Queue", QUEUE, "s3:ObjectRemoved:*", id="q"),
        "<EventBridgeConfiguration></EventBridgeConfiguration>",
        entry(id="t"),
    )
    put(emulator, aws, body)

    assert [child.tag.removeprefix(NS) for child in get(emulator, aws)] == [
        "TopicConfiguration",
        "QueueConfiguration",
        "EventBridgeConfiguration",
    ]


def test_aws_has_no_delete_of_the_notification_document(emulator: RunningEmulator, aws: str) -> None:
    put(emulator, aws, document(entry(id="kept")))

    assert error(emulator.request("s3", "DELETE", aws))[:2] == (405, "MethodNotAllowed")
    assert ids(get(emulator, aws)) == ["kept"]


# --- jdcloud --------------------------------------------------------------------------------------

JD_TOPIC = "NS:https://a.example.com/cb,https://b.example.com/cb"


def test_jdcloud_keeps_the_order_of_topics_and_invents_missing_ids(emulator: RunningEmulator, jdcloud: str) -> None:
    body = document(entry("Topic", JD_TOPIC, id="zeta"), entry("Topic", JD_TOPIC), entry("Topic", JD_TOPIC, id="alpha"))
    assert put(emulator, jdcloud, body).status_code == 200

    zeta, invented, alpha = ids(get(emulator, jdcloud))
    assert (zeta, alpha) == ("zeta", "alpha") and invented


@pytest.mark.parametrize(
    "body",
    [
        document(entry("Topic", TOPIC)),
        document(entry("Topic", "NS:" + ",".join(f"https://h{i}.example.com/" for i in range(6)))),
        document(entry("Topic", "NS:ftp://a.example.com/")),
        document(entry("Queue", QUEUE)),
        document(entry("Topic", JD_TOPIC, "s3:ObjectRestore:Post")),
        document(entry("Topic", JD_TOPIC, prefix="p" * 1023)),
    ],
    ids=["arn-topic", "six-endpoints", "not-http", "queue", "event", "long-prefix"],
)
def test_jdcloud_rejects_what_it_does_not_support(emulator: RunningEmulator, jdcloud: str, body: bytes) -> None:
    assert error(put(emulator, jdcloud, body))[:2] == (400, "InvalidArgument")


def test_jdcloud_accepts_five_endpoints_and_a_1022_byte_prefix(emulator: RunningEmulator, jdcloud: str) -> None:
    topic = "NS:" + ",".join(f"https://h{i}.example.com/" for i in range(5))
    assert put(emulator, jdcloud, document(entry("Topic", topic, id="t", prefix="p" * 1022))).status_code == 200
    assert error(emulator.request("s3", "DELETE", jdcloud))[:2] == (405, "MethodNotAllowed")


# --- minio ----------------------------------------------------------------------------------------


def test_minio_answers_its_own_region_in_queue_arns(emulator: RunningEmulator, minio: str) -> None:
    assert put(emulator, minio, document(entry("Queue", "arn:minio:sqs::primary:webhook", id="w"))).status_code == 200

    root = get(emulator, minio)
    [queue] = list(root)
    assert queue.findtext(f"{NS}Queue") == f"arn:minio:sqs:{emulator.region}:primary:webhook"
    # MinIO's own element order, with a <Filter> even when it holds nothing
    assert [child.tag.removeprefix(NS) for child in queue] == ["Id", "Filter", "Event", "Queue"]


def test_minio_supports_only_queues(emulator: RunningEmulator, minio: str) -> None:
    assert error(put(emulator, minio, document(entry(id="t"))))[:2] == (400, "UnsupportedNotification")


@pytest.mark.parametrize(
    "body",
    [
        document(entry("Queue", QUEUE, id="aws-arn")),
        document(entry("Queue", "arn:minio:sqs:eu-west-1:primary:webhook", id="region")),
        document(entry("Queue", "arn:minio:sqs::primary:webhook", "s3:ObjectCreated:Put", "s3:ObjectCreated:Put")),
        document(
            entry("Queue", "arn:minio:sqs::1:webhook", id="x"), entry("Queue", "arn:minio:sqs::1:webhook", id="x")
        ),
        document(entry("Queue", "arn:minio:sqs::1:webhook", prefix="a", rule_names=("Prefix", "suffix"))),
    ],
    ids=["not-minio-arn", "other-region", "repeated-event", "identical-queues", "capitalised-name"],
)
def test_minio_rejects_invalid_queues(emulator: RunningEmulator, minio: str, body: bytes) -> None:
    assert error(put(emulator, minio, body))[:2] == (400, "InvalidArgument")


# --- ceph -----------------------------------------------------------------------------------------


def test_ceph_upserts_by_id_and_answers_sorted_by_id(emulator: RunningEmulator, ceph: str) -> None:
    put(emulator, ceph, document(entry(id="zeta"), entry(id="beta")))
    put(emulator, ceph, document(entry("Topic", TOPIC, "s3:ObjectRemoved:*", id="beta"), entry(id="Alpha")))

    root = get(emulator, ceph)
    assert ids(root) == ["Alpha", "beta", "zeta"]
    assert [event.text for event in root[1].iter("Event")] == ["s3:ObjectRemoved:*"]


def test_ceph_rewrites_topic_arns_and_answers_without_declaration_or_namespace(
    emulator: RunningEmulator, ceph: str
) -> None:
    put(emulator, ceph, document(entry("Topic", "arn:aws:sns:us-east-1:123456789012:t1", id="n")))

    response = emulator.request("s3", "GET", ceph)
    assert response.content.startswith(b"<NotificationConfiguration><TopicConfiguration>")
    assert ElementTree.fromstring(response.content).findtext("TopicConfiguration/Topic") == "arn:aws:sns:default::t1"


def test_ceph_fills_in_created_and_removed_events_when_none_is_given(emulator: RunningEmulator, ceph: str) -> None:
    put(emulator, ceph, document(f"<TopicConfiguration><Id>n</Id><Topic>{TOPIC}</Topic></TopicConfiguration>"))

    events = [event.text for event in get(emulator, ceph).iter("Event")]
    assert events == ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]


@pytest.mark.parametrize(
    "body",
    [
        document(),
        document(entry()),
        document(entry("Queue", QUEUE, id="q")),
        document(entry(id="n", prefix="a", rule_names=("Prefix", "suffix"))),
    ],
    ids=["empty", "no-id", "queue-only", "capitalised-name"],
)
def test_ceph_answers_malformed_xml_with_an_empty_message(emulator: RunningEmulator, ceph: str, body: bytes) -> None:
    put(emulator, ceph, document(entry(id="kept")))

    assert error(put(emulator, ceph, body)) == (400, "MalformedXML", "")
    assert ids(get(emulator, ceph)) == ["kept"]


def test_ceph_reads_and_deletes_single_ids_and_clears_with_delete(emulator: RunningEmulator, ceph: str) -> None:
    put(emulator, ceph, document(entry(id="one"), entry(id="two"), entry(id="three")))

    assert ids(get(emulator, ceph, "notification=two")) == ["two"]
    assert error(emulator.request("s3", "GET", ceph, query="notification=nine"))[:2] == (404, "NoSuchKey")
    assert emulator.request("s3", "DELETE", ceph, query="notification=two").status_code == 200
    assert emulator.request("s3", "DELETE", ceph, query="notification=nine").status_code == 200
    assert ids(get(emulator, ceph)) == ["one", "three"]
    assert emulator.request("s3", "DELETE", ceph).status_code == 200
    assert list(get(emulator, ceph)) == []
