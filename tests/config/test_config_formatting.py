"""`reconciler fmt`: canonical key order and quoting, comments kept, values never changed,
idempotent; `--check` for CI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from reconciler.cli import main
from reconciler.config.formatting import FormatError, format_text

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((REPO / "examples").glob("*.yaml")) + sorted((REPO / "examples").glob("*/notifications/*.yaml"))

MESSY = """\
# yaml-language-server: $schema=../schemas/bucket-notifications.schema.json
buckets:
  # the photo bucket
  - notifications:
    - cloudfunc: tupu-porn   # checks porn
      id: 'porn-check'
      object_filters: ['*.jpg']
      event_types: ["create_object"]
    bucket: photos
    provider: qs
  - provider: jd
    bucket: uploads
    notifications:
      - events: ['s3:ObjectCreated:*']
        target: NS:https://a.example.com/cb
        id: "1"
        filter: {suffix: .jpg, prefix: images/}
version: 1
providers:
  qs:
    zone: "pek3b"
    type: qingstor
  jd: {region: cn-north-1, type: s3, flavor: jdcloud}
"""

CANONICAL = """\
# yaml-language-server: $schema=../schemas/bucket-notifications.schema.json
version: 1
providers:
  qs:
    type: qingstor
    zone: pek3b
  jd: {type: s3, flavor: jdcloud, region: cn-north-1}
buckets:
  # the photo bucket
  - provider: qs
    bucket: photos
    notifications:
      - id: porn-check
        event_types: [create_object]
        object_filters: ["*.jpg"]
        cloudfunc: tupu-porn # checks porn
  - provider: jd
    bucket: uploads
    notifications:
      - id: "1"
        target: NS:https://a.example.com/cb
        events: ["s3:ObjectCreated:*"]
        filter: {prefix: images/, suffix: .jpg}
"""


def test_key_order_quoting_and_comments():
    assert format_text(MESSY) == CANONICAL


def test_formatting_is_idempotent_and_keeps_every_value():
    once = format_text(MESSY)
    assert format_text(once) == once
    assert YAML(typ="safe").load(once) == YAML(typ="safe").load(MESSY)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_example_keeps_its_values_and_comments(path: Path):
    text = path.read_text()
    formatted = format_text(text)
    assert YAML(typ="safe").load(formatted) == YAML(typ="safe").load(text)
    comments = [line.split("#", 1)[1].strip() for line in text.splitlines() if line.lstrip().startswith("#")]
    assert all(comment in formatted for comment in comments)
    assert format_text(formatted) == formatted


def test_rules_take_their_dialect_from_a_provider_declared_in_another_file():
    text = "buckets:\n  - provider: bj\n    bucket: b\n    notifications:\n      - status: enabled\n        id: r\n        name: n\n"
    assert format_text(text, types={"bj": "bos"}).splitlines()[4:] == [
        "      - id: r",
        "        name: n",
        "        status: enabled",
    ]


def test_json_files_become_canonical_json():
    text = json.dumps({"buckets": [], "providers": {"a": {"region": "r", "type": "bos"}}, "version": 1})
    assert format_text(text, json_file=True) == (
        '{\n  "version": 1,\n  "providers": {\n    "a": {\n      "type": "bos",\n      "region": "r"\n    }\n  },\n  "buckets": []\n}\n'
    )


def test_a_broken_file_is_refused_with_its_line():
    with pytest.raises(FormatError) as raised:
        format_text("version: 1\nproviders: {a: [\n")
    assert raised.value.line == 3


def test_fmt_command_writes_checks_and_exits_for_ci(tmp_path, capsys):
    config = tmp_path / "notifications"
    config.mkdir()
    messy = config / "buckets.yaml"
    messy.write_text(MESSY)
    neat = config / "providers.yaml"
    neat.write_text("version: 1\nproviders: {}\n")
    messy.chmod(0o640)

    assert main(["fmt", "-c", str(config), "--check"]) == 2
    captured = capsys.readouterr()
    assert captured.out == f"{messy}\n" and "1 file is not formatted" in captured.err
    assert messy.read_text() == MESSY  # --check writes nothing

    assert main(["fmt", "-c", str(config)]) == 0
    assert messy.read_text() == CANONICAL and (messy.stat().st_mode & 0o777) == 0o640
    assert main(["fmt", "-c", str(config), "--check"]) == 0
    assert capsys.readouterr().out.endswith(f"{messy}\n")


def test_fmt_diff_and_a_broken_file(tmp_path, capsys):
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\nproviders: {a: [\n")
    good = tmp_path / "good.yaml"
    good.write_text("providers: {}\nversion: 1\n")
    assert main(["fmt", "-c", str(broken), "-c", str(good), "--check", "--diff"]) == 1
    captured = capsys.readouterr()
    assert f"{broken}:3: invalid YAML" in captured.err and "not formatted" in captured.err
    assert "+version: 1\n providers: {}\n-version: 1\n" in captured.out
    assert broken.read_text() == "version: 1\nproviders: {a: [\n"


def test_a_trailing_empty_document_is_dropped_and_a_leading_marker_kept():
    assert format_text("---\nproviders: {}\nversion: 1\n---\n") == "---\nversion: 1\nproviders: {}\n"
    assert format_text("# only a comment\n") == "# only a comment\n"
    with pytest.raises(FormatError, match="several YAML documents"):
        format_text("version: 1\n---\nversion: 1\n")


def test_fmt_through_a_symlink_rewrites_the_file_it_names(tmp_path, capsys):
    target = tmp_path / "real.yaml"
    target.write_text("providers: {}\nversion: 1\n")
    link = tmp_path / "conf" / "link.yaml"
    link.parent.mkdir()
    link.symlink_to(target)
    assert main(["fmt", "-c", str(link)]) == 0
    assert link.is_symlink() and target.read_text() == "version: 1\nproviders: {}\n"
