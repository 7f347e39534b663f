"""Running the app with uvicorn (the only module that imports it): in the foreground for
`triage serve`, or in a background thread for tests and benchmarks."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Any

import uvicorn


def run(app: Any, host: str, port: int, *, log_level: str = "info", forwarded_allow_ips: str | None = None,
        access_log: bool = False) -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM stop it cleanly).

    ``forwarded_allow_ips``: the reverse proxies whose X-Forwarded-For and X-Forwarded-Proto
    headers are trusted (comma-separated addresses or networks); none by default, so a client
    cannot claim another address. ``access_log``: uvicorn's own text access log (the service writes its
    JSON request log itself)."""
    uvicorn.run(app, host=host, port=port, log_level=log_level, proxy_headers=bool(forwarded_allow_ips),
                forwarded_allow_ips=forwarded_allow_ips or "", access_log=access_log,
                server_header=False, timeout_graceful_shutdown=10)


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
        config = uvicorn.Config(app, log_level=log_level, server_header=False, timeout_graceful_shutdown=5)
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
