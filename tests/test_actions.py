"""Actions on a case (action_agreed, action_completed, action_dropped): validation with the
field named, idempotent re-import, what is due (open actions, "decide the learning"), the
case's action history, and the action code table of an older log filled when it is opened."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import RULES, case_with


def _record(db: Path, reference: str | None, event: str, day: str, **fields: Any) -> Any:
    from triage.cases import workflow

    payload = {"event": event, "date": day, **fields}
    if reference is not None:
        payload["reference"] = reference
    return workflow.record(payload, db=db, rules=RULES, today=date(2025, 12, 31))


def _problems(db: Path, reference: str | None, event: str, day: str, **fields: Any) -> list[tuple[str, str]]:
    from triage.contract.errors import InputError

    with pytest.raises(InputError) as err:
        _record(db, reference, event, day, **fields)
    return [(p.field, p.message) for p in err.value.problems]


AGREED = {"action_id": "CS-1-A1", "what": "Apology from the team manager", "source": "complaint_finding",
          "owner": "Team Manager", "due": "2025-02-14", "remedy": "apology"}


@pytest.fixture
def upheld(tmp_path: Path) -> Path:
    """CS-1: statutory, received Mon 6 Jan 2025, acknowledged, upheld at stage 1 on Wed 15 Jan."""
    import triage

    db = tmp_path / "log.db"
    triage.assess(case_with(reference="CS-1", received_date="2025-01-06", about__grounds_arose="2025-01-02"),
                  db=db, rules=RULES)
    _record(db, "CS-1", "acknowledged", "2025-01-07")
    _record(db, "CS-1", "responded", "2025-01-15", stage=1, finding="upheld", actual_outcomes=["Apology"])
    return db


def test_an_action_is_agreed_completed_and_shown_in_the_case_history(upheld: Path) -> None:
    """Agreed, then completed by its id alone (the case is found from the id); the case lists both steps."""
    from triage.cases import workflow
    from triage.log.store import DecisionLog
    from triage.rules.ruleset import load_rules

    assert _record(upheld, "CS-1", "action_agreed", "2025-01-20", **AGREED).added
    done = _record(upheld, None, "action_completed", "2025-02-10", action_id="CS-1-A1", evidence="Letter sent 10 Feb")
    assert done.event["reference"] == "CS-1"
    report = workflow.case_report(DecisionLog(upheld), load_rules(RULES), "CS-1", date(2025, 3, 3))
    [action] = report["actions"]
    assert (action["status"], action["completed"], action["on_time"]) == ("completed", "2025-02-10", True)
    assert [h["event"] for h in action["history"]] == ["action_agreed", "action_completed"]
    assert ("decide the learning (stage 1 upheld)", "2025-02-12", "met") in [
        (x["step"], x["due"], x["status"]) for x in report["learning"]]


def test_recording_the_same_action_twice_adds_nothing(upheld: Path) -> None:
    """An import run twice: the second action_agreed with the same content is not added."""
    assert _record(upheld, "CS-1", "action_agreed", "2025-01-20", **AGREED).added
    assert not _record(upheld, "CS-1", "action_agreed", "2025-01-20", **AGREED).added


def test_action_ids_are_unique_in_the_log(upheld: Path) -> None:
    """A second, different action with an id already used is refused, naming action_id."""
    _record(upheld, "CS-1", "action_agreed", "2025-01-20", **AGREED)
    assert _problems(upheld, "CS-1", "action_agreed", "2025-01-21", **{**AGREED, "what": "Another"}) == [
        ("action_id", "action 'CS-1-A1' was already agreed on this case; give each action its own id "
                      "(e.g. the reference and a number: CS-1-A2)")]


def test_an_unknown_action_id_is_refused(upheld: Path) -> None:
    """Completing an action never agreed names action_id, on the case and in the whole log."""
    _record(upheld, "CS-1", "action_agreed", "2025-01-20", **AGREED)
    assert _problems(upheld, "CS-1", "action_completed", "2025-02-10", action_id="CS-1-A2", evidence="x") == [
        ("action_id", "no action 'CS-1-A2' on case CS-1; did you mean 'CS-1-A1'? (its actions: CS-1-A1)")]
    assert _problems(upheld, None, "action_dropped", "2025-02-10", action_id="ZZ-9", reason="x") == [
        ("action_id", f"no action 'ZZ-9' was agreed in {upheld}; record its action_agreed first, or give the id "
                      "it was agreed with")]


def test_completion_before_agreement_is_refused(upheld: Path) -> None:
    """action_completed dated before the action was agreed names date."""
    _record(upheld, "CS-1", "action_agreed", "2025-01-20", **AGREED)
    assert _problems(upheld, "CS-1", "action_completed", "2025-01-17", action_id="CS-1-A1", evidence="x") == [
        ("date", "2025-01-17 is before action CS-1-A1 was agreed (2025-01-20)")]


def test_a_finished_action_cannot_be_completed_or_dropped_again(upheld: Path) -> None:
    """After completion, a drop is refused naming event."""
    _record(upheld, "CS-1", "action_agreed", "2025-01-20", **AGREED)
    _record(upheld, "CS-1", "action_completed", "2025-02-10", action_id="CS-1-A1", evidence="Letter sent")
    assert _problems(upheld, "CS-1", "action_dropped", "2025-02-11", action_id="CS-1-A1", reason="x") == [
        ("event", "action CS-1-A1 was already completed on 2025-02-10")]


def test_a_due_date_before_the_agreement_is_refused(upheld: Path) -> None:
    """due before the date the action was agreed names due."""
    assert _problems(upheld, "CS-1", "action_agreed", "2025-01-20", **{**AGREED, "due": "2025-01-10"}) == [
        ("due", "2025-01-10 is before the action was agreed (2025-01-20); an action is due on or after the date "
                "it was agreed")]


def test_the_fields_of_an_action_are_checked(upheld: Path) -> None:
    """Missing fields, a person as owner, an amount without a payment, an unknown remedy: each named."""
    assert _problems(upheld, "CS-1", "action_agreed", "2025-01-20", action_id="X1", source="learning") == [
        ("what", "required for a 'action_agreed' event"), ("owner", "required for a 'action_agreed' event"),
        ("due", "required for a 'action_agreed' event")]
    assert _problems(upheld, "CS-1", "action_agreed", "2025-01-20",
                     **{**AGREED, "owner": "Jane Smith", "amount": 50}) == [
        ("owner", "'Jane Smith' is not a team or role; an action is owned by a team (a service in "
                  "rules/taxonomy.yaml) or a role (learning.owners in rules/settings.yaml), never a person"),
        ("amount", "an amount goes with remedy 'payment'; give \"remedy\": \"payment\" or leave amount out")]
    [(field, message)] = _problems(upheld, "CS-1", "action_agreed", "2025-01-20", **{**AGREED, "remedy": "apolgy"})
    assert field == "remedy" and "did you mean 'apology'" in message
    assert _problems(upheld, "CS-1", "acknowledged", "2025-01-20", owner="CAST") == [
        ("owner", "does not belong to a 'acknowledged' event (only the action events take it: action_agreed, "
                  "action_completed, action_dropped)")]


def test_a_remedy_needs_the_ombudsmans_decision_and_a_finding_action_a_response(tmp_path: Path) -> None:
    """lgsco_remedy before any lgsco_decision, complaint_finding before any response: source named."""
    import triage

    db = tmp_path / "log.db"
    triage.assess(case_with(reference="CS-2", received_date="2025-01-06", about__grounds_arose="2025-01-02"),
                  db=db, rules=RULES)
    assert _problems(db, "CS-2", "action_agreed", "2025-01-20", **{**AGREED, "action_id": "CS-2-A1"}) == [
        ("source", "no complaint response is recorded on or before 2025-01-20: an action from a complaint finding "
                   "follows the response (record `responded` first)")]
    assert _problems(db, "CS-2", "action_agreed", "2025-01-20",
                     **{**AGREED, "action_id": "CS-2-R1", "source": "lgsco_remedy"}) == [
        ("source", "no Ombudsman decision is recorded on or before 2025-01-20: a remedy follows the decision "
                   "(record `lgsco_decision` first)")]


def test_a_published_improvement_may_not_name_anyone(upheld: Path) -> None:
    """A service improvement's text (printed in the annual report) naming the complainant is refused."""
    assert _problems(upheld, "CS-1", "action_agreed", "2025-01-20",
                     **{**AGREED, "source": "learning", "remedy": None,
                        "what": "Remind staff to call Sam back"}) == [
        ("what", "the text of a service improvement is published in the annual report, and this holds the "
                 "complainant's name ('Sam'); describe the change to the service without it")]


