"""What a new user tripped over: messages, standard input, --json everywhere, passwords, due dates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import EXAMPLES


def test_a_wrong_value_is_shown_as_json_not_python(run: Any, case: dict[str, Any]) -> None:
    """A value that is not one of the listed ones is shown as JSON wrote it ("true"), never as Python ("True")."""
    case["proceedings"] = {"court": True}
    r = run("assess", "-", stdin=json.dumps(case).encode())
    assert (r.code, r.err.splitlines()) == (2, [
        "error: proceedings.court: true is not a valid value; see `triage schema` for the valid values "
        "(valid: none, ongoing, concluded, matter_for_court)"])


def test_null_in_a_list_of_values_is_named_as_null(run: Any, case: dict[str, Any]) -> None:
    """A null item in a list of values is called null, never Python's "None"."""
    case["about"]["other_functions"] = [None]
    r = run("assess", "-", stdin=json.dumps(case).encode())
    (line,) = r.err.splitlines()
    assert (r.code, line.startswith("error: about.other_functions[0]: "), "null" in line, "None" in line) == (
        2, True, True, False)


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


def _leaf_commands() -> list[tuple[str, Any]]:
    import click

    from triage.cli.main import cli

    out = []

    def walk(prefix: str, command: Any) -> None:
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                walk(f"{prefix} {name}".strip(), sub)
        else:
            out.append((prefix, command))

    walk("", cli)
    return out


# Commands whose output is already JSON (schema), chosen by --format (report), or a server (serve).
NO_JSON_FLAG = {"schema", "report", "serve"}


def test_every_command_that_prints_a_result_has_a_documented_json_flag() -> None:
    """Every command but schema, report and serve has --json, with help saying what it prints."""
    seen = []
    for name, command in _leaf_commands():
        flags = {opt: p for p in command.params for opt in getattr(p, "opts", [])}
        if name in NO_JSON_FLAG:
            continue
        seen.append(name)
        assert "--json" in flags, name
        assert (flags["--json"].help or "").startswith("Print "), name
    assert {"assess", "case", "due", "keys add", "keys list", "keys revoke", "letters", "log list", "log overrides",
            "log show", "log verify", "override", "record", "rules check", "rules readability", "rules test",
            "users add", "users list", "users password", "users remove"} <= set(seen)


def test_rules_commands_print_json(run: Any) -> None:
    """`rules check --json` and `rules test --json` print counts and results for scripts."""
    from triage.rules.ruleset import load_rules

    from conftest import RULES

    ruleset = load_rules(RULES)
    check = run("rules", "check", "--json")
    assert (check.code, check.json()) == (0, {"ok": True, "rules": len(ruleset.rules), "phases": len(ruleset.phases),
                                              "warnings": [], "ruleset": ruleset.hash})
    test = run("rules", "test", "--json")
    body = test.json()
    assert (test.code, body["failed"], body["uncovered"], body["passed"]) == (0, 0, [], len(body["scenarios"]))
    assert set(body["scenarios"][0]) == {"file", "name", "passed", "failures"}
    readability = run("rules", "readability", "--json").json()
    assert set(readability[0]) == {"template", "standard", "simple"}


def test_override_letters_and_verify_print_json(run: Any, tmp_path: Path) -> None:
    """`override`, `letters` and `log verify` print what they did as JSON with --json."""
    run("assess", str(EXAMPLES / "officer-sufficient-interest-grandparent.json"))
    o = run("override", "CS-2025-00298", "--field", "disposition", "--to", "refused", "--reason", "r", "--by", "M",
            "--json").json()
    assert {k: o[k] for k in ("reference", "decision_id", "field", "from_value", "to_value", "by")} == {
        "reference": "CS-2025-00298", "decision_id": "d-000001", "field": "disposition",
        "from_value": "officer_decision_required", "to_value": "refused", "by": "M"}
    run("override", "CS-2025-00298", "--field", "reason", "--to", "no_parental_responsibility", "--reason", "r",
        "--by", "M")
    letters = run("letters", "CS-2025-00298", "--out", str(tmp_path), "--json").json()
    assert (letters["decision_id"], [x["template"] for x in letters["letters"]], letters["written"]) == (
        "d-000001", ["refusal_no_parental_responsibility"],
        [str(tmp_path / f"CS-2025-00298-refusal_no_parental_responsibility.{ext}") for ext in ("txt", "html", "docx")])
    assert [x["to_value"] for x in letters["overrides"]] == ["refused", "no_parental_responsibility"]
    assert run("log", "verify", "--json").json() == {"ok": True, "records": 4, "problems": []}


def test_a_null_court_value_means_not_known(run: Any, case: dict[str, Any]) -> None:
    """`"court": null` is taken as omitted (no proceedings), never reported as "None is not a valid value"."""
    case["proceedings"] = {"court": None, "criminal": "none"}
    r = run("assess", "--json", "-", stdin=json.dumps(case).encode())
    assert (r.code, r.json()["disposition"], r.err) == (0, "accepted", "")
