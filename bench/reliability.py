"""Reliability suite (issue 11): the CLI, as a separate process, against a misbehaving emulator.

    .venv/bin/python bench/reliability.py [--kill-trials 50] [--pairs 20] [--fault-buckets 1000]
                                          [--fault-rate 0.2] [--buckets 20] [--seed 1]

Scenarios, each on fresh buckets that all hold one foreign rule ("theirs") besides the managed one:
- kill -9: `apply` killed with SIGKILL once the emulator has seen a random number of requests;
  the next `apply` must converge (exit 0, then `plan --detailed-exitcode` exits 0);
- concurrent: two `apply` started at once on one state; no bucket may be written twice, and a
  third apply converges;
- faults: `apply` over many buckets with resets, 500/503s, 429s and garbled bodies on a share of
  requests, repeated until it succeeds (at most 6 runs); then it must plan clean without faults;
- hostile: one bucket among --buckets trickles, floods (100 MiB), bombs (1 GiB gzip), nests
  (100,000 levels) or lists 200,000 rules; `plan` and `apply --request-timeout 5s` must fail that
  bucket alone (exit 1) within a wall-clock limit and apply every other bucket.

Prints one table: trials, converged, foreign rules lost, tracebacks, internal errors, hangs.
Exits 1 when any of the last four is not 0 (or a scenario did not converge). Not part of the
test suite: it takes minutes. Leaves nothing running.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

from tests.support.emulator import RunningEmulator, start_emulator  # noqa: E402

THEIRS = {"id": "theirs", "event_types": ["delete_object"], "cloudfunc": "tupu-porn"}
MINE = {
    "id": "mine",
    "event_types": ["create_object"],
    "cloudfunc": "notifier",
    "notify_url": "https://h.example.com/q",
}
HANG_SECONDS = 120.0  # a command running longer than this is a hang
HOSTILE = {
    "trickle": {"hostile": "trickle", "trickle_interval_ms": 1000},
    "huge-100MiB": {"hostile": "huge", "hostile_size": 100 * 1024 * 1024},
    "gzip-bomb-1GiB": {"hostile": "gzip_bomb", "hostile_size": 1024**3},
    "deep-100k": {"hostile": "deep", "hostile_size": 100_000},
    "many-200k": {"hostile": "many", "hostile_size": 200_000},
}


@dataclass
class Row:
    scenario: str
    trials: int = 0
    converged: int = 0
    foreign_lost: int = 0
    tracebacks: int = 0
    internal_errors: int = 0
    hangs: int = 0
    notes: list[str] = field(default_factory=list)

    def bad(self) -> bool:
        return bool(self.foreign_lost or self.tracebacks or self.internal_errors or self.hangs) or (
            self.converged != self.trials
        )


@dataclass
class Run:
    code: int | None  # None: hung (killed after HANG_SECONDS)
    output: str
    seconds: float


class Workspace:
    """A configuration over named buckets, a state directory and the CLI as a subprocess."""

    def __init__(self, root: Path, emulator: RunningEmulator, names: list[str]) -> None:
        self.root = root
        self.emulator = emulator
        self.names = names
        root.mkdir(parents=True, exist_ok=True)
        self.config = root / "notifications.json"
        self.state = root / "state" / "reconciler.state.json"
        self.state.parent.mkdir(exist_ok=True)
        provider = {"type": "qingstor", "zone": "pek3b", "endpoint": emulator.url}
        buckets = [{"provider": "qs", "bucket": name, "notifications": [MINE]} for name in names]
        self.config.write_text(json.dumps({"version": 1, "providers": {"qs": provider}, "buckets": buckets}))
        specs = [{"dialect": "qingstor", "name": n, "document": {"notifications": [THEIRS]}} for n in names]
        for start in range(0, len(specs), 1000):
            emulator.admin.create_buckets(specs[start : start + 1000])
        self.env = {**os.environ, **emulator.env(), "NO_COLOR": "1"}

    def command(self, *argv: str) -> list[str]:
        return [sys.executable, "-m", "reconciler", *argv, "-c", str(self.config), "--state", str(self.state)]

    def start(self, *argv: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.command(*argv),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            env=self.env,
            cwd=self.root,
        )

    def run(self, *argv: str, limit: float = HANG_SECONDS) -> Run:
        started = time.monotonic()
        process = self.start(*argv)
        try:
            output, _ = process.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
            return Run(None, output or "", time.monotonic() - started)
        return Run(process.returncode, output or "", time.monotonic() - started)

    def foreign_lost(self) -> int:
        lost = 0
        for name in self.names:
            document = self.emulator.admin.document("qingstor", name)
            if THEIRS not in document.get("notifications", []):
                lost += 1
        return lost

    def managed_missing(self, names: list[str]) -> int:
        return sum(
            1
            for name in names
            if MINE["id"] not in [e.get("id") for e in self.emulator.admin.document("qingstor", name)["notifications"]]
        )

    def total_requests(self) -> int:
        buckets = self.emulator.admin.counters()["buckets"]
        return sum(sum(counts.values()) for counts in buckets.values())

    def puts(self) -> int:
        return sum(counts.get("PUT", 0) for counts in self.emulator.admin.counters()["buckets"].values())


def tally(row: Row, *runs: Run) -> None:
    for run in runs:
        row.tracebacks += "Traceback" in run.output
        row.internal_errors += "internal error" in run.output
        row.hangs += run.code is None


def converge(row: Row, workspace: Workspace) -> bool:
    applied = workspace.run("apply", "--auto-approve")
    planned = workspace.run("plan", "--detailed-exitcode")
    tally(row, applied, planned)
    return applied.code == 0 and planned.code == 0


def fresh(emulator: RunningEmulator, scratch: Path, label: str, count: int) -> Workspace:
    emulator.admin.reset()
    names = [f"{label}-{index:05d}" for index in range(count)]
    return Workspace(scratch / label, emulator, names)


def kill_trials(emulator: RunningEmulator, scratch: Path, trials: int, buckets: int, rng: random.Random) -> Row:
    row = Row("kill -9 during apply")
    for trial in range(trials):
        workspace = fresh(emulator, scratch, f"kill{trial}", buckets)
        at = rng.randint(1, 3 * buckets)  # a read, a write or a read-back of some bucket
        process = workspace.start("apply", "--auto-approve", "--parallelism", "4")
        deadline = time.monotonic() + HANG_SECONDS
        while process.poll() is None and workspace.total_requests() < at and time.monotonic() < deadline:
            time.sleep(0.005)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        output, _ = process.communicate()
        tally(row, Run(process.returncode, output or "", 0.0))
        row.trials += 1
        row.converged += converge(row, workspace)
        row.foreign_lost += workspace.foreign_lost()
    return row


def concurrent_pairs(emulator: RunningEmulator, scratch: Path, pairs: int, buckets: int) -> Row:
    row = Row("two applies at once")
    doubled = 0
    for pair in range(pairs):
        workspace = fresh(emulator, scratch, f"pair{pair}", buckets)
        first = workspace.start("apply", "--auto-approve", "--lock-timeout", "0s")
        second = workspace.start("apply", "--auto-approve", "--lock-timeout", "0s")
        for process in (first, second):
            try:
                output, _ = process.communicate(timeout=HANG_SECONDS)
                tally(row, Run(process.returncode, output or "", 0.0))
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()
                row.hangs += 1
        doubled += workspace.puts() > buckets  # both wrote: some bucket got two PUTs
        row.trials += 1
        row.converged += converge(row, workspace)
        row.foreign_lost += workspace.foreign_lost()
    row.notes.append(f"{doubled} pairs where both wrote")
    row.foreign_lost += doubled  # counted as a failure of the scenario
    return row


def fault_run(emulator: RunningEmulator, scratch: Path, buckets: int, rate: float, seed: int) -> Row:
    row = Row(f"apply over {buckets} buckets, {rate:.0%} faults")
    workspace = fresh(emulator, scratch, "faults", buckets)
    share = rate / 4
    emulator.admin.set_faults(
        reset_rate=share, error_rate=share, error_statuses=[500, 503], throttle_rate=share, retry_after=0,
        malformed_rate=share, seed=seed,
    )  # fmt: skip
    runs = 0
    for runs in range(1, 7):  # noqa: B007 - the count is reported
        applied = workspace.run("apply", "--auto-approve", "--parallelism", "20")
        tally(row, applied)
        if applied.code == 0:
            break
    emulator.admin.clear_faults()
    row.trials = 1
    row.converged = int(converge(row, workspace))
    row.foreign_lost += workspace.foreign_lost()
    row.notes.append(f"{runs} apply run(s) to succeed")
    return row


def hostile_answers(emulator: RunningEmulator, scratch: Path, buckets: int) -> Row:
    row = Row("hostile answers (one bucket each)")
    for kind, spec in HOSTILE.items():
        workspace = fresh(emulator, scratch, f"hostile-{kind}", buckets)
        bad = workspace.names[0]
        emulator.admin.set_faults(bucket=bad, dialect="qingstor", hostile_rate=1, **spec)
        planned = workspace.run("plan", "--request-timeout", "5s")
        applied = workspace.run("apply", "--auto-approve", "--request-timeout", "5s")
        tally(row, planned, applied)
        row.trials += 1
        alone = (
            planned.code == 1
            and applied.code == 1
            and f"qs/{bad}" in applied.output
            and workspace.managed_missing(workspace.names[1:]) == 0
        )
        emulator.admin.clear_faults()
        row.converged += alone and converge(row, workspace)
        row.foreign_lost += workspace.foreign_lost()
        row.notes.append(f"{kind}: plan {planned.seconds:.1f} s, apply {applied.seconds:.1f} s")
    return row


def print_table(rows: list[Row]) -> None:
    header = ("scenario", "trials", "converged", "foreign lost", "tracebacks", "internal errors", "hangs")
    cells = [header] + [
        (r.scenario, r.trials, r.converged, r.foreign_lost, r.tracebacks, r.internal_errors, r.hangs) for r in rows
    ]
    widths = [max(len(str(line[i])) for line in cells) for i in range(len(header))]
    for index, line in enumerate(cells):
        print(
            "  ".join(
                str(cell).ljust(width) if i == 0 else str(cell).rjust(width)
                for i, (cell, width) in enumerate(zip(line, widths, strict=True))
            )
        )
        if index == 0:
            print("  ".join("-" * width for width in widths))
    for row in rows:
        for note in row.notes:
            print(f"  {row.scenario}: {note}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"  largest peak memory of any child process (emulator included): {peak:.0f} MiB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kill-trials", type=int, default=50)
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--fault-buckets", type=int, default=1000)
    parser.add_argument("--fault-rate", type=float, default=0.2)
    parser.add_argument("--buckets", type=int, default=20, help="buckets per kill, pair and hostile trial")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", choices=("kill", "pairs", "faults", "hostile"), action="append")
    args = parser.parse_args()
    chosen = set(args.only or ("kill", "pairs", "faults", "hostile"))
    rng = random.Random(args.seed)

    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="reconciler-reliability-") as scratch:
        work = Path(scratch)
        emulator = start_emulator(work / "emulator")
        try:
            if "kill" in chosen:
                rows.append(kill_trials(emulator, work, args.kill_trials, args.buckets, rng))
            if "pairs" in chosen:
                rows.append(concurrent_pairs(emulator, work, args.pairs, args.buckets))
            if "faults" in chosen:
                rows.append(fault_run(emulator, work, args.fault_buckets, args.fault_rate, args.seed))
            if "hostile" in chosen:
                rows.append(hostile_answers(emulator, work, args.buckets))
        finally:
            emulator.stop()
    print_table(rows)
    return 1 if any(row.bad() for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
