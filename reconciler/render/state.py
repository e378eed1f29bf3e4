"""The state for people: `show` without a plan file, and `state list`."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from reconciler.render.text import count, render_lines
from reconciler.render.values import leaves, literal, printable
from reconciler.state.model import BucketState, StateFile, rfc3339

EMPTY = "The state is empty: nothing has been applied yet."


def _matches(address: str, filters: Sequence[str]) -> bool:
    return not filters or any(address == f or address.startswith(f + "/") for f in filters)


def render_state_list(state: StateFile, addresses: Sequence[str] = ()) -> str:
    """Every bucket and rule address (or those under `addresses`), one a line, like `terraform state list`."""
    return "".join(f"{printable(a)}\n" for a in state.addresses() if _matches(a, addresses))


def _bucket_lines(address: str, entry: BucketState) -> list[Text]:
    kind = entry.type + (f"/{entry.flavor}" if entry.flavor else "")
    lines = [Text(f"# {address} ({kind}), applied {rfc3339(entry.applied_at)}", style="bold")]
    for rule_id, rule in entry.rules.items():
        lines.append(Text("  rule ").append(f'"{rule_id}"', style="bold"))
        lines += [Text(f"      {path} = {literal(value)}") for path, value in leaves(rule) if path != "id"]
    if entry.foreign:
        names = ", ".join(f'"{f}"' for f in entry.foreign)
        lines.append(Text(f"  foreign rules seen at the last apply: {names}", style="dim"))
    return lines


def state_lines(state: StateFile) -> list[Text]:
    if not state.buckets:
        return [Text(EMPTY)]
    lines: list[Text] = []
    for address in sorted(state.buckets):
        lines += _bucket_lines(address, state.buckets[address]) + [Text()]
    rules = sum(len(b.rules) for b in state.buckets.values())
    tally = f"{count(len(state.buckets), 'bucket')}, {count(rules, 'managed rule')}"
    lines.append(Text(f"State serial {state.serial}, lineage {state.lineage}: {tally}."))
    return lines


def render_state_text(state: StateFile, *, color: bool = False) -> str:
    return render_lines(state_lines(state), color=color)


def render_state_markdown(state: StateFile) -> str:
    body = render_lines(state_lines(state), color=False).rstrip("\n")
    return f"### reconciler state\n\n```\n{body}\n```\n"
