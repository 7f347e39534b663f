"""`triage serve`: the eForm HTTP API (/v1) and the managers' web pages, on one decision log.

    from triage.server import create_app
    app = create_app(db="triage.db")

Modules: ``app`` (the ASGI application), ``api`` (the /v1 endpoints), ``pages`` (the web
pages), ``auth`` (keys, passwords, CSRF), ``backend`` (threads and connections), ``tables``
(the server's own tables), ``search`` (the log page's query), ``views`` (the case page's
data), ``openapi``, ``http`` (errors and parameters), ``runner`` (uvicorn: the only module
that imports it).
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def create_app(*args: Any, **kwargs: Any) -> Any:
    from .app import create_app as build

    return build(*args, **kwargs)
