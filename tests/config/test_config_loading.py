"""One configuration from many files; every error at once; the validate command's outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.config import Diagnostic, load_configuration
from reconciler.config.diagnostics import format_path, near_miss
from reconciler.errors import ConfigError

EXAMPLES = Path(__file__).parents[2] / "examples"
EXAMPLE_FILES = [EXAMPLES / f"{name}.yaml" for name in ("qingstor", "bos", "jdcloud", "aws", "minio", "ceph")]


def _write(path: Path, content: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    return path


def _errors(*paths: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_configuration([str(p) for p in paths])
    return [str(d) for d in caught.value.diagnostics]


def test_duplicate_provider_across_files_names_both_places(tmp_path: Path) -> None:
    first = _write(tmp_path / "a.yaml", "version: 1\nproviders:\n  qs: {type: qingstor, zone: pek3b}\n")
    second = _write(
        tmp_path / "b.yaml",
        "version: 1\nproviders:\n  bj: {type: bos, region: bj}\n  qs: {type: qingstor, zone: sh1a}\n",
    )
    assert _errors(tmp_path) == [f"{second}:4:3: providers.qs: provider 'qs' is already defined at {first}:3:3"]


def test_duplicate_bucket_across_files_names_both_places(tmp_path: Path) -> None:
    first = _write(
        tmp_path / "a.yaml",
        "version: 1\nproviders:\n  qs: {type: qingstor, zone: pek3b}\nbuckets:\n  - provider: qs\n    bucket: photos\n",
    )
    second = _write(
        tmp_path / "sub" / "b.yml",
        "version: 1\nbuckets:\n  - {provider: qs, bucket: other}\n  - {provider: qs, bucket: photos}\n",
    )
    assert _errors(tmp_path) == [f"{second}:4:5: buckets[1]: bucket qs/photos is already declared at {first}:5:5"]


def test_the_same_bucket_name_under_two_providers_is_fine(tmp_path: Path) -> None:
    _write(
        tmp_path / "c.yaml",
        "version: 1\nproviders:\n  a: {type: bos, region: bj}\n  b: {type: bos, region: gz}\n"
        "buckets:\n  - {provider: a, bucket: x}\n  - {provider: b, bucket: x}\n",
    )
    assert [b.address for b in load_configuration([str(tmp_path)]).buckets] == ["a/x", "b/x"]


def test_every_error_of_every_file_is_reported_at_once(tmp_path: Path) -> None:
    providers = _write(
        tmp_path / "providers.yaml",
        "version: 1\nproviders:\n  qs: {type: qingstor, zone: pek3b, tls_verify: maybe}\n  jd: {type: s3, flavor: jdcloud, region: cn-north-1}\n",
    )
    buckets = _write(
        tmp_path / "buckets" / "all.yaml",
        """version: 1
buckets:
  - provider: qs
    bucket: photos
    notifications:
      - {id: a, event_types: [create_objct], cloudfunc: tupu-porn}
      - {id: b, event_types: [create_object], cloudfunc: image}
  - provider: jd
    bucket: uploads
    notifications:
      - {id: a, target: "NS:ftp://x", events: ["s3:ObjectCreated:*"]}
      - {id: a, target: "NS:https://x", events: ["s3:ObjectAccessed:Get"], fliter: {}}
  - provider: nope
    bucket: x
