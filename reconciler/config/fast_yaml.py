"""YAML read by libyaml's C parser (PyYAML's CParser), for files where it is sure to mean what
ruamel's YAML 1.2 round-trip loader would read: 30 to 50 times less CPU on a large configuration.

`read(text)` returns the plain values (dicts, lists, str, int, bool, None), built from the
parser's events without holding a node tree, and the positions of the entries one and two levels
down (where a bucket or provider is declared), or None when the file holds anything where the two
parsers could differ or that only ruamel reports well: a syntax error, a directive, an anchor or
alias, an explicit tag, a merge key, a duplicate key, a key that is not text, a plain scalar that
YAML 1.2 might read as something other than a string, a boolean, null or a plain decimal integer
(floats, dates, octal, `.inf`…), an empty value, or unusual characters. The caller then takes
ruamel's path, which reads or reports it.

`compose(text)` and `position(node, path)` give the line and column of any path, for a
diagnostic, by composing the text again (no values are built).
"""

from __future__ import annotations

import re
from typing import Any

from yaml import YAMLError
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
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


class _Reader:
    """Builds plain values straight from libyaml's events: no node tree is held (a tree of a 10 MB
    file is 300 MB), and the places of the upper entries are noted on the way."""

    def __init__(self, parser: Any, max_depth: int, max_nodes: int) -> None:
        self.parser = parser
        self.max_depth = max_depth
        self.left = max_nodes
        self.places: dict[tuple[Any, ...], Place] = {}
        # one copy of each distinct string: ten thousand buckets repeat the same keys and values
        self.strings: dict[str, str] = {}

    def document(self) -> Any:
        parser = self.parser
        parser.get_event()  # stream start
        if parser.check_event(StreamEndEvent):
            return None
        parser.get_event()  # document start
        data = self.value(0, ())
        parser.get_event()  # document end
        if not parser.check_event(StreamEndEvent):
            raise _Unsure  # more than one document: ruamel's path reports it
        return data

    def value(self, depth: int, path: tuple[Any, ...] | None) -> Any:
        self.left -= 1
        if self.left < 0 or depth > self.max_depth:
            raise _Unsure  # ruamel's path reports it, with its place
        event = self.parser.get_event()
        kind = type(event)
        if kind is AliasEvent or event.anchor is not None:
            raise _Unsure  # an anchor or alias: ruamel's path counts its expansion
        if event.tag is not None:
            raise _Unsure  # an explicit tag
        if kind is ScalarEvent:
            scalar = _plain(event.value) if event.implicit[0] else event.value
            return self.strings.setdefault(scalar, scalar) if type(scalar) is str else scalar
        noted = path is not None and depth < 2
        if kind is MappingStartEvent:
            mapping: dict[str, Any] = {}
            while not self.parser.check_event(MappingEndEvent):
                key = self.parser.get_event()
                name = self.key(key)
                name = self.strings.setdefault(name, name)
                if name in mapping:
                    raise _Unsure  # a duplicate: ruamel's path names both places
                if noted:
                    mark, item = key.start_mark, self.parser.peek_event().start_mark
                    self.places[(*path, name)] = (mark.line, mark.column, item.line, item.column)
                mapping[name] = self.value(depth + 1, (*path, name) if noted else None)
            self.parser.get_event()
            return mapping
        if kind is SequenceStartEvent:
            sequence: list[Any] = []
            while not self.parser.check_event(SequenceEndEvent):
                if noted:
                    mark = self.parser.peek_event().start_mark
                    self.places[(*path, len(sequence))] = (mark.line, mark.column, mark.line, mark.column)
                sequence.append(self.value(depth + 1, (*path, len(sequence)) if noted else None))
            self.parser.get_event()
            return sequence
        raise _Unsure

    @staticmethod
    def key(event: Any) -> str:
        if type(event) is not ScalarEvent or event.anchor is not None or event.tag is not None:
            raise _Unsure  # a key that is a mapping, a list, tagged or anchored
        if not event.implicit[0]:
            return event.value  # type: ignore[no-any-return]
        if event.value != "<<":
            name = _plain(event.value)
            if isinstance(name, str):
                return name
        raise _Unsure


def read(text: str, max_depth: int, max_nodes: int) -> tuple[Any, dict[tuple[Any, ...], Place]] | None:
    """The plain values of `text` and the places of its upper entries, or None (see above)."""
    if CParser is None or _UNUSUAL.search(text):
        return None
    parser = CParser(text)
    reader = _Reader(parser, max_depth, max_nodes)
    try:
        data = reader.document()
    except (_Unsure, YAMLError, RecursionError):
        return None
    finally:
        parser.dispose()
    if data is None and text.strip():
        return None  # only comments: ruamel's path says what that file holds
    return data, reader.places


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
