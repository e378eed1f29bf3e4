"""Long reads and writes are never silent: where no bar can be drawn (a CI log, a pipe), a
heartbeat line goes to stderr every --heartbeat seconds; stdout stays the plan alone."""

from __future__ import annotations

from tests.commands.dialects import BY_NAME


def test_heartbeat_lines_on_stderr_while_a_slow_endpoint_answers(project, emulated):
    qs = BY_NAME["qs"]
    qs.create(emulated, "slow")
    project.configure({"qs": qs.provider(emulated)}, [qs.bucket("slow", qs.rule)])
    emulated.admin.set_faults(bucket="slow", latency_ms=1500)  # thirty heartbeats' worth

    result = project.cli("plan", "--heartbeat", "50ms")

    assert result.code == 0, result.output
    assert "plan: reading: 0 of 1 bucket done, " in result.err
    assert "bucket done" not in result.out and "Plan: 1 to add" in result.out


def test_no_heartbeat_when_turned_off(project, emulated):
    qs = BY_NAME["qs"]
    qs.create(emulated, "slow")
    project.configure({"qs": qs.provider(emulated)}, [qs.bucket("slow", qs.rule)])
    emulated.admin.set_faults(bucket="slow", latency_ms=300)

    result = project.cli("apply", "--auto-approve", "--heartbeat", "0")

    assert result.code == 0, result.output
    assert "bucket done" not in result.err
