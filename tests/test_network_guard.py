import socket

import pytest


def test_non_loopback_connections_are_refused():
    with socket.socket() as s, pytest.raises(AssertionError, match="only talk to loopback"):
        s.connect(("192.0.2.1", 80))  # TEST-NET-1, never routed


def test_loopback_connections_are_allowed():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.socket() as client:
            client.connect(server.getsockname())
