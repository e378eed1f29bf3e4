"""`reconciler plan`: read the live buckets, show what apply would change, optionally save it."""

from __future__ import annotations

import os
import sys

from reconciler.commands import event_loop
from reconciler.commands.console import Output, enable_verbose
from reconciler.commands.options import PlanOptions
from reconciler.commands.planfile import save_plan_file
from reconciler.commands.selections import listed_selections
from reconciler.commands.workspace import (
    confirmed_identities,
    load_config,
    make_plan,
    open_clients,
    providers_in_scope,
    raise_plan_errors,
    read_state,
    targeting_warning,
)
from reconciler.core.exit_codes import EXIT_CHANGES, EXIT_OK
from reconciler.model.common import digest_key
from reconciler.model.config import Configuration
from reconciler.plan.model import Plan
from reconciler.render import render_plan_json, render_plan_markdown, render_plan_text
from reconciler.state.model import StateFile


def render_plan(plan: Plan, fmt: str, *, color: bool) -> str:
    if fmt == "json":
        return render_plan_json(plan)
    if fmt == "markdown":
        return render_plan_markdown(plan)
    return render_plan_text(plan, color=color)


async def _plan_live(
    config: Configuration, state: StateFile, args: PlanOptions, output: Output, *, command: str = "plan"
) -> Plan:
    """Open a client per provider in scope, read every bucket and plan."""
    targets = args.targets
    names = providers_in_scope(config, state, targets)
    async with open_clients(
        config, names, parallelism=args.parallelism, environ=os.environ, timeouts=args.overrides()
    ) as clients:
        plan, _ = await make_plan(
            config,
            state,
            clients,
            targets=targets,
            parallelism=args.parallelism,
            progress=output.progress(command),
            confirm_identity=confirmed_identities(config, args.confirm_identity),
            refresh_only=args.refresh_only,
        )
        return plan


def run(args: PlanOptions) -> int:
    enable_verbose(args)
    resolve = listed_selections(os.environ, parallelism=args.parallelism, timeouts=args.overrides())
    state = read_state(args.state)
    output = Output.for_args(args)
    with digest_key(state.digest_key):  # secrets digested as this state records them
        config = load_config(args.config, os.environ, args.targets, resolve=resolve)
        output.warn(targeting_warning(config, state, args.targets, command="plan"))
        plan = event_loop.run(_plan_live(config, state, args, output))
    output.write(render_plan(plan, args.format, color=output.color))
    sys.stdout.flush()
    if args.out:
        raise_plan_errors(plan, consequence=f"the plan was not saved to {args.out}")
        save_plan_file(args.out, plan)
        note = sys.stdout if args.format == "text" else sys.stderr
        note.write(
            f"\nSaved the plan to: {args.out}\nTo perform exactly these actions, run: reconciler apply {args.out}\n"
        )
    raise_plan_errors(plan)
    return EXIT_CHANGES if args.detailed_exitcode and plan.has_changes else EXIT_OK
