"""The case lifecycle: a scripted year of cases through every event type, with every deadline
checked against hand-counted dates (Christmas, Easter and the 2022/2023 one-off bank holidays)."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import RULES, case_with

TODAY = date(2024, 1, 15)


def _case(**changes: Any) -> dict[str, Any]:
    return case_with(**changes)


def _record(db: Path, reference: str, event: str, day: str, **fields: Any) -> Any:
    from triage.cases import workflow

    return workflow.record({"reference": reference, "event": event, "date": day, **fields}, db=db, rules=RULES)


def _deadlines(db: Path, reference: str, today: date = TODAY) -> list[tuple[str, str, str]]:
    from triage.cases import workflow
    from triage.log.store import DecisionLog
    from triage.rules.ruleset import load_rules

    report = workflow.case_report(DecisionLog(db), load_rules(RULES), reference, today)
    return [(x["step"], x["due"], x["status"]) for x in report["deadlines"]]


@pytest.fixture
def year(tmp_path: Path) -> Path:
    """A log holding a scripted year of cases (2022-23), built through the public API."""
    import triage

    db = tmp_path / "year.db"
    # A: statutory, received over Christmas 2022; all three stages, then the Ombudsman.
    triage.assess(_case(reference="A", received_date="2022-12-14", about__grounds_arose="2022-11-01"), db=db, rules=RULES)
    _record(db, "A", "acknowledged", "2022-12-16")
    _record(db, "A", "extended", "2022-12-28", reason="Complex: three teams involved")
    _record(db, "A", "responded", "2023-01-13", stage=1, finding="not_upheld", actual_outcomes=["Explanation"])
    _record(db, "A", "escalation_requested", "2023-02-03", to_stage=2)
    _record(db, "A", "acknowledged", "2023-02-06")
    _record(db, "A", "statement_agreed", "2023-02-10")
    _record(db, "A", "extended", "2023-03-15", reason="Independent person unavailable")
    _record(db, "A", "responded", "2023-05-15", stage=2, finding="partially_upheld",
            actual_outcomes=["Apology & Explanation", "Review / Reassessment"])
    _record(db, "A", "escalation_requested", "2023-06-05", to_stage=3)
    _record(db, "A", "panel_held", "2023-07-12")
    _record(db, "A", "panel_report", "2023-07-18")
    _record(db, "A", "responded", "2023-08-07", stage=3, finding="upheld")
    _record(db, "A", "lgsco_referral", "2023-09-01", referral_type="social_care")
    _record(db, "A", "lgsco_decision", "2023-12-01", outcome="Closed after initial enquiries")
    # B: corporate (SEN) over the 2022 Platinum Jubilee; stage 2, then withdrawn.
    triage.assess(_case(reference="B", received_date="2022-05-25", about__service="SEN", about__function="sen",
                        about__natures=["SEN - EHCP Process"], about__grounds_arose="2022-05-01"), db=db, rules=RULES)
    _record(db, "B", "acknowledged", "2022-05-31")
    _record(db, "B", "responded", "2022-06-20", stage=1, finding="not_upheld")
    _record(db, "B", "escalation_requested", "2022-07-01", to_stage=2)
    _record(db, "B", "acknowledged", "2022-07-05")
    _record(db, "B", "withdrawn", "2022-07-20")
    # C: a grandmother in the week of the Queen's state funeral; the officer decides sufficient interest.
    triage.assess(_case(reference="C", received_date="2022-09-12", complainant__relationship="grandparent",
                        complainant__has_parental_responsibility=False, about__grounds_arose="2022-09-01"),
                  db=db, rules=RULES)
    _record(db, "C", "officer_decision", "2022-09-14", question="sufficient_interest", answer=True,
            reason="Cares for the child most days", by="A Manager")
    _record(db, "C", "acknowledged", "2022-09-15")
    _record(db, "C", "responded", "2022-09-27", stage=1, finding="upheld", actual_outcomes=["Apology"])
    _record(db, "C", "closed", "2022-10-31")
    # D: a late stage 2 request the officer will not accept.
    triage.assess(_case(reference="D", received_date="2023-03-01", about__grounds_arose="2023-02-01"), db=db, rules=RULES)
    _record(db, "D", "responded", "2023-03-10", stage=1, finding="not_upheld")
    _record(db, "D", "escalation_requested", "2023-05-02", to_stage=2)
    _record(db, "D", "officer_decision", "2023-05-04", question="accept_late_escalation", answer=False,
            reason="No reason given for the delay; matters resolved since", by="A Manager")
    # E: a safeguarding referral handed over and closed the same day; F: still awaiting a response.
    triage.assess(_case(reference="E", received_date="2023-10-02", risk__significant_harm=True,
                        about__grounds_arose="2023-09-29"), db=db, rules=RULES)
    _record(db, "E", "closed", "2023-10-02")
    triage.assess(_case(reference="F", received_date="2024-01-03", about__grounds_arose="2023-12-20"), db=db, rules=RULES)
    return db


def test_statutory_three_stages_over_christmas_easter_and_coronation(year: Path) -> None:
    """Case A: every statutory deadline, hand-counted across Christmas 2022, Easter and 8 May 2023."""
    assert _deadlines(year, "A") == [
        # 14 Dec 2022 = day 0: 15, 16, 19 Dec.
        ("acknowledge the stage 1 complaint", "2022-12-19", "met"),
        # Extended: the maximum, 20 working days (25-27 Dec and 2 Jan 2023 skipped): 16 Jan 2023.
        ("respond at stage 1", "2023-01-16", "met"),
        # Stage 2 requested Fri 3 Feb 2023: 6, 7, 8 Feb.
        ("acknowledge the stage 2 complaint", "2023-02-08", "met"),
        # Statement agreed 10 Feb; extended to 65 working days, skipping Good Friday 7 Apr,
        # Easter Monday 10 Apr, 1 May and the coronation bank holiday 8 May 2023: Thu 18 May.
        ("respond at stage 2", "2023-05-18", "met"),
        # Stage 3 requested 5 Jun 2023: panel within 30 working days: Mon 17 Jul.
        # Never acknowledged: the response on 7 Aug ends the wait, late.
        ("acknowledge the stage 3 complaint", "2023-06-08", "missed"),
        ("hold the review panel", "2023-07-17", "met"),
        # Panel held Wed 12 Jul: report within 5 working days: Wed 19 Jul.
        ("send the panel's report", "2023-07-19", "met"),
        # Report Tue 18 Jul: council's response within 15 working days: Tue 8 Aug.
        ("send the council's response to the panel's report", "2023-08-08", "met"),
    ]


def test_stage_two_counts_from_the_agreed_statement(year: Path) -> None:
    """Before the extension, stage 2 was due 25 working days after the agreed statement (17 Mar 2023)."""
    from triage.clock.deadlines import Clock
    from triage.rules.ruleset import load_rules

    clock = Clock(load_rules(RULES))
    assert clock.add(date(2023, 2, 10), 25) == date(2023, 3, 17)
    assert clock.add(date(2023, 2, 10), 65) == date(2023, 5, 18)


def test_corporate_stages_over_the_jubilee(year: Path) -> None:
    """Case B: corporate deadlines count from the acknowledgement and skip 2 and 3 June 2022."""
    assert _deadlines(year, "B") == [
        # 25 May 2022 = day 0: 26, 27, 30, 31 May, 1 Jun.
        ("acknowledge the stage 1 complaint", "2022-06-01", "met"),
        # 10 working days from the acknowledgement (31 May), skipping 2-3 Jun: Thu 16 Jun; answered 20 Jun.
        ("respond at stage 1", "2022-06-16", "missed"),
        # Stage 2 requested Fri 1 Jul: acknowledge within 5: Fri 8 Jul.
        ("acknowledge the stage 2 complaint", "2022-07-08", "met"),
        # 20 working days from the acknowledgement (5 Jul): Tue 2 Aug. Withdrawn before then.
        ("respond at stage 2", "2022-08-02", "owed"),
    ]


def test_state_funeral_and_officer_decision(year: Path) -> None:
    """Case C: the officer's answer re-assesses the case; 19 Sep 2022 is skipped (due Tue 27 Sep)."""
    from triage.log.store import DecisionLog

    history = DecisionLog(year).history("C")
    assert [h.decision["disposition"] for h in history] == ["officer_decision_required", "accepted"]
    assert history[1].representation["officer_decisions"]["sufficient_interest"]["by"] == "A Manager"
    assert ("respond at stage 1", "2022-09-27", "met") in _deadlines(year, "C")


