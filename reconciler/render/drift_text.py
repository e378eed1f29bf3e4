"""The drift report for people: one block per bucket, its three sections kept apart."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from reconciler.drift.detection import (
    BucketDrift,
    BucketStatus,
    DriftReport,
    DriftStatus,
    ForeignStatus,
    PropertyDifference,
)
from reconciler.model.ignore import IgnoreEntry
from reconciler.plan.model import Action
from reconciler.render.text import render_lines
from reconciler.render.values import literal

_STYLES = {"+": "green", "~": "yellow", "-": "red", "!": "red", "=": "dim"}
SECTION_TITLES = {
    "managed": "Changed outside reconciler (live differs from the state)",
    "observed": "Differences from the configuration (observe: never applied)",
    "foreign": "Foreign rules (not managed by reconciler)",
    "pending": "Configuration not yet applied (configuration differs from the state)",
}


def render_drift_text(report: DriftReport, *, color: bool = False) -> str:
    return render_lines(drift_lines(report), color=color)


def drift_lines(report: DriftReport) -> list[Text]:
    """The report as lines for people; rich styles mark changes (drawn only where colour is on)."""
    lines: list[str | Text] = [
        f"Drift check at {report.model_dump(mode='json')['timestamp']}, state serial {report.prior_state.serial}."
    ]
    for bucket in report.buckets:
        lines.append("")
        lines.extend(_bucket_lines(bucket))
    lines.extend(_ignore_lines(report))
    lines.extend(f"Warning: {w.address} [{w.code}]: {w.message}" for w in report.warnings)
    lines.append("")
    lines.extend(verdict_lines(report))
    return [line if isinstance(line, Text) else Text(line) for line in lines]


def verdict_lines(report: DriftReport) -> list[str]:
    """The closing counts: what caused the exit code, in one or two sentences."""
    s = report.summary
    buckets = (
        f"Buckets: {s.total_buckets} checked, {s.buckets_in_sync} in sync, {s.buckets_drifted} drifted, "
        f"{s.buckets_errored} could not be checked."
    )
    if not report.drifted:
        verdict = "No drift: live rules match the state and the configuration is fully applied."
    else:
        parts = [
            (s.total_changed, "changed outside reconciler"),
            (s.total_missing, "deleted outside reconciler"),
            (s.total_unmanaged_drift, "new foreign on exclusive buckets"),
            (s.total_pending, "not yet applied"),
        ]
        verdict = "Drift: " + ", ".join(f"{n} {what}" for n, what in parts if n) + "."
    if s.total_ignored:
        verdict += f" {s.total_ignored} ignored."
    return [verdict, buckets]


def format_value(value: Any) -> str:
    return "(absent)" if value is None else literal(value)


def ignored_note(entry: IgnoreEntry | None) -> str:
    return f"  (ignored until {entry.expires.isoformat()}: {entry.reason})" if entry is not None else ""


def _paint(symbol: str, text: str) -> Text:
    return Text(text, style=_STYLES.get(symbol, ""))


def _heading(bucket: BucketDrift) -> str:
    kind = bucket.type or "provider not configured"
    if bucket.flavor:
        kind += f"/{bucket.flavor}"
    status = {BucketStatus.IN_SYNC: "in sync", BucketStatus.DRIFTED: "DRIFTED", BucketStatus.ERROR: "ERROR"}
    return f"{bucket.address}  {status[bucket.status]}  ({kind}, {bucket.ownership})"


def _bucket_lines(bucket: BucketDrift) -> list[str | Text]:
    lines: list[str | Text] = [_heading(bucket)]
    if bucket.error is not None:
        lines.append(f"  could not be checked: {bucket.error}")
    managed = [r for r in bucket.managed if r.status is not DriftStatus.IN_SYNC]
    if managed:
        lines.append(f"  {SECTION_TITLES['observed' if bucket.ownership == 'observe' else 'managed']}:")
        for rule in managed:
            symbol = "-" if rule.status is DriftStatus.DELETED else "~"
            lines.append(_paint(symbol, f"    {symbol} {rule.id}  {rule.status.value}") + ignored_note(rule.ignored))
            lines.extend(_difference_lines(rule.differences))
    shown_foreign = [f for f in bucket.foreign if f.status is ForeignStatus.NEW]
    if shown_foreign:
        lines.append(f"  {SECTION_TITLES['foreign']}:")
        for foreign in shown_foreign:
            symbol = "!" if foreign.counts_as_drift else "+"
            label = foreign.id if foreign.id is not None else f"(no id, position {foreign.live_index})"
            meaning = "drift: an exclusive bucket" if foreign.counts_as_drift else "kept: not ours"
            text = f"    {symbol} {label}  new since the last apply ({meaning}): {foreign.summary}"
            lines.append(_paint(symbol, text) + ignored_note(foreign.ignored))
    known = sum(f.status is ForeignStatus.KNOWN for f in bucket.foreign)
    if known:
        lines.append(f"  {known} foreign rule{'s' if known != 1 else ''} already there at the last apply, kept.")
    if bucket.pending:
        lines.append(f"  {SECTION_TITLES['pending']}:")
        symbols = {Action.CREATE: "+", Action.UPDATE: "~", Action.DELETE: "-"}
        for change in bucket.pending:
            symbol = symbols[change.action]
            lines.append(
                _paint(symbol, f"    {symbol} {change.id}  {change.action.value}") + ignored_note(change.ignored)
            )
            lines.extend(_difference_lines(change.differences, applied_first=True))
    if bucket.status is BucketStatus.IN_SYNC and not managed and not shown_foreign and not bucket.pending:
        count = len(bucket.managed)
        lines[0] += f": {count} managed rule{'s' if count != 1 else ''} as applied"
    return lines


def _difference_lines(differences: tuple[PropertyDifference, ...], *, applied_first: bool = False) -> list[str]:
    """`old → new`: state → live for changes outside reconciler; for pending changes (`applied_first`,
    where `expected` is the configuration) state → configuration, as apply would change it."""
    pairs = ((d, d.actual, d.expected) if applied_first else (d, d.expected, d.actual) for d in differences)
    return [
        f"        {d.path}: {format_value(old)} → {format_value(new)}" + ignored_note(d.ignored)
        for d, old, new in pairs
    ]


def _ignore_lines(report: DriftReport) -> list[str]:
    lines: list[str] = []
    if report.expired_ignores:
        lines += ["", "Expired ignore entries (no longer applied: renew them with a new date, or remove them):"]
        lines += [f"  {e.address}  expired {e.expires.isoformat()}: {e.reason}" for e in report.expired_ignores]
    if report.unused_ignores:
        lines += ["", "Unused ignore entries (they matched nothing: remove them):"]
        lines += [f"  {e.address}  until {e.expires.isoformat()}: {e.reason}" for e in report.unused_ignores]
    return lines
