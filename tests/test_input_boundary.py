"""The input boundary: whatever comes in (arbitrary JSON, mutated examples, raw bytes), the
library, `record`, the CLI and the HTTP API give a decision or an input error, never a crash,
and an input error leaves the log as it was."""

from __future__ import annotations

import copy
import json
import os
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, RULES
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

# How many inputs each property test tries; the slow run (pytest -m slow) tries 20,000.
EXAMPLES_PER_TEST = int(os.environ.get("TRIAGE_FUZZ_EXAMPLES", "100"))
SHIPPED = sorted(p for p in EXAMPLES.glob("*.json"))


class Raw:
    """A JSON token written as is (a number too long for Python's int-to-text limit)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"Raw({self.text[:30]}...)"


def dumps(value: Any) -> str:
    """JSON text, with Raw tokens written as they are (json.dumps refuses a 5,000-digit int)."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}:{dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    return json.dumps(value)


def nested(depth: int, leaf: Any = 1) -> Any:
    value = leaf
    for i in range(depth):
        value = [value] if i % 2 else {"a": value}
    return value


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=30),
    st.sampled_from(["2025-03-14", "2025-02-30", "9999-12-31", "0001-01-01", "complaint", "parent", "statutory",
                     "CAST", "\n\r\x00", "\ud800", "a" * 2000, "", " ", "d-1", "../../etc/passwd"]),
)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=12)
hostile = st.one_of(
    json_values,
    st.integers(min_value=4000, max_value=6000).map(lambda n: Raw("9" * n)),
    st.sampled_from([Raw("1e999"), Raw("-1e999"), Raw("NaN"), Raw("Infinity"), Raw("1" * 19)]),
    st.integers(min_value=15, max_value=60).map(nested),
    st.integers(min_value=60, max_value=5000).map(lambda n: Raw('{"a":[' * n + "1" + "]}" * n)),
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, prefix + (i,))
    return out


@st.composite
def mutated_examples(draw: Any) -> Any:
    """A shipped example with one to three fields replaced, removed, or added."""
    case = copy.deepcopy(json.loads(draw(st.sampled_from(SHIPPED)).read_text()))
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(case)
        path = draw(st.sampled_from(paths))
        if not path:
            continue
        parent = case
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "remove", "add"]))
        if action == "remove":
            del parent[path[-1]]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.text(max_size=10))] = draw(hostile)
        else:
            parent[path[-1]] = draw(hostile)
    return case


def _leaves(value: Any, prefix: tuple[Any, ...] = ()) -> dict[tuple[Any, ...], Any]:
    if isinstance(value, dict):
        return {k: v for key, sub in value.items() for k, v in _leaves(sub, prefix + (key,)).items()}
    return {prefix: value}


# Every value each field takes in some shipped example: swapping them makes inputs that are
# valid but combined as no example is, which reach the rules rather than the validator.
_SEEN: dict[tuple[Any, ...], list[Any]] = {}
for _path in SHIPPED:
    for _where, _value in _leaves(json.loads(_path.read_text())).items():
        if _value not in _SEEN.setdefault(_where, []):
            _SEEN[_where].append(_value)


@st.composite
def recombined_examples(draw: Any) -> Any:
    """A shipped example with one to six fields set to what they are in other examples."""
    case = copy.deepcopy(json.loads(draw(st.sampled_from(SHIPPED)).read_text()))
    for _ in range(draw(st.integers(1, 6))):
        where = draw(st.sampled_from(sorted(_SEEN, key=repr)))
        value = copy.deepcopy(draw(st.sampled_from(_SEEN[where])))
        node = case
        for part in where[:-1]:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[where[-1]] = value
    return case


inputs = st.one_of(mutated_examples(), recombined_examples(), hostile)


def _count(db: Path) -> tuple[int, ...]:
    conn = sqlite3.connect(db)
    try:
        return tuple(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("decisions", "events", "chain"))
    finally:
        conn.close()


@pytest.fixture(scope="module")
def logged() -> tuple[Path, str]:
    """A log holding one accepted statutory complaint, and its reference."""
    import triage

    db = Path(tempfile.mkdtemp(prefix="triage-boundary-")) / "log.db"
    decision = triage.assess(json.loads((EXAMPLES / "statutory-parent.json").read_text()), db=db, rules=RULES)
    return db, decision.reference


def _assess_once(db: Path, value: Any) -> None:
    import triage
    from triage.contract.errors import InputError

    before = _count(db)
    try:
        payload = dumps(value).encode("utf-8", "surrogatepass") if _has_raw(value) else value
        triage.assess(payload, db=db, rules=RULES)
    except InputError as exc:
        assert exc.problems and all(p.message for p in exc.problems)
        assert _count(db) == before
        event("an input error")
    else:
        event("a decision")


