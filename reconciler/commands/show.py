"""`reconciler show [PLANFILE]`: render a saved plan, or the state when no plan file is given."""

from __future__ import annotations

import sys

from reconciler.commands.console import Output
from reconciler.commands.options import ShowOptions
from reconciler.commands.plan import render_plan
from reconciler.commands.planfile import load_plan_file
from reconciler.commands.workspace import read_state
from reconciler.render import render_state_json, render_state_markdown, render_state_text


def run(args: ShowOptions) -> int:
    color = Output.for_args(args).color
    if args.planfile:
        sys.stdout.write(render_plan(load_plan_file(args.planfile), args.format, color=color))
        return 0
    state = read_state(args.state)
    if args.format == "json":
        sys.stdout.write(render_state_json(state))
    elif args.format == "markdown":
        sys.stdout.write(render_state_markdown(state))
    else:
        sys.stdout.write(render_state_text(state, color=color))
    return 0
