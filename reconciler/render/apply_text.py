"""The apply report for people: one line per bucket as it finishes, then the totals.

`TextApplyReporter` is the ApplyHook the `apply` command hands to the engine; it prints each
written bucket when it is done, the buckets that were not written at the end, and a summary.
"""

from __future__ import annotations

import sys
from typing import TextIO

from rich.text import Text

from reconciler.apply.report import ApplyReport, BucketOutcome
from reconciler.render.json import dumps
from reconciler.render.text import count, render_lines

_STYLES = {"applied": "green", "unchanged": "dim", "failed": "bold red"}


def outcome_line(outcome: BucketOutcome) -> Text:
    line = Text(f"{outcome.address}: ", style="bold").append(outcome.status, style=_STYLES[outcome.status])
    if outcome.status == "applied":
        removed = f", {outcome.foreign_removed} foreign removed" if outcome.foreign_removed else ""
        return line.append(f" ({outcome.added} added, {outcome.changed} changed, {outcome.deleted} deleted{removed})")
    if outcome.status == "failed":
        return line.append(f": {outcome.reason}")
    return line.append(f" ({outcome.reason})" if outcome.reason else "")


def summary_line(report: ApplyReport) -> Text:
    applied, unchanged, failed = (len(report.with_status(s)) for s in ("applied", "unchanged", "failed"))
    rules = report.with_status("applied")
    tally = (
        f"{count(applied, 'bucket')} applied, {unchanged} unchanged, {failed} failed. "
        f"Rules: {sum(o.added for o in rules)} added, {sum(o.changed for o in rules)} changed, "
        f"{sum(o.deleted for o in rules)} deleted"
    )
    removed = sum(o.foreign_removed for o in rules)
    tally += f", {removed} foreign removed." if removed else "."
    if failed:
        return Text(f"Apply finished with errors: {tally}", style="bold red")
    return Text(f"Apply complete! {tally}", style="bold green")


def render_apply_report_json(report: ApplyReport) -> str:
    return dumps(report.to_json())


class TextApplyReporter:
    """ApplyHook printing each written bucket as it finishes, then the rest and the totals."""

    def __init__(self, stream: TextIO | None = None, *, color: bool = False) -> None:
        self.stream = stream  # None: sys.stdout at each write (a progress bar may redirect it)
        self.color = color
        self._printed: set[str] = set()

    def _print(self, lines: list[Text]) -> None:
        stream = self.stream or sys.stdout
        stream.write(render_lines(lines, color=self.color))
        stream.flush()

    def writes_started(self, total: int) -> None:
        if total:
            self._print([Text(f"Applying changes to {count(total, 'bucket')}…"), Text()])

    def pre_bucket(self, address: str) -> None:
        pass

    def post_bucket(self, outcome: BucketOutcome) -> None:
        self._printed.add(outcome.address)
        self._print([outcome_line(outcome)])

    def apply_finished(self, report: ApplyReport) -> None:
        rest = [outcome_line(o) for o in report.outcomes if o.address not in self._printed]
        self._print(rest + [Text(), summary_line(report)])
