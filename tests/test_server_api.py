"""The /v1 JSON API of `triage serve`: every endpoint, bad input, API keys, idempotent retries."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import RULES
from test_server_support import Site, add_key, app, client, example, rows, site  # noqa: F401

CONTRACT_KEYS = ["decision_id", "reference", "representation_type", "procedure", "disposition", "stage", "reason",
                 "deadlines", "advocacy_offer", "officer_questions", "flags", "rules_fired", "letters", "ruleset",
                 "assessed_at"]

ENDPOINTS = [("POST", "/v1/assess"), ("POST", "/v1/events"), ("GET", "/v1/cases/CS-2025-00017"), ("GET", "/v1/due"),
             ("GET", "/v1/report/2024-25"), ("GET", "/v1/schema"), ("GET", "/v1/openapi.json")]


def _report_available() -> bool:
    from triage.server.api import report_module

    return report_module() is not None


needs_report = pytest.mark.skipif(not _report_available(),
                                  reason="triage.report (the annual report module) is not in this checkout yet")


# ----------------------------------------------------------------------------- health and keys

def test_health_needs_no_key_and_tells_nothing(client: Any) -> None:
    """/healthz answers without a key and says only that the service and its log work."""
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


@pytest.mark.parametrize("method,path", ENDPOINTS)
def test_every_endpoint_but_health_needs_a_key(client: Any, site: Site, method: str, path: str) -> None:
    """Without Authorization every /v1 endpoint is 401 with a Bearer challenge, no data, nothing logged."""
    r = client.request(method, path, json=example() if method == "POST" else None)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == 'Bearer realm="triage"'
    assert r.json() == {"errors": [{"field": "Authorization", "message": "send an API key: Authorization: Bearer KEY "
                                                                         "(keys come from `triage keys add NAME`)"}]}
    assert rows(site.db) == 0


@pytest.mark.parametrize("header", ["Bearer tri_not-a-real-key", "Basic ZWZvcm06c2VjcmV0", "Bearer ", "tri_x"])
def test_a_wrong_key_is_refused(client: Any, site: Site, header: str) -> None:
    """A wrong key, another scheme or an empty token is 401 and logs nothing."""
    r = client.post("/v1/assess", json=example(), headers={"Authorization": header})
    assert r.status_code == 401
    assert r.json()["errors"][0]["message"].startswith("not a valid API key")
    assert rows(site.db) == 0


def test_a_revoked_key_stops_working(client: Any, site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    """Revoking a key (from another connection, as `triage keys revoke` does) ends its access."""
    from triage.log.store import DecisionLog
    from triage.server import app as app_module
    from triage.server.tables import ServerTables

    monkeypatch.setattr(app_module, "KEY_CACHE_SECONDS", 0.0)
    assert client.get("/v1/schema", headers=site.auth).status_code == 200
    ServerTables(DecisionLog(site.db)).revoke_key("eform")
    assert client.get("/v1/schema", headers=site.auth).status_code == 401


# ----------------------------------------------------------------------------- POST /v1/assess

def test_assess_returns_the_contract_decision_and_logs_it(client: Any, site: Site) -> None:
    """A valid representation gets the CONTRACT section 2 decision with its log id, logged once."""
    r = client.post("/v1/assess", json=example(), headers=site.auth)
    assert r.status_code == 200
    d = r.json()
    assert list(d) == CONTRACT_KEYS
    assert (d["decision_id"], d["reference"], d["procedure"], d["disposition"], d["stage"]) == \
           ("d-000001", "CS-2025-00017", "statutory", "accepted", 1)
    assert d["deadlines"] == {"acknowledge_by": "2025-03-19", "respond_by": "2025-03-28", "respond_by_latest": "2025-04-11"}
    assert {"id": "who.parent", "title": "A parent may complain (no consent from the child is needed)",
            "citation": "Children Act 1989 s.26(3)(b)"} in d["rules_fired"]
    assert d["letters"] == [{"template": "ack_statutory_stage1", "audience": "complainant",
                             "title": "Acknowledgement of a statutory complaint (stage 1)"}]
    assert rows(site.db) == 1


def test_assess_with_letters_returns_the_drafts(client: Any, site: Site) -> None:
    """?letters=true adds each draft's text and html to its entry in `letters`; nothing is written to files."""
    r = client.post("/v1/assess?letters=true", json=example(), headers=site.auth)
    assert r.status_code == 200
    (letter,) = r.json()["letters"]
    assert letter["template"] == "ack_statutory_stage1"
    assert "CS-2025-00017" in letter["text"] and "Sam Jones" in letter["text"]
    assert letter["html"].startswith("<!doctype html>") and "Sam Jones" in letter["html"]
    assert rows(site.db, "letters") == 0


