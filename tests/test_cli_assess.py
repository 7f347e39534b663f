"""`triage assess`: readable and JSON decisions, logging, and exit statuses."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, log_rows


def test_assess_prints_readable_decision_and_logs_it(run: Any, db: Path) -> None:
    """The default output names the route, the disposition, the dates and the rules with citations."""
    r = run("assess", str(EXAMPLES / "statutory-parent.json"))
    assert r.code == 0, r.err
    assert r.out.splitlines()[:6] == [
        "CS-2025-00017  complaint · statutory procedure · stage 1",
        "Decision: ACCEPTED",
        "Deadlines (working days):",
        "  acknowledge by               Wed 19 Mar 2025",
        "  respond by                   Fri 28 Mar 2025",
        "  respond at the latest by     Fri 11 Apr 2025",
    ]
    assert "who.parent: A parent may complain (no consent from the child is needed) [Children Act 1989 s.26(3)(b)]" in r.out
    assert "logged as d-000001" in r.out
    assert log_rows(db) == 1


def test_assess_json_matches_contract(run: Any) -> None:
    """--json prints exactly the CONTRACT section 2 fields, with the example's values."""
    d = run("assess", "--json", str(EXAMPLES / "statutory-parent.json")).json()
    assert set(d) == {"decision_id", "reference", "representation_type", "procedure", "disposition", "stage",
                      "reason", "deadlines", "advocacy_offer", "officer_questions", "flags", "rules_fired",
                      "letters", "ruleset", "assessed_at"}
    assert d["decision_id"] == "d-000001"
    assert (d["representation_type"], d["procedure"], d["disposition"], d["stage"], d["reason"]) == \
        ("complaint", "statutory", "accepted", 1, None)
    assert d["deadlines"] == {"acknowledge_by": "2025-03-19", "respond_by": "2025-03-28",
                              "respond_by_latest": "2025-04-11"}
    assert d["ruleset"].startswith("sha256:") and len(d["ruleset"]) == 71
    assert all(set(r) == {"id", "title", "citation"} and r["citation"] for r in d["rules_fired"])


def test_assess_reads_standard_input(run: Any, case: dict[str, Any]) -> None:
    """`-` reads the representation from standard input."""
    r = run("assess", "--json", "-", stdin=json.dumps(case).encode())
    assert r.code == 0 and r.json()["reference"] == "CS-2025-00017"


def test_reference_is_assigned_and_stable(run: Any, case: dict[str, Any]) -> None:
    """A representation without a reference gets one, the same for the same content."""
    del case["reference"]
    first = run("assess", "--json", "-", stdin=json.dumps(case).encode()).json()["reference"]
    second = run("assess", "--json", "-", stdin=json.dumps(case).encode()).json()["reference"]
    assert first == second and first.startswith("TR-2025-")


def test_officer_question_explains_factors_and_presumption(run: Any, case: dict[str, Any]) -> None:
    """A grandparent's complaint asks the sufficient-interest question instead of refusing."""
    case["complainant"].update(relationship="grandparent", has_parental_responsibility=False)
    r = run("assess", "-", stdin=json.dumps(case).encode())
    assert r.code == 0
    assert "Decision: OFFICER DECISION REQUIRED" in r.out
    assert "Officer decision needed [sufficient_interest]" in r.out
    assert "Presumption: Decide as soon as possible" in r.out


def test_officer_answer_reaches_final_outcome(run: Any, case: dict[str, Any]) -> None:
    """The officer's recorded answer becomes a fact and the same rules refuse or accept."""
    case["complainant"].update(relationship="grandparent", has_parental_responsibility=False)
    case["officer_decisions"] = {"sufficient_interest": {"answer": False, "reason": "No contact for years", "by": "J Officer"}}
    d = run("assess", "--json", "-", stdin=json.dumps(case).encode()).json()
    assert (d["disposition"], d["reason"]) == ("refused", "no_parental_responsibility")
    case["officer_decisions"]["sufficient_interest"]["answer"] = True
    d = run("assess", "--json", "-", stdin=json.dumps(case).encode()).json()
    assert d["disposition"] == "accepted" and "who.sufficient_interest.yes" in [r["id"] for r in d["rules_fired"]]


def test_missing_case_argument_is_usage_error(run: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """`triage assess` with nothing to assess (standard input a terminal) exits 2 with a hint."""
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    r = run("assess")
    assert r.code == 2 and "give a CASE.json file" in r.err


def test_missing_file_is_usage_error(run: Any, db: Path) -> None:
    """A case file that does not exist exits 2 and logs nothing."""
    r = run("assess", "nope.json")
    assert (r.code, r.err.strip()) == (2, "error: no such file: nope.json")
    assert log_rows(db) == 0


def test_every_command_has_help(run: Any) -> None:
    """Every command and subcommand answers --help with a usage line."""
    import click

    from triage.cli import cli

    def walk(group: click.Group, prefix: list[str]) -> list[list[str]]:
        found = [prefix]
        for name, command in group.commands.items():
            if isinstance(command, click.Group):
                found += walk(command, [*prefix, name])
            else:
                found.append([*prefix, name])
        return found

    commands = walk(cli, [])
    assert len(commands) > 20
    for args in commands:
        r = run(*args, "--help")
        assert r.code == 0 and r.out.startswith("Usage: triage"), args


def test_schema_is_json_schema_of_representation(run: Any) -> None:
    """`triage schema` prints a JSON Schema with the required fields of CONTRACT section 1."""
    s = run("schema").json()
    assert s["title"] == "Representation"
    assert {"received_date", "received_via", "complainant", "about"} <= set(s["required"])
    assert s["additionalProperties"] is False
