"""Per-dialect client semantics through httpx.MockTransport: methods, URLs, signatures,
clearing, BOS's "no configuration" error and merge fallback, and the S3 flavors."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from reconciler.errors import ProviderError
from reconciler.model.bos import BosApp, BosRule
from reconciler.model.config import BosProvider, QingStorProvider, S3Provider
from reconciler.model.document import LiveDocument, LiveRule
from reconciler.model.qingstor import QingStorRule
from reconciler.model.s3 import S3Rule
from reconciler.providers.base import NotificationClient
from reconciler.providers.qingstor import auth as qs_auth
from reconciler.providers.s3 import codec as s3_codec

QS = QingStorProvider(name="qs", zone="pek3b")
BOS = BosProvider(name="bj", region="bj")
OK = httpx.Response(200)
EMPTY_XML = httpx.Response(200, content=b'<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>')


def run(coro):
    return asyncio.run(coro)


async def _do(client, *steps):
    results = []
    async with client:
        for name, *args in steps:
            results.append(await getattr(client, name)(*args))
    return results


def _s3(flavor, **extra):
    endpoint = {"minio": "http://127.0.0.1:9000", "ceph": "http://127.0.0.1:7480"}.get(flavor)
    return S3Provider(name=flavor, flavor=flavor, region="cn-north-1", endpoint=endpoint, **extra)


def test_every_client_implements_the_protocol(server):
    for provider in (QS, BOS, _s3("aws"), _s3("jdcloud"), _s3("minio"), _s3("ceph")):
        client = server.client(provider)
        assert isinstance(client, NotificationClient)
        run(client.aclose())


# --- QingStor -------------------------------------------------------------------------------


def test_qingstor_read_write_clear(server):
    rule = QingStorRule(id="r", event_types=("create_object",), cloudfunc="notifier")
    server.queue = [httpx.Response(200, json={"notifications": []}), OK, httpx.Response(204), httpx.Response(204)]
    document, *_ = run(
        _do(server.client(QS), ("read", "photos"), ("write", "photos", [rule], LiveDocument()),
            ("write", "photos", [], LiveDocument()), ("clear", "photos"))
    )  # fmt: skip
    assert document.rules == ()
    url = "https://pek3b.qingstor.com/photos?notification"
    assert server.calls == [("GET", url), ("PUT", url), ("DELETE", url), ("DELETE", url)]
    put = server.requests[1]
    assert put.headers["Content-Type"] == "application/json"
    assert json.loads(put.content)["notifications"][0]["id"] == "r"
    assert put.headers["Authorization"].startswith("QS QSAK:")
    assert put.headers["Date"] == "Wed, 01 Jan 2025 00:00:00 GMT"


def test_qingstor_signature_is_the_path_style_one(server):
    server.queue = [httpx.Response(200, json={"notifications": []})]
    run(_do(server.client(QS), ("read", "photos")))
    request = server.requests[0]
    text = qs_auth.string_to_sign("GET", "/photos", {"notification": ""}, request.headers)
    assert text.endswith("\n/photos?notification")
    assert request.headers["Authorization"] == f"QS QSAK:{qs_auth.sign('qs-secret-value', text)}"


def test_qingstor_virtual_host_puts_the_bucket_in_the_host_and_the_signature(server):
    server.queue = [httpx.Response(200, json={"notifications": []})]
    run(_do(server.client(QS.model_copy(update={"addressing": "virtual"})), ("read", "photos")))
    request = server.requests[0]
    assert request.headers["Host"] == "photos.pek3b.qingstor.com" and request.url.raw_path == b"/?notification"
    text = qs_auth.string_to_sign("GET", "/", {"notification": ""}, request.headers, bucket="photos", virtual_host=True)
    assert text.endswith("\n/photos/?notification")
    assert request.headers["Authorization"] == f"QS QSAK:{qs_auth.sign('qs-secret-value', text)}"


def test_qingstor_missing_bucket_error_names_the_address(server):
    body = {"code": "bucket_not_exists", "message": "The bucket you are accessing doesn't exist.", "request_id": "q1"}
    server.queue = [httpx.Response(404, json=body)]
    with pytest.raises(ProviderError) as caught:
        run(_do(server.client(QS), ("read", "photos")))
    assert caught.value.code == "bucket_not_exists" and caught.value.address == "qs/photos"
    assert str(caught.value).startswith("qs/photos: reading the notification rules failed:")


# --- BOS ------------------------------------------------------------------------------------

BOS_RULE = BosRule(
    id="keep",
    appId="a",
    status="enabled",
    resources=("/x/*",),
    events=("PutObject",),
    apps=(BosApp(id="a", eventUrl="https://h.example.com"),),
)


def test_bos_uses_virtual_hosts_and_bce_auth(server):
    server.queue = [httpx.Response(200, json={"notifications": []})]
    run(_do(server.client(BOS), ("read", "docs")))
    request = server.requests[0]
    assert str(request.url) == "https://docs.bj.bcebos.com/?notification="
    assert request.headers["x-bce-date"] == "2025-01-01T00:00:00Z"
    assert request.headers["Authorization"].startswith("bce-auth-v1/BCEAK/2025-01-01T00:00:00Z/1800//")


def test_bos_no_configuration_error_is_an_empty_document(server):
    body = {"code": "NoSuchNotification", "message": "The notification does not exist.", "requestId": "bkt"}
    server.queue = [httpx.Response(404, json=body)]
    assert run(_do(server.client(BOS), ("read", "docs"))) == [LiveDocument()]


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(
            404, json={"code": "NoSuchBucket", "message": "The specified bucket does not exist.", "requestId": "b2"}
        ),
        httpx.Response(404),  # no code: we cannot tell "no rules" from "no bucket"
        # a generic Not Found (a gateway, a fault) must not read as an empty document: a write would drop rules
        httpx.Response(404, json={"code": "NotFound", "message": "Not Found", "requestId": "b4"}),
        httpx.Response(403, json={"code": "AccessDenied", "message": "Access denied.", "requestId": "b3"}),
    ],
    ids=["no-such-bucket", "bodiless-404", "generic-not-found", "access-denied"],
)
def test_bos_other_read_errors_stay_errors(server, response):
    server.queue = [response]
    with pytest.raises(ProviderError) as caught:
        run(_do(server.client(BOS), ("read", "docs")))
    assert caught.value.status == response.status_code and caught.value.address == "bj/docs"


class _BosBucket:
    """A BOS bucket document; `merge` makes PUT add rules instead of replacing them."""

    def __init__(self, rules, *, merge):
        self.rules, self.merge = list(rules), merge

    def __call__(self, request):
        if request.method == "GET":
            return httpx.Response(200, json={"notifications": self.rules})
        if request.method == "DELETE":
            self.rules = []
            return httpx.Response(200)
        sent = json.loads(request.content)["notifications"]
        if self.merge:
            sent_ids = {rule["id"] for rule in sent}
            self.rules = [rule for rule in self.rules if rule["id"] not in sent_ids] + sent
        else:
            self.rules = sent
        return httpx.Response(200)


def _bos_write(server, bucket):
    server.handler = bucket

    async def go():
        async with server.client(BOS) as client:
            previous = await client.read("docs")
            await client.write("docs", [BOS_RULE], previous)
            return await client.read("docs")

    return run(go())


def test_bos_write_that_removes_rules_checks_the_server_replaced_them(server):
    bucket = _BosBucket([{"id": "gone", "appId": "a"}], merge=False)
    assert _bos_write(server, bucket).ids == ["keep"]
    assert [method for method, _ in server.calls] == ["GET", "PUT", "GET", "GET"]


def test_bos_write_on_a_merging_server_clears_and_writes_again(server):
    bucket = _BosBucket([{"id": "gone", "appId": "a"}], merge=True)
    assert _bos_write(server, bucket).ids == ["keep"]
    assert [method for method, _ in server.calls] == ["GET", "PUT", "GET", "DELETE", "PUT", "GET"]


def test_bos_put_sends_the_documented_content_type_and_a_simplified_rule(server):
    """PutNotification's request syntax: `Content-Type: application/json; charset=utf-8`."""
    simplified = BosRule(id="keys", appId="a", status="enabled")
    server.queue = [OK]
    run(_do(server.client(BOS), ("write", "docs", [simplified], LiveDocument())))
    put = server.requests[0]
    assert put.headers["Content-Type"] == "application/json; charset=utf-8"
    assert json.loads(put.content) == {"notifications": [{"id": "keys", "appId": "a", "status": "enabled"}]}


