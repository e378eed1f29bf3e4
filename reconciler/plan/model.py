"""The plan document: what apply will do, as pure data (DESIGN §5).

A `Plan` holds one `BucketChange` per bucket; each lists its managed `RuleChange`s, the foreign
rules it keeps or removes, and the `layout` of the document apply will write. Field names are
Terraform's where a counterpart exists, so reviewers and tooling recognise them.

What `before` / `after` mean per action (the model asserts it, so planner bugs fail fast):

    create   before None            after the rule to write
    update   before the live rule   after the rule to write   (content differs, or it moves)
    delete   before the live rule   after None
    no-op    before == after        (the live rule already matches)
    forget   before the state's record (released: the live rule), after None (state only)
    adopt    before the live foreign rule, after the rule declared for it; alone when they are
             equal (only the state changes), with update when the content differs or it moves

A rule kept live as it is although owned (imported and not declared, or released) names its
entry in `live_index`; the layout keeps that entry verbatim. `changed_outside` lists how an owned
rule's live content differs from the state's record (changed outside reconciler).

Rules appear normalised (`rule_document`); a secret appears as `{"digest", "ref"}` and is flagged
in `before_sensitive` / `after_sensitive` (true-leaf maps). No foreign rule content and no clear
secret is ever part of a plan: apply re-reads live and takes foreign rules from that fresh read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Literal

from pydantic import (
    AwareDatetime,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    field_serializer,
    model_serializer,
    model_validator,
)

from reconciler.core.address import BucketAddress
from reconciler.errors import PlanFileError
from reconciler.model.common import Frozen
from reconciler.model.config import Selection
from reconciler.state.model import BucketIdentity, rfc3339
from reconciler.words import field_path, validation_problem

# 1.1: `selections` (bucket selectors as resolved); the ownership additions: action `adopt`, reasons
# imported_not_declared / released / renamed / identity_changed, `live_index`, `changed_outside`,
# `refused`, `identity*`, `refresh`, `summary.adopt` / `summary.refresh`, `refresh_only`, warning `fields`.
# A 1.0 reader refuses a 1.1 plan rather than apply actions it cannot read.
FORMAT_VERSION = "1.1"


def _repeated(values: Iterable[Any]) -> Any:
    """The first value seen twice."""
    seen: set[Any] = set()
    for value in values:
        if value in seen:
            return value
        seen.add(value)
    return None


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    NO_OP = "no-op"
    FORGET = "forget"  # drop from state only: nothing live changes
    ADOPT = "adopt"  # take over a live foreign rule the configuration declares (allowed by `adopt:`)
    READ = "read"  # bucket level, observe ownership: never written


class Reason(StrEnum):
    """Why a change is planned; for people only, apply never looks at it."""

    NOT_IN_CONFIGURATION = "not_in_configuration"  # owned rule removed from its bucket entry
    BUCKET_NOT_IN_CONFIGURATION = "bucket_not_in_configuration"  # the whole bucket entry removed
    ALREADY_GONE = "already_gone"  # owned, undeclared, and deleted outside the tool
    DELETED_OUTSIDE = "deleted_outside"  # owned and declared, but missing live: recreated
    MOVED = "moved"  # ordered dialect: the rule changes position
    UNPARSEABLE = "unparseable"  # the live entry does not fit the dialect's model
    DUPLICATE_ID = "duplicate_id"  # the live document holds this id more than once (plans before 0.2)
    IMPORTED_NOT_DECLARED = "imported_not_declared"  # imported, never declared: kept until declared or released
    RELEASED = "released"  # released from management in the configuration: forgotten, kept live
    RENAMED = "renamed"  # `state mv` gave the rule a new id: renamed in place, position kept
    IDENTITY_CHANGED = "identity_changed"  # recorded for another physical bucket: forgotten, nothing deleted


# Bucket-level actions: update (PUT the layout), delete (clear the document), no-op, read (observe).
BUCKET_ACTIONS = (Action.UPDATE, Action.DELETE, Action.NO_OP, Action.READ)
_WRITES = (Action.CREATE, Action.UPDATE, Action.DELETE)  # rule actions that need the document written
_RULE_ACTIONS = ((Action.CREATE,), (Action.UPDATE,), (Action.DELETE,), (Action.NO_OP,), (Action.FORGET,))
_ADOPTIONS = ((Action.ADOPT,), (Action.ADOPT, Action.UPDATE))


class _Additions(Frozen):
    """Fields added in format 1.1 that are written only when set, so 1.0 plans read back byte for byte."""

    _added: ClassVar[tuple[str, ...]] = ()

    @model_serializer(mode="wrap")
    def _without_unset_additions(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        document: dict[str, Any] = handler(self)
        for name in self._added:
            default = type(self).model_fields[name].default
            if name in document and document[name] == (list(default) if isinstance(default, tuple) else default):
                del document[name]
        return document


class FieldChange(Frozen):
    """One changed field of an update, for renderers: `path` like `filter.prefix`, `apps[0].id`."""

    path: str
    before: Any = None  # None: the field is absent before
    after: Any = None  # None: the field is absent after
    sensitive: bool = False


class RuleChange(_Additions):
    _added = ("live_index", "changed_outside")

    address: str  # <provider>/<bucket>/<rule-id>
    rule_id: str
    actions: tuple[Action, ...]
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    before_sensitive: dict[str, Any] = Field(default_factory=dict)
    after_sensitive: dict[str, Any] = Field(default_factory=dict)
    reason: str | None = None
    # 0-based positions in the live document and in the written layout (ordered dialects only);
    # a no-op may shift when rules before it come or go, a move changes its order among the others
    before_position: int | None = None
    after_position: int | None = None
    fields: tuple[FieldChange, ...] = ()  # field-level explanation of an update
    live_index: int | None = None  # owned but kept live as it is (imported, released): its live entry
    changed_outside: tuple[FieldChange, ...] = ()  # live differs from the state's record: before record, after live

    @model_validator(mode="after")
    def _contract(self) -> RuleChange:
        if self.actions in _ADOPTIONS:
            return self._adoption_contract()
        if len(self.actions) != 1:
            raise ValueError(
                f"{self.address}: a rule change has exactly one action (or adopt and update), not {list(self.actions)}"
            )
        if self.actions not in _RULE_ACTIONS:
            raise ValueError(f"{self.address}: {self.actions[0].value!r} is not a rule action")
        action = self.actions[0]
        if self.live_index is not None and action not in (Action.NO_OP, Action.FORGET):
            raise ValueError(f"{self.address}: only a rule kept as it is live names a live_index")
        if action is Action.CREATE and (self.before is not None or self.after is None):
            raise ValueError(f"{self.address}: create needs after and no before")
        if action in (Action.DELETE, Action.FORGET) and (self.after is not None or self.before is None):
            raise ValueError(f"{self.address}: {action.value} needs before and no after")
        if action in (Action.UPDATE, Action.NO_OP) and (self.before is None or self.after is None):
            raise ValueError(f"{self.address}: {action.value} needs both before and after")
        if action is Action.NO_OP and self.before != self.after:
            raise ValueError(f"{self.address}: no-op with differing before and after")
        if action is Action.UPDATE and self.before == self.after and self.reason != Reason.MOVED:
            raise ValueError(f"{self.address}: an update without a content difference must be a move")
        if not self.address.endswith("/" + self.rule_id):
            raise ValueError(f"{self.address}: address does not end with the rule id {self.rule_id!r}")
        if self.after is not None and self.after.get("id") != self.rule_id:
            raise ValueError(f"{self.address}: its 'after' is the rule {self.after.get('id')!r}, not {self.rule_id!r}")
        return self

    def _adoption_contract(self) -> RuleChange:
        if self.before is None or self.after is None:
            raise ValueError(f"{self.address}: adopt needs both before and after")
        if self.after.get("id") != self.rule_id or not self.address.endswith("/" + self.rule_id):
            raise ValueError(f"{self.address}: an adoption names the rule {self.rule_id!r} everywhere")
        if self.live_index is not None:
            raise ValueError(f"{self.address}: an adopted rule is written from the configuration, not kept live")
        if self.actions == (Action.ADOPT,) and self.before != self.after:
            raise ValueError(f"{self.address}: adopt alone needs equal before and after (else adopt and update)")
        if Action.UPDATE in self.actions and self.before == self.after and self.reason != Reason.MOVED:
            raise ValueError(f"{self.address}: adopt and update without a content difference must be a move")
        return self

    @property
    def action(self) -> Action:
        """The first action: adopt for either adoption."""
        return self.actions[0]

    @property
    def writes(self) -> bool:
        """Does this change need the bucket's document written?"""
        return any(action in _WRITES for action in self.actions)


