"""`reconciler show-config`: the configuration as expanded, one bucket entry per bucket.

Selectors are resolved against the providers' bucket listings (credentials needed for those
providers only; no rule secret is read); `--offline` leaves them unresolved, as `validate` does.
"""

from __future__ import annotations

import os
import sys

from reconciler.commands.console import enable_verbose
from reconciler.commands.options import ShowConfigOptions
from reconciler.commands.selections import listed_selections
from reconciler.config.loader import expand_configuration
from reconciler.render.expanded import render_expanded_json, render_expanded_yaml


def run(args: ShowConfigOptions) -> int:
    enable_verbose(args)
    timeouts = args.overrides()
    resolve = None if args.offline else listed_selections(os.environ, parallelism=args.parallelism, timeouts=timeouts)
    config, expanded = expand_configuration(args.config, resolve)
    render = render_expanded_json if args.format == "json" else render_expanded_yaml
    sys.stdout.write(render(config, expanded, offline=args.offline))
    return 0
