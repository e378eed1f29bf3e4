"""Executing a Plan through the providers (DESIGN §5), bucket by independent bucket.

1. Rebuild every managed rule to write, secrets re-resolved and checked against their planned
   digests, each still the rule the configuration declares; any problem refuses the whole apply
   before a request is made.
2. Re-read every bucket to write; if any live document no longer has the plan's fingerprint, or
   the plan would drop a live rule neither declared nor owned (a foreign rule, unless the
   configuration says exclusive), nothing at all is written (the lost-update and foreign guards).
3. Refresh the state records of buckets the plan does not write, where they are out of date
   (owned rules forgotten, rules adopted after an interrupted apply), without any request.
4. Write each changed bucket as one whole document, in parallel (a send whose answer was lost is
   sent again only after reading the bucket shows it untouched); read it back until it matches
   (bounded retries for eventually consistent stores); save the state for that bucket.
The caller holds the StateLock and has checked the plan's lineage and serial.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from reconciler.apply.document import document_entries, managed_rules, readback_mismatch
from reconciler.apply.recorder import StateRecorder
from reconciler.apply.report import ApplyHook, ApplyReport, BucketOutcome, SilentHook
from reconciler.core.clock import utc_now
from reconciler.errors import (
    ProviderError,
    ReconcilerError,
    StalePlanError,
    StateError,
    UnknownOutcomeError,
    error_reason,
)
from reconciler.kinds import Dialect, dialect_for
from reconciler.live.reader import ReadProgress, for_each, read_live
from reconciler.model.config import Configuration
from reconciler.model.document import DocumentEntry, LiveDocument, Rule
from reconciler.plan.model import Action, BucketChange, LiveSlot, ManagedSlot, Plan
from reconciler.plan.outcome import state_after
from reconciler.plan.ownership import BucketPolicy, written_rules
from reconciler.plan.planner import config_digest, renamed_view
from reconciler.plan.staleness import check_declared, check_provider, configuration_changed, live_changed
from reconciler.providers.base import NotificationClient
from reconciler.state.model import BucketState, StateFile
from reconciler.words import rule_name

# Pauses between read-backs that do not match yet (eventually consistent stores).
VERIFY_DELAYS = (0.5, 1.0, 2.0, 4.0)
# Sends of one document whose answers were lost, each after reading the bucket found it untouched.
UNKNOWN_OUTCOME_SENDS = 3


@dataclass(frozen=True)
class _Write:
    change: BucketChange
    dialect: Dialect
    rules: dict[str, Rule]


def _counts(change: BucketChange) -> dict[str, int]:
    actions = [c.action for c in change.changes]
    return {
        "added": actions.count(Action.CREATE),
        "changed": sum(1 for c in change.changes if Action.UPDATE in c.actions),
        "deleted": actions.count(Action.DELETE),
        "foreign_removed": sum(1 for rule in change.foreign if rule.disposition == "remove"),
    }


class _Unverified(ReconcilerError):
    """A write the server accepted but that could not be confirmed by reading the bucket back."""

    def __init__(self, message: str, readback: LiveDocument | None) -> None:
        super().__init__(message)
        self.readback = readback


def _kept_record(entry: BucketState | None) -> tuple[object, ...] | None:
    """What a bucket's record says, apart from when it was written."""
    if entry is None:
        return None
    return (entry.rules, entry.foreign, entry.imported, entry.writing, entry.live_fingerprint, entry.identity)


def _writing(change: BucketChange, state: StateFile) -> dict[str, dict[str, object]]:
    """The rules a write of `change` creates that the state does not own yet, as planned (`after`)."""
    owned = state.owned(change.address)
    writing: dict[str, dict[str, object]] = {}
    for slot in change.layout:
        planned = change.change(slot.managed) if isinstance(slot, ManagedSlot) else None
        if planned is not None and planned.after is not None and planned.rule_id not in owned:
            writing[planned.rule_id] = planned.after
    return writing