class ForeignRule(Frozen):
    """A live rule this tool does not manage, identified by its slot in the live document."""

    id: str | None  # None: the server holds it without an id
    live_index: int
    disposition: Literal["keep", "remove"]
    summary: str = ""  # one line for people (destination and events), never a secret


class ManagedSlot(Frozen):
    managed: str  # rule id: the content is that RuleChange's `after`


class LiveSlot(Frozen):
    live_index: int  # an entry taken verbatim from the live document re-read at apply time


LayoutSlot = ManagedSlot | LiveSlot


class BucketChange(_Additions):
    _added = ("refused", "identity", "identity_change", "identity_confirmed", "refresh")

    address: str  # <provider>/<bucket>
    provider: str
    type: Literal["qingstor", "bos", "s3"]
    flavor: str | None = None
    bucket: str
    ownership: Literal["shared", "exclusive", "observe", "release"] = "shared"
    live_fingerprint: str | None  # of the live document this plan was computed from
    action: Action
    changes: tuple[RuleChange, ...] = ()
    foreign: tuple[ForeignRule, ...] = ()
    rule_count_before: int = 0
    rule_count_after: int = 0
    layout: tuple[LayoutSlot, ...] = ()
    partial: bool = False  # rule targets: managed rules outside them stay as they are live
    error: str | None = None  # why this bucket could not be planned (then it has no changes)
    # the ownership policy refused it (an adoption not allowed, a managed id held twice live): it
    # fails alone at apply, like a bucket that could not be read, and the others go on
    refused: bool = False
    # the physical bucket planned against, recorded by apply (None: not known to the planner)
    identity: BucketIdentity | None = None
    # how that differs from the identity the state recorded (empty: the same, or none recorded);
    # unconfirmed, the recorded rules were not treated as owned and are forgotten on apply
    identity_change: tuple[str, ...] = ()
    identity_confirmed: bool = False
    # ids of managed rules whose state record apply brings up to date without writing them
    # (e.g. written by an interrupted apply, or the state edited): a pending state refresh
    refresh: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _contract(self) -> BucketChange:
        if self.action not in BUCKET_ACTIONS:
            raise ValueError(f"{self.address}: {self.action.value!r} is not a bucket action")
        if self.address != str(BucketAddress(self.provider, self.bucket)):
            raise ValueError(f"{self.address}: address is not <provider>/<bucket>")
        if self.refused and self.error is None:
            raise ValueError(f"{self.address}: a refused bucket says why in its error")
        if self.error is not None:
            if self.changes or self.layout or self.action is not Action.NO_OP:
                raise ValueError(f"{self.address}: an errored bucket plans nothing")
            return self
        if self.live_fingerprint is None:
            raise ValueError(f"{self.address}: live_fingerprint is required")
        if (self.ownership == "observe") != (self.action is Action.READ):
            raise ValueError(f"{self.address}: observe buckets, and only they, are read-only")
        # an owned rule kept as it is live (live_index) is no managed slot of the layout
        writes = {c.rule_id: c for c in self.changes if c.after is not None and c.live_index is None}
        written = [c.rule_id for c in self.changes if c.after is not None and c.live_index is None]
        if len(writes) != len(written):
            raise ValueError(f"{self.address}: more than one change writes rule {_repeated(written)!r}")
        for slot in self.layout:
            if isinstance(slot, ManagedSlot) and slot.managed not in writes:
                raise ValueError(f"{self.address}: layout slot {slot.managed!r} has no change with an after")
            if isinstance(slot, LiveSlot) and not 0 <= slot.live_index < self.rule_count_before:
                raise ValueError(f"{self.address}: layout slot live_index {slot.live_index} is out of range")
        self._check_slots(writes)
        if self.rule_count_after != len(self.layout):
            raise ValueError(f"{self.address}: rule_count_after does not match the layout")
        if self.action is Action.DELETE and self.layout:
            raise ValueError(f"{self.address}: delete clears the document; the layout must be empty")
        rewrites = any(c.writes for c in self.changes) or any(
            f.disposition == "remove" for f in self.foreign
        )
        if self.action is not Action.READ and rewrites != self.writes_document:
            raise ValueError(f"{self.address}: bucket action {self.action.value} does not match its rule changes")
        return self

    def _check_slots(self, writes: dict[str, RuleChange]) -> None:
        """Every live entry is written at most once, and every foreign rule kept is written as it is."""
        kept = [slot.live_index for slot in self.layout if isinstance(slot, LiveSlot)]
        kept_owned = {c.live_index for c in self.changes if c.live_index is not None}
        if len(set(kept)) != len(kept):
            raise ValueError(f"{self.address}: the layout writes live_index {_repeated(kept)} more than once")
        managed = [slot.managed for slot in self.layout if isinstance(slot, ManagedSlot)]
        if len(set(managed)) != len(managed):
            raise ValueError(f"{self.address}: the layout writes rule {_repeated(managed)!r} more than once")
        indexes = [rule.live_index for rule in self.foreign]
        if len(set(indexes)) != len(indexes) or not all(0 <= i < self.rule_count_before for i in indexes):
            raise ValueError(f"{self.address}: foreign rules must name distinct live entries in range")
        if self.action is Action.READ:
            return
        if set(writes) != set(managed):
            raise ValueError(f"{self.address}: rules {sorted(set(writes) - set(managed))} have no slot in the layout")
        for rule in self.foreign:
            if rule.disposition == "remove" and (self.ownership != "exclusive" or self.partial):
                raise ValueError(
                    f"{self.address}: foreign rule {rule.id!r} is marked for removal, but only an exclusive bucket "
                    "removes foreign rules, and only when planned whole"
                )
            if (rule.disposition == "keep") != (rule.live_index in kept):
                where = "kept but has no slot in the layout" if rule.disposition == "keep" else "removed but kept"
                raise ValueError(f"{self.address}: foreign rule {rule.id!r} (live_index {rule.live_index}) is {where}")
        if not kept_owned <= set(kept):
            raise ValueError(f"{self.address}: owned rules kept as they are live have no slot in the layout")
        foreign_kept = {r.live_index for r in self.foreign if r.disposition == "keep"}
        if not self.partial and set(kept) != foreign_kept | kept_owned:
            raise ValueError(
                f"{self.address}: the layout keeps live entries that are not foreign rules "
                "nor owned rules kept as they are"
            )

    @property
    def writes_document(self) -> bool:
        return self.action in (Action.UPDATE, Action.DELETE)

    @property
    def changes_state(self) -> bool:
        """Does applying this bucket change the state file (a write, or a forget only)?"""
        if self.action is Action.READ or self.error is not None:
            return False
        return (
            self.writes_document
            or any(c.action in (Action.FORGET, Action.ADOPT) for c in self.changes)
            or bool(self.refresh)
            or (bool(self.identity_change) and self.identity_confirmed)
        )

    @property
    def adopts(self) -> bool:
        return self.action is not Action.READ and any(c.action is Action.ADOPT for c in self.changes)

    def change(self, rule_id: str) -> RuleChange | None:
        return next((c for c in self.changes if c.rule_id == rule_id), None)