def test_bos_empty_write_and_clear_delete(server):
    server.queue = [OK, OK]
    run(_do(server.client(BOS), ("write", "docs", [], LiveDocument()), ("clear", "docs")))
    assert server.calls == [("DELETE", "https://docs.bj.bcebos.com/?notification=")] * 2


# --- S3 flavors -----------------------------------------------------------------------------

TOPIC = S3Rule(id="t", type="topic", target="arn:aws:sns:cn-north-1:1:t", events=("s3:ObjectCreated:*",))


@pytest.mark.parametrize("flavor", ["aws", "jdcloud", "minio"])
def test_replacing_flavors_never_send_delete(server, flavor):
    server.handler = lambda request: EMPTY_XML if request.method == "GET" else OK
    run(
        _do(server.client(_s3(flavor)), ("read", "bkt"), ("write", "bkt", [TOPIC], LiveDocument()),
            ("write", "bkt", [], LiveDocument()), ("clear", "bkt"))
    )  # fmt: skip
    assert [method for method, _ in server.calls] == ["GET", "PUT", "PUT", "PUT"]
    assert server.requests[2].content == server.requests[3].content == s3_codec.encode([])
    assert all(request.url.query == b"notification" for request in server.requests)


def test_aws_and_jdcloud_default_to_virtual_hosts(server):
    server.handler = lambda request: EMPTY_XML
    run(_do(server.client(_s3("aws")), ("read", "bkt")))
    run(_do(server.client(_s3("jdcloud")), ("read", "bkt")))
    assert [url for _, url in server.calls] == [
        "https://bkt.s3.cn-north-1.amazonaws.com.cn/?notification",
        "https://bkt.s3.cn-north-1.jdcloud-oss.com/?notification",
    ]
    signed = server.requests[0].headers["Authorization"]
    assert "Credential=AWSAK/20250101/cn-north-1/s3/aws4_request" in signed
    assert "SignedHeaders=host;x-amz-content-sha256;x-amz-date," in signed


