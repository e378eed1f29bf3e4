"""JSON read by the standard library gives exactly what the YAML 1.2 parser gives: data, diagnostics, positions.

Each generated JSON text is written twice, as `.json` (the fast path, or the YAML path when the
text is one where the two parsers differ) and as `.yaml` (always ruamel, the reference).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from reconciler.config import load_configuration, source
from reconciler.config.source import SourceFile, read_source
from reconciler.errors import ConfigError
from reconciler.render import configuration_yaml
from tests.support.parsed_values import typed, value_paths

# whitespace JSON allows between tokens, some of which YAML reads otherwise (tabs, line breaks before a colon)
SPACE = st.sampled_from(["", "", " ", " ", "\n  ", "\r\n", "\n\t", "\t", " " * 20, " " * 1030, "\t" * 16, "\n"])
OUTER_SPACE = st.sampled_from(["", " ", "\n", "\r\n  ", "\t"])
NUMBERS = st.sampled_from(
    ["1e5", "1E+5", "-0", "-0.0", "1.5e-3", "1e400", "0.1", "123456789012345678901234567890", "NaN", "-Infinity"]
)
TRICKY_TEXT = st.sampled_from(["\x85", "\u2028", "\x7f", "\ufffe", "\U0001f4a5", "é", "#", "- ", ": ", "\\", '"', "\t"])
PRINTABLE = st.characters(blacklist_categories=("Cs", "Cc", "Cn", "Zl", "Zp"))
SHORT = st.text(PRINTABLE, max_size=6)
# mostly printable; sometimes anything (control characters), a character one parser reads otherwise, a long key
TEXT = SHORT | SHORT | st.text(max_size=6) | TRICKY_TEXT | st.text(PRINTABLE, min_size=170, max_size=1100)
KEYS = st.sampled_from(["version", "providers", "buckets", "a", "b"]) | TEXT


@st.composite
def json_text(draw: st.DrawFn, depth: int = 0) -> str:
    """A JSON value spelt with random whitespace, escapes and number forms."""
    kinds = ["object", "object", "list", "scalar", "number", "string"] if depth < 3 else ["scalar", "string"]
    kind = draw(st.sampled_from(kinds))
    if kind == "scalar":
        return json.dumps(
            draw(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False))
        )
    if kind == "number":
        return draw(NUMBERS)
    if kind == "string":
        return json.dumps(draw(TEXT), ensure_ascii=draw(st.booleans()))
    items = draw(st.lists(json_text(depth + 1), max_size=4))
    if kind == "object":
        keys = draw(st.lists(KEYS, min_size=len(items), max_size=len(items)))
        items = [
            f"{json.dumps(key, ensure_ascii=draw(st.booleans()))}{draw(SPACE)}:{draw(SPACE)}{item}"
            for key, item in zip(keys, items, strict=True)
        ]
    opening, closing = ("{", "}") if kind == "object" else ("[", "]")
    body = ",".join(f"{draw(SPACE)}{item}{draw(SPACE)}" for item in items) or draw(SPACE)
    return opening + body + closing


def _reported(read: SourceFile) -> list[tuple[Any, ...]]:
    return [
        (d.line, d.column, d.path, d.message.replace("invalid YAML", "invalid JSON"), d.hint) for d in read.diagnostics
    ]


def _assert_read_alike(directory: Path, text: str) -> None:
    (directory / "c.json").write_text(text, encoding="utf-8", newline="")
    (directory / "c.yaml").write_text(text, encoding="utf-8", newline="")
    fast, reference = read_source(str(directory / "c.json")), read_source(str(directory / "c.yaml"))
    assert fast.parsed == reference.parsed
    assert typed(fast.data) == typed(reference.data)
    assert _reported(fast) == _reported(reference)
    for path in value_paths(reference.data):
        assert fast.position(path) == reference.position(path)
        assert fast.position(path, at_key=True) == reference.position(path, at_key=True)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(st.tuples(OUTER_SPACE, json_text(), OUTER_SPACE).map("".join))
def test_json_reads_exactly_as_yaml(tmp_path: Path, text: str) -> None:
    _assert_read_alike(tmp_path, text)


@pytest.mark.parametrize(
    "text",
    [
        '{"' + "k" * 1100 + '": 1}',
        '{"a"' + " " * 1030 + ": 1}",
        '{"a"\n: 1}',
        '["\\ud83d\\ude00"]',
        '["a\x85b"]',
        '["a\x7fb"]',
        '["\ufffe"]',
        '{"version": NaN}',
        "[Infinity]",
        '{"a": 1, "a": 2}',
        '\t{"a": 1}',
        '{"a": 1}\t',
        '{\n\t"a": [\n\t\t1e5, -0, -0.0, 1e400\n\t]\n}',
        '{"a":1,"b":"c"}',
    ],
    ids=[
        "long-key", "key-far-from-colon", "colon-on-next-line", "surrogate-pair", "next-line-character", "delete",
        "non-character", "nan", "infinity", "duplicate-key", "tab-before", "tab-after", "tab-indented", "compact",
    ],
)  # fmt: skip
def test_json_where_the_parsers_differ_reads_as_yaml(tmp_path: Path, text: str) -> None:
    _assert_read_alike(tmp_path, text)


CONFIG = {
    "version": 1,
    "providers": {"qs": {"type": "qingstor", "zone": "pek3b"}},
    "buckets": [
        {
            "provider": "qs",
            "bucket": "photos",
            "notifications": [
                {
                    "id": "a",
                    "event_types": ["create_object"],
                    "cloudfunc": "notifier",
                    "notify_url": "https://h.example/n",
                }
            ],
        }
    ],
}


def test_plain_json_is_not_parsed_as_yaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(CONFIG, indent=2), encoding="utf-8")
    parsers: list[Any] = []
    monkeypatch.setattr(source, "_yaml", lambda: parsers.append("YAML parser"))
    (photos,) = load_configuration([str(path)]).buckets
    assert parsers == []
    assert photos.source is not None and (photos.source.file, photos.source.line) == (str(path), None)


def test_json_diagnostics_keep_their_positions(tmp_path: Path) -> None:
    broken = {**CONFIG, "buckets": [{**CONFIG["buckets"][0], "ownership": "mine"}]}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(broken, indent=2), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_configuration([str(path)])
    assert [str(d) for d in caught.value.diagnostics] == [
        f"{path}:23:20: buckets[0].ownership: 'mine' is not one of 'shared', 'exclusive', 'observe' or 'release'"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"version": 1, "version": 1}', ":1:16: version: duplicate key 'version' (first at line 1, column 2)"),
        (
            '{"version": 1\n',
            (
                ":2:1: invalid JSON: while parsing a flow mapping expected ',' or '}', but got '<stream end>' "
                "(started at line 1, column 1)"
            ),
        ),
        ('{"version": NaN}', ":1:13: version: must be the number 1, not the string 'NaN'"),
    ],
    ids=["duplicate-key", "unclosed", "nan"],
)
def test_json_the_standard_library_refuses_is_reported_by_the_yaml_parser(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "config.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_configuration([str(path)])
    (diagnostic,) = caught.value.diagnostics
    assert str(diagnostic) == f"{path}{expected}"


def test_import_names_the_json_file_that_declares_the_bucket(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(CONFIG), encoding="utf-8")
    config = load_configuration([str(path)])
    (photos,) = config.buckets
    pasted = configuration_yaml("qs/photos", config.providers["qs"], photos.notifications, photos)
    assert f"qs/photos is already declared in {path}: add the rules below to its notifications." in pasted
