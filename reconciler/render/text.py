"""The Terraform-like text plan: `+` create, `~` update, `-` delete, `.` forget, `<` adopt (a
foreign rule taken over), `=` foreign rule kept (or an imported rule not declared), `!` foreign
rule removed; per bucket the whole live document and its rule counts; first, the managed rules
changed outside reconciler since the last apply.

Built from the Plan alone. Colour only when the caller asks (it decides TTY / --no-color /
NO_COLOR); styling goes through rich so the same lines serve a terminal and plain text.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from rich.console import Console
from rich.text import Text

from reconciler.model.config import Selection
from reconciler.plan.model import Action, BucketChange, ForeignRule, Plan, PlanWarning, Reason, RuleChange, Summary
from reconciler.render.values import leaves, literal, printable

SYMBOLS = {
    Action.CREATE: ("+", "green"),
    Action.UPDATE: ("~", "yellow"),
    Action.DELETE: ("-", "red"),
    Action.FORGET: (".", "magenta"),
    Action.ADOPT: ("<", "cyan"),
}
KEPT, REMOVED = ("=", "dim"), ("!", "bold red")
NO_CHANGES = "No changes. Live buckets match the configuration."

_REASONS = {
    Reason.NOT_IN_CONFIGURATION: "no longer in the configuration",
    Reason.BUCKET_NOT_IN_CONFIGURATION: "its bucket is no longer in the configuration",
    Reason.ALREADY_GONE: "already deleted outside reconciler",
    Reason.DELETED_OUTSIDE: "deleted outside reconciler",
    Reason.UNPARSEABLE: "the live rule does not fit the provider's format",
    Reason.DUPLICATE_ID: "a second live rule with the same id",
    Reason.IDENTITY_CHANGED: "recorded for another bucket identity; kept live",
    Reason.RENAMED: "renamed by `state mv`, in place",
    Reason.RELEASED: "released from management: it stays live, no longer managed",
}
_VERBS = {
    Action.CREATE: "be created",
    Action.UPDATE: "be updated in place",
    Action.DELETE: "be deleted",
    Action.FORGET: "be removed from the state only",
    Action.ADOPT: "be adopted: a rule reconciler did not manage, taken over as declared",
}
ADOPT_AND_UPDATE = "be adopted and updated in place: a rule reconciler did not manage, taken over and changed"


REFRESH_ONLY = (
    "This is a refresh-only plan: the state records of owned rules are brought up to date from live, and "
    "nothing is written to any bucket."
)


def summary_line(summary: Summary) -> str:
    line = (
        f"Plan: {summary.add} to add, {summary.change} to change, {summary.delete} to delete. "
        f"{summary.foreign_kept} foreign rules kept."
    )
    if summary.foreign_removed:
        line += f" {summary.foreign_removed} foreign rules removed."
    if summary.forget:
        line += f" {summary.forget} to forget from state."
    if summary.refresh:
        line += f" {summary.refresh} state {'record' if summary.refresh == 1 else 'records'} to refresh."
    if summary.adopt:
        line += f" {summary.adopt} foreign {'rule' if summary.adopt == 1 else 'rules'} to adopt."
    return line


def no_changes_note(plan: Plan) -> str | None:
    """Why a plan without changes has none (None when it has changes)."""
    if plan.has_changes:
        return None
    if plan.errored:
        return f"No changes planned, but {count(len(plan.errors), 'bucket')} could not be planned (see above)."
    observed = sum(1 for b in plan.buckets if b.action is Action.READ and shown(b))
    if observed:
        verb = "differs" if observed == 1 else "differ"
        return f"No changes. {count(observed, 'observed bucket')} {verb} from the configuration (never written)."
    return NO_CHANGES


def shown(bucket: BucketChange) -> bool:
    """Worth showing: something changes, cannot be planned, or (observe) differs."""
    return (
        bucket.error is not None
        or bucket.writes_document
        or any(c.action is not Action.NO_OP or c.reason == Reason.IMPORTED_NOT_DECLARED for c in bucket.changes)
        or any(f.disposition == "remove" for f in bucket.foreign)
        or bool(bucket.identity_change)
        or bool(bucket.refresh)
    )


def count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _heading(bucket: BucketChange) -> Text:
    kind = bucket.type + (f"/{bucket.flavor}" if bucket.flavor else "")
    text = Text("  # ", style="bold")
    text.append(bucket.address, style="bold")
    if bucket.error is not None:
        return text.append(f" ({kind}) cannot be planned: {bucket.error}", style="bold red")
    text.append(f" ({kind}, {bucket.ownership})")
    if bucket.action is Action.READ:
        return text.append(f": observe only, nothing will be written; {count(bucket.rule_count_before, 'live rule')}")
    return text.append(f": {count(bucket.rule_count_before, 'live rule')}, {bucket.rule_count_after} after apply")


def _field(symbol: str, style: str, path: str, value: str) -> Text:
    return Text("      ").append(f"{symbol} {path}", style=style).append(f" = {value}")


def _ordinal(position: int | None) -> str:
    """People count from 1; the plan from 0."""
    return "?" if position is None else str(position + 1)


def rule_lines(change: RuleChange, *, observed: bool = False) -> list[Text]:
    """A rule's heading and fields; `observed`: an observe bucket's difference, never applied."""
    symbol, style = SYMBOLS[change.action]
    verb = ADOPT_AND_UPDATE if change.actions == (Action.ADOPT, Action.UPDATE) else _VERBS[change.action]
    if change.reason == Reason.MOVED:
        verb = f"move from position {_ordinal(change.before_position)} to {_ordinal(change.after_position)}"
        if change.action is Action.ADOPT:
            verb = f"be adopted and {verb.replace('move', 'moved', 1)}"
    heading = Text("  ").append(f"{symbol} rule ", style=style).append(f'"{change.rule_id}"', style="bold")
    heading.append(f" {'would' if observed else 'will'} {verb}")
    if change.reason in _REASONS:
        heading.append(f" ({_REASONS[Reason(change.reason)]})", style="dim")
    lines = [heading]
    if change.action is Action.CREATE:
        lines += [_field("+", "green", p, literal(v)) for p, v in leaves(change.after) if p != "id"]
    elif change.action is Action.DELETE:
        lines += [_field("-", "red", p, literal(v)) for p, v in leaves(change.before) if p != "id"]
    elif Action.UPDATE in change.actions:
        for field in change.fields:
            if field.before is None:
                lines.append(_field("+", "green", field.path, literal(field.after, field.sensitive)))
            elif field.after is None:
                lines.append(_field("-", "red", field.path, literal(field.before, field.sensitive)))
            else:
                old, new = literal(field.before, field.sensitive), literal(field.after, field.sensitive)
                lines.append(_field("~", "yellow", field.path, f"{old} -> {new}"))
    return lines


def imported_line(change: RuleChange, bucket_address: str) -> Text:
    """An imported rule the configuration does not declare: kept, and how to settle it."""
    symbol, style = KEPT
    line = Text("  ").append(f"{symbol} rule ", style=style).append(f'"{change.rule_id}"', style="bold")
    return line.append(
        f" imported, not in configuration: add it or `reconciler state rm {bucket_address}/{change.rule_id}`;"
        " kept as it is"
    )


def outside_lines(plan: Plan) -> list[Text]:
    """Terraform's "objects have changed outside": owned rules whose live content differs from the
    state's record, field by field (record -> live); nothing when there are none."""
    changed = [c for b in plan.buckets for c in b.changes if c.changed_outside]
    if not changed:
        return []
    lines = [Text("Note: managed rules changed outside reconciler since the last apply:", style="bold"), Text()]
    for change in changed:
        lines.append(Text("  # ", style="bold").append(change.address, style="bold"))
        for field in change.changed_outside:
            old, new = literal(field.before, field.sensitive), literal(field.after, field.sensitive)
            lines.append(_field("~", "yellow", field.path, f"{old} -> {new}"))
    return lines + [Text()]


