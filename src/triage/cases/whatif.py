"""What-if over the log: ``triage rules diff --with OTHER``.

Every logged representation is decided again, as its latest input stands (the input of the
latest decision on its reference, with the officers' answers recorded since), under another
ruleset, and compared with the decision the log holds. Nothing is written to the log. The
result says what would change: counts per (field, old -> new, deciding rule) with a few
references each, and the cells of the annual report's refusal and timescale tables that would
change (the report is built on a temporary copy of the log that holds the new decisions).

This is how a council checks a change to its rules or settings, or an upgrade of triage, before
taking it.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as default
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from triage.clock.calendar import WorkingCalendar
from triage.contract.errors import InputError
from triage.contract.models import Decision
from triage.contract.validation import parse_representation
from triage.log.store import DecisionLog
from triage.rules.decider import Decider
from triage.rules.ruleset import RuleSet

FIELDS = ("representation_type", "procedure", "disposition", "reason", "stage", "advocacy_offer")
REPORT_TABLES = ("refusals", "timescales")
EXAMPLES = 3


@dataclass
class Change:
    """One kind of change, how often, and a few references."""

    field: str
    old: str
    new: str
    rule: str
    count: int = 0
    references: list[str] = default(default_factory=list)


@dataclass
class Cell:
    table: str
    group: str | None
    label: str
    year: str
    old: Any
    new: Any


@dataclass
class WhatIf:
    decided: int
    changed: int
    invalid: list[tuple[str, str]]  # (reference, why the new rules cannot read its input)
    overridden: int  # changed references whose decision a manager has overridden
    changes: list[Change]
    cells: list[Cell]
    year: str
    basis: str
    current: str
    other: str

    @property
    def years(self) -> str:
        """The report's years, oldest to the year asked for ("2023/24 to 2025/26")."""
        start = int(self.year[:4])
        return f"{start - 2}/{(start - 1) % 100:02d} to {self.year}"

    def to_json(self) -> dict[str, Any]:
        return {
            "decided": self.decided, "changed": self.changed, "overridden": self.overridden,
            "current_ruleset": self.current, "other_ruleset": self.other, "year": self.year, "basis": self.basis,
            "invalid": [{"reference": r, "problem": p} for r, p in self.invalid],
            "changes": [vars(c) for c in self.changes],
            "report_cells": [vars(c) for c in self.cells],
        }


def _deciding_rule(rules: RuleSet, decision: Decision, key: str) -> str:
    """The rule that drew ``key`` in ``decision`` (the first fired rule setting it to its value)."""
    value = getattr(decision, key)
    by_id = {r.id: r for r in rules.rules}
    for fired in decision.rules_fired:
        rule = by_id.get(fired.id)
        if rule is not None and key in rule.then and rule.then[key] == value:
            return rule.id
    return "-"


def _label(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)


def compare(old: dict[str, Any], new: Decision, rules: RuleSet, calendar: WorkingCalendar) -> list[tuple[str, str, str, str]]:
    """(field, old, new, rule) for each way ``new`` differs from the logged decision ``old``."""
    out = []
    for key in FIELDS:
        if old.get(key) != getattr(new, key):
            # a field that is now empty was left so by the rule that decided the disposition
            decider = key if getattr(new, key) is not None else "disposition"
            out.append((key, _label(old.get(key)), _label(getattr(new, key)), _deciding_rule(rules, new, decider)))
    old_q = [q["id"] for q in old.get("officer_questions", [])]
    new_q = [q.id for q in new.officer_questions]
    if old_q != new_q:
        asking = sorted({r.id for r in rules.rules if r.id in {f.id for f in new.rules_fired}
                         and set(r.cumulative("ask")) & set(new_q)})
        out.append(("officer_questions", _label(old_q), _label(new_q), ", ".join(asking) or "-"))
    rerouted = any(old.get(k) != getattr(new, k) for k in ("representation_type", "procedure", "disposition", "stage"))
    if rerouted:  # the deadlines follow the new route, not a setting
        source = _deciding_rule(rules, new, "disposition")
    else:
        source = f"settings: {new.procedure}.stage{new.stage}" if new.procedure and new.stage else "settings"
    old_d: dict[str, str] = old.get("deadlines") or {}
    new_d = {k: v.isoformat() for k, v in new.deadlines.items()}
    for key in sorted(set(old_d) | set(new_d)):
        before, after = old_d.get(key), new_d.get(key)
        if before == after:
            continue
        if before and after:
            shift = calendar.working_days_between(date.fromisoformat(before), date.fromisoformat(after))
            change = f"{abs(shift)} working day{'s' if abs(shift) != 1 else ''} {'later' if shift > 0 else 'earlier'}"
            out.append((f"deadlines.{key}", "", change, source))
        else:
            out.append((f"deadlines.{key}", before or "none", after or "none", source))
    return out


