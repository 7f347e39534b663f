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
