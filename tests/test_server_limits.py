"""Server limits against slow and greedy clients: headers and bodies that dribble in are cut
off at their deadlines, the service keeps answering others meanwhile, and beyond the connection
cap a request gets 503 at once. Bounded: each test ends within seconds."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import RULES
from test_server_support import Site, rows, site  # noqa: F401


@pytest.fixture
def server(site: Site, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A real uvicorn server with a 1 s header and body deadline and a cap of 40 connections."""
    from triage.server import create_app
    from triage.server import runner

    monkeypatch.setattr(runner, "HEADER_TIMEOUT", 1.0)
    monkeypatch.setattr(runner, "BODY_TIMEOUT", 1.0)
    monkeypatch.setattr(runner, "MAX_CONNECTIONS", 40)
    with runner.BackgroundServer(create_app(site.db, RULES, secret_key="limits")) as running:
        yield running


def _open(server: Any, first: bytes = b"") -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    if first:
        sock.sendall(first)
    return sock


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    """Whether the server closes the socket (recv gives b'' or a reset) within ``seconds``."""
    sock.settimeout(seconds)
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False
    finally:
        sock.close()


def _get(server: Any, path: str = "/healthz") -> int:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(server.url + path, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_slow_headers_are_cut_off_and_others_are_served(server: Any) -> None:
    """30 connections that send half a request line and stop are closed within the header deadline,
    while a normal client is answered throughout."""
    slow = [_open(server, b"POST /v1/assess HTTP/1.1\r\nHost: x\r\nX-Slow: ") for _ in range(30)]
    started = time.monotonic()
    assert _get(server) == 200
    assert all(_closed_within(sock, 4.0) for sock in slow)
    assert time.monotonic() - started < 5.0


def test_a_silent_connection_is_closed(server: Any) -> None:
    """A connection that never sends a byte is closed after the header deadline."""
    assert _closed_within(_open(server), 4.0)


def test_a_slow_body_is_cut_off_and_nothing_is_logged(server: Any, site: Site) -> None:
    """A request whose body stops half-way is closed at the body deadline; no decision is logged."""
    sock = _open(server, b"POST /v1/assess HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + site.key.encode()
                 + b"\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"received_date\": ")
    assert _closed_within(sock, 4.0)
    assert rows(site.db) == 0


def test_a_kept_alive_connection_must_send_its_next_request_in_time(server: Any) -> None:
    """After a response, a kept-alive connection that dawdles over its next headers is closed."""
    sock = _open(server, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    sock.settimeout(5)
    assert sock.recv(65536).startswith(b"HTTP/1.1 200")
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHo")
    assert _closed_within(sock, 4.0)


def test_beyond_the_connection_cap_a_request_gets_503_at_once(server: Any) -> None:
    """With 40 connections held open, a new request is answered 503 immediately; once the idle
    ones are cut off at the header deadline, requests are served again."""
    held = [_open(server, b"GET /healthz HTTP/1.1\r\n") for _ in range(40)]
    time.sleep(0.2)
    try:
        assert _get(server) == 503
        deadline = time.monotonic() + 5
        while _get(server) != 200:
            assert time.monotonic() < deadline, "the held connections were never cut off"
            time.sleep(0.2)
    finally:
        for sock in held:
            sock.close()
