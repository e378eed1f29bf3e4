"""The drift ignore file: parsing, clear errors with positions, expiry, field matching."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from reconciler.config.ignore import load_ignore_file
from reconciler.errors import ReconcilerError
from reconciler.model.ignore import IgnoreList, field_ancestors

pytestmark = pytest.mark.unit

TODAY = dt.date(2026, 6, 1)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / ".driftignore.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_entries_split_by_expiry_day_inclusive(tmp_path):
    path = write(
        tmp_path,
        """\
version: 1
ignore:
  - address: qs/photos/porn-check
    reason: tuned by hand
    expires: 2026-06-01
  - address: jd/uploads/jpg:filter.prefix
    reason: migration
    expires: 2026-05-31
""",
    )
    ignores = load_ignore_file(path, today=TODAY)
    assert [e.address for e in ignores.active] == ["qs/photos/porn-check"]
    assert [e.address for e in ignores.expired] == ["jd/uploads/jpg:filter.prefix"]
    assert ignores.for_rule("qs/photos/porn-check").reason == "tuned by hand"
    # an expired entry no longer hides anything
    assert ignores.for_field("jd/uploads/jpg", "filter.prefix") is None


def test_field_entry_covers_everything_under_it_and_nothing_beside(tmp_path):
    path = write(
        tmp_path,
        """\
ignore:
  - {address: "bj/docs/ocr:apps[0]", reason: app owned by the OCR team, expires: "2030-01-01"}
""",
    )
    ignores = load_ignore_file(path, today=TODAY)
    assert ignores.for_field("bj/docs/ocr", "apps[0].xVars") is not None
    assert ignores.for_field("bj/docs/ocr", "apps[0]") is not None
    assert ignores.for_field("bj/docs/ocr", "apps[1].xVars") is None
    assert ignores.for_field("bj/docs/ocr", "events") is None
    assert ignores.for_rule("bj/docs/ocr") is None


def test_whole_rule_entry_covers_every_field():
    from reconciler.model.ignore import IgnoreEntry

    ignores = IgnoreList([IgnoreEntry(address="a/b/c", reason="r", expires=TODAY)], today=TODAY)
    assert ignores.for_field("a/b/c", "filter.suffix") is not None
    assert ignores.for_field("a/b/cc", "filter.suffix") is None


def test_field_ancestors():
    assert field_ancestors("apps[0].xVars") == ["apps[0].xVars", "apps[0]", "apps"]
    assert field_ancestors("events") == ["events"]


def test_empty_file_ignores_nothing(tmp_path):
    ignores = load_ignore_file(write(tmp_path, "# nothing accepted yet\n"), today=TODAY)
    assert ignores.active == () and ignores.expired == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "ignore:\n  - address: qs/photos/r\n    reason: x\n    expires: soon\n",
            ":4:14: ignore[0].expires: 'soon' is not a date (YYYY-MM-DD)",
        ),
        (
            "ignore:\n  - address: qs/photos\n    reason: x\n    expires: 2026-01-01\n",
            ":2:14: ignore[0].address: 'qs/photos' is not a rule address",
        ),
        (
            "ignore:\n  - address: qs/photos/r\n    expires: 2026-01-01\n",
            ":2:5: ignore[0].reason: required field is missing",
        ),
        (
            "ignore:\n  - address: qs/photos/r\n    reason: '  '\n    expires: 2026-01-01\n",
            "ignore[0].reason: a reason is required",
        ),
        (
            "ignore:\n  - address: qs/photos/r\n    reason: x\n    expires: 2026-01-01\n    until: 2027-01-01\n",
            "ignore[0].until: unknown field (expected address, reason, expires)",
        ),
        ("ignores: []\n", ":1:1: ignores: unknown field (expected version, ignore)"),
        ("version: 2\n", "version: 2 is not a supported version (expected 1)"),
        ("ignore: [\n", ":2:1: invalid YAML"),
        ("ignore: []\nignore: []\n", ":2:1: ignore: duplicate key"),
    ],
)
def test_malformed_files_are_one_clear_error_naming_file_line_and_field(tmp_path, text, expected):
    path = write(tmp_path, text)
    with pytest.raises(ReconcilerError) as caught:
        load_ignore_file(path, today=TODAY)
    message = str(caught.value)
    assert str(path) in message
    assert expected in message


def test_every_problem_is_reported_at_once(tmp_path):
    path = write(
        tmp_path,
        """\
ignore:
  - {address: a/b/c, reason: x, expires: never}
  - {address: a/b, reason: y, expires: 2026-01-01}
""",
    )
    with pytest.raises(ReconcilerError) as caught:
        load_ignore_file(path, today=TODAY)
    message = str(caught.value)
    assert "(2 problems)" in message
    assert "ignore[0].expires" in message and "ignore[1].address" in message


def test_duplicate_entries_name_both_lines(tmp_path):
    path = write(
        tmp_path,
        """\
ignore:
  - {address: a/b/d, reason: y, expires: 2026-01-01}
  - {address: a/b/d, reason: z, expires: 2026-01-01}
""",
    )
    with pytest.raises(ReconcilerError, match=r":3:5: a/b/d is listed twice \(first at line 2\)"):
        load_ignore_file(path, today=TODAY)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ReconcilerError, match=r"ignore file .*nope\.yaml: cannot read"):
        load_ignore_file(tmp_path / "nope.yaml", today=TODAY)


def test_text_that_is_not_utf8_is_a_clear_error(tmp_path):
    path = tmp_path / ".driftignore.yaml"
    path.write_bytes(b"ignore:\n  - address: a/b/c\n    reason: caf\xe9\n    expires: 2026-01-01\n")
    with pytest.raises(ReconcilerError, match=r"\.driftignore\.yaml:3:16: not UTF-8 text \(byte 0xe9\)"):
        load_ignore_file(path, today=TODAY)