def test_late_escalation_is_an_officer_decision_then_refused(year: Path) -> None:
    """Case D: a stage 2 request 36 working days after the response asks the officer, who refuses it."""
    from triage.log.store import DecisionLog

    history = DecisionLog(year).history("D")
    assert [(h.decision["disposition"], h.decision["stage"]) for h in history] == \
        [("accepted", 1), ("officer_decision_required", 2), ("refused", 2)]
    assert history[2].decision["reason"] == "out_of_time"


def test_due_lists_open_steps_soonest_first(year: Path, run: Any) -> None:
    """`triage due` shows each open case's next step with working days left (negative = overdue)."""
    r = run(f"--db={year}", "due", "--today", "2024-01-15", "--json", use_db=False)
    rows = r.json()
    assert [(x["reference"], x["step"], x["due"], x["working_days_left"]) for x in rows] == [
        ("F", "acknowledge the stage 1 complaint", "2024-01-08", -5),
    ]
    text = run(f"--db={year}", "due", "--today", "2024-01-15", use_db=False).out.splitlines()
    assert text[0].split() == ["due", "days", "left", "reference", "procedure", "stage", "step", "owed"]
    assert text[1].split()[:6] == ["Mon", "8", "Jan", "2024", "-5", "OVERDUE"] and " F " in text[1]
    # From Wed 3 Jan 2024, the day F was received, Mon 8 Jan is 3 working days away.
    assert run(f"--db={year}", "due", "--today", "2024-01-03", "--within", "2", "--json", use_db=False).json() == []
    assert [x["working_days_left"] for x in
            run(f"--db={year}", "due", "--today", "2024-01-03", "--within", "3", "--json", use_db=False).json()] == [3]
    overdue = run(f"--db={year}", "due", "--today", "2024-01-15", "--overdue", "--procedure", "corporate", use_db=False)
    assert overdue.out.strip() == "Nothing is due."


