"""Ignore entries as values (model/ignore.py): which ones are in force is decided by the day passed in."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from reconciler.model.ignore import IgnoreEntry, IgnoreList, field_ancestors

pytestmark = pytest.mark.unit

DAY = dt.date(2026, 11, 23)


def entry(address: str, expires: dt.date = DAY) -> IgnoreEntry:
    return IgnoreEntry(address=address, reason="accepted", expires=expires)


def test_an_entry_holds_through_its_expiry_day_and_not_after() -> None:
    ignores = IgnoreList([entry("qs/b/a"), entry("qs/b/old", DAY - dt.timedelta(days=1))], today=DAY)
    assert [e.address for e in ignores.active] == ["qs/b/a"]
    assert [e.address for e in ignores.expired] == ["qs/b/old"]
    assert [e.address for e in IgnoreList(ignores.entries, today=DAY + dt.timedelta(days=1)).active] == []


def test_the_day_is_always_passed_in() -> None:
    with pytest.raises(TypeError):
        IgnoreList([entry("qs/b/a")])  # type: ignore[call-arg]


def test_a_field_entry_covers_what_is_under_it() -> None:
    ignores = IgnoreList([entry("qs/b/a:filter")], today=DAY)
    assert ignores.for_field("qs/b/a", "filter.prefix") is not None
    assert ignores.for_field("qs/b/a", "events") is None
    assert field_ancestors("apps[0].xVars") == ["apps[0].xVars", "apps[0]", "apps"]


@pytest.mark.parametrize("address", ["qs/b", "qs//a", "qs/b/ "])
def test_an_entry_names_a_rule(address: str) -> None:
    with pytest.raises(ValidationError, match="is not a rule address"):
        entry(address)


def test_an_entry_knows_its_bucket() -> None:
    assert entry("qs/b/a/with/slashes:filter").bucket_address == "qs/b"
