"""`triage rules diff`: every logged representation decided again under other rules, what would
change counted and shown, and nothing written to the log."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, copy_rules, edit, log_rows


@pytest.fixture
def logged(run: Any, db: Path) -> Path:
    """A log holding every shipped example."""
    for example in sorted(EXAMPLES.glob("*.json")):
        assert run("assess", str(example)).code == 0, example
    return db


def _other(tmp_path: Path, *edits: tuple[str, str, str]) -> Path:
    rules = copy_rules(tmp_path / "other")
    for name, old, new in edits:
        edit(rules / name, old, new)
    return rules


FROM_RECEIPT = ("settings.yaml", "stage1: {acknowledge: 5, respond: 10, extension: 10, from: acknowledgement,",
                "stage1: {acknowledge: 5, respond: 10, extension: 10, from: receipt,")


def _digest(path: Path) -> str:
    """A digest of everything the log holds: every table's every row (not the file's bytes, which a
    write-ahead-log checkpoint rearranges without changing a row)."""
    import sqlite3

    conn = sqlite3.connect(str(path))
    try:
        return hashlib.sha256("\n".join(conn.iterdump()).encode()).hexdigest()
    finally:
        conn.close()


def test_the_same_rules_change_nothing(run: Any, logged: Path, tmp_path: Path) -> None:
    """Against an identical copy of the rules, no decision and no report cell would change."""
    r = run("rules", "diff", "--with", str(_other(tmp_path)))
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    assert lines[0].startswith(f"Decided again: {len(list(EXAMPLES.glob('*.json')))} representations")
    assert lines[1:] == ["No decision would change.",
                         "Annual report 2023/24 to 2025/26 (received basis): no refusal or timescale cell would change."]


def test_corporate_timescales_from_receipt_move_the_corporate_deadlines(run: Any, logged: Path,
                                                                        tmp_path: Path) -> None:
    """Counting corporate stage 1 from receipt moves every accepted corporate stage 1 complaint's
    response dates five working days earlier, and nothing else; the log is not written."""
    before, rows = _digest(logged), log_rows(logged)
    r = run("rules", "diff", "--with", str(_other(tmp_path, FROM_RECEIPT)), "--json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    changes = {(c["field"], c["new"]) for c in data["changes"]}
    assert changes == {("deadlines.respond_by", "5 working days earlier"),
                       ("deadlines.respond_by_latest", "5 working days earlier")}
    corporate = {c["count"] for c in data["changes"]}
    assert corporate == {data["changed"]} and data["changed"] >= 2
    assert _digest(logged) == before and log_rows(logged) == rows


def test_a_changed_refusal_rule_shows_in_the_report_cells(run: Any, logged: Path, tmp_path: Path) -> None:
    """A repeat complaint needing two completed stages turns the shipped repeat refusal into an
    acceptance: the change names the deciding rule, and the report's refusal cells follow."""
    other = _other(tmp_path, ("50-disposition.yaml", "previous.stages_completed: {gte: 1}}",
                              "previous.stages_completed: {gte: 2}}"))
    r = run("rules", "diff", "--with", str(other), "--json")
    data = json.loads(r.out)
    assert data["changed"] == 1
    assert {"field": "disposition", "old": "refused", "new": "accepted", "rule": "accept.statutory", "count": 1,
            "references": ["CS-2025-00420"]} in data["changes"]
    assert {"field": "reason", "old": "repeat_complaint", "new": "none", "rule": "accept.statutory", "count": 1,
            "references": ["CS-2025-00420"]} in data["changes"]
    cells = {(c["table"], c["group"], c["label"], c["year"]): (c["old"], c["new"]) for c in data["report_cells"]}
    assert cells[("refusals", "Social Care Refusals", "Repeat Complaint", "2025/26")] == (1, 0)
    assert cells[("refusals", None, "Total Refusals", "2025/26")] == (7, 6)
    text = run("rules", "diff", "--with", str(other)).out
    assert "  refusals: Social Care Refusals / Repeat Complaint, 2025/26: 1 -> 0" in text
    assert "  refusals: Total Refusals, 2025/26: 7 -> 6" in text


def test_input_the_new_rules_cannot_read_is_listed(run: Any, logged: Path, tmp_path: Path) -> None:
    """A taxonomy label the other rules no longer have makes that representation unreadable
    under them: it is listed with the problem, not decided, and the rest go on."""
    other = _other(tmp_path, ("taxonomy.yaml", '  - {label: "CAST", function: child_in_need}\n', ""))
    r = run("rules", "diff", "--with", str(other))
    assert r.code == 0, r.err
    assert "could not be read under the new rules" in r.out
    assert "about.service: unknown service 'CAST'" in r.out


def test_a_bad_other_rules_directory_is_an_error(run: Any, logged: Path, tmp_path: Path) -> None:
    """A directory that holds no rules is a clear error, not a traceback."""
    r = run("rules", "diff", "--with", str(tmp_path / "nowhere"))
    assert r.code == 2
    assert r.err == f"error: --with: no rules directory at {tmp_path / 'nowhere'}; give the folder that holds the other rules\n"
