"""Drift: live vs state vs configuration, per bucket, without writing anything (DESIGN §6). Pure, like planning."""

from reconciler.drift.detection import (
    FORMAT_VERSION,
    BucketDrift,
    BucketStatus,
    DifferenceType,
    DriftReport,
    DriftStatus,
    ForeignStatus,
    PropertyDifference,
    detect_drift,
)

__all__ = [
    "FORMAT_VERSION",
    "BucketDrift",
    "BucketStatus",
    "DifferenceType",
    "DriftReport",
    "DriftStatus",
    "ForeignStatus",
    "PropertyDifference",
    "detect_drift",
]