def test_due_lists_an_overdue_remedy_before_a_later_complaint_deadline(upheld: Path) -> None:
    """A closed case's overdue Ombudsman payment comes before another case's stage 1 deadline."""
    import triage
    from triage.cases import workflow
    from triage.log.store import DecisionLog
    from triage.rules.ruleset import load_rules

    _record(upheld, "CS-1", "action_agreed", "2025-01-20", **AGREED)
    _record(upheld, "CS-1", "action_completed", "2025-02-10", action_id="CS-1-A1", evidence="Letter sent")
    _record(upheld, "CS-1", "closed", "2025-02-11")
    _record(upheld, "CS-1", "lgsco_referral", "2025-03-03", referral_type="social_care")
    _record(upheld, "CS-1", "lgsco_decision", "2025-03-20", outcome="Upheld - Maladministration - actions in progress")
    _record(upheld, "CS-1", "action_agreed", "2025-03-20", action_id="CS-1-R1", what="Pay £300 for distress",
            source="lgsco_remedy", remedy="payment", amount=300, owner="Finance", due="2025-04-17")
    triage.assess(case_with(reference="CS-3", received_date="2025-04-22", about__grounds_arose="2025-04-01"),
                  db=upheld, rules=RULES)
    rows = workflow.due(DecisionLog(upheld), load_rules(RULES), date(2025, 4, 24))
    assert [(r["reference"], r["step"], r["due"], r["working_days_left"]) for r in rows] == [
        ("CS-1", "action CS-1-R1 (lgsco remedy: payment), owner Finance: Pay £300 for distress", "2025-04-17", -3),
        ("CS-3", "acknowledge the stage 1 complaint", "2025-04-25", 1)]
    assert rows[0]["action_id"] == "CS-1-R1" and rows[0]["source"] == "lgsco_remedy"
    overdue = workflow.due(DecisionLog(upheld), load_rules(RULES), date(2025, 4, 24), overdue=True)
    assert [r["reference"] for r in overdue] == ["CS-1"]


