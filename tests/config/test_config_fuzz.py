"""Random damage to valid files never crashes the loader: the only failure is a ConfigError."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st
from ruamel.yaml import YAML

from reconciler.config import load_configuration
from reconciler.errors import ConfigError
from reconciler.model import Configuration

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.yaml"))
TEXTS = [path.read_text(encoding="utf-8") for path in EXAMPLES]
# values of every type, and fragments that are YAML syntax on their own
TOKENS = [
    "[]", "{}", "0", "-1", "1.5", ".nan", "null", "~", "true", "''", '"x"', "2024-01-01", "12:30:00", "*nope",
    "&a x", "!!binary aGk=", "!custom x", "[", "{", "- ", "? x", "x: y", "|", ">-", "'", "\t", "%YAML 1.1",
    "---", "...", "<<: *a", "\\u0000", "é", "💥",
]  # fmt: skip
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _load(content: str | bytes, suffix: str = ".yaml") -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"config{suffix}"
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass"))
        try:
            result = load_configuration([str(path)])
        except ConfigError as error:
            assert error.diagnostics
            for diagnostic in error.diagnostics:
                assert str(diagnostic).startswith(str(path)) and diagnostic.to_json()["message"]
        else:
            assert isinstance(result, Configuration)


@st.composite
def damaged_text(draw: st.DrawFn) -> bytes:
    lines = draw(st.sampled_from(TEXTS)).splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 4))):
        index = draw(st.integers(0, len(lines) - 1))
        operation = draw(st.sampled_from(["delete", "duplicate", "retype", "indent", "dedent", "swap"]))
        line = lines[index]
        if operation == "delete":
            del lines[index]
        elif operation == "duplicate":
            lines.insert(index, line)
        elif operation == "retype" and ":" in line:
            lines[index] = line.split(":", 1)[0] + ": " + draw(st.sampled_from(TOKENS)) + "\n"
        elif operation == "indent":
            lines[index] = "  " + line
        elif operation == "dedent":
            lines[index] = line[2:]
        elif operation == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[index], lines[other] = lines[other], line
        if not lines:
            lines = ["\n"]
    raw = "".join(lines).encode("utf-8")
    if draw(st.booleans()):
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.binary(max_size=6)) + raw[at:]
    if draw(st.booleans()):
        raw = raw[: draw(st.integers(0, len(raw)))]
    return raw


@SETTINGS
@given(damaged_text())
def test_damaged_text_never_crashes_the_loader(content: bytes) -> None:
    _load(content)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def _nodes(tree: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(tree, dict):
        for key, value in tree.items():
            found += _nodes(value, path + (key,))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            found += _nodes(value, path + (index,))
    return found


@st.composite
def damaged_tree(draw: st.DrawFn) -> str:
    tree = YAML(typ="safe").load(draw(st.sampled_from(TEXTS)))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_nodes(tree)))
        if not path:
            continue
        parent = tree
        for part in path[:-1]:
            parent = parent[part]
        operation = draw(st.sampled_from(["delete", "replace", "copy-into-sibling"]))
        if operation == "delete":
            del parent[path[-1]]
        elif operation == "replace":
            parent[path[-1]] = draw(JSON_VALUES)
        elif isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=12))] = parent[path[-1]]
        else:
            parent.append(parent[path[-1]])
    return json.dumps(tree, default=str)


@SETTINGS
@given(damaged_tree())
def test_damaged_structure_never_crashes_the_loader(content: str) -> None:
    _load(content, ".json")
