"""Configuration files: finding them, reading them, and knowing where each value was written.

YAML files are parsed once with ruamel.yaml's round-trip loader (YAML 1.2) so every key and list
item keeps its line and column. JSON is a subset of YAML 1.2 but ruamel's pure-Python parser is
slow, so a JSON file that the standard library reads exactly as YAML 1.2 would is read with
`json`, and parsed again with ruamel only if a diagnostic needs a position; any other JSON file
(a duplicate key, a syntax error, a corner where the two parsers differ) takes the YAML path, so
every diagnostic is the same either way. YAML takes a fast path too (`fast_yaml`): libyaml's C
parser composes the file and plain values are built from its nodes when the file holds nothing
where the two could differ (anchors, tags, merge keys, duplicate keys, directives, numbers other
than plain integers…); positions of a diagnostic come from composing the text again with the C
parser, only when there is one. Anything else takes ruamel's round-trip path, which reports it.
Each problem with reading or parsing becomes a Diagnostic; nothing here raises for bad input.
"""

from __future__ import annotations

import functools
import json
import os
import re
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError

from reconciler.config import fast_yaml
from reconciler.config.diagnostics import Diagnostic, Finding, Path, format_path, quote
from reconciler.config.fast_yaml import Place
from reconciler.model.config import SourceLocation
from reconciler.regular_file import kind_of, read_regular

DEFAULT_LOCATION = "notifications"
SUFFIXES = (".yaml", ".yml", ".json")
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_DEPTH = 64  # far beyond any real configuration; keeps recursion bounded
MAX_NODES = 1_000_000  # alias expansion ("billion laughs") stops here
_MERGE_TAG = "tag:yaml.org,2002:merge"
# JSON text that YAML 1.2 (as ruamel reads it) refuses or reads otherwise than `json` does
_NOT_LIKE_YAML = re.compile(
    r"[^\t\n\r\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"  # refused, or line breaks
    r"|\\u[dD][89a-fA-F]"  # escaped surrogates: json pairs them up, YAML keeps them apart
    r'|"\s*[\r\n]\s*:'  # a key on another line than its colon
    r'|"[ \t]{16,}:'  # a key far from its colon (YAML allows 1024 characters from a key's start)
)
_MAX_JSON_KEY = 160  # escaped, at most 6 * 160 + 2 characters: far from YAML's 1024


@dataclass
class SourceFile:
    """One parsed file: the position-carrying tree and a plain copy (dicts, lists, scalars)."""

    name: str
    data: Any = None
    parsed: bool = False  # False: `diagnostics` say why the file could not be read or parsed
    diagnostics: list[Diagnostic] = field(default_factory=list)
    json_text: str | None = None  # set when `json` read the file: positions need a YAML parse of it
    yaml_text: str | None = None  # set when the fast path read the file: positions need a compose of it
    places: dict[Path, Place] | None = None  # the fast path's positions of entries one or two levels down

    @functools.cached_property
    def tree(self) -> Any:
        """The position-carrying tree; for a file read by a fast path, parsed now (set at once otherwise)."""
        if self.yaml_text is not None:
            return fast_yaml.compose(self.yaml_text)
        return None if self.json_text is None else _positioned_json(self.json_text)

    def position(self, path: Path, *, at_key: bool = False) -> tuple[int, int]:
        """1-based line and column of the value at `path` (of its key with `at_key`).

        Falls back to the closest enclosing place that was written in the file (a merged key,
        a missing field).
        """
        node = self.tree
        if isinstance(node, fast_yaml.Node):
            line, column = fast_yaml.position(node, path, at_key=at_key)
            return line + 1, column + 1
        line, column = _start_of(node)
        for index, part in enumerate(path):
            last = index == len(path) - 1
            if isinstance(node, CommentedMap) and isinstance(part, str) and part in node:
                position = _map_position(node, part, value=last and not at_key)
                node = node[part]
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
                position = node.lc.item(part)
                node = node[part]
            else:
                break
            if position is not None:
                line, column = position
        return line + 1, column + 1

    def diagnostic(self, finding: Finding) -> Diagnostic:
        line, column = self.position(finding.path, at_key=finding.at_key)
        message = finding.message
        if finding.see is not None:
            see_line, see_column = self.position(finding.see)
            message += f" (see {self.name}:{see_line}:{see_column})"
        return Diagnostic(self.name, line, column, format_path(finding.path), message, finding.hint)

    def where(self, path: Path) -> str:
        """`file:line:col` where the entry at `path` is declared (its key, for a mapping entry)."""
        line, column = self.position(path, at_key=True)
        return f"{self.name}:{line}:{column}"

    def location(self, path: Path) -> SourceLocation:
        """Where the value at `path` is; only the file when finding the line means parsing JSON again."""
        if self.places is not None and path in self.places:
            line, column = self.places[path][2:]
            return SourceLocation(file=self.name, line=line + 1, column=column + 1)
        if self.json_text is not None or self.yaml_text is not None:
            return SourceLocation(file=self.name)
        line, column = self.position(path)
        return SourceLocation(file=self.name, line=line, column=column)


