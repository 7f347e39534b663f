"""The report's groupings, counted in Python dicts as SQLite hands over its rows.

SQLite has no hash aggregation: every GROUP BY sorts its rows first. The per-reference rows
of a million-decision log (about 500,000 in three years) were grouped three times, by up to
eleven keys, and the sorts cost more CPU than finding the rows (bench/README.md, "Annual
report"). Here each row is counted once into three small dicts, fed by an aggregate function
registered on the reading connection (no row object is built), and the tables' groupings are
then summed from those few thousand entries.

A counter takes its statement's columns in ``COLUMNS`` order (``step``) and gives the rows the
report's tables read (``rows``): dicts of ``t`` (the table), ``fy`` and the table's keys, and
``n``, with SQLite's meaning of every comparison and truth test, and in the order a GROUP BY
would give them (NULL first, then numbers, then text).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

YOUNG = ("child", "young_person", "care_leaver", "advocate")
_NUMERIC = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def truthy(value: Any) -> bool:
    """A value as SQLite's WHERE reads it: NULL is false, a number is true unless 0, text is
    true when its numeric prefix is a non-zero number."""
    if value is None:
        return False
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    match = _NUMERIC.match(value)
    return match is not None and float(match.group(0)) != 0


def sql_order(value: Any) -> tuple[int, Any]:
    """A sort key giving SQLite's order of mixed values (BINARY collation)."""
    if value is None:
        return (0, 0)
    if isinstance(value, (int, float)):
        return (1, value)
    if isinstance(value, str):
        return (2, value.encode("utf-8"))
    return (3, bytes(value))


def _grouped(table: str, counts: Iterable[tuple[tuple[Any, ...], int]],
             key: Callable[[tuple[Any, ...]], tuple[Any, ...] | None], names: tuple[str, ...]) -> list[dict[str, Any]]:
    """``SELECT table, <key> , sum(n) ... GROUP BY <key>`` over (group, n) pairs, where ``key``
    gives a group's output keys, or None when the WHERE clause leaves it out."""
    out: dict[tuple[Any, ...], int] = {}
    for group, n in counts:
        k = key(group)
        if k is not None:
            out[k] = out.get(k, 0) + n
    return [{"t": table, **dict(zip(names, k)), "n": n}
            for k, n in sorted(out.items(), key=lambda item: tuple(sql_order(v) for v in item[0]))]


def _json_each(text: Any) -> list[Any]:
    """The values ``json_each`` gives for a stored JSON value (an array's items; an object's
    values; a scalar itself), with JSON true and false as 1 and 0, nested values as JSON text."""
    if text is None:
        return []
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return [text]
    items = value if isinstance(value, list) else list(value.values()) if isinstance(value, dict) else [value]
    return [int(v) if isinstance(v, bool) else json.dumps(v, separators=(",", ":"), ensure_ascii=False)
            if isinstance(v, (list, dict)) else v for v in items]


def _array_length(text: Any) -> int:
    """``json_array_length(coalesce(text, '[]'))``: an array's length, else 0."""
    if text is None:
        return 0
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return 0
    return len(value) if isinstance(value, list) else 0


def _by_year_and(i: int) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    """A group's output keys: its year and its ``i``-th key."""
    return lambda k: (k[0], k[i], None)


