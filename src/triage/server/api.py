"""The JSON API for the eForm backend, under /v1 (every endpoint needs an API key).

Each endpoint is a thin wrapper over one library call (``triage.api``, ``triage.cases.workflow``,
``triage.report``) run on the backend's threads. POST endpoints honour ``Idempotency-Key``:
the first response to a key is kept and given again to a retry with the same body
(``Idempotent-Replayed: true``); the same key with a different body is refused (409).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import re
from collections.abc import Callable
from datetime import date
from types import ModuleType
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from triage.contract import vocab
from triage.contract.errors import InputError, Problem, TriageError
from triage.contract.validation import decode

from .backend import Backend
from .http import HttpProblem, JsonText, Query, decode_body, dumps, error_response, json_response, read_body

IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # printable ASCII, no spaces


def report_module() -> ModuleType | None:
    """``triage.report`` (the annual report), or None while it is not installed."""
    try:
        return importlib.import_module("triage.report")
    except ModuleNotFoundError as exc:
        if exc.name in ("triage.report",):
            return None
        raise


def _fingerprint(request: Request, body: bytes) -> str:
    """What a retry must repeat: the endpoint, the query and the body (as JSON, so key
    order and spacing do not matter)."""
    try:
        canonical = json.dumps(decode(body), sort_keys=True, separators=(",", ":"))
    except InputError:
        canonical = body.decode("utf-8", "replace")
    text = f"{request.url.path}?{sorted(request.query_params.multi_items())}\n{canonical}"
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


class JsonApi:
    """The /v1 endpoints over one Backend."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def routes(self) -> list[Route]:
        return [
            Route("/assess", self.assess, methods=["POST"]),
            Route("/events", self.events, methods=["POST"]),
            Route("/cases/{reference}", self.case, methods=["GET"]),
            Route("/due", self.due, methods=["GET"]),
            Route("/report/{year}", self.report, methods=["GET"]),
            Route("/schema", self.schema, methods=["GET"]),
            Route("/openapi.json", self.openapi, methods=["GET"]),
        ]

    # ------------------------------------------------------------------ submissions

    async def assess(self, request: Request) -> Response:
        """POST /v1/assess: validate, decide and log one representation (docs/reference.md: a representation -> a decision)."""
        try:
            letters = Query(request, ("letters",)).flag("letters")
            body = await read_body(request)
            return await self._idempotent(request, body, lambda: self._assess(body, letters))
        except (TriageError, HttpProblem) as exc:
            return error_response(exc)

    def _assess(self, body: bytes, letters: bool) -> tuple[int, Any]:
        from triage import api

        raw = decode_body(body)
        decision = api.assess(raw, db=self.backend.log(), rules=self.backend.rules)
        if not (letters and decision.letters):
            # pydantic writes the JSON itself: the same bytes as dumps(model_dump(mode="json")),
            # without building the dict first (checked on 10,000 generated cases)
            return 200, JsonText(decision.model_dump_json())
        out = decision.model_dump(mode="json")
        case = {**raw, "reference": decision.reference} if isinstance(raw, dict) else raw
        try:
            drafts = {d.template: d for d in api.draft_letters(decision, case, rules=self.backend.rules)}
        except TriageError as exc:
            raise HttpProblem(500, [Problem("letters", f"{decision.decision_id} was logged, but its letters could "
                                                       f"not be drafted: {exc}")]) from None
        out["letters"] = [{**x, "text": drafts[x["template"]].text, "html": drafts[x["template"]].html}
                          for x in out["letters"]]
        return 200, out

    async def events(self, request: Request) -> Response:
        """POST /v1/events: record one lifecycle event (docs/reference.md, "A lifecycle event")."""
        try:
            Query(request, ())
            body = await read_body(request)
            return await self._idempotent(request, body, lambda: self._record(body))
        except (TriageError, HttpProblem) as exc:
            return error_response(exc)

    def _record(self, body: bytes) -> tuple[int, Any]:
        from triage.cases import workflow

        result = workflow.record(decode_body(body), db=self.backend.log(), rules=self.backend.rules)
        return 200, result.to_dict()

    async def _idempotent(self, request: Request, body: bytes, work: Callable[[], tuple[int, Any]]) -> Response:
        """Run ``work`` on the writer thread, once per Idempotency-Key, sharing a commit with
        the submissions waiting beside it (``backend.Backend.submit``)."""
        key = request.headers.get("idempotency-key")
        if key is None:
            status, payload = await self.backend.submit(work)
            return json_response(payload, status)
        if not IDEMPOTENCY_KEY.match(key):
            raise HttpProblem(422, [Problem("Idempotency-Key", "give 1 to 255 printable ASCII characters without "
                                                               "spaces, e.g. a UUID")])
        scope = f"{request.state.api_key}:{request.url.path}"
        fingerprint = _fingerprint(request, body)

        def once() -> tuple[int, str, bool]:
            tables = self.backend.tables()
            stored = tables.stored_response(scope, key)
            if stored is None:
                status, payload = work()  # an error stores nothing: the client may fix and retry
                text = dumps(payload)
                stored = tables.store_response(scope, key, fingerprint, status, text)
                if stored.fingerprint == fingerprint and stored.body == text:
                    return status, text, False
            if stored.fingerprint != fingerprint:
                raise HttpProblem(409, [Problem("Idempotency-Key", "this key was already used for a different "
                                                                   "request; use a new key for a new submission")])
            return stored.status, stored.body, True

        # Every write runs on the one writer thread, so a retry arriving while the first
        # attempt is still running waits for it and then gets its response.
        status, text, replayed = await self.backend.submit(once)
        headers = {"Idempotent-Replayed": "true"} if replayed else {}
        return Response(text, status, headers=headers, media_type="application/json")

    # ------------------------------------------------------------------ reading

    async def case(self, request: Request) -> Response:
        """GET /v1/cases/{reference}: the case's timeline, decisions, events and deadlines."""
        from triage.cases import workflow

        try:
            today = Query(request, ("today",)).day("today") or date.today()
            reference = request.path_params["reference"]
            report = await self.backend.read(
                lambda: workflow.case_report(self.backend.log(), self.backend.rules, reference, today))
            return json_response(report)
        except (TriageError, HttpProblem) as exc:
            return error_response(exc, field="reference")

    async def due(self, request: Request) -> Response:
        """GET /v1/due: open cases with their next deadline, soonest first."""
        from triage.cases import workflow

        try:
            q = Query(request, ("within", "overdue", "procedure", "today"))
            within, overdue = q.integer("within", low=0), q.flag("overdue")
            procedure, today = q.choice("procedure", vocab.PROCEDURES), q.day("today") or date.today()
            rows = await self.backend.read(lambda: workflow.due(
                self.backend.log(), self.backend.rules, today, within=within, overdue=overdue, procedure=procedure))
            return json_response(rows)
        except (TriageError, HttpProblem) as exc:
            return error_response(exc)

    async def report(self, request: Request) -> Response:
        """GET /v1/report/{year}: the annual report (docs/reference.md, "The annual report")."""
        try:
            q = Query(request, ("years", "basis", "suppress_below"))
            years = q.integer("years", low=1, high=10) or 3
            basis = q.choice("basis", ("received", "resolved")) or "received"
            suppress = q.integer("suppress_below", low=1)
            module = report_module()
            if module is None:
                raise HttpProblem(501, [Problem("", "the annual report (triage.report) is not installed in this "
                                                    "version of triage")])
            year = request.path_params["year"]
            kwargs = {"suppress_below": suppress} if suppress else {}
            built = await self.backend.read(lambda: module.build(self.backend.log(), self.backend.rules, year=year,
                                                                 years=years, basis=basis, **kwargs))
            return json_response(built)
        except (TriageError, HttpProblem) as exc:
            return error_response(exc, field="year")

    async def schema(self, request: Request) -> Response:
        """GET /v1/schema: the JSON Schema of a representation, with the served rules' taxonomy."""
        from triage.api import schema

        return json_response(schema(self.backend.rules))

    async def openapi(self, request: Request) -> Response:
        """GET /v1/openapi.json: this API described as OpenAPI 3.1."""
        from .openapi import document_for

        return json_response(document_for(self.backend.rules))
