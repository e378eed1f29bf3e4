"""What apply did, bucket by bucket, and the hook through which it tells a renderer as it goes.

The engine never prints: a text renderer, a progress bar or a test implements `ApplyHook`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from reconciler.errors import error_reason as error_reason  # its home moved to errors; kept importable here

Status = Literal["applied", "unchanged", "failed"]


@dataclass(frozen=True)
class BucketOutcome:
    """One bucket's result. `reason` says why it failed, or why nothing was written."""

    address: str
    status: Status
    reason: str | None = None
    added: int = 0
    changed: int = 0
    deleted: int = 0
    foreign_removed: int = 0  # exclusive buckets only

    def to_json(self) -> dict[str, object]:
        return {
            "address": self.address,
            "status": self.status,
            "reason": self.reason,
            "summary": {
                "add": self.added,
                "change": self.changed,
                "delete": self.deleted,
                "foreign_removed": self.foreign_removed,
            },
        }


@dataclass(frozen=True)
class ApplyReport:
    """Every bucket of the plan, in plan order."""

    outcomes: tuple[BucketOutcome, ...]

    def with_status(self, status: Status) -> tuple[BucketOutcome, ...]:
        return tuple(outcome for outcome in self.outcomes if outcome.status == status)

    @property
    def failed(self) -> bool:
        return any(outcome.status == "failed" for outcome in self.outcomes)

    def to_json(self) -> dict[str, object]:
        return {
            "buckets": [outcome.to_json() for outcome in self.outcomes],
            "summary": {status: len(self.with_status(status)) for status in ("applied", "unchanged", "failed")},
        }


class ApplyHook(Protocol):
    """Told about an apply as it goes, in this order: writes_started, then per bucket written
    pre_bucket → post_bucket (buckets run concurrently, so calls of different buckets interleave),
    then every outcome (written or not) once more through apply_finished."""

    def writes_started(self, total: int) -> None: ...

    def pre_bucket(self, address: str) -> None: ...

    def post_bucket(self, outcome: BucketOutcome) -> None: ...

    def apply_finished(self, report: ApplyReport) -> None: ...


class SilentHook:
    """An ApplyHook that reports nothing."""

    def writes_started(self, total: int) -> None:
        pass

    def pre_bucket(self, address: str) -> None:
        pass

    def post_bucket(self, outcome: BucketOutcome) -> None:
        pass

    def apply_finished(self, report: ApplyReport) -> None:
        pass


class FanOutHook:
    """Tells every hook in turn (a text report and a progress bar, say)."""

    def __init__(self, *hooks: ApplyHook) -> None:
        self.hooks = hooks

    def writes_started(self, total: int) -> None:
        for hook in self.hooks:
            hook.writes_started(total)

    def pre_bucket(self, address: str) -> None:
        for hook in self.hooks:
            hook.pre_bucket(address)

    def post_bucket(self, outcome: BucketOutcome) -> None:
        for hook in self.hooks:
            hook.post_bucket(outcome)

    def apply_finished(self, report: ApplyReport) -> None:
        for hook in self.hooks:
            hook.apply_finished(report)