""",
    )
    assert _errors(tmp_path) == [
        (
            f"{buckets}:6:31: buckets[0].notifications[0].event_types[0]: 'create_objct' is not one of 'create_object', "
            "'delete_object', 'abort_multipart' or 'complete_multipart'; did you mean 'create_object'?"
        ),
        (
            f"{buckets}:7:9: buckets[0].notifications[1]: cloudfunc 'image' needs cloudfunc_args.action (the image "
            "operation, e.g. 'resize:w_200')"
        ),
        f"{buckets}:11:25: buckets[1].notifications[0].target: callback 'ftp://x' is not an http:// or https:// URL",
        f"{buckets}:12:14: buckets[1].notifications[1].id: duplicate rule id 'a' in this bucket (see {buckets}:11:14)",
        (
            f"{buckets}:12:50: buckets[1].notifications[1].events[0]: 's3:ObjectAccessed:Get' is not supported on "
            "jdcloud; use 's3:ObjectCreated:*', 's3:ObjectCreated:Put', 's3:ObjectCreated:Post', 's3:ObjectCreated:Copy', "
            "'s3:ObjectCreated:CompleteMultipartUpload', 's3:ObjectRemoved:*' or 's3:ObjectRemoved:Delete'"
        ),
        f"{buckets}:12:76: buckets[1].notifications[1].fliter: unknown field 'fliter'; did you mean 'filter'?",
        f"{buckets}:13:15: buckets[2].provider: provider 'nope' is not defined (defined: jd, qs)",
        f"{providers}:3:49: providers.qs.tls_verify: expected true or false, got a string ('maybe')",
    ]


def test_examples_are_valid() -> None:
    config = load_configuration([str(path) for path in EXAMPLE_FILES])
    assert {p.type for p in config.providers.values()} == {"qingstor", "bos", "s3"}
    assert {p.flavor for p in config.providers.values() if p.type == "s3"} == {"aws", "jdcloud", "minio", "ceph"}
    assert {b.ownership for b in config.buckets} == {"shared", "exclusive", "observe"}
    for path in EXAMPLE_FILES:
        text = path.read_text(encoding="utf-8")
        assert text.startswith("# yaml-language-server: $schema=../schemas/bucket-notifications.schema.json\n")
        assert "ownership" in text


def test_validate_text_success(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["validate", "--no-color"] + [arg for path in EXAMPLE_FILES for arg in ("-c", str(path))]
    assert main(argv) == 0
    assert capsys.readouterr().out == "Success! 6 providers, 8 buckets, 16 rules are valid.\n"


def test_validate_json_success(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--format", "json", "-c", str(EXAMPLE_FILES[0])]) == 0
    assert json.loads(capsys.readouterr().out) == {"valid": True, "error_count": 0, "diagnostics": []}


def test_validate_json_failure_goes_to_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "x.yaml", "version: 1\nproviders:\n  qs: {type: qingstr, zone: pek3b}\n")
    assert main(["validate", "--format", "json", "-c", str(path)]) == 1
    captured = capsys.readouterr()
    assert captured.err == ""
    assert json.loads(captured.out) == {
        "valid": False,
        "error_count": 1,
        "diagnostics": [
            {
                "file": str(path),
                "line": 3,
                "column": 14,
                "path": "providers.qs.type",
                "message": "'qingstr' is not one of 'qingstor', 'bos' or 's3'",
                "hint": "qingstor",
                "text": f"{path}:3:14: providers.qs.type: 'qingstr' is not one of 'qingstor', 'bos' or 's3'; "
                "did you mean 'qingstor'?",
            }
        ],
    }


def test_validate_text_failure_lists_each_diagnostic_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path / "x.yaml", "version: 1\nprovidrs: {}\nbuckets: {}\n")
    assert main(["validate", "-c", str(path)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        f"{path}:2:1: providrs: unknown field 'providrs'; did you mean 'providers'?",
        f"{path}:3:10: buckets: expected a list, got a mapping",
        "Error: 2 errors in the configuration",
    ]


def test_diagnostic_without_position_or_path() -> None:
    assert str(Diagnostic("conf", None, None, "", "no such file or directory")) == "conf: no such file or directory"
    assert str(Diagnostic("a.yaml", 2, 3, "version", "bad", hint="1")) == "a.yaml:2:3: version: bad; did you mean '1'?"


@pytest.mark.parametrize(
    ("path", "text"),
    [
        (("buckets", 2, "notifications", 0, "events", 1), "buckets[2].notifications[0].events[1]"),
        (("providers", "qs", "credentials"), "providers.qs.credentials"),
        (("providers", "a/b"), "providers['a/b']"),
        (("$schema",), "['$schema']"),
        ((), ""),
    ],
)
def test_path_format(path: tuple[str | int, ...], text: str) -> None:
    assert format_path(path) == text


@pytest.mark.parametrize(
    ("value", "choices", "hint"),
    [
        ("create_objct", ["create_object", "delete_object"], "create_object"),
        ("putobject", ["PutObject", "PostObject"], "PutObject"),
        ("zzz", ["shared", "exclusive"], None),
        (3, ["shared"], None),
    ],
)
def test_near_miss(value: object, choices: list[str], hint: str | None) -> None:
    assert near_miss(value, choices) == hint
