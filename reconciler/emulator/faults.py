"""Fault injection: latency, errors, resets, throttling, broken bodies and hostile answers
(`hostile.py`: trickling, huge, gzip bombs, deep or enormous documents), global or per bucket.

Each request draws at most one disruption: one uniform number is compared with the rates in
the order reset, throttle, error, malformed, hostile, so every rate means exactly what it says and their
sum may not exceed 1. `limit` caps how many disruptions a fault set causes (then only its
latency remains), which makes "fail twice, then succeed" deterministic; `seed` makes the draws
reproducible. The most specific set wins: `<dialect>/<bucket>`, then `*/<bucket>`, then global.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from reconciler.emulator.hostile import Hostile

Method = Literal["GET", "PUT", "DELETE"]


class FaultSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    latency_ms: float = Field(0, ge=0, le=600_000, description="fixed delay before every answer")
    jitter_ms: float = Field(0, ge=0, le=600_000, description="extra uniform random delay, 0..jitter_ms")
    reset_rate: float = Field(0, ge=0, le=1, description="share of requests whose connection is reset")
    reset_when: Literal["before", "after"] = Field(
        "before", description="reset before the request takes effect, or after (the change is kept)"
    )
    throttle_rate: float = Field(0, ge=0, le=1, description="share answered 429 with Retry-After")
    retry_after: int = Field(1, ge=0, le=3600, description="Retry-After seconds of a 429")
    error_rate: float = Field(0, ge=0, le=1, description="share answered with an error status")
    error_statuses: tuple[int, ...] = Field((500,), min_length=1, description="statuses to choose from")
    malformed_rate: float = Field(0, ge=0, le=1, description="share of GETs answered 200 with a truncated body")
    hostile_rate: float = Field(0, ge=0, le=1, description="share of GETs given the `hostile` answer")
    hostile: Hostile = Field("trickle", description="trickle, huge, gzip_bomb, deep or many (see hostile.py)")
    hostile_size: int = Field(
        100 * 1024 * 1024,
        ge=1,
        le=4 * 1024**3,
        description="huge: body bytes; gzip_bomb: decoded bytes; deep: nesting levels; many: rules",
    )
    trickle_interval_ms: float = Field(1000, gt=0, le=600_000, description="trickle: pause between two bytes")
    methods: tuple[Method, ...] = Field(("GET", "PUT", "DELETE"), min_length=1, description="methods disrupted")
    limit: int | None = Field(None, ge=1, description="at most this many disruptions, then latency only")
    seed: int | None = Field(None, description="seed of the random draws, for reproducible runs")

    @model_validator(mode="after")
    def _consistent(self) -> FaultSpec:
        for status in self.error_statuses:
            if not 400 <= status <= 599:
                raise ValueError(f"error_statuses: {status} is not an HTTP error status (400-599)")
        if self.reset_rate + self.throttle_rate + self.error_rate + self.malformed_rate + self.hostile_rate > 1:
            raise ValueError(
                "reset_rate + throttle_rate + error_rate + malformed_rate + hostile_rate must not exceed 1"
            )
        return self


class Disruption(Enum):
    NONE = "none"
    RESET = "reset"
    THROTTLE = "throttle"
    ERROR = "error"
    MALFORMED = "malformed"
    HOSTILE = "hostile"


@dataclass(frozen=True)
class Decision:
    delay: float = 0.0  # seconds
    disruption: Disruption = Disruption.NONE
    status: int = 0  # ERROR: the status to answer
    retry_after: int = 0  # THROTTLE: the Retry-After seconds
    after: bool = False  # RESET: once the request has taken effect


class ActiveFaults:
    """A spec with its own random source and count of disruptions caused."""

    def __init__(self, spec: FaultSpec) -> None:
        self.spec = spec
        self._random = random.Random(spec.seed)
        self.fired = 0

    def decide(self, method: str) -> Decision:
        spec = self.spec
        delay = (spec.latency_ms + (self._random.uniform(0, spec.jitter_ms) if spec.jitter_ms else 0)) / 1000
        if method not in spec.methods or (spec.limit is not None and self.fired >= spec.limit):
            return Decision(delay)
        draw = self._random.random()
        threshold = 0.0
        for rate, disruption in (
            (spec.reset_rate, Disruption.RESET),
            (spec.throttle_rate, Disruption.THROTTLE),
            (spec.error_rate, Disruption.ERROR),
            (spec.malformed_rate, Disruption.MALFORMED),
            (spec.hostile_rate, Disruption.HOSTILE),
        ):
            threshold += rate
            if draw < threshold:
                if disruption in (Disruption.MALFORMED, Disruption.HOSTILE) and method != "GET":
                    return Decision(delay)  # only a read has a body to break
                self.fired += 1
                status = self._random.choice(spec.error_statuses) if disruption is Disruption.ERROR else 0
                return Decision(delay, disruption, status, spec.retry_after, spec.reset_when == "after")
        return Decision(delay)

    def describe(self) -> dict[str, object]:
        return {"spec": self.spec.model_dump(mode="json"), "fired": self.fired}


GLOBAL = "global"


class FaultTable:
    def __init__(self) -> None:
        self._sets: dict[str, ActiveFaults] = {}

    @staticmethod
    def scope(bucket: str | None, dialect: str | None) -> str:
        if bucket is None:
            return GLOBAL
        return f"{dialect or '*'}/{bucket}"

    def set(self, spec: FaultSpec, scope: str) -> ActiveFaults:
        self._sets[scope] = ActiveFaults(spec)
        return self._sets[scope]

    def clear(self, scope: str | None = None) -> None:
        """Clear one scope, or everything when `scope` is None."""
        if scope is None:
            self._sets.clear()
        else:
            self._sets.pop(scope, None)

    def for_bucket(self, dialect: str, bucket: str) -> ActiveFaults | None:
        sets = self._sets
        if not sets:
            return None
        return sets.get(f"{dialect}/{bucket}") or sets.get(f"*/{bucket}") or sets.get(GLOBAL)

    def describe(self) -> dict[str, object]:
        return {scope: active.describe() for scope, active in sorted(self._sets.items())}
