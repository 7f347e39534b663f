"""The managers' web pages: the decision log, a case, what is due, the annual report.

Server-rendered HTML from ``templates/web/`` (Jinja2, autoescaped; this module builds the
web pages' environment, as ``triage.letters.environment`` builds the letters'). No scripts and no build
step: every page works with a keyboard and a screen reader (labels, headings, tables with
``<th scope>``, an error summary linking to each field).

Every page needs a signed-in manager (``triage users add NAME``); the session is a signed
cookie; every form carries the session's CSRF token, checked on POST. The data each page
shows comes from one library call (``triage.cases.workflow``, ``triage.report``), run on the
backend's threads; so does rendering, so a long table never stalls the API.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from triage.contract import vocab
from triage.contract.errors import InputError, NotFoundError, Problem, TriageError
from triage.contract.shipped import templates_dir

from .auth import new_csrf_token, password_version, same_token, verify_user_password
from .backend import Backend
from .http import Query, problems_of, status_of
from .search import LogFilter, search
from .views import case_view, words

WEB_TEMPLATES = templates_dir("web")

SIGNIN_LIMIT = 10            # failed sign-ins per name ...
SIGNIN_WINDOW = 15 * 60      # ... within this many seconds, then wait

Handler = Callable[[Request, str], Awaitable[Response]]


def _field_id(name: Any) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", str(name)) or "main"


def _groupby_ordered(rows: list[dict[str, Any]], key: str) -> list[tuple[Any, list[dict[str, Any]]]]:
    """Consecutive rows with the same ``key`` (Jinja's groupby sorts; reports keep their order)."""
    return [(k, list(g)) for k, g in itertools.groupby(rows, key=lambda r: r.get(key))]


def _environment() -> Any:
    from markupsafe import Markup, escape

    from triage.clock.calendar import short_date
    from triage.contract.vocab import DEADLINE_LABELS
    from triage.letters.environment import environment

    def describe(errors: list[Problem], name: str, hint: str | None = None) -> Markup:
        ids = [hint] if hint else []
        invalid = any(e.field == name for e in errors)
        if invalid:
            ids.append(f"{_field_id(name)}-error")
        out = f' aria-describedby="{escape(" ".join(ids))}"' if ids else ""
        return Markup(out + (' aria-invalid="true"' if invalid else ""))

    env = environment(WEB_TEMPLATES, autoescape=True, sandboxed=False)
    env.filters.update(words=words, long_date=short_date, field_id=_field_id, groupby_ordered=_groupby_ordered)
    env.globals.update(describe=describe, vocab=vocab, deadline_labels=DEADLINE_LABELS)
    return env


def _last_complete_year(today: date) -> str:
    """The latest financial year (1 April to 31 March) that has ended, as 2024-25."""
    start = (today.year if today.month >= 4 else today.year - 1) - 1
    return f"{start}-{(start + 1) % 100:02d}"


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no host, no '//') may follow a sign-in."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/decisions"


