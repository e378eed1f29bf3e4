"""The real emulator for any test: `python -m reconciler emulator --port 0` in a subprocess.

Use the fixtures from a conftest.py:

    from tests.support.emulator import emulator, emulator_server  # noqa: F401

`emulator_server` is one process per pytest process (so per xdist worker), on a free loopback
port; `emulator` is the same server reset to no buckets, counters or faults for each test.
`start_emulator()` starts extra ones (own keys, a data file, a restart). A started emulator dies
with the process that started it, even if that one is killed.
"""

from __future__ import annotations

import ctypes
import functools
import os
import re
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.emulator import DEFAULT_ACCESS_KEY, DEFAULT_REGION, DEFAULT_SECRET_KEY
from reconciler.emulator.admin_client import AdminError, EmulatorAdmin
from reconciler.providers.bos.auth import BceAuth
from reconciler.providers.qingstor.auth import QingStorAuth
from reconciler.providers.s3.auth import SigV4Auth

REPOSITORY = Path(__file__).resolve().parents[2]
_ANNOUNCEMENT = re.compile(r"^Emulator listening on (http://\S+)$")
_PR_SET_PDEATHSIG = 1
# loaded here, not in the forked child, which must only make the system call
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


class EmulatorDidNotStart(Exception):
    pass


@dataclass
class RunningEmulator:
    process: subprocess.Popen
    url: str
    access_key: str
    secret_key: str
    region: str
    data: Path | None
    log: Path
    admin: EmulatorAdmin = field(repr=False)

    @property
    def host(self) -> str:
        return self.url.rsplit(":", 1)[0].removeprefix("http://")

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def env(self) -> dict[str, str]:
        """The usual credential variables of all three ecosystems, set to the emulator's keys."""
        values = {}
        for prefix in ("AWS", "QINGSTOR", "QY", "BCE"):
            values[f"{prefix}_ACCESS_KEY_ID"] = self.access_key
            values[f"{prefix}_SECRET_ACCESS_KEY"] = self.secret_key
        return values

    def boto3_client(self, **overrides: Any) -> Any:
        import boto3

        options = {
            "endpoint_url": self.url,
            "aws_access_key_id": self.access_key,
            "aws_secret_access_key": self.secret_key,
            "region_name": self.region,
        }
        options.update(overrides)
        return boto3.client("s3", **options)

    def request(
        self,
        dialect: str,
        method: str,
        bucket: str,
        *,
        body: bytes = b"",
        query: str = "notification",
        virtual_host: bool = False,
        access_key: str | None = None,
        secret: str | None = None,
        clock: Callable[[], datetime] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """One request signed by the project's own signer of `dialect`, path or virtual-host style."""
        key, secret = access_key or self.access_key, secret or self.secret_key
        timing = {"clock": clock} if clock is not None else {}
        auth: httpx.Auth
        if dialect == "qingstor":
            auth = QingStorAuth(key, secret, bucket=bucket, virtual_host=virtual_host, **timing)
        elif dialect == "bos":
            auth = BceAuth(key, secret, **timing)
        else:
            auth = SigV4Auth(key, secret, region=self.region, **timing)
        sent = dict(headers or {})
        if virtual_host:
            sent["Host"] = f"{bucket}.{dialect}.localhost:{self.port}"
        path = "/" if virtual_host else f"/{bucket}"
        return self.http.request(method, f"{path}?{query}" if query else path, content=body, headers=sent, auth=auth)

    @functools.cached_property
    def http(self) -> httpx.Client:
        """A pooled, unsigned client of the emulator (reused: building one costs an SSL context)."""
        return httpx.Client(base_url=self.url, timeout=30)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int:
        """Stop it (SIGTERM by default, SIGKILL for a crash) and return its exit status."""
        self.admin.close()
        self.http.close()
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()
        return self.process.returncode


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    assert _LIBC is not None
    _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def start_emulator(
    log_dir: Path,
    *,
    data: Path | None = None,
    access_key: str = DEFAULT_ACCESS_KEY,
    secret_key: str = DEFAULT_SECRET_KEY,
    region: str = DEFAULT_REGION,
    extra_args: Sequence[str] = (),
    startup_timeout: float = 30,
) -> RunningEmulator:
    """Start an emulator on a free loopback port and wait until its admin API answers."""
    command = [
        sys.executable, "-m", "reconciler", "emulator", "--host", "127.0.0.1", "--port", "0",
        "--access-key", access_key, "--secret-key", secret_key, "--region", region, *extra_args,
    ]  # fmt: skip
    if data is not None:
        command += ["--data", str(data)]
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"emulator-{time.monotonic_ns()}.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=stderr,
            stdin=subprocess.DEVNULL,
            cwd=REPOSITORY,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            preexec_fn=_die_with_parent if _LIBC is not None else None,
        )
    try:
        url = _announced_url(process, log, time.monotonic() + startup_timeout)
        admin = EmulatorAdmin(url)
        _wait_until_healthy(admin, process, log, time.monotonic() + startup_timeout)
    except BaseException:
        process.kill()
        process.wait()
        raise
    return RunningEmulator(process, url, access_key, secret_key, region, data, log, admin)


def _announced_url(process: subprocess.Popen, log: Path, deadline: float) -> str:
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if selector.select(timeout=0.1):
                line = process.stdout.readline().decode("utf-8", "replace").strip()
                match = _ANNOUNCEMENT.match(line)
                if match:
                    return match.group(1)
                if not line and process.poll() is not None:
                    break
    raise EmulatorDidNotStart(f"the emulator did not announce its port; its log:\n{log.read_text(errors='replace')}")


def _wait_until_healthy(admin: EmulatorAdmin, process: subprocess.Popen, log: Path, deadline: float) -> None:
    while True:
        try:
            admin.health()
            return
        except AdminError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise EmulatorDidNotStart(f"the emulator is not answering; its log:\n{log.read_text()}") from None
            time.sleep(0.05)


@pytest.fixture(scope="session")
def emulator_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulator]:
    running = start_emulator(tmp_path_factory.mktemp("emulator"))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def emulator(emulator_server: RunningEmulator) -> RunningEmulator:
    """The session's emulator with no buckets, counters or faults."""
    emulator_server.admin.reset()
    return emulator_server
