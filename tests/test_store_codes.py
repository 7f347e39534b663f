"""The log's code tables (decision_codes, event_codes): written with every record, filled in
for a log made before they existed, never changed, and checked by `triage log verify`."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from conftest import RULES, case_with, in_threads


def _log(db: Path) -> None:
    """Two references: a complaint answered, escalated and referred to the Ombudsman, and a compliment."""
    import triage
    from triage.cases import workflow

    case = case_with(reference="A", received_date="2024-05-01", received_via="email",
                     about__grounds_arose="2024-03-01")
    triage.assess(case, db=db, rules=RULES)
    for event in ({"event": "acknowledged", "date": "2024-05-02"},
                  {"event": "responded", "date": "2024-05-10", "stage": 1, "finding": "partially_upheld",
                   "actual_outcomes": ["Apology & Explanation"]},
                  {"event": "escalation_requested", "date": "2024-05-20", "to_stage": 2},
                  {"event": "lgsco_referral", "date": "2024-09-02", "referral_type": "social_care"}):
        workflow.record({"reference": "A", **event}, db=db, rules=RULES)
    triage.assess(case_with(reference="B", received_date="2024-06-03", kind="compliment", about__grounds_arose="2024-03-01"),
                  db=db, rules=RULES)


def _rows(db: Path, table: str) -> list[dict[str, Any]]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(f"SELECT * FROM {table} ORDER BY seq")]
    finally:
        conn.close()


def test_each_record_has_its_codes(db: Path) -> None:
    """A row per decision and per event, with the coded fields of its stored JSON and no free text."""
    _log(db)
    decisions = _rows(db, "decision_codes")
    assert [(d["seq"], d["reference"], d["representation_type"], d["stage"]) for d in decisions] == [
        (1, "A", "complaint", 1), (2, "A", "complaint", 2), (3, "B", "compliment", None)]
    first = decisions[0]
    assert (first["received_via"], first["relationship"], first["gender"], first["ethnicity"]) == (
        "email", "parent", "Female", "White British")
    assert first["natures"].startswith("[") and first["advocacy_offer"] == 0
    events = _rows(db, "event_codes")
    assert [(e["event"], e["date"], e["stage"], e["finding"], e["to_stage"], e["referral_type"]) for e in events] == [
        ("acknowledged", "2024-05-02", None, None, None, None),
        ("responded", "2024-05-10", 1, "partially_upheld", None, None),
        ("escalation_requested", "2024-05-20", None, None, 2, None),
        ("lgsco_referral", "2024-09-02", None, None, None, "social_care")]
    assert events[1]["actual_outcomes"] == '["Apology & Explanation"]'
    names = {"Sam", "Jones", "@", "six weeks", "named contact"}
    for row in decisions + events:
        assert not any(n in str(v) for v in row.values() for n in names)


def test_code_tables_are_append_only(db: Path) -> None:
    _log(db)
    conn = sqlite3.connect(db)
    for table in ("decision_codes", "event_codes"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(f"UPDATE {table} SET date = NULL" if table == "event_codes" else
                         f"UPDATE {table} SET reason = 'x'")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(f"DELETE FROM {table}")
    conn.close()


def _drop_code_tables(db: Path) -> None:
    """Make the log look as it did before the code tables existed."""
    conn = sqlite3.connect(db)
    for table in ("decision_codes", "event_codes"):
        conn.execute(f"DROP TABLE {table}")  # its triggers go with it
        conn.execute(f"DROP TRIGGER {table}_written")
    conn.commit()
    conn.close()


def test_an_older_log_gets_its_code_tables_on_opening(db: Path) -> None:
    """A log made before the code tables is filled in when first opened, with the same rows
    the triggers write; the report and `verify` are as before."""
    from triage import report
    from triage.log.store import DecisionLog
    from triage.rules.ruleset import load_rules

    _log(db)
    before = {t: _rows(db, t) for t in ("decision_codes", "event_codes")}
    rules = load_rules(RULES)
    expected = report.build(DecisionLog(db), rules, year="2024-25")
    _drop_code_tables(db)
    log = DecisionLog(db)
    assert {t: _rows(db, t) for t in before} == before
    assert report.build(log, rules, year="2024-25") == expected
    assert log.verify() == []
    import triage  # and new records still get their codes
    triage.assess(case_with(reference="C", received_date="2024-07-01", about__grounds_arose="2024-03-01"), db=log, rules=rules)
    assert [r["reference"] for r in _rows(db, "decision_codes")] == ["A", "A", "B", "C"]


def test_two_processes_opening_an_older_log_at_once(db: Path) -> None:
    """Whoever opens it first fills the code tables; the other finds them made (no duplicate rows)."""
    from triage.log.store import DecisionLog

    _log(db)
    _drop_code_tables(db)
    assert in_threads(lambda: DecisionLog(db).close(), 4) == []
    assert len(_rows(db, "decision_codes")) == 3 and len(_rows(db, "event_codes")) == 4


def test_verify_finds_codes_changed_behind_the_logs_back(db: Path, run: Any) -> None:
    _log(db)
    conn = sqlite3.connect(db)
    conn.execute("DROP TRIGGER decision_codes_append_only_update")
    conn.execute("UPDATE decision_codes SET service = 'Fostering' WHERE seq = 2")
    conn.execute("DROP TRIGGER event_codes_append_only_delete")
    conn.execute("DELETE FROM event_codes WHERE seq = 4")
    conn.commit()
    conn.close()
    r = run(f"--db={db}", "log", "verify", use_db=False)
    assert r.code == 1
    assert r.err.splitlines() == [
        "TAMPERED: decision_codes row 2 does not match decisions row 2 "
        "(the code tables were changed behind the log's back)",
        "TAMPERED: event_codes row 4 does not match events row 4 "
        "(the code tables were changed behind the log's back)",
    ]


def test_an_older_log_gets_the_code_indexes_on_opening(db: Path) -> None:
    """A log made before the code tables' indexes gets them when opened; the Ombudsman's
    statement of the annual report reads its events through the partial index, and the report
    is the same as before it existed."""
    from triage import report
    from triage.log import codes
    from triage.log.store import DecisionLog
    from triage.report import sql
    from triage.rules.ruleset import load_rules

    _log(db)
    rules = load_rules(RULES)
    expected = report.build(DecisionLog(db), rules, year="2024-25")
    conn = sqlite3.connect(db)
    for name in codes.INDEXES:
        conn.execute(f"DROP INDEX {name}")
    conn.commit()
    conn.close()
    log = DecisionLog(db)
    names = {r["name"] for r in log.query("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert set(codes.INDEXES) <= names
    conn = sqlite3.connect(db)
    plan = " ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql.LGSCO,
                                               {"start": "2022-04-01", "end": "2025-03-31"}))
    conn.close()
    assert "event_codes_lgsco" in plan
    assert report.build(log, rules, year="2024-25") == expected
    assert log.verify() == []