def test_an_upheld_finding_with_no_action_is_due_as_decide_the_learning(upheld: Path) -> None:
    """20 working days after an upheld response with no action: "decide the learning", until one is agreed."""
    from triage.cases import workflow
    from triage.log.store import DecisionLog
    from triage.rules.ruleset import load_rules

    rows = workflow.due(DecisionLog(upheld), load_rules(RULES), date(2025, 2, 20))
    assert [(r["step"], r["due"], r["working_days_left"]) for r in rows] == [
        ("decide the learning (stage 1 upheld)", "2025-02-12", -6)]
    _record(upheld, "CS-1", "action_agreed", "2025-02-20", **{**AGREED, "due": "2025-03-14"})
    rows = workflow.due(DecisionLog(upheld), load_rules(RULES), date(2025, 2, 20))
    assert [r["step"] for r in rows] == ["action CS-1-A1 (complaint finding: apology), owner Team Manager: "
                                         "Apology from the team manager"]


def test_the_cli_records_an_action_and_shows_its_history(upheld: Path, run: Any) -> None:
    """`triage record ... action_agreed` then `triage case` prints the action with each step."""
    args = [f"--db={upheld}"]
    r = run(*args, "record", "CS-1", "action_agreed", "--date", "2025-01-20", "--action-id", "CS-1-A1", "--what",
            "Apology from the team manager", "--source", "complaint_finding", "--owner", "Team Manager",
            "--due", "2025-02-14", "--remedy", "apology", use_db=False)
    assert (r.code, r.out) == (0, "recorded: CS-1 action_agreed on 2025-01-20\n")
    r = run(*args, "record", "CS-1", "action_completed", "--date", "2025-01-17", "--action-id", "CS-1-A1",
            "--evidence", "sent", use_db=False)
    assert (r.code, r.err) == (2, "error: date: 2025-01-17 is before action CS-1-A1 was agreed (2025-01-20)\n")
    r = run(*args, "case", "CS-1", "--today", "2025-02-20", use_db=False)
    assert r.out.split("Actions:\n")[1].split("\n\n")[0].splitlines()[:4] == [
        "  Wed 12 Feb 2025   decide the learning (stage 1 upheld): met Mon 20 Jan 2025 (an action was agreed)  "
        "[learning.decide_within (local; GBFC 2006 5.6.2); from stage 1 response 2025-01-15]",
        "  CS-1-A1 (complaint finding, apology; owner Team Manager; due Fri 14 Feb 2025): Apology from the team manager",
        "    Mon 20 Jan 2025   agreed",
        "    OVERDUE by 4 working days"]