class PlanWarning(_Additions):
    """Something apply would do as asked but that will not work as meant; never stops a plan.

    `shadowed_by_foreign`: on a first-match-wins store (jdcloud) a managed rule comes after a
    foreign rule that matches every event and key it matches, so it can never fire.
    `shadowed`: the same, behind another managed rule.
    `deletes_changed_outside`: a managed rule to delete was changed live since the last apply
    (`fields` names how; `by` and `by_position` are None).
    """

    _added = ("fields",)

    code: Literal["shadowed_by_foreign", "shadowed", "deletes_changed_outside"]
    address: str  # <provider>/<bucket>
    rule: str  # the managed rule that cannot fire
    position: int  # 1-based, in the document as it will be (plan) or is (drift)
    by: str | None  # the rule that matches first (None: a live entry without an id)
    by_position: int | None
    message: str
    fields: tuple[str, ...] = ()


class PriorState(Frozen):
    lineage: str
    serial: int = Field(ge=0)


class Summary(_Additions):
    _added = ("adopt", "refresh")

    add: int = 0
    change: int = 0
    delete: int = 0
    forget: int = 0
    adopt: int = 0
    foreign_kept: int = 0
    foreign_removed: int = 0
    refresh: int = 0  # state records of managed rules brought up to date from live, nothing written