def test_due_follows_overrides_and_skips_closed_cases(year: Path, run: Any) -> None:
    """`due` reads every case at once: a manager's override of the route is applied, and cases
    withdrawn or closed (B, C, E) are never listed, whatever their stages say."""
    r = run(f"--db={year}", "override", "F", "--field", "procedure", "--to", "corporate",
            "--reason", "About how the council treated the parent", "--by", "A Manager", use_db=False)
    assert r.code == 0, r.err
    rows = run(f"--db={year}", "due", "--today", "2024-01-15", "--procedure", "corporate", "--json", use_db=False).json()
    assert [(x["reference"], x["procedure"], x["step"]) for x in rows] == [
        ("F", "corporate", "acknowledge the stage 1 complaint")]
    everything = run(f"--db={year}", "due", "--today", "2026-01-01", "--json", use_db=False).json()
    assert {x["reference"] for x in everything} <= {"A", "D", "F"}


def test_case_timeline_readable_and_json(year: Path, run: Any) -> None:
    """`triage case` shows decisions, events and deadlines met or missed."""
    r = run(f"--db={year}", "case", "B", "--today", "2022-07-25", use_db=False)
    assert r.code == 0, r.err
    assert r.out.splitlines()[0] == "B  complaint · corporate procedure  (withdrawn)"
    assert "  Mon 20 Jun 2022   responded (finding=not_upheld, stage=1)" in r.out
    assert "  Thu 16 Jun 2022   respond at stage 1: MISSED (done Mon 20 Jun 2022)" in r.out
    data = run(f"--db={year}", "case", "A", "--json", use_db=False).json()
    assert data["status"] == "open" and len(data["events"]) == 14
    assert all(x["rule"] and x["from"] for x in data["deadlines"])


@pytest.mark.parametrize("event,day,fields,message", [
    ("responded", "2023-12-01", {"stage": 1, "finding": "upheld"}, "2023-12-01 is before the representation was received (2024-01-03)"),
    ("escalation_requested", "2024-01-05", {"to_stage": 3}, "the complaint is at stage 1; it can only move to stage 2"),
    ("escalation_requested", "2024-01-05", {"to_stage": 2}, "stage 1 has not been answered yet"),
    ("responded", "2024-01-05", {"stage": 2, "finding": "upheld"}, "the complaint is at stage 1, not stage 2"),
    ("panel_held", "2024-01-05", {}, "a review panel belongs to stage 3"),
    ("extended", "2024-01-05", {"reason": "complex", "until": "2024-03-01"}, "past the maximum for stage 1 (2024-01-31, 20 working days; SI 2006/1738 reg 14)"),
    ("responded", "2099-01-05", {"stage": 1, "finding": "upheld"}, "2099-01-05 is in the future"),
    ("responded", "2024-01-05", {"stage": 1}, "required for a 'responded' event"),
])
def test_impossible_events_exit_2_and_write_nothing(year: Path, run: Any, event: str, day: str,
                                                    fields: dict[str, Any], message: str) -> None:
    """Events that cannot happen are refused with a clear message and nothing is written."""
    before = sqlite3.connect(year).execute("select count(*) from chain").fetchone()[0]
    payload = {"reference": "F", "event": event, "date": day, **fields}
    r = run(f"--db={year}", "record", "--batch", "-", stdin=json.dumps(payload).encode(), use_db=False)
    assert r.code == 1
    assert message in r.out, r.out
    assert sqlite3.connect(year).execute("select count(*) from chain").fetchone()[0] == before


