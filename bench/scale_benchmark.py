"""Performance at scale, measured as a user would: the `reconciler` command in its own process
against the emulator, side by side with what users write by hand (boto3 and qingstor-sdk loops).

    .venv/bin/python bench/scale_benchmark.py [--sizes 100,1000,10000] [--latency-ms 20]
        [--parallelism 64] [--sequential-sample 200] [--only validate,plan,drift,apply,sdk,emulator,startup]

Each figure is one run on this machine, printed with the ratio it is judged by:
- startup: `reconciler --version` and `validate` of 100 buckets (wall and CPU).
- validate: a YAML file of N buckets × 5 rules; CPU per bucket at each size (linearity) and peak RSS.
- plan / drift: N QingStor buckets at the injected latency; wall against the ideal
  N × latency / parallelism, CPU per bucket, peak RSS.
- apply: 1 % of N buckets changed (exactly those written: PUT counters), then every bucket
  changed (wall against the ideal N × 2 requests × latency / parallelism, as the issue states it).
- sdk: the same N buckets in the S3 dialect read by a sequential boto3 loop (a sample, scaled up),
  a 64-thread boto3 loop and `reconciler plan`; QingStor buckets read by a qingstor-sdk loop;
  the ratios reconciler / each.
- emulator: requests per second it serves at zero latency to a 64-connection aiohttp client
  (how far it is from being the bottleneck).

CPU and peak RSS are the command's own (os.wait4), never the emulator's. Timed figures vary with
the load on the machine; nothing here is a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

from tests.support.emulator import RunningEmulator, start_emulator  # noqa: E402

BATCH = 1000
RULES_PER_BUCKET = 5
QS_RULE = {
    "id": "mine",
    "event_types": ["create_object"],
    "cloudfunc": "notifier",
    "notify_url": "https://h.example/qs",
}
S3_RULE = {
    "id": "mine",
    "type": "queue",
    "target": "arn:aws:sqs:us-east-1:123456789012:q",
    "events": ["s3:ObjectCreated:*"],
}
XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/"


@dataclass
class Run:
    wall: float
    cpu: float
    rss_mib: float
    code: int
    out: str


def reconciler(argv: Sequence[str], cwd: Path, env: dict[str, str]) -> Run:
    """One `reconciler` process: wall, its own CPU (user + system) and peak RSS."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "reconciler", *argv],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert process.stdout is not None
    out = process.stdout.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return Run(
        time.perf_counter() - started,
        usage.ru_utime + usage.ru_stime,
        usage.ru_maxrss / 1024,
        process.returncode,
        out,
    )


