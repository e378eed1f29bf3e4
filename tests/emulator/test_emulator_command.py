"""`reconciler emulator` as a process: announcing its port, stopping, keys, and the data file."""

from __future__ import annotations

import asyncio
import errno
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from reconciler.emulator import datafile
from reconciler.emulator.datafile import DataFile
from reconciler.emulator.store import Store
from reconciler.errors import ReconcilerError
from tests.support.emulator import REPOSITORY, start_emulator

QS_BODY = json.dumps({"notifications": [{"id": "r", "event_types": ["create_object"], "cloudfunc": "notifier"}]})


def run_command(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reconciler", "emulator", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPOSITORY,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_it_announces_its_port_and_stops_cleanly_on_a_signal(tmp_path: Path, stop_signal: int) -> None:
    running = start_emulator(tmp_path)
    assert running.url.startswith("http://127.0.0.1:") and running.port > 0

    assert running.stop(stop_signal) == 0
    assert "Traceback" not in running.log.read_text()


def test_a_data_file_keeps_buckets_and_documents_across_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "state" / "emulator.json"
    first = start_emulator(tmp_path, data=data)
    first.admin.create_bucket("qingstor", "kept")
    assert first.request("qingstor", "PUT", "kept", body=QS_BODY.encode()).status_code == 200
    assert first.stop() == 0

    second = start_emulator(tmp_path, data=data)
    try:
        assert second.request("qingstor", "GET", "kept").json() == json.loads(QS_BODY)
    finally:
        second.stop()
    assert [path.name for path in data.parent.iterdir()] == ["emulator.json"]  # no temporary files left


def test_a_change_is_on_disk_before_it_is_acknowledged(tmp_path: Path) -> None:
    data = tmp_path / "emulator.json"
    running = start_emulator(tmp_path, data=data)
    running.admin.create_bucket("qingstor", "kept")
    assert running.request("qingstor", "PUT", "kept", body=QS_BODY.encode()).status_code == 200
    running.stop(signal.SIGKILL)  # no chance to flush anything on the way out

    [bucket] = json.loads(data.read_text())["buckets"]
    assert (bucket["dialect"], bucket["name"], [rule["id"] for rule in bucket["rules"]]) == ("qingstor", "kept", ["r"])


def test_concurrent_changes_share_file_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writes: list[int] = []
    real_write = datafile.write_atomically
    monkeypatch.setattr(datafile, "write_atomically", lambda path, data: (writes.append(1), real_write(path, data)))
    store, data_file = Store(), DataFile(tmp_path / "emulator.json")

    async def change(index: int) -> None:
        store.create("s3", f"b{index}", "aws")
        await data_file.commit(store)

    async def main() -> None:
        await asyncio.gather(*(change(index) for index in range(50)))

    asyncio.run(main())
    assert len(writes) <= 2
    assert len(DataFile(tmp_path / "emulator.json").load().buckets()) == 50


def test_an_unusable_data_file_is_one_clear_error(tmp_path: Path) -> None:
    data = tmp_path / "emulator.json"
    data.write_text('{"version": 1, "buckets": [{"dialect": "gcs", "name": "x", "rules": []}]}')

    result = run_command("--port", "0", "--data", str(data))
    assert result.returncode == 1
    assert "Emulator data file" in result.stderr and "buckets[0].dialect" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_binary_data_file_is_one_clear_error(tmp_path: Path) -> None:
    data = tmp_path / "emulator.json"
    data.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe binary")

    result = run_command("--port", "0", "--data", str(data))
    assert result.returncode == 1
    assert f"Emulator data file {data} is not UTF-8 JSON" in result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr


def test_a_binary_or_fifo_keys_file_is_one_clear_error(tmp_path: Path) -> None:
    binary = tmp_path / "keys.yaml"
    binary.write_bytes(b"\xff\xfe\x00binary")
    fifo = tmp_path / "keys.json"
    os.mkfifo(fifo)  # reading it would wait for a writer forever

    for path, words in ((binary, "is not UTF-8 text"), (fifo, "not a regular file but a FIFO")):
        result = run_command("--port", "0", "--keys-file", str(path))
        assert result.returncode == 1
        assert words in result.stderr and "Traceback" not in result.stderr


def test_a_data_file_that_cannot_be_written_is_refused_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(tempfile, "TemporaryFile", read_only)
    with pytest.raises(
        ReconcilerError, match=r"Cannot write emulator data file .*emulator.json: Read-only file system"
    ):
        DataFile(tmp_path / "emulator.json").load()


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("keys.yaml", "team-a: secret-a\nteam-b: secret-b\n"),
        ("keys.json", '{"team-a": "secret-a", "team-b": "secret-b"}'),
    ],
)
def test_a_keys_file_replaces_the_default_keys(tmp_path: Path, name: str, text: str) -> None:
    keys = tmp_path / name
    keys.write_text(text)
    running = start_emulator(
        tmp_path, access_key="team-a", secret_key="secret-a", extra_args=["--keys-file", str(keys)]
    )
    try:
        running.admin.create_bucket("s3", "shared")
        assert running.request("s3", "GET", "shared", access_key="team-b", secret="secret-b").status_code == 200
        refused = running.request("s3", "GET", "shared", access_key="emulator-access-key", secret="emulator-secret-key")
        assert refused.status_code == 403
    finally:
        running.stop()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--access-key", "only-the-key"], "--access-key and --secret-key must be given together"),
        (["--keys-file", "/nonexistent/keys.yaml"], "Cannot read keys file"),
        (["--port", "70000"], "is not a TCP port"),
    ],
)
def test_bad_options_are_one_clear_error(args: list[str], words: str) -> None:
    result = run_command("--port", "0", *args) if "--port" not in args else run_command(*args)

    assert result.returncode == 1
    assert words in result.stderr
    assert "Traceback" not in result.stderr


def test_a_port_in_use_is_one_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = run_command("--port", str(taken.getsockname()[1]))

    assert result.returncode == 1
    assert "Cannot listen on 127.0.0.1" in result.stderr