def test_unknown_reference_suggests(year: Path, run: Any) -> None:
    """An unknown reference exits 2 naming the nearest ones."""
    r = run(f"--db={year}", "record", "G", "acknowledged", "--date", "2024-01-05", use_db=False)
    assert r.code == 2 and "no case with reference 'G'" in r.err


def test_closed_case_takes_only_ombudsman_events(year: Path) -> None:
    """After closure only LGSCO events may be recorded."""
    from triage.contract.errors import InputError

    with pytest.raises(InputError, match="was closed on 2022-10-31"):
        _record(year, "C", "acknowledged", "2022-11-01")
    assert _record(year, "C", "lgsco_referral", "2023-01-10", referral_type="social_care").added


def test_reimport_is_a_no_op(year: Path, run: Any, tmp_path: Path) -> None:
    """Importing the same representations and events twice adds nothing."""
    cases = tmp_path / "cases.jsonl"
    events = tmp_path / "events.jsonl"
    cases.write_text("\n".join(json.dumps(_case(reference=f"H{i}", received_date="2023-04-03",
                                                about__grounds_arose="2023-03-01")) for i in range(3)) + "\n")
    events.write_text("\n".join(json.dumps({"reference": f"H{i}", "event": "acknowledged", "date": "2023-04-04"})
                                for i in range(3)) + "\n")
    for _ in range(2):
        assert run(f"--db={year}", "assess", "--batch", str(cases), use_db=False).code == 0
        assert run(f"--db={year}", "record", "--batch", str(events), use_db=False).code == 0
    conn = sqlite3.connect(year)
    assert conn.execute("select count(*) from decisions where reference like 'H%'").fetchone() == (3,)
    assert conn.execute("select count(*) from events where reference like 'H%'").fetchone() == (3,)
    second = run(f"--db={year}", "record", "--batch", str(events), "--json", use_db=False).out
    assert all(json.loads(line)["added"] is False for line in second.splitlines())


def test_override_keeps_original_and_counts_per_rule(year: Path, run: Any) -> None:
    """An override is its own record; the original decision stays; counts are kept per rule."""
    r = run(f"--db={year}", "override", "F", "--field", "procedure", "--to", "corporate",
            "--reason", "About how the council treated the parent", "--by", "A Manager", use_db=False)
    assert r.code == 0, r.err
    assert r.out.strip() == "overridden: F procedure statutory -> corporate (decision d-000012, by A Manager)"
    from triage.log.store import DecisionLog
    log = DecisionLog(year)
    assert log.history("F")[-1].decision["procedure"] == "statutory"
    case = run(f"--db={year}", "case", "F", "--json", use_db=False).json()
    assert case["decision"]["procedure"] == "corporate"
    stats = run(f"--db={year}", "log", "overrides", "--json", use_db=False).json()
    assert stats["per_rule"] == {"scope.part3": 1}
    bad = run(f"--db={year}", "override", "F", "--field", "disposition", "--to", "refussed", "--reason", "x",
              "--by", "y", use_db=False)
    assert bad.code == 2 and "did you mean 'refused'?" in bad.err


def test_tampering_is_detected(year: Path, run: Any) -> None:
    """Altering or deleting a row behind the log's back is reported by `triage log verify`."""
    assert run(f"--db={year}", "log", "verify", use_db=False).out.startswith("OK: ")
    conn = sqlite3.connect(year)
    conn.execute("drop trigger decisions_append_only_update")
    conn.execute("update decisions set disposition = 'refused' where seq = 3")
    conn.commit()
    r = run(f"--db={year}", "log", "verify", use_db=False)
    assert r.code == 1
    assert r.err.splitlines()[0] == "TAMPERED: record 11 (decisions row 3) was altered (d-000003, reference A)"


def test_removed_record_is_detected(year: Path, run: Any) -> None:
    """Deleting an event is reported as a removed record."""
    conn = sqlite3.connect(year)
    conn.execute("drop trigger events_append_only_delete")
    conn.execute("delete from events where seq = 2")
    conn.commit()
    r = run(f"--db={year}", "log", "verify", use_db=False)
    assert r.code == 1 and "TAMPERED: record 3 (events row 2) was removed" in r.err


