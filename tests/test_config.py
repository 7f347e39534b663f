"""Settings, council and taxonomy files are checked against their schema: every mistake is an
error with the file, the line, the key path and the nearest valid key or value (exit 2)."""

from __future__ import annotations

import shutil
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import EXAMPLES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from triage.clock.deadlines import Clock
from triage.contract.errors import TriageError
from triage.contract.shipped import templates_dir
from triage.rules.ruleset import _Loader_, default_rules_dir

SHIPPED = default_rules_dir()


@pytest.fixture()
def council(tmp_path: Path) -> Path:
    folder = tmp_path / "council"
    shutil.copytree(templates_dir("council"), folder)
    return folder


def _check(run: Any, council: Path) -> Any:
    return run(f"--council={council}", "rules", "check")


def test_the_issue_typos_are_errors_with_line_and_suggestion(run: Any, council: Path) -> None:
    """`from: acknowledgment` and a misspelt `closures_stop_clok` fail rules check (exit 2) with the
    file, the line, the key path and the right spelling."""
    (council / "settings.yaml").write_text("corporate:\n  stage1:\n    from: acknowledgment\n"
                                          "  closures_stop_clok: true\n")
    r = _check(run, council)
    assert r.code == 2
    assert r.err == (
        f"error: {council}/settings.yaml:3: corporate.stage1.from: 'acknowledgment' is not one of "
        "acknowledgement, receipt; did you mean 'acknowledgement'?\n"
        f"error: {council}/settings.yaml:4: corporate.closures_stop_clok: unknown key; "
        "did you mean 'closures_stop_clock'?\n")


def test_a_key_at_the_wrong_level_names_where_it_belongs(run: Any, council: Path) -> None:
    """A shipped key written at the top level is pointed to its place."""
    (council / "settings.yaml").write_text("closures_stop_clock: true\n")
    assert _check(run, council).err == (f"error: {council}/settings.yaml:1: closures_stop_clock: unknown key; did you "
                                        "mean 'corporate.closures_stop_clock' (it belongs under another key)?\n")


def test_a_closure_written_like_the_example_is_accepted_and_counted(run: Any, council: Path, tmp_path: Path) -> None:
    """A closure day given as {date, name}, like the bank holiday example, stops the corporate clock
    when closures do: Mon 29 Dec 2025 - Wed 31 Dec closed moves respond_by by three working days."""
    (council / "settings.yaml").write_text(
        "corporate:\n  closures_stop_clock: true\ncalendar:\n  council_closures:\n"
        "    - {date: 2025-12-29, name: Christmas closure}\n    - 2025-12-30\n    - {date: 2025-12-31}\n")
    assert _check(run, council).code == 0
    rules = _Loader_(SHIPPED, council).load()
    assert rules.settings["calendar"]["council_closures"] == ["2025-12-29", "2025-12-30", "2025-12-31"]
    plain = _Loader_(SHIPPED, None).load()
    received = date(2025, 12, 15)
    dates = [Clock(r).for_decision(received, "complaint", "complaint", "corporate", "accepted", 1)["acknowledge_by"]
             for r in (plain, rules)]
    assert dates == [date(2025, 12, 22), date(2025, 12, 22)]
    respond = [Clock(r).for_decision(received, "complaint", "complaint", "corporate", "accepted", 1)["respond_by"]
               for r in (plain, rules)]
    assert respond == [date(2026, 1, 8), date(2026, 1, 13)]


