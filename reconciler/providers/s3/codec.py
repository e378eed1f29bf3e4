"""S3 XML `NotificationConfiguration` ↔ LiveDocument / S3Rule (flavors aws, jdcloud, minio, ceph).

Parsing is defusedxml (no DTDs, no entity expansion). Reads accept moto's
`GetBucketNotificationResponse` root, FilterRule names in any case (AWS answers `Prefix`), and
Ceph's `S3Metadata`, `S3Tags` and `regex` filters. Each configuration element is kept as `raw`,
serialised without namespace prefix, so foreign rules go back byte for byte as they were read
(EventBridgeConfiguration and elements we do not model included).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any

from reconciler.kinds.s3 import WIRE_NAMES
from reconciler.model.document import DocumentEntry, LiveDocument, LiveRule
from reconciler.model.s3 import FilterRule, S3Filter, S3Rule
from reconciler.providers.error_bodies import MalformedDocument, parse_xml_answer
from reconciler.providers.safe_xml import local_name, parse
from reconciler.words import rule_name

NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/"
ROOTS = ("NotificationConfiguration", "GetBucketNotificationResponse")
RULE_TYPE_BY_ELEMENT = {element: (rule_type, target) for rule_type, (element, target) in WIRE_NAMES.items()}
KEY_FILTERS = ("prefix", "suffix", "regex")


def _without_namespace(element: ET.Element) -> ET.Element:
    copy = ET.Element(local_name(element.tag), {local_name(k): v for k, v in element.attrib.items()})
    copy.text, copy.tail = element.text, None
    for child in element:
        if not isinstance(child.tag, str):  # comments and processing instructions carry no rule data
            continue
        inner = _without_namespace(child)
        inner.tail = child.tail
        copy.append(inner)
    return copy


def _text(element: ET.Element) -> str:
    return (element.text or "").strip()


def _filter_rules(element: ET.Element) -> list[tuple[str, str]]:
    rules = []
    for rule in element:
        if local_name(rule.tag) != "FilterRule":
            raise ValueError(f"unexpected <{local_name(rule.tag)}> in a filter")
        parts = {local_name(part.tag): _text(part) for part in rule}
        if set(parts) != {"Name", "Value"}:
            raise ValueError("a FilterRule needs exactly a Name and a Value")
        rules.append((parts["Name"], parts["Value"]))
    return rules


def _parse_filter(element: ET.Element) -> S3Filter:
    fields: dict[str, Any] = {}
    for group in element:
        name = local_name(group.tag)
        if name == "S3Key":
            for rule_name, value in _filter_rules(group):
                key = rule_name.lower()
                if key not in KEY_FILTERS or key in fields:
                    raise ValueError(f"unsupported or repeated key filter {rule_name!r}")
                fields[key] = value
        elif name in ("S3Metadata", "S3Tags"):
            field = "metadata" if name == "S3Metadata" else "tags"
            fields[field] = tuple(FilterRule(name=n, value=v) for n, v in _filter_rules(group))
        else:
            raise ValueError(f"unsupported filter <{name}>")
    return S3Filter(**fields)


def parse_rule(element: ET.Element, implied_events: Sequence[str] = ()) -> S3Rule:
    """One configuration element; `implied_events` stand for a missing <Event> (Ceph's default)."""
    rule_type, target_name = RULE_TYPE_BY_ELEMENT[local_name(element.tag)]
    fields: dict[str, Any] = {"type": rule_type, "events": []}
    for child in element:
        name = local_name(child.tag)
        if name == "Id":
            fields["id"] = _text(child)
        elif name == target_name:
            fields["target"] = _text(child)
        elif name == "Event":
            fields["events"].append(_text(child))
        elif name == "Filter" and "filter" not in fields:
            fields["filter"] = _parse_filter(child)
        else:
            raise ValueError(f"unexpected <{name}>")
    if not fields.get("id"):
        raise ValueError("no Id")
    fields["events"] = fields["events"] or list(implied_events)
    return S3Rule(**fields)


def decode(body: bytes, implied_events: Sequence[str] = ()) -> LiveDocument:
    if not body.strip():
        raise MalformedDocument("is empty")
    root = parse_xml_answer(body)
    if local_name(root.tag) not in ROOTS:
        raise MalformedDocument(f"has root <{local_name(root.tag)}> instead of <NotificationConfiguration>")
    rules = []
    for element in root:
        if not isinstance(element.tag, str):
            continue
        raw = ET.tostring(_without_namespace(element), encoding="unicode")
        id_element = next((child for child in element if local_name(child.tag) == "Id"), None)
        rule_id = _text(id_element) if id_element is not None else None
        rule = None
        if local_name(element.tag) in RULE_TYPE_BY_ELEMENT:
            try:
                rule = parse_rule(element, implied_events)
            except (ValueError, TypeError):  # pydantic's ValidationError is a ValueError
                rule = None
        rules.append(LiveRule(id=rule_id or None, raw=raw, rule=rule))
    return LiveDocument(rules=tuple(rules))


def _sub(parent: ET.Element, tag: str, text: str) -> None:
    ET.SubElement(parent, tag).text = text


def _filter_group(parent: ET.Element, tag: str, rules: Sequence[tuple[str, str]]) -> None:
    group = ET.SubElement(parent, tag)
    for name, value in rules:
        rule = ET.SubElement(group, "FilterRule")
        _sub(rule, "Name", name)
        _sub(rule, "Value", value)


def rule_element(rule: S3Rule) -> ET.Element:
    """Element order as botocore serialises it: Id, target, Event…, Filter."""
    element_name, target_name = WIRE_NAMES[rule.type]
    element = ET.Element(element_name)
    _sub(element, "Id", rule.id)
    _sub(element, target_name, rule.target)
    for event in rule.events:
        _sub(element, "Event", event)
    if rule.filter is not None:
        filter_element = ET.SubElement(element, "Filter")
        values = {name: getattr(rule.filter, name) for name in KEY_FILTERS}
        key_rules = [(name, value) for name, value in values.items() if value is not None]
        if key_rules:
            _filter_group(filter_element, "S3Key", key_rules)
        if rule.filter.metadata:
            _filter_group(filter_element, "S3Metadata", [(r.name, r.value) for r in rule.filter.metadata])
        if rule.filter.tags:
            _filter_group(filter_element, "S3Tags", [(r.name, r.value) for r in rule.filter.tags])
    return element


def _checked_raw(entry: LiveRule) -> str:
    """A foreign rule's raw XML goes out verbatim, but only if it is one well-formed element."""
    if isinstance(entry.raw, str):
        try:
            parse(entry.raw)
            return entry.raw
        except Exception:  # noqa: BLE001 - any refusal (malformed, DTD, entity) means it cannot go out verbatim
            pass
    raise ValueError(f"the live {rule_name(entry.id)} has no well-formed XML to write back")


def entry_xml(entry: DocumentEntry) -> str:
    if isinstance(entry, LiveRule):
        return _checked_raw(entry)
    if not isinstance(entry, S3Rule):
        raise TypeError(f"an S3 document cannot hold a {type(entry).__name__}")
    return ET.tostring(rule_element(entry), encoding="unicode")


def encode(entries: Sequence[DocumentEntry]) -> bytes:
    """Managed rules from their models, foreign rules from their raw XML unchanged, in order."""
    inner = "".join(entry_xml(entry) for entry in entries)
    if not inner:
        return f'<NotificationConfiguration xmlns="{NAMESPACE}"/>'.encode()
    return f'<NotificationConfiguration xmlns="{NAMESPACE}">{inner}</NotificationConfiguration>'.encode()