def _has_raw(value: Any) -> bool:
    if isinstance(value, Raw):
        return True
    if isinstance(value, dict):
        return any(_has_raw(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_raw(v) for v in value)
    return False


@settings(max_examples=EXAMPLES_PER_TEST, deadline=None, suppress_health_check=list(HealthCheck))
@given(value=inputs)
def test_assess_gives_a_decision_or_an_input_error(logged: tuple[Path, str], value: Any) -> None:
    """triage.assess on arbitrary or mutated input decides, or raises InputError and logs nothing."""
    _assess_once(logged[0], value)


@settings(max_examples=EXAMPLES_PER_TEST, deadline=None, suppress_health_check=list(HealthCheck))
@given(value=inputs)
def test_assess_of_the_same_input_as_bytes_behaves_the_same(logged: tuple[Path, str], value: Any) -> None:
    """The same input sent as JSON text (as the CLI and HTTP read it) decides or is an InputError."""
    import triage
    from triage.contract.errors import InputError

    db = logged[0]
    before = _count(db)
    try:
        triage.assess(dumps(value).encode("utf-8", "surrogatepass"), db=db, rules=RULES)
    except InputError:
        assert _count(db) == before


@st.composite
def events(draw: Any, reference: str) -> Any:
    base: dict[str, Any] = draw(st.sampled_from([
        {"event": "acknowledged", "date": "2025-03-17"},
        {"event": "extended", "date": "2025-03-20", "reason": "complex"},
        {"event": "responded", "date": "2025-03-25", "stage": 1, "finding": "upheld",
         "actual_outcomes": ["Apology & Explanation"]},
        {"event": "escalation_requested", "date": "2025-03-28", "to_stage": 2},
        {"event": "lgsco_decision", "date": "2025-03-28", "outcome": "Upheld", "remedy_amount": 100},
        {"event": "officer_decision", "date": "2025-03-20", "question": "complex_extension", "answer": True,
         "reason": "r", "by": "m"},
    ]))
    event = {"reference": reference, **base}
    for _ in range(draw(st.integers(0, 2))):
        key = draw(st.sampled_from(sorted(event) + ["extra"]))
        if draw(st.booleans()):
            event.pop(key, None)
        else:
            event[key] = draw(hostile)
    return event


@settings(max_examples=EXAMPLES_PER_TEST, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_record_gives_a_result_or_an_input_error(logged: tuple[Path, str], data: Any) -> None:
    """record on mutated events records, or raises a TriageError (exit 2) and writes nothing."""
    from triage.cases.workflow import record
    from triage.contract.errors import TriageError
    from triage.contract.validation import decode

    db, reference = logged
    value = data.draw(st.one_of(events(reference), hostile))
    before = _count(db)
    try:
        record(decode(dumps(value).encode("utf-8", "surrogatepass")), db=db, rules=RULES)
    except TriageError as exc:
        assert exc.exit_code == 2, str(exc)
        assert _count(db) == before


@pytest.fixture(scope="module")
def http(logged: tuple[Path, str]) -> Any:
    from starlette.testclient import TestClient
    from test_server_support import add_key
    from triage.server import create_app

    db = logged[0]
    key = add_key(db, "fuzz")
    with TestClient(create_app(db, RULES, secret_key="test-secret"), base_url="http://127.0.0.1") as c:
        c.headers["Authorization"] = f"Bearer {key}"
        yield c


@settings(max_examples=EXAMPLES_PER_TEST, deadline=None, suppress_health_check=list(HealthCheck))
@given(value=inputs, endpoint=st.sampled_from(["/v1/assess", "/v1/events", "/v1/assess?letters=true"]))
def test_http_posts_give_a_decision_or_a_4xx(logged: tuple[Path, str], http: Any, value: Any, endpoint: str) -> None:
    """POST of arbitrary or mutated bodies answers 200 or a 4xx with named problems, never 500."""
    db = logged[0]
    before = _count(db)
    r = http.post(endpoint, content=dumps(value).encode("utf-8", "surrogatepass"),
                  headers={"Content-Type": "application/json"})
    assert r.status_code in (200, 201) or 400 <= r.status_code < 500, r.text
    if r.status_code >= 400:
        assert r.json()["errors"]
        assert _count(db) == before


@settings(max_examples=EXAMPLES_PER_TEST, deadline=None, suppress_health_check=list(HealthCheck))
@given(path=st.sampled_from(["/v1/cases/{}", "/v1/report/{}", "/v1/due?{}", "/v1/report/2024-25?years={}",
                             "/v1/due?today={}", "/v1/report/2024-25?suppress_below={}"]),
       text=st.one_of(st.text(max_size=40), st.sampled_from(["9999-00", "0000-01", "1" * 5000, "-1", "d-" + "9" * 30,
                                                             "9999-12-31", "0001-01-01", "..%2F..%2Fx"])))
def test_http_gets_never_fail_on_their_parameters(http: Any, path: str, text: str) -> None:
    """GET endpoints with arbitrary path and query values answer 200 or a 4xx, never 500."""
    from urllib.parse import quote

    r = http.get(path.format(quote(text, safe="")))
    assert r.status_code == 200 or 400 <= r.status_code < 500, r.text


@settings(max_examples=max(20, EXAMPLES_PER_TEST // 4), deadline=None, suppress_health_check=list(HealthCheck))
@given(value=inputs)
def test_the_cli_gives_a_decision_or_exit_2(run: Any, db: Path, tmp_path: Path, value: Any) -> None:
    """`triage assess FILE` on arbitrary or mutated input exits 0, or 2 with one error line per problem
    and nothing logged; never a traceback."""
    from conftest import log_rows

    path = tmp_path / "case.json"
    path.write_bytes(dumps(value).encode("utf-8", "surrogatepass"))
    before = log_rows(db)
    r = run("assess", str(path), "--json")
    assert r.code in (0, 2), r.err
    assert "Traceback" not in r.err
    if r.code == 2:
        assert r.err.startswith("error: ") and log_rows(db) == before


@pytest.mark.parametrize("text,message", [
    ("9" * 5000, "input: a number of 5,000 digits is too large: whole numbers may have at most 18 digits"),
    ("[" * 5000 + "]" * 5000, "input is nested too deep: objects and lists may nest at most 16 levels"),
    (json.dumps(nested(20)), "[0].a[0].a[0].a[0].a[0].a[0].a[0].a[0].a: nested too deep: objects and lists may nest at most 16 levels"),
    ("NaN", "input: NaN is not a JSON number; write a finite number or null"),
    ("1e999", "input: the number 1e999 is too large"),
    ('"\\ud800"', "text contains an unpaired surrogate (\\ud800-\\udfff); send it as UTF-8 text"),
])
def test_decode_limits_have_their_own_message(text: str, message: str) -> None:
    """Numbers too large, nesting too deep, NaN and lone surrogates are input errors with their own words."""
    from triage.contract.errors import InputError
    from triage.contract.validation import decode

    with pytest.raises(InputError) as err:
        decode(text.encode())
    assert str(err.value.problems[0]) == message


def test_a_dict_with_a_huge_integer_is_an_input_error(tmp_path: Path) -> None:
    """A Python dict holding a 5,000-digit integer (the library's own door) names the field."""
    import triage
    from triage.contract.errors import InputError

    case = json.loads((EXAMPLES / "statutory-parent.json").read_text())
    case["previous"] = {"reference": "X1", "same_issues": True, "stages_completed": 10**5000, "new_information": False}
    with pytest.raises(InputError) as err:
        triage.assess(case, db=tmp_path / "log.db", rules=RULES)
    assert [str(p) for p in err.value.problems] == [
        "previous.stages_completed: the number is too large: whole numbers may have at most 18 digits"]


@pytest.mark.parametrize("command", ["assess", "record"])
def test_a_bad_line_does_not_stop_a_batch(run: Any, tmp_path: Path, command: str) -> None:
    """In a batch, a line too deep or with a huge number is that line's error, and the next line still runs."""
    good = (EXAMPLES / "statutory-parent.json").read_text().replace("\n", " ")
    if command == "record":
        assert run("assess", str(EXAMPLES / "statutory-parent.json")).code == 0
        ref = json.loads(good)["reference"]
        good = json.dumps({"reference": ref, "event": "acknowledged", "date": "2025-03-17"})
    batch = tmp_path / "batch.jsonl"
    batch.write_text("\n".join(["[" * 3000, '{"n": ' + "9" * 5000 + "}", good]) + "\n")
    r = run(command, "--batch", str(batch))
    results = [json.loads(line) for line in r.out.splitlines()]
    assert r.code == 1
    assert [x["line"] for x in results] == [1, 2, 3]
    assert [x["ok"] for x in results] == [False, False, True]
    assert results[0]["errors"][0]["message"] == ("line 1 is nested too deep: objects and lists may nest at most "
                                                  "16 levels")


@pytest.mark.slow
@settings(max_examples=20_000, deadline=None, suppress_health_check=list(HealthCheck))
@given(value=inputs)
def test_twenty_thousand_mutated_inputs(logged: tuple[Path, str], value: Any) -> None:
    """20,000 mutated and arbitrary inputs through triage.assess: a decision or an InputError each."""
    _assess_once(logged[0], value)
