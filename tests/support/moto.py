"""A real moto server with SigV4 checking on, for the S3 provider's integration tests.

One server per pytest process (xdist-safe: each worker has its own, on a free loopback port).
`INITIAL_NO_AUTH_ACTION_COUNT` lets exactly the IAM calls that create a user, its policy and
its access key through unauthenticated; from then on moto recomputes every signature with
botocore and answers 403 to a wrong one.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

REGION = "us-east-1"
UNAUTHENTICATED_CALLS = 3  # CreateUser, PutUserPolicy, CreateAccessKey
STARTUP_SECONDS = 30.0
_ALLOW_ALL = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


@dataclass(frozen=True)
class MotoServer:
    endpoint: str
    access_key_id: str
    secret_access_key: str
    region: str = REGION

    def s3(self, **overrides: Any) -> Any:
        """A boto3 S3 client signed with the server's IAM key (path-style, like our minio/ceph)."""
        options = {
            "endpoint_url": self.endpoint,
            "region_name": self.region,
            "aws_access_key_id": self.access_key_id,
            "aws_secret_access_key": self.secret_access_key,
            "config": Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
        }
        options.update(overrides)
        return boto3.client("s3", **options)

    def new_bucket(self) -> str:
        name = f"bkt-{uuid.uuid4().hex[:16]}"
        self.s3().create_bucket(Bucket=name)
        return name


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _start(log_path: Path) -> tuple[subprocess.Popen[bytes], int]:
    executable = Path(sys.executable).with_name("moto_server")
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": str(UNAUTHENTICATED_CALLS)}
    for _ in range(5):  # another process may grab the free port between probe and bind
        port = _free_port()
        with open(log_path, "ab") as log:
            process = subprocess.Popen(
                [str(executable), "-H", "127.0.0.1", "-p", str(port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
            )
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline and process.poll() is None:
            if _listening(port):
                return process, port
            time.sleep(0.05)
        _stop(process)
    raise RuntimeError(f"moto_server did not start; see {log_path}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _iam_key(endpoint: str) -> tuple[str, str]:
    iam = boto3.client(
        "iam",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="bootstrap",
        aws_secret_access_key="bootstrap",
    )
    user = f"reconciler-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="all", PolicyDocument=_ALLOW_ALL)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


@contextmanager
def running_moto() -> Iterator[MotoServer]:
    """Start moto with signature checking, create the IAM key, stop the server on exit."""
    log_path = Path(tempfile.mkdtemp(prefix="moto-")) / "moto.log"
    process, port = _start(log_path)
    try:
        endpoint = f"http://127.0.0.1:{port}"
        access_key_id, secret = _iam_key(endpoint)
        yield MotoServer(endpoint, access_key_id, secret)
    finally:
        _stop(process)