def table(title: str, header: Sequence[str], rows: list[Sequence[Any]]) -> None:
    print(f"\n## {title}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        print("| " + " | ".join(str(cell) for cell in row) + " |")


# --- inputs ---------------------------------------------------------------------------------------


def yaml_config(path: Path, count: int, endpoint: str, rules: int = RULES_PER_BUCKET) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write(
            f"version: 1\nproviders:\n  qs:\n    type: qingstor\n    zone: pek3b\n    endpoint: {endpoint}\nbuckets:\n"
        )
        for index in range(count):
            out.write(f"  - provider: qs\n    bucket: bench-{index:06d}\n    notifications:\n")
            for number in range(rules):
                out.write(
                    f"      - id: rule-{number}\n        event_types: [create_object]\n        cloudfunc: notifier\n"
                    f"        notify_url: https://hooks.example.com/{number}\n"
                )


def json_config(path: Path, providers: dict[str, Any], buckets: list[dict[str, Any]]) -> None:
    path.write_text(json.dumps({"version": 1, "providers": providers, "buckets": buckets}))


def qingstor_buckets(emulator: RunningEmulator, names: list[str], *, matching: Callable[[int], bool]) -> None:
    """Each bucket holds a foreign rule, and our rule where `matching(index)`."""
    specs = []
    for index, name in enumerate(names):
        live = [{**QS_RULE, "id": "theirs", "notify_url": "https://other.example/x"}]
        if matching(index):
            live.append(QS_RULE)
        specs.append({"dialect": "qingstor", "name": name, "document": {"notifications": live}})
    for start in range(0, len(specs), BATCH):
        emulator.admin.create_buckets(specs[start : start + BATCH])


def s3_buckets(emulator: RunningEmulator, names: list[str]) -> None:
    document = (
        f'<NotificationConfiguration xmlns="{XMLNS}"><QueueConfiguration><Id>mine</Id>'
        f"<Queue>{S3_RULE['target']}</Queue><Event>s3:ObjectCreated:*</Event></QueueConfiguration>"
        "</NotificationConfiguration>"
    )
    specs = [{"dialect": "s3", "name": name, "flavor": "aws", "document": document} for name in names]
    for start in range(0, len(specs), BATCH):
        emulator.admin.create_buckets(specs[start : start + BATCH])


class Workspace:
    def __init__(self, root: Path, emulator: RunningEmulator) -> None:
        self.root = root
        self.emulator = emulator
        self.env = {**os.environ, **emulator.env(), "NO_COLOR": "1"}

    def fresh(self, name: str) -> Path:
        directory = self.root / name
        directory.mkdir()
        return directory

    def qs_project(self, name: str, names: list[str]) -> Path:
        directory = self.fresh(name)
        provider = {"qs": {"type": "qingstor", "zone": "pek3b", "endpoint": self.emulator.url}}
        json_config(
            directory / "c.json",
            provider,
            [{"provider": "qs", "bucket": n, "notifications": [QS_RULE], "adopt": ["mine"]} for n in names],
        )
        return directory


# --- measurements ---------------------------------------------------------------------------------


def startup(work: Workspace) -> None:
    directory = work.fresh("startup")
    yaml_config(directory / "c.yaml", 100, work.emulator.url)
    rows = []
    for label, argv in (
        ("reconciler --version", ["--version"]),
        ("validate, 100 buckets", ["validate", "-c", "c.yaml"]),
    ):
        runs = [reconciler(argv, directory, work.env) for _ in range(3)]
        best = min(runs, key=lambda run: run.wall)
        rows.append((label, f"{best.wall:.2f} s", f"{best.cpu:.2f} s", f"{best.rss_mib:.0f} MiB"))
    table("Start-up (best of 3)", ("command", "wall", "CPU", "peak RSS"), rows)


def validate(work: Workspace, sizes: list[int]) -> None:
    rows, per_bucket = [], []
    for size in sizes:
        directory = work.fresh(f"validate-{size}")
        yaml_config(directory / "c.yaml", size, work.emulator.url)
        megabytes = (directory / "c.yaml").stat().st_size / 1e6
        run = reconciler(["validate", "-c", "c.yaml"], directory, work.env)
        assert run.code == 0, run.out
        per_bucket.append(run.cpu / size)
        rows.append(
            (f"{size:,} × {RULES_PER_BUCKET} rules ({megabytes:.1f} MB)", f"{run.wall:.2f} s", f"{run.cpu:.2f} s",
             f"{run.cpu / size * 1000:.3f} ms", f"{run.rss_mib:.0f} MiB")
        )  # fmt: skip
    table("validate", ("buckets", "wall", "CPU", "CPU per bucket", "peak RSS"), rows)
    linearity(sizes, [cost * size for cost, size in zip(per_bucket, sizes, strict=True)])


def read_only(work: Workspace, command: str, sizes: list[int], latency: float, parallelism: int) -> None:
    rows, per_bucket = [], []
    for size in sizes:
        names = [f"{command}-{size}-{index:06d}" for index in range(size)]
        qingstor_buckets(work.emulator, names, matching=lambda index: index % 2 == 0)
        directory = work.qs_project(f"{command}-{size}", names)
        work.emulator.admin.set_faults(latency_ms=latency * 1000)
        argv = [command, "-c", "c.json", "--parallelism", str(parallelism), "--format", "json"]
        run = reconciler(argv, directory, work.env)
        work.emulator.admin.clear_faults()
        assert run.code in (0, 2), run.out[-2000:]
        ideal = size * latency / parallelism
        per_bucket.append(run.cpu / size)
        rows.append(
            (f"{size:,}", f"{run.wall:.2f} s", f"{ideal:.2f} s", f"{run.wall / ideal:.2f}",
             f"{run.cpu / size * 1000:.3f} ms", f"{run.rss_mib:.0f} MiB")
        )  # fmt: skip
    table(
        f"{command}: {latency * 1000:g} ms latency, parallelism {parallelism}",
        ("buckets", "wall", "ideal N×latency/P", "ratio", "CPU per bucket", "peak RSS"),
        rows,
    )
    linearity(sizes, [cost * size for cost, size in zip(per_bucket, sizes, strict=True)])


def linearity(sizes: list[int], cpu: list[float]) -> None:
    """CPU per added bucket between consecutive sizes (start-up cancels out); equal when linear."""
    if len(sizes) < 3:
        return
    marginal = [(cpu[i + 1] - cpu[i]) / (sizes[i + 1] - sizes[i]) for i in range(len(sizes) - 1)]
    steps = ", ".join(f"{sizes[i]:,}→{sizes[i + 1]:,}: {cost * 1000:.3f} ms" for i, cost in enumerate(marginal))
    print(f"\nCPU per added bucket: {steps}; last / first {marginal[-1] / marginal[0]:.2f} (1.00 is linear)")


def apply(work: Workspace, size: int, latency: float, parallelism: int) -> None:
    rows = []
    # 1 % changed: exactly those buckets are written
    names = [f"apply1-{index:06d}" for index in range(size)]
    changed = {index for index in range(0, size, 100)}
    qingstor_buckets(work.emulator, names, matching=lambda index: index not in changed)
    directory = work.qs_project("apply-one-percent", names)
    (directory / "state").mkdir()
    work.emulator.admin.reset_counters()
    work.emulator.admin.set_faults(latency_ms=latency * 1000)
    argv = ["apply", "-c", "c.json", "--auto-approve", "--parallelism", str(parallelism), "--format", "json"]
    run = reconciler([*argv, "--state", "state/s.json"], directory, work.env)
    work.emulator.admin.clear_faults()
    assert run.code == 0, run.out[-2000:]
    counters = work.emulator.admin.counters("qingstor")["buckets"]
    written = sorted(address for address, counts in counters.items() if counts.get("PUT") and "apply1-" in address)
    expected = sorted(f"qingstor/{names[index]}" for index in changed)
    rows.append(
        (f"{len(changed)} of {size:,} changed", f"{run.wall:.2f} s", "—", "—", f"{run.cpu:.2f} s",
         f"{len(written)} PUTs, {'exactly the changed buckets' if written == expected else 'NOT the changed buckets'}")
    )  # fmt: skip
    # every bucket changed
    names = [f"applyall-{index:06d}" for index in range(size)]
    qingstor_buckets(work.emulator, names, matching=lambda index: False)
    directory = work.qs_project("apply-all", names)
    (directory / "state").mkdir()
    work.emulator.admin.set_faults(latency_ms=latency * 1000)
    run = reconciler([*argv, "--state", "state/s.json"], directory, work.env)
    work.emulator.admin.clear_faults()
    assert run.code == 0, run.out[-2000:]
    ideal = size * 2 * latency / parallelism
    rows.append(
        (f"{size:,} of {size:,} changed", f"{run.wall:.2f} s", f"{ideal:.2f} s", f"{run.wall / ideal:.2f}",
         f"{run.cpu:.2f} s", f"{run.cpu / size * 1000:.2f} ms CPU per bucket, {run.rss_mib:.0f} MiB")
    )  # fmt: skip
    table(
        f"apply: {latency * 1000:g} ms latency, parallelism {parallelism}",
        ("buckets", "wall", "ideal N×2×latency/P", "ratio", "CPU", "notes"),
        rows,
    )


def timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def sdks(work: Workspace, size: int, latency: float, parallelism: int, sample: int) -> None:
    from botocore.config import Config

    names = [f"sdk-{index:06d}" for index in range(size)]
    s3_buckets(work.emulator, names)
    qingstor_buckets(work.emulator, names, matching=lambda index: True)
    directory = work.fresh("sdk")
    providers = {
        "aws": {"type": "s3", "flavor": "aws", "region": work.emulator.region, "endpoint": work.emulator.url},
        "qs": {"type": "qingstor", "zone": "pek3b", "endpoint": work.emulator.url},
    }
    json_config(
        directory / "s3.json",
        providers,
        [{"provider": "aws", "bucket": n, "notifications": [S3_RULE], "adopt": ["mine"]} for n in names],
    )
    json_config(
        directory / "qs.json",
        providers,
        [{"provider": "qs", "bucket": n, "notifications": [QS_RULE], "adopt": ["mine"]} for n in names],
    )
    config = Config(max_pool_connections=parallelism, retries={"max_attempts": 1}, s3={"addressing_style": "path"})
    client = work.emulator.boto3_client(config=config)

    def boto3_read(name: str) -> None:
        client.get_bucket_notification_configuration(Bucket=name)

    work.emulator.admin.set_faults(latency_ms=latency * 1000)
    sequential = timed(lambda: [boto3_read(name) for name in names[:sample]]) * size / sample
    with ThreadPoolExecutor(64) as pool:
        threaded = timed(lambda: list(pool.map(boto3_read, names)))
    plan_s3 = reconciler(
        ["plan", "-c", "s3.json", "--parallelism", str(parallelism), "--format", "json"], directory, work.env
    )
    rows = [
        (f"boto3, sequential loop ({sample} read, scaled to {size:,})", f"{sequential:.2f} s",
         f"{sequential / plan_s3.wall:.1f}×"),
        ("boto3, 64 threads", f"{threaded:.2f} s", f"{threaded / plan_s3.wall:.2f}×"),
        (f"reconciler plan, S3 dialect, parallelism {parallelism}", f"{plan_s3.wall:.2f} s", "1×"),
    ]  # fmt: skip
    try:
        from qingstor.sdk.config import Config as QingStorConfig
        from qingstor.sdk.service.qingstor import QingStor
    except ImportError:
        rows.append(("qingstor-sdk", "not installed", ""))
    else:
        import logging

        logging.disable(logging.WARNING)  # the SDK's pool of 10 warns on every connection a 64-thread loop drops
        qs_config = QingStorConfig(work.emulator.access_key, work.emulator.secret_key)
        qs_config.protocol, qs_config.port, qs_config.host = "http", work.emulator.port, "127.0.0.1"
        qs_config.connection_retries = 0
        service = QingStor(qs_config)

        def qingstor_read(name: str) -> None:
            assert service.Bucket(name, "").get_notification().status_code == 200

        qs_sequential = timed(lambda: [qingstor_read(name) for name in names[:sample]]) * size / sample
        with ThreadPoolExecutor(64) as pool:
            qs_threaded = timed(lambda: list(pool.map(qingstor_read, names)))
        plan_qs = reconciler(
            ["plan", "-c", "qs.json", "--parallelism", str(parallelism), "--format", "json"], directory, work.env
        )
        rows += [
            (f"qingstor-sdk, sequential loop ({sample} read, scaled)", f"{qs_sequential:.2f} s",
             f"{qs_sequential / plan_qs.wall:.1f}×"),
            ("qingstor-sdk, 64 threads", f"{qs_threaded:.2f} s", f"{qs_threaded / plan_qs.wall:.2f}×"),
            (f"reconciler plan, QingStor dialect, parallelism {parallelism}", f"{plan_qs.wall:.2f} s", "1×"),
        ]  # fmt: skip
    work.emulator.admin.clear_faults()
    table(
        f"Reading {size:,} buckets, {latency * 1000:g} ms latency: reconciler plan against hand-written loops",
        ("reader", "wall", "its time / reconciler plan's"),
        rows,
    )


def emulator_rate(work: Workspace, count: int = 5000) -> None:
    import aiohttp

    from reconciler.providers.qingstor.auth import QingStorAuth

    names = [f"rate-{index:06d}" for index in range(count)]
    qingstor_buckets(work.emulator, names, matching=lambda index: True)

    async def hammer() -> float:
        import httpx

        signer = QingStorAuth(work.emulator.access_key, work.emulator.secret_key)
        requests = []
        for name in names:
            request = httpx.Request("GET", f"{work.emulator.url}/{name}?notification")
            next(signer.sync_auth_flow(request))
            requests.append((str(request.url), dict(request.headers)))
        limit = asyncio.Semaphore(64)
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64)) as session:

            async def one(url: str, headers: dict[str, str]) -> None:
                async with limit, session.get(url, headers=headers) as response:
                    await response.read()
                    assert response.status == 200

            started = time.perf_counter()
            await asyncio.gather(*(one(url, headers) for url, headers in requests))
            return time.perf_counter() - started

    wall = asyncio.run(hammer())
    rate = count / wall
    table(
        "Emulator at zero latency (one process)",
        ("requests", "wall", "requests/s", "needed at 20 ms, P64", "headroom"),
        [(count, f"{wall:.2f} s", f"{rate:,.0f}", f"{64 / 0.020:,.0f}", f"{rate / (64 / 0.020):.2f}×")],
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,1000,10000", help="bucket counts (comma separated)")
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--parallelism", type=int, default=64)
    parser.add_argument("--sequential-sample", type=int, default=200, help="buckets the sequential loops read")
    parser.add_argument("--only", default="startup,emulator,validate,plan,drift,apply,sdk")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    chosen = set(args.only.split(","))
    latency = args.latency_ms / 1000
    print(f"# reconciler at scale — {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")
    with tempfile.TemporaryDirectory(prefix="reconciler-scale-") as scratch:
        root = Path(scratch)
        emulator = start_emulator(root / "emulator")
        try:
            work = Workspace(root, emulator)
            if "startup" in chosen:
                startup(work)
            if "emulator" in chosen:
                emulator_rate(work)
            if "validate" in chosen:
                validate(work, sizes)
            for command in ("plan", "drift"):
                if command in chosen:
                    read_only(work, command, sizes, latency, args.parallelism)
                    emulator.admin.reset()
            if "apply" in chosen:
                apply(work, sizes[-1], latency, args.parallelism)
                emulator.admin.reset()
            if "sdk" in chosen:
                sdks(work, sizes[-1], latency, args.parallelism, args.sequential_sample)
        finally:
            emulator.stop()
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
