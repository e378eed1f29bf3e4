"""Secrets never reach the -v log (issue 11): credential values are scrubbed by value from every
logged header and body, whatever its format, including a server's echo of our canonical request."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from reconciler.providers.http import log
from tests.commands.conftest import Project
from tests.commands.dialects import BY_NAME
from tests.support.emulator import RunningEmulator

TOKEN = "session-token-value-never-logged"


@pytest.fixture(autouse=True)
def debug_log_off_afterwards() -> Iterator[None]:
    """`-v` switches the process-wide HTTP log on; the next test in this process must not see it."""
    yield
    for handler in list(log.handlers):
        log.removeHandler(handler)
    log.setLevel(logging.NOTSET)

WRONG_SECRET = "wrong-secret-key-never-logged"


def test_an_echoed_canonical_request_does_not_leak_the_session_token(
    project: Project, emulated: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = BY_NAME["aws"]
    case.create(emulated, "echo")
    project.configure({case.name: case.provider(emulated)}, [case.bucket("echo", case.rule)])
    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", WRONG_SECRET)

    result = project.cli("plan", "-v")

    assert result.code == 1
    assert "SignatureDoesNotMatch" in result.output or "signature" in result.output.lower()
    assert "CanonicalRequest" in result.output  # the server's echo is logged...
    assert "x-amz-security-token" in result.output  # ...with the header's name...
    assert TOKEN not in result.output and WRONG_SECRET not in result.output  # ...but never the values
    assert "(sensitive value)" in result.output
