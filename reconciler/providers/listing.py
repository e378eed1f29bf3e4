"""Bucket listings, per dialect: the names a provider's credentials can see, for bucket selectors.

- qingstor  `GET /` on qingstor.com (or the configured endpoint) with `Location: <zone>`; JSON
            `{"count": N, "buckets": [{"name", "location", …}]}`, paged with `limit` / `offset`.
- bos       `GET /` on the region endpoint; JSON `{"owner": …, "buckets": [{"name", "location", …}]}`.
- s3        `GET /` (ListBuckets); XML `ListAllMyBucketsResult`, followed by `continuation-token`
            while the answer carries a `ContinuationToken` (AWS pages; other servers answer whole).
A bucket whose listing states another location than the provider's zone or region is left out:
its notification API lives on another endpoint. Decoding is pure; the clients send the requests.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.errors import ResponseError
from reconciler.providers.error_bodies import MalformedDocument, parse_json_answer, parse_xml_answer
from reconciler.providers.safe_xml import local_name

LIST = "listing the buckets"
QINGSTOR_PAGE = 1000  # QingStor's `limit` (its documented maximum)
MAX_LISTED = 1_000_000  # bucket names in one listing: AWS's highest account quota; past it, a server pages forever


@dataclass(frozen=True)
class ListedBucket:
    name: str
    location: str | None = None  # zone or region, when the listing states one


@dataclass(frozen=True)
class ListingPage:
    buckets: tuple[ListedBucket, ...]
    total: int | None = None  # qingstor: `count`, every bucket of the listing
    next_token: str | None = None  # s3: ContinuationToken


def decode_json_listing(body: bytes) -> ListingPage:
    """QingStor's and BOS's answer: `buckets` with a `name` (and `location`) each."""
    document = parse_json_answer(body)
    buckets = document.get("buckets") if isinstance(document, dict) else None
    if buckets is None and isinstance(document, dict) and "count" in document:
        buckets = []  # QingStor leaves `buckets` out when there are none
    if not isinstance(buckets, list):
        raise MalformedDocument("has no `buckets` list")
    listed = []
    for item in buckets:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise MalformedDocument("has a bucket without a name")
        location = item.get("location")
        listed.append(ListedBucket(item["name"], location if isinstance(location, str) and location else None))
    count = document.get("count")
    return ListingPage(tuple(listed), total=count if isinstance(count, int) and not isinstance(count, bool) else None)


def decode_s3_listing(body: bytes) -> ListingPage:
    root = parse_xml_answer(body)
    if local_name(root.tag) != "ListAllMyBucketsResult":
        raise MalformedDocument(f"has root <{local_name(root.tag)}> instead of <ListAllMyBucketsResult>")
    listed = []
    token = None
    for element in root:
        name = local_name(element.tag)
        if name == "ContinuationToken" and (element.text or "").strip():
            token = element.text.strip()  # type: ignore[union-attr]
        if name != "Buckets":
            continue
        for bucket in element:
            fields = {local_name(child.tag): (child.text or "").strip() for child in bucket}
            if not fields.get("Name"):
                raise MalformedDocument("has a <Bucket> without a <Name>")
            listed.append(ListedBucket(fields["Name"], fields.get("BucketRegion") or None))
    return ListingPage(tuple(listed), next_token=token)


def new_buckets(page: ListingPage, listed: set[str]) -> tuple[ListedBucket, ...]:
    """The buckets of `page` not listed before (added to `listed`, every name of any location). A
    page with none ends a listing (a server repeating itself, under a new token or offset or not);
    a listing past MAX_LISTED names is refused (a server inventing names would be paged forever)."""
    fresh = tuple(b for b in page.buckets if b.name not in listed)
    listed.update(b.name for b in fresh)
    if len(listed) > MAX_LISTED:
        raise ResponseError(f"{LIST}: the listing goes on past {MAX_LISTED:,} buckets; refusing to page further")
    return fresh


def in_location(buckets: tuple[ListedBucket, ...], location: str | None) -> list[str]:
    """Names of the buckets that live at `location` (all of them when the listing states none)."""
    return [b.name for b in buckets if location is None or b.location is None or b.location == location]
