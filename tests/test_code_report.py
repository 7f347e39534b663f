"""The Complaint Handling Code report (CHC section 8.1): the figures against the Code's
standards counted by hand on a small log, the self-assessment file (every provision listed,
computable ones filled from the log, bad files refused naming the field), non-compliance in
plain words, the Ombudsman's letter, every format, and the command."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import RULES, case_with

TODAY = date(2025, 4, 30)


def _build(db: Path) -> None:
    """Three corporate complaints, a corporate refusal, a statutory complaint; the comments count them."""
    import triage
    from triage.cases import workflow

    def rec(ref: str, event: str, day: str, **fields: Any) -> None:
        workflow.record({"reference": ref, "event": event, "date": day, **fields}, db=db, rules=RULES)

    sen = {"about__service": "SEN", "about__function": "sen", "about__natures": ["SEN - EHCP Process"]}
    # K1: received Mon 6 Jan 2025; acknowledged 8 Jan (due 13 Jan: met); answered 20 Jan (due 10
    # working days after the acknowledgement, 22 Jan: met); upheld; two actions, one done, one overdue.
    triage.assess(case_with(reference="K1", received_date="2025-01-06", about__grounds_arose="2025-01-02", **sen),
                  db=db, rules=RULES)
    rec("K1", "acknowledged", "2025-01-08")
    rec("K1", "responded", "2025-01-20", stage=1, finding="upheld")
    rec("K1", "action_agreed", "2025-01-21", action_id="K1-A1", what="Apology", source="complaint_finding",
        owner="SEN", due="2025-02-21", remedy="apology")
    rec("K1", "action_completed", "2025-02-19", action_id="K1-A1", evidence="sent")
    rec("K1", "action_agreed", "2025-01-21", action_id="K1-A2", what="EHCP timeline checks at week 16",
        source="learning", owner="SEN", due="2025-03-14")
    # K2: by email; acknowledged 15 Jan (due 13 Jan: missed); extended 20 Jan with a reason;
    # answered 12 Feb (10 days from the acknowledgement: 29 Jan, missed; within the extension,
    # 20 days: 12 Feb, met). Stage 2 asked 20 Feb, acknowledged 24 Feb (due 27 Feb: met),
    # answered 10 Apr (20 days from the acknowledgement: 24 Mar, missed).
    triage.assess(case_with(reference="K2", received_date="2025-01-06", received_via="email",
                            about__grounds_arose="2025-01-02", **sen), db=db, rules=RULES)
    rec("K2", "acknowledged", "2025-01-15")
    rec("K2", "extended", "2025-01-20", reason="Complex: three schools involved")
    rec("K2", "responded", "2025-02-12", stage=1, finding="not_upheld")
    rec("K2", "escalation_requested", "2025-02-20", to_stage=2)
    rec("K2", "acknowledged", "2025-02-24")
    rec("K2", "responded", "2025-04-10", stage=2, finding="not_upheld")
    # K3: by letter, 3 Feb 2025; never acknowledged (due 10 Feb) nor answered (due 24 Feb): both missed by 30 Apr.
    triage.assess(case_with(reference="K3", received_date="2025-02-03", received_via="letter",
                            about__grounds_arose="2025-01-30", **sen), db=db, rules=RULES)
    # R1: corporate, refused (the SEND Tribunal can decide it).
    triage.assess(case_with(reference="R1", received_date="2025-01-13", about__grounds_arose="2025-01-02",
                            proceedings__tribunal="appeal_available", **sen), db=db, rules=RULES)
    # S1: statutory, answered late: not a Code figure.
    triage.assess(case_with(reference="S1", received_date="2025-01-06", about__grounds_arose="2025-01-02"),
                  db=db, rules=RULES)
    rec("S1", "responded", "2025-03-03", stage=1, finding="not_upheld")


@pytest.fixture(scope="module")
def log_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("code") / "log.db"
    _build(db)
    return db


def _rules(tmp_path: Path, edit: Any = None) -> Any:
    """A copy of the rules folder (and templates beside it), its self-assessment edited by ``edit``."""
    from triage.rules.ruleset import load_rules

    shutil.copytree(RULES, tmp_path / "rules")
    shutil.copytree(RULES.parent / "templates", tmp_path / "templates")
    path = tmp_path / "rules" / "code-self-assessment.yaml"
    if edit:
        path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    return load_rules(tmp_path / "rules")


def _build_report(log_path: Path, rules: Any = None) -> dict[str, Any]:
    from triage.log.store import DecisionLog
    from triage.report import code
    from triage.rules.ruleset import load_rules

    return code.build(DecisionLog(log_path), rules or load_rules(RULES), "2024-25", today=TODAY)


@pytest.fixture(scope="module")
def report(log_path: Path) -> dict[str, Any]:
    return _build_report(log_path)


def test_every_figure_is_the_hand_count(report: dict[str, Any]) -> None:
    """Each figure against the Code's standard, counted by hand from the fixture."""
    assert [(p["provision"], p["count"], p["of"], p["percent"], p["meets_code"]) for p in report["performance"]] == [
        ("2.1", 1, 1, "100%", True),               # R1, with its reason
        ("2.2", 0, 0, None, None),                 # no late complaint decided
        ("3", 3, 3, "100%", None),                 # eform, email, letter
        ("6.2", 1, 3, "33%", False),               # K1 only
        ("6.3", 1, 3, "33%", False),               # K1 only
        ("6.4", 1, 1, "100%", True),               # K2 within its extension
        ("6.4", 1, 1, "100%", True),               # K2's extension has its reason
        ("6.6", 1, 2, "50%", False),               # K1-A2 overdue
        ("6.8", 1, 2, "50%", None),                # K2 of K1, K2
        ("6 (stage 2 acknowledgement)", 1, 1, "100%", True),
        ("6 (stage 2 response)", 0, 1, "0%", False),
        ("6 (stage 2 extension)", 0, 0, None, None),
        ("7", 0, 0, None, None),
        ("8.1", 1, 1, "100%", True),
        ("9", 0, 0, None, None),
    ]


