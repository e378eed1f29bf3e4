"""YAML read by libyaml's C parser (PyYAML's CParser), for files where it is sure to mean what
ruamel's YAML 1.2 round-trip loader would read: 30 to 50 times less CPU on a large configuration.

`read(text)` returns the plain values (dicts, lists, str, int, bool, None) and the positions of
the entries one and two levels down (where a bucket or provider is declared), or None when the
file holds anything where the two parsers could differ or that only ruamel reports well: a syntax
error, a directive, an anchor or alias, an explicit tag, a merge key, a duplicate key, a key that
is not text, a plain scalar that YAML 1.2 might read as something other than a string, a boolean,
null or a plain decimal integer (floats, dates, octal, `.inf`…), an empty value, or unusual
characters. The caller
then takes ruamel's path, which reads or reports it.

`compose(text)` and `position(node, path)` give the line and column of any path, for a
diagnostic, by composing the text again (no values are built).
"""

from __future__ import annotations

import re
from typing import Any

from yaml import YAMLError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

try:
    from yaml.cyaml import CParser
except ImportError:  # pragma: no cover - PyYAML built without libyaml: always the ruamel path
    CParser = None

__all__ = ["Node", "Place", "compose", "position", "read"]

Place = tuple[int, int, int, int]  # 0-based key line, key column, value line, value column
_PLAIN, _QUOTED, _MAP, _SEQ = "plain", "quoted", "map", "seq"  # what the composer notes instead of tags
_UNUSUAL = re.compile(r"[^\n\r\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]|^%", re.M)
_NULLS = frozenset({"~", "null", "Null", "NULL"})
_BOOLEANS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INTEGER = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_NOT_SURELY_TEXT = frozenset("0123456789+-.")


class _Unsure(Exception):
    """The fast path cannot be sure it reads this as ruamel would."""


if CParser is not None:

    class _Composer(CParser):  # type: ignore[misc, valid-type]
        """Composes nodes, noting for each scalar only whether it was plain (no tag resolution)."""

        def resolve(self, kind: type, value: str, implicit: tuple[bool, bool]) -> str:
            if kind is ScalarNode:
                return _PLAIN if implicit[0] else _QUOTED
            return _MAP if kind is MappingNode else _SEQ

        def descend_resolver(self, *_: Any) -> None:
            pass

        def ascend_resolver(self, *_: Any) -> None:
            pass


def compose(text: str) -> Node | None:
    """The node tree of `text` (None when libyaml cannot compose it)."""
    if CParser is None:
        return None
    composer = _Composer(text)
    try:
        return composer.get_single_node()
    except YAMLError:
        return None
    finally:
        composer.dispose()


def _plain(value: str) -> Any:
    if not value:
        raise _Unsure  # an empty value: ruamel places it where the next token starts, libyaml where it is
    if value in _NULLS:
        return None
    if value in _BOOLEANS:
        return _BOOLEANS[value]
    if value in ("=", "<<"):
        raise _Unsure  # ruamel reads YAML 1.1's value and merge tags even in 1.2
    if value[0] in _NOT_SURELY_TEXT:
        if _INTEGER.fullmatch(value):
            return int(value)
        raise _Unsure
    return value


class _Builder:
    def __init__(self, max_depth: int, max_nodes: int) -> None:
        self.max_depth = max_depth
        self.left = max_nodes
        self.seen: set[int] = set()

    def value(self, node: Node, depth: int) -> Any:
        self.left -= 1
        if self.left < 0 or depth > self.max_depth:
            raise _Unsure  # ruamel's path reports it, with its place
        tag = node.tag
        if tag is _QUOTED:
            return node.value
        if tag is _PLAIN:
            return _plain(node.value)
        if id(node) in self.seen:
            raise _Unsure  # an alias: ruamel's path counts its expansion
        self.seen.add(id(node))
        if tag is _MAP:
            mapping: dict[str, Any] = {}
            for key, item in node.value:
                name = self.key(key)
                if name in mapping:
                    raise _Unsure  # a duplicate: ruamel's path names both places
                mapping[name] = self.value(item, depth + 1)
            return mapping
        if tag is _SEQ:
            return [self.value(item, depth + 1) for item in node.value]
        raise _Unsure  # an explicit tag

    @staticmethod
    def key(node: Node) -> str:
        if node.tag is _QUOTED:
            return node.value  # type: ignore[no-any-return]
        if node.tag is _PLAIN and node.value != "<<":
            name = _plain(node.value)
            if isinstance(name, str):
                return name
        raise _Unsure


def _places(root: Node) -> dict[tuple[Any, ...], Place]:
    """Where the entries one and two levels down are (top-level keys, buckets, providers)."""
    places: dict[tuple[Any, ...], Place] = {}
    if not isinstance(root, MappingNode):
        return places
    for key, item in root.value:
        places[(key.value,)] = _place(key, item)
        if isinstance(item, MappingNode):
            for inner_key, inner in item.value:
                places[(key.value, inner_key.value)] = _place(inner_key, inner)
        elif isinstance(item, SequenceNode):
            for index, inner in enumerate(item.value):
                mark = inner.start_mark
                places[(key.value, index)] = (mark.line, mark.column, mark.line, mark.column)
    return places


def _place(key: Node, value: Node) -> Place:
    return key.start_mark.line, key.start_mark.column, value.start_mark.line, value.start_mark.column


def read(text: str, max_depth: int, max_nodes: int) -> tuple[Any, dict[tuple[Any, ...], Place]] | None:
    """The plain values of `text` and the places of its upper entries, or None (see above)."""
    if CParser is None or _UNUSUAL.search(text):
        return None
    root = compose(text)
    if root is None:
        return None if text.strip() else (None, {})
    try:
        data = _Builder(max_depth, max_nodes).value(root, 0)
    except (_Unsure, RecursionError):
        return None
    return data, _places(root)


def position(root: Node, path: tuple[Any, ...], *, at_key: bool = False) -> tuple[int, int]:
    """0-based line and column of the value at `path` (of its key with `at_key`), or of the
    closest enclosing entry written in the file."""
    node = root
    line, column = (0, 0) if isinstance(root, ScalarNode) else (root.start_mark.line, root.start_mark.column)
    for index, part in enumerate(path):
        last = index == len(path) - 1
        if isinstance(node, MappingNode) and isinstance(part, str):
            pair = next((pair for pair in node.value if pair[0].value == part), None)
            if pair is None:
                break
            # an enclosing entry is placed at its key, the entry itself at its value (as ruamel's path does)
            mark = pair[1].start_mark if last and not at_key else pair[0].start_mark
            node = pair[1]
        elif isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            mark = node.start_mark
        else:
            break
        line, column = mark.line, mark.column
    return line, column