def test_assess_without_a_reference_assigns_one(client: Any, site: Site) -> None:
    """A representation without a reference gets a stable one, returned in the decision."""
    case = example()
    del case["reference"]
    first = client.post("/v1/assess", json=case, headers=site.auth).json()
    again = client.post("/v1/assess", json=case, headers=site.auth).json()
    assert first["reference"].startswith("TR-2025-")
    assert again["decision_id"] == first["decision_id"]
    assert rows(site.db) == 1


def test_invalid_input_is_422_with_the_cli_messages_and_logs_nothing(client: Any, site: Site, run: Any, tmp_path: Path) -> None:
    """Bad input names each field with the same message the CLI prints (README example), and logs nothing."""
    case = example()
    case["received_date"] = "2025-02-30"
    case["complainant"]["relationship"] = "grand_parent"
    case["child"]["looked_afer"] = True
    r = client.post("/v1/assess", json=case, headers=site.auth)
    assert r.status_code == 422
    assert r.json() == {"errors": [
        {"field": "received_date", "message": "'2025-02-30' is not a real date; write it as YYYY-MM-DD, e.g. 2025-03-14"},
        {"field": "complainant.relationship", "message": "'grand_parent' is not a valid value; did you mean 'grandparent'?"},
        {"field": "child.looked_afer", "message": "unknown field; did you mean 'looked_after'?"},
    ]}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(case))
    cli = run("assess", str(path))
    assert cli.code == 2
    assert cli.err.splitlines() == [f"error: {e['field']}: {e['message']}" for e in r.json()["errors"]]
    assert rows(site.db) == 0


@pytest.mark.parametrize("body,message", [
    (b"{not json", "the request body is not valid JSON: Expecting property name enclosed in double quotes at line 1, column 2"),
    (b"", "the request body is empty; expected a JSON object (see `triage schema`)"),
    (b"[1, 2]", "expected a JSON object {...} for a representation, got list"),
    (b"\xff\xfe", "the request body is not UTF-8 text (byte 0xff at offset 0); save it as UTF-8 and try again"),
])
def test_a_body_that_is_not_a_representation_is_422(client: Any, site: Site, body: bytes, message: str) -> None:
    """Malformed JSON, an empty body, a JSON array or non-UTF-8 bytes: 422 naming the problem."""
    r = client.post("/v1/assess", content=body, headers={**site.auth, "Content-Type": "application/json"})
    assert r.status_code == 422
    assert r.json() == {"errors": [{"field": "", "message": message}]}
    assert rows(site.db) == 0


def test_a_body_over_the_size_limit_is_413(client: Any, site: Site) -> None:
    """A body over 1,000,000 bytes is refused unread (413) with the CLI's wording."""
    case = example()
    case["about"]["summary"] = "x" * 1_000_001
    r = client.post("/v1/assess", json=case, headers=site.auth)
    assert r.status_code == 413
    assert r.json()["errors"][0]["message"].startswith("the request body is too large: one representation may be at most 1,000,000 bytes")
    assert rows(site.db) == 0


def test_an_unknown_query_parameter_is_named(client: Any, site: Site) -> None:
    """A misspelt query parameter is an error with a suggestion, not silently ignored."""
    r = client.post("/v1/assess?letter=true", json=example(), headers=site.auth)
    assert r.status_code == 422
    assert r.json() == {"errors": [{"field": "letter", "message": "unknown query parameter; did you mean 'letters'?"}]}
    r = client.post("/v1/assess?letters=perhaps", json=example(), headers=site.auth)
    assert r.json() == {"errors": [{"field": "letters", "message": "'perhaps' is not true or false"}]}
    assert rows(site.db) == 0


# ----------------------------------------------------------------------------- Idempotency-Key

def test_a_retry_with_the_same_key_returns_the_first_decision(client: Any, site: Site) -> None:
    """The same Idempotency-Key and body give the first response again (marked as a replay); one row."""
    headers = {**site.auth, "Idempotency-Key": "form-8812-attempt"}
    first = client.post("/v1/assess", json=example(), headers=headers)
    retry = client.post("/v1/assess", content=json.dumps(example(), indent=4), headers=headers)
    assert first.status_code == retry.status_code == 200
    assert "idempotent-replayed" not in first.headers
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json() == first.json()
    assert rows(site.db) == 1


