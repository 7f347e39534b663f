"""The ASGI application: the JSON API under /v1, the managers' pages, and /healthz.

Starlette: a small, well-kept ASGI toolkit. The service validates input with the library's
own validator (the CLI's field-naming messages), so it needs routing, sessions and a test
client, not a framework that validates bodies itself.

    from triage.server import create_app
    app = create_app(db="triage.db")        # serve with any ASGI server; `triage serve` uses uvicorn
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from triage.contract.errors import Problem
from triage.rules.ruleset import RuleSet

from .access import RequestLog
from .api import JsonApi
from .auth import key_hash
from .backend import Backend
from .http import errors_body
from .pages import Pages

# The cookie outlives a session (which ends on the server after pages.SESSION_HOURS, or at
# sign-out) so that the browser remembers the names it signed in as: those sign in even while
# a name is locked by someone else's wrong guesses.
COOKIE_DAYS = 90
KEY_CACHE_SECONDS = 5.0  # a revoked key stops working within this time
SECRET_ENV = "TRIAGE_SECRET_KEY"

_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


class SecurityHeaders:
    """Headers every response gets unless it sets its own: no framing, no sniffing, and no
    caching of personal data."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _PAGE_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
                if "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, with_headers)


class ApiKeyAuth:
    """Every /v1 request needs ``Authorization: Bearer KEY`` with a live key (401 otherwise,
    before the body is read). Verified keys are remembered for a few seconds."""

    def __init__(self, app: ASGIApp, backend: Backend) -> None:
        self.app = app
        self.backend = backend
        self._seen: dict[str, tuple[str, float]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        import time

        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = Headers(scope=scope).get("authorization", "")
        scheme, _, token = header.partition(" ")
        name = None
        if scheme.lower() == "bearer" and token.strip():
            digest = key_hash(token.strip())
            cached = self._seen.get(digest)
            now = time.monotonic()
            if cached and now - cached[1] < KEY_CACHE_SECONDS:
                name = cached[0]
            else:
                name = await self.backend.read(lambda: self.backend.tables().key_name(digest))
                if name is not None:
                    self._seen[digest] = (name, now)
                else:
                    self._seen.pop(digest, None)
        if name is None:
            message = ("send an API key: Authorization: Bearer KEY (keys come from `triage keys add NAME`)"
                       if not header else "not a valid API key (it may have been revoked); check the Authorization header")
            response = JSONResponse(errors_body([Problem("Authorization", message)]), 401,
                                    headers={"WWW-Authenticate": 'Bearer realm="triage"'})
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})["api_key"] = name
        await self.app(scope, receive, send)


def _session_secret(secret_key: str | None) -> str:
    """The key that signs session cookies: given, else ``TRIAGE_SECRET_KEY``, else random
    (then managers sign in again after a restart)."""
    return secret_key or os.environ.get(SECRET_ENV) or secrets.token_urlsafe(32)


async def _http_error(request: Request, exc: Exception) -> Response:
    status = int(getattr(exc, "status_code", 500))
    headers = dict(getattr(exc, "headers", None) or {})
    path = request.url.path
    words = {404: "no such page or endpoint", 405: "method not allowed"}.get(status, str(getattr(exc, "detail", "")))
    if path.startswith("/v1/") or path == "/healthz":
        return JSONResponse(errors_body([Problem("", f"{words}: {request.method} {path}")]), status,
                            headers=headers or None)
    return HTMLResponse(f"<!doctype html><html lang=\"en-GB\"><head><meta charset=\"utf-8\"><title>{status} - "
                        f"triage</title></head><body><main><h1>{words.capitalize()}</h1><p><a href=\"/decisions\">"
                        f"Go to the decision log</a></p></main></body></html>", status)


async def _client_gone(request: Request, exc: Exception) -> Response:
    """The client went away, or was cut off by the body deadline (``runner.BODY_TIMEOUT``),
    before its request arrived: nothing was done; the answer goes nowhere."""
    return Response(status_code=408)


async def _server_error(request: Request, exc: Exception) -> Response:
    """An unexpected failure (a bug): a plain 500 in the caller's format; the traceback goes to
    the server's log, never to the client."""
    message = "the server failed unexpectedly; the error is in the server's log"
    if request.url.path.startswith("/v1/") or request.url.path == "/healthz":
        return JSONResponse(errors_body([Problem("", message)]), 500)
    return HTMLResponse("<!doctype html><html lang=\"en-GB\"><head><meta charset=\"utf-8\"><title>Error - triage</title>"
                        f"</head><body><main><h1>Something went wrong</h1><p>{message.capitalize()}.</p>"
                        "<p><a href=\"/decisions\">Go to the decision log</a></p></main></body></html>", 500)


def create_app(db: str | Path | None = None, rules: RuleSet | str | Path | None = None, *,
               secret_key: str | None = None, https_only: bool = False, request_log: bool = False) -> Starlette:
    """The whole service on one log: API, pages and health check.

    ``db``: the decision log (default ``TRIAGE_DB`` or ./triage.db); ``rules``: the rules
    directory or RuleSet; ``secret_key``: signs session cookies; ``https_only``: send the
    session cookie over HTTPS only (set it behind a TLS proxy); ``request_log``: one JSON
    line per request on standard output (``access``)."""
    backend = Backend(db, rules)
    api, pages = JsonApi(backend), Pages(backend)

    async def health(request: Request) -> Response:
        def check() -> int:
            return int(next(backend.log().query("SELECT 1 AS ok"))["ok"])
        try:
            await backend.read(check)
        except Exception:
            return JSONResponse(errors_body([Problem("", "the decision log cannot be read")]), 503)
        return JSONResponse({"status": "ok"})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await backend.write(backend.warm)
        try:
            yield
        finally:
            backend.close()

    session = Middleware(SessionMiddleware, secret_key=_session_secret(secret_key), session_cookie="triage_session",
                         max_age=COOKIE_DAYS * 24 * 3600, same_site="lax", https_only=https_only)
    routes: list[Any] = [
        Route("/healthz", health, methods=["GET"]),
        Mount("/v1", routes=api.routes(), middleware=[Middleware(ApiKeyAuth, backend=backend)]),
        Mount("", routes=pages.routes(), middleware=[session]),
    ]
    outer = [Middleware(RequestLog)] if request_log else []
    app = Starlette(routes=routes, middleware=[*outer, Middleware(SecurityHeaders)],
                    exception_handlers={HTTPException: _http_error, ClientDisconnect: _client_gone,
                                        Exception: _server_error}, lifespan=lifespan)
    app.state.backend = backend
    return app