def test_non_compliance_is_said_plainly(report: dict[str, Any]) -> None:
    """Every standard the figures miss is a finding, in words."""
    assert [(f["provision"], f["finding"]) for f in report["non_compliance"]] == [
        ("6.2", "2 of 3 corporate stage 1 complaints (67%) were not acknowledged within 5 working days."),
        ("6.3", "2 of 3 corporate stage 1 responses (67%) took more than 10 working days from the acknowledgement."),
        ("6.6", "1 of 2 actions agreed this year are past their due date and not done."),
        ("6 (stage 2 response)", "1 of 1 corporate stage 2 responses (100%) took more than 20 working days from the "
                                 "acknowledgement."),
    ]


def test_every_provision_of_the_file_is_listed(report: dict[str, Any]) -> None:
    """The self-assessment lists every provision of rules/code-self-assessment.yaml, computable ones filled."""
    import yaml

    listed = [p["provision"] for p in yaml.safe_load((RULES / "code-self-assessment.yaml").read_text())["provisions"]]
    rows = {r["provision"]: r for r in report["self_assessment"]}
    assert [r["provision"] for r in report["self_assessment"]] == listed and len(listed) == 31
    assert (rows["6.2"]["complies"], rows["6.2"]["from_log"]) == ("no", True)
    assert rows["6.2"]["evidence"] == ("From the decision log: corporate stage 1 complaints acknowledged within 5 "
                                       "working days: 1 of 3 (33%).")
    assert (rows["6.4"]["complies"], rows["1.2"]["complies"], rows["1.2"]["evidence"]) == ("yes", None, "")


def test_refusals_and_learning_come_from_the_annual_report(report: dict[str, Any]) -> None:
    """Refusals by reason and the learning rows are the annual report's for the year."""
    rows = {(r["group"], r["label"]): r["counts"]["2024/25"] for r in report["refusals"]["rows"]}
    assert rows[("Corporate Refusals", "Tribunal")] == 1 and rows[(None, "Total Refusals")] == 1
    assert report["refused_summary"] == [{"procedure": "corporate", "service": "SEN", "count": 1,
                                          "reason": "A tribunal can decide it"}]
    learning = {(r["group"], r["label"]): r["counts"]["2024/25"] for r in report["learning"]["rows"]}
    assert (learning[("All actions", "Actions agreed")], learning[("All actions", "Implemented")]) == (2, 1)


