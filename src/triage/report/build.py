"""The annual report (Regulation 13(3), SI 2006/1738; GBFC 2006 section 5.6): every table of
docs/reference.md, "The annual report" for several financial years side by side, laid out like the seeds.

    import triage.report
    report = triage.report.build(log, rules, year="2024-25")        # docs/reference.md, "The annual report" JSON
    triage.report.write(report, "html", "annual-report.html", rules)

Counting is done in SQLite (``sql``); this module maps stored codes to the seed's
labels, builds the rows, formats percentages ("<1%" for a non-zero share under 0.5%) and
suppresses small numbers for publication. Nothing a person wrote (names, contact details,
summaries, reasons) is read into a report: only codes, taxonomy labels, dates and the
equality answers, which are matched to fixed lists (anything else is "Not recognised").
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from triage.contract.errors import UsageError

from . import sql, worker
from .table import FinancialYear, Table, parse_year

STAGE_TABLES = ("timescales", "outcomes", "actual_outcomes", "escalations", "awaiting")


class Counts:
    """The grouped rows of one statement: counts[table][(fy, k1, k2, ...)] = n."""

    def __init__(self) -> None:
        self.data: dict[str, dict[tuple[Any, ...], int]] = {}

    def add(self, table: str, key: tuple[Any, ...], n: int) -> None:
        bucket = self.data.setdefault(table, {})
        bucket[key] = bucket.get(key, 0) + n

    def series(self, table: str, match: Any = None, label: Any = None) -> dict[Any, dict[int, int]]:
        """{label: {fy: n}} for the rows ``match(key)`` accepts, labelled by ``label(key)``."""
        out: dict[Any, dict[int, int]] = {}
        for key, n in self.data.get(table, {}).items():
            if match is None or match(key):
                lab = label(key) if label else key[1]
                by_year = out.setdefault(lab, {})
                by_year[key[0]] = by_year.get(key[0], 0) + n
        return out


# --------------------------------------------------------------------------- the report


def build(log: Any, rules: Any, year: str | FinancialYear = "2024-25", years: int = 3, basis: str = "received",
          suppress_below: int | None = None) -> dict[str, Any]:
    """The annual report as JSON (docs/reference.md, "The annual report"): every table for ``years``
    financial years ending with ``year``, counted on the ``basis`` of the received or resolved date."""
    fy = parse_year(year)
    if basis not in ("received", "resolved"):
        raise UsageError(f"--basis: {basis!r} is not a basis; use received or resolved")
    if not isinstance(years, int) or isinstance(years, bool) or not 1 <= years <= 20:
        raise UsageError(f"--years: {years!r}; give a whole number of years from 1 to 20")
    if suppress_below is not None and suppress_below < 1:
        raise UsageError(f"--suppress-below: {suppress_below!r}; give a whole number, 1 or more")
    shown = [FinancialYear(fy.start - i) for i in range(years)]
    builder = _Builder(log, rules, shown, basis)
    tables = builder.tables()
    notes = [
        "Financial years run from 1 April to 31 March.",
        ("Counted in the financial year each representation was received (a complaint stage: the year it "
         "started)." if basis == "received" else
         "Counted in the financial year each representation was resolved (its final response; a complaint "
         "stage: the year it was answered); open cases appear as awaiting response."),
        "Percentage calculated to zero decimal places; <1% is a non-zero share under 0.5%.",
        "Refusals include deferrals. Working days are counted as deadlines are (the start is day 0).",
    ]
    if suppress_below:
        notes.append(f"Counts from 1 to {suppress_below - 1} are shown as <{suppress_below}; "
                     "their percentages as [c]. Where a total would let a hidden count be worked out, "
                     "another count in the same sum is hidden too, shown as [c].")
    council = (getattr(rules, "council", None) or {}).get("council", {})
    return {
        "year": fy.label, "basis": basis, "years": [y.label for y in shown],
        "period": {"from": fy.first.isoformat(), "to": fy.last.isoformat()},
        "council": council.get("name"), "service": council.get("service"),
        "suppress_below": suppress_below, "notes": notes,
        "tables": [t.to_json(suppress_below) for t in tables],
        "improvements": builder.improvements(),
    }


class _Builder:
    """Runs the three statements and turns their grouped rows into the seed's tables."""

    def __init__(self, log: Any, rules: Any, years: list[FinancialYear], basis: str) -> None:
        self.log, self.rules, self.years, self.basis = log, rules, years, basis
        self.tax = rules.taxonomy
        self.settings = rules.settings
        start, end = years[-1].first.isoformat(), years[0].last.isoformat()
        self.refs, self.stages, self.lgsco = Counts(), Counts(), Counts()
        stage_params = {"start": start, "end": end, "basis": basis, **self._stage_params()}
        # the per-stage statement, the longer, runs here; the other in the worker, which starts later
        stage_rows, ref_rows = worker.both(log, (sql.per_stage(basis), stage_params, "per_stage"),
                                           (sql.per_reference(basis), {"start": start, "end": end}, "per_reference"))
        for r in ref_rows:
            self.refs.add(r["t"], (r["fy"], r["a"], r["b"]), r["n"])
        for r in stage_rows:
            self.stages.add(r["t"], (r["fy"], r["a"], r["b"], r["c"], r["d"], r["e"]), r["n"])
        self.actions = [dict(r) for r in log.query(sql.ACTIONS)]
        for r in log.query(sql.LGSCO, {"start": start, "end": end}):
            self.lgsco.add(r["event"], (r["fy"], r["a"]), r["n"])
            if r["event"] == "lgsco_referral":
                self.lgsco.add("awaiting", (r["fy"], None), r["awaiting"] or 0)

    # ----------------------------------------------------------------- parameters

    def _stage_params(self) -> dict[str, Any]:
        from triage.clock.deadlines import Clock

        clock = Clock(self.rules)
        # two subqueries, so that each reads one end of the received_date index (min and max in one
        # SELECT read the whole index)
        bounds = next(iter(self.log.query("SELECT (SELECT min(received_date) FROM decisions) AS lo, "
                                          "(SELECT max(received_date) FROM decisions) AS hi")))
        lo = min(date.fromisoformat(bounds["lo"][:10]) if bounds["lo"] else self.years[-1].first, self.years[-1].first)
        hi = max(date.fromisoformat(bounds["hi"][:10]) if bounds["hi"] else self.years[0].last,
                 self.years[0].last, date.today())
        return {"cal": json.dumps(_working_day_index(clock, lo - timedelta(days=7), hi + timedelta(days=800))),
                "years": json.dumps([[y.start, y.last.isoformat()] for y in self.years]),
                "fy0": self.years[-1].start, "fy1": self.years[0].start}

    # ----------------------------------------------------------------- tables

    def tables(self) -> list[Table]:
        from . import tables

        return tables.all_tables(self)

    def improvements(self) -> list[dict[str, Any]]:
        """The service improvements implemented in the report's year (GBFC 2006 5.6.2): the
        text agreed, the service and where it came from; no reference, date or name."""
        from .tables import improvements

        return improvements(self)

    def table(self, id_: str, title: str, note: str | None = None) -> Table:
        return Table(id_, title, self.years, note)


def _working_day_index(clock: Any, lo: date, hi: date) -> dict[str, list[int]]:
    """Each date's index in working days, so that index(b) - index(a) is
    ``working_days_between(a, b)``: [n, n with closures, and both for the clock's day 0]."""
    closures = bool(clock.settings["corporate"].get("closures_stop_clock"))
    cal = clock.calendar
    out: dict[str, list[int]] = {}
    n = nc = 0
    day = lo
    while day <= hi:
        n += cal.is_working_day(day)
        nc += cal.is_working_day(day, with_closures=closures)
        out[day.isoformat()] = [n, nc]
        day += timedelta(days=1)
    for key, value in out.items():
        start = clock.start(date.fromisoformat(key)).isoformat()
        value += out.get(start, value)[:2]
    return out


def write(report: dict[str, Any], fmt: str, out: Any = None, rules: Any = None) -> Any:
    """Render ``report`` as json, md, html or csv (see ``render.write``)."""
    from . import render

    return render.write(report, fmt, out, rules)
