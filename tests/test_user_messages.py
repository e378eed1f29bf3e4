"""User-facing messages speak the tool's words: no pydantic phrasing, no Python `None`, a backup
suggested only where one exists, YAML errors of multi-document files at the right line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict

from reconciler.apply.document import readback_mismatch
from reconciler.cli import main
from reconciler.kinds import dialect_for
from reconciler.model.config import S3Provider
from reconciler.model.document import LiveDocument, LiveRule
from reconciler.words import validation_problem

PYDANTIC = ("Input should be", "Field required", "Extra inputs", "valid tuple", "Value error")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    items: tuple[int, ...]
    kind: str
    count: int = 0


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"items": "x", "kind": "k"}, "must be a list, not a string"),
        ({"items": [], "kind": None}, "must be a string, not null"),
        ({"items": [], "kind": "k", "count": "many"}, "must be a whole number, not a string"),
        ({"items": [], "kind": "k", "other": 1}, "unknown field"),
        ({"items": []}, "required field is missing"),
    ],
)
def test_validation_problems_in_plain_words(data, expected):
    with pytest.raises(ValueError) as raised:
        _Model.model_validate(data)
    problem = validation_problem(raised.value.errors()[0])  # type: ignore[attr-defined]
    assert problem == expected
    assert not any(phrase in problem for phrase in PYDANTIC) and "None" not in problem


def _state(tmp_path: Path, document: object) -> Path:
    path = tmp_path / "state.json"
    path.write_text(json.dumps(document))
    return path


def test_an_invalid_state_is_explained_plainly_and_no_backup_is_invented(tmp_path, capsys):
    state = _state(tmp_path, {"version": 1, "lineage": "l", "serial": 1, "tool_version": "0", "buckets": []})
    assert main(["state", "list", "--state", str(state)]) == 1
    err = capsys.readouterr().err
    assert "is invalid at buckets: must be a mapping, not a list" in err
    assert not any(phrase in err for phrase in PYDANTIC)
    assert "backup" not in err  # there is none to restore from


def test_a_backup_is_suggested_when_there_is_one(tmp_path, capsys):
    state = _state(tmp_path, {"no": "version"})
    (tmp_path / "state.json.backup").write_text("{}")
    assert main(["state", "list", "--state", str(state)]) == 1
    assert f"restore it from {state}.backup" in capsys.readouterr().err


def test_a_null_version_is_called_null(tmp_path, capsys):
    state = _state(tmp_path, {"version": None})
    assert main(["state", "list", "--state", str(state)]) == 1
    assert "has an unknown version null" in capsys.readouterr().err


def test_an_empty_state_without_backup_says_only_what_can_be_done(tmp_path, capsys):
    state = tmp_path / "state.json"
    state.write_text("")
    assert main(["show", "--state", str(state)]) == 1
    err = capsys.readouterr().err
    assert "is empty; remove the empty file to start a new state" in err and "backup" not in err


def test_a_rule_without_an_id_is_never_called_none():
    dialect = dialect_for(S3Provider(name="aws"))
    written = (LiveRule(id=None, raw="<QueueConfiguration><Queue>a</Queue></QueueConfiguration>"),)
    read = LiveDocument(rules=(LiveRule(id=None, raw="<QueueConfiguration><Queue>b</Queue></QueueConfiguration>"),))
    message = readback_mismatch(dialect, written, read)
    assert (
        message == "a rule without an id (position 1 in the live document) reads back different from what was written"
    )
    renamed = LiveDocument(rules=(LiveRule(id="x", raw="<QueueConfiguration/>"),))
    assert readback_mismatch(dialect, written, renamed) == "rules [(no id)] were written but ['x'] were read back"


def _validate(tmp_path: Path, text: str, capsys) -> tuple[int, str]:
    path = tmp_path / "multi.yaml"
    path.write_text(text)
    code = main(["validate", "-c", str(path)])
    return code, capsys.readouterr().err


PROVIDERS = "version: 1\nproviders:\n  qs: {type: qingstor, zone: pek3b}\n"


def test_a_syntax_error_in_a_later_document_is_reported_at_its_line(tmp_path, capsys):
    code, err = _validate(tmp_path, PROVIDERS + "---\nbuckets:\n  - provider: qs\n    bucket: [a\n", capsys)
    assert code == 1
    assert "multi.yaml:8:1: invalid YAML" in err  # the unclosed `[` of line 7 ends the file at line 8
    assert "single document" not in err


def test_a_second_document_is_named_at_its_start(tmp_path, capsys):
    code, err = _validate(tmp_path, PROVIDERS + "buckets: []\n---\nversion: 1\n", capsys)
    assert code == 1
    assert "multi.yaml:5:1: a second YAML document starts here (`---`)" in err
    assert "started at line 1" not in err


def test_a_trailing_empty_document_is_fine(tmp_path, capsys):
    code, err = _validate(tmp_path, "---\n" + PROVIDERS + "buckets: []\n---\n", capsys)
    assert code == 0, err


def test_errors_after_a_leading_document_marker_keep_their_lines(tmp_path, capsys):
    text = "---\n" + PROVIDERS + "buckets:\n  - {provider: qs, bucket: a, ownership: shard}\n---\n"
    code, err = _validate(tmp_path, text, capsys)
    assert code == 1 and "multi.yaml:6:" in err and "ownership" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["state", "list"],
        ["state", "rm", "qs/a"],
        ["show"],
        ["force-unlock", "0123"],
        ["apply", "--auto-approve", "-c", "missing.yaml"],
    ],
)
def test_a_remote_state_location_never_creates_a_local_directory(argv, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code = main([*argv, "--state", "s3://team-states/prod/reconciler.json?endpoint=http://127.0.0.1:9"])
    assert code == 1
    assert list(tmp_path.iterdir()) == []  # no `s3:` directory, no lock file
    assert "Traceback" not in capsys.readouterr().err
