"""The request log: one JSON object per line on standard output, which journald, syslog
forwarders and log collectors read as they are.

    {"time": "2026-12-04T19:20:01.123Z", "remote": "203.0.113.7", "method": "POST",
     "path": "/v1/assess", "status": 200, "ms": 12.4, "bytes": 812, "api_key": "eform"}

The query string is never logged (a search on the decision log may hold a name), nor any
header or body. ``remote`` is the client's address as uvicorn gives it: behind a reverse
proxy, the forwarded address when the proxy is trusted (``--forwarded-allow-ips``).
"""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime, timezone
from typing import IO, Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class RequestLog:
    """ASGI middleware writing one JSON line per HTTP request once its response is sent."""

    def __init__(self, app: ASGIApp, stream: IO[str] | None = None) -> None:
        self.app = app
        self.stream = stream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        # Read before the app runs: routing rewrites the scope's paths as it mounts.
        request = (scope.get("client"), scope.get("method"), scope.get("root_path", "") + scope.get("path", ""))
        sent: dict[str, Any] = {"status": 500, "bytes": 0}

        async def counting(message: Message) -> None:
            if message["type"] == "http.response.start":
                sent["status"] = message["status"]
            elif message["type"] == "http.response.body":
                sent["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, counting)
        finally:
            self.write(scope, request, sent["status"], sent["bytes"], (time.perf_counter() - start) * 1000)

    def write(self, scope: Scope, request: tuple[Any, Any, str], status: int, size: int, ms: float) -> None:
        client, method, path = request
        entry: dict[str, Any] = {
            "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "remote": client[0] if client else None,
            "method": method,
            "path": path,
            "status": status,
            "ms": round(ms, 1),
            "bytes": size,
        }
        api_key = (scope.get("state") or {}).get("api_key")
        if api_key:
            entry["api_key"] = api_key
        stream = self.stream or sys.stdout
        stream.write(json.dumps(entry, separators=(", ", ": ")) + "\n")
        stream.flush()
