"""`reconciler drift`: the nightly job's command. Read-only: no lock, no state write, ever.

Exit codes: 0 in sync, 2 drift (rule-level differences only), 1 a bucket could not be checked
or any other error (that wins over drift: a partial check cannot say "in sync" nor the whole truth).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence

from reconciler import __version__
from reconciler.commands import event_loop
from reconciler.commands.console import Output, enable_verbose
from reconciler.commands.options import DriftOptions
from reconciler.commands.selections import listed_selections
from reconciler.commands.workspace import load_config, open_clients, read_state, targeting_warning
from reconciler.config.ignore import load_ignore_files
from reconciler.core.clock import utc_now
from reconciler.core.exit_codes import EXIT_CHANGES, EXIT_OK
from reconciler.drift.detection import DriftReport, detect_drift
from reconciler.errors import ReconcilerError, error_reason
from reconciler.live.reader import ReadProgress, read_live
from reconciler.model.common import digest_key
from reconciler.model.config import Configuration
from reconciler.model.ignore import IgnoreList
from reconciler.plan.planner import buckets_to_read
from reconciler.providers.identity import provider_identities
from reconciler.render.drift_json import render_drift_json
from reconciler.render.drift_markdown import render_drift_markdown
from reconciler.render.drift_text import render_drift_text
from reconciler.render.prometheus import render_prometheus
from reconciler.state.model import StateFile


def run(args: DriftOptions) -> int:
    enable_verbose(args)
    resolve = listed_selections(os.environ, parallelism=args.parallelism, timeouts=args.overrides())
    state = read_state(args.state)
    with digest_key(state.digest_key):  # secrets digested as this state records them
        config = load_config(args.config, os.environ, args.targets, resolve=resolve)
        ignores = load_ignore_files(args.ignore_file, args.config, today=utc_now().date())
        output = Output.for_args(args)
        output.warn(targeting_warning(config, state, args.targets, command="drift"))
        report = event_loop.run(
            check_drift(
                config,
                state,
                targets=args.targets,
                ignores=ignores,
                parallelism=args.parallelism,
                environ=os.environ,
                progress=output.progress("drift"),
                timeouts=args.overrides(),
            )
        )
    output.write(render(report, args.format, color=output.color))
    sys.stdout.flush()
    if report.errored:  # the report covers the others; stderr says what a cron job must act on
        failed = [f"{bucket.address}: {bucket.error}" for bucket in report.buckets if bucket.error is not None]
        raise ReconcilerError(
            f"{len(failed)} of {len(report.buckets)} buckets could not be checked for drift:\n  " + "\n  ".join(failed)
        )
    return EXIT_CHANGES if report.drifted else EXIT_OK


def render(report: DriftReport, fmt: str, *, color: bool = False) -> str:
    if fmt == "json":
        return render_drift_json(report)
    if fmt == "markdown":
        return render_drift_markdown(report)
    if fmt == "prometheus":
        return render_prometheus(report)
    return render_drift_text(report, color=color)


async def check_drift(
    config: Configuration,
    state: StateFile,
    *,
    targets: Sequence[str],
    ignores: IgnoreList,
    parallelism: int,
    environ: Mapping[str, str],
    progress: ReadProgress | None = None,
    timeouts: Mapping[str, float | None] | None = None,
) -> DriftReport:
    """Read every bucket in scope concurrently and compare; unreadable buckets become errors of the report."""
    reads = buckets_to_read(config, state, targets)
    async with open_clients(
        config,
        sorted({read.provider.name for read in reads}),
        parallelism=parallelism,
        environ=environ,
        timeouts=timeouts,
    ) as clients:
        live = await read_live(clients, [read.address for read in reads], parallelism=parallelism, progress=progress)
    return detect_drift(
        config,
        state,
        live.documents,
        errors={address: error_reason(error) for address, error in live.errors.items()},
        targets=targets,
        ignores=ignores,
        tool_version=__version__,
        now=utc_now(),
        identities=provider_identities((config.providers[name] for name in clients), environ),
    )