def _foreign_line(rule: ForeignRule) -> Text:
    symbol, style = KEPT if rule.disposition == "keep" else REMOVED
    name = f'"{rule.id}"' if rule.id is not None else f"without id at position {rule.live_index + 1}"
    verb = "kept as it is" if rule.disposition == "keep" else "will be removed (exclusive ownership)"
    line = Text("  ").append(f"{symbol} foreign rule ", style=style).append(name, style="bold")
    return line.append(f" {verb}: {rule.summary}")


def bucket_lines(bucket: BucketChange) -> list[Text]:
    """One bucket's section: its heading, every managed change, every foreign rule."""
    lines = [_heading(bucket)]
    if bucket.error is not None:
        return lines
    lines += [Text("  ").append(line, style="bold yellow") for line in identity_notes(bucket)]
    unchanged = 0
    for change in bucket.changes:
        if change.action is Action.NO_OP and change.rule_id in bucket.refresh:
            line = Text("  ").append("~ state record of rule ", style="yellow")
            line.append(f'"{change.rule_id}"', style="bold")
            lines.append(line.append(" will be brought up to date from live (nothing is written to the bucket)"))
        elif change.reason == Reason.IMPORTED_NOT_DECLARED:
            lines.append(imported_line(change, bucket.address))
        elif change.action is Action.NO_OP:
            unchanged += 1
        else:
            lines.extend(rule_lines(change, observed=bucket.action is Action.READ))
    lines.extend(_foreign_line(rule) for rule in bucket.foreign)
    if unchanged:
        lines.append(Text(f"    {count(unchanged, 'managed rule')} unchanged", style="dim"))
    return lines


