"""A real Ceph RADOS Gateway on loopback for the `ceph` flavor's integration tests.

`start_gateway` runs tests/support/ceph/start-rgw.sh (one mon, one memstore OSD, radosgw; about
two seconds) and `stop_gateway` stops it by the PIDs the script recorded. Facts behind every
choice: /work/shared/reference/ceph-rgw.md. RGW pacific quirks the tests rely on: a PUT of
?notification merges, GET sorts entries by Id and answers topic ARNs as
`arn:aws:sns:default::<name>`, and error bodies carry no message (the reason is in
`<base>/log/client.rgw.a.log`).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import secrets
import shutil
import socket
import subprocess
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

import boto3
import httpx
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

SCRIPTS = Path(__file__).with_name("ceph")
PACKAGES = "radosgw ceph-mon ceph-osd"
REQUIRED_TOOLS = ("radosgw", "ceph-mon", "ceph-osd", "radosgw-admin", "monmaptool", "ceph", "uuidgen", "setsid")
START_TIMEOUT = 120  # seconds; a normal start takes about 2
ATTEMPTS = 2  # a second try with fresh ports, in case another process took one between pick and bind
PR_SET_CHILD_SUBREAPER = 36
# Each OSD binds 8 ports from a fixed range. One range per xdist worker, below Linux's ephemeral
# ports (32768+), keeps any number of parallel workers apart; 48 ports leave room for the extra
# clusters of the fixture's own tests and for a second test run on the same machine.
MESSENGER_PORTS_FROM, MESSENGER_PORTS_PER_WORKER = 16800, 48


class GatewayUnavailable(RuntimeError):
    """The Ceph packages are missing or the cluster did not start; the message says which and why."""


@dataclass(frozen=True)
class RadosGateway:
    """A running gateway and the S3 user the start script created."""

    base: Path
    endpoint: str
    access_key: str
    secret_key: str
    region: str = "default"  # RGW's zonegroup; any region signs correctly

    def boto3_client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}),
        )

    def create_bucket(self, name: str) -> str:
        self.boto3_client("s3").create_bucket(Bucket=name)
        return name

    def create_topic(self, name: str, push_endpoint: str) -> str:
        """A non-persistent topic (delivered inside the object PUT); returns its ARN."""
        answer = self.boto3_client("sns").create_topic(Name=name, Attributes={"push-endpoint": push_endpoint})
        return str(answer["TopicArn"])

    def signed_request(self, method: str, bucket: str, query: str, body: bytes = b"") -> httpx.Response:
        """A SigV4-signed request boto3 has no call for: RGW's DELETE ?notification, raw XML bodies."""
        url = f"{self.endpoint}/{quote(bucket)}?{query}"
        headers = {"Content-Type": "application/xml"} if body else {}
        request = AWSRequest(method=method, url=url, data=body, headers=headers)
        S3SigV4Auth(Credentials(self.access_key, self.secret_key), "s3", self.region).add_auth(request)
        return httpx.request(method, url, content=body, headers=dict(request.headers.items()), timeout=30)

    def notification_xml(self, bucket: str) -> str:
        """The exact body of GET ?notification, for byte-level comparisons."""
        response = self.signed_request("GET", bucket, "notification")
        response.raise_for_status()
        return response.text

    def log_tail(self, lines: int = 30) -> str:
        """The end of radosgw's log: the only place RGW states why it answered 400."""
        log = self.base / "log" / "client.rgw.a.log"
        if not log.exists():
            return "(no radosgw log)"
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def missing_tools() -> list[str]:
    return [tool for tool in REQUIRED_TOOLS if shutil.which(tool) is None]