def what_if(log: DecisionLog, current: RuleSet, other: RuleSet, *, year: str | None = None,
            basis: str = "received", progress: Callable[[int], None] | None = None) -> WhatIf:
    """Decide every logged representation again under ``other`` and report what would change."""
    from triage import report

    decider = Decider(other)
    calendar = decider.clock.calendar
    now = datetime.now(timezone.utc)
    changes: dict[tuple[str, str, str, str], Change] = {}
    invalid: list[tuple[str, str]] = []
    new_decisions: list[tuple[Decision, dict[str, Any]]] = []
    overridden_refs = {o["reference"] for o in log.overrides()}
    decided = changed = overridden = 0
    for logged in log.find(latest_only=True):
        reference = logged.decision["reference"]
        try:
            rep = parse_representation(logged.representation, other)
        except InputError as exc:
            invalid.append((reference, "; ".join(exc.lines())))
            continue
        new = decider.decide(rep, reference, now)
        decided += 1
        if progress and decided % 1000 == 0:
            progress(decided)
        differences = compare(logged.decision, new, other, calendar)
        if not differences:
            continue
        changed += 1
        overridden += reference in overridden_refs
        new_decisions.append((new, logged.representation))
        for key in differences:
            entry = changes.get(key)
            if entry is None:
                entry = changes[key] = Change(*key)
            entry.count += 1
            if len(entry.references) < EXAMPLES:
                entry.references.append(reference)
    if year:
        fy = report.parse_year(year)
    else:  # the financial year of the latest representation in the log
        latest = next(iter(log.query("SELECT max(received_date) AS d FROM decisions")))["d"]
        fy = report.FinancialYear.containing(date.fromisoformat(latest[:10])) if latest else report.last_complete_year()
    cells = _report_cells(log, current, other, new_decisions, fy.label.replace("/", "-"), basis)
    ordered = sorted(changes.values(), key=lambda c: (-c.count, c.field, c.old, c.new))
    return WhatIf(decided, changed, invalid, overridden, ordered, cells, fy.label, basis, current.hash, other.hash)


def _report_cells(log: DecisionLog, current: RuleSet, other: RuleSet, new: list[tuple[Decision, dict[str, Any]]],
                  year: str, basis: str) -> list[Cell]:
    """The refusal and timescale cells of the annual report that the new decisions change."""
    from triage import report

    before = report.build(log, current, year=year, basis=basis)
    with tempfile.TemporaryDirectory(prefix="triage-whatif-") as tmp:
        copy_path = Path(tmp) / "whatif.db"
        _copy(log.path, copy_path)
        scratch = DecisionLog(copy_path)
        try:
            scratch.db.execute("PRAGMA synchronous = OFF")
            for decision, representation in new:
                scratch.append(decision.model_dump(mode="json"), representation)
            after = report.build(scratch, other, year=year, basis=basis)
        finally:
            scratch.close()
    return _diff_tables(before, after)


def _copy(source: Path, target: Path) -> None:
    """A consistent copy of a log (SQLite's online backup), safe while others write to it."""
    src, dst = sqlite3.connect(str(source)), sqlite3.connect(str(target))
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def _diff_tables(before: dict[str, Any], after: dict[str, Any]) -> list[Cell]:
    out = []
    old_tables = {t["id"]: t for t in before["tables"]}
    for table in after["tables"]:
        if table["id"] not in REPORT_TABLES:
            continue
        old_rows = {(r.get("group"), r["label"]): r for r in old_tables.get(table["id"], {"rows": []})["rows"]}
        for row in table["rows"]:
            old_row = old_rows.get((row.get("group"), row["label"]), {"counts": {}})
            for year in after["years"]:
                was, now = old_row["counts"].get(year), row["counts"].get(year)
                if was != now and (was or now):  # a row that is new, or gone, with nothing in it says nothing
                    out.append(Cell(table["id"], row.get("group"), row["label"], year, was, now))
        new_keys = {(r.get("group"), r["label"]) for r in table["rows"]}
        for key, old_row in old_rows.items():
            if key not in new_keys:
                for year in before["years"]:
                    if old_row["counts"].get(year):
                        out.append(Cell(table["id"], key[0], key[1], year, old_row["counts"][year], None))
    return out


def lines(w: WhatIf) -> list[str]:
    """The what-if as a manager reads it."""
    out = [f"Decided again: {w.decided:,} representations (the latest input of each reference) under ruleset "
           f"{w.other[:19]}…, against the decisions in the log. Nothing was written."]
    if w.invalid:
        out.append(f"{len(w.invalid):,} could not be read under the new rules (their input no longer fits them):")
        out += [f"  {ref}: {why}" for ref, why in w.invalid[:10]]
    if not w.changes:
        out.append("No decision would change.")
    else:
        out.append(f"{w.changed:,} would change"
                   + (f" ({w.overridden:,} of them overridden by a manager, which a rules change does not undo)"
                      if w.overridden else "") + ":")
        width = max(len(c.field) for c in w.changes)
        for c in w.changes:
            change = f"{c.old} -> {c.new}" if c.old else c.new
            out.append(f"  {c.field:<{width}}  {change}  [{c.rule}]  {c.count:,}  e.g. {', '.join(c.references)}")
    if w.cells:
        out.append(f"Annual report {w.years} ({w.basis} basis), cells that would change:")
        for cell in w.cells:
            where = f"{cell.group} / {cell.label}" if cell.group else cell.label
            out.append(f"  {cell.table}: {where}, {cell.year}: {_label(cell.old)} -> {_label(cell.new)}")
    else:
        out.append(f"Annual report {w.years} ({w.basis} basis): no refusal or timescale cell would change.")
    return out