def test_the_councils_own_answers_win_and_are_checked_against_the_figures(log_path: Path, tmp_path: Path) -> None:
    """A 'yes' the figures contradict is a finding; a 'partly' with commentary is reported as the council wrote it."""
    def edit(text: str) -> str:
        text = text.replace('''{provision: "6.3", section: "6. Complaints stages: stage 1",
     requirement: "A full stage 1 response within 10 working days of the acknowledgement.",
     complies: ,''', '''{provision: "6.3", section: "6. Complaints stages: stage 1",
     requirement: "A full stage 1 response within 10 working days of the acknowledgement.",
     complies: yes,''')
        return text.replace('''requirement: "Service requests are recorded, monitored and reviewed regularly.",
     complies: , evidence: "", commentary: ""''', '''requirement: "Service requests are recorded, monitored and reviewed regularly.",
     complies: partly, evidence: "", commentary: "Recorded from June 2025."''')

    r = _build_report(log_path, _rules(tmp_path, edit))
    findings = [(f["provision"], f["finding"]) for f in r["non_compliance"]]
    assert ("6.3", "The self-assessment says yes, but the figures do not bear it out: 2 of 3 corporate stage 1 "
                   "responses (67%) took more than 10 working days from the acknowledgement.") in findings
    assert ("1.8", "The self-assessment says the council complies only in part: Service requests are recorded, "
                   "monitored and reviewed regularly. Recorded from June 2025.") in findings


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.replace('complies: , evidence: "", commentary: ""}', 'complies: maybe, evidence: "", commentary: ""}', 1),
     "provisions[0].complies: 'maybe' is not yes, no or partly (leave it empty while not assessed)"),
    (lambda t: t.replace("computed: stage1_answered", "computed: stage1_answerd"),
     "provisions[16].computed: 'stage1_answerd' is not a figure triage computes; did you mean 'stage1_answered'?"),
    (lambda t: t.replace('{provision: "1.2", section', '{provison: "1.2", section'),
     "provisions[0].provison: unknown key; did you mean 'provision'?"),
])
def test_a_bad_self_assessment_is_refused_naming_the_field(log_path: Path, tmp_path: Path, edit: Any,
                                                           message: str) -> None:
    """A wrong value, an unknown figure or a misspelt key: a usage error (exit 2) naming the entry."""
    from triage.contract.errors import UsageError

    rules = _rules(tmp_path, edit)
    with pytest.raises(UsageError) as err:
        _build_report(log_path, rules)
    assert message in str(err.value)


def test_the_ombudsmans_letter_is_linked_and_attached(log_path: Path, tmp_path: Path) -> None:
    """A url is linked and a text file named by path is attached; a missing file is refused naming the field."""
    from triage.contract.errors import UsageError
    from triage.report import chc_formats

    def edit(text: str) -> str:
        return text.replace('''  title: ""
  url: ""
  path: ""''', '''  title: "Annual review letter 2025"
  url: "https://www.lgo.org.uk/your-councils-performance"
  path: "lgsco-letter-2025.txt"''')

    rules = _rules(tmp_path, edit)
    (tmp_path / "rules" / "lgsco-letter-2025.txt").write_text("Dear Chief Executive,\nThree complaints upheld.\n")
    r = _build_report(log_path, rules)
    assert r["ombudsman_letter"] == {"title": "Annual review letter 2025",
                                     "url": "https://www.lgo.org.uk/your-councils-performance",
                                     "text": "Dear Chief Executive,\nThree complaints upheld.\n"}
    md = chc_formats.write(r, "md")
    assert "**Annual review letter 2025**: <https://www.lgo.org.uk/your-councils-performance>" in md
    assert "> Three complaints upheld." in md
    (tmp_path / "rules" / "lgsco-letter-2025.txt").unlink()
    with pytest.raises(UsageError) as err:
        _build_report(log_path, rules)
    assert "ombudsman_letter.path: no file" in str(err.value)


def test_the_self_assessment_does_not_change_the_ruleset(tmp_path: Path) -> None:
    """Editing code-self-assessment.yaml leaves the ruleset hash (what decisions are made with) as it was."""
    from triage.rules.ruleset import ruleset_hash

    _rules(tmp_path)
    before = ruleset_hash(tmp_path / "rules")
    path = tmp_path / "rules" / "code-self-assessment.yaml"
    path.write_text(path.read_text().replace("complies: ,", "complies: yes,", 1))
    assert ruleset_hash(tmp_path / "rules") == before


