"""The drift report as its own versioned JSON document (schemas/drift.schema.json)."""

from __future__ import annotations

from typing import Any

from reconciler.drift.detection import DriftReport
from reconciler.render.json import dumps

# The verdict and counters first, so a person reading the raw JSON sees them before the detail.
_ORDER = (
    "format_version",
    "tool_version",
    "timestamp",
    "prior_state",
    "drifted",
    "errored",
    "summary",
    "buckets",
    "expired_ignores",
    "unused_ignores",
    "warnings",
)


def drift_document(report: DriftReport) -> dict[str, Any]:
    dumped = report.model_dump(mode="json")
    return {key: dumped[key] for key in _ORDER}


def render_drift_json(report: DriftReport) -> str:
    return dumps(drift_document(report))
