"""`GET /` on the service: each dialect's bucket listing (ListBuckets), for bucket selectors.

- QingStor: JSON `{"count", "buckets": [{"name", "url"}]}`, `limit` (1–1000, default 200) and
  `offset` paging; `count` is every bucket, whatever the page.
- BOS: JSON `{"owner": {"id", "displayName"}, "buckets": [{"name"}]}`, one answer.
- S3: XML `ListAllMyBucketsResult` with `Owner` and `Buckets/Bucket/Name`; `max-buckets`
  (1–10000) pages with an opaque `ContinuationToken`, `continuation-token` resumes and
  `prefix` filters, as AWS does; without `max-buckets` every bucket comes in one answer.
The emulator keeps no zones or regions and no creation times, so listed buckets state neither
(the tool then takes every listed bucket as the provider's own).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from xml.etree import ElementTree

from reconciler.emulator.json_dialect import JSON, json_body
from reconciler.emulator.wire import ApiError, Call, Reply

S3_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/"
QINGSTOR_DEFAULT_LIMIT, QINGSTOR_MAX_LIMIT = 200, 1000
S3_MAX_BUCKETS = 10000
OWNER = "emulator"  # the one account every key of the emulator belongs to


def _whole_number(call: Call, name: str, low: int, high: int, code: str) -> int | None:
    text = call.query.get(name)
    if text is None:
        return None
    if not text.isdigit() or not low <= int(text) <= high:
        raise ApiError(400, code, f"Argument {name} must be an integer between {low} and {high}.")
    return int(text)


def qingstor_listing(call: Call, names: Sequence[str], host: str) -> Reply:
    limit = _whole_number(call, "limit", 1, QINGSTOR_MAX_LIMIT, "invalid_request") or QINGSTOR_DEFAULT_LIMIT
    offset = _whole_number(call, "offset", 0, 2**31, "invalid_request") or 0
    page = names[offset : offset + limit]
    buckets = [{"name": name, "url": f"http://{host}/{name}"} for name in page]
    return Reply(200, json_body({"count": len(names), "buckets": buckets}), JSON)


def bos_listing(names: Sequence[str], owner: str) -> Reply:
    document = {"owner": {"id": owner, "displayName": owner}, "buckets": [{"name": name} for name in names]}
    return Reply(200, json_body(document), JSON)


def s3_listing(call: Call, names: Sequence[str], owner: str) -> Reply:
    prefix = call.query.get("prefix", "")
    selected = [name for name in names if name.startswith(prefix)]
    token = call.query.get("continuation-token")
    if token is not None:
        after = _token_name(token)
        selected = [name for name in selected if name > after]
    limit = _whole_number(call, "max-buckets", 1, S3_MAX_BUCKETS, "InvalidArgument")
    page = selected if limit is None else selected[:limit]
    root = ElementTree.Element("ListAllMyBucketsResult", xmlns=S3_NAMESPACE)
    owner_element = ElementTree.SubElement(root, "Owner")
    ElementTree.SubElement(owner_element, "ID").text = owner
    ElementTree.SubElement(owner_element, "DisplayName").text = owner
    buckets = ElementTree.SubElement(root, "Buckets")
    for name in page:
        ElementTree.SubElement(ElementTree.SubElement(buckets, "Bucket"), "Name").text = name
    if limit is not None and len(selected) > len(page):
        ElementTree.SubElement(root, "ContinuationToken").text = base64.urlsafe_b64encode(page[-1].encode()).decode()
    if prefix:
        ElementTree.SubElement(root, "Prefix").text = prefix
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, encoding="unicode")).encode()
    return Reply(200, body, "application/xml")


def _token_name(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ApiError(400, "InvalidArgument", "The continuation token provided is incorrect.") from None
