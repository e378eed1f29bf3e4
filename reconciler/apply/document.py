"""The document apply writes to one bucket, and the check that a read-back matches it.

The layout of a BucketChange says, slot by slot, what the new document holds: a managed rule
(rebuilt from the plan's `after`, secrets re-resolved) or a foreign entry taken verbatim from the
live document re-read just before writing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from reconciler.config.secrets import secret_resolver
from reconciler.kinds import Dialect
from reconciler.model.document import DocumentEntry, LiveDocument, LiveRule, Rule
from reconciler.plan.model import BucketChange, LiveSlot, ManagedSlot
from reconciler.plan.ownership import moved_rules
from reconciler.plan.rules import rule_from_after
from reconciler.words import id_list, rule_name


def managed_rules(change: BucketChange, dialect: Dialect, environ: Mapping[str, str]) -> dict[str, Rule]:
    """The managed rules the layout writes, by id, with clear secrets (CredentialError, StalePlanError)."""
    resolve = secret_resolver(environ)
    rules: dict[str, Rule] = {}
    for slot in change.layout:
        if isinstance(slot, ManagedSlot):
            planned = change.change(slot.managed)
            assert planned is not None and planned.after is not None  # BucketChange asserts it
            rules[slot.managed] = rule_from_after(dialect, planned.after, resolve)
    return rules


def document_entries(change: BucketChange, rules: Mapping[str, Rule], fresh: LiveDocument) -> list[DocumentEntry]:
    """The whole new document, in layout order; `fresh` has the plan's live fingerprint."""
    entries: list[DocumentEntry] = []
    for slot in change.layout:
        if isinstance(slot, LiveSlot):
            entries.append(fresh.rules[slot.live_index])
        else:
            assert isinstance(slot, ManagedSlot)
            entries.append(rules[slot.managed])
    return entries


def _same_entry(dialect: Dialect, written: DocumentEntry, read: LiveRule) -> bool:
    if isinstance(written, LiveRule):
        if written.rule is not None and read.rule is not None:
            return dialect.equivalent(written.rule, read.rule)
        return written.raw == read.raw
    return read.rule is not None and dialect.equivalent(written, read.rule)


def readback_mismatch(dialect: Dialect, written: Sequence[DocumentEntry], read: LiveDocument) -> str | None:
    """Why the document read back is not the one written (None when it is, per the dialect's
    equivalence: server rewrites undone; order compared only where the dialect gives it meaning)."""
    if len(read.rules) != len(written):
        return f"{len(written)} rules were written but {len(read.rules)} were read back"
    written_ids = [entry.id for entry in written]
    if dialect.ordered and sorted(map(str, written_ids)) == sorted(map(str, read.ids)):
        # the same rules: the one order comparison says which came back out of place
        moved = moved_rules(list(read.ids), written_ids)  # type: ignore[arg-type]
        if moved:
            return (
                f"rules {id_list(written_ids)} were written in that order but {id_list(read.ids)} were read back "
                f"({', '.join(sorted(moved))} out of place)"
            )
    if dialect.ordered:
        pairs = list(zip(written, read.rules, strict=True))
    else:
        # Pair by id; entries without an id (foreign, servers allow it) pair in their order.
        ordered_read = sorted(read.rules, key=lambda entry: entry.id or "")
        ordered_written = sorted(written, key=lambda entry: entry.id or "")
        pairs = list(zip(ordered_written, ordered_read, strict=True))
    for expected, actual in pairs:
        if expected.id != actual.id:
            where = "in that order " if dialect.ordered else ""
            return f"rules {id_list(written_ids)} were written {where}but {id_list(read.ids)} were read back"
        if not _same_entry(dialect, expected, actual):
            position = read.rules.index(actual) if actual.id is None else None
            return f"{rule_name(actual.id, position)} reads back different from what was written"
    return None
