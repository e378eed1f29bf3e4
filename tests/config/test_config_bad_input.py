"""Bad input of any kind, through the CLI: exit 1, one clear message naming the place, no traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reconciler.cli import main

VALID = "version: 1\nproviders:\n  qs: {type: qingstor, zone: pek3b}\n"


def _validate(capsys: pytest.CaptureFixture[str], *paths: Path | str) -> tuple[int, list[str]]:
    argv = ["validate"]
    for path in paths:
        argv += ["-c", str(path)]
    code = main(argv)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    assert captured.out == ""
    lines = captured.err.splitlines()
    return code, lines


def _one_problem(capsys: pytest.CaptureFixture[str], *paths: Path | str) -> str:
    code, lines = _validate(capsys, *paths)
    assert code == 1
    assert lines[-1] == "Error: 1 error in the configuration"
    assert len(lines) == 2, lines
    return lines[0]


def _write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", ":1:1: the file is empty; a configuration file starts with version: 1"),
        ("# nothing yet\n\n", ":1:1: the file is empty; a configuration file starts with version: 1"),
        ("- qs\n- bj\n", ":1:1: expected a mapping with version, providers and buckets at the top level, got a list"),
        ("just words\n", ":1:1: expected a mapping with version, providers and buckets at the top level, got a string ('just words')"),
        ("version: 2\nproviders: []\n", ":1:10: version: unsupported configuration version 2; this reconciler reads 1"),
        ('version: "1"\n', ":1:10: version: must be the number 1, not the string '1'"),
        ("version: 1\nversion: 1\n", ":2:1: version: duplicate key 'version' (first at line 1, column 1)"),
        ("version: 1\nproviders:\n  qs: {type: qingstor\n", ":4:1: invalid YAML: while parsing a flow mapping expected ',' or '}', but got '<stream end>' (started at line 3, column 7)"),
        ("version: 1\n---\nversion: 1\n", ":2:1: a second YAML document starts here (`---`); a configuration file holds one document: move this one into a file of its own (the files of a directory are read together)"),
        ("version: 1\nproviders:\n  qs: \x07\n", ":3:7: invalid YAML: special characters are not allowed (character U+0007)"),
        ("version: 1\nproviders:\n  7: {type: bos, region: bj}\n", ":3:3: providers: key 7 is not text; write keys as plain words or in quotes"),
        ("version: 1\nproviders:\n  bj: {type: bos, region: 2024-01-01}\n", ":3:27: providers.bj.region: expected a string, got a date (2024-01-01); quote it to make it a string"),
    ],
    ids=["empty", "comments-only", "top-level-list", "top-level-scalar", "unknown-version", "version-string",
         "duplicate-key", "syntax-error", "two-documents", "control-character", "non-text-key", "date-value"],
)  # fmt: skip
def test_bad_file_content(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, expected: str) -> None:
    path = _write(tmp_path / "config.yaml", content)
    assert _one_problem(capsys, path) == f"{path}{expected}"


def test_binary_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "image.yaml", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert _one_problem(capsys, path) == f"{path}: a binary file, not YAML or JSON text"


def test_non_utf8_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(
        tmp_path / "latin1.yaml", "version: 1\nproviders:\n  caf\xe9: {type: bos, region: bj}\n".encode("latin-1")
    )
    assert _one_problem(capsys, path) == f"{path}:3:6: not UTF-8 text (byte 0xe9); save the file as UTF-8"


def test_utf8_byte_order_mark_is_accepted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "bom.yaml", b"\xef\xbb\xbf" + VALID.encode())
    assert main(["validate", "-c", str(path)]) == 0


def test_missing_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.yaml"
    assert _one_problem(capsys, missing) == f"{missing}: no such file or directory"


def test_default_location_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert _one_problem(capsys) == "notifications: no such file or directory; name the configuration with -c PATH"


def test_default_location_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path / "notifications" / "providers.yaml", VALID)
    monkeypatch.chdir(tmp_path)
    assert main(["validate"]) == 0
    assert capsys.readouterr().out == "Success! 1 provider, 0 buckets, 0 rules are valid.\n"


def test_directory_without_configuration_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write(tmp_path / "conf" / "README.md", "# notes\n")
    _write(tmp_path / "conf" / ".hidden.yaml", VALID)
    assert (
        _one_problem(capsys, tmp_path / "conf")
        == f"{tmp_path / 'conf'}: no *.yaml, *.yml or *.json files in this directory"
    )


def test_unreadable_file_in_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    directory = tmp_path / "conf"
    _write(directory / "ok.yaml", VALID)
    os.symlink(tmp_path / "gone.yaml", directory / "dangling.yaml")
    assert _one_problem(capsys, directory) == f"{directory / 'dangling.yaml'}: cannot read: No such file or directory"


def test_not_a_regular_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    assert _one_problem(capsys, fifo) == f"{fifo}: not a regular file but a FIFO (named pipe)"


def test_a_fifo_inside_a_configuration_directory_is_refused_without_blocking(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = tmp_path / "conf"
    _write(directory / "ok.yaml", VALID)
    os.mkfifo(directory / "x.yaml")  # opening it to read would wait for a writer forever
    assert _one_problem(capsys, directory) == f"{directory / 'x.yaml'}: not a regular file but a FIFO (named pipe)"


def test_a_broken_file_does_not_cascade_into_the_others(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write(tmp_path / "a-providers.yaml", "version: 1\nproviders:\n  qs: {type: qingstor, zone: [\n")
    _write(tmp_path / "b-buckets.yaml", "version: 1\nbuckets:\n  - {provider: qs, bucket: photos}\n")
    line = _one_problem(capsys, tmp_path)
    assert line.startswith(f"{tmp_path / 'a-providers.yaml'}:4:1: invalid YAML:")


def test_the_same_file_named_twice_is_read_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "conf" / "providers.yaml", VALID)
    assert main(["validate", "-c", str(tmp_path / "conf"), "-c", str(path)]) == 0


def test_deep_nesting_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "deep.yaml", "version: 1\nproviders: " + "[" * 100 + "]" * 100 + "\n")
    code, err = _validate(capsys, path)
    assert code == 1
    assert any(line.endswith(": nested more than 64 levels deep") for line in err)


def test_alias_bomb_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = ["version: 1", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 8)]
    path = _write(tmp_path / "bomb.yaml", "\n".join(lines) + "\n")
    code, err = _validate(capsys, path)
    assert code == 1
    assert any("too many values (aliases expanding?)" in line for line in err)


def test_a_secret_file_that_is_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    from reconciler.config.secrets import resolve_secret
    from reconciler.errors import CredentialError
    from reconciler.model.common import FileRef

    fifo = tmp_path / "key"
    os.mkfifo(fifo)
    with pytest.raises(CredentialError, match="which is not a regular file"):
        resolve_secret(FileRef(file=str(fifo)), what="secret access key", environ={})
