"""Running the app with uvicorn (the only module that imports it): in the foreground for
`triage serve`, or in a background thread for tests and benchmarks.

Limits against slow and greedy clients (uvicorn has no timeout on a request's headers or body,
so a client that sends them a byte at a time holds a connection forever):

- ``HEADER_TIMEOUT``: a connection must send a whole request line and headers within this
  many seconds of opening (or of the previous response); else it is closed.
- ``BODY_TIMEOUT``: the body must arrive within this many seconds of the headers; else the
  connection is closed (the request gets no answer and nothing is logged).
- ``MAX_CONNECTIONS``: beyond this many open connections, a new request is answered 503 at
  once (uvicorn's ``limit_concurrency``) until others close.
- Headers are at most 16 KiB (h11's default) and a body at most the input size limit (413).
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT = 10.0
BODY_TIMEOUT = 30.0
MAX_CONNECTIONS = 200
KEEP_ALIVE = 5


class TimedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with deadlines for a request's headers and for its body."""

    def connection_made(self, transport: Any) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._deadline: Any = None
        self._cycles = 0
        self._await_headers()

    def _await_headers(self) -> None:
        self._arm(HEADER_TIMEOUT, self._cycles, headers=True)

    def _arm(self, seconds: float, cycle: int, *, headers: bool) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = self.loop.call_later(seconds, self._expire, cycle, headers)

    def _expire(self, cycle: int, headers: bool) -> None:
        """Close the connection when it is still where it was when the deadline was set."""
        self._deadline = None
        if self.transport.is_closing():
            return
        if headers and self._cycles == cycle:  # no request started since
            self.transport.close()
        elif not headers and self.cycle is not None and self._cycles == cycle and self.cycle.more_body:
            self.transport.close()  # the body is still arriving

    def handle_events(self) -> None:
        before = self.cycle
        super().handle_events()
        if self.cycle is not None and self.cycle is not before:  # a request's headers are in
            self._cycles += 1
            if self.cycle.more_body:
                self._arm(BODY_TIMEOUT, self._cycles, headers=False)
            elif self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._await_headers()  # a kept-alive connection must send its next request in time

    def connection_lost(self, exc: Exception | None) -> None:
        if getattr(self, "_deadline", None) is not None:
            self._deadline.cancel()
            self._deadline = None
        super().connection_lost(exc)


def _limits() -> dict[str, Any]:
    return {"http": TimedH11Protocol, "limit_concurrency": MAX_CONNECTIONS, "timeout_keep_alive": KEEP_ALIVE,
            "server_header": False}


def run(app: Any, host: str, port: int, *, log_level: str = "info", forwarded_allow_ips: str | None = None,
        access_log: bool = False) -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM stop it cleanly). ``forwarded_allow_ips``: the reverse
    proxies whose X-Forwarded-For and X-Forwarded-Proto are trusted (none by default);
    ``access_log``: uvicorn's own text access log (the service writes a JSON request log itself)."""
    uvicorn.run(app, host=host, port=port, log_level=log_level, proxy_headers=bool(forwarded_allow_ips),
                forwarded_allow_ips=forwarded_allow_ips or "", access_log=access_log,
                timeout_graceful_shutdown=10, **_limits())


class BackgroundServer:
    """A real uvicorn server on 127.0.0.1 in a daemon thread, on a free port.

        with BackgroundServer(app) as server:
            httpx.get(server.url + "/healthz")
    """

    def __init__(self, app: Any, host: str = "127.0.0.1", log_level: str = "warning") -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://{host}:{self.port}"
        config = uvicorn.Config(app, log_level=log_level, timeout_graceful_shutdown=5, **_limits())
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True,
                                       name="triage-uvicorn")

    def __enter__(self) -> BackgroundServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.sock.close()