def _start_of(node: Any) -> tuple[int, int]:
    if isinstance(node, (CommentedMap, CommentedSeq)):
        return node.lc.line, node.lc.col
    return 0, 0


def _map_position(node: CommentedMap, key: Any, *, value: bool) -> tuple[int, int] | None:
    try:
        return node.lc.value(key) if value else node.lc.key(key)
    except KeyError:  # a key merged in with `<<:` has no position of its own here
        return None


# --- finding files ----------------------------------------------------------------------------


def discover(locations: Sequence[str] | None) -> tuple[list[str], list[Diagnostic]]:
    """Configuration files named by `-c` (files, or directories read recursively), in order."""
    names = list(locations) if locations else [DEFAULT_LOCATION]
    files: list[str] = []
    problems: list[Diagnostic] = []
    seen: set[str] = set()
    for location in names:
        if os.path.isdir(location):
            found, unreadable = _walk(location)
            problems += unreadable
            if not found and not unreadable:
                problems.append(_whole_file(location, "no *.yaml, *.yml or *.json files in this directory"))
        elif os.path.isfile(location):
            found = [location]
        elif os.path.exists(location):
            problems.append(_whole_file(location, f"not a regular file but {kind_of(os.stat(location).st_mode)}"))
            continue
        else:
            advice = "" if locations else "; name the configuration with -c PATH"
            problems.append(_whole_file(location, f"no such file or directory{advice}"))
            continue
        for name in found:
            key = os.path.realpath(name)
            if key not in seen:  # the same file named twice is read once
                seen.add(key)
                files.append(name)
    return files, problems


def _walk(directory: str) -> tuple[list[str], list[Diagnostic]]:
    found: list[str] = []
    problems: list[Diagnostic] = []

    def unreadable(error: OSError) -> None:
        problems.append(_whole_file(error.filename or directory, f"cannot read directory: {error.strerror}"))

    for root, dirs, files in os.walk(directory, onerror=unreadable):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and name.lower().endswith(SUFFIXES):
                path = os.path.join(root, name)
                try:
                    mode = os.stat(path).st_mode
                except OSError as error:
                    problems.append(_whole_file(path, f"cannot read: {error.strerror or error}"))
                    continue
                if stat.S_ISREG(mode):
                    found.append(path)
                else:  # a FIFO named x.yaml would block the read forever
                    problems.append(_whole_file(path, f"not a regular file but {kind_of(mode)}"))
    return found, problems


def _whole_file(name: str, message: str) -> Diagnostic:
    return Diagnostic(name, None, None, "", message)


# --- reading and parsing ----------------------------------------------------------------------


def read_source(name: str) -> SourceFile:
    """Read and parse one file (never raises for bad content)."""
    source = SourceFile(name)
    try:
        raw = read_regular(name, MAX_FILE_BYTES)
    except OSError as error:
        source.diagnostics.append(_whole_file(name, f"cannot read: {error.strerror or error}"))
        return source
    if len(raw) > MAX_FILE_BYTES:
        message = f"too large (over {MAX_FILE_BYTES} bytes) for a configuration file"
        source.diagnostics.append(_whole_file(name, message))
        return source
    text = _decode(source, raw)
    if text is None:
        return source
    if name.lower().endswith(".json"):
        try:
            data = _json_read_like_yaml(text)
        except (ValueError, RecursionError):  # the YAML parser says what is wrong, and where
            pass
        else:
            source.json_text = text
            return _with_plain_copy(source, data)
    else:
        read = fast_yaml.read(text, MAX_DEPTH, MAX_NODES)
        if read is not None:
            source.yaml_text = text
            source.data, source.places = read
            source.parsed = True
            return source
    return _read_yaml(source, text)


