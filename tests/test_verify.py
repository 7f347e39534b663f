"""`triage rules verify`: the legal invariants hold on the shipped rules, and a planted fault is
found, shrunk and reported; the verifier's own pieces (evaluator, explorer) are checked too."""

from __future__ import annotations

import functools
import json
import os
import random
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Callable

import pytest
from conftest import RULES, copy_rules
from conftest import edit as _edit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


@pytest.fixture(scope="module")
def verifier() -> Any:
    from triage.rules.ruleset import load_rules
    from triage.rules.verify import Verifier

    return Verifier(load_rules(RULES))


_copy = copy_rules


def _verifier_for(directory: Path) -> Any:
    from triage.rules.ruleset import load_rules
    from triage.rules.verify import Verifier

    return Verifier(load_rules(directory))


def test_shipped_rules_break_no_invariant(verifier: Any) -> None:
    """Every pair of values plus seeded random cases: no violation, gap, unexplained overlap or
    invalid generated case on the shipped rules."""
    report = verifier.run(6000, seed=1)
    assert report.cases == 6000 and report.pairwise > 3000
    assert [(f.kind, f.key, f.example) for f in report.findings.values()] == []


def test_the_issue_reproducers_break_no_invariant(verifier: Any) -> None:
    """The cases a differential run found (a parent refused for consent, an in-time escalation
    refused as late) now satisfy every invariant."""
    from triage.contract.validation import parse_representation

    cases = [
        {"received_date": "2025-03-14", "received_via": "email",
         "complainant": {"relationship": "parent", "contact": {"email": "a@example.org"},
                         "has_parental_responsibility": True, "on_behalf_of_child": True},
         "child": {"sufficient_understanding": True, "consents_to_representative": False},
         "about": {"function": "sen", "summary": "EHCP annual review not held."}},
        {"received_date": "2025-03-14", "received_via": "email",
         "complainant": {"relationship": "parent", "contact": {"email": "a@example.org"}},
         "about": {"function": "child_protection_conference", "summary": "The first answer was wrong."},
         "escalation": {"original_reference": "CS-2025-00001", "to_stage": 2, "previous_response_date": "2025-03-07"}},
    ]
    for raw in cases:
        rep = parse_representation(raw, verifier.rules)
        decision = verifier.decider.decide(rep, "X")
        assert decision.disposition == "accepted" and decision.reason is None
        broken = _broken(verifier, raw)
        assert broken == []


def _broken(verifier: Any, raw: dict[str, Any]) -> list[str]:
    from triage.contract.validation import parse_representation
    from triage.rules.evaluate import payload
    from triage.rules.oracle import outcome, read

    rep = parse_representation(raw, verifier.rules)
    ev = verifier.decider.evaluate(rep)
    decision = verifier.decider.shape(rep, "X", ev)
    fact = payload({**ev.facts, **read(rep, verifier.rules, verifier.calendar), **outcome(decision)})
    return [inv.id for inv in verifier.invariants if inv.violated_by(fact)]


def test_a_planted_unlawful_refusal_is_found_and_shrunk(tmp_path: Path) -> None:
    """A consent refusal that ignores standing is found; its example is 1-minimal (every
    dimension left away from its plainest value is needed) and still breaks the invariant."""
    rules = _copy(tmp_path)
    _edit(rules / "50-disposition.yaml", "when: {derived.is_escalation: false, decision.standing: no_consent}",
          "when: {derived.is_escalation: false, complainant.on_behalf_of_child: true, "
          "child.consents_to_representative: false}")
    verifier = _verifier_for(rules)
    report = verifier.run(3000, seed=2)
    finding = report.findings[("violation", ("consent.standing_first",))]
    assert finding.count > 0
    assert "refuse.no_consent" in finding.fired
    assert "consent.standing_first" in _broken(verifier, finding.example)
    small = verifier.shrink(finding.first, lambda c: any(i.id == "consent.standing_first" for i in verifier.check(c).broken))
    for i, index in enumerate(small):
        if index:
            plainer = list(small)
            plainer[i] = 0
            assert not any(inv.id == "consent.standing_first" for inv in verifier.check(tuple(plainer)).broken), \
                verifier.dims[i].name
    assert finding.example == verifier.representation(small)