def test_the_same_key_with_another_body_is_409(client: Any, site: Site) -> None:
    """Reusing a key for a different submission is refused (409) and logs nothing more."""
    headers = {**site.auth, "Idempotency-Key": "k-1"}
    assert client.post("/v1/assess", json=example(), headers=headers).status_code == 200
    r = client.post("/v1/assess", json=example(reference="CS-2025-00018"), headers=headers)
    assert r.status_code == 409
    assert r.json() == {"errors": [{"field": "Idempotency-Key", "message": "this key was already used for a different "
                                                                           "request; use a new key for a new submission"}]}
    assert client.post("/v1/assess?letters=true", json=example(), headers=headers).status_code == 409
    assert rows(site.db) == 1


def test_a_failed_request_does_not_use_up_its_key(client: Any, site: Site) -> None:
    """Invalid input under a key stores nothing: the corrected submission may reuse the key."""
    headers = {**site.auth, "Idempotency-Key": "k-2"}
    assert client.post("/v1/assess", json=example(kind="complaynt"), headers=headers).status_code == 422
    r = client.post("/v1/assess", json=example(), headers=headers)
    assert r.status_code == 200 and "idempotent-replayed" not in r.headers
    assert rows(site.db) == 1


def test_keys_are_per_client_and_per_endpoint(client: Any, site: Site) -> None:
    """Two API clients, or two endpoints, may use the same Idempotency-Key independently."""
    other = {"Authorization": f"Bearer {add_key(site.db, 'eform-test')}", "Idempotency-Key": "same"}
    mine = {**site.auth, "Idempotency-Key": "same"}
    assert client.post("/v1/assess", json=example(), headers=mine).status_code == 200
    assert client.post("/v1/assess", json=example(reference="CS-2025-00018"), headers=other).status_code == 200
    event = {"reference": "CS-2025-00017", "event": "acknowledged", "date": "2025-03-18"}
    assert client.post("/v1/events", json=event, headers=mine).status_code == 200
    assert rows(site.db) == 2


@pytest.mark.parametrize("key", ["has space", "", "x" * 256, "naïve".encode()])
def test_a_malformed_idempotency_key_is_422(client: Any, site: Site, key: str | bytes) -> None:
    """An Idempotency-Key must be 1-255 printable ASCII characters."""
    r = client.post("/v1/assess", json=example(), headers={**site.auth, "Idempotency-Key": key})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "Idempotency-Key"
    assert rows(site.db) == 0


# ----------------------------------------------------------------------------- POST /v1/events

def test_events_are_recorded_once(client: Any, site: Site) -> None:
    """An event is recorded (added) once; the same event again is accepted but not added."""
    client.post("/v1/assess", json=example(), headers=site.auth)
    event = {"reference": "CS-2025-00017", "event": "acknowledged", "date": "2025-03-18"}
    first = client.post("/v1/events", json=event, headers=site.auth)
    assert first.status_code == 200
    assert first.json() == {"ok": True, "added": True, "event": event}
    assert client.post("/v1/events", json=event, headers=site.auth).json()["added"] is False
    assert rows(site.db, "events") == 1


def test_action_events_over_http(client: Any, site: Site) -> None:
    """POST /v1/events takes the action events: completed by id alone; an unknown id is a 422 naming action_id."""
    client.post("/v1/assess", json=example(), headers=site.auth)
    for event in ({"reference": "CS-2025-00017", "event": "acknowledged", "date": "2025-03-17"},
                  {"reference": "CS-2025-00017", "event": "action_agreed", "date": "2025-03-18", "action_id": "CS17-L1",
                   "what": "Call-back standard for CAST", "source": "learning", "owner": "CAST", "due": "2025-06-30"}):
        assert client.post("/v1/events", json=event, headers=site.auth).status_code == 200
    done = client.post("/v1/events", json={"event": "action_completed", "action_id": "CS17-L1", "date": "2025-04-01",
                                            "evidence": "In the handbook"}, headers=site.auth)
    assert done.status_code == 200 and done.json()["event"]["reference"] == "CS-2025-00017"
    bad = client.post("/v1/events", json={"event": "action_dropped", "action_id": "CS17-L9", "date": "2025-04-01",
                                           "reason": "x"}, headers=site.auth)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "action_id"


def test_an_officer_decision_event_reassesses(client: Any, site: Site) -> None:
    """An officer's answer re-assesses the case and returns the new decision."""
    client.post("/v1/assess", json=example("officer-sufficient-interest-grandparent"), headers=site.auth)
    event = {"reference": "CS-2025-00298", "event": "officer_decision", "date": "2025-08-12",
             "question": "sufficient_interest", "answer": True, "reason": "Cares for him daily", "by": "J Officer"}
    r = client.post("/v1/events", json=event, headers=site.auth)
    assert r.status_code == 200
    assert r.json()["decision"]["disposition"] == "accepted"
    assert r.json()["decision"]["decision_id"] == "d-000002"


