"""Small HTTP helpers shared by the JSON API and the pages: errors, query parameters, bodies.

Errors keep the library's shape: an ``InputError``'s problems become
``{"errors": [{"field": ..., "message": ...}]}`` with the same field paths and messages the
CLI prints, so the eForm team and officers read the same words.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from triage.contract.errors import InputError, NotFoundError, Problem, StoreError, TriageError
from triage.contract.hints import suggest
from triage.contract.validation import MAX_INPUT_BYTES, day_problem, decode


class HttpProblem(Exception):
    """An error with its HTTP status and the problems to report."""

    def __init__(self, status: int, problems: list[Problem], headers: Mapping[str, str] | None = None) -> None:
        self.status = status
        self.problems = problems
        self.headers = dict(headers or {})
        super().__init__("; ".join(str(p) for p in problems))


def errors_body(problems: list[Problem]) -> dict[str, Any]:
    return {"errors": [{"field": p.field, "message": p.message} for p in problems]}


def status_of(exc: TriageError) -> int:
    """The HTTP status for a library error (the CLI's exit status, in HTTP's words)."""
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, StoreError):
        return 503
    return 422 if exc.exit_code == 2 else 500


_OPTION = re.compile(r"^--([a-z][a-z-]*): (.*)$", re.S)


def problems_of(exc: TriageError, field: str = "") -> list[Problem]:
    """The problems of an error; a CLI-worded "--year: ..." names the parameter ``year``."""
    if isinstance(exc, InputError):
        return list(exc.problems)
    out = []
    for line in exc.lines():
        m = _OPTION.match(line)
        out.append(Problem(m.group(1).replace("-", "_"), m.group(2)) if m else Problem(field, line))
    return out


def error_response(exc: Exception, *, field: str = "") -> JSONResponse:
    """The JSON error response for a library or HTTP error."""
    if isinstance(exc, HttpProblem):
        return JSONResponse(errors_body(exc.problems), exc.status, headers=exc.headers or None)
    if isinstance(exc, TriageError):
        return JSONResponse(errors_body(problems_of(exc, field)), status_of(exc))
    raise exc


class JsonText(str):
    """Text that is JSON already (written by pydantic): ``dumps`` passes it through as it is."""


def dumps(value: Any) -> str:
    if isinstance(value, JsonText):
        return str(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def json_response(value: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(dumps(value), status, headers=dict(headers or {}), media_type="application/json")


# ----------------------------------------------------------------------------- query parameters

class Query:
    """Typed query parameters; an unknown name or a bad value is an InputError naming it."""

    def __init__(self, request: Request, allowed: tuple[str, ...]) -> None:
        self.params = request.query_params
        problems = []
        for name in self.params:
            if name not in allowed:
                hint = suggest(name, allowed) or f" (known: {', '.join(allowed) or 'none'})"
                problems.append(Problem(name, f"unknown query parameter{hint}"))
        if problems:
            raise InputError(problems)

    def text(self, name: str) -> str | None:
        value = self.params.get(name)
        return value.strip() or None if value is not None else None

    def flag(self, name: str) -> bool:
        value = self.text(name)
        if value is None:
            return False
        if value.lower() in ("1", "true", "yes", "on"):
            return True
        if value.lower() in ("0", "false", "no", "off"):
            return False
        raise InputError([Problem(name, f"{value!r} is not true or false")])

    def integer(self, name: str, *, low: int, high: int | None = None) -> int | None:
        value = self.text(name)
        if value is None:
            return None
        try:
            number = int(value)
        except ValueError:
            raise InputError([Problem(name, f"{value!r} is not a whole number")]) from None
        if number < low or (high is not None and number > high):
            span = f"from {low} to {high}" if high is not None else f"{low} or more"
            raise InputError([Problem(name, f"{number} is out of range; give a number {span}")])
        return number

    def day(self, name: str) -> date | None:
        value = self.text(name)
        if value is None:
            return None
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise InputError([Problem(name, f"{value!r} is not a date; write it as YYYY-MM-DD, "
                                            "e.g. 2025-03-14")]) from None
        problem = day_problem(day, name)
        if problem is not None:
            raise InputError([problem])
        return day

    def choice(self, name: str, options: tuple[str, ...]) -> str | None:
        value = self.text(name)
        if value is not None and value not in options:
            hint = suggest(value, options) or f" (one of: {', '.join(options)})"
            raise InputError([Problem(name, f"{value!r} is not a valid value{hint}")])
        return value


# ----------------------------------------------------------------------------- bodies

async def read_body(request: Request) -> bytes:
    """The request body, read no further than the input size limit (413 beyond it)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_INPUT_BYTES:
        _too_large()
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_INPUT_BYTES:
            _too_large()
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large() -> None:
    try:
        decode(b" " * (MAX_INPUT_BYTES + 1), "the request body")
    except InputError as exc:  # the CLI's own wording
        raise HttpProblem(413, exc.problems) from None


def decode_body(body: bytes) -> Any:
    return decode(body, "the request body")
