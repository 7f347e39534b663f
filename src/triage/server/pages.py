"""The managers' web pages: the decision log, a case, what is due, the annual report.

Server-rendered HTML from ``templates/web/`` (Jinja2, autoescaped; this module builds the
web pages' environment, as ``triage.letters.environment`` builds the letters'). No scripts and no build
step: every page works with a keyboard and a screen reader (labels, headings, tables with
``<th scope>``, an error summary linking to each field).

Every page needs a signed-in manager (``triage users add NAME``). Sessions are kept on the
server (the ``sessions`` table); the signed cookie carries only the session's random id, the
CSRF token and the names this browser has signed in as. Signing out, changing the password or
removing the user ends the session, so a copied cookie stops working. Every form carries the
CSRF token, checked on POST. Sign-in attempts are recorded (``signins``) and throttled per
name and per client address. The data each page
shows comes from one library call (``triage.cases.workflow``, ``triage.report``), run on the
backend's threads; so does rendering, so a long table never stalls the API.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Awaitable, Callable
from datetime import date
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

SIGNIN_WINDOW = 15 * 60      # failed sign-ins count for this many seconds
NAME_LIMIT = 10              # failures for one name lock it ... (not for a browser it signed in from before)
ADDRESS_LIMIT = 30           # ... and failures from one client address make the address wait
SESSION_HOURS = 8            # a session ends this long after sign-in (or at sign-out)
KNOWN_NAMES = 5              # how many names a browser remembers having signed in as

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
            Route("/actions", self._page(self.actions), methods=["GET"]),
            Route("/actions.csv", self._page(self.actions_csv), methods=["GET"]),
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
        """The signed-in manager. The cookie holds only a session id; the session is live while
        its row is (not signed out, not expired) and the user's password is the one it began
        with, so a copy of the cookie dies with the session."""
        session_id = request.session.get("sid")
        if not isinstance(session_id, str):
            return None
        found = await self.backend.read(lambda: self.backend.tables().session_user(session_id))
        user = await self.backend.read(lambda: self.backend.tables().user(found[0])) if found else None
        if found is None or user is None or found[1] != password_version(user.password_hash):
            request.session.pop("sid", None)
            return None
        return found[0]

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
        address = request.client.host if request.client else "unknown"
        tables = self.backend.tables

        async def record(outcome: str) -> None:
            await self.backend.write(lambda: tables().record_signin(name, address, outcome))

        if await self.backend.read(lambda: tables().failures(address=address, seconds=SIGNIN_WINDOW)) >= ADDRESS_LIMIT:
            await record("refused_address_throttled")
            return await self._render(request, "signin.html", None, 429, title="Sign in", username=name, next=target,
                                      errors=[Problem("", "Too many failed sign-ins from this network address; "
                                                          "wait 15 minutes and try again")])
        known = request.session.get("known")
        known_here = isinstance(known, list) and name in known  # this browser signed in as the name before
        locked = await self.backend.read(lambda: tables().failures(name=name, seconds=SIGNIN_WINDOW)) >= NAME_LIMIT
        if locked and not known_here:
            await record("refused_name_locked")
            return await self._render(request, "signin.html", None, 429, title="Sign in", username=name, next=target,
                                      errors=[Problem("", "Too many failed attempts for this name; wait 15 minutes "
                                                          "and try again, sign in from a browser you have used "
                                                          "before, or ask the administrator to unlock it")])
        user = await self.backend.read(lambda: tables().user(name))
        ok = await self.backend.read(verify_user_password, password, user.password_hash if user else None)
        if not ok or user is None:
            await record("failed")
            return await self._render(request, "signin.html", None, 401, title="Sign in", username=name, next=target,
                                      errors=[Problem("", "The name or the password is not right")])
        await record("signed_in")
        session_id = await self.backend.write(
            lambda: tables().start_session(user.name, password_version(user.password_hash), SESSION_HOURS))
        remembered = [n for n in (known if isinstance(known, list) else []) if n != user.name][-(KNOWN_NAMES - 1):]
        request.session.clear()  # a fresh session (and CSRF token) on sign-in
        request.session.update({"sid": session_id, "csrf": new_csrf_token(), "known": [*remembered, user.name]})
        return RedirectResponse(target, 303)

    async def signout(self, request: Request) -> Response:
        """End the session on the server (a copy of the cookie no longer works) and in the browser."""
        form = await request.form()
        if same_token(_str(form, "csrf_token"), request.session.get("csrf")):
            session_id = request.session.get("sid")
            if isinstance(session_id, str):
                address = request.client.host if request.client else "unknown"

                def end() -> None:
                    tables = self.backend.tables()
                    user = tables.end_session(session_id, "signed out")
                    if user is not None:
                        tables.record_signin(user, address, "signed_out")
                await self.backend.write(end)
            known = request.session.get("known")
            request.session.clear()
            if isinstance(known, list):
                request.session["known"] = known
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
                                                             date.today(), signed_by=user))
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
            # signed by the manager who is signed in and will check and send it
            return api.draft_letters(current, latest.representation, rules=self.backend.rules, templates=[template],
                                     signed_by=user)[0]

        try:
            found = await self.backend.read(draft)
        except NotFoundError as exc:
            return await self._message(request, user, "No such letter", exc.lines(), 404)
        except TriageError as exc:  # e.g. a council setting the letters cannot use (a logo that is not an image)
            return await self._message(request, user, "The letter could not be drafted", exc.lines(),
                                       503 if status_of(exc) == 500 else status_of(exc))
        # The draft is a whole document with its own print styles (and the logo as a data: URI).
        return HTMLResponse(found.html, headers={
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                                       "frame-ancestors 'none'"})

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

    def _action_filters(self, request: Request) -> dict[str, Any]:
        q = Query(request, ("status", "source", "service", "year"))
        return {"status": q.choice("status", ("open", "overdue", "completed", "dropped")),
                "source": q.choice("source", vocab.ACTION_SOURCES), "service": q.text("service"), "year": q.text("year")}

    async def actions(self, request: Request, user: str) -> Response:
        """The learning register, for the quarterly learning review."""
        from triage.cases import actions as register

        today = date.today()
        filters: dict[str, Any] = {"status": None, "source": None, "service": None, "year": None}
        errors: list[Problem] = []
        rows = None
        try:
            filters = self._action_filters(request)
            rows = await self.backend.read(lambda: register.register(self.backend.log(), self.backend.rules, today,
                                                                     **filters))
        except TriageError as exc:
            errors = problems_of(exc)
        csv_link = "/actions.csv" + ("?" + urlencode({k: v for k, v in filters.items() if v}) if any(filters.values())
                                     else "")
        return await self._render(request, "actions.html", user, 422 if errors else 200, title="Learning register",
                                  section="/actions", rows=rows, errors=errors, today=today.isoformat(),
                                  services=self.backend.rules.taxonomy.services.labels(), csv_link=csv_link,
                                  filters=filters)

    async def actions_csv(self, request: Request, user: str) -> Response:
        """The learning register as CSV, with the page's filters."""
        from triage.cases import actions as register

        try:
            filters = self._action_filters(request)
            rows = await self.backend.read(lambda: register.register(self.backend.log(), self.backend.rules,
                                                                     date.today(), **filters))
        except TriageError as exc:
            return await self._message(request, user, "The register could not be produced",
                                       [str(p) for p in problems_of(exc)], status_of(exc))
        return Response(register.to_csv(rows), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="learning-register.csv"'})

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
        if built is not None and module is not None and hasattr(module, "for_people"):
            built = module.for_people(built)  # counts as people read them; each first column headed
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
