"""Benchmark of `plan` (DESIGN §10): N buckets on the emulator with injected latency.

    .venv/bin/python bench/plan_benchmark.py [--buckets 10000] [--latency-ms 20] [--parallelism 10]

Starts an emulator on a free loopback port, creates N QingStor buckets (each holding one rule of
its own and one foreign rule; every other bucket's rule already matches the configuration and is
owned in the state, as applied before),
injects the latency, then times what `reconciler plan` does: load the configuration and state,
read every bucket concurrently, plan, render. Reports wall time against the ideal
N × latency / parallelism and CPU time per bucket; exits 1 when wall time exceeds --max-ratio
times the ideal. Leaves nothing running.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reconciler.commands.workspace import load_config, make_plan, open_clients, providers_in_scope, read_state
from reconciler.kinds import dialect_for
from reconciler.model import QingStorProvider
from reconciler.plan import rule_document
from reconciler.render import render_plan_json, render_plan_text
from reconciler.state import save_state
from reconciler.state.model import StateFile
from tests.support.emulator import start_emulator

BATCH = 1000
T = TypeVar("T")


def rule(rule_id: str, url: str) -> dict[str, Any]:
    return {"id": rule_id, "event_types": ["create_object"], "cloudfunc": "notifier", "notify_url": url}


def create_buckets(admin: Any, names: list[str]) -> None:
    specs = []
    for index, name in enumerate(names):
        live = [rule("theirs", "https://other.example.com/hook")]
        if index % 2 == 0:
            live.append(rule("mine", "https://hooks.example.com/qs"))
        specs.append({"dialect": "qingstor", "name": name, "document": {"notifications": live}})
    for start in range(0, len(specs), BATCH):
        admin.create_buckets(specs[start : start + BATCH])


def write_state(path: Path, names: list[str]) -> None:
    """Every bucket whose rule is live owns it, as if applied before (else planning refuses the adoption)."""
    dialect = dialect_for(QingStorProvider(name="qs", zone="pek3b"))
    mine = rule_document(dialect.rule_model.model_validate(rule("mine", "https://hooks.example.com/qs")), dialect)
    state = StateFile.new("bench")
    applied_at = datetime.now(UTC)
    for name in names[::2]:
        state = state.with_bucket_applied(
            f"qs/{name}",
            provider="qs",
            type="qingstor",
            flavor=None,
            bucket=name,
            rules={"mine": mine},
            foreign=["theirs"],
            live_fingerprint="sha256:" + "0" * 64,
            applied_at=applied_at,
        )
    save_state(path, state)


def write_config(path: Path, url: str, names: list[str]) -> None:
    document = {
        "version": 1,
        "providers": {"qs": {"type": "qingstor", "zone": "pek3b", "endpoint": url}},
        "buckets": [
            {"provider": "qs", "bucket": name, "notifications": [rule("mine", "https://hooks.example.com/qs")]}
            for name in names
        ],
    }
    path.write_text(json.dumps(document))


class Clock:
    """Wall and CPU time of named phases."""

    def __init__(self) -> None:
        self.phases: list[tuple[str, float, float]] = []

    def time(self, name: str, action: Callable[[], T]) -> T:
        wall, cpu = time.perf_counter(), time.process_time()
        result = action()
        self.phases.append((name, time.perf_counter() - wall, time.process_time() - cpu))
        return result

    @property
    def wall(self) -> float:
        return sum(phase[1] for phase in self.phases)

    @property
    def cpu(self) -> float:
        return sum(phase[2] for phase in self.phases)


def run_plan(config_file: Path, state_file: Path, parallelism: int, clock: Clock) -> int:
    """What `reconciler plan -c CONFIG --state STATE --parallelism P` does, phase by phase."""
    config = clock.time("load configuration", lambda: load_config([str(config_file)], os.environ))
    state = clock.time("load state", lambda: read_state(str(state_file)))

    async def read_and_plan():  # type: ignore[no-untyped-def]
        names = providers_in_scope(config, state)
        async with open_clients(config, names, parallelism=parallelism, environ=os.environ) as clients:
            plan, _ = await make_plan(config, state, clients, parallelism=parallelism)
            return plan

    plan = clock.time("read live buckets and plan", lambda: asyncio.run(read_and_plan()))
    clock.time("render text and json", lambda: (render_plan_text(plan), render_plan_json(plan)))
    if plan.errored:
        raise SystemExit("the plan has errors:\n  " + "\n  ".join(plan.errors[:10]))
    return plan.summary.add


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buckets", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--parallelism", type=int, default=10)
    parser.add_argument("--max-ratio", type=float, default=1.5, help="fail above this multiple of the ideal")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="reconciler-bench-") as scratch:
        work = Path(scratch)
        emulator = start_emulator(work / "emulator")
        try:
            os.environ.update(emulator.env())
            names = [f"bench-{index:06d}" for index in range(args.buckets)]
            create_buckets(emulator.admin, names)
            write_config(work / "notifications.json", emulator.url, names)
            (work / "state").mkdir()
            write_state(work / "state" / "bench.state.json", names)
            emulator.admin.set_faults(latency_ms=args.latency_ms)
            clock = Clock()
            to_add = run_plan(work / "notifications.json", work / "state" / "bench.state.json", args.parallelism, clock)
            requests = sum(b["GET"] for b in emulator.admin.counters()["buckets"].values())
        finally:
            emulator.stop()

    ideal = args.buckets * args.latency_ms / 1000 / args.parallelism
    ratio = clock.wall / ideal
    print(f"plan of {args.buckets} buckets, {args.latency_ms:g} ms latency, parallelism {args.parallelism}")
    print(f"  {requests} GET requests, {to_add} rules to add")
    for name, wall, cpu in clock.phases:
        print(f"  {name:<28} wall {wall:8.2f} s   cpu {cpu:8.2f} s")
    print(f"  total wall {clock.wall:.2f} s; ideal N x latency / parallelism = {ideal:.2f} s; ratio {ratio:.2f}")
    print(f"  cpu per bucket {clock.cpu / args.buckets * 1000:.2f} ms")
    # ru_maxrss is in KiB on Linux: the planning process's peak, server excluded
    print(f"  peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    verdict = "within" if ratio <= args.max_ratio else "OVER"
    print(f"{verdict} the {args.max_ratio:g}x bound")
    return 0 if ratio <= args.max_ratio else 1


if __name__ == "__main__":
    sys.exit(main())