@pytest.mark.parametrize("event,field,message", [
    ({"reference": "CS-2025-00017", "event": "acknowledgd", "date": "2025-03-18"}, "event",
     "'acknowledgd' is not a valid value; did you mean 'acknowledged'?"),
    ({"reference": "CS-2025-00017", "event": "responded", "date": "2025-03-18", "stage": 1}, "finding", None),
    ({"reference": "NOPE-1", "event": "acknowledged", "date": "2025-03-18"}, "reference", None),
    ({"reference": "CS-2025-00017", "event": "acknowledged", "date": "2025-03-10"}, "date",
     "2025-03-10 is before the representation was received (2025-03-14)"),
])
def test_a_bad_event_is_422_and_records_nothing(client: Any, site: Site, event: dict[str, Any], field: str,
                                                message: str | None) -> None:
    """A bad event names the field (and, where fixed, the exact message), and records nothing."""
    client.post("/v1/assess", json=example(), headers=site.auth)
    r = client.post("/v1/events", json=event, headers=site.auth)
    assert r.status_code == 422
    errors = r.json()["errors"]
    assert errors[0]["field"] == field
    if message:
        assert errors[0]["message"] == message
    assert rows(site.db, "events") == 0


def test_an_event_retry_with_the_same_key_is_replayed(client: Any, site: Site) -> None:
    """An event sent twice under one Idempotency-Key gets the first response (added: true) twice."""
    client.post("/v1/assess", json=example(), headers=site.auth)
    headers = {**site.auth, "Idempotency-Key": "ev-1"}
    event = {"reference": "CS-2025-00017", "event": "acknowledged", "date": "2025-03-18"}
    first = client.post("/v1/events", json=event, headers=headers)
    retry = client.post("/v1/events", json=event, headers=headers)
    assert retry.json() == first.json() == {"ok": True, "added": True, "event": event}
    assert retry.headers["idempotent-replayed"] == "true"


# ----------------------------------------------------------------------------- reading

def test_a_case_is_its_case_report(client: Any, site: Site) -> None:
    """GET /v1/cases/REF is `triage case REF --json` (the library's case_report)."""
    from triage.cases import workflow
    from triage.log.store import DecisionLog
    from triage.rules.ruleset import load_rules

    client.post("/v1/assess", json=example(), headers=site.auth)
    r = client.get("/v1/cases/CS-2025-00017?today=2025-03-20", headers=site.auth)
    assert r.status_code == 200
    expected = workflow.case_report(DecisionLog(site.db), load_rules(RULES), "CS-2025-00017", date(2025, 3, 20))
    assert r.json() == json.loads(json.dumps(expected, default=str))
    assert r.json()["deadlines"][0]["status"] == "owed"


def test_an_unknown_case_is_404_with_a_suggestion(client: Any, site: Site) -> None:
    """An unknown reference is 404 and suggests the nearest references."""
    client.post("/v1/assess", json=example(), headers=site.auth)
    r = client.get("/v1/cases/CS-2025-0017", headers=site.auth)
    assert r.status_code == 404
    (error,) = r.json()["errors"]
    assert error["field"] == "reference"
    assert error["message"].startswith(f"no case with reference 'CS-2025-0017' in {Path(site.db).name};")
    assert error["message"].endswith("did you mean 'CS-2025-00017'?")
    assert str(Path(site.db).parent) not in r.text  # the server's folders are not shown


def test_due_lists_what_is_owed(client: Any, site: Site) -> None:
    """GET /v1/due lists open cases with their next step; filters work as in `triage due`."""
    client.post("/v1/assess", json=example(), headers=site.auth)
    r = client.get("/v1/due?today=2025-03-20", headers=site.auth)
    assert r.status_code == 200
    assert [(x["reference"], x["step"], x["due"], x["working_days_left"]) for x in r.json()] == \
           [("CS-2025-00017", "acknowledge the stage 1 complaint", "2025-03-19", -1)]
    assert client.get("/v1/due?today=2025-03-20&overdue=true", headers=site.auth).json()[0]["reference"] == "CS-2025-00017"
    assert client.get("/v1/due?today=2025-03-17&overdue=1", headers=site.auth).json() == []
    assert client.get("/v1/due?today=2025-03-20&procedure=corporate", headers=site.auth).json() == []