def identity_notes(bucket: BucketChange) -> list[str]:
    """What a changed bucket identity means for this plan (nothing when it did not change)."""
    if not bucket.identity_change:
        return []
    first = f"! the bucket's identity changed since the last apply ({'; '.join(bucket.identity_change)})"
    if bucket.identity_confirmed:
        return [first + ": confirmed, its recorded rules stay owned and apply records the new identity"]
    return [
        first + ": its recorded rules are not treated as owned here, so nothing of them is deleted (apply "
        f"forgets them); if it is the same bucket, plan again with --confirm-identity {bucket.address}"
    ]


def warning_lines(warnings: Sequence[PlanWarning]) -> list[Text]:
    """One line per warning, naming its bucket, then a blank line; nothing when there are none."""
    lines = [Text("Warning: ", style="bold yellow").append(f"{w.address} [{w.code}]: {w.message}") for w in warnings]
    return lines + [Text()] if lines else []


def render_lines(lines: list[Text], *, color: bool) -> str:
    """Lines as a string: ANSI styles when `color`, plain text otherwise; control characters in
    their data shown, not obeyed (one character for one, so styles stay where they were)."""
    if not color:  # rich's per-line cost would dominate the render of a large plan
        return "".join(printable(line.plain) + "\n" for line in lines)
    buffer = io.StringIO()
    console = Console(  # the caller decided colour (commands/console.py): rich reads no variable here
        file=buffer,
        force_terminal=True,
        color_system="standard",
        highlight=False,
        emoji=False,
        soft_wrap=True,
        _environ={},
    )
    for line in lines:
        console.print(Text(printable(line.plain), style=line.style, spans=list(line.spans)))
    return buffer.getvalue()


SHOWN_SELECTED = 10  # bucket names shown per selector in text; JSON and the saved plan have them all


def selection_text(selection: Selection) -> str:
    """`qs {include: [logs-*]} (entry f:12:5) matched 3 buckets: a, b, c`."""
    patterns = ", ".join(
        f"{key}: [{', '.join(_pattern_text(pattern) for pattern in value)}]"
        for key, value in selection.selector.items()
    )
    names = list(selection.buckets[:SHOWN_SELECTED])
    more = len(selection.buckets) - len(names)
    listed = ", ".join(names) + (f" and {more} more" if more else "")
    matched = f"matched {count(len(selection.buckets), 'bucket')}" + (f": {listed}" if names else "")
    return printable(f"{selection.provider} {{{patterns}}} (entry at {selection.entry}) {matched}")


def _pattern_text(pattern: object) -> str:
    return f"regex {pattern['regex']}" if isinstance(pattern, dict) else str(pattern)


def selection_lines(plan: Plan) -> list[Text]:
    if not plan.selections:
        return []
    lines = [Text("Bucket selectors, resolved from the providers' bucket listings (a saved plan keeps these lists):")]
    lines += [Text(f"  {selection_text(selection)}") for selection in plan.selections]
    return lines + [Text()]


def plan_lines(plan: Plan) -> list[Text]:
    sections = [b for b in plan.buckets if shown(b)]
    lines: list[Text] = selection_lines(plan) + outside_lines(plan)
    if plan.refresh_only:
        lines = [Text(REFRESH_ONLY, style="bold"), Text(), *lines]
    if sections:
        lines += [Text("reconciler will perform the following actions:"), Text()]
    for bucket in sections:
        lines += bucket_lines(bucket) + [Text()]
    lines += warning_lines(plan.warnings)
    note = no_changes_note(plan)
    if note is not None:
        lines.append(Text(note, style="bold"))
    lines.append(Text(summary_line(plan.summary), style="bold"))  # every plan ends with the counts
    return lines


def render_plan_text(plan: Plan, *, color: bool = False) -> str:
    return render_lines(plan_lines(plan), color=color)