class Pages:
    """The managers' pages over one Backend."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.env = _environment()
        self._failures: dict[str, list[float]] = {}

    def routes(self) -> list[Route]:
        return [
            Route("/", self.home, methods=["GET"]),
            Route("/signin", self.signin, methods=["GET", "POST"]),
            Route("/signout", self.signout, methods=["POST"]),
            Route("/decisions", self._page(self.decisions), methods=["GET"]),
            Route("/cases/{reference}", self._page(self.case), methods=["GET"]),
            Route("/cases/{reference}/override", self._page(self.override), methods=["POST"]),
            Route("/cases/{reference}/letters/{template}", self._page(self.letter), methods=["GET"]),
            Route("/due", self._page(self.due), methods=["GET"]),
            Route("/report", self._page(self.report), methods=["GET"]),
            Route("/report/printable", self._page(self.report_printable), methods=["GET"]),
            Route("/static/web.css", self.css, methods=["GET"]),
        ]

    # ------------------------------------------------------------------ sessions

    @staticmethod
    def _csrf(request: Request) -> str:
        token = request.session.get("csrf")
        if not isinstance(token, str):
            token = request.session["csrf"] = new_csrf_token()
        return token

    async def _user(self, request: Request) -> str | None:
        """The signed-in manager; a removed user or a changed password ends the session."""
        name = request.session.get("user")
        if not isinstance(name, str):
            return None
        user = await self.backend.read(lambda: self.backend.tables().user(name))
        if user is None or request.session.get("pwv") != password_version(user.password_hash):
            request.session.clear()
            return None
        return name

    def _page(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        """Sign-in required; a POST must carry the session's CSRF token."""
        async def endpoint(request: Request) -> Response:
            user = await self._user(request)
            if user is None:
                if request.method != "GET":
                    return await self._message(request, None, "Signed out", ["Sign in again, then repeat what you were doing."], 401)
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse("/signin?" + urlencode({"next": target}), 303)
            if request.method == "POST":
                form = await request.form()
                if not same_token(_str(form, "csrf_token"), request.session.get("csrf")):
                    return await self._message(request, user, "The form has expired",
                                               ["Go back, reload the page and try again."], 403)
                request.state.form = form
            return await handler(request, user)
        return endpoint

    async def _render(self, request: Request, template: str, user: str | None, status: int = 200,
                      **context: Any) -> HTMLResponse:
        ctx = {"user": user, "csrf_token": self._csrf(request), "flash": request.session.pop("flash", None),
               "errors": [], "section": None, "title": "", **context}
        html = await self.backend.read(self.env.get_template(template).render, ctx)
        return HTMLResponse(html, status)

    async def _message(self, request: Request, user: str | None, title: str, lines: list[str], status: int) -> HTMLResponse:
        return await self._render(request, "message.html", user, status, title=title, lines=lines)

    # ------------------------------------------------------------------ sign in and out

    async def home(self, request: Request) -> Response:
        return RedirectResponse("/decisions", 303)

    async def css(self, request: Request) -> Response:
        return Response((WEB_TEMPLATES / "web.css").read_bytes(), media_type="text/css",
                        headers={"Cache-Control": "max-age=3600"})

    async def signin(self, request: Request) -> Response:
        if request.method == "GET":
            if await self._user(request):
                return RedirectResponse(_safe_next(request.query_params.get("next")), 303)
            return await self._render(request, "signin.html", None, title="Sign in", username="",
                                      next=_safe_next(request.query_params.get("next")))
        form = await request.form()
        name, password, target = _str(form, "username").strip(), _str(form, "password"), _safe_next(_str(form, "next"))
        if not same_token(_str(form, "csrf_token"), request.session.get("csrf")):
            return await self._message(request, None, "The form has expired", ["Reload the sign-in page and try again."], 403)
        now = time.monotonic()
        recent = [t for t in self._failures.get(name, []) if now - t < SIGNIN_WINDOW]
        if len(recent) >= SIGNIN_LIMIT:
            return await self._render(request, "signin.html", None, 429, title="Sign in", username=name, next=target,
                                      errors=[Problem("", "Too many failed attempts for this name; wait 15 minutes "
                                                          "and try again, or ask the administrator")])
        user = await self.backend.read(lambda: self.backend.tables().user(name))
        ok = await self.backend.read(verify_user_password, password, user.password_hash if user else None)
        if not ok or user is None:
            if len(self._failures) > 10_000:  # many names tried: keep only recent failures
                self._failures = {k: v for k, v in self._failures.items() if now - v[-1] < SIGNIN_WINDOW}
            self._failures[name] = [*recent, now]
            return await self._render(request, "signin.html", None, 401, title="Sign in", username=name, next=target,
                                      errors=[Problem("", "The name or the password is not right")])
        self._failures.pop(name, None)
        request.session.clear()  # a fresh session (and CSRF token) on sign-in
        request.session.update({"user": user.name, "pwv": password_version(user.password_hash),
                                "csrf": new_csrf_token()})
        return RedirectResponse(target, 303)

    async def signout(self, request: Request) -> Response:
        form = await request.form()
        if same_token(_str(form, "csrf_token"), request.session.get("csrf")):
            request.session.clear()
        return RedirectResponse("/signin", 303)

    # ------------------------------------------------------------------ the decision log

    async def decisions(self, request: Request, user: str) -> Response:
        f, errors = LogFilter(), []
        try:
            q = Query(request, ("q", "procedure", "disposition", "type", "since", "until", "latest", "page"))
            since, until = q.day("since"), q.day("until")
            f = LogFilter(q=q.text("q"), procedure=q.choice("procedure", vocab.PROCEDURES),
                          disposition=q.choice("disposition", vocab.DISPOSITIONS),
                          representation_type=q.choice("type", vocab.REPRESENTATION_TYPES),
                          since=since.isoformat() if since else None, until=until.isoformat() if until else None,
                          latest=q.flag("latest"), page=q.integer("page", low=1) or 1)
        except InputError as exc:
            errors = exc.problems
        result = None if errors else await self.backend.read(lambda: search(self.backend.log(), f))

        def page_url(n: int) -> str:
            params = [(k, v) for k, v in request.query_params.multi_items() if k != "page"] + [("page", str(n))]
            return "/decisions?" + urlencode(params)

        return await self._render(request, "decisions.html", user, 422 if errors else 200, title="Decision log",
                                  section="/decisions", f=f, result=result, errors=errors, page_url=page_url)

    # ------------------------------------------------------------------ one case

    async def _case_page(self, request: Request, user: str, reference: str, status: int = 200,
                         errors: list[Problem] | None = None, form: dict[str, str] | None = None) -> Response:
        try:
            view = await self.backend.read(lambda: case_view(self.backend.log(), self.backend.rules, reference,
                                                             date.today()))
        except NotFoundError as exc:
            return await self._message(request, user, "No such case", exc.lines(), 404)
        return await self._render(request, "case.html", user, status, title=f"Case {reference}",
                                  errors=errors or [], form=form or {}, **view)

    async def case(self, request: Request, user: str) -> Response:
        return await self._case_page(request, user, request.path_params["reference"])

    async def override(self, request: Request, user: str) -> Response:
        from triage.cases import workflow

        reference = request.path_params["reference"]
        form = request.state.form
        field, to, reason = _str(form, "field"), _str(form, "to"), _str(form, "reason")
        try:
            record = await self.backend.write(lambda: workflow.override(
                reference, field, to, reason, user, db=self.backend.log(), rules=self.backend.rules))
        except NotFoundError as exc:
            return await self._message(request, user, "No such case", exc.lines(), 404)
        except TriageError as exc:
            return await self._case_page(request, user, reference, status_of(exc), problems_of(exc),
                                         {"field": field, "to": to, "reason": reason})
        request.session["flash"] = (f"Override recorded on {record['decision_id']}: {words(field)} "
                                    f"{words(record['from_value'] or 'none')} to {words(to)}.")
        return RedirectResponse(f"/cases/{reference}#overrides", 303)

    async def letter(self, request: Request, user: str) -> Response:
        """The printable draft of one of the latest decision's letters."""
        from triage import api

        reference, template = request.path_params["reference"], request.path_params["template"]

        def draft() -> Any:
            log = self.backend.log()
            latest = log.history(reference)[-1]
            current = api.as_overridden(latest.decision, latest.representation, log.overrides(reference),
                                        rules=self.backend.rules)
            if template not in [x["template"] for x in current.get("letters", [])]:
                raise NotFoundError(f"{latest.decision['decision_id']} calls for no letter {template!r}")
            return api.draft_letters(current, latest.representation, rules=self.backend.rules, templates=[template])[0]

        try:
            found = await self.backend.read(draft)
        except NotFoundError as exc:
            return await self._message(request, user, "No such letter", exc.lines(), 404)
        # The draft is a whole document with its own print styles.
        return HTMLResponse(found.html, headers={
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"})

    # ------------------------------------------------------------------ due, report

    async def due(self, request: Request, user: str) -> Response:
        from triage.cases import workflow

        today = date.today()
        within = procedure = None
        overdue, errors, rows = False, [], None
        try:
            q = Query(request, ("within", "overdue", "procedure"))
            within, overdue = q.integer("within", low=0), q.flag("overdue")
            procedure = q.choice("procedure", vocab.PROCEDURES)
        except InputError as exc:
            errors = exc.problems
        if not errors:
            rows = await self.backend.read(lambda: workflow.due(self.backend.log(), self.backend.rules, today,
                                                                within=within, overdue=overdue, procedure=procedure))
        return await self._render(request, "due.html", user, 422 if errors else 200, title="Due and overdue",
                                  section="/due", rows=rows, within=within, overdue=overdue, procedure=procedure,
                                  errors=errors, today=today.isoformat())

    async def report(self, request: Request, user: str) -> Response:
        from .api import report_module

        module = report_module()
        default = getattr(module, "last_complete_year", None)
        year = default().label.replace("/", "-") if default else _last_complete_year(date.today())
        basis, errors, built = "received", [], None
        if module is not None:
            try:
                q = Query(request, ("year", "basis"))
                year = q.text("year") or year
                basis = q.choice("basis", ("received", "resolved")) or "received"
                built = await self.backend.read(lambda: module.build(self.backend.log(), self.backend.rules,
                                                                     year=year, years=3, basis=basis))
            except TriageError as exc:
                errors = problems_of(exc, "year")
            except ValueError as exc:
                errors = [Problem("year", str(exc))]
        printable = None
        if built is not None and hasattr(module, "write"):
            printable = "/report/printable?" + urlencode({"year": year, "basis": basis})
        return await self._render(request, "report.html", user, 422 if errors else 200, title="Annual report",
                                  section="/report", available=module is not None, report=built, year=year,
                                  basis=basis, errors=errors, printable=printable)

    async def report_printable(self, request: Request, user: str) -> Response:
        """The report as the self-contained printable document of ``triage report --format html``."""
        from .api import report_module

        module = report_module()
        if module is None or not hasattr(module, "write"):
            return await self._message(request, user, "Not available", ["The printable report is not available in "
                                                                        "this version of triage yet."], 501)
        try:
            q = Query(request, ("year", "basis"))
            year, basis = q.text("year") or "", q.choice("basis", ("received", "resolved")) or "received"

            def render() -> str:
                built = module.build(self.backend.log(), self.backend.rules, year=year, years=3, basis=basis)
                return str(module.write(built, "html", None, self.backend.rules))

            html = await self.backend.read(render)
        except TriageError as exc:
            return await self._message(request, user, "The report could not be produced",
                                       [str(p) for p in problems_of(exc, "year")], status_of(exc))
        # A whole document with inline styles and SVG charts, no scripts.
        return HTMLResponse(html, headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                                                                      "img-src data:; frame-ancestors 'none'"})


def _str(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""