def _read_yaml(source: SourceFile, text: str) -> SourceFile:
    name = source.name
    kind = "JSON" if name.lower().endswith(".json") else "YAML"
    yaml = _yaml()
    try:
        tree = yaml.load(text)
    except MarkedYAMLError as error:
        if not _several_documents(error):
            source.diagnostics.append(_parse_error(name, kind, error))
            return source
        yaml = _yaml()
        tree = _first_of_several(source, kind, yaml, text)
        if source.diagnostics:
            return source
    except ReaderError as error:
        line, column = _line_column(text, error.position)
        message = f"invalid {kind}: {error.reason} ({_char(error.character)})"
        source.diagnostics.append(Diagnostic(name, line, column, "", message))
        return source
    except RecursionError:
        source.diagnostics.append(_whole_file(name, f"invalid {kind}: nested too deeply"))
        return source
    except Exception as error:  # noqa: BLE001 - ruamel raises plain Python errors on some malformed input
        source.diagnostics.append(_whole_file(name, f"invalid {kind}: {error}"))
        return source
    for path, line, column, message in _duplicate_keys(yaml.constructor.root):
        source.diagnostics.append(Diagnostic(name, line, column, format_path(path), message))
    source.tree = tree
    return _with_plain_copy(source, tree)


def _several_documents(error: MarkedYAMLError) -> bool:
    return "expected a single document" in f"{error.context} {error.problem}"


def _first_of_several(source: SourceFile, kind: str, yaml: YAML, text: str) -> Any:
    """A file of several YAML documents (`---`): a syntax error in any is reported at its own line;
    empty documents (a trailing `---`) are ignored; a second document with content is an error at
    its `---`, since a configuration file holds one document. Returns the first document's tree."""
    documents: list[tuple[Any, Node | None]] = []
    try:
        for tree in yaml.load_all(text):
            documents.append((tree, yaml.constructor.root))
    except MarkedYAMLError as error:  # the error in a later document, at the right line
        source.diagnostics.append(_parse_error(source.name, kind, error))
        return None
    filled = [(tree, root) for tree, root in documents if tree is not None]
    for _tree, root in filled[1:]:
        line = _document_start(text, root.start_mark.line if root is not None else 0)
        source.diagnostics.append(
            Diagnostic(
                source.name,
                line,
                1,
                "",
                f"a second {kind} document starts here (`---`); a configuration file holds one document: "
                "move this one into a file of its own (the files of a directory are read together)",
            )
        )
    if not filled:
        return None
    yaml.constructor.root = filled[0][1]
    return filled[0][0]


def _document_start(text: str, content_line: int) -> int:
    """The 1-based line of the `---` that opens the document whose content starts at `content_line` (0-based)."""
    lines = text.splitlines()
    for index in range(min(content_line, len(lines) - 1), -1, -1):
        if lines[index].startswith("---"):
            return index + 1
    return content_line + 1


def _with_plain_copy(source: SourceFile, content: Any) -> SourceFile:
    source.data = _PlainCopy(source).copy(content, (), 0)
    source.parsed = True
    return source


class _RootKeepingConstructor(RoundTripConstructor):
    """Keeps the composed root node, so duplicate keys are found without composing twice."""

    root: Node | None = None

    def construct_document(self, node: Node) -> Any:
        self.root = node
        return super().construct_document(node)


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.Constructor = _RootKeepingConstructor
    yaml.version = (1, 2)
    yaml.allow_duplicate_keys = True  # _duplicate_keys reports every one, with both places
    return yaml


def _json_read_like_yaml(text: str) -> Any:
    """The content of a JSON text, read by `json`; ValueError unless YAML 1.2 reads it the same."""
    if _NOT_LIKE_YAML.search(text) or text.strip(" \t\r\n") != text.strip(" \r\n"):  # a tab around the value
        raise ValueError("read as YAML")
    return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping = dict(pairs)
    if len(mapping) != len(pairs) or any(len(key) > _MAX_JSON_KEY for key in mapping):
        raise ValueError("duplicate or long keys")
    return mapping


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # json reads NaN and Infinity; YAML reads them as strings


def _positioned_json(text: str) -> Any:
    """The round-trip tree of JSON text that `json` read without a problem (None if ruamel cannot)."""
    try:
        return _yaml().load(text)
    except Exception:  # noqa: BLE001 - never expected (the checks above); positions then fall back to 1:1
        return None