def test_a_removed_rule_is_reported_as_a_gap(tmp_path: Path) -> None:
    """Without the rule for unidentified functions, complaints with no function reach the scope
    phase's fallback: a gap, with an example."""
    rules = _copy(tmp_path)
    text = (rules / "20-scope.yaml").read_text()
    (rules / "20-scope.yaml").write_text(text[:text.index("  - id: scope.function_unidentified")])
    report = _verifier_for(rules).run(1500, seed=3)
    gap = report.findings[("gap", ("scope",))]
    assert gap.count > 0 and gap.example is not None
    assert ("violation", ("procedure.complaint_has_one",)) in report.findings


def test_an_unexplained_overlap_is_reported(tmp_path: Path) -> None:
    """Two rules that both hold and disagree are reported unless the loser says it yields."""
    rules = _copy(tmp_path)
    _edit(rules / "10-representation.yaml", "    yields_to: [type.safeguarding_referral]\n", "")
    report = _verifier_for(rules).run(1500, seed=4)
    overlap = report.findings[("overlap", ("type.safeguarding_referral", "type.case_concern", "representation_type"))]
    assert overlap.example is not None
    assert overlap.example["risk"] == {"significant_harm": True, "same_day_action": True}


def test_cli_verify_prints_a_summary_and_exits_0(run: Any, verifier: Any) -> None:
    """`triage rules verify --cases N` explores and prints one summary line; exit 0 when clean."""
    r = run("rules", "verify", "--cases", "6000", "--seed", "5")
    assert r.code == 0, r.out + r.err
    lines = r.out.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("6000 cases explored (")
    assert lines[0].endswith(f"{len(verifier.invariants)} invariants; 0 violated, 0 gaps, 0 unexplained overlaps, "
                             "0 undecided, 0 invalid cases")


def test_cli_verify_reports_a_violation_ready_to_paste(run: Any, tmp_path: Path) -> None:
    """A violation prints the invariant, its authority, the rules fired and the smallest case as
    one line of JSON; exit 1. --json gives the same findings as data."""
    rules = _copy(tmp_path)
    _edit(rules / "30-who.yaml", "derived.functions: {contains_any: $care_leaver_functions}}", "derived.function: {exists: true}}")
    r = run("--rules", str(rules), "rules", "verify", "--cases", "3000", "--seed", "6")
    assert r.code == 1
    assert "VIOLATION standing.care_leaver_limited" in r.out
    assert "  authority: Children Act 1989 s.24D, s.26(3)(a); DOMAIN 3a.7" in r.out
    example = next(line for line in r.out.splitlines() if line.startswith("  smallest case: "))
    case = json.loads(example.removeprefix("  smallest case: "))
    assert case["complainant"]["relationship"] == "care_leaver"
    j = run("--rules", str(rules), "rules", "verify", "--cases", "3000", "--seed", "6", "--json")
    data = json.loads(j.out)
    assert j.code == 1 and any(f["key"] == ["standing.care_leaver_limited"] for f in data["findings"])


def test_invariants_file_is_checked_like_the_rules(tmp_path: Path) -> None:
    """An invariant naming an unknown fact fails at load with the file, the invariant and a suggestion."""
    from triage.contract.errors import RuleErrors
    from triage.rules.invariants import load_invariants
    from triage.rules.ruleset import load_rules

    rules = _copy(tmp_path)
    _edit(rules / "invariants.yaml", "given: {case.own_standing: true}", "given: {case.own_standin: true}")
    with pytest.raises(RuleErrors) as exc:
        load_invariants(load_rules(rules))
    assert exc.value.lines() == [f"{rules / 'invariants.yaml'}, rule consent.standing_first: given: unknown fact "
                                 "'case.own_standin'; did you mean 'case.own_standing'?"]


def test_pairwise_covers_every_pair(verifier: Any) -> None:
    """Every value of every dimension meets every value of every other in the systematic cases."""
    from itertools import combinations

    from triage.rules import explore

    dims = verifier.dims[:12]
    cases = explore.pairwise(dims, random.Random(0))
    seen = {(i, c[i], j, c[j]) for c in cases for i, j in combinations(range(len(dims)), 2)}
    sizes = [len(d.values) for d in dims]
    assert len(seen) == sum(sizes[i] * sizes[j] for i, j in combinations(range(len(dims)), 2))


