"""YAML read by libyaml's fast path gives exactly what ruamel's round-trip path gives: data,
diagnostics, positions and the places of buckets (a differential test: each text is read twice,
once as usual and once with the fast path switched off)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from ruamel.yaml import YAML

from reconciler.config import fast_yaml, load_configuration
from reconciler.config.source import SourceFile, read_source
from reconciler.errors import ConfigError
from tests.config.test_config_fuzz import damaged_text
from tests.support.parsed_values import typed, value_paths

REPOSITORY = Path(__file__).resolve().parents[2]
CORPUS = sorted(
    path
    for pattern in ("examples/**/*.yaml", "examples/**/*.yml", "tests/config/fixtures/**/*.yaml", "tests/**/*.yml")
    for path in REPOSITORY.glob(pattern)
)
SCALARS = [
    "yes", "no", "on", "off", "y", "n", "true", "True", "TRUE", "false", "FALSE", "tRue", "~", "null", "Null", "NULL",
    "", "0", "-0", "+1", "007", "0o17", "0x1F", "0b11", "1_000", "1.5", "1e3", ".inf", "-.Inf", ".nan", "1:20",
    "2026-01-01", "2026-01-01T10:00:00Z", "=", "<<", "-", "- a", "a: b", "#x", "x #y", "'q'", '"d"', "é", "a\tb",
    "12345678901234567890", "https://h.example/n?a=1&b=*", "!x", "&a", "*a", "%x", "@x", "`x", "1.0.0", "+", ".",
]  # fmt: skip
SETTINGS = settings(
    max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)


def _reference(name: str, monkeypatch: pytest.MonkeyPatch) -> SourceFile:
    with monkeypatch.context() as patched:
        patched.setattr(fast_yaml, "read", lambda *_: None)
        return read_source(name)


def _assert_read_alike(path: Path, monkeypatch: pytest.MonkeyPatch) -> SourceFile:
    fast, reference = read_source(str(path)), _reference(str(path), monkeypatch)
    assert fast.parsed == reference.parsed
    assert typed(fast.data) == typed(reference.data)
    assert [str(d) for d in fast.diagnostics] == [str(d) for d in reference.diagnostics]
    for where in value_paths(reference.data) + [("buckets", 99), ("providers", "nope"), ("version", "x", 1)]:
        assert fast.position(where) == reference.position(where), where
        assert fast.position(where, at_key=True) == reference.position(where, at_key=True), where
    if isinstance(reference.data, dict):
        for key, item in reference.data.items():
            for inner in range(len(item)) if isinstance(item, list) else item if isinstance(item, dict) else ():
                assert fast.location((key, inner)) == reference.location((key, inner))
    return fast


@pytest.mark.parametrize("path", CORPUS, ids=[str(p.relative_to(REPOSITORY)) for p in CORPUS])
def test_every_yaml_file_of_the_repository_reads_alike(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _assert_read_alike(path, monkeypatch)


def _document(draw: st.DrawFn) -> str:
    """A configuration-shaped document in block or flow style, with tricky plain and quoted scalars."""
    scalar = st.sampled_from(SCALARS)
    rule = st.dictionaries(st.sampled_from(["id", "event_types", "notify_url", "cloudfunc", *SCALARS[:8]]), scalar)
    bucket = st.fixed_dictionaries({"provider": scalar, "bucket": scalar, "notifications": st.lists(rule, max_size=2)})
    tree = {"version": draw(scalar), "buckets": draw(st.lists(bucket, max_size=3))}
    yaml = YAML(typ="rt")
    yaml.default_flow_style = draw(st.sampled_from([False, True, None]))
    yaml.indent(mapping=draw(st.sampled_from([2, 4])), sequence=4, offset=2)
    from io import StringIO

    out = StringIO()
    yaml.dump(tree, out)
    text = out.getvalue()
    # unquote some quoted scalars, so plain forms of every kind appear
    for quoted in draw(st.lists(st.sampled_from(SCALARS), max_size=4)):
        text = text.replace(json.dumps(quoted), quoted, 1).replace(f"'{quoted}'", quoted, 1)
    return text


@SETTINGS
@given(st.data())
def test_generated_documents_read_alike(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: st.DataObject) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(data.draw(st.composite(lambda draw: _document(draw))()), encoding="utf-8")
    _assert_read_alike(path, monkeypatch)


@SETTINGS
@given(damaged_text())
def test_damaged_files_read_alike(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(content)
    _assert_read_alike(path, monkeypatch)


def test_a_large_plain_file_takes_the_fast_path_and_keeps_bucket_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "c.yaml"
    buckets = "".join(
        f"  - provider: qs\n    bucket: b-{i}\n    notifications:\n      - id: r\n        event_types: [create_object]\n"
        "        cloudfunc: notifier\n        notify_url: https://h.example/n\n"
        for i in range(50)
    )
    path.write_text(f"version: 1\nproviders:\n  qs:\n    type: qingstor\n    zone: pek3b\nbuckets:\n{buckets}")
    monkeypatch.setattr("reconciler.config.source._yaml", lambda: pytest.fail("the round-trip parser was used"))
    configuration = load_configuration([str(path)])
    assert [(b.source.line, b.source.column) for b in configuration.buckets[:2]] == [(7, 5), (14, 5)]


def test_a_diagnostic_in_a_fast_read_file_names_its_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "version: 1\nproviders:\n  qs: {type: qingstor, zone: pek3b}\nbuckets:\n"
        "  - provider: qs\n    bucket: b\n    ownership: mine\n    notifications: []\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_configuration([str(path)])
    (diagnostic,) = caught.value.diagnostics
    assert str(diagnostic).startswith(f"{path}:7:16: buckets[0].ownership: 'mine' is not one of 'shared'")
