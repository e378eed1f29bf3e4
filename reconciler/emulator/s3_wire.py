"""S3 `NotificationConfiguration` XML: safe parsing into entries, rendering back, error bodies.

A stored entry is a plain dict:
    {"kind": "topic" | "queue" | "cloud_function", "id": str, "target": str,
     "events": [str, …], "filter": [[group, name, value], …]}
with `group` one of S3Key, S3Metadata, S3Tags; or `{"kind": "event_bridge"}` for AWS's empty
`<EventBridgeConfiguration/>` marker. What each flavor accepts and how it answers lives in
`s3_flavors.py`; this module knows only the XML.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

import defusedxml
from defusedxml.ElementTree import fromstring

from reconciler.emulator.documented import CONFIGURATION_ELEMENTS
from reconciler.emulator.wire import ApiError

S3_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/"
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
KIND_OF_ELEMENT = {element: kind for element, (kind, _target) in CONFIGURATION_ELEMENTS.items()}
WIRE_NAMES = {kind: (element, target) for element, (kind, target) in CONFIGURATION_ELEMENTS.items()}
EVENT_BRIDGE = "event_bridge"
FILTER_GROUPS = ("S3Key", "S3Metadata", "S3Tags")
MALFORMED_MESSAGE = "The XML you provided was not well-formed or did not validate against our published schema"


def malformed(reason: str) -> ApiError:
    return ApiError(400, "MalformedXML", MALFORMED_MESSAGE, reason=reason)


@dataclass
class ParsedEntry:
    """One Topic/Queue/CloudFunction configuration as sent; `problems` lists what did not parse."""

    kind: str
    id: str | None = None
    target: str | None = None
    events: list[str] = field(default_factory=list)
    filter: list[list[str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    unknown_groups: list[str] = field(default_factory=list)

    def stored(self, **changes: Any) -> dict[str, Any]:
        entry = {"kind": self.kind, "id": self.id, "target": self.target, "events": list(self.events),
                 "filter": [list(rule) for rule in self.filter]}  # fmt: skip
        entry.update(changes)
        return entry


@dataclass
class ParsedConfiguration:
    entries: list[ParsedEntry] = field(default_factory=list)
    event_bridge: bool = False
    unknown: list[str] = field(default_factory=list)  # unknown top-level elements


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _text(element: ElementTree.Element) -> str:
    return (element.text or "").strip()


def parse_configuration(body: bytes) -> ParsedConfiguration:
    """Parse without entity expansion; raises MalformedXML for anything that is not the document."""
    if not body.strip():
        raise malformed("the request body is empty")
    try:
        root = fromstring(body)
    except (ElementTree.ParseError, defusedxml.DefusedXmlException, ValueError) as error:
        raise malformed(f"the body is not well-formed XML ({error})") from None
    if _local(root.tag) != "NotificationConfiguration":
        raise malformed(f"the root element is <{_local(root.tag)}>, not <NotificationConfiguration>")
    parsed = ParsedConfiguration()
    for child in root:
        name = _local(child.tag)
        if name in KIND_OF_ELEMENT:
            parsed.entries.append(_parse_entry(child, KIND_OF_ELEMENT[name]))
        elif name == "EventBridgeConfiguration":
            parsed.event_bridge = True
        else:
            parsed.unknown.append(name)
    return parsed


def _parse_entry(element: ElementTree.Element, kind: str) -> ParsedEntry:
    entry = ParsedEntry(kind)
    target_element = WIRE_NAMES[kind][1]
    for child in element:
        name = _local(child.tag)
        if name == "Id":
            if entry.id is not None:
                entry.problems.append("more than one <Id>")
            entry.id = _text(child)
        elif name == target_element:
            if entry.target is not None:
                entry.problems.append(f"more than one <{target_element}>")
            entry.target = _text(child)
        elif name == "Event":
            entry.events.append(_text(child))
        elif name == "Filter":
            _parse_filter(child, entry)
        else:
            entry.problems.append(f"unexpected element <{name}> in <{WIRE_NAMES[kind][0]}>")
    return entry


def _parse_filter(element: ElementTree.Element, entry: ParsedEntry) -> None:
    for group in element:
        group_name = _local(group.tag)
        if group_name not in FILTER_GROUPS:
            entry.unknown_groups.append(group_name)
            continue
        for rule in group:
            if _local(rule.tag) != "FilterRule":
                entry.problems.append(f"unexpected element <{_local(rule.tag)}> in <{group_name}>")
                continue
            parts = {_local(part.tag): part for part in rule}
            if "Name" not in parts or set(parts) - {"Name", "Value"}:
                entry.problems.append(f"a <FilterRule> in <{group_name}> needs exactly <Name> and <Value>")
                continue
            value = parts["Value"].text if "Value" in parts else ""
            entry.filter.append([group_name, _text(parts["Name"]), value or ""])


def parse_location_constraint(body: bytes) -> str | None:
    """The `<LocationConstraint>` of a CreateBucket body (None when the body or it is empty)."""
    if not body.strip():
        return None
    try:
        root = fromstring(body)
    except (ElementTree.ParseError, defusedxml.DefusedXmlException, ValueError) as error:
        raise malformed(f"the body is not well-formed XML ({error})") from None
    if _local(root.tag) != "CreateBucketConfiguration":
        raise malformed(f"the root element is <{_local(root.tag)}>, not <CreateBucketConfiguration>")
    constraint = None
    for child in root:
        if _local(child.tag) != "LocationConstraint" or constraint is not None:
            raise malformed(f"unexpected element <{_local(child.tag)}> in <CreateBucketConfiguration>")
        constraint = _text(child)
    return constraint or None


@dataclass(frozen=True)
class Rendering:
    """How a flavor writes the document: element order inside an entry, header, rule names."""

    order: tuple[str, ...] = ("Id", "target", "Event", "Filter")
    declaration: bool = True
    namespace: bool = True
    capitalised_key_rules: bool = False  # AWS answers Prefix/Suffix whatever was sent
    empty_filter: bool = False  # MinIO always writes <Filter>, even when it holds nothing


def render_configuration(entries: Iterable[dict[str, Any]], rendering: Rendering) -> bytes:
    root = ElementTree.Element("NotificationConfiguration", {"xmlns": S3_NAMESPACE} if rendering.namespace else {})
    for entry in entries:
        if entry["kind"] == EVENT_BRIDGE:
            ElementTree.SubElement(root, "EventBridgeConfiguration")
            continue
        element_name, target_name = WIRE_NAMES[entry["kind"]]
        element = ElementTree.SubElement(root, element_name)
        for part in rendering.order:
            if part == "Id" and entry.get("id") is not None:
                ElementTree.SubElement(element, "Id").text = entry["id"]
            elif part == "target":
                ElementTree.SubElement(element, target_name).text = entry["target"]
            elif part == "Event":
                for event in entry["events"]:
                    ElementTree.SubElement(element, "Event").text = event
            elif part == "Filter" and (entry["filter"] or rendering.empty_filter):
                _render_filter(ElementTree.SubElement(element, "Filter"), entry["filter"], rendering)
    body = ElementTree.tostring(root, encoding="unicode", short_empty_elements=False).encode("utf-8")
    return XML_DECLARATION + body if rendering.declaration else body


def _render_filter(element: ElementTree.Element, rules: list[list[str]], rendering: Rendering) -> None:
    groups: dict[str, ElementTree.Element] = {}
    for group, name, value in rules:
        if group not in groups:
            groups[group] = ElementTree.SubElement(element, group)
        rule = ElementTree.SubElement(groups[group], "FilterRule")
        shown = name.capitalize() if rendering.capitalised_key_rules and group == "S3Key" else name
        ElementTree.SubElement(rule, "Name").text = shown
        ElementTree.SubElement(rule, "Value").text = value


def error_document(code: str, message: str, details: dict[str, str], request_id: str) -> bytes:
    parts = [f"<Code>{escape(code)}</Code>", f"<Message>{escape(message)}</Message>"]
    parts += [f"<{name}>{escape(value)}</{name}>" for name, value in details.items()]
    parts += [f"<RequestId>{escape(request_id)}</RequestId>", f"<HostId>{escape(request_id)}</HostId>"]
    return XML_DECLARATION + f"<Error>{''.join(parts)}</Error>".encode()
