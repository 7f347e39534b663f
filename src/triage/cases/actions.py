"""The learning register: every action agreed on a case, what became of it, and what is late.

A complaints manager runs the quarterly learning review from it (`triage actions`, the
managers' /actions page): the actions still open, those past their due date, by where they
came from (a complaint finding, an Ombudsman remedy, wider learning), by service and by the
financial year they were agreed in. One row per action; reading it writes nothing.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from typing import Any

from triage.contract import vocab
from triage.contract.errors import UsageError
from triage.contract.hints import suggest

STATUSES = ("open", "overdue", "completed", "dropped")
COLUMNS = ["action_id", "reference", "service", "source", "remedy", "amount", "owner", "what", "agreed", "due",
           "status", "done", "on_time", "working_days_left", "evidence", "reason"]


def _year(value: str) -> tuple[str, str]:
    """'2024-25' -> the first and last day of that financial year (UsageError otherwise)."""
    text = value.strip().replace("/", "-")
    head, _, tail = text.partition("-")
    if not (head.isdigit() and tail.isdigit() and len(head) == 4 and (int(head) + 1) % 100 == int(tail)):
        raise UsageError(f"--year: {value!r} is not a financial year; write it as 2024-25 (1 April 2024 to 31 March 2025)")
    return f"{head}-04-01", f"{int(head) + 1}-03-31"


def register(log: Any, rules: Any, today: date, *, status: str | None = None, source: str | None = None,
             service: str | None = None, year: str | None = None) -> list[dict[str, Any]]:
    """Every action agreed, filtered: ``status`` open (not done nor dropped), overdue (open and
    past its due date), completed or dropped; ``source``; ``service`` (a taxonomy label, matched
    as input is); ``year`` (the financial year it was agreed in). Overdue first, then by due date."""
    from triage.clock.deadlines import Clock

    if status is not None and status not in STATUSES:
        raise UsageError(f"--status: {status!r} is not a status{suggest(status, STATUSES)} (one of: {', '.join(STATUSES)})")
    if source is not None and source not in vocab.ACTION_SOURCES:
        raise UsageError(f"--source: {source!r} is not a source{suggest(source, vocab.ACTION_SOURCES)} "
                         f"(one of: {', '.join(vocab.ACTION_SOURCES)})")
    wanted_service = None
    if service is not None:
        entry = rules.taxonomy.services.get(service)
        if entry is None:
            close = rules.taxonomy.services.suggest(service)
            raise UsageError(f"--service: {service!r} is not a service in rules/taxonomy.yaml"
                             + (f"; did you mean {' or '.join(map(repr, close))}?" if close else ""))
        wanted_service = entry.label
    first, last = _year(year) if year else ("", "9999-12-31")
    clock = Clock(rules)
    actions: dict[tuple[str, str], dict[str, Any]] = {}
    services: dict[str, str | None] = {}
    for r in log.query("SELECT reference, event, date, payload FROM events "
                       "WHERE event IN ('action_agreed', 'action_completed', 'action_dropped') ORDER BY seq"):
        e = json.loads(r["payload"])
        key = (r["reference"], str(e["action_id"]))
        if r["event"] == "action_agreed":
            actions[key] = {"action_id": e["action_id"], "reference": r["reference"], "source": e["source"],
                            "remedy": e.get("remedy"), "amount": e.get("amount"), "owner": e["owner"], "what": e["what"],
                            "agreed": r["date"], "due": e["due"], "status": "open", "done": None, "evidence": None,
                            "reason": None}
        elif key in actions:
            a = actions[key]
            a["status"] = "completed" if r["event"] == "action_completed" else "dropped"
            a["done"], a["evidence"], a["reason"] = r["date"], e.get("evidence"), e.get("reason")
    for r in log.query("SELECT reference, service FROM decision_codes WHERE seq IN "
                       "(SELECT max(seq) FROM decision_codes WHERE reference IN "
                       "(SELECT DISTINCT reference FROM action_codes) GROUP BY reference)"):
        services[r["reference"]] = r["service"]
    out = []
    for a in actions.values():
        label = services.get(a["reference"])
        entry = rules.taxonomy.services.get(label) if label else None
        a["service"] = entry.label if entry else label
        open_ = a["status"] == "open"
        a["working_days_left"] = clock.calendar.working_days_between(today, date.fromisoformat(a["due"])) if open_ else None
        a["on_time"] = a["done"] <= a["due"] if a["status"] == "completed" else None
        overdue = open_ and a["due"] < today.isoformat()
        if status == "overdue" and not overdue or status in ("open", "completed", "dropped") and a["status"] != status:
            continue
        if source and a["source"] != source or wanted_service and a["service"] != wanted_service:
            continue
        if not first <= a["agreed"] <= last:
            continue
        a["overdue"] = overdue
        out.append(a)
    return sorted(out, key=lambda a: (not a["overdue"], a["status"] != "open", a["due"], a["action_id"]))


def to_csv(rows: list[dict[str, Any]]) -> str:
    """The register as CSV, one row per action (the columns stay the same every quarter)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(COLUMNS)
    for r in rows:
        w.writerow(["" if r.get(c) is None else r.get(c) for c in COLUMNS])
    return buf.getvalue()
