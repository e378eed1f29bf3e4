"""Accepted drift: ignore entries (a rule or field address, a reason, an expiry day) and the list of them
in force on one day. The file they come from is read by `reconciler.config.ignore`."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from pydantic import Field, field_validator

from reconciler.core.address import BucketAddress
from reconciler.model.common import Frozen


class IgnoreEntry(Frozen):
    address: str = Field(description="<provider>/<bucket>/<rule-id>[:field.path]")
    reason: str
    expires: dt.date

    @field_validator("address")
    @classmethod
    def _is_rule_or_field_address(cls, value: str) -> str:
        parts = value.split("/", 2)
        if len(parts) != 3 or not all(part.strip() for part in parts):
            raise ValueError(f"{value!r} is not a rule address <provider>/<bucket>/<rule-id> (optionally :field.path)")
        return value

    @property
    def bucket_address(self) -> str:
        return str(BucketAddress.parse(self.address))

    @field_validator("reason")
    @classmethod
    def _reason_given(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a reason is required: say why this difference is accepted")
        return value.strip()

    def active_on(self, today: dt.date) -> bool:
        return today <= self.expires


def field_ancestors(path: str) -> list[str]:
    """`apps[0].xVars` → [`apps[0].xVars`, `apps[0]`, `apps`]: an ignored field covers what is under it."""
    cuts = [m.start() for m in re.finditer(r"[.\[]", path)]
    return [path] + [path[:cut] for cut in reversed(cuts)]


class IgnoreList:
    """The entries of one ignore file, split by expiry on one day."""

    def __init__(self, entries: Iterable[IgnoreEntry] = (), *, today: dt.date) -> None:
        self.today = today
        self.entries = entries = tuple(entries)
        self.active = tuple(e for e in entries if e.active_on(self.today))
        self.expired = tuple(e for e in entries if not e.active_on(self.today))
        self._by_address = {e.address: e for e in self.active}

    def for_rule(self, rule_address: str) -> IgnoreEntry | None:
        return self._by_address.get(rule_address)

    def for_field(self, rule_address: str, path: str) -> IgnoreEntry | None:
        """The entry covering this field or the whole rule, if any."""
        for candidate in field_ancestors(path):
            entry = self._by_address.get(f"{rule_address}:{candidate}")
            if entry is not None:
                return entry
        return self.for_rule(rule_address)