def _record_outdated(change: BucketChange, state: StateFile) -> bool:
    """Would recording this unwritten bucket change what the state says about it?"""
    assert change.live_fingerprint is not None  # not errored
    after = state_after(state, change, live_fingerprint=change.live_fingerprint, applied_at=utc_now())
    return _kept_record(state.buckets.get(change.address)) != _kept_record(after.buckets.get(change.address))


class ApplyEngine:
    """Applies one plan; build it, then `await engine.run()` once."""

    def __init__(
        self,
        plan: Plan,
        *,
        config: Configuration,
        clients: Mapping[str, NotificationClient],
        recorder: StateRecorder,
        environ: Mapping[str, str],
        parallelism: int,
        hook: ApplyHook | None = None,
        read_progress: ReadProgress | None = None,
        now: Callable[[], datetime] = utc_now,
        verify_delays: Sequence[float] = VERIFY_DELAYS,
    ) -> None:
        self.plan = plan
        self.config = config
        self.clients = clients
        self.recorder = recorder
        self.environ = environ
        self.parallelism = parallelism
        self.hook: ApplyHook = hook or SilentHook()
        self.read_progress = read_progress
        self.now = now
        self.verify_delays = tuple(verify_delays)
        self.outcomes: dict[str, BucketOutcome] = {}
        self.entries = {entry.address: entry for entry in config.buckets}

    async def run(self) -> ApplyReport:
        try:
            report = await self._run()
        except BaseException:
            # save what was recorded if it can be; if not, the journal stays and the next read folds it in
            with contextlib.suppress(StateError):
                await self.recorder.finish()
            raise
        try:
            await self.recorder.finish()
        except StateError as error:
            raise StateError(
                f"every bucket was applied and recorded in the apply journal, but the state could not be saved "
                f"({error}); the journal is read with the state, so nothing is lost: apply again once the state can "
                "be saved"
            ) from None
        self.hook.apply_finished(report)
        return report

    async def _run(self) -> ApplyReport:
        writes = self._prepare()
        fresh = await self._guard([w.change for w in writes])
        writes = [w for w in writes if w.change.address in fresh]
        await self._record_unwritten()
        await self._record_writing([w.change for w in writes])
        self.hook.writes_started(len(writes))

        async def apply(write: _Write) -> None:
            await self._apply_bucket(write, fresh[write.change.address])

        await for_each(writes, apply, parallelism=self.parallelism)
        return ApplyReport(tuple(self.outcomes[b.address] for b in self.plan.buckets))

    def _outcome(self, change: BucketChange, status: str, reason: str | None = None) -> BucketOutcome:
        counts = _counts(change) if status == "applied" else {}
        outcome = BucketOutcome(change.address, status, reason, **counts)  # type: ignore[arg-type]
        self.outcomes[change.address] = outcome
        return outcome

    def _prepare(self) -> list[_Write]:
        """Sort buckets into outcomes known now and writes; rebuild every rule a write needs."""
        writes: list[_Write] = []
        for change in self.plan.buckets:
            if change.error is not None:
                self._outcome(change, "failed", change.error)
            elif change.action is Action.READ:
                self._outcome(change, "unchanged", "observe: never written")
            elif not change.writes_document:
                self._outcome(change, "unchanged", "no changes")
            else:
                dialect = self._dialect(change)
                rules = managed_rules(change, dialect, self.environ)
                self._check_declared(change, rules)
                writes.append(_Write(change, dialect, rules))
        return writes

    def _dialect(self, change: BucketChange) -> Dialect:
        provider = self.config.providers.get(change.provider)
        opened = change.provider in self.clients
        return check_provider(change, provider, opened=opened, entry=self.entries.get(change.address))

    @cached_property
    def _config_changed(self) -> bool | None:
        """Whether the configuration moved on since the plan (the plan's `config_digest`), computed once."""
        return configuration_changed(self.plan, config_digest(self.config))

    def _check_declared(self, change: BucketChange, rules: dict[str, Rule]) -> None:
        """Every rule a saved plan writes must be the one the configuration declares now."""
        check_declared(change, rules, self.entries.get(change.address), changed=self._config_changed)

    def _unmanaged_removals(self, change: BucketChange, fresh: LiveDocument) -> list[str]:
        """Live rules the layout leaves out that the ownership policy says may not be removed (foreign
        rules unless the configuration says exclusive; imported or released rules): whatever a plan
        says, those are never removed."""
        recorded = self.recorder.state.buckets.get(change.address)
        fresh = renamed_view(fresh, recorded.renamed if recorded else {})  # rule ids as `state mv` named them
        provider = self.config.providers[change.provider]  # checked by _dialect before any read
        policy = BucketPolicy.of(
            change.address,
            self.entries.get(change.address),
            recorded,
            self.config.released,
            written_rules(recorded, fresh, dialect_for(provider)),
        )
        kept = {slot.live_index for slot in change.layout if isinstance(slot, LiveSlot)}
        return [
            f"{change.address}: the plan would remove live {rule_name(rule.id)} (live_index {index}), which is "
            + (
                "neither declared in the configuration nor managed in the state"
                if not policy.is_managed(rule.id)
                else "owned but kept by the configuration (imported and not declared, or released)"
            )
            for index, rule in enumerate(fresh.rules)
            if index not in kept and not policy.may_remove(rule.id, partial=change.partial)
        ]

    async def _guard(self, changes: list[BucketChange]) -> dict[str, LiveDocument]:
        """Re-read the buckets to write; refuse everything if any changed since the plan, or if
        the plan would remove a foreign rule."""
        read = await read_live(
            self.clients,
            [c.address for c in changes],
            parallelism=self.parallelism,
            progress=self.read_progress,
        )
        lines = []
        for change in changes:
            fresh = read.documents.get(change.address)
            if fresh is None:
                continue
            why = live_changed(change, fresh)
            if why is not None:
                lines.append(why)
            else:
                lines.extend(self._unmanaged_removals(change, fresh))
        if lines:
            raise StalePlanError("\n".join(sorted(lines)) + "\nNothing was written.")
        for change in changes:
            if change.address in read.errors:
                error = read.errors[change.address]
                self._outcome(
                    change, "failed", f"not written: reading it again before writing failed: {error_reason(error)}"
                )
        return read.documents

    async def _record_unwritten(self) -> None:
        stale = [
            change
            for change in self.plan.buckets
            if change.error is None
            and change.action is not Action.READ
            and not change.writes_document
            and _record_outdated(change, self.recorder.state)
        ]
        if not stale:
            return
        for change in stale:
            adopted = [c.rule_id for c in change.changes if c.action is Action.ADOPT]
            done = f"adopted {', '.join(adopted)}: now managed" if adopted else "state record brought up to date"
            self._outcome(change, "unchanged", f"nothing to write; {done}")
        applied_at = self.now()

        def update(state: StateFile) -> StateFile:
            for change in stale:
                assert change.live_fingerprint is not None  # not errored
                state = state_after(state, change, live_fingerprint=change.live_fingerprint, applied_at=applied_at)
            return state

        await self.recorder.record(update, [change.address for change in stale])

    async def _apply_bucket(self, write: _Write, fresh: LiveDocument) -> None:
        change = write.change
        self.hook.pre_bucket(change.address)
        writing = _writing(change, self.recorder.state)
        try:
            entries = document_entries(change, write.rules, fresh)
            try:
                await self._write(write, entries, fresh)
            except ProviderError as error:
                if writing and error.status is not None and 400 <= error.status < 500:
                    await self._forget_writing(change, writing)  # refused: certainly not written
                raise
            try:
                readback = await self._verified(write, entries)
            except _Unverified as error:
                # the write went through: own what was written, so dropping it from the configuration deletes it
                await self._record(change, error.readback or fresh)
                raise
            await self._record(change, readback)
        except StateError as error:
            # stop rather than write what cannot be recorded; the note saved before writing makes the
            # rules written ours for the next apply, which records them
            raise StateError(
                f"{change.address} was applied, but the state could not be saved ({error}); apply again once the state "
                "can be saved: it records the rules already written"
            ) from None
        except ReconcilerError as error:
            outcome = self._outcome(change, "failed", error_reason(error))
        else:
            outcome = self._outcome(change, "applied")
        self.hook.post_bucket(outcome)

    async def _write(self, write: _Write, entries: Sequence[DocumentEntry], fresh: LiveDocument) -> None:
        """Send the document; when a send got no answer, read the bucket before deciding: written
        (done), untouched (send again, a bounded number of times) or changed otherwise (fail)."""
        change = write.change
        client = self.clients[change.provider]
        for _ in range(UNKNOWN_OUTCOME_SENDS):
            try:
                await client.write(change.bucket, entries, fresh)
                return
            except UnknownOutcomeError as error:
                unknown = error
            try:
                now = await client.read(change.bucket)
            except ProviderError as error:
                raise ProviderError(
                    f"{unknown.message}, and reading the bucket to find out failed too: {error_reason(error)}",
                    address=change.address,
                ) from None
            if readback_mismatch(write.dialect, entries, now) is None:
                return  # the write went through; the answer was what got lost
            if now.fingerprint != fresh.fingerprint:
                raise ProviderError(
                    f"{unknown.message}, and the bucket now holds neither the document read before nor the one "
                    "written (changed meanwhile, or the write was partly done); plan again",
                    address=change.address,
                )
        raise unknown

    async def _forget_writing(self, change: BucketChange, writing: Iterable[str]) -> None:
        await self.recorder.record(lambda state: state.without_writing(change.address, writing), [change.address])

    async def _record_writing(self, changes: list[BucketChange]) -> None:
        """Before the writes, in one record: note the rules about to be created that are not owned yet,
        so an apply stopped before recording them leaves them ours (if found live as written)."""
        notes = [(change, _writing(change, self.recorder.state)) for change in changes]
        notes = [(change, writing) for change, writing in notes if writing]
        if not notes:
            return
        applied_at = self.now()

        def update(state: StateFile) -> StateFile:
            for change, writing in notes:
                assert change.live_fingerprint is not None  # a write is never planned for an errored bucket
                state = state.with_writing(
                    change.address,
                    provider=change.provider,
                    type=change.type,
                    flavor=change.flavor,
                    bucket=change.bucket,
                    writing=writing,
                    live_fingerprint=change.live_fingerprint,
                    applied_at=applied_at,
                )
            return state

        try:
            await self.recorder.record(update, [change.address for change, _ in notes])
        except StateError as error:
            raise StateError(f"the state could not be saved before writing ({error}); nothing was written") from None

    async def _record(self, change: BucketChange, readback: LiveDocument) -> None:
        applied_at = self.now()
        await self.recorder.record(
            lambda state: state_after(state, change, live_fingerprint=readback.fingerprint, applied_at=applied_at),
            [change.address],
        )

    async def _verified(self, write: _Write, entries: Sequence[DocumentEntry]) -> LiveDocument:
        """The document read back once it matches what was written (bounded retries)."""
        client = self.clients[write.change.provider]
        readback: LiveDocument | None = None
        for delay in (*self.verify_delays, None):
            try:
                readback = await client.read(write.change.bucket)
            except ProviderError as error:
                raise _Unverified(f"written, but reading it back failed: {error_reason(error)}", readback) from None
            mismatch = readback_mismatch(write.dialect, entries, readback)
            if mismatch is None:
                return readback
            if delay is not None:
                await asyncio.sleep(delay)
        raise _Unverified(f"written, but the document read back does not match: {mismatch}", readback)
