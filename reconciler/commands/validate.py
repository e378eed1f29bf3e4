"""`reconciler validate`: schema and provider rules, offline; never resolves a secret.

With `--state`, the state is read too and checked against the configuration: every bucket it
manages should still be declared, with a configured provider. Those are warnings (the configuration
itself is valid): the next apply deletes the managed rules of a bucket no longer declared.
"""

from __future__ import annotations

import json
import sys

from rich.text import Text

from reconciler.commands.console import Output
from reconciler.commands.options import ValidateOptions
from reconciler.commands.workspace import read_state
from reconciler.config.loader import expand_configuration
from reconciler.errors import ConfigError
from reconciler.model.config import Configuration
from reconciler.plan.ownership import BucketPolicy, Undeclared
from reconciler.render.expanded import expanded_document, render_expanded_yaml
from reconciler.render.text import count
from reconciler.state.model import StateFile


def run(args: ValidateOptions) -> int:
    try:
        config, expanded = expand_configuration(args.config)
    except ConfigError as error:
        if args.format != "json":
            raise  # cli prints each diagnostic on stderr
        _print_json(False, [diagnostic.to_json() for diagnostic in error.diagnostics])
        return 1
    warnings = state_warnings(config, read_state(args.state)) if args.state else []
    if args.format == "json":
        _print_json(
            True,
            [],
            warnings if args.state else None,
            expanded_document(config, expanded, offline=True) if args.expand else None,
        )
        return 0
    output = Output.for_args(args)
    if args.expand:
        for warning in warnings:
            output.warn(warning)
        sys.stdout.write(render_expanded_yaml(config, expanded, offline=True))
        return 0
    rules = sum(len(bucket.notifications) for bucket in config.buckets)
    counted = [count(len(config.providers), "provider"), count(len(config.buckets), "bucket"), count(rules, "rule")]
    if config.selections:  # resolved against the providers' bucket listings at plan time, never offline
        counted.insert(2, count(len(config.selections), "bucket selector"))
    counts = ", ".join(counted)
    lines = [Text.assemble(("Warning: ", "bold yellow"), warning) for warning in warnings]
    lines.append(Text.assemble(("Success!", "green"), f" {counts} are valid."))
    output.print_lines(lines)
    return 0


def state_warnings(config: Configuration, state: StateFile) -> list[str]:
    """What the state manages that the configuration no longer declares, one sentence each: the
    rules the next apply would delete (the ownership policy's fate of an owned, undeclared rule)."""
    warnings = []
    for address, entry in sorted(state.buckets.items()):
        if config.bucket(address) is not None:
            continue
        if any(selection.provider == entry.provider for selection in config.selections):
            continue  # a selector of that provider may name it: known only once resolved at plan time
        if entry.provider not in config.providers:
            rules = len(entry.rules)
            warnings.append(
                f"{address}: the state manages {rules} rule{'s' if rules != 1 else ''} of provider "
                f"{entry.provider!r}, which is not configured: plan and apply cannot reach that bucket "
                "(configure the provider, or `reconciler state rm` it)"
            )
            continue
        policy = BucketPolicy.for_bucket(config, address, entry)
        doomed = sorted(rule_id for rule_id in entry.rules if policy.undeclared(rule_id) is Undeclared.DELETE)
        if doomed:
            ids = ", ".join(doomed)
            warnings.append(
                f"{address}: no configuration declares this bucket any more, so the next apply deletes the "
                f"rule{'s' if len(doomed) != 1 else ''} reconciler created there ({ids}); declare it again, "
                "or `reconciler state rm` it to keep them live"
            )
    return warnings


def _print_json(
    valid: bool,
    diagnostics: list[dict[str, object]],
    warnings: list[str] | None = None,
    expanded: object = None,
) -> None:
    document: dict[str, object] = {"valid": valid, "error_count": len(diagnostics), "diagnostics": diagnostics}
    if warnings is not None:
        document["warnings"] = warnings
    if expanded is not None:
        document["expanded"] = expanded
    print(json.dumps(document, indent=2, ensure_ascii=False))