def test_every_fact_the_rules_read_has_a_dimension(verifier: Any, tmp_path: Path) -> None:
    """The explorer's dimensions come from the compiled conditions; a fact it cannot drive is an error."""
    from triage.rules import explore
    from triage.rules.ruleset import load_rules

    names = {d.name for d in verifier.dims}
    assert {"complainant.relationship", "about.function", "about.natures", "escalation", "officer.mixed_scope"} <= names
    assert "child.disabled" not in names  # no rule reads it
    rules = _copy(tmp_path)
    _edit(rules / "70-advocacy-flags.yaml", "when: {complainant.age_unclear: true}",
          "when: {complainant.age_unclear: true, child.disabled: true}")
    assert "child.disabled" in {d.name for d in explore.dimensions(load_rules(rules))}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_python_evaluator_agrees_with_durable_rules(verifier: Any, data: Any) -> None:
    """For random cases, the rules the verifier's evaluator finds holding are exactly the rules
    durable-rules fires, phase by phase (so gaps and overlaps describe the real engine)."""
    from triage.contract.validation import parse_representation
    from triage.rules.evaluate import compile_test, holds, payload
    from triage.rules.invariants import PATHS
    from triage.rules.verify import facts_before

    case = tuple(data.draw(st.integers(0, len(d.values) - 1)) for d in verifier.dims)
    rep = parse_representation(verifier.representation(case), verifier.rules)
    ev = verifier.decider.evaluate(rep)
    for index, phase in enumerate(verifier.rules.phases):
        fact = payload(facts_before(ev, index))
        expected = [r.id for r in ev.fired[index]]
        assert [r.id for r in phase.rules if holds(r.condition, fact)] == expected, phase.name
        # and the same conditions compiled to closures (what the verifier runs for a phase's when)
        facts = facts_before(ev, index)
        assert [r.id for r in phase.rules if compile_test(r.condition, PATHS)(facts)] == expected, phase.name


def test_the_standing_block_finds_a_union_fault(tmp_path: Path) -> None:
    """The adoption circle judged on the primary function alone (not the union of functions) refuses
    a birth parent for consent when adoption support is the second function: the standing block,
    every relationship x function x other function with a refused consent, finds it."""
    from triage.rules import explore

    rules = _copy(tmp_path)
    _edit(rules / "30-who.yaml", "derived.functions: {contains_any: $reg4_functions}}", "derived.function: $reg4_functions}")
    verifier = _verifier_for(rules)
    relationship = next(i for i, d in enumerate(verifier.dims) if d.name == "complainant.relationship")
    birth_parent = verifier.dims[relationship].values.index("birth_parent_of_adopted_child")
    block = [c for c in explore.standing_block(verifier.dims) if c[relationship] == birth_parent]
    sizes = {d.name: len(d.values) for d in verifier.dims}
    assert len(block) == 2 * sizes["about.function"] * sizes["about.other_functions"]
    broken = {inv.id for case in block for inv in verifier.check(case).broken}
    assert "consent.standing_first" in broken


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_compiled_invariants_agree_with_the_interpreter(verifier: Any, data: Any) -> None:
    """For random explored cases, each invariant's conditions compiled to closures (what the
    verifier runs) answer as the interpreter does on the payload, given and expect apart."""
    from triage.contract.validation import parse_representation
    from triage.rules.evaluate import compile_test, holds, payload
    from triage.rules.invariants import PATHS

    case = tuple(data.draw(st.integers(0, len(d.values) - 1)) for d in verifier.dims)
    rep = parse_representation(verifier.representation(case), verifier.rules)
    ev = verifier.decider.evaluate(rep)
    facts = verifier.facts(rep, ev, verifier.decider.shape(rep, "X", ev))
    fact = payload(facts)
    for inv in verifier.invariants:
        for condition in (inv.given_c, inv.expect_c):
            assert compile_test(condition, PATHS)(facts) == holds(condition, fact), (inv.id, condition)
        assert inv.violated_in(facts) == inv.violated_by(fact), inv.id


