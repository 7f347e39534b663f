"""What a new user tripped over: messages, standard input, --json everywhere, passwords, due dates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import EXAMPLES


def test_null_in_a_list_of_values_is_named_as_null(run: Any, case: dict[str, Any]) -> None:
    """A null where a listed value is expected reads "null", never Python's "None"."""
    case["about"]["other_functions"] = [None]
    r = run("assess", "-", stdin=json.dumps(case).encode())
    assert (r.code, r.err.splitlines()) == (2, [
        "error: about.other_functions[0]: null is not a valid value; see `triage schema` for the valid values"])


def test_override_to_an_unknown_value_lists_the_valid_ones(run: Any) -> None:
    """`override --to` with a value nothing like a valid one lists every valid value."""
    run("assess", str(EXAMPLES / "officer-sufficient-interest-grandparent.json"))
    r = run("override", "CS-2025-00298", "--field", "reason", "--to", "wrong_route", "--reason", "x", "--by", "y")
    assert (r.code, r.err.strip()) == (2, "error: to: 'wrong_route' is not a valid reason (valid: court_proceedings, "
                                          "criminal_proceedings, disciplinary_proceedings, tribunal, "
                                          "no_parental_responsibility, not_in_best_interest_or_no_consent, "
                                          "out_of_time, repeat_complaint, outside_remit, not_providing_information)")


def test_an_unset_value_reads_none_not_python(run: Any, tmp_path: Path) -> None:
    """Overriding a value that was not set says "none" in the CLI's lines, never "None"."""
    run("assess", str(EXAMPLES / "officer-sufficient-interest-grandparent.json"))
    run("override", "CS-2025-00298", "--field", "disposition", "--to", "refused", "--reason", "r", "--by", "A Manager")
    r = run("override", "CS-2025-00298", "--field", "reason", "--to", "no_parental_responsibility", "--reason", "r",
            "--by", "A Manager")
    assert r.out.strip() == ("overridden: CS-2025-00298 reason none -> no_parental_responsibility "
                             "(decision d-000001, by A Manager)")
    letters = run("letters", "CS-2025-00298", "--out", str(tmp_path))
    assert "as overridden: reason none -> no_parental_responsibility (by A Manager)" in letters.err
    assert "None" not in letters.err + run("log", "overrides").out


def test_assess_reads_piped_standard_input_without_a_dash(run: Any) -> None:
    """`triage assess < case.json` (no `-`) reads standard input when it is not a terminal."""
    r = run("assess", "--json", stdin=(EXAMPLES / "statutory-parent.json").read_bytes())
    assert (r.code, r.json()["reference"], r.json()["decision_id"]) == (0, "CS-2025-00017", "d-000001")


def test_assess_with_empty_piped_input_says_so(run: Any) -> None:
    """Empty standard input with no CASE.json exits 2 naming standard input."""
    r = run("assess", stdin=b"")
    assert (r.code, r.err.strip()) == (2, "error: standard input is empty; expected a JSON object (see `triage schema`)")


def test_assess_redirected_file_in_a_real_shell(tmp_path: Path) -> None:
    """A real process given a file as standard input assesses it."""
    import os
    import subprocess
    import sys

    with (EXAMPLES / "statutory-parent.json").open("rb") as stdin:
        done = subprocess.run([sys.executable, "-m", "triage", "--db", str(tmp_path / "t.db"), "assess", "--json"],
                              stdin=stdin, capture_output=True, env={**os.environ}, timeout=120)
    assert (done.returncode, json.loads(done.stdout)["disposition"]) == (0, "accepted"), done.stderr


def test_due_on_a_date_leaves_out_cases_not_yet_received(run: Any) -> None:
    """`due --today DATE` lists only cases received on or before DATE."""
    for name in ("statutory-parent.json", "officer-sufficient-interest-grandparent.json"):
        assert run("assess", str(EXAMPLES / name)).code == 0
    rows = run("due", "--today", "2025-05-20", "--json").json()
    assert [(r["reference"], r["due"]) for r in rows] == [("CS-2025-00017", "2025-03-19")]
    later = run("due", "--today", "2025-08-11", "--json").json()
    assert [r["reference"] for r in later] == ["CS-2025-00017", "CS-2025-00298"]


def test_batch_result_to_json_is_json_text(db: Path, case: dict[str, Any]) -> None:
    """`BatchResult.to_json()` is a line of JSON text (as the batch prints); `to_dict()` the dict."""
    import triage
    from conftest import RULES

    good, bad = triage.assess_batch([json.dumps(case), "{"], db=db, rules=RULES)
    assert json.loads(good.to_json()) == good.to_dict()
    assert (good.to_dict()["line"], good.to_dict()["ok"], good.to_dict()["decision"]["decision_id"]) == (1, True, "d-000001")
    assert bad.to_json() == ('{"line": 2, "ok": false, "errors": [{"field": "", "message": "line 2 is not valid JSON: '
                             'Expecting property name enclosed in double quotes at line 1, column 2"}]}')
