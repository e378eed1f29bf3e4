"""QingStor JSON `{"notifications": [...]}` ↔ LiveDocument / QingStorRule.

Reads accept `object_filters` as a list or a string, and `object_filter` (what the GET docs
name it); unknown keys stay in `raw` and are ignored by the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reconciler.model.document import DocumentEntry, LiveDocument
from reconciler.model.qingstor import IMAGE_DEFAULTS, CloudfuncArgs, QingStorRule
from reconciler.providers.json_document import decode_document, encode_document, known

RULE_FIELDS = (*QingStorRule.model_fields, "object_filter")  # GET documents `object_filter`


def parse_rule(entry: dict[str, Any]) -> QingStorRule:
    fields = known(entry, RULE_FIELDS)
    args = fields.get("cloudfunc_args")
    if isinstance(args, dict):
        # custom parameters: every key kept as the server holds it (only image's absent ones dropped)
        fields["cloudfunc_args"] = {
            k: v for k, v in args.items() if v is not None or k not in CloudfuncArgs.model_fields
        }
    return QingStorRule.model_validate({k: v for k, v in fields.items() if v is not None})


def rule_to_wire(rule: QingStorRule) -> dict[str, Any]:
    wire: dict[str, Any] = {"id": rule.id, "event_types": list(rule.event_types)}
    if rule.object_filters:
        wire["object_filters"] = list(rule.object_filters)
    wire["cloudfunc"] = rule.cloudfunc
    if rule.cloudfunc_args is not None:
        wire["cloudfunc_args"] = args_to_wire(rule)
    if rule.notify_url is not None:
        wire["notify_url"] = rule.notify_url
    return wire


def args_to_wire(rule: QingStorRule) -> dict[str, Any]:
    """Declared keys as given; image's server defaults (key_prefix "gen", key_seprate "_") are left
    for the server to fill in."""
    assert rule.cloudfunc_args is not None
    args = rule.cloudfunc_args
    wire = {name: getattr(args, name) for name in CloudfuncArgs.model_fields if getattr(args, name) is not None}
    if rule.cloudfunc == "image":
        wire = {name: value for name, value in wire.items() if IMAGE_DEFAULTS.get(name) != value}
    return {**wire, **(args.model_extra or {})}


def decode(body: bytes) -> LiveDocument:
    return decode_document(body, parse_rule)


def encode(entries: Sequence[DocumentEntry]) -> bytes:
    return encode_document(entries, _checked)


def _checked(rule: Any) -> dict[str, Any]:
    if not isinstance(rule, QingStorRule):
        raise TypeError(f"a QingStor document cannot hold a {type(rule).__name__}")
    return rule_to_wire(rule)
