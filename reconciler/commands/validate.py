"""`reconciler validate`: schema and provider rules, offline; never resolves a secret."""

from __future__ import annotations

import argparse
import json
import sys

from reconciler.commands.console import color_enabled
from reconciler.config.loader import expand_configuration
from reconciler.errors import ConfigError
from reconciler.render.expanded import expanded_document, render_expanded_yaml

_GREEN, _RESET = "\033[32m", "\033[0m"


def run(args: argparse.Namespace) -> int:
    try:
        config, expanded = expand_configuration(args.config)
    except ConfigError as error:
        if args.format != "json":
            raise  # cli prints each diagnostic on stderr
        _print_json(False, [diagnostic.to_json() for diagnostic in error.diagnostics])
        return 1
    if args.format == "json":
        _print_json(True, [], expanded_document(config, expanded, offline=True) if args.expand else None)
        return 0
    if args.expand:
        sys.stdout.write(render_expanded_yaml(config, expanded, offline=True))
        return 0
    rules = sum(len(bucket.notifications) for bucket in config.buckets)
    counted = [_count(len(config.providers), "provider"), _count(len(config.buckets), "bucket"), _count(rules, "rule")]
    if config.selections:  # resolved against the providers' bucket listings at plan time, never offline
        counted.insert(2, _count(len(config.selections), "bucket selector"))
    counts = ", ".join(counted)
    success = f"{_GREEN}Success!{_RESET}" if color_enabled(args) else "Success!"
    print(f"{success} {counts} are valid.")
    return 0


def _print_json(valid: bool, diagnostics: list[dict[str, object]], expanded: object = None) -> None:
    document = {"valid": valid, "error_count": len(diagnostics), "diagnostics": diagnostics}
    if expanded is not None:
        document["expanded"] = expanded
    print(json.dumps(document, indent=2, ensure_ascii=False))


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
