"""Benchmark of one declaration for many buckets (issue 13): a ~10-line configuration with a rule
set and a bucket selector against the same N buckets written out one entry each.

    .venv/bin/python bench/selector_benchmark.py [--buckets 10000] [--latency-ms 0] [--parallelism 10]

Starts an emulator on a free loopback port, creates N QingStor buckets (every other one already
holding the rule) plus a few the selector leaves out, writes both configurations, and plans each
the way `reconciler plan` does (the compact one lists the provider's buckets first). Prints the
size of each configuration and the wall and CPU time of each phase, and checks that both plans
are the same document (timestamp, the fresh lineage and `selections` aside). Exits 1 if not.
Leaves nothing running.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reconciler.commands.selections import listed_selections
from reconciler.commands.workspace import load_config, make_plan, open_clients, providers_in_scope
from reconciler.plan.model import Plan
from reconciler.render import render_plan_json
from reconciler.state.model import StateFile
from tests.support.emulator import start_emulator

BATCH = 1000
URL = "https://hooks.example.com/qs/{bucket}"

COMPACT = """\
version: 1
providers:
  qs: {{type: qingstor, zone: pek3b, endpoint: "{endpoint}"}}
rule_sets:
  hooks:
    dialect: qingstor
    notifications: [{{id: mine, event_types: [create_object], cloudfunc: notifier, notify_url: "{url}"}}]
buckets:
  - {{provider: qs, select: {{include: ["bench-*"], exclude: ["bench-x*"]}}, use: [hooks]}}
"""


def rule(rule_id: str, url: str) -> dict[str, Any]:
    return {"id": rule_id, "event_types": ["create_object"], "cloudfunc": "notifier", "notify_url": url}


def create_buckets(admin: Any, names: list[str], left_out: list[str]) -> None:
    specs = []
    for index, name in enumerate(names):
        live = [rule("theirs", "https://other.example.com/hook")]
        if index % 2 == 0:
            live.append(rule("mine", URL.format(bucket=name)))
        specs.append({"dialect": "qingstor", "name": name, "document": {"notifications": live}})
    specs += [{"dialect": "qingstor", "name": name} for name in left_out]
    for start in range(0, len(specs), BATCH):
        admin.create_buckets(specs[start : start + BATCH])


def explicit_config(endpoint: str, names: list[str]) -> str:
    document = {
        "version": 1,
        "providers": {"qs": {"type": "qingstor", "zone": "pek3b", "endpoint": endpoint}},
        "buckets": [
            {"provider": "qs", "bucket": name, "notifications": [rule("mine", URL.format(bucket=name))]}
            for name in names
        ],
    }
    return json.dumps(document, indent=1)


def plan(config_file: Path, parallelism: int) -> tuple[Plan, list[tuple[str, float, float]]]:
    phases = []

    def timed(name: str, action: Any) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        result = action()
        phases.append((name, time.perf_counter() - wall, time.process_time() - cpu))
        return result

    resolve = listed_selections(os.environ, parallelism=parallelism)
    config = timed(
        "load (and list) configuration", lambda: load_config([str(config_file)], os.environ, resolve=resolve)
    )
    state = StateFile.new("bench")

    async def read_and_plan() -> Plan:
        names = providers_in_scope(config, state)
        async with open_clients(config, names, parallelism=parallelism, environ=os.environ) as clients:
            return (await make_plan(config, state, clients, parallelism=parallelism))[0]

    result = timed("read live buckets and plan", lambda: asyncio.run(read_and_plan()))
    return result, phases


def comparable(plan: Plan) -> dict[str, Any]:
    document = json.loads(render_plan_json(plan))
    del document["timestamp"], document["selections"], document["prior_state"]["lineage"]
    return document


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buckets", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--parallelism", type=int, default=10)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="reconciler-bench-") as scratch:
        work = Path(scratch)
        emulator = start_emulator(work / "emulator")
        try:
            os.environ.update(emulator.env())
            names = [f"bench-{index:06d}" for index in range(args.buckets)]
            create_buckets(emulator.admin, names, ["bench-x1", "bench-x2", "other"])
            compact = work / "compact.yaml"
            compact.write_text(COMPACT.format(endpoint=emulator.url, url=URL.format(bucket="${bucket}")))
            explicit = work / "explicit.json"
            explicit.write_text(explicit_config(emulator.url, names))
            if args.latency_ms:
                emulator.admin.set_faults(latency_ms=args.latency_ms)
            results = {
                name: plan(path, args.parallelism) for name, path in (("compact", compact), ("explicit", explicit))
            }
            sizes = {"compact": compact, "explicit": explicit}
        finally:
            emulator.stop()
        lines = {name: len(path.read_text().splitlines()) for name, path in sizes.items()}

    print(f"plan of {args.buckets} buckets, {args.latency_ms:g} ms latency, parallelism {args.parallelism}")
    for name, (result, phases) in results.items():
        print(f"  {name} configuration: {lines[name]} lines; {result.summary.add} rules to add")
        for phase, wall, cpu in phases:
            print(f"    {phase:<32} wall {wall:8.2f} s   cpu {cpu:8.2f} s")
    same = comparable(results["compact"][0]) == comparable(results["explicit"][0])
    selected = len(results["compact"][0].selections[0].buckets)
    print(f"  the selector matched {selected} buckets")
    print("same plan document" if same else "the plans DIFFER")
    return 0 if same and selected == args.buckets else 1


if __name__ == "__main__":
    sys.exit(main())
