"""`reconciler validate`: schema and provider rules, offline; never resolves a secret."""

from __future__ import annotations

import argparse
import json
import sys

from rich.text import Text

from reconciler.commands.console import Output
from reconciler.config.loader import load_configuration
from reconciler.errors import ConfigError


def run(args: argparse.Namespace) -> int:
    try:
        config = load_configuration(args.config)
    except ConfigError as error:
        if args.format != "json":
            raise  # cli prints each diagnostic on stderr
        _print_json(False, [diagnostic.to_json() for diagnostic in error.diagnostics])
        return 1
    if args.format == "json":
        _print_json(True, [])
        return 0
    rules = sum(len(bucket.notifications) for bucket in config.buckets)
    counts = ", ".join(
        (_count(len(config.providers), "provider"), _count(len(config.buckets), "bucket"), _count(rules, "rule"))
    )
    Output.for_args(args).print_lines([Text.assemble(("Success!", "green"), f" {counts} are valid.")])
    return 0


def _print_json(valid: bool, diagnostics: list[dict[str, object]]) -> None:
    document = {"valid": valid, "error_count": len(diagnostics), "diagnostics": diagnostics}
    print(json.dumps(document, indent=2, ensure_ascii=False))


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
