"""Readable text for officers: decisions and log listings (no logic, only layout)."""

from __future__ import annotations

from typing import Any

from triage.clock.calendar import short_date
from triage.contract.vocab import DEADLINE_LABELS


def shown(value: Any) -> str:
    """A logged value as an officer reads it: "none" for a value not set, never Python's None."""
    return "none" if value is None else str(value)


def decision_text(d: dict[str, Any], flags: dict[str, str] | None = None) -> str:
    """A decision as an officer reads it: what, why (with citations), by when, what next."""
    route = d["representation_type"].replace("_", " ")
    if d.get("procedure"):
        route += f" · {d['procedure']} procedure"
    if d.get("stage"):
        route += f" · stage {d['stage']}"
    lines = [f"{d['reference']}  {route}",
             f"Decision: {d['disposition'].replace('_', ' ').upper()}"
             + (f" ({d['reason'].replace('_', ' ')})" if d.get("reason") else "")]
    if d.get("deadlines"):
        lines.append("Deadlines (working days):")
        for key, value in d["deadlines"].items():
            lines.append(f"  {DEADLINE_LABELS.get(key, key.replace('_', ' ')):<28} {short_date(value)}")
    if d.get("advocacy_offer"):
        lines.append("Advocacy: offer help to get an advocate (Children Act 1989 s.26A).")
    for q in d.get("officer_questions", []):
        lines += [f"Officer decision needed [{q['id']}]: {q['question']}",
                  *[f"  - {f}" for f in q["factors"]],
                  f"  Presumption: {q['presumption']}",
                  f"  Authority: {q['citation']}"]
    if d.get("officer_questions"):
        lines.append('  Record the answer in "officer_decisions" ({"<id>": {"answer": true, "reason": "...", '
                     '"by": "..."}}) and assess again.')
    for flag in d.get("flags", []):
        text = (flags or {}).get(flag)
        lines.append(f"Flag {flag}: {text}" if text else f"Flag: {flag}")
    lines.append("Why:")
    for r in d.get("rules_fired", []):
        lines.append(f"  {r['id']}: {r['title']} [{r['citation']}]")
    where = f"logged as {d['decision_id']}" if d.get("decision_id") else "not logged"
    lines.append(f"({where}; ruleset {d['ruleset'][:19]}…; assessed {d['assessed_at']})")
    return "\n".join(lines)


def log_table(rows: list[dict[str, Any]]) -> str:
    """One line per logged decision."""
    if not rows:
        return "No decisions match."
    head = ("id", "reference", "received", "type", "procedure", "disposition", "reason", "stage")
    table = [head] + [(r["decision_id"], r["reference"], r.get("received_date") or "",
                       r["representation_type"], r.get("procedure") or "-", r["disposition"],
                       r.get("reason") or "-", str(r.get("stage") or "-")) for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in table)


def due_table(rows: list[dict[str, Any]]) -> str:
    """What is due: one line per open case, soonest first."""
    if not rows:
        return "Nothing is due."
    head = ("due", "days left", "reference", "procedure", "stage", "step owed")
    table = [head] + [(short_date(r["due"]), str(r["working_days_left"]) + (" OVERDUE" if r["working_days_left"] < 0 else ""),
                       r["reference"], r.get("procedure") or r["representation_type"].replace("_", " "),
                       str(r.get("stage") or "-"), r["step"]) for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in table)


def case_text(report: dict[str, Any]) -> str:
    """A case's timeline as an officer reads it."""
    d = report["decision"]
    route = d["representation_type"].replace("_", " ") + (f" · {d['procedure']} procedure" if d.get("procedure") else "")
    lines = [f"{report['reference']}  {route}  ({report['status']})",
             f"Received {short_date(report['received_date'])}; latest decision {d['decision_id']}: "
             f"{d['disposition'].replace('_', ' ')}" + (f" ({d['reason'].replace('_', ' ')})" if d.get("reason") else "")
             + (f", stage {d['stage']}" if d.get("stage") else ""), "", "Timeline:"]
    items = [(x["for_date"], f"decision {x['decision_id']}: {x['disposition'].replace('_', ' ')}"
              + (f" at stage {x['stage']}" if x.get("stage") else "") + (f" ({x['reason']})" if x.get("reason") else ""))
             for x in report["decisions"]]
    for e in report["events"]:
        extra = ", ".join(f"{k}={v}" for k, v in e.items()
                          if k not in ("reference", "event", "date", "decision_id", "recorded_at") and v not in (None, []))
        items.append((e["date"], f"{e['event']}" + (f" ({extra})" if extra else "")))
    for o in report["overrides"]:
        items.append((o["recorded_at"][:10], f"override {o['field']}: {o['from_value']} -> {o['to_value']} by {o['by']}: {o['reason']}"))
    for letter in report["letters"]:
        items.append((letter["drafted_at"][:10], f"letter drafted: {letter['template']}"))
    for day, text in sorted(items, key=lambda t: t[0]):
        lines.append(f"  {short_date(day):<17} {text}")
    lines += ["", "Deadlines:"]
    for x in report["deadlines"]:
        if x["status"] == "met":
            status = f"met {short_date(x['done'])}"
        elif x["status"] == "missed":
            status = f"MISSED (done {short_date(x['done'])})"
        elif x["working_days_left"] >= 0:
            status = f"owed, {x['working_days_left']} working days left"
        else:
            status = f"OVERDUE by {-x['working_days_left']} working days"
        lines.append(f"  {short_date(x['due']):<17} {x['step']}: {status}  [{x['rule']}; from {x['from']}]")
    decide = [x for x in report.get("learning", []) if x["step"].startswith("decide the learning")]
    if report.get("actions") or decide:
        lines += ["", "Actions:"]
        for x in decide:
            state = (f"met {short_date(x['done'])} (an action was agreed)" if x["status"] != "owed" else
                     f"owed, {x['working_days_left']} working days left" if x["working_days_left"] >= 0 else
                     f"OVERDUE by {-x['working_days_left']} working days")
            lines.append(f"  {short_date(x['due']):<17} {x['step']}: {state}  [{x['rule']}; from {x['from']}]")
        for a in report["actions"]:
            kind = a["source"].replace("_", " ") + (f", {a['remedy'].replace('_', ' ')}" if a.get("remedy") else "") \
                + (f", £{a['amount']:,.2f}" if a.get("amount") is not None else "")
            lines.append(f"  {a['action_id']} ({kind}; owner {a['owner']}; due {short_date(a['due'])}): {a['what']}")
            for h in a["history"]:
                said = {"action_agreed": "agreed", "action_completed": "completed", "action_dropped": "dropped"}[h["event"]]
                why = h.get("evidence") or h.get("reason")
                lines.append(f"    {short_date(h['date']):<17} {said}" + (f": {why}" if why and h["event"] != "action_agreed" else ""))
            if a["status"] == "completed":
                lines.append(f"    {'on time' if a['on_time'] else 'LATE'}")
            elif a["status"] == "open":
                left = a.get("working_days_left", 0)
                lines.append(f"    open, {left} working days left" if left >= 0 else f"    OVERDUE by {-left} working days")
    if report.get("next_stage_request_by"):
        n = report["next_stage_request_by"]
        lines.append(f"  The complainant may ask for stage {n['stage']} by {short_date(n['date'])}.")
    for w in report.get("warnings", []):
        lines.append(f"Warning: {w}")
    return "\n".join(lines)
