"""Suite-wide guards. Servers (moto, the emulator, Ceph RGW) are started by fixtures in
tests/support; every test may talk only to loopback."""

from __future__ import annotations

import ipaddress
import socket

import pytest

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _is_loopback(address: object) -> bool:
    if not isinstance(address, tuple):  # AF_UNIX paths and the like
        return True
    host = address[0]
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guarded(real):
    def connect(self, address):  # type: ignore[no-untyped-def]
        if not _is_loopback(address):
            raise AssertionError(f"test tried to reach {address!r}: tests may only talk to loopback")
        return real(self, address)

    return connect


@pytest.fixture(autouse=True, scope="session")
def _only_loopback():
    socket.socket.connect = _guarded(_real_connect)  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded(_real_connect_ex)  # type: ignore[method-assign]
    yield
    socket.socket.connect = _real_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    """No test reads the developer's real credentials or writes into their home."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "QY_ACCESS_KEY_ID",
        "QY_SECRET_ACCESS_KEY",
        "QINGSTOR_ACCESS_KEY_ID",
        "QINGSTOR_SECRET_ACCESS_KEY",
        "AWS_SECURITY_TOKEN",
        "BCE_ACCESS_KEY_ID",
        "BCE_SECRET_ACCESS_KEY",
        "NO_COLOR",
        "RECONCILER_STATE",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_S3",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "PGPASSWORD",
        "PGPASSFILE",
        # botocore's chain (s3 providers): files, roles and metadata endpoints only when a test sets them
        "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
        "AWS_EC2_METADATA_SERVICE_ENDPOINT",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
        "BCE_SESSION_TOKEN",
        "FORCE_COLOR",
        "CLICOLOR_FORCE",
    ):
        monkeypatch.delenv(name, raising=False)
    # no test asks the link-local instance metadata service (tests that do set a loopback endpoint)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(autouse=True)
def _unit_tests_stay_in_process(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A test marked `unit` runs alone (`pytest -m unit`): no server, no connection, no subprocess."""
    if request.node.get_closest_marker("unit") is None:
        return
    import subprocess

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a test marked unit must not connect anywhere or start a process; drop the marker")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(subprocess.Popen, "__init__", refuse)
