"""A real PostgreSQL server on loopback for the postgresql:// state tests.

Debian's `postgresql` package (scripts/test.sh installs it). One cluster per pytest process
(xdist-safe), initialised in a temporary directory and run as an unprivileged user: `nobody` when
the suite runs as root (PostgreSQL refuses to run as root), else the current user. TCP logins
need the password (scram-sha-256), which tests give through PGPASSWORD or a .pgpass file only.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

USER = "reconciler"
DATABASE = "postgres"
STARTUP_SECONDS = 60.0
UNPRIVILEGED = "nobody"


class PostgresUnavailable(RuntimeError):
    """The server binaries are missing or the cluster did not start; the message says which and why."""


@dataclass(frozen=True)
class PostgresServer:
    port: int
    password: str
    base: Path

    @property
    def url(self) -> str:
        """A location without the password (it goes in PGPASSWORD or .pgpass)."""
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{DATABASE}"

    def env(self) -> dict[str, str]:
        return {"PGPASSWORD": self.password}


def _bindir() -> Path:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if candidates:
        return candidates[-1].parent
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    raise PostgresUnavailable("PostgreSQL is not installed: run scripts/test.sh (it installs Debian's `postgresql`)")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_server_user(argv: list[str]) -> list[str]:
    return ["runuser", "-u", UNPRIVILEGED, "--", *argv] if os.geteuid() == 0 else argv


def _accepting(bindir: Path, port: int) -> bool:
    """Ready for connections (not merely listening: a starting server refuses logins)."""
    check = [str(bindir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(port), "-t", "1"]
    return subprocess.run(check, capture_output=True).returncode == 0


@contextlib.contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """initdb, start, yield, stop (fast shutdown) and remove the cluster."""
    bindir = _bindir()
    base = Path(tempfile.mkdtemp(prefix="reconciler-pg-"))
    password = secrets.token_hex(16)
    data, sockets, log = base / "data", base / "run", base / "postgres.log"
    sockets.mkdir()
    (base / "pwfile").write_text(password + "\n")
    if os.geteuid() == 0:
        base.chmod(0o755)
        for path in (base, sockets, base / "pwfile"):
            shutil.chown(path, UNPRIVILEGED)
    process: subprocess.Popen[bytes] | None = None
    try:
        initdb = subprocess.run(
            _as_server_user(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    USER,
                    f"--pwfile={base / 'pwfile'}",
                    "--auth-host=scram-sha-256",
                    "--auth-local=trust",
                    "--no-sync",
                    "-E",
                    "UTF8",
                ]
            ),
            capture_output=True,
            cwd=base,
        )
        if initdb.returncode != 0:
            raise PostgresUnavailable(f"initdb failed: {initdb.stderr.decode(errors='replace')[-2000:]}")
        for _ in range(3):  # another process may take the free port between probe and bind
            port = _free_port()
            with open(log, "ab") as output:
                process = subprocess.Popen(
                    _as_server_user(
                        [
                            str(bindir / "postgres"),
                            "-D",
                            str(data),
                            "-p",
                            str(port),
                            "-k",
                            str(sockets),
                            "-c",
                            "listen_addresses=127.0.0.1",
                            "-c",
                            "fsync=off",
                        ]
                    ),
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    cwd=base,
                )
            deadline = time.monotonic() + STARTUP_SECONDS
            while time.monotonic() < deadline and process.poll() is None and not _accepting(bindir, port):
                time.sleep(0.05)
            if process.poll() is None and _accepting(bindir, port):
                break
            _stop(process, bindir, data)
            process = None
        if process is None:
            raise PostgresUnavailable(f"postgres did not start; see {log}: {log.read_text(errors='replace')[-2000:]}")
        yield PostgresServer(port, password, base)
    finally:
        if process is not None:
            _stop(process, bindir, data)
        shutil.rmtree(base, ignore_errors=True)


def _stop(process: subprocess.Popen[bytes], bindir: Path, data: Path) -> None:
    if process.poll() is None:
        # pg_ctl signals the postmaster by its pid file, whatever runs between us and it
        subprocess.run(
            _as_server_user([str(bindir / "pg_ctl"), "stop", "-D", str(data), "-m", "fast", "-w", "-t", "30"]),
            capture_output=True,
            cwd=data.parent,
        )
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One server per pytest process; a missing package fails (these tests must run in CI)."""
    try:
        context = running_postgres()
        server = context.__enter__()
    except PostgresUnavailable as error:
        pytest.fail(str(error), pytrace=False)
    try:
        yield server
    finally:
        context.__exit__(None, None, None)
