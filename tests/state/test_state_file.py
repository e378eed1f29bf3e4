"""The state file: round trip, serial semantics, backup, permissions, atomicity, refusals."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import jsonschema
import pytest

from reconciler import __version__
from reconciler.errors import StateError
from reconciler.state import StateFile, backup_path, load_state, save_state
from tests.support.plans import NOW, bos_rule, qs_rule, state

SCHEMA = json.loads((Path(__file__).parents[2] / "schemas" / "state.schema.json").read_text())


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "reconciler.state.json"


def test_missing_file_is_a_new_empty_state_and_is_not_written(path: Path) -> None:
    first, second = load_state(path), load_state(path)
    assert first.serial == 0 and first.buckets == {} and first.version == 1
    assert first.lineage != second.lineage  # a fresh uuid4 each time until one is written
    assert not path.exists()


def test_round_trip_keeps_everything(path: Path) -> None:
    saved = save_state(path, state(qs__b=[qs_rule("a"), qs_rule("b")], bj__d=[bos_rule("k")]))
    assert load_state(path) == saved
    assert saved.buckets["qs/b"].applied_at == NOW
    jsonschema.Draft7Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(json.loads(path.read_text()))


def test_first_write_creates_parent_directory_with_mode_0600(path: Path) -> None:
    save_state(path, state(qs__b=[qs_rule("a")]))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    save_state(path, load_state(path).without("qs/b"))
    assert stat.S_IMODE(backup_path(path).stat().st_mode) == 0o600


def test_serial_grows_only_when_content_changes(path: Path) -> None:
    first = save_state(path, load_state(path).model_copy(update={"buckets": state(qs__b=[qs_rule("a")]).buckets}))
    assert first.serial == 1
    same = save_state(path, load_state(path).model_copy(update={"tool_version": "9.9.9"}))
    assert same.serial == 1 and load_state(path).serial == 1
    changed = save_state(path, load_state(path).without("qs/b/a"))
    assert changed.serial == 2 and changed.buckets == {}
    assert changed.tool_version == __version__


def test_unchanged_save_does_not_touch_the_file(path: Path) -> None:
    save_state(path, state(qs__b=[qs_rule("a")]))
    before = path.stat().st_mtime_ns, path.read_bytes()
    save_state(path, load_state(path))
    assert (path.stat().st_mtime_ns, path.read_bytes()) == before and not backup_path(path).exists()


def test_previous_version_is_kept_as_backup(path: Path) -> None:
    save_state(path, state(qs__b=[qs_rule("a")]))
    previous = path.read_bytes()
    save_state(path, load_state(path).without("qs/b"))
    assert backup_path(path).read_bytes() == previous
    assert backup_path(path).name == "reconciler.state.json.backup"


def test_a_save_reads_the_previous_file_once_and_backs_up_those_bytes(path: Path, monkeypatch) -> None:
    save_state(path, state(qs__b=[qs_rule("a")]))
    previous = path.read_bytes()
    opened: list[Path] = []
    real_open = Path.open

    def counting_open(self: Path, *args, **kwargs):
        opened.append(self)
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", counting_open)
    save_state(path, load_state(path).without("qs/b/a"))
    assert opened.count(path) == 2  # load_state, then save_state's refusal checks; the backup reuses those bytes
    assert backup_path(path).read_bytes() == previous


def test_a_failure_before_the_rename_leaves_the_old_file_whole(path: Path, monkeypatch) -> None:
    save_state(path, state(qs__b=[qs_rule("a")]))
    previous = path.read_bytes()

    def crash(src, dst):  # the process dies between writing the temporary file and the rename
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(StateError, match=f"cannot write state file {path}: Input/output error"):
        save_state(path, load_state(path).without("qs/b"))
    monkeypatch.undo()
    assert path.read_bytes() == previous and load_state(path).serial == 4
    assert sorted(p.name for p in path.parent.iterdir()) == ["reconciler.state.json"]


def test_a_crash_after_the_backup_still_leaves_a_valid_state(path: Path, monkeypatch) -> None:
    save_state(path, state(qs__b=[qs_rule("a")]))
    real_replace = os.replace

    def crash_on_state(src, dst):
        if Path(dst) == path:
            raise KeyboardInterrupt  # Ctrl-C or a kill at the worst moment
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crash_on_state)
    with pytest.raises(KeyboardInterrupt):
        save_state(path, load_state(path).without("qs/b"))
    monkeypatch.undo()
    assert "qs/b" in load_state(path).buckets and load_state(backup_path(path)).serial == 4
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


def test_refuses_to_overwrite_another_lineage(path: Path) -> None:
    save_state(path, state(qs__b=[qs_rule("a")]))
    with pytest.raises(StateError, match="belongs to another lineage"):
        save_state(path, StateFile.new("0.1.0"))


def test_refuses_a_write_based_on_an_older_read(path: Path) -> None:
    save_state(path, state(qs__b=[qs_rule("a")]))
    stale = load_state(path)
    save_state(path, stale.without("qs/b/a"))
    with pytest.raises(StateError, match=r"was changed by another operation \(serial 5, this run read 4\)"):
        save_state(path, stale.without("qs/b"))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is empty; remove the empty file to start a new state"),  # no backup yet: none suggested
        ("  \n", "is empty"),
        ('{"version": 1, "lineage": ', "is not valid JSON \\(line 1, column 27: Expecting value\\)$"),
        ("[1, 2]", "is not a reconciler state \\(no version\\)"),
        ('{"version": "one"}', "has an unknown version 'one'"),
        ('{"version": 2, "future": true}', "was written by a newer format \\(version 2\\); upgrade reconciler$"),
        (
            '{"version": 1, "tool_version": "0.1.0", "lineage": "x", "serial": -1, "buckets": {}}',
            "is invalid at serial",
        ),
        (
            '{"version": 1, "tool_version": "0.1.0", "lineage": "x", "serial": 0, "buckets": {"a/b": {}}}',
            "is invalid at buckets.a/b.provider",
        ),
    ],
)
def test_unusable_files_are_refused_with_the_file_named(path: Path, content: str, message: str) -> None:
    path.parent.mkdir(parents=True)
    path.write_text(content)
    with pytest.raises(StateError, match=f"^state file {path} {message}"):
        load_state(path)


def test_unreadable_file_is_a_state_error(path: Path) -> None:
    path.mkdir(parents=True)  # a directory where the file should be
    with pytest.raises(StateError, match=f"cannot read state file {path}"):
        load_state(path)


def test_serial_bump_is_refused_on_a_corrupt_file(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_text("{broken")
    with pytest.raises(StateError, match="is not valid JSON"):
        save_state(path, state(qs__b=[qs_rule("a")]))
    assert path.read_text() == "{broken"


def test_secrets_are_stored_as_digests(path: Path) -> None:
    from tests.support.plans import SECRET

    save_state(path, state(bj__d=[bos_rule("k")]))
    text = path.read_text()
    assert SECRET not in text
    assert json.loads(text)["buckets"]["bj/d"]["rules"]["k"]["encryption"]["key"]["digest"].startswith("sha256:")


def test_without_forgets_rules_and_buckets() -> None:
    prior = state(qs__b=[qs_rule("a"), qs_rule("b")], qs__c=[qs_rule("x")])
    assert prior.without("qs/b/a").addresses() == ["qs/b", "qs/b/b", "qs/c", "qs/c/x"]
    assert prior.without("qs/c").addresses() == ["qs/b", "qs/b/a", "qs/b/b"]
    assert "qs/c" not in prior.without("qs/c/x").buckets  # its last rule
    for unknown in ("qs/nope", "qs/b/nope"):
        with pytest.raises(ValueError, match=f"{unknown} is not in the state"):
            prior.without(unknown)
    with pytest.raises(ValueError, match="is not an address"):
        prior.without("qs")


def recorded(path: Path, **changes) -> dict:
    """A saved state document with one BOS rule, changed by `changes` (dotted keys into the bucket)."""
    save_state(path, state(bj__d=[bos_rule("k")]))
    document = json.loads(path.read_text())
    bucket = document["buckets"]["bj/d"]
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        node = bucket
        for part in parents:
            node = node[part]
        node[last] = value
    return document


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"bucket": "other"}, "bucket 'bj/d' is recorded as provider 'bj', bucket 'other'"),
        ({"rules__k__id": "j"}, "rule 'bj/d/k' is recorded with id 'j'"),
        ({"rules__k__encryption__key": "clear-text-secret"}, "rule 'bj/d/k' holds encryption.key in clear"),
        ({"rules__k__encryption__key": {"digest": "sha256:short"}}, "rule 'bj/d/k' holds encryption.key in clear"),
    ],
)
def test_a_state_edited_into_inconsistency_is_refused_without_showing_secrets(path: Path, changes, message) -> None:
    path.write_text(json.dumps(recorded(path, **changes)))
    with pytest.raises(StateError, match=f"^state file {path} is invalid: {message}") as raised:
        load_state(path)
    assert "clear-text-secret" not in str(raised.value)


def test_forgetting_a_renamed_rule_forgets_its_pending_rename() -> None:
    """`state mv a z` then `state rm z`: the live rule `a` is foreign again, so no plan may show it as `z`."""
    from reconciler.plan import Action
    from tests.support.plans import bucket, config, document, plan

    prior = state(qs__b=[qs_rule("a"), qs_rule("keep")]).moved("qs/b/a", "qs/b/z").without("qs/b/z")
    assert prior.buckets["qs/b"].renamed == {}
    live = {"qs/b": document(qs_rule("a"), qs_rule("keep"))}
    adopted = plan(config(bucket("qs/b", qs_rule("keep"), qs_rule("a"), adopt=["a"])), live, prior).bucket("qs/b")
    assert adopted.error is None and adopted.change("a").action is Action.ADOPT
    unknown = plan(config(bucket("qs/b", qs_rule("keep"), qs_rule("z"))), live, prior).bucket("qs/b")
    assert unknown.error is None and unknown.change("z").action is Action.CREATE
    assert [(f.id, f.disposition) for f in unknown.foreign] == [("a", "keep")]
