"""The OpenAPI 3.1 document of the /v1 API, with the public models (docs/reference.md) as its schemas.

The schemas come from the same pydantic models that validate input and shape decisions, so
the document cannot drift from what the service accepts and returns.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

from triage import __version__
from triage.contract import vocab
from triage.rules.ruleset import RuleSet

_REF = "#/components/schemas/{model}"


def _schemas() -> dict[str, Any]:
    from pydantic.json_schema import models_json_schema

    from triage.contract.models import Decision, Event, Representation

    _, top = models_json_schema([(Representation, "validation"), (Event, "validation"), (Decision, "serialization")],
                                ref_template=_REF)
    schemas: dict[str, Any] = top["$defs"]
    schemas["Errors"] = {
        "type": "object", "required": ["errors"],
        "properties": {"errors": {"type": "array", "items": {
            "type": "object", "required": ["field", "message"],
            "properties": {"field": {"type": "string", "description": "dotted path of the field ('' for the whole input)"},
                           "message": {"type": "string", "description": "what is wrong and how to fix it"}}}}}}
    schemas["DecisionWithLetters"] = {
        "allOf": [{"$ref": _REF.format(model="Decision")}],
        "description": "A decision; with ?letters=true each entry of `letters` also carries the draft's `text` and `html`.",
    }
    schemas["Recorded"] = {
        "type": "object", "required": ["ok", "added", "event"],
        "properties": {"ok": {"type": "boolean"}, "added": {"type": "boolean",
                                                            "description": "false when the same event was already recorded"},
                       "event": {"type": "object"}, "decision": {"$ref": _REF.format(model="Decision")}}}
    return schemas


def _errors(*codes: int) -> dict[str, Any]:
    words = {401: "No API key, or not a valid one", 404: "No such case", 409: "Idempotency-Key reused with another request",
             413: "Body over 1,000,000 bytes", 422: "Invalid input: one entry per problem, nothing logged",
             501: "Not available in this version", 503: "The decision log could not be used"}
    return {str(c): {"description": words[c], "content": {"application/json": {"schema": {"$ref": _REF.format(model="Errors")}}}}
            for c in codes}


def _ok(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"200": {"description": description, "content": {"application/json": {"schema": schema}}}}


_IDEMPOTENCY = {"name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string", "maxLength": 255},
                "description": "Makes a retried submission return the first response instead of logging again "
                               "(same key, different body: 409). Kept for 7 days."}
_TODAY = {"name": "today", "in": "query", "required": False, "schema": {"type": "string", "format": "date"},
          "description": "Count working days from this date instead of today."}


_with_taxonomy: dict[str, dict[str, Any]] = {}


def document_for(rules: RuleSet) -> dict[str, Any]:
    """The document with the input schemas as ``rules`` make them: the taxonomy's labels as
    enums, and null accepted for optional fields (as `triage schema` gives them)."""
    if rules.hash not in _with_taxonomy:
        from triage.contract.schema import with_taxonomy

        doc = copy.deepcopy(document())
        with_taxonomy(doc["components"]["schemas"], rules)
        _with_taxonomy[rules.hash] = doc
    return _with_taxonomy[rules.hash]


@functools.lru_cache(maxsize=1)
def document() -> dict[str, Any]:
    def ref(model: str) -> dict[str, Any]:
        return {"$ref": _REF.format(model=model)}

    def body(model: str) -> dict[str, Any]:
        return {"required": True, "content": {"application/json": {"schema": ref(model)}}}

    paths = {
        "/v1/assess": {"post": {
            "summary": "Validate, decide and log one representation; the decision",
            "parameters": [_IDEMPOTENCY, {"name": "letters", "in": "query", "required": False, "schema": {"type": "boolean"},
                                          "description": "Include the rendered drafts (text and html) in `letters`."}],
            "requestBody": body("Representation"),
            "responses": {**_ok("The decision, as logged", ref("DecisionWithLetters")), **_errors(401, 409, 413, 422, 503)}}},
        "/v1/events": {"post": {
            "summary": "Record one lifecycle event; some re-assess the case",
            "parameters": [_IDEMPOTENCY], "requestBody": body("Event"),
            "responses": {**_ok("The event as recorded (and the new decision, if any)", ref("Recorded")),
                          **_errors(401, 409, 413, 422, 503)}}},
        "/v1/cases/{reference}": {"get": {
            "summary": "One case: decisions, events, overrides, letters and deadlines",
            "parameters": [{"name": "reference", "in": "path", "required": True, "schema": {"type": "string"}}, _TODAY],
            "responses": {**_ok("The case report", {"type": "object"}), **_errors(401, 404, 422)}}},
        "/v1/due": {"get": {
            "summary": "Open cases with their next deadline, soonest first",
            "parameters": [{"name": "within", "in": "query", "schema": {"type": "integer", "minimum": 0},
                            "description": "Only steps due within N working days."},
                           {"name": "overdue", "in": "query", "schema": {"type": "boolean"}},
                           {"name": "procedure", "in": "query", "schema": {"enum": list(vocab.PROCEDURES)}}, _TODAY],
            "responses": {**_ok("What is due", {"type": "array", "items": {"type": "object"}}), **_errors(401, 422)}}},
        "/v1/report/{year}": {"get": {
            "summary": "The annual report: every table, several years side by side",
            "parameters": [{"name": "year", "in": "path", "required": True, "schema": {"type": "string"},
                            "example": "2024-25"},
                           {"name": "years", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 10}},
                           {"name": "basis", "in": "query", "schema": {"enum": ["received", "resolved"]}},
                           {"name": "suppress_below", "in": "query", "schema": {"type": "integer", "minimum": 1},
                            "description": "For publication: show counts below N as <N."}],
            "responses": {**_ok("The report", {"type": "object"}), **_errors(401, 422, 501)}}},
        "/v1/schema": {"get": {"summary": "The JSON Schema of a representation",
                               "responses": {**_ok("JSON Schema 2020-12", {"type": "object"}), **_errors(401)}}},
        "/v1/openapi.json": {"get": {"summary": "This document",
                                     "responses": {**_ok("OpenAPI 3.1", {"type": "object"}), **_errors(401)}}},
        "/healthz": {"get": {"summary": "Liveness and log check (no API key needed)", "security": [],
                             "responses": {**_ok("Serving", {"type": "object"}), **_errors(503)}}},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "triage", "version": __version__,
                 "description": "Triage of representations to children's services complaints teams: "
                                "decisions from declarative rules, the statutory clock and the decision log."},
        "servers": [{"url": "/"}],
        "security": [{"apiKey": []}],
        "paths": paths,
        "components": {"schemas": _schemas(),
                       "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer",
                                                      "description": "A key from `triage keys add NAME`."}}},
    }
