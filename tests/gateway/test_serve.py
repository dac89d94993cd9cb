"""The gateway as `make run` starts it (python -m bot.gateway.serve): a client that never finishes its request's
headers is disconnected after GATEWAY_HEADER_TIMEOUT_SECONDS, while ordinary requests are answered."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from bot.cli.stack import free_port
from tests.support.paths import ROOT
from tests.support.waiting import eventually


@pytest.fixture
def gateway(tmp_path):
    port = free_port()
    env = {**os.environ, "GATEWAY_HEADER_TIMEOUT_SECONDS": "1", "SESSION_SECRET": "s", "RASA_TOKEN": "t",
           "RASA_URL": f"http://127.0.0.1:{free_port()}", "ACTION_SERVER_URL": f"http://127.0.0.1:{free_port()}",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    process = subprocess.Popen([sys.executable, "-m", "bot.gateway.serve", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def listening() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False

    assert eventually(listening, timeout=60), "the gateway did not start"
    yield port
    process.terminate()
    process.wait(15)


def test_a_request_whose_headers_never_finish_is_cut_off(gateway):
    with socket.create_connection(("127.0.0.1", gateway), timeout=30) as slow:
        slow.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")  # and nothing more
        assert slow.recv(1024) == b""  # closed by the gateway, well before this socket's own 30 s
    with socket.create_connection(("127.0.0.1", gateway), timeout=30) as silent:
        assert silent.recv(1024) == b""  # a connection that sends nothing at all is closed too
    with socket.create_connection(("127.0.0.1", gateway), timeout=30) as normal:
        normal.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        assert normal.recv(1024).startswith(b"HTTP/1.1 200")
