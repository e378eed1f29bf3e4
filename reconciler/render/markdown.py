"""The plan as a pull-request comment: summary first, a per-bucket table, details collapsed.

A marker comment lets CI find and update its previous comment. The whole comment stays under
`limit` characters (GitHub allows 65,536): per-bucket details are cut first, then table rows;
the summary line never is.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence

from reconciler.plan.model import Action, BucketChange, Plan, PlanWarning
from reconciler.render.text import (
    REFRESH_ONLY,
    bucket_lines,
    count,
    identity_notes,
    no_changes_note,
    render_lines,
    selection_text,
    shown,
    summary_line,
)
from reconciler.render.values import printable

MARKER = "<!-- reconciler-plan -->"
LIMIT = 60_000
WARNINGS_SHOWN = 20  # more are counted, not listed: the summary must always fit
TABLE_HEAD = (
    "| Bucket | Ownership | Action | Add | Change | Delete | Foreign kept | Foreign removed | Rules |\n"
    "|---|---|---|--:|--:|--:|--:|--:|---|\n"
)


SHOWN_SELECTIONS = 20  # the comment stays short; `reconciler show` on the saved plan has every one


def labels(plan: Plan) -> list[str]:
    """For CI to label the pull request."""
    found = ["changes" if plan.has_changes else "no-changes"]
    if plan.summary.delete:
        found.append("deletes-managed")
    if plan.summary.foreign_removed:
        found.append("removes-foreign")
    if plan.summary.adopt:
        found.append("adopts-foreign")
    if any(c.changed_outside for b in plan.buckets for c in b.changes):
        found.append("changed-outside")
    if plan.errored:
        found.append("errored")
    if plan.warnings:
        found.append("warnings")
    return found


def warnings_block(warnings: Sequence[PlanWarning]) -> str:
    """Plan or drift warnings as quoted lines; at most WARNINGS_SHOWN listed, the rest counted."""
    lines = [f"> **Warning** `{w.address}` ({w.code}): {_cell(w.message)}\n" for w in warnings[:WARNINGS_SHOWN]]
    if len(warnings) > WARNINGS_SHOWN:
        more = count(len(warnings) - WARNINGS_SHOWN, "more warning")
        lines.append(f"> … {more} (`reconciler show` lists all)\n")
    return "".join(lines) + ("\n" if lines else "")


def outside_block(plan: Plan) -> str:
    """Managed rules changed outside reconciler since the last apply, one quoted line each."""
    changed = [c for b in plan.buckets for c in b.changes if c.changed_outside][:WARNINGS_SHOWN]
    lines = [
        f"> **Changed outside reconciler** `{_cell(c.address)}`: "
        f"{_cell(', '.join(f.path for f in c.changed_outside))}\n"
        for c in changed
    ]
    return "".join(lines) + ("\n" if lines else "")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _row(bucket: BucketChange) -> str:
    tally = {a: sum(1 for c in bucket.changes if c.action is a) for a in (Action.CREATE, Action.UPDATE, Action.DELETE)}
    kept = sum(1 for f in bucket.foreign if f.disposition == "keep")
    removed = len(bucket.foreign) - kept
    action = "error" if bucket.error is not None else bucket.action.value
    rules = "" if bucket.error is not None else f"{bucket.rule_count_before} → {bucket.rule_count_after}"
    cells = [f"`{bucket.address}`", bucket.ownership, action]
    cells += [str(tally[Action.CREATE]), str(tally[Action.UPDATE]), str(tally[Action.DELETE])]
    cells += [str(kept), str(removed), rules]
    return "| " + " | ".join(_cell(c) for c in cells) + " |\n"


def _fence(body: str) -> str:
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    return "`" * max(3, longest + 1)


def _details(bucket: BucketChange) -> str:
    # symbols in the first column, so the diff fence colours additions and deletions
    body = textwrap.dedent(render_lines(bucket_lines(bucket), color=False)).rstrip("\n")
    fence = _fence(body)
    title = f"<code>{bucket.address}</code>" + (": cannot be planned" if bucket.error else "")
    return f"<details><summary>{title}</summary>\n\n{fence}diff\n{body}\n{fence}\n\n</details>\n"


def _take(parts: list[str], budget: int) -> tuple[list[str], int]:
    """The leading parts that fit in `budget` characters, and the budget left."""
    taken = []
    for part in parts:
        if len(part) > budget:
            break
        taken.append(part)
        budget -= len(part)
    return taken, budget


def render_plan_markdown(plan: Plan, *, limit: int = LIMIT) -> str:
    sections = [b for b in plan.buckets if shown(b)]
    quiet = len(plan.buckets) - len(sections)
    note = no_changes_note(plan)
    head = f"{MARKER}\n<!-- labels: {', '.join(labels(plan))} -->\n**{summary_line(plan.summary)}**\n\n"
    head += f"{note}\n\n" if note is not None else ""
    head += f"_{REFRESH_ONLY}_\n\n" if plan.refresh_only else ""
    head += outside_block(plan)
    head += warnings_block(plan.warnings)
    head += "".join(f"- Selector {_cell(selection_text(s))}\n" for s in plan.selections[:SHOWN_SELECTIONS])
    head += "\n" if plan.selections else ""
    head += "".join(f"> **Identity** `{b.address}`: {_cell(n)}\n" for b in plan.buckets for n in identity_notes(b))
    head += "\n" if any(b.identity_change for b in plan.buckets) else ""
    if not sections:
        return printable(head + f"{count(len(plan.buckets), 'bucket')} checked.\n", keep="\n")
    tail_note = f"\n{count(quiet, 'other bucket')} unchanged.\n" if quiet else ""
    cut_note = (
        f"\n_Some details were left out to keep this comment under {limit:,} characters; "
        "`reconciler show` on the saved plan prints everything._\n"
    )
    budget = limit - len(head) - len(TABLE_HEAD) - len(tail_note) - len(cut_note) - len(_omitted_row(len(sections)))
    rows, budget = _take([_row(b) for b in sections], budget)
    details: list[str] = []
    if len(rows) == len(sections):
        details, budget = _take([_details(b) for b in sections], budget - 1)
    complete = len(details) == len(sections)
    omitted = _omitted_row(len(sections) - len(rows)) if len(rows) < len(sections) else ""
    body = "".join(rows) + omitted + tail_note + ("\n" + "".join(details) if details else "")
    return printable(head + TABLE_HEAD + body + ("" if complete else cut_note), keep="\n")


def _omitted_row(number: int) -> str:
    return f"| … {count(number, 'more bucket')} with changes |  |  |  |  |  |  |  |  |\n"