@pytest.mark.parametrize("text, message", [
    ("calendar:\n  council_closures: [2025-13-01]\n",
     "2: calendar.council_closures[0]: must be a date or {date, name}: '2025-13-01' is not a date; write it as "
     "YYYY-MM-DD, e.g. 2025-12-29"),
    ("statutory:\n  stage1: {respond: -2}\n", "2: statutory.stage1.respond: must be at least 0, not -2"),
    ("statutory:\n  acknowledge: {days: three}\n",
     "2: statutory.acknowledge.days: must be a whole number, not 'three'"),
    ("corporate:\n  closures_stop_clock: yes please\n",
     "2: corporate.closures_stop_clock: must be true or false, not 'yes please'"),
    ("statutory:\n  stage2: {latest: 20}\n",
     "2: statutory.stage2.latest: the maximum (20) is below the standard respond (25); it must be at least as long"),
    ("counting:\n  received_on_non_working_day: next_workingday\n",
     "2: counting.received_on_non_working_day: 'next_workingday' is not one of as_received, next_working_day; "
     "did you mean 'next_working_day'?"),
    ("statutory:\n  late_after_months: 12\nstatutory:\n  late_after_months: 6\n",
     "3: statutory: this key is given twice; keep one"),
    ("corporate: [1\n", "2: not valid YAML: did not find expected ',' or ']', column 1"),
    ("- just\n- a list\n", "1: must be a mapping of keys at the top level"),
])
def test_each_kind_of_settings_mistake_is_named(run: Any, council: Path, text: str, message: str) -> None:
    """Bad dates, negative or mistyped timescales, impossible maxima, unknown values, duplicate
    keys and broken YAML: one line each, with the line number, exit 2."""
    (council / "settings.yaml").write_text(text)
    r = _check(run, council)
    assert (r.code, r.err) == (2, f"error: {council}/settings.yaml:{message}\n")


def test_council_details_are_checked(run: Any, council: Path) -> None:
    """council.yaml: a missing key, an unknown key (with a suggestion) and a logo that is not there."""
    text = (council / "council.yaml").read_text()
    text = text.replace('  phone: "01632 960000"\n', "").replace("  title:", "  titel:", 1)
    text = text.replace("  # logo: logo.png          # optional: an image for the letter head, beside this file",
                        "  logo: crest.png")
    (council / "council.yaml").write_text(text)
    r = _check(run, council)
    assert r.code == 2
    assert r.err.splitlines() == [
        f"error: {council}/council.yaml:3: council: missing key 'phone'",
        f"error: {council}/council.yaml:13: signatory.titel: unknown key; did you mean 'title'?",
        f"error: {council}/council.yaml:11: signatory: missing key 'title'",
        f"error: {council}/council.yaml:10: council.logo: no image at {council}/crest.png (the path is relative "
        "to the folder holding council.yaml)",
    ]


def test_bad_letter_settings_are_named_at_load(run: Any, council: Path) -> None:
    """letters.font_size outside 6-30 points and a font that is not a name fail when the rules load."""
    (council / "council.yaml").write_text((council / "council.yaml").read_text()
                                          + "letters: {font: 'Arial\"; color: red', font_size: 40}\n")
    r = _check(run, council)
    assert r.err.splitlines() == [
        f"error: {council}/council.yaml:36: letters.font: 'Arial\"; color: red' is not a font name; give one like \"Arial\"",
        f"error: {council}/council.yaml:36: letters.font_size: must be at most 30, not 40"]


def test_the_letters_keys_of_council_yaml_are_accepted(run: Any, council: Path) -> None:
    """council.logo (a file beside council.yaml), letters.font and letters.font_size are valid keys."""
    (council / "crest.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    text = (council / "council.yaml").read_text().replace(
        "  # logo: logo.png          # optional: an image for the letter head, beside this file", "  logo: crest.png")
    (council / "council.yaml").write_text(text + "letters: {font: Verdana, font_size: 12}\n")
    assert _check(run, council).code == 0
    rules = _Loader_(SHIPPED, council).load()
    assert rules.council["council"]["logo"] == str(council / "crest.png")
    assert rules.council["letters"] == {"font": "Verdana", "font_size": 12}


def test_taxonomy_mistakes_are_named(run: Any, council: Path) -> None:
    """A council taxonomy entry with an unknown function or key, or a list that is not one, is an error."""
    (council / "taxonomy.yaml").write_text(
        "services:\n  - {label: Disability Team, function: disabled_child}\n  - {label: X, funtion: sen}\n"
        "methods:\n  emial: Email\nreplace: [service]\n")
    r = _check(run, council)
    assert r.code == 2
    assert r.err.splitlines() == [
        f"error: {council}/taxonomy.yaml:2: services[0].function: 'disabled_child' is not one of "
        + ", ".join(__import__("triage.contract.vocab", fromlist=["FUNCTIONS"]).FUNCTIONS)
        + "; did you mean 'disabled_children'?",
        f"error: {council}/taxonomy.yaml:3: services[1].funtion: unknown key; did you mean 'function'?",
        f"error: {council}/taxonomy.yaml:5: methods.emial: 'emial' is not a known value; did you mean 'email'?",
        f"error: {council}/taxonomy.yaml:6: replace[0]: 'service' is not one of services, natures, methods, "
        "relationships, actual_outcomes, lgsco_outcomes; did you mean 'services'?",
    ]


