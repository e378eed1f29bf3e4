"""Canonical formatting of configuration files (`reconciler fmt`): pure text in, text out.

YAML keeps its comments and each mapping's or list's block/flow style (ruamel's round trip);
keys go in the JSON Schema's order (the published contract: `version`, `providers`, `buckets`;
a provider's `type` first; a rule's `id` first, then its dialect's fields), keys the schema does
not name keep their place after those it does; quotes only where YAML needs them; indentation
two spaces, list items indented under their key. JSON files become two-space JSON in the same
key order. Formatting is idempotent: a formatted file formats to itself.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

from reconciler.config.schema import published_schema

RULE_SIGNS = {  # a rule's fields that name its dialect, when its provider is not known
    "qingstor": ("event_types", "cloudfunc", "notify_url", "object_filters"),
    "bos": ("appId", "apps", "resources", "events"),
    "s3": ("target", "filter", "type"),
}


class FormatError(ValueError):
    """The file cannot be parsed, so it is left as it is (`line` 1-based when known)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


@cache
def _orders() -> dict[str, tuple[str, ...]]:
    """Property order of every object the schema defines, by definition name (`""`: the top level)."""
    schema = published_schema()
    orders = {"": tuple(schema.get("properties", {}))}
    for name, definition in schema.get("definitions", {}).items():
        if isinstance(definition, dict) and definition.get("properties"):
            orders[name] = tuple(definition["properties"])
    return orders


def _order(name: str) -> tuple[str, ...]:
    return _orders().get(name, ())


def _sorted_keys(keys: Sequence[Any], order: Sequence[str]) -> list[Any]:
    rank = {key: index for index, key in enumerate(order)}
    known = sorted((key for key in keys if key in rank), key=lambda key: rank[key])
    return known + [key for key in keys if key not in rank]


def _reorder(mapping: Any, order: Sequence[str]) -> None:
    """Keys in `order` first, in place, so comments stay attached to their keys."""
    if not isinstance(mapping, dict):
        return
    for key in _sorted_keys(list(mapping), order):
        if hasattr(mapping, "move_to_end"):  # ruamel's CommentedMap: comments are kept by key
            mapping.move_to_end(key)
        else:
            mapping[key] = mapping.pop(key)


