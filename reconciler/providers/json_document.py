"""The `{"notifications": [...]}` JSON document shared by the QingStor and BOS dialects."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import ValidationError

from reconciler.errors import ReconcilerError
from reconciler.model.document import DocumentEntry, LiveDocument, LiveRule, Rule
from reconciler.providers.error_bodies import MalformedDocument, parse_json_answer


class UnwritableDocument(ReconcilerError):
    """A document that cannot be put on the wire as valid JSON (the rule is named)."""


def decode_document(body: bytes, parse_rule: Callable[[dict[str, Any]], Rule]) -> LiveDocument:
    """Every entry keeps its exact JSON as `raw`; `rule` is None when it does not fit the model."""
    document = parse_json_answer(body)
    if not isinstance(document, dict):
        raise MalformedDocument("is not a JSON object")
    entries = document.get("notifications")
    if entries is None:
        return LiveDocument()
    if not isinstance(entries, list):
        raise MalformedDocument("has a `notifications` field that is not a list")
    rules = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise MalformedDocument(f"has notifications[{index}] that is not an object")
        rule_id = entry.get("id")
        try:
            rule = parse_rule(entry)
        except (ValidationError, ValueError, TypeError):
            rule = None
        rules.append(LiveRule(id=rule_id if isinstance(rule_id, str) else None, raw=entry, rule=rule))
    return LiveDocument(rules=tuple(rules))


def encode_document(entries: Sequence[DocumentEntry], encode_rule: Callable[[Any], dict[str, Any]]) -> bytes:
    """Managed rules from their models, foreign rules from their raw JSON unchanged, in order."""
    items = [entry.raw if isinstance(entry, LiveRule) else encode_rule(entry) for entry in entries]
    for entry, item in zip(entries, items, strict=True):
        try:  # NaN and Infinity, which a server may send us, are not JSON: never send them back
            json.dumps(item, allow_nan=False)
        except ValueError:
            name = f"rule {entry.id!r}" if entry.id is not None else "a rule without an id"
            raise UnwritableDocument(
                f"{name} holds a number that is not valid JSON (NaN or Infinity), so the document cannot be "
                "written; fix or remove that rule on the server first"
            ) from None
    return json.dumps({"notifications": items}, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def known(entry: dict[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    """Only the fields a model knows: servers add keys of their own, which are kept in `raw` only."""
    return {name: entry[name] for name in fields if name in entry}