def test_warning_while_no_statement_agreed(tmp_path: Path) -> None:
    """Stage 2 without an agreed statement warns after 10 working days; the clock runs from the request."""
    import triage
    from triage.cases import workflow
    from triage.log.store import DecisionLog
    from triage.rules.ruleset import load_rules

    db = tmp_path / "s2.db"
    triage.assess(_case(reference="W", received_date="2024-02-01", about__grounds_arose="2024-01-10"), db=db, rules=RULES)
    _record(db, "W", "responded", "2024-02-14", stage=1, finding="not_upheld")
    _record(db, "W", "escalation_requested", "2024-02-20", to_stage=2)
    log, rules = DecisionLog(db), load_rules(RULES)
    # 10 working days after Tue 20 Feb 2024 is Tue 5 Mar: no warning yet; on Wed 6 Mar there is.
    assert workflow.case_report(log, rules, "W", date(2024, 3, 5))["warnings"] == []
    (warning,) = workflow.case_report(log, rules, "W", date(2024, 3, 6))["warnings"]
    assert warning.startswith("no statement of complaint agreed 11 working days after the stage 2 request (2024-02-20)")
    # 25 working days from the request: Tue 26 Mar 2024.
    assert ("respond at stage 2", "2024-03-26", "owed") in _deadlines(db, "W", date(2024, 3, 6))


def test_an_escalation_asks_again_about_proceedings_ongoing_now(tmp_path: Path) -> None:
    """An officer's stage 1 answer on prejudice does not carry to a stage 2 request: reg 8 is
    considered afresh at every stage (the late-escalation answer likewise)."""
    import triage

    db = tmp_path / "log.db"
    case = _case(reference="P", received_date="2023-03-01", about__grounds_arose="2023-02-01",
                 proceedings={"court": "ongoing"},
                 officer_decisions={"prejudice_to_proceedings": {"answer": False, "reason": "Separate issue",
                                                                 "by": "J Officer"}})
    assert triage.assess(case, db=db, rules=RULES).disposition == "accepted"
    _record(db, "P", "responded", "2023-03-20", stage=1, finding="not_upheld")
    result = _record(db, "P", "escalation_requested", "2023-03-27", to_stage=2)
    assert result.decision.disposition == "officer_decision_required"
    assert [q.id for q in result.decision.officer_questions] == ["prejudice_to_proceedings"]


def test_an_escalation_keeps_the_managers_procedure(tmp_path: Path) -> None:
    """Stage 1 overridden to the corporate procedure by a manager: the stage 2 the family asks
    for runs on the corporate clock too (the rules would say statutory again), by an override of
    its own that names the first; recording the same request again adds nothing."""
    import triage
    from triage.cases import workflow
    from triage.log.store import DecisionLog

    db = tmp_path / "t.db"
    triage.assess(_case(reference="P", received_date="2024-01-03", about__grounds_arose="2023-12-20"), db=db, rules=RULES)
    workflow.override("P", "procedure", "corporate", "An education matter, not social care", "A. Manager",
                      db=db, rules=RULES)
    _record(db, "P", "responded", "2024-01-20", stage=1, finding="not_upheld")
    for _ in range(2):
        recorded = _record(db, "P", "escalation_requested", "2024-01-25", to_stage=2)
    assert recorded.decision is None or recorded.decision.procedure == "statutory"  # what the rules say
    state = workflow.case_state(DecisionLog(db), "P")
    assert (state.current.number, state.current.procedure) == (2, "corporate")
    overrides = DecisionLog(db).overrides("P")
    assert [(o["field"], o["to_value"], o["by"]) for o in overrides] == [("procedure", "corporate", "A. Manager")] * 2
    assert overrides[1]["decision_id"] == state.current.decision_id
    assert "carried to stage 2 from the override of stage 1" in overrides[1]["reason"]
    assert "An education matter" in overrides[1]["reason"]


def test_an_escalation_without_an_override_follows_the_rules(tmp_path: Path) -> None:
    import triage
    from triage.cases import workflow
    from triage.log.store import DecisionLog

    db = tmp_path / "t.db"
    triage.assess(_case(reference="Q", received_date="2024-01-03", about__grounds_arose="2023-12-20"), db=db, rules=RULES)
    _record(db, "Q", "responded", "2024-01-20", stage=1, finding="not_upheld")
    _record(db, "Q", "escalation_requested", "2024-01-25", to_stage=2)
    state = workflow.case_state(DecisionLog(db), "Q")
    assert (state.current.number, state.current.procedure) == (2, "statutory")
    assert DecisionLog(db).overrides("Q") == []
