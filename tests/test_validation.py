"""Bad input gets exit status 2, one line per problem naming the field and the fix, and
nothing is written to the log."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from conftest import log_rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


def _assess(run: Any, payload: bytes) -> Any:
    return run("assess", "-", stdin=payload)


def _bad(run: Any, db: Path, case: Any) -> list[str]:
    payload = case if isinstance(case, bytes) else json.dumps(case).encode()
    r = _assess(run, payload)
    assert r.code == 2, (r.out, r.err)
    assert r.out == ""
    assert log_rows(db) == 0
    return r.err.splitlines()


def test_invalid_json(run: Any, db: Path) -> None:
    """Malformed JSON names the line and column."""
    assert _bad(run, db, b'{"received_date": "2025-03-14",}') == [
        "error: standard input is not valid JSON: Expecting property name enclosed in double quotes at line 1, column 32"]


def test_not_utf8(run: Any, db: Path) -> None:
    """Non-UTF-8 bytes are reported with their offset and the fix."""
    lines = _bad(run, db, b'{"about": "caf\xe9"}')
    assert lines == ["error: standard input is not UTF-8 text (byte 0xe9 at offset 14); save it as UTF-8 and try again"]


def test_oversized(run: Any, db: Path) -> None:
    """An input over 1 MB is refused before parsing."""
    lines = _bad(run, db, b'{"x": "' + b"a" * 1_100_000 + b'"}')
    assert lines == ["error: standard input is too large: one representation may be at most 1,000,000 bytes "
                     "(attach documents elsewhere, not in the JSON)"]


def test_empty_input(run: Any, db: Path) -> None:
    """Empty input says what was expected."""
    assert _bad(run, db, b"  \n") == ["error: standard input is empty; expected a JSON object (see `triage schema`)"]


def test_not_an_object(run: Any, db: Path) -> None:
    """A JSON array is not a representation."""
    assert _bad(run, db, b"[]") == ["error: expected a JSON object {...} for a representation, got list"]


def test_unknown_field_suggests_nearest(run: Any, db: Path, case: dict[str, Any]) -> None:
    """A typo in a key is an error with the nearest valid key (at any depth)."""
    case["recieved_via"] = case.pop("received_via")
    case["child"]["lookd_after"] = True
    assert _bad(run, db, case) == [
        "error: received_via: required field is missing",
        "error: child.lookd_after: unknown field; did you mean 'looked_after'?",
        "error: recieved_via: unknown field; did you mean 'received_via'?",
    ]


def test_wrong_types(run: Any, db: Path, case: dict[str, Any]) -> None:
    """Strings are not booleans and numbers are not text."""
    case["child"]["in_need"] = "yes"
    case["about"]["summary"] = 42
    case["previous"] = {"reference": "CS-1", "stages_completed": "1"}
    assert _bad(run, db, case) == [
        'error: child.in_need: expected true or false, got "yes"',
        "error: about.summary: expected text, got 42",
        'error: previous.stages_completed: expected a whole number, got "1"',
    ]


def test_impossible_date(run: Any, db: Path, case: dict[str, Any]) -> None:
    """30 February is not a date."""
    case["received_date"] = "2025-02-30"
    assert _bad(run, db, case) == [
        "error: received_date: '2025-02-30' is not a real date; write it as YYYY-MM-DD, e.g. 2025-03-14"]


def test_unknown_enum_value_suggests(run: Any, db: Path, case: dict[str, Any]) -> None:
    """An unknown value names the nearest valid values."""
    case["complainant"]["relationship"] = "grand_parent"
    case["about"]["function"] = "child_in_ned"
    assert _bad(run, db, case) == [
        "error: complainant.relationship: 'grand_parent' is not a valid value; did you mean 'grandparent'?",
        "error: about.function: 'child_in_ned' is not a valid value; did you mean 'child_in_need'?",
    ]


def test_unknown_taxonomy_labels_suggest(run: Any, db: Path, case: dict[str, Any]) -> None:
    """Unknown service and nature labels are errors with the nearest labels from rules/taxonomy.yaml."""
    case["about"]["service"] = "Childrens in Care"
    case["about"]["natures"] = ["Poor Communication", "Conduct of Workr"]
    assert _bad(run, db, case) == [
        "error: about.service: unknown service 'Childrens in Care'; did you mean 'Children In Care'? "
        "(labels are in rules/taxonomy.yaml)",
        "error: about.natures[1]: unknown nature 'Conduct of Workr'; did you mean 'Conduct of Worker'? "
        "(labels are in rules/taxonomy.yaml)",
    ]


def test_labels_match_ignoring_case_spacing_punctuation(run: Any, case: dict[str, Any]) -> None:
    """'MASH / CRT' is the entry 'MASH/CRT' and 'poor communication' is 'Poor Communication'."""
    case["about"]["service"] = "MASH / CRT"
    case["about"]["natures"] = ["poor communication"]
    r = _assess(run, json.dumps(case).encode())
    assert r.code == 0, r.err


def test_dates_after_receipt(run: Any, db: Path, case: dict[str, Any]) -> None:
    """Grounds and awareness may not lie after the received date."""
    case["about"]["grounds_arose"] = "2025-04-01"
    case["about"]["became_aware"] = "2025-03-15"
    assert _bad(run, db, case) == [
        "error: about.grounds_arose: 2025-04-01 is after received_date 2025-03-14; it may not lie after it",
        "error: about.became_aware: 2025-03-15 is after received_date 2025-03-14; it may not lie after it",
    ]


def test_received_in_future(run: Any, db: Path, case: dict[str, Any]) -> None:
    """A representation cannot have been received tomorrow."""
    tomorrow = date.today() + timedelta(days=1)
    case["received_date"] = tomorrow.isoformat()
    assert _bad(run, db, case) == [f"error: received_date: {tomorrow} is in the future (today is {date.today()})"]


def test_bad_reference(run: Any, db: Path, case: dict[str, Any]) -> None:
    """References name files and URLs, so slashes and spaces are refused."""
    case["reference"] = "../etc/passwd"
    assert _bad(run, db, case) == [
        "error: reference: '../etc/passwd' is not a valid reference: 1-64 letters, digits, '.', '_' or '-', "
        "starting with a letter or digit"]


def test_unknown_officer_question_and_missing_reason(run: Any, db: Path, case: dict[str, Any]) -> None:
    """Officer decisions need a known question id, a reason and a name."""
    case["officer_decisions"] = {
        "sufficent_interest": {"answer": True, "reason": "x", "by": "y"},
        "accept_out_of_time": {"answer": True, "by": "y"},
    }
    assert _bad(run, db, case) == [
        "error: officer_decisions.sufficent_interest.[key]: 'sufficent_interest' is not a valid value; "
        "did you mean 'sufficient_interest'?",
        "error: officer_decisions.accept_out_of_time.reason: required field is missing",
    ]


def test_escalation_stage_must_be_2_or_3(run: Any, db: Path, case: dict[str, Any]) -> None:
    """A request can only be to stage 2 or 3."""
    case["escalation"] = {"original_reference": "CS-1", "to_stage": 4}
    lines = _bad(run, db, case)
    assert lines[0].startswith("error: escalation.to_stage: 4 is not a valid value")


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=10), kids, max_size=3),
    max_leaves=10,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(["received_date", "received_via", "kind", "complainant", "complainant.relationship",
                             "complainant.contact", "child", "child.in_need", "about", "about.natures",
                             "about.function", "proceedings", "previous", "escalation", "officer_decisions",
                             "risk", "reference"]),
       value=_JSON)
def test_any_mutation_is_accepted_or_a_clear_input_error(path: str, value: Any, rules: Any) -> None:
    """Whatever is put in any field, validation either accepts it or raises InputError with field paths."""
    from triage.contract.errors import InputError
    from triage.contract.validation import parse_representation

    case = json.loads((Path(__file__).parents[1] / "examples" / "statutory-parent.json").read_text())
    node = case
    *parents, last = path.split(".")
    for p in parents:
        node = node[p]
    node[last] = value
    try:
        parse_representation(case, rules, today=date(2026, 1, 1))
    except InputError as exc:
        assert exc.problems and all(isinstance(p.message, str) and p.message for p in exc.problems)


def test_field_at_wrong_level_points_to_its_place(run: Any, db: Path, case: dict[str, Any]) -> None:
    """A field given one level too high names where it belongs."""
    case["complainant"]["phone"] = "01632 960000"
    assert _bad(run, db, case) == ["error: complainant.phone: unknown field; did you mean 'contact.phone'?"]


def _nulled(value: Any) -> Any:
    """Every optional field of ``value`` set to null, recursively (an eForm's empty boxes)."""
    from triage.contract.models import Representation

    def walk(obj: Any, model: Any) -> Any:
        out = {}
        for name, field in model.model_fields.items():
            if name in obj and isinstance(obj[name], dict) and hasattr(_inner(field.annotation), "model_fields"):
                out[name] = walk(obj[name], _inner(field.annotation))
            elif name in obj:
                out[name] = obj[name]
            elif not field.is_required():
                out[name] = None
        return out

    def _inner(annotation: Any) -> Any:
        return next((a for a in getattr(annotation, "__args__", (annotation,)) if hasattr(a, "model_fields")), annotation)

    return walk(value, Representation)


def test_null_means_omitted(run: Any, db: Path, case: dict[str, Any]) -> None:
    """Every optional field sent as null decides exactly as if it were left out (DOMAIN 3a.11),
    and the null reference is assigned, not kept."""
    import triage

    nulled = _nulled({k: v for k, v in case.items() if k != "reference"})
    assert nulled["reference"] is None and nulled["about"]["became_aware"] is None
    assert nulled["complainant"]["contact"]["phone"] is None and nulled["escalation"] is None
    plain = triage.decide({k: v for k, v in case.items() if k != "reference"})
    with_nulls = triage.decide(nulled)
    same = ("representation_type", "procedure", "disposition", "reason", "stage", "deadlines", "flags", "rules_fired")
    assert {k: getattr(with_nulls, k) for k in same} == {k: getattr(plain, k) for k in same}
    assert with_nulls.reference == plain.reference
    r = _assess(run, json.dumps(nulled).encode())
    assert r.code == 0, r.err


def test_null_in_a_required_field_names_it(run: Any, db: Path, case: dict[str, Any]) -> None:
    """A required field sent as null is an error naming the field and saying it was null."""
    case = {**case, "received_date": None, "complainant": {**case["complainant"], "relationship": None}}
    assert _bad(run, db, case) == ["error: received_date: required field is null; give it a value",
                                   "error: complainant.relationship: required field is null; give it a value"]


class _Text(str):
    """A str subclass: not plain JSON to the fast check, whatever it holds."""


_leaves = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70), st.floats(),
    st.text(max_size=8), st.sampled_from(["\ud800", "caf\u00e9", "\udfff x", "a\u2028b"]),
    st.builds(_Text, st.text(max_size=3)), st.builds(tuple, st.lists(st.integers(0, 3), max_size=2)),
    st.builds(frozenset, st.lists(st.integers(0, 3), max_size=2)), st.just(b"x"), st.just(date(2025, 1, 1)),
)
_values = st.recursive(_leaves, lambda inner: st.lists(inner, max_size=3)
                       | st.dictionaries(st.one_of(st.text(max_size=4), st.integers(0, 3)), inner, max_size=3),
                       max_leaves=16)