@pytest.mark.parametrize("command", [["assess", "CASE"], ["rules", "test"], ["due"], ["report", "--year", "2024-25"],
                                     ["serve", "--port", "1"], ["rules", "settings"]])
def test_every_command_stops_on_a_bad_setting(run: Any, council: Path, tmp_path: Path, command: list[str]) -> None:
    """Not only rules check: every command that loads the rules reports the mistake (exit 2, no traceback)."""
    (council / "settings.yaml").write_text("corporate:\n  stage1: {from: reciept}\n")
    (tmp_path / "log.db").touch()
    args = [str(EXAMPLES / "statutory-parent.json") if a == "CASE" else a for a in command]
    r = run(f"--council={council}", *args)
    assert (r.code, r.out) == (2, "")
    assert r.err == (f"error: {council}/settings.yaml:2: corporate.stage1.from: 'reciept' is not one of "
                     "acknowledgement, receipt; did you mean 'receipt'?\n")


# --- property: no mutation of a configuration file gives a traceback ------------------------

_SETTINGS = yaml.safe_load((SHIPPED / "settings.yaml").read_text())
_COUNCIL = yaml.safe_load((templates_dir("council") / "council.yaml").read_text())
_TAXONOMY = {"services": [{"label": "Disability Team", "function": "disabled_children"}],
             "natures": [{"label": "Delay", "tags": ["delay"]}], "methods": {"email": "Email"},
             "relationships": {"parent": {"group": "Parent/Adopter", "label": "Parent"}},
             "actual_outcomes": ["Apology"], "replace": ["lgsco_outcomes"], "lgsco_outcomes": ["Upheld"]}
_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-5, 500), st.floats(allow_nan=True), st.text(max_size=12),
                    st.dates().map(str), st.sampled_from(["receipt", "acknowledgement", "2025-02-30", "next_working_day"]),
                    st.lists(st.integers(0, 30), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=2))


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path] if path else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*path, i))
    return out


@st.composite
def _mutated(draw: Any, base: Any) -> str:
    """A configuration file with a few changes: a value replaced, a key renamed or removed, or
    the text itself cut or garbled."""
    import copy

    data = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(data)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        key = path[-1]
        action = draw(st.sampled_from(["value", "rename", "delete"]))
        if action == "value":
            parent[key] = draw(_VALUES)
        elif action == "rename" and isinstance(parent, dict):
            parent[str(key)[:-1] + draw(st.sampled_from(["", "x", "_", "s"]))] = parent.pop(key)
        elif isinstance(parent, dict):
            del parent[key]
        elif parent:
            parent.pop(key)
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    if draw(st.booleans()):
        cut = draw(st.integers(0, len(text)))
        text = text[:cut] + draw(st.sampled_from(["", ":", "[", "- ", "\t", "{a: 1", "!!python/name:os.system", "&a *a"])) \
            + text[cut + draw(st.integers(0, 3)):]
    return text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["settings.yaml", "council.yaml", "taxonomy.yaml"]).flatmap(
    lambda name: st.tuples(st.just(name), _mutated({"settings.yaml": _SETTINGS, "council.yaml": _COUNCIL,
                                                   "taxonomy.yaml": _TAXONOMY}[name]))))
def test_mutated_configuration_never_gives_a_traceback(case: tuple[str, str]) -> None:
    """Any mutation of a council's settings, details or taxonomy either loads (and the clock can
    count with it) or fails with triage's own errors naming the file, never another exception."""
    name, text = case
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / name).write_text(text)
        try:
            rules = _Loader_(SHIPPED, folder).load()
        except TriageError as exc:
            assert exc.lines() and all(str(folder / name) in line for line in exc.lines()), exc.lines()
            return
        Clock(rules).for_decision(date(2025, 3, 14), "complaint", "complaint", "corporate", "accepted", 2)
        Clock(rules).for_decision(date(2025, 3, 14), "subject_access_request", "information_request", None,
                                  "redirected", None)