def start_gateway(base: Path, owner_pid: int | None = None) -> RadosGateway:
    """Start a throw-away cluster in a new directory under `base` and return its gateway.

    A watchdog started by the script stops the cluster as soon as process `owner_pid` (default:
    this one) is gone, so a killed test run leaves nothing behind. Raises GatewayUnavailable with
    the daemon log tails if the cluster does not come up.
    """
    missing = missing_tools()
    if missing:
        raise GatewayUnavailable(
            f"cannot start the Ceph RADOS Gateway: {', '.join(missing)} not installed. "
            f"Run `bash scripts/test.sh` (it installs them) or, as root on Debian 12: "
            f"apt-get install -y --no-install-recommends {PACKAGES}"
        )
    _adopt_orphaned_daemons()
    access_key, secret_key = "RECONCILER" + secrets.token_hex(5).upper(), secrets.token_hex(20)
    failures = []
    for attempt in range(1, ATTEMPTS + 1):
        cluster = base / f"cluster-{attempt}"  # a failed attempt keeps its logs for a post-mortem
        mon_port, rgw_port = _free_port_pair(), _free_port()
        messenger_from, messenger_to = _messenger_ports()
        environment = dict(
            os.environ,
            RGW_BASE=str(cluster),
            MON_PORT=str(mon_port),
            RGW_PORT=str(rgw_port),
            MS_PORT_MIN=str(messenger_from),
            MS_PORT_MAX=str(messenger_to),
            RGW_ACCESS_KEY=access_key,
            RGW_SECRET_KEY=secret_key,
            RGW_OWNER_PID=str(owner_pid or os.getpid()),
        )
        try:
            started = subprocess.run(
                ["bash", str(SCRIPTS / "start-rgw.sh")],
                env=environment,
                capture_output=True,
                text=True,
                timeout=START_TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            _stop(cluster, keep_logs=True)
            failures.append(f"start-rgw.sh did not finish within {START_TIMEOUT} s")
            continue
        if started.returncode == 0:
            gateway = RadosGateway(cluster, f"http://127.0.0.1:{rgw_port}", access_key, secret_key)
            _check_s3_answers(gateway)
            return gateway
        failures.append(started.stderr.strip() or f"start-rgw.sh exited {started.returncode}")
    raise GatewayUnavailable("the Ceph RADOS Gateway did not start:\n" + "\n---\n".join(failures))


def stop_gateway(gateway: RadosGateway) -> None:
    _stop(gateway.base, keep_logs=False)


def _stop(base: Path, *, keep_logs: bool) -> None:
    recorded = _recorded_pids(base)
    subprocess.run(
        ["bash", str(SCRIPTS / "stop-rgw.sh")],
        env=dict(os.environ, RGW_BASE=str(base), KEEP_LOGS="1" if keep_logs else "0"),
        check=True,
        timeout=60,
    )
    _reap(recorded)


def _check_s3_answers(gateway: RadosGateway) -> None:
    try:
        gateway.boto3_client("s3").list_buckets()
    except Exception as error:  # any failure here means the fixture cannot hand out this gateway
        _stop(gateway.base, keep_logs=True)
        raise GatewayUnavailable(f"radosgw is listening but S3 requests fail: {error}") from error


def _recorded_pids(base: Path) -> list[int]:
    run = base / "run"
    files = [*run.glob("*.fpid"), *run.glob("*.wpid")] if run.is_dir() else []
    return [int(path.read_text()) for path in files if path.read_text().strip().isdigit()]


def _adopt_orphaned_daemons() -> None:
    # The script's daemons outlive it; as their subreaper this process can reap them after the
    # stop, instead of leaving zombies under an init that does not reap (containers).
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _reap(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ChildProcessError):  # not our child (no subreaper) or already reaped
            os.waitpid(pid, os.WNOHANG)


def _messenger_ports() -> tuple[int, int]:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")  # set by xdist in each worker: gw0, gw1, ...
    slot = int(worker[2:]) if worker[2:].isdigit() else 0
    first = MESSENGER_PORTS_FROM + slot * MESSENGER_PORTS_PER_WORKER
    return first, first + MESSENGER_PORTS_PER_WORKER - 1


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _free_port_pair() -> int:
    """A port p with p+1 also free: the monitor listens on both (msgr2 and msgr1)."""
    while True:
        with socket.socket() as first, socket.socket() as second:
            first.bind(("127.0.0.1", 0))
            port = int(first.getsockname()[1])
            try:
                second.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
            return port


class EventSink:
    """A loopback HTTP endpoint that records every S3 event record RGW pushes to it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[tuple[str, dict[str, Any]]] = []
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                with sink._lock:
                    sink._records.extend((self.path, record) for record in body.get("Records", []))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="ceph-event-sink", daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/{path.lstrip('/')}"

    def records(self, path: str) -> list[dict[str, Any]]:
        with self._lock:
            return [record for where, record in self._records if where == "/" + path.lstrip("/")]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