def test_compiled_tests_agree_with_the_interpreter_on_edge_values() -> None:
    """Absent facts, nulls, tuples where a list is expected, values of another type, empty
    lists and the sentinel item: the closures follow the interpreter (durable's semantics)."""
    from itertools import product

    from triage.rules.evaluate import compile_test, holds, payload

    paths = {"a": "a", "n": "n", "l": "l"}
    conditions = [
        {"a": 1}, {"a": None}, {"$neq": {"a": 1}}, {"$lt": {"a": 2}}, {"$gte": {"a": "2024-01-01"}},
        {"$or": [{"a": 1}, {"a": "x"}]}, {"$and": [{"$neq": {"a": 1}}, {"$neq": {"a": 2}}]},
        {"$ex": {"a": 1}}, {"$nex": {"a": 1, "n": 1}}, {"a": True, "n": 3},
        {"$iany": {"l": {"$i": "x"}}}, {"$iany": {"l": {"$or": [{"$i": "x"}, {"$i": "y"}]}}},
        {"$iall": {"l": {"$or": [{"$i": ""}, {"$i": "x"}]}}}, {"$iall": {"l": {"$neq": {"$i": "x"}}}},
        {"$iany": {"l": {"$and": [{"$neq": {"$i": ""}}, {"$neq": {"$i": "x"}}]}}},
        {"$iany": {"l": {"$lt": {"$i": "m"}}}}, {"$iany": {"l": {"a": 1}}}, {"$lt": {"$i": 3}}, {"$i": 3},
    ]
    values = [None, 0, 1, 2, True, False, "x", "y", "2024-06-01", [], ["x"], ["y", "x"], ("x",), [1, "x"]]
    absent = object()
    for cond, a, n, l in product(conditions, [absent, *values], [absent, None, 3], [absent, *values]):
        facts = {k: v for k, v in (("a", a), ("n", n), ("l", l)) if v is not absent}
        assert compile_test(cond, paths)(facts) == holds(cond, payload(facts)), (cond, facts)


def _comparable(report: Any) -> dict[str, Any]:
    from triage.rules.verify import report_json

    data = report_json(report)
    data.pop("seconds")
    return data


_FRESH = "TRIAGE_TEST_FRESH_PROCESS"


def _single_threaded(test: Callable[..., None]) -> Callable[..., None]:
    """Worker processes are forked, which the verifier does only from a process with one thread
    (else it checks in process). Earlier tests in a full run leave threads behind (servers,
    writers), so a test of the workers runs itself again in a fresh interpreter then."""
    @functools.wraps(test)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        if os.environ.get(_FRESH) or threading.active_count() == 1:
            assert threading.active_count() == 1, "a worker test needs a process with one thread"
            test(*args, **kwargs)
            return
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                               f"{__file__}::{test.__name__}"], env={**os.environ, _FRESH: "1"},
                              capture_output=True, text=True, timeout=900, cwd=Path(__file__).parent.parent)
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    return wrapper



@_single_threaded
def test_worker_processes_give_the_report_of_one_process(tmp_path: Path) -> None:
    """The same cases checked in two and in three worker processes give the report of one
    process: the same findings in the same order, counts, first examples, shrunk cases."""
    rules = _copy(tmp_path)
    _edit(rules / "30-who.yaml", "derived.functions: {contains_any: $care_leaver_functions}}",
          "derived.function: {exists: true}}")
    _edit(rules / "10-representation.yaml", "    yields_to: [type.safeguarding_referral]\n", "")
    verifier = _verifier_for(rules)
    one = verifier.run(3500, seed=6, jobs=1)
    assert one.jobs == 1 and len(one.findings) >= 2
    seen: list[int] = []
    two = verifier.run(3500, seed=6, jobs=2, progress=seen.append)
    assert two.jobs == 2, "the workers were not used"
    assert len(seen) == 4 and seen == sorted(seen) and seen[-1] == 3500  # a count after each chunk of cases
    assert _comparable(two) == _comparable(one)
    assert list(two.findings) == list(one.findings)
    assert [f.first for f in two.findings.values()] == [f.first for f in one.findings.values()]
    assert _comparable(verifier.run(3500, seed=6, jobs=3)) == _comparable(one)


@_single_threaded
def test_cli_verify_prints_the_same_with_any_number_of_jobs(run: Any, tmp_path: Path) -> None:
    """`--jobs 1` and `--jobs 2` print the same findings and summary (but for the time taken)."""
    import re

    rules = _copy(tmp_path)
    _edit(rules / "30-who.yaml", "derived.functions: {contains_any: $care_leaver_functions}}",
          "derived.function: {exists: true}}")
    outs = []
    for jobs in ("1", "2"):
        r = run("--rules", str(rules), "rules", "verify", "--cases", "2500", "--seed", "6", "--jobs", jobs)
        assert r.code == 1 and "VIOLATION standing.care_leaver_limited" in r.out
        outs.append(re.sub(r"in [0-9.]+ s \([0-9,]+/s\)", "in T", r.out))
    assert outs[0] == outs[1]
    j = [json.loads(run("--rules", str(rules), "rules", "verify", "--cases", "2500", "--seed", "6", "--json",
                        "--jobs", jobs).out) for jobs in ("1", "2")]
    for data in j:
        data.pop("seconds")
    assert j[0] == j[1] and j[0]["findings"]