class Plan(_Additions):
    _added = ("refresh_only",)

    format_version: str = FORMAT_VERSION
    tool_version: str
    timestamp: AwareDatetime
    prior_state: PriorState
    errored: bool = False
    summary: Summary = Summary()
    targets: tuple[str, ...] = ()
    config_digest: str | None = None  # sha256 of the configuration the plan was computed from
    selections: tuple[Selection, ...] = ()  # bucket selectors as resolved: apply never widens them
    buckets: tuple[BucketChange, ...] = ()
    warnings: tuple[PlanWarning, ...] = ()
    # `--refresh-only`: owned rules' records brought up to date from live; no bucket is ever written
    refresh_only: bool = False

    @model_validator(mode="after")
    def _contract(self) -> Plan:
        if self.refresh_only and any(b.writes_document for b in self.buckets):
            raise ValueError("a refresh-only plan never writes a bucket")
        if self.errored != any(b.error is not None for b in self.buckets):
            raise ValueError("errored must be true exactly when a bucket has an error")
        addresses = [b.address for b in self.buckets]
        if len(set(addresses)) != len(addresses):
            raise ValueError(f"bucket {_repeated(addresses)} appears more than once")
        return self

    @field_serializer("timestamp")
    def _rfc3339(self, value: datetime) -> str:
        return rfc3339(value)

    @property
    def has_changes(self) -> bool:
        """Would apply change anything (a live document or the state)?"""
        return any(b.changes_state for b in self.buckets)

    @property
    def errors(self) -> list[str]:
        return [f"{b.address}: {b.error}" for b in self.buckets if b.error is not None]

    def bucket(self, address: str) -> BucketChange | None:
        return next((b for b in self.buckets if b.address == address), None)

    def to_document(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def from_document(cls, document: Any, *, source: str = "plan") -> Plan:
        """Read a plan document; refuses an unknown major format version with PlanFileError."""
        if not isinstance(document, dict):
            raise PlanFileError(f"{source} is not a reconciler plan (expected a JSON object)")
        version = document.get("format_version")
        if not isinstance(version, str) or not re.fullmatch(r"[0-9]+\.[0-9]+", version):
            raise PlanFileError(f"{source} is not a reconciler plan (no format_version)")
        major, minor = (int(part) for part in version.split("."))
        ours = tuple(int(part) for part in FORMAT_VERSION.split("."))
        # a newer minor only adds fields, but a plan drives writes: never act on fields we cannot read
        if major != ours[0] or minor > ours[1]:
            raise PlanFileError(
                f"{source} has plan format {version}; this reconciler reads format {FORMAT_VERSION}: "
                "plan again with this version"
            )
        try:
            return cls.model_validate(document)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = field_path(first["loc"]) or "(top level)"
            raise PlanFileError(f"{source} is not a valid plan: {where}: {validation_problem(first)}") from None