class PerReference:
    """Counts of the per-reference rows (``sql.per_reference``): each reference counted once,
    its latest decision's codes, into the representations, refusals, methods, complainants,
    services, natures, advocacy and equality tables."""

    COLUMNS = ("fy", "cat", "rtype", "proc", "disp", "reason", "via", "rel", "service", "advocacy", "age_unclear",
               "natures", "gender", "age_band", "disability", "ethnicity", "orientation")

    def __init__(self, params: dict[str, Any]) -> None:
        self.g: dict[tuple[Any, ...], int] = {}  # by the keys of every table but natures and equality
        self.ge: dict[tuple[Any, ...], int] = {}  # complaints by their equality answers
        self.gn: dict[tuple[Any, ...], int] = {}  # complaints counted as complaints, by their natures

    def step(self, fy: Any, cat: Any, rtype: Any, proc: Any, disp: Any, reason: Any, via: Any, rel: Any,
             service: Any, advocacy: Any, age_unclear: Any, natures: Any, gender: Any, age_band: Any,
             disability: Any, ethnicity: Any, orientation: Any) -> None:
        key: tuple[Any, ...] = (fy, cat, rtype, proc, disp, reason, via, rel, service, advocacy, age_unclear)
        g = self.g
        g[key] = g.get(key, 0) + 1
        if rtype == "complaint":
            key = (fy, gender, age_band, disability, ethnicity, orientation)
            g = self.ge
            g[key] = g.get(key, 0) + 1
        if cat == "complaint":
            key = (fy, proc, natures)
            g = self.gn
            g[key] = g.get(key, 0) + 1

    def finalize(self) -> None:
        """(An aggregate's result: the counts stay here, read with ``rows``.)"""

    def rows(self) -> list[dict[str, Any]]:
        g, ge = list(self.g.items()), list(self.ge.items())
        names = ("fy", "a", "b")

        def complaint(keep: Callable[[tuple[Any, ...]], bool], out: Callable[[tuple[Any, ...]], tuple[Any, ...]]
                      ) -> Callable[[tuple[Any, ...]], tuple[Any, ...] | None]:
            return lambda k: out(k) if k[2] == "complaint" and keep(k) else None

        def every(k: tuple[Any, ...]) -> bool:
            return True

        natures: dict[tuple[Any, ...], int] = {}
        for (fy, proc, text), n in self.gn.items():
            for value in _json_each(text):
                natures[(fy, proc, value)] = natures.get((fy, proc, value), 0) + n
        empty = [((fy, proc), n) for (fy, proc, text), n in self.gn.items() if _array_length(text) == 0]
        # fy cat rtype proc disp reason via rel service advocacy age_unclear
        # 0  1   2     3    4    5      6   7   8       9        10
        return [
            *_grouped("representations", g, lambda k: (k[0], k[1], k[3]), names),
            *_grouped("refusals", g, complaint(lambda k: k[4] in ("refused", "deferred"), lambda k: (k[0], k[3], k[5])),
                      names),
            *_grouped("methods", g, complaint(every, lambda k: (k[0], k[6], None)), names),
            *_grouped("young_people_methods", g, complaint(lambda k: k[7] in YOUNG, lambda k: (k[0], k[6], None)), names),
            *_grouped("complainants", g, complaint(every, lambda k: (k[0], k[7], None)), names),
            *_grouped("services", g, lambda k: (k[0], k[3], k[8]) if k[1] == "complaint" else None, names),
            *_grouped("natures", natures.items(), lambda k: k, names),
            *_grouped("natures", empty, lambda k: (k[0], k[1], None), names),
            *_grouped("advocacy", g, complaint(lambda k: k[7] in YOUNG, lambda k: (k[0], "young_people", None)), names),
            *_grouped("advocacy", g, complaint(lambda k: k[7] == "advocate", lambda k: (k[0], "advocate", None)), names),
            *_grouped("advocacy", g, complaint(lambda k: truthy(k[9]), lambda k: (k[0], "offered", None)), names),
            *_grouped("advocacy", g, complaint(lambda k: truthy(k[10]) and truthy(k[9]),
                                               lambda k: (k[0], "age_unclear", None)), names),
            *[row for i, table in enumerate(("equality_gender", "equality_age", "equality_disability",
                                             "equality_ethnicity", "equality_sexual_orientation"), start=1)
              for row in _grouped(table, ge, _by_year_and(i), names)],
        ]