def _guarded(seconds: int) -> Any:
    """Fail (not hang) if the block takes longer than ``seconds``."""
    import contextlib
    import signal

    @contextlib.contextmanager
    def guard() -> Any:
        def expired(*_: Any) -> None:
            raise AssertionError(f"still running after {seconds} s: the parent hangs")

        old = signal.signal(signal.SIGALRM, expired)
        signal.alarm(seconds)
        try:
            yield
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, old)

    return guard()


@_single_threaded
def test_a_worker_that_dies_is_reported_not_waited_for(verifier: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker killed in the middle of its cases (as by a crash of the C engine) ends the run
    with WorkerFailed, and a worker's exception comes back with its message; no worker is left."""
    import multiprocessing
    import os
    import signal

    from triage.contract.errors import RuleError
    from triage.rules.workers import WorkerFailed

    check = verifier.check
    victim = verifier.cases(2500, 0)[0][1500]

    def dies(case: Any) -> Any:
        if case == victim:
            os.kill(os.getpid(), signal.SIGKILL)
        return check(case)

    monkeypatch.setattr(verifier, "check", dies)
    with _guarded(120), pytest.raises(WorkerFailed) as exc:
        verifier.run(2500, seed=0, jobs=2)
    assert "a worker process stopped (exit code -9) while checking chunk 2" in str(exc.value)

    def fails(case: Any) -> Any:
        if case == victim:
            raise RuleError("evaluating phase 'who' failed: planted")
        return check(case)

    monkeypatch.setattr(verifier, "check", fails)
    with _guarded(120), pytest.raises(WorkerFailed) as exc:
        verifier.run(2500, seed=0, jobs=2)
    assert exc.value.lines()[-1] == "evaluating phase 'who' failed: planted"
    assert multiprocessing.active_children() == []


def _verify_command(tmp_path: Path, marker: str) -> tuple[Any, Callable[[], list[int]]]:
    """`triage rules verify --jobs 2` started as a command, once it and its two workers run; and a
    function listing the processes still running it (found by an unusual --cases, ``marker``)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    # Signals as at a terminal: a test run in the background inherits SIGINT ignored, so restore it.
    proc = subprocess.Popen([sys.executable, "-m", "triage", "rules", "verify", "--cases", marker, "--jobs", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))

    def running() -> list[int]:
        pids = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/cmdline", "rb") as f:
                        cmd = f.read().split(b"\0")
                    with open(f"/proc/{entry}/stat", "rb") as f:
                        zombie = f.read().rsplit(b")", 1)[1].split()[0] == b"Z"
                except OSError:
                    continue
                if marker.encode() in cmd and b"verify" in cmd and not zombie:
                    pids.append(int(entry))
        return pids

    deadline = time.monotonic() + 120
    while len(running()) < 3 and time.monotonic() < deadline:  # the command and its two workers
        time.sleep(0.2)
    if len(running()) < 3:
        proc.kill()
        raise AssertionError(f"the command and two workers did not start: {proc.communicate(timeout=60)}")
    time.sleep(1)
    return proc, running


def _gone(running: Callable[[], list[int]], seconds: float) -> bool:
    import time

    deadline = time.monotonic() + seconds
    while running() and time.monotonic() < deadline:
        time.sleep(0.2)
    return not running()


def test_ctrl_c_stops_the_verifier_and_its_workers(tmp_path: Path) -> None:
    """Ctrl-C (SIGINT to the command) ends `rules verify --jobs 2` promptly, as any command ends on
    Ctrl-C ("Aborted.", exit 1), with no worker process left behind."""
    import signal
    import subprocess

    proc, running = _verify_command(tmp_path, "987653")
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError("rules verify did not stop on Ctrl-C") from None
    assert (proc.returncode, err.decode().strip()) == (1, "Aborted.")
    assert _gone(running, 10), running()


def test_workers_end_when_the_command_is_killed(tmp_path: Path) -> None:
    """If the command itself is killed (no chance to stop its workers), the workers see their
    pipe close and end by themselves: nothing is left running."""
    import signal

    proc, running = _verify_command(tmp_path, "987641")
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert _gone(running, 60), running()