def _leaves_of(value: Any) -> list[Any]:
    if isinstance(value, dict):
        value = list(value.values())
    return [x for item in value for x in _leaves_of(item)] if isinstance(value, list) else [value]


def _deep(depth: int, leaf: Any) -> Any:
    value = leaf
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_values, st.builds(_deep, st.integers(12, 20), _values)))
def test_quick_json_check_passes_only_what_the_full_walk_passes(value: Any) -> None:
    """check_json's fast path (no problem paths built) lets through only values its full walk
    finds nothing wrong in (surrogates, 64-bit overflow, NaN and infinity, non-text keys, nesting
    depth, types that are not JSON), and lets through every such value as decode gives it;
    check_json's verdict and problems are the full walk's."""
    from triage.contract.errors import InputError
    from triage.contract.validation import _holds_null, _plain, check_json, json_problems

    problems = json_problems(value)
    if isinstance(value, (dict, list)) and _plain(value, 0):
        assert not problems
    try:
        check_json(value)
    except InputError as exc:
        assert problems and [p.message for p in exc.problems] == [p.message for p in problems]
    else:
        assert not problems
        text = json.dumps(value)
        assert _holds_null(value) == (None in _leaves_of(value))
        parsed = json.loads(text)  # the same value as decode gives it: plain types only
        assert not isinstance(parsed, (dict, list)) or _plain(parsed, 0)
