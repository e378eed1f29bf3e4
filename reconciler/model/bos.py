"""Baidu BOS notification rules, in the API's own camelCase field names.

Facts about the kind (events, limits, checks) live in reconciler/kinds/bos.py. A rule is identified
by `id`. `encryption.key` is a secret: configuration holds a reference, the
resolved model a `SecretValue`.
"""

from __future__ import annotations

from typing import Any

from pydantic import field_validator

from reconciler.model.common import EnvRef, FileRef, Frozen, SecretValue, sorted_unique


class BosApp(Frozen):
    id: str
    eventUrl: str
    xVars: str | None = None


class BosEncryption(Frozen):
    key: EnvRef | FileRef | SecretValue


class BosRule(Frozen):
    id: str
    name: str | None = None
    appId: str
    status: str
    encryption: BosEncryption | None = None
    # a "simplified" rule (notification or callback keys only) has none of these three
    resources: tuple[str, ...] = ()
    events: tuple[str, ...] = ()
    apps: tuple[BosApp, ...] = ()

    @property
    def simplified(self) -> bool:
        return not (self.resources or self.events or self.apps)

    @field_validator("resources", "events", mode="before")
    @classmethod
    def _as_set(cls, value: Any) -> Any:
        return sorted_unique(value)

    @field_validator("apps", mode="after")
    @classmethod
    def _apps_by_id(cls, value: tuple[BosApp, ...]) -> tuple[BosApp, ...]:
        return tuple(sorted(value, key=lambda app: app.id))

    @field_validator("name", mode="before")
    @classmethod
    def _empty_name_is_none(cls, value: Any) -> Any:
        return None if value == "" else value
