"""The Ceph test cluster itself: it serves S3 and topics, delivers events, and leaves nothing behind."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.ceph import EventSink, GatewayUnavailable, RadosGateway, start_gateway, stop_gateway

pytestmark = pytest.mark.ceph


def _running(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _cluster_pids(gateway: RadosGateway) -> list[int]:
    """mon, osd, radosgw and the watchdog."""
    run = gateway.base / "run"
    return [int(path.read_text()) for path in [*run.glob("*.fpid"), *run.glob("*.wpid")]]


def test_gateway_serves_notifications_and_pushes_events_to_the_sink(
    rados_gateway: RadosGateway, event_sink: EventSink, ceph_topics: dict[str, str], ceph_bucket: str
) -> None:
    s3 = rados_gateway.boto3_client("s3")
    configuration = {"Id": "fixture-check", "TopicArn": ceph_topics["alpha"], "Events": ["s3:ObjectCreated:*"]}
    s3.put_bucket_notification_configuration(
        Bucket=ceph_bucket, NotificationConfiguration={"TopicConfigurations": [configuration]}
    )
    s3.put_object(Bucket=ceph_bucket, Key="fixture-check.txt", Body=b"x")

    # non-persistent topics push inside the object PUT, so the record is already here
    [record] = [r for r in event_sink.records("alpha") if r["s3"]["bucket"]["name"] == ceph_bucket]
    assert record["s3"]["configurationId"] == "fixture-check"
    assert record["s3"]["object"]["key"] == "fixture-check.txt"
    assert ceph_topics["alpha"] == "arn:aws:sns:default::alpha"


def test_stopping_a_gateway_kills_its_daemons_and_removes_its_directory(tmp_path: Path) -> None:
    gateway = start_gateway(tmp_path)
    pids = _cluster_pids(gateway)
    assert len(pids) == 4 and all(_running(pid) for pid in pids)

    stop_gateway(gateway)

    assert not any(_running(pid) for pid in pids)
    assert not gateway.base.exists()


def test_a_gateway_is_stopped_when_its_owner_process_dies(tmp_path: Path) -> None:
    owner = subprocess.Popen(["sleep", "600"])
    try:
        gateway = start_gateway(tmp_path, owner_pid=owner.pid)
        pids = _cluster_pids(gateway)
        assert all(_running(pid) for pid in pids)
    finally:
        owner.kill()
        owner.wait()

    deadline = time.monotonic() + 30  # the watchdog polls every 0.5 s; this only bounds a hang
    while any(_running(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_running(pid) for pid in pids)
    for pid in pids:  # re-parented to this process (see start_gateway): reap them
        os.waitpid(pid, 0)


def test_missing_packages_fail_with_the_install_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing to run on this PATH

    with pytest.raises(GatewayUnavailable, match=r"radosgw.* not installed") as raised:
        start_gateway(tmp_path / "never")

    assert "apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd" in str(raised.value)
    assert not (tmp_path / "never").exists()