def _items(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def _dialect(rule: Mapping[str, Any], provider_type: str | None) -> str | None:
    if provider_type in RULE_SIGNS:
        return provider_type
    for dialect, signs in RULE_SIGNS.items():
        if any(sign in rule for sign in signs):
            return dialect
    return None


def _canonical(document: Any, provider_types: Mapping[str, str]) -> None:
    """Every mapping of a configuration document put in the schema's key order, in place."""
    if not isinstance(document, dict):
        return
    _reorder(document, _order(""))
    providers = document.get("providers")
    if isinstance(providers, dict):
        for provider in providers.values():
            if not isinstance(provider, dict):
                continue
            kind = provider.get("type")
            _reorder(provider, _order(f"{kind}_provider") or _order("provider"))
            credentials = provider.get("credentials")
            _reorder(credentials, _order("s3_credentials"))
            if isinstance(credentials, dict):
                for ref in credentials.values():
                    _reorder(ref, _order("secret_ref"))
    for bucket in _items(document.get("buckets")):
        if not isinstance(bucket, dict):
            continue
        _reorder(bucket, _order("bucket"))
        provider_type = provider_types.get(str(bucket.get("provider")))
        for rule in _items(bucket.get("notifications")):
            if isinstance(rule, dict):
                _rule(rule, _dialect(rule, provider_type))


def _rule(rule: Any, dialect: str | None) -> None:
    if dialect is None:
        _reorder(rule, ("id",))
        return
    _reorder(rule, _order(f"{dialect}_rule"))
    if dialect == "qingstor":
        _reorder(rule.get("cloudfunc_args"), _order("qingstor_cloudfunc_args"))
    elif dialect == "bos":
        for app in _items(rule.get("apps")):
            _reorder(app, _order("bos_app"))
        encryption = rule.get("encryption")
        _reorder(encryption, _order("bos_encryption"))
        if isinstance(encryption, dict):
            _reorder(encryption.get("key"), _order("secret_ref"))
    elif dialect == "s3":
        filter_ = rule.get("filter")
        _reorder(filter_, _order("s3_filter"))
        if isinstance(filter_, dict):
            for name in ("metadata", "tags"):
                for entry in _items(filter_.get(name)):
                    _reorder(entry, _order("s3_filter_rule"))


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096  # never fold a long line: formatting must not change values
    yaml.preserve_quotes = False  # quotes only where YAML needs them
    return yaml


def _dump(yaml: YAML, document: Any) -> str:
    buffer = io.StringIO()
    yaml.dump(document, buffer)
    return buffer.getvalue()


_INDICATORS = frozenset("#&*!|>'\"%@`{}[],?")
_SAFE = YAML(typ="safe", pure=True)


def _needs_quotes(text: str, flow: bool) -> bool:
    """Quote a string unless it is a plain word every YAML reader reads the same (not a number,
    boolean, null or date; no indicator characters; a `:` only inside block values like URLs)."""
    if not text or text != text.strip() or "\n" in text or text[0] in "-?:" or _INDICATORS & set(text):
        return True
    if ":" in text and (flow or ": " in text or text.endswith(":")):
        return True
    try:
        return _SAFE.load(text) != text
    except YAMLError:
        return True


def _quoted(value: Any, flow: bool) -> Any:
    if type(value) is str or isinstance(value, (SingleQuotedScalarString, DoubleQuotedScalarString)):
        plain = str(value)
        return DoubleQuotedScalarString(plain) if _needs_quotes(plain, flow) else plain
    _requote(value)
    return value


def _requote(node: Any) -> None:
    """Every string value plain or double-quoted, by `_needs_quotes`; block scalars (`|`) stay."""
    flow = bool(getattr(node, "fa", None) and node.fa.flow_style())
    if isinstance(node, dict):
        for key in list(node):
            node[key] = _quoted(node[key], flow)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            node[index] = _quoted(value, flow)


def _values(text: str) -> Any:
    """The first non-empty document's plain content (an empty trailing `---` is no document)."""
    return next((document for document in YAML(typ="safe", pure=True).load_all(text) if document is not None), None)


def provider_types(text: str, *, json_file: bool) -> dict[str, str]:
    """Provider name → type declared in one file's text (nothing when it cannot be read)."""
    try:
        document = json.loads(text) if json_file else _values(text)
    except (ValueError, YAMLError):
        return {}
    providers = document.get("providers") if isinstance(document, dict) else None
    if not isinstance(providers, dict):
        return {}
    return {
        str(name): p["type"] for name, p in providers.items() if isinstance(p, dict) and isinstance(p.get("type"), str)
    }


def format_text(text: str, *, json_file: bool = False, types: Mapping[str, str] | None = None) -> str:
    """The canonical form of one configuration file's text; FormatError when it cannot be parsed.
    `types`: provider name → type across every file of the configuration (rules' dialects)."""
    known = dict(types or {})
    if json_file:
        try:
            document = json.loads(text)
        except ValueError as exc:
            raise FormatError(f"invalid JSON: {exc}", getattr(exc, "lineno", None)) from None
        known.update(provider_types(text, json_file=True))
        _canonical(document, known)
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    yaml = _yaml()
    try:
        documents = list(yaml.load_all(text))
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise FormatError(
            f"invalid YAML: {getattr(exc, 'problem', None) or exc}", mark.line + 1 if mark else None
        ) from None
    filled = [document for document in documents if document is not None]
    if len(filled) > 1:
        raise FormatError("several YAML documents in one file: `validate` says where the second starts")
    if not filled:
        return text  # empty or comments only: nothing to format
    known.update(provider_types(text, json_file=False))
    _canonical(filled[0], known)
    _requote(filled[0])
    formatted = _dump(yaml, filled[0])
    if _values(formatted) != _values(text):
        raise FormatError("formatting would change a value (please report this); left as it is")
    if text.lstrip().startswith("---") and not formatted.startswith("---"):
        formatted = "---\n" + formatted  # an explicit document start is the author's choice
    return formatted