class PerStage:
    """Counts of the per-stage rows (``sql.per_stage``): one row per complaint stage, counted
    in the timescales, outcomes, escalations and actual outcomes tables of the financial year
    it started (received basis) or was answered (resolved basis), and as awaiting a response
    at the end of each year shown.

    The parameters give the calendar (``cal``: each date's index in working days, as
    ``build._working_day_index`` makes it), the years shown (``years``: [fy, its last day]),
    the first and last year counted (``fy0``, ``fy1``) and the ``basis``."""

    COLUMNS = ("stage", "proc", "accepted", "requested", "responded", "closed_on", "fy", "statement", "until",
               "extended", "finding", "escalated", "outcomes")

    def __init__(self, params: dict[str, Any]) -> None:
        self.cal: dict[str, list[int]] = json.loads(params["cal"])
        self.years: list[tuple[Any, Any]] = [(y[0], y[1]) for y in json.loads(params["years"])]
        self.fy0, self.fy1 = params["fy0"], params["fy1"]
        self.received = params["basis"] == "received"
        self.gt: dict[tuple[Any, ...], int] = {}  # answered stages by year, route, stage, days, finding
        self.ao: dict[tuple[Any, ...], int] = {}  # answered first stages by their actual outcomes
        self.aw: dict[tuple[Any, ...], int] = {}  # awaiting a response at a year's end

    def _days(self, proc: Any, stage: Any, requested: Any, end: Any, statement: Any) -> int | None:
        """Working days from a stage's start to ``end`` (a date not in the calendar: None):
        corporate stages on the calendar with closures, from the clock's day 0; statutory
        stage 1 from the clock's day 0; stage 2 from the agreed statement, else the request;
        stage 3 from the request."""
        cal = self.cal
        to = cal.get(end) if isinstance(end, str) else None
        start = cal.get(requested) if isinstance(requested, str) else None
        if to is None:
            return None
        if proc == "corporate":
            return None if start is None else to[1] - start[3]
        if stage == 1:
            return None if start is None else to[0] - start[2]
        if stage == 2:
            agreed = cal.get(statement) if isinstance(statement, str) else None
            if agreed is not None:
                return to[0] - agreed[0]
        return None if start is None else to[0] - start[0]

    def step(self, stage: Any, proc: Any, accepted: Any, requested: Any, responded: Any, closed_on: Any, fy: Any,
             statement: Any, until: Any, extended: Any, finding: Any, escalated: Any, outcomes: Any) -> None:
        if accepted and truthy(accepted):
            # received: started in the year and still unanswered (``fy`` is the year it started);
            # resolved: started by the year's end, not answered, withdrawn or closed by then
            for year, year_end in self.years:
                if (fy == year and responded is None and closed_on is None if self.received else
                        requested is not None and requested <= year_end
                        and (responded is None or responded > year_end)
                        and (closed_on is None or closed_on > year_end)):
                    self.aw[(year, proc, stage)] = self.aw.get((year, proc, stage), 0) + 1
        if responded is None or fy is None or not self.fy0 <= fy <= self.fy1:
            return
        days = self._days(proc, stage, requested, responded, statement)
        until_days = None if until is None else self._days(proc, stage, requested, until, statement)
        key: tuple[Any, ...] = (fy, proc, stage, days, extended, until_days, finding, escalated)
        self.gt[key] = self.gt.get(key, 0) + 1
        if stage == 1 and outcomes is not None:
            key = (fy, proc, outcomes)
            self.ao[key] = self.ao.get(key, 0) + 1

    def finalize(self) -> None:
        """(An aggregate's result: the counts stay here, read with ``rows``.)"""

    def rows(self) -> list[dict[str, Any]]:
        gt = list(self.gt.items())
        names = ("fy", "a", "b", "c", "d", "e")
        outcomes: dict[tuple[Any, ...], int] = {}
        for (fy, proc, text), n in self.ao.items():
            for value in _json_each(text):
                outcomes[(fy, proc, value)] = outcomes.get((fy, proc, value), 0) + n
        # fy proc stage days extended until_days finding escalated
        # 0  1    2     3    4        5          6       7
        return [
            *_grouped("timescales", gt, lambda k: k[:6], names),
            *_grouped("outcomes", gt, lambda k: (k[0], k[1], k[2], k[6], None, None), names),
            *_grouped("escalations", gt, lambda k: (k[0], k[1], k[2], k[7], None, None), names),
            *_grouped("actual_outcomes", outcomes.items(), lambda k: (k[0], k[1], 1, k[2], None, None), names),
            *_grouped("awaiting", self.aw.items(), lambda k: (k[0], k[1], k[2], None, None, None), names),
        ]


COUNTERS: dict[str, Any] = {"per_reference": PerReference, "per_stage": PerStage}
