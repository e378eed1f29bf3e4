"""`reconciler apply [PLANFILE]`: apply a saved plan, or plan and apply after a `yes`.

The state lock is held from before the state is read until the last bucket is recorded, and is
released on every path (Ctrl-C included). Nothing is written without approval: a saved plan is
approval; otherwise a terminal prompt or --auto-approve.
"""

from __future__ import annotations

import os
import sys

from reconciler import __version__
from reconciler.apply.engine import ApplyEngine
from reconciler.apply.recorder import StateRecorder
from reconciler.apply.report import ApplyHook, ApplyReport, FanOutHook
from reconciler.commands import event_loop
from reconciler.commands.console import Output, confirm, enable_verbose, interactive
from reconciler.commands.options import ApplyOptions
from reconciler.commands.plan import render_plan
from reconciler.commands.planfile import load_plan_file, state_for_saved_plan
from reconciler.commands.selections import listed_selections, saved_selections
from reconciler.commands.workspace import (
    confirmed_identities,
    load_config,
    make_plan,
    open_clients,
    planning_error,
    providers_in_scope,
    state_store,
    targeting_warning,
)
from reconciler.errors import ReconcilerError
from reconciler.model.common import digest_key
from reconciler.model.config import Configuration
from reconciler.plan.model import Plan
from reconciler.render.apply_text import TextApplyReporter, render_apply_report_json
from reconciler.state.backend import StateStore
from reconciler.state.model import StateFile

QUESTION = "Do you want to perform these actions? Only 'yes' will be accepted:"


def _check_usage(args: ApplyOptions) -> None:
    if args.planfile and args.target:
        raise ReconcilerError("--target cannot be used with a saved plan: the plan already holds its targets")
    if args.planfile and args.refresh_only:
        raise ReconcilerError("--refresh-only cannot be used with a saved plan: save one with `plan --refresh-only`")
    if args.planfile and args.confirm_identity:
        raise ReconcilerError(
            "--confirm-identity cannot be used with a saved plan: pass it to `reconciler plan --out` instead"
        )
    if not args.planfile and not args.auto_approve and not interactive():
        raise ReconcilerError(
            "apply needs approval and there is no terminal to ask on: pass --auto-approve, or save a plan with "
            "`reconciler plan --out FILE`, review it, and run `reconciler apply FILE`; nothing was changed"
        )


def run(args: ApplyOptions) -> int:
    enable_verbose(args)
    _check_usage(args)
    store = state_store(args.state)
    saved = load_plan_file(args.planfile) if args.planfile else None
    if saved is not None:
        resolve = saved_selections(saved)
    else:
        resolve = listed_selections(os.environ, parallelism=args.parallelism, timeouts=args.overrides())
    with store, store.lock("apply", timeout=args.lock_timeout):
        current = store.read()
        state = current if current is not None else StateFile.new(__version__)
        if saved is not None:
            state = state_for_saved_plan(saved, state, state_exists=current is not None, state_path=store.location)
        with digest_key(state.digest_key):  # secrets digested as this state (and a plan of it) records them
            config = load_config(args.config, os.environ, args.targets, resolve=resolve)
            report = event_loop.run(_apply(args, config, state, store, saved))
    if args.format == "json":
        sys.stdout.write(render_apply_report_json(report))
    failed = report.with_status("failed")
    if failed:
        names = ", ".join(outcome.address for outcome in failed)
        raise ReconcilerError(f"{len(failed)} of {len(report.outcomes)} buckets could not be applied: {names}")
    return 0


async def _apply(
    args: ApplyOptions, config: Configuration, state: StateFile, store: StateStore, saved: Plan | None
) -> ApplyReport:
    text = args.format == "text"
    output = Output.for_args(args)
    color = output.color
    progress = output.progress("apply")
    targets = saved.targets if saved is not None else args.targets
    output.warn(targeting_warning(config, state, targets, command="apply"))
    if saved is not None:
        names = sorted({b.provider for b in saved.buckets if b.writes_document and b.provider in config.providers})
    else:
        names = providers_in_scope(config, state, args.targets)
    async with open_clients(
        config, names, parallelism=args.parallelism, environ=os.environ, timeouts=args.overrides()
    ) as clients:
        plan = saved
        if plan is None:
            plan, live = await make_plan(
                config,
                state,
                clients,
                targets=args.targets,
                parallelism=args.parallelism,
                progress=progress,
                confirm_identity=confirmed_identities(config, args.confirm_identity),
                refresh_only=args.refresh_only,
            )
            # A bucket that could not be read, or that the ownership policy refuses, fails alone; one the
            # configuration cannot plan stops everything.
            unplannable = [
                b for b in plan.buckets if b.error is not None and b.address not in live.errors and not b.refused
            ]
            if unplannable:
                errors = [f"{b.address}: {b.error}" for b in unplannable]
                raise planning_error(errors, consequence="nothing was applied")
            shown = sys.stdout if text else sys.stderr  # stdout stays one JSON document
            shown.write(render_plan(plan, "text", color=color and text))
            writes = any(bucket.writes_document or bucket.adopts for bucket in plan.buckets)  # adopting asks too
            if writes and not args.auto_approve and not confirm(QUESTION, shown):
                raise ReconcilerError("apply cancelled; nothing was changed")
        hooks: list[ApplyHook] = [progress]
        if text:
            hooks.append(TextApplyReporter(color=color))
        engine = ApplyEngine(
            plan,
            config=config,
            clients=clients,
            recorder=StateRecorder(store, state),
            environ=os.environ,
            parallelism=args.parallelism,
            hook=FanOutHook(*hooks),
            read_progress=progress,
        )
        try:
            return await engine.run()
        finally:
            progress.close()  # a run cut short leaves no bar or heartbeat behind