def _decode(source: SourceFile, raw: bytes) -> str | None:
    if b"\x00" in raw:
        source.diagnostics.append(_whole_file(source.name, "a binary file, not YAML or JSON text"))
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        byte = raw[error.start]
        source.diagnostics.append(
            Diagnostic(source.name, line, column, "", f"not UTF-8 text (byte 0x{byte:02x}); save the file as UTF-8")
        )
        return None


def _parse_error(name: str, kind: str, error: MarkedYAMLError) -> Diagnostic:
    mark = error.problem_mark or error.context_mark
    problem = " ".join(part for part in (error.context, error.problem) if part) or "cannot be parsed"
    if error.context_mark is not None and error.problem_mark is not None and error.context:
        problem += f" (started at line {error.context_mark.line + 1}, column {error.context_mark.column + 1})"
    if mark is None:
        return _whole_file(name, f"invalid {kind}: {problem}")
    return Diagnostic(name, mark.line + 1, mark.column + 1, "", f"invalid {kind}: {problem}")


def _line_column(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _char(code: int | str) -> str:
    return f"character U+{code:04X}" if isinstance(code, int) else f"character {code!r}"


def _duplicate_keys(root: Node | None) -> Iterator[tuple[Path, int, int, str]]:
    """Every repeated key of every mapping, with the place of its first occurrence."""
    stack: list[tuple[Node, Path]] = [(root, ())] if root is not None else []
    visited: set[int] = set()
    while stack:
        node, path = stack.pop()
        if id(node) in visited:  # aliases share nodes; each is checked once
            continue
        visited.add(id(node))
        if isinstance(node, MappingNode):
            first: dict[tuple[str, str], Node] = {}
            for key, value in node.value:
                if not isinstance(key, ScalarNode) or key.tag == _MERGE_TAG:
                    stack.append((value, path))
                    continue
                marker = (str(key.tag), key.value)
                if marker in first:
                    original = first[marker].start_mark
                    where = f"first at line {original.line + 1}, column {original.column + 1}"
                    mark = key.start_mark
                    message = f"duplicate key {quote(key.value)} ({where})"
                    yield path + (key.value,), mark.line + 1, mark.column + 1, message
                    continue
                first[marker] = key
                stack.append((value, path + (key.value,)))
        elif isinstance(node, SequenceNode):
            stack += [(item, path + (index,)) for index, item in enumerate(node.value)]


# --- the plain copy that schemas and models see -----------------------------------------------


class _PlainCopy:
    """Copies the tree into plain values; what cannot be copied is reported, once."""

    def __init__(self, source: SourceFile) -> None:
        self.source = source
        self.left = MAX_NODES
        self.stopped = False

    def copy(self, node: Any, path: Path, depth: int) -> Any:
        self.left -= 1
        if self.left < 0 or depth > MAX_DEPTH:
            if not self.stopped:
                self.stopped = True
                why = "too many values (aliases expanding?)"
                if depth > MAX_DEPTH:
                    why = f"nested more than {MAX_DEPTH} levels deep"
                self.source.diagnostics.append(self.source.diagnostic(Finding(path, why)))
            return None
        if isinstance(node, dict):
            return self._mapping(node, path, depth)
        if isinstance(node, list):
            return [self.copy(item, path + (index,), depth + 1) for index, item in enumerate(node)]
        if isinstance(node, bool) or node is None:
            return node
        if isinstance(node, str):
            return str(node)
        if isinstance(node, int):
            return int(node)
        if isinstance(node, float):
            return float(node)
        return node  # dates, binary, custom tags: the schema names their type as wrong

    def _mapping(self, node: dict[Any, Any], path: Path, depth: int) -> dict[str, Any]:
        plain: dict[str, Any] = {}
        for key, value in node.items():
            if isinstance(key, str):
                plain[str(key)] = self.copy(value, path + (str(key),), depth + 1)
                continue
            line, column = _key_position(self.source, node, key, path)
            message = f"key {quote(key)} is not text; write keys as plain words or in quotes"
            self.source.diagnostics.append(Diagnostic(self.source.name, line, column, format_path(path), message))
        return plain


def _key_position(source: SourceFile, node: dict[Any, Any], key: Any, path: Path) -> tuple[int, int]:
    position = _map_position(node, key, value=False) if isinstance(node, CommentedMap) else None
    if position is None:
        return source.position(path)
    return position[0] + 1, position[1] + 1