def test_an_older_log_gets_its_action_codes_when_opened(upheld: Path) -> None:
    """A log made before action_codes existed has it filled from its events, and verifies clean."""
    from triage.log.store import DecisionLog

    _record(upheld, "CS-1", "action_agreed", "2025-01-20", **AGREED)
    conn = sqlite3.connect(upheld)
    conn.executescript("DROP TRIGGER action_codes_written; DROP TABLE action_codes;")
    conn.close()
    log = DecisionLog(upheld)
    assert [dict(r) for r in log.query("SELECT reference, event, action_id, source, owner, due, improvement "
                                       "FROM action_codes")] == [
        {"reference": "CS-1", "event": "action_agreed", "action_id": "CS-1-A1", "source": "complaint_finding",
         "owner": "Team Manager", "due": "2025-02-14", "improvement": None}]
    assert log.verify() == []


def test_the_register_lists_filters_and_exports(upheld: Path, run: Any) -> None:
    """`triage actions`: overdue first; --open/--overdue/--source/--service/--year filter; --csv; bad filters exit 2."""
    _record(upheld, "CS-1", "action_agreed", "2025-01-20", **AGREED)
    _record(upheld, "CS-1", "action_completed", "2025-02-17", action_id="CS-1-A1", evidence="Letter sent")
    _record(upheld, "CS-1", "action_agreed", "2025-01-20", action_id="CS-1-A2", what="Call-back standard for CAST",
            source="learning", owner="CAST", due="2025-03-31")
    db = f"--db={upheld}"
    r = run(db, "actions", "--today", "2025-04-02", use_db=False)
    lines = r.out.splitlines()
    assert lines[1].split()[:6] == ["Mon", "31", "Mar", "2025", "OVERDUE", "2d"] and "CS-1-A2" in lines[1]
    assert "completed Mon 17 Feb 2025 (late)" in lines[2] and "CS-1-A1" in lines[2]
    rows = run(db, "actions", "--overdue", "--today", "2025-04-02", "--json", use_db=False).json()
    assert [(x["action_id"], x["working_days_left"]) for x in rows] == [("CS-1-A2", -2)]
    assert [x["action_id"] for x in run(db, "actions", "--source", "complaint_finding", "--service", "cast",
                                        "--year", "2024-25", "--json", use_db=False).json()] == ["CS-1-A1"]
    assert run(db, "actions", "--year", "2025-26", "--json", use_db=False).json() == []
    csv = run(db, "actions", "--open", "--today", "2025-04-02", "--csv", use_db=False).out.splitlines()
    assert csv == ["action_id,reference,service,source,remedy,amount,owner,what,agreed,due,status,done,on_time,"
                   "working_days_left,evidence,reason",
                   "CS-1-A2,CS-1,CAST,learning,,,CAST,Call-back standard for CAST,2025-01-20,2025-03-31,open,,,-2,,"]
    bad = run(db, "actions", "--service", "Casst", use_db=False)
    assert (bad.code, bad.err) == (2, "error: --service: 'Casst' is not a service in rules/taxonomy.yaml; "
                                      "did you mean 'CAST'?\n")
