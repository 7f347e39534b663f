"""The managers' pages of `triage serve`: sign-in, CSRF, the log, a case, overrides, due, report."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from test_server_support import (  # noqa: F401
    PASSWORD,
    USER,
    Site,
    app,
    check_accessible,
    client,
    csrf_token,
    example,
    rows,
    sign_in,
    site,
)

PAGES = ["/decisions", "/cases/CS-2025-00017", "/due", "/actions", "/actions.csv", "/report", "/report/printable?year=2024-25",
         "/cases/CS-2025-00017/letters/ack_statutory_stage1"]


@pytest.fixture
def logged(client: Any, site: Site) -> Any:
    """Three cases in the log, submitted through the API."""
    for name in ("statutory-parent", "tribunal-ehcp", "officer-sufficient-interest-grandparent"):
        assert client.post("/v1/assess", json=example(name), headers=site.auth).status_code == 200
    return client


@pytest.fixture
def manager(logged: Any) -> Any:
    """A client signed in as the manager."""
    r = sign_in(logged)
    assert r.status_code == 200 and r.url.path == "/decisions"
    return logged


def _text(html: str) -> str:
    """The page's visible words, tags removed and spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


# ----------------------------------------------------------------------------- signing in

@pytest.mark.parametrize("path", PAGES)
def test_pages_need_a_signed_in_manager(logged: Any, path: str) -> None:
    """Signed out, every page redirects to sign-in, remembering where to return."""
    r = logged.get(path, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/signin?next=")


def test_sign_in_returns_to_the_page_asked_for(logged: Any) -> None:
    """After signing in the manager lands on the page they first asked for."""
    r = sign_in(logged, next_="/cases/CS-2025-00017")
    assert r.url.path == "/cases/CS-2025-00017"
    assert "Signed in as" in r.text and USER in r.text


def test_a_wrong_password_or_name_is_refused_alike(logged: Any) -> None:
    """A wrong password and an unknown name get the same 401 and message."""
    for name, password in ((USER, "wrong password!"), ("Nobody", PASSWORD)):
        r = sign_in(logged, name, password)
        assert r.status_code == 401
        assert "The name or the password is not right" in r.text
    assert logged.get("/decisions", follow_redirects=False).status_code == 303


def test_sign_in_never_redirects_off_site(logged: Any) -> None:
    """A `next` that points to another site is replaced by the decision log."""
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        assert sign_in(logged, next_=target).url.path == "/decisions"
        logged.cookies.clear()


def test_sign_in_needs_the_form_s_csrf_token(logged: Any) -> None:
    """A sign-in POST without the page's token (a cross-site login) is refused."""
    logged.get("/signin")
    r = logged.post("/signin", data={"username": USER, "password": PASSWORD, "csrf_token": "forged"})
    assert r.status_code == 403
    assert logged.get("/decisions", follow_redirects=False).status_code == 303


def test_repeated_failures_are_slowed_down(logged: Any) -> None:
    """After 10 failed sign-ins for a name, even the right password waits (429)."""
    for _ in range(10):
        assert sign_in(logged, USER, "wrong password!").status_code == 401
    r = sign_in(logged)
    assert r.status_code == 429
    assert "Too many failed attempts" in r.text


def test_sign_out_ends_the_session(manager: Any) -> None:
    """Signing out (a POST with the token) ends the session."""
    token = csrf_token(manager.get("/decisions").text)
    r = manager.post("/signout", data={"csrf_token": token})
    assert r.url.path == "/signin"
    assert manager.get("/decisions", follow_redirects=False).status_code == 303


def test_removing_a_user_or_changing_the_password_ends_their_sessions(manager: Any, site: Site) -> None:
    """A changed password or a removed account signs the manager out at the next request."""
    from triage.log.store import DecisionLog
    from triage.server.auth import hash_password
    from triage.server.tables import ServerTables

    tables = ServerTables(DecisionLog(site.db))
    tables.set_password(USER, hash_password("another long password"))
    assert manager.get("/decisions", follow_redirects=False).status_code == 303
    assert sign_in(manager, USER, "another long password").url.path == "/decisions"
    tables.remove_user(USER)
    assert manager.get("/decisions", follow_redirects=False).status_code == 303


def test_the_session_cookie_is_signed_and_http_only(logged: Any) -> None:
    """The session cookie is HttpOnly, SameSite=Lax, and a tampered cookie is ignored."""
    page = logged.get("/signin")
    cookie = page.headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    sign_in(logged)
    value = logged.cookies["triage_session"]
    assert logged.get("/decisions", follow_redirects=False).status_code == 200
    logged.cookies.clear()
    logged.cookies.set("triage_session", value[:-4] + ("AAAA" if not value.endswith("AAAA") else "BBBB"))
    assert logged.get("/decisions", follow_redirects=False).status_code == 303


# ----------------------------------------------------------------------------- the pages

def test_every_page_has_the_accessibility_basics(manager: Any) -> None:
    """Each page: lang, one h1, skip link, a label for every control, captions and th scope."""
    for path in ("/decisions", "/cases/CS-2025-00017", "/cases/CS-2025-00298", "/due", "/actions", "/report",
                 "/signin"):
        r = manager.get(path)
        assert r.status_code == 200, path
        check_accessible(r.text)
    manager.cookies.clear()
    check_accessible(manager.get("/signin").text)


def test_the_log_lists_decisions_newest_first(manager: Any) -> None:
    """The decision log shows every decision, newest first, each linking to its case."""
    html = manager.get("/decisions").text
    assert "3 decisions, newest first" in html
    assert re.findall(r'<th scope="row">(d-\d+)</th>', html) == ["d-000003", "d-000002", "d-000001"]
    assert '<a href="/cases/CS-2025-00017">CS-2025-00017</a>' in html


@pytest.mark.parametrize("query,ids", [
    ("q=Sam+Jones", ["d-000001"]),
    ("q=cs-2025-0031", ["d-000002"]),
    ("q=social+worker", ["d-000001"]),
    ("procedure=corporate", ["d-000002"]),
    ("disposition=officer_decision_required", ["d-000003"]),
    ("type=complaint&since=2025-08-01", ["d-000003", "d-000002"]),
    ("until=2025-03-31", ["d-000001"]),
    ("q=100%25", []),
])
def test_the_log_filters_and_searches(manager: Any, query: str, ids: list[str]) -> None:
    """Search matches references, names and summaries; filters narrow by route and date."""
    html = manager.get(f"/decisions?{query}").text
    assert re.findall(r'<th scope="row">(d-\d+)</th>', html) == ids


def test_a_bad_filter_is_explained(manager: Any) -> None:
    """A bad date in the filters is shown in an error summary linked to its field."""
    r = manager.get("/decisions?since=2025-02-30")
    assert r.status_code == 422
    assert ('<a href="#since">since: &#39;2025-02-30&#39; is not a date; write it as YYYY-MM-DD, e.g. 2025-03-14</a>'
            in r.text)
    assert '<p class="field-error" id="since-error">' in r.text
    assert 'id="since" name="since" type="date" value="" aria-describedby="since-error" aria-invalid="true"' in r.text


def test_the_log_pages_through_many_decisions(manager: Any, site: Site) -> None:
    """More than 50 decisions are shown 50 to a page with links to older and newer pages."""
    for n in range(60):
        manager.post("/v1/assess", json=example(reference=f"P-{n:03d}"), headers=site.auth)
    first = manager.get("/decisions").text
    assert "63 decisions, page 1 of 2" in first
    assert len(re.findall(r'<th scope="row">d-', first)) == 50
    second = manager.get("/decisions?page=2").text
    assert re.findall(r'<th scope="row">(d-\d+)</th>', second)[-1] == "d-000001"
    assert 'rel="prev">Newer</a>' in second


def test_a_case_shows_its_timeline_decisions_rules_and_letters(manager: Any) -> None:
    """The case page shows status, deadlines, the timeline, each rule fired with its citation, and the letters."""
    html = manager.get("/cases/CS-2025-00017").text
    text = _text(html)
    assert "<h1>Case CS-2025-00017</h1>" in html
    assert "Received Fri 14 Mar 2025" in text
    assert "acknowledge the stage 1 complaint" in text
    assert "Decision d-000001: accepted at stage 1" in text
    assert ('<tr><th scope="row"><code>who.parent</code></th><td>A parent may complain (no consent from the child '
            'is needed)</td><td>Children Act 1989 s.26(3)(b)</td></tr>') in html
    assert "Acknowledgement of a statutory complaint (stage 1)" in text
    assert "Dear Sam Jones" in html


def test_a_case_shows_the_officer_question(manager: Any) -> None:
    """A decision waiting for an officer shows the question, its factors and authority."""
    text = _text(manager.get("/cases/CS-2025-00298").text)
    assert ("Officer decision needed: Does the complainant have sufficient interest in the child's welfare to have "
            "the complaint considered?") in text.replace("&#39;", "'")


def test_an_unknown_case_is_404(manager: Any, site: Site) -> None:
    """An unknown reference is a 404 page with the nearest references, and not the server's folders."""
    r = manager.get("/cases/CS-2025-0017")
    assert r.status_code == 404
    assert "no such case" in r.text.lower() and "&#39;CS-2025-00017&#39;?" in r.text
    assert str(Path(site.db).parent) not in r.text


def test_the_printable_letter_is_the_draft(manager: Any) -> None:
    """A letter link serves the HTML draft, with a policy that allows its own print styles only."""
    r = manager.get("/cases/CS-2025-00017/letters/ack_statutory_stage1")
    assert r.status_code == 200
    assert "Draft for checking and signing" in r.text
    assert r.headers["content-security-policy"].startswith("default-src 'none'; style-src 'unsafe-inline'")
    assert manager.get("/cases/CS-2025-00017/letters/refusal_tribunal").status_code == 404


def test_the_signed_in_manager_signs_the_drafts(manager: Any) -> None:
    """The drafts on the case page and the printable letter are signed by the signed-in manager."""
    r = manager.get("/cases/CS-2025-00017/letters/ack_statutory_stage1")
    assert ("<p class=\"signature\">Jo Manager<br>\nChildren&#39;s Services Complaints Team<br>\n"
            "Example County Council</p>") in r.text
    page = manager.get("/cases/CS-2025-00017").text
    assert "for checking and signing, signed by you (Jo Manager):" in page
    assert "Yours sincerely\n\nJo Manager\nChildren&#39;s Services Complaints Team\nExample County Council" in page


# ----------------------------------------------------------------------------- overrides

def _override(manager: Any, field: str, to: str, reason: str) -> Any:
    """Fill in and send the override form on the case page, with the page's CSRF token."""
    page = manager.get("/cases/CS-2025-00017")
    return manager.post("/cases/CS-2025-00017/override", data={
        "field": field, "to": to, "reason": reason, "csrf_token": csrf_token(page.text)})


def test_an_override_is_recorded_with_the_manager_s_name(manager: Any, site: Site) -> None:
    """The override form records the change with the signed-in manager as `by`; the log and case show it."""
    from triage.log.store import DecisionLog

    r = _override(manager, "disposition", "refused", "Matter is before the court")
    assert r.status_code == 200 and r.url.path == "/cases/CS-2025-00017"
    assert "Override recorded on d-000001: disposition accepted to refused." in r.text
    assert "Matter is before the court" in r.text
    (o,) = DecisionLog(site.db).overrides("CS-2025-00017")
    assert (o["field"], o["from_value"], o["to_value"], o["by"], o["reason"]) == \
           ("disposition", "accepted", "refused", USER, "Matter is before the court")
    log = manager.get("/decisions").text
    assert "disposition: accepted &rarr; refused <span class=\"by\">(by Jo Manager)</span>" in log


def test_the_letters_follow_an_override(manager: Any) -> None:
    """After an override the case page and the letter links give the letters the overridden
    decision calls for; a refusal still without a reason says what to do, and drafts nothing."""
    def override(field: str, to: str) -> Any:
        return _override(manager, field, to, "Matter is before the court")

    assert "/cases/CS-2025-00017/letters/ack_statutory_stage1" in manager.get("/cases/CS-2025-00017").text
    half = override("disposition", "deferred").text
    assert "The drafts could not be produced" in half and "override the reason too" in half
    assert "/letters/ack_statutory_stage1" not in half
    page = override("reason", "court_proceedings").text
    assert "/cases/CS-2025-00017/letters/deferral" in page
    assert "/letters/ack_statutory_stage1" not in page
    assert manager.get("/cases/CS-2025-00017/letters/ack_statutory_stage1").status_code == 404


def test_an_override_needs_a_reason(manager: Any, site: Site) -> None:
    """Without a reason the form comes back (422) with the error by the field, and nothing is recorded."""
    r = _override(manager, "disposition", "refused", "  ")
    assert r.status_code == 422
    assert '<a href="#reason">reason: give the reason for the override</a>' in r.text
    assert 'aria-describedby="reason-hint reason-error" aria-invalid="true"' in r.text
    assert '<option value="refused" selected>' in r.text
    assert rows(site.db, "overrides") == 0


def test_an_override_to_a_value_of_another_field_is_explained(manager: Any, site: Site) -> None:
    """A value that does not fit the field chosen is named with a suggestion."""
    r = _override(manager, "procedure", "refused", "x")
    assert r.status_code == 422
    assert "to: &#39;refused&#39; is not a valid procedure" in r.text
    assert rows(site.db, "overrides") == 0


def test_an_override_without_the_csrf_token_is_refused(manager: Any, site: Site) -> None:
    """A POST without the session's token (a cross-site request) is 403 and records nothing."""
    for token in (None, "forged"):
        data = {"field": "disposition", "to": "refused", "reason": "x"}
        r = manager.post("/cases/CS-2025-00017/override", data={**data, **({"csrf_token": token} if token else {})})
        assert r.status_code == 403
        assert "The form has expired" in r.text
    assert rows(site.db, "overrides") == 0


def test_an_override_when_signed_out_is_refused(logged: Any, site: Site) -> None:
    """A signed-out POST records nothing (401)."""
    r = logged.post("/cases/CS-2025-00017/override", data={"field": "disposition", "to": "refused", "reason": "x"})
    assert r.status_code == 401
    assert rows(site.db, "overrides") == 0


# ----------------------------------------------------------------------------- due and report

def test_the_due_page_lists_overdue_steps(manager: Any) -> None:
    """The due page lists each open case's next step, overdue ones marked, with filters."""
    html = manager.get("/due").text
    assert '<a href="/cases/CS-2025-00017">CS-2025-00017</a>' in html
    assert "overdue by" in html
    assert "CS-2025-00298" in manager.get("/due?overdue=1&procedure=statutory").text
    assert "CS-2025-00298" not in manager.get("/due?procedure=corporate").text
    r = manager.get("/due?within=soon")
    assert r.status_code == 422 and "within: &#39;soon&#39; is not a whole number" in r.text


def _actions(site: Site) -> None:
    """CS-2025-00017 upheld on 24 Mar 2025, with an overdue Ombudsman-free learning action and a done apology."""
    from conftest import RULES

    from triage.cases import workflow

    def rec(event: str, day: str, **fields: Any) -> None:
        workflow.record({"reference": "CS-2025-00017", "event": event, "date": day, **fields}, db=site.db, rules=RULES)

    rec("responded", "2025-03-24", stage=1, finding="upheld")
    rec("action_agreed", "2025-03-25", action_id="CS17-A1", what="Apology from the team manager",
        source="complaint_finding", owner="Team Manager", due="2025-04-08", remedy="apology")
    rec("action_completed", "2025-04-07", action_id="CS17-A1", evidence="Letter sent")
    rec("action_agreed", "2025-03-25", action_id="CS17-A2", what="Call-back standard for CAST", source="learning",
        owner="CAST", due="2025-06-30")


def test_the_learning_register_lists_and_filters_actions(manager: Any, site: Site) -> None:
    """The register lists each action overdue first, filters by status and service, refuses a bad filter, gives CSV."""
    _actions(site)
    text = _text(manager.get("/actions").text)
    assert text.index("CS17-A2: Call-back standard for CAST") < text.index("CS17-A1: Apology from the team manager")
    assert "overdue by" in text and "completed Mon 7 Apr 2025" in text
    only = _text(manager.get("/actions?status=completed&service=CAST&year=2024-25").text)
    assert "CS17-A1" in only and "CS17-A2" not in only
    r = manager.get("/actions?service=Casst")
    assert r.status_code == 422 and "is not a service in rules/taxonomy.yaml; did you mean &#39;CAST&#39;?" in r.text
    csv = manager.get("/actions.csv?status=overdue")
    assert csv.headers["content-type"].startswith("text/csv")
    assert [line.split(",")[0] for line in csv.text.splitlines()] == ["action_id", "CS17-A2"]
    due = _text(manager.get("/due").text)
    assert "action CS17-A2 (learning), owner CAST: Call-back standard for CAST" in due
    case = _text(manager.get("/cases/CS-2025-00017").text)
    assert "CS17-A1: Apology from the team manager" in case and "Tue 25 Mar 2025: agreed" in case
    assert "decide the learning (stage 1 upheld)" in case


def test_the_report_page_shows_the_report_tables(manager: Any) -> None:
    """The report page lays out every table of triage.report with row groups and year columns."""
    from triage.server.api import report_module

    if report_module() is None:
        pytest.skip("triage.report (the annual report module) is not in this checkout yet")
    html = manager.get("/report?year=2025-26").text
    assert '<caption>Complaint refusals by reason' in html
    assert '<th scope="col">2025/26</th>' in html
    assert '<th scope="rowgroup"' in html
    r = manager.get("/report?year=2025")
    assert r.status_code == 422
    assert "is not a financial year" in r.text


def test_the_printable_report_is_the_report_module_s_document(manager: Any) -> None:
    """The printable report link serves triage.report's own HTML document for the year chosen."""
    from triage.server.api import report_module

    module = report_module()
    if module is None or not hasattr(module, "write"):
        pytest.skip("triage.report cannot render HTML in this checkout yet")
    page = manager.get("/report?year=2025-26&basis=resolved").text
    assert '<a href="/report/printable?year=2025-26&amp;basis=resolved">' in page
    r = manager.get("/report/printable?year=2025-26&basis=resolved")
    assert r.status_code == 200 and r.text.lstrip().lower().startswith("<!doctype html>")
    assert "2025/26" in r.text
    assert "script-src" not in r.headers["content-security-policy"]
    assert manager.get("/report/printable?year=2025").status_code == 422


def test_the_report_page_says_when_the_module_is_missing(manager: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without triage.report the page says the report is not available yet."""
    from triage.server import api

    monkeypatch.setattr(api, "report_module", lambda: None)
    assert "The annual report is not available" in manager.get("/report").text


def test_pages_are_not_cached_and_not_framed(manager: Any) -> None:
    """Pages with personal data are no-store and refuse framing; the stylesheet may be cached."""
    r = manager.get("/cases/CS-2025-00017")
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["content-security-policy"].startswith("default-src 'self'")
    css = manager.get("/static/web.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")


def test_the_report_page_heads_first_columns_and_dashes_empty_years(manager: Any) -> None:
    """The report page heads each first column with what it holds; a year with no data (2023/24) shows "-"."""
    html = manager.get("/report?year=2025-26").text
    assert '<th scope="col">Reason for refusal</th>' in html and '<th scope="col">Row</th>' not in html
    row = re.search(r'<th scope="row">Court Proceedings</th>(.*?)</tr>', html, re.S)
    assert row is not None and re.findall(r"<td>([^<]*)</td>", row.group(1))[:3] == ["0", "0", "-"]
