"""Readable text for officers: decisions and log listings (no logic, only layout)."""

from __future__ import annotations

from datetime import date
from typing import Any

DEADLINE_LABELS = {
    "act_by": "act by (same day)",
    "acknowledge_by": "acknowledge by",
    "request_information_by": "ask for the missing information by",
    "respond_by": "respond by",
    "respond_by_latest": "respond at the latest by",
    "panel_by": "review panel meets by",
    "panel_report_by": "panel report by",
}


def long_date(value: str | date) -> str:
    d = value if isinstance(value, date) else date.fromisoformat(value)
    return f"{d:%a} {d.day} {d:%b %Y}"


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
            lines.append(f"  {DEADLINE_LABELS.get(key, key.replace('_', ' ')):<28} {long_date(value)}")
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