def test_aws_can_skip_destination_validation(server):
    server.queue = [OK, OK]
    run(_do(server.client(_s3("aws", skip_destination_validation=True)), ("write", "bkt", [TOPIC], LiveDocument())))
    run(_do(server.client(_s3("jdcloud", skip_destination_validation=True)), ("write", "bkt", [TOPIC], LiveDocument())))
    aws, jdcloud = server.requests
    assert aws.headers["x-amz-skip-destination-validation"] == "true"
    assert "x-amz-skip-destination-validation" in aws.headers["Authorization"]
    assert "x-amz-skip-destination-validation" not in jdcloud.headers
    assert aws.headers["Content-Type"] == "application/xml"


def _ceph_live(*rules):
    return LiveDocument(rules=tuple(LiveRule(id=r.id, raw=s3_codec.entry_xml(r), rule=r) for r in rules))


def test_ceph_write_deletes_gone_ids_and_overwrites_same_topic_changes_in_place(server):
    ceph_arn = "arn:aws:sns:default::sink"
    same = S3Rule(id="a-same", target=ceph_arn, events=("s3:ObjectCreated:*",))
    changed = S3Rule(id="b-changed", target=ceph_arn, events=("s3:ObjectCreated:*",))
    gone = S3Rule(id="c-gone", target=ceph_arn, events=("s3:ObjectCreated:*",))
    foreign = S3Rule(id="f-foreign", target=ceph_arn, events=("s3:ObjectRemoved:*",))
    previous = _ceph_live(same, changed, gone, foreign)
    wanted = [
        same.model_copy(update={"target": "sink"}),  # ceph rewrites topic names into ARNs: not a change
        changed.model_copy(update={"events": ("s3:ObjectRemoved:*",)}),  # same Id and topic: RGW overwrites
        S3Rule(id="d-new", target="sink", events=("s3:ObjectCreated:Put",)),
        previous.by_id()["f-foreign"],
    ]
    server.handler = lambda request: OK
    run(_do(server.client(_s3("ceph")), ("write", "bkt", wanted, previous)))
    assert server.calls == [
        ("DELETE", "http://127.0.0.1:7480/bkt?notification=c-gone"),
        ("PUT", "http://127.0.0.1:7480/bkt?notification"),
    ]
    assert s3_codec.decode(server.requests[1].content).ids == ["b-changed", "d-new"]


def test_ceph_write_deletes_a_rule_first_only_when_its_topic_changes(server):
    rule = S3Rule(id="a", target="arn:aws:sns:default::old", events=("s3:ObjectCreated:*",))
    previous = _ceph_live(rule)
    server.handler = lambda request: OK
    run(_do(server.client(_s3("ceph")), ("write", "bkt", [rule.model_copy(update={"target": "new"})], previous)))
    assert server.calls == [
        ("DELETE", "http://127.0.0.1:7480/bkt?notification=a"),
        ("PUT", "http://127.0.0.1:7480/bkt?notification"),
    ]


def test_ceph_write_of_nothing_new_sends_no_put(server):
    rule = S3Rule(id="a", target="arn:aws:sns:default::sink", events=("s3:ObjectCreated:*",))
    previous = _ceph_live(rule, rule.model_copy(update={"id": "b"}))
    server.handler = lambda request: OK
    run(_do(server.client(_s3("ceph")), ("write", "bkt", [rule], previous)))
    assert server.calls == [("DELETE", "http://127.0.0.1:7480/bkt?notification=b")]


def test_ceph_clears_with_delete(server):
    server.handler = lambda request: httpx.Response(204)
    previous = _ceph_live(TOPIC)
    run(_do(server.client(_s3("ceph")), ("write", "bkt", [], previous), ("clear", "bkt")))
    assert server.calls == [("DELETE", "http://127.0.0.1:7480/bkt?notification")] * 2


def test_ceph_ids_are_escaped_in_the_query(server):
    server.handler = lambda request: OK
    odd = S3Rule(id="a b&c", target="arn:aws:sns:default::sink", events=("s3:ObjectCreated:*",))
    run(_do(server.client(_s3("ceph")), ("write", "bkt", [TOPIC], _ceph_live(odd))))
    assert server.requests[0].url.params["notification"] == "a b&c"