@pytest.mark.parametrize("query,field,message", [
    ("within=soon", "within", "'soon' is not a whole number"),
    ("within=-1", "within", "-1 is out of range; give a number 0 or more"),
    ("procedure=statutry", "procedure", "'statutry' is not a valid value; did you mean 'statutory'?"),
    ("today=2025-13-01", "today", "'2025-13-01' is not a date; write it as YYYY-MM-DD, e.g. 2025-03-14"),
    ("overdue=maybe", "overdue", "'maybe' is not true or false"),
])
def test_bad_due_parameters_are_422(client: Any, site: Site, query: str, field: str, message: str) -> None:
    """Each bad query parameter of /v1/due is named with what to write instead."""
    r = client.get(f"/v1/due?{query}", headers=site.auth)
    assert r.status_code == 422
    assert r.json() == {"errors": [{"field": field, "message": message}]}


@needs_report
def test_the_report_is_the_report_module_s(client: Any, site: Site) -> None:
    """GET /v1/report/2024-25 is triage.report.build for that year (CONTRACT section 5)."""
    import triage.report
    from triage.log.store import DecisionLog
    from triage.rules.ruleset import load_rules

    client.post("/v1/assess", json=example(), headers=site.auth)
    r = client.get("/v1/report/2024-25", headers=site.auth)
    assert r.status_code == 200
    expected = triage.report.build(DecisionLog(site.db), load_rules(RULES), year="2024-25")
    assert r.json() == json.loads(json.dumps(expected, default=str))
    assert r.json()["years"] == ["2024/25", "2023/24", "2022/23"]
    assert client.get("/v1/report/2024-25?basis=resolved&years=1", headers=site.auth).json()["years"] == ["2024/25"]


@needs_report
def test_a_bad_report_year_is_422(client: Any, site: Site) -> None:
    """A year that is not a financial year is 422 naming `year`."""
    r = client.get("/v1/report/2024", headers=site.auth)
    assert r.status_code == 422
    (error,) = r.json()["errors"]
    assert error["field"] == "year"
    assert "is not a financial year" in error["message"]


def test_the_report_endpoint_says_when_the_module_is_missing(client: Any, site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without triage.report the endpoint answers 501 with a reason, not a crash."""
    from triage.server import api

    monkeypatch.setattr(api, "report_module", lambda: None)
    r = client.get("/v1/report/2024-25", headers=site.auth)
    assert r.status_code == 501
    assert r.json()["errors"][0]["message"].startswith("the annual report (triage.report) is not installed")


def test_schema_is_the_library_schema(client: Any, site: Site) -> None:
    """GET /v1/schema is `triage schema`."""
    from triage.api import schema

    r = client.get("/v1/schema", headers=site.auth)
    assert r.status_code == 200
    assert r.json() == json.loads(json.dumps(schema()))


def test_the_openapi_document_covers_every_endpoint(client: Any, site: Site) -> None:
    """/v1/openapi.json is OpenAPI 3.1, lists every endpoint, and every $ref resolves."""
    doc = client.get("/v1/openapi.json", headers=site.auth).json()
    assert doc["openapi"] == "3.1.0"
    assert set(doc["paths"]) == {"/v1/assess", "/v1/events", "/v1/cases/{reference}", "/v1/due", "/v1/report/{year}",
                                 "/v1/schema", "/v1/openapi.json", "/healthz"}
    refs: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            refs.extend(v for k, v in node.items() if k == "$ref")
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(doc)
    assert refs and all(r.removeprefix("#/components/schemas/") in doc["components"]["schemas"] for r in refs)
    assert {"Representation", "Event", "Decision", "Errors"} <= set(doc["components"]["schemas"])


def test_unknown_paths_and_methods_are_json_errors(client: Any, site: Site) -> None:
    """An unknown /v1 path is 404 and a wrong method 405, both as JSON errors."""
    r = client.get("/v1/decisions", headers=site.auth)
    assert r.status_code == 404
    assert r.json() == {"errors": [{"field": "", "message": "no such page or endpoint: GET /v1/decisions"}]}
    assert client.get("/v1/assess", headers=site.auth).status_code == 405


def test_responses_are_not_cached_or_framed(client: Any, site: Site) -> None:
    """API responses carry no-store, nosniff and a frame-ancestors policy."""
    r = client.get("/v1/schema", headers=site.auth)
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


def test_an_unexpected_failure_is_a_json_500_without_details(app: Any, site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug inside an endpoint gives a JSON 500 that reveals nothing of the traceback."""
    from starlette.testclient import TestClient

    from triage.cases import workflow

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(workflow, "due", broken)
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/v1/due", headers=site.auth)
    assert r.status_code == 500
    assert r.json() == {"errors": [{"field": "", "message": "the server failed unexpectedly; the error is in the "
                                                            "server's log"}]}
