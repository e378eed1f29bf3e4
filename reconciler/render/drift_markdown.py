"""The drift report as Markdown for an issue or pull-request comment.

Summary line first, then one table row per bucket that is not in sync, then per-bucket details
in `<details>`. Never longer than MAX_CHARS (GitHub allows 65,536): details are cut first,
table rows next, the summary line never. The first line is a marker by which a CI job finds
its previous comment or issue and updates it instead of adding another.
"""

from __future__ import annotations

import html
from typing import Any

from reconciler.drift.detection import (
    BucketDrift,
    BucketStatus,
    DriftReport,
    DriftStatus,
    ForeignStatus,
    PropertyDifference,
)
from reconciler.model.ignore import IgnoreEntry
from reconciler.render.drift_text import SECTION_TITLES, format_value, verdict_lines
from reconciler.render.markdown import _take, warnings_block
from reconciler.render.values import printable
from reconciler.state.model import rfc3339

MARKER = "<!-- reconciler:drift -->"
MAX_CHARS = 60_000
_STATUS = {BucketStatus.IN_SYNC: "✅ in sync", BucketStatus.DRIFTED: "⚠️ drifted", BucketStatus.ERROR: "❌ error"}
_TABLE_HEAD = (
    "| Bucket | Status | Changed | Deleted | New foreign | Not applied | Ignored |\n"
    "|---|---|---:|---:|---:|---:|---:|\n"
)
_CUT_NOTE = "\n_Cut to fit a comment: run `reconciler drift` for the full report._\n"


def render_drift_markdown(report: DriftReport, *, max_chars: int = MAX_CHARS) -> str:
    verdict, buckets_line = verdict_lines(report)
    head = f"{MARKER}\n### {'⚠️ ' if report.drifted else ''}{verdict}\n\n{buckets_line}\n\n"
    head += warnings_block(report.warnings)
    stamp = rfc3339(report.timestamp)
    footer = f"\n<sub>reconciler {report.tool_version} · state serial {report.prior_state.serial} · {stamp}</sub>\n"
    shown = [b for b in report.buckets if b.status is not BucketStatus.IN_SYNC]
    rows = [_row(b) for b in shown]
    details = [_details(b) for b in shown]
    ignores = _ignore_blocks(report)
    budget = max_chars - len(head) - len(footer) - len(_CUT_NOTE) - len(_TABLE_HEAD) - 100
    kept_rows, budget = _take(rows, budget)
    table = _TABLE_HEAD + "".join(kept_rows) if rows else ""
    if len(kept_rows) < len(rows):
        table += f"\n_… and {len(rows) - len(kept_rows)} more buckets not in sync._\n"
    kept_ignores, budget = _take(ignores, budget)
    kept_details, _ = _take(details, budget)
    cut = len(kept_details) < len(details) or len(kept_ignores) < len(ignores) or len(kept_rows) < len(rows)
    body = head + table + "\n" + "".join(kept_details) + "".join(kept_ignores) + (_CUT_NOTE if cut else "")
    return printable(body + footer, keep="\n")  # ids and messages are data: never control codes


def _cell(value: Any) -> str:
    text = value if isinstance(value, str) else format_value(value)
    return "<code>" + html.escape(text).replace("|", "&#124;").replace("\n", " ") + "</code>"


def _row(bucket: BucketDrift) -> str:
    c = bucket.counts()
    numbers = (
        c["total_changed"],
        c["total_missing"],
        c["total_unmanaged_drift"],
        c["total_pending"],
        c["total_ignored"],
    )
    return f"| {_cell(bucket.address)} | {_STATUS[bucket.status]} | " + " | ".join(map(str, numbers)) + " |\n"


def _details(bucket: BucketDrift) -> str:
    lines = [
        f"<details><summary>{_cell(bucket.address)} ({bucket.type or 'provider not configured'}, "
        f"{bucket.ownership}): {_STATUS[bucket.status]}</summary>",
        "",
    ]
    if bucket.error:
        lines += [f"Could not be checked: {html.escape(bucket.error)}", ""]
    managed = [r for r in bucket.managed if r.status is not DriftStatus.IN_SYNC]
    if managed:
        lines += [f"**{SECTION_TITLES['observed' if bucket.ownership == 'observe' else 'managed']}**", ""]
        lines += ["| Rule | Status | Field | Expected | Actual |", "|---|---|---|---|---|"]
        for rule in managed:
            lines += _difference_rows(rule.id, rule.status.value, rule.differences, rule.ignored)
        lines.append("")
    new_foreign = [f for f in bucket.foreign if f.status is ForeignStatus.NEW]
    if new_foreign:
        lines += [
            f"**{SECTION_TITLES['foreign']}**",
            "",
            "| Rule | Since the last apply | What it does |",
            "|---|---|---|",
        ]
        for f in new_foreign:
            meaning = "new: drift (exclusive bucket)" if f.counts_as_drift else "new: kept, not ours"
            label = f.id if f.id is not None else f"(no id, position {f.live_index})"
            lines.append(f"| {_cell(label)} | {meaning}{_ignored(f.ignored)} | {html.escape(f.summary)} |")
        lines.append("")
    if bucket.pending:
        lines += [f"**{SECTION_TITLES['pending']}**", ""]
        lines += ["| Rule | Action | Field | Configuration | State |", "|---|---|---|---|---|"]
        for change in bucket.pending:
            lines += _difference_rows(change.id, change.action.value, change.differences, change.ignored)
        lines.append("")
    lines += ["</details>", "", ""]
    return "\n".join(lines)


def _difference_rows(
    rule_id: str, status: str, differences: tuple[PropertyDifference, ...], ignored: IgnoreEntry | None
) -> list[str]:
    first = f"| {_cell(rule_id)} | {status}{_ignored(ignored)} |"
    if not differences:
        return [first + " | | |"]
    return [
        (first if index == 0 else "| | |")
        + f" {_cell(d.path)}{_ignored(d.ignored)} | {_cell(d.expected)} | {_cell(d.actual)} |"
        for index, d in enumerate(differences)
    ]


def _ignored(entry: IgnoreEntry | None) -> str:
    if entry is None:
        return ""
    return f" (ignored until {entry.expires.isoformat()}: {html.escape(entry.reason).replace('|', '&#124;')})"


def _ignore_blocks(report: DriftReport) -> list[str]:
    blocks = []
    for title, entries in (
        (
            "Expired ignore entries: no longer applied; renew them with a new date, or remove them",
            report.expired_ignores,
        ),
        ("Unused ignore entries: they matched nothing; remove them", report.unused_ignores),
    ):
        if entries:
            items = "\n".join(
                f"- {_cell(e.address)} ({e.expires.isoformat()}): {html.escape(e.reason)}" for e in entries
            )
            blocks.append(f"**{title}**\n\n{items}\n\n")
    return blocks