def test_code_assessment_writes_a_prefilled_copy(log_path: Path, tmp_path: Path) -> None:
    """The library function behind `triage code-assessment` (and `triage init`): every provision, computable ones filled."""
    import yaml

    from triage.log.store import DecisionLog
    from triage.report import code
    from triage.rules.ruleset import load_rules

    out = code.write_self_assessment(DecisionLog(log_path), load_rules(RULES), tmp_path / "sa.yaml", "2024-25",
                                     today=TODAY)
    data = yaml.safe_load(out.read_text())
    rows = {p["provision"]: p for p in data["provisions"]}
    assert len(rows) == 31 and (rows["6.2"]["complies"], rows["8.1"]["complies"], rows["1.2"]["complies"]) == (
        "no", "yes", None)
    assert code.read_self_assessment(out)["provisions"][0]["provision"] == "1.2"  # it reads back


def test_every_format(report: dict[str, Any], tmp_path: Path) -> None:
    """JSON, Markdown, HTML (a <main>, no scripts) and one CSV per part."""
    import json

    from triage.report import chc_formats

    assert json.loads(chc_formats.write(report, "json"))["year"] == "2024/25"
    md = chc_formats.write(report, "md")
    assert md.splitlines()[0] == ("# Example County Council: annual complaints performance and service improvement "
                                  "report 2024/25")
    assert "| 6.2 | Corporate stage 1 complaints acknowledged within 5 working days | within 5 working days of " \
           "receipt | 1 of 3 (33%) | Does not meet the Code |" in md
    from triage.rules.ruleset import load_rules
    html = chc_formats.write(report, "html", None, load_rules(RULES))
    assert "<main>" in html and "<script" not in html and html.count("<tr><td>") >= 31
    paths = chc_formats.write(report, "csv", tmp_path / "csv")
    assert sorted(p.name for p in paths) == ["non_compliance.csv", "performance.csv", "refused.csv",
                                             "self_assessment.csv"]
    assert "What was refused: 1 corporate complaint about SEN: a tribunal can decide it." in md
    assert (tmp_path / "csv" / "non_compliance.csv").read_text().splitlines()[1] == (
        "6.2,figures,2 of 3 corporate stage 1 complaints (67%) were not acknowledged within 5 working days.")


def test_the_command(log_path: Path, run: Any, tmp_path: Path) -> None:
    """`triage report --code` prints the report; `triage code-assessment --out` writes the file."""
    r = run(f"--db={log_path}", "report", "--code", "--year", "2024-25", "--format", "md", use_db=False)
    assert r.code == 0 and "## Findings of non-compliance" in r.out and "## Self-assessment against the Code" in r.out
    r = run(f"--db={log_path}", "code-assessment", "--year", "2024-25", "--out", str(tmp_path / "sa.yaml"),
            use_db=False)
    assert (r.code, r.err) == (0, f"wrote {tmp_path / 'sa.yaml'}\n")
    r = run(f"--db={log_path}", "code-assessment", "--year", "2024-25", "--out", str(tmp_path / "sa2.yaml"), "--json",
            use_db=False)
    assert r.json() == {"path": str(tmp_path / "sa2.yaml"), "provisions": 31,
                        "filled": ["2.1", "6.2", "6.3", "6.4", "6.6", "6 (stage 2 acknowledgement)",
                                   "6 (stage 2 response)", "8.1"]}
    r = run(f"--db={log_path}", "report", "--code", "--year", "2024-26", use_db=False)
    assert r.code == 2 and "--year: '2024-26' is not a financial year" in r.err


def test_the_annual_reports_options_are_refused_with_code(log_path: Path, run: Any) -> None:
    """--code with --basis, --years or --suppress-below is a usage error naming them, not silently ignored."""
    r = run(f"--db={log_path}", "report", "--code", "--year", "2024-25", "--basis", "resolved", "--years", "2",
            use_db=False)
    assert (r.code, r.err) == (2, "error: --code: --years, --basis belong to the annual report; the Code report "
                                  "covers one year (--year) and counts each stage in the year it started\n")
