"""Provider error responses → ProviderError / ResponseError carrying code, status and request id.

Formats understood: QingStor JSON {code, message, request_id, url}; BCE JSON {code, message,
requestId}; JD Cloud JSON {code, message, resource, requestId}; S3 XML <Error><Code>…; and the
bodies no parser understands (empty, HTML, truncated), which keep the HTTP status.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from http import HTTPStatus
from typing import Any

import httpx

from reconciler.errors import ProviderError, ResponseError
from reconciler.model.common import printable
from reconciler.providers.limits import DocumentTooComplex, check_json_shape
from reconciler.providers.safe_xml import local_name, parse

REQUEST_ID_HEADERS = (
    "x-qs-request-id",
    "x-bce-request-id",
    "x-amz-request-id",
    "x-amzn-requestid",
    "x-jdcloud-request-id",
)


class MalformedDocument(ValueError):
    """A successful response whose body is not a notification document; says what is wrong.

    `transient`: a cut-short or garbled body that reading again may fix (a read is retried);
    False for a document that is whole but refused (too deep, too many elements)."""

    def __init__(self, problem: str, *, transient: bool = True) -> None:
        super().__init__(problem)
        self.transient = transient


def parse_xml_answer(body: bytes) -> ET.Element:
    """A successful answer's XML body, parsed safely within the caps; MalformedDocument says why not."""
    try:
        return parse(body)
    except DocumentTooComplex as exc:
        raise MalformedDocument(str(exc), transient=False) from None
    except ET.ParseError as exc:
        raise MalformedDocument(f"is not well-formed XML ({exc})") from None
    except Exception as exc:  # noqa: BLE001 - defusedxml refuses DTDs and entities
        raise MalformedDocument(f"was refused by the safe XML parser ({type(exc).__name__})") from None


def parse_json_answer(body: bytes) -> Any:
    """A successful answer's JSON body, parsed within the caps; MalformedDocument says why not."""
    try:
        text = body.decode("utf-8")
        check_json_shape(text)
        return json.loads(text)
    except DocumentTooComplex as exc:
        raise MalformedDocument(str(exc), transient=False) from None
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise MalformedDocument(f"is not valid JSON ({exc})") from None


def request_id_header(answer: httpx.Response | httpx.Headers) -> str | None:
    headers = answer.headers if isinstance(answer, httpx.Response) else answer
    for name in REQUEST_ID_HEADERS:
        if headers.get(name):
            return printable(headers[name])
    return None


# (code, message, request id) as an error document states them
ErrorFields = tuple[str | None, str | None, str | None]


def _field(value: object) -> str | None:
    """A field of a server's error body, its control characters shown, not obeyed."""
    return None if value in (None, "") else printable(str(value))


def _from_json(text: str) -> ErrorFields | None:
    try:
        check_json_shape(text)
        body = json.loads(text)
    except (ValueError, RecursionError):  # DocumentTooComplex is a ValueError
        return None
    if not isinstance(body, dict) or not ({"code", "message"} & body.keys()):
        return None
    return (
        _field(body.get("code")),
        _field(body.get("message")),
        _field(body.get("request_id") or body.get("requestId")),
    )


def _from_xml(text: str) -> ErrorFields | None:
    try:
        root = parse(text)
    except Exception:  # noqa: BLE001 - ParseError and defusedxml's refusals alike: not an error document
        return None
    if local_name(root.tag) != "Error":
        return None
    found = {local_name(child.tag): (child.text or "").strip() for child in root}
    return _field(found.get("Code")), _field(found.get("Message")), _field(found.get("RequestId"))


def _status_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "unexpected status"


def provider_error(response: httpx.Response, *, address: str, action: str) -> ProviderError:
    """The error a failed response stands for; `action` says what we were doing, e.g. "reading the rules"."""
    status = response.status_code
    header_id = request_id_header(response)
    text = response.content.decode("utf-8", errors="replace").strip()
    parsed = (_from_json(text) or _from_xml(text)) if text else None
    if parsed is not None:
        code, message, body_id = parsed
        detail = (message or code or _status_phrase(status)).rstrip(".")
        return ProviderError(
            f"{action} failed: {detail}", address=address, code=code, status=status, request_id=body_id or header_id
        )
    if not text:
        return ProviderError(
            f"{action} failed: {_status_phrase(status)} (empty response body)",
            address=address,
            status=status,
            request_id=header_id,
        )
    kind = "an HTML page" if text.lower().startswith(("<!doctype html", "<html")) else "an unreadable body"
    return ResponseError(
        f"{action} failed: {_status_phrase(status)}, answered with {kind} instead of an error document",
        address=address,
        status=status,
        request_id=header_id,
    )


def unreadable(response: httpx.Response, *, address: str, action: str, problem: str) -> ResponseError:
    """A successful status whose body cannot be understood (broken, too deep, wrong shape)."""
    return ResponseError(
        f"{action} failed: the server's answer could not be read: {problem}",
        address=address,
        status=response.status_code,
        request_id=request_id_header(response),
    )
