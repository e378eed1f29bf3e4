"""Decoding each dialect's bucket listing (what selectors are resolved from), bad bodies included."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from reconciler.errors import ReconcilerError
from reconciler.model.config import BosProvider, QingStorProvider, S3Provider
from reconciler.providers.error_bodies import MalformedDocument
from reconciler.providers.http import RetryPolicy
from reconciler.providers.listing import ListedBucket, decode_json_listing, decode_s3_listing, in_location
from reconciler.providers.registry import client_for

ENV = {"QINGSTOR_ACCESS_KEY_ID": "ak", "QINGSTOR_SECRET_ACCESS_KEY": "sk", "BCE_ACCESS_KEY_ID": "ak",
       "BCE_SECRET_ACCESS_KEY": "sk", "AWS_ACCESS_KEY_ID": "ak", "AWS_SECRET_ACCESS_KEY": "sk"}  # fmt: skip


def test_json_listings_of_qingstor_and_bos() -> None:
    page = decode_json_listing(b'{"count": 3, "buckets": [{"name": "a", "location": "pek3b"}, {"name": "b"}]}')
    assert page.buckets == (ListedBucket("a", "pek3b"), ListedBucket("b")) and page.total == 3
    assert decode_json_listing(b'{"count": 0}').buckets == ()
    bos = decode_json_listing(b'{"owner": {"id": "x"}, "buckets": [{"name": "c", "location": "bj"}]}')
    assert bos.buckets == (ListedBucket("c", "bj"),) and bos.total is None


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"not json", "is not valid JSON"),
        (b'{"owner": {}}', "has no `buckets` list"),
        (b'{"buckets": [{"location": "bj"}]}', "has a bucket without a name"),
    ],
)
def test_bad_json_listings(body: bytes, problem: str) -> None:
    with pytest.raises(MalformedDocument, match=problem):
        decode_json_listing(body)


def test_s3_listing_with_regions_and_a_continuation_token() -> None:
    body = (
        b'<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>o</ID></Owner>'
        b"<Buckets><Bucket><Name>a</Name><BucketRegion>eu-west-1</BucketRegion></Bucket>"
        b"<Bucket><Name>b</Name><CreationDate>2026-01-01T00:00:00Z</CreationDate></Bucket></Buckets>"
        b"<ContinuationToken>next</ContinuationToken></ListAllMyBucketsResult>"
    )
    page = decode_s3_listing(body)
    assert page.buckets == (ListedBucket("a", "eu-west-1"), ListedBucket("b")) and page.next_token == "next"
    assert in_location(page.buckets, "us-east-1") == ["b"] and in_location(page.buckets, None) == ["a", "b"]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"<Error/>", "has root <Error> instead of <ListAllMyBucketsResult>"),
        (b"<ListAllMyBucketsResult><Buckets><Bucket/></Buckets></ListAllMyBucketsResult>", "without a <Name>"),
        (b"<ListAllMyBucketsResult>", "is not well-formed XML"),
        (b'<!DOCTYPE x [<!ENTITY a "b">]><ListAllMyBucketsResult/>', "refused by the safe XML parser"),
    ],
)
def test_bad_s3_listings(body: bytes, problem: str) -> None:
    with pytest.raises(MalformedDocument, match=problem):
        decode_s3_listing(body)


def _list(provider: object, handler: object) -> list[str]:
    async def names() -> list[str]:
        transport = httpx.MockTransport(handler)  # type: ignore[arg-type]
        retry = RetryPolicy(attempts=1)
        async with client_for(provider, environ=ENV, transport=transport, retry=retry) as client:  # type: ignore[arg-type]
            return await client.list_buckets()

    return asyncio.run(names())


def test_qingstor_lists_its_zone_from_qingstor_com_page_by_page() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        offset = int(request.url.params["offset"])
        names = [{"name": f"b{offset + i}", "location": "pek3b" if i else "sh1a"} for i in range(1000)]
        return httpx.Response(200, json={"count": 1500, "buckets": names if offset == 0 else names[:500]})

    names = _list(QingStorProvider(name="qs", zone="pek3b"), handler)
    assert len(names) == 1498 and "b0" not in names and "b1000" not in names
    assert [r.url.host for r in seen] == ["qingstor.com", "qingstor.com"]
    assert [r.url.params["offset"] for r in seen] == ["0", "1000"]
    assert all(r.headers["location"] == "pek3b" and r.headers["authorization"].startswith("QS ak:") for r in seen)


def test_qingstor_stops_when_a_server_ignores_the_offset() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"buckets": [{"name": f"b{i}"} for i in range(1000)]})

    assert len(_list(QingStorProvider(name="qs", zone="pek3b"), handler)) == 1000


def test_qingstor_goes_on_past_a_page_of_other_zones_only() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        others = [{"name": f"o{i}", "location": "sh1a"} for i in range(1000)]
        buckets = others if offset == 0 else [{"name": "mine", "location": "pek3b"}]
        return httpx.Response(200, json={"count": 1001, "buckets": buckets})

    assert _list(QingStorProvider(name="qs", zone="pek3b"), handler) == ["mine"]


def test_bos_keeps_the_buckets_of_its_region() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url == "https://bj.bcebos.com/" and request.headers["authorization"].startswith("bce-auth-v1/")
        return httpx.Response(200, json={"buckets": [{"name": "x", "location": "bj"}, {"name": "y", "location": "gz"}]})

    assert _list(BosProvider(name="bj", region="bj"), handler) == ["x"]


def test_s3_follows_continuation_tokens() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        token = request.url.params.get("continuation-token")
        more = "" if token else "<ContinuationToken>t/1</ContinuationToken>"
        body = f"<ListAllMyBucketsResult><Buckets><Bucket><Name>{token or 'first'}</Name></Bucket></Buckets>{more}"
        return httpx.Response(200, text=body + "</ListAllMyBucketsResult>")

    provider = S3Provider(name="aw", flavor="aws", region="us-east-1")
    assert _list(provider, handler) == ["first", "t/1"]


def test_s3_stops_when_a_server_repeats_its_buckets_under_new_tokens() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.params.get("continuation-token", ""))
        token = f"<ContinuationToken>t{len(calls)}</ContinuationToken>"  # a new token every time
        body = f"<ListAllMyBucketsResult><Buckets><Bucket><Name>only</Name></Bucket></Buckets>{token}"
        return httpx.Response(200, text=body + "</ListAllMyBucketsResult>")

    provider = S3Provider(name="aw", flavor="aws", region="us-east-1")
    assert _list(provider, handler) == ["only"]
    assert calls == ["", "t1"]


def test_an_unreadable_listing_names_the_provider() -> None:
    with pytest.raises(ReconcilerError) as caught:
        _list(QingStorProvider(name="qs", zone="pek3b"), lambda request: httpx.Response(200, text="<html>"))
    assert "listing the buckets failed: the server's answer could not be read: the body is not valid JSON" in str(caught.value)
    assert "qs" in str(caught.value)


def test_a_listing_that_invents_buckets_forever_is_refused_past_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("reconciler.providers.listing.MAX_LISTED", 5)
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.params.get("continuation-token", ""))
        n = len(calls)  # a new bucket and a new token every time: no page repeats itself
        body = f"<ListAllMyBucketsResult><Buckets><Bucket><Name>b{n}</Name></Bucket></Buckets>"
        return httpx.Response(200, text=body + f"<ContinuationToken>t{n}</ContinuationToken></ListAllMyBucketsResult>")

    with pytest.raises(ReconcilerError) as caught:
        _list(S3Provider(name="aw", flavor="aws", region="us-east-1"), handler)
    assert "goes on past 5 buckets" in str(caught.value)
    assert len(calls) == 6
