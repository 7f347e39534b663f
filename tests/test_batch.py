"""`triage assess --batch` deciding in a forked process and logging in this one
(triage.cli.batch): the same results, the same log, line by line, as deciding and logging
each line in turn."""

from __future__ import annotations

import copy
import io
import json
import os
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, RULES
from hypothesis import given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the batch forks only where fork exists")

STAMP = re.compile(r'"assessed_at": "[^"]*"')


def _lines(case: dict[str, Any]) -> list[bytes]:
    """Good cases, a repeat, a case without reference and bad lines, as a batch file holds them."""
    out = []
    for path in sorted(EXAMPLES.glob("*.json")):
        out.append(path.read_bytes().replace(b"\n", b" "))
    other = copy.deepcopy(case)
    other.pop("reference")
    return [*out, out[0], json.dumps(other).encode(), b"", b"{oops", b"[]",
            json.dumps({**case, "received_date": "2024-02-30"}).encode(), b"\xff"]


def _sequential(lines: list[bytes], db: Path) -> list[tuple[str, bool]]:
    from triage import api
    from triage.cli.batch import decide_lines, log_line
    from triage.log.store import DecisionLog

    log = DecisionLog(db)
    return [log_line(item, log) for item in decide_lines(lines, api.decider(RULES))]


def _forked(lines: list[bytes], db: Path, source: str = "memory") -> list[tuple[str, bool]]:
    """The batch as `triage assess --batch` runs it, from lines in memory, a file or a stream."""
    from triage import api
    from triage.cli.batch import run
    from triage.log.store import DecisionLog

    given: Any = lines
    if source == "file":
        given = db.with_suffix(".jsonl")
        given.write_bytes(b"\n".join(lines) + b"\n")
    elif source == "stream":
        given = io.BytesIO(b"\n".join(lines) + b"\n")
    return list(run(given, DecisionLog(db), api.decider(RULES)))


def _rows(db: Path) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return [(seq, ref, h, STAMP.sub("", d)) for seq, ref, h, d in
                conn.execute("SELECT seq, reference, input_hash, decision FROM decisions ORDER BY seq")]
    finally:
        conn.close()


@pytest.mark.parametrize("source", ["memory", "file", "stream"])
def test_forked_batch_prints_and_logs_what_one_process_does(tmp_path: Path, case: dict[str, Any], source: str) -> None:
    """Same results (decisions, errors, the idempotent repeat, the assigned reference) in the same
    order, and the same rows in the log, which verifies: from lines in memory and from a file
    (shared by a decider a core) and from a stream (one decider)."""
    from triage.log.store import DecisionLog

    lines = _lines(case)
    one, two = _sequential(lines, tmp_path / "one.db"), _forked(lines, tmp_path / "two.db", source)
    assert [(STAMP.sub("", text), ok) for text, ok in one] == [(STAMP.sub("", text), ok) for text, ok in two]
    results = [json.loads(text) for text, _ in two]
    assert [r["ok"] for r in results].count(False) == 4 and len(results) == len(lines) - 1  # the blank line
    assert results[len(lines) - 7]["decision"] == results[0]["decision"]  # the repeat: the logged decision
    assert _rows(tmp_path / "one.db") == _rows(tmp_path / "two.db")
    assert DecisionLog(tmp_path / "two.db").verify() == []


def test_result_line_is_what_batch_result_prints(tmp_path: Path, case: dict[str, Any]) -> None:
    """The printed result written around the stored decision JSON is byte for byte
    BatchResult.to_json of the same decision, for every example (non-ASCII text included)."""
    import triage
    from triage.api import BatchResult
    from triage.cli.batch import result_line
    from triage.log.store import decision_row

    cases = [json.loads(p.read_text()) for p in sorted(EXAMPLES.glob("*.json"))]
    cases.append({**case, "about": {**case["about"], "summary": "Café – naïve “quotes” \\ back\\slash \u2028 line"}})
    for number, raw in enumerate(cases, start=1):
        decision = triage.decide(raw, rules=RULES)
        row = decision_row(decision.model_dump(mode="json"), {**raw, "reference": decision.reference})
        decision.decision_id = f"d-{number * 7:06d}"
        assert result_line(number, number * 7, row["decision"]) == BatchResult(number, decision).to_json()


def test_a_line_the_log_refuses_is_its_error_and_the_batch_goes_on(tmp_path: Path, case: dict[str, Any],
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A store error on one line (in this process, which logs) prints that line's error; it is
    not logged, and the lines after it are."""
    from triage.contract.errors import StoreError
    from triage.log.store import DecisionLog

    real = DecisionLog.append_row
    calls = []

    def flaky(self: DecisionLog, row: dict[str, Any], *args: Any) -> Any:
        calls.append(row["reference"])
        if len(calls) == 2:
            raise StoreError("disk full (a test)")
        return real(self, row, *args)

    monkeypatch.setattr(DecisionLog, "append_row", flaky)
    lines = [json.dumps({**case, "reference": f"CS-{i}"}).encode() for i in range(4)]
    results = [json.loads(text) for text, _ in _forked(lines, tmp_path / "log.db")]
    assert [r["ok"] for r in results] == [True, False, True, True]
    assert "disk full" in json.dumps(results[1]["errors"])
    assert [r[1] for r in _rows(tmp_path / "log.db")] == ["CS-0", "CS-2", "CS-3"]


def test_a_failing_decider_stops_the_batch_with_its_printed_lines_logged(tmp_path: Path, case: dict[str, Any],
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """When a deciding process dies (here: an exit on the third line, which no per-line error
    handling catches), the batch stops with an error; no line after it is printed, and every
    line printed is logged."""
    from triage import api
    from triage.contract.errors import TriageError
    from triage.rules.decider import Decider

    real = Decider.decide

    def dies(self: Decider, rep: Any, reference: str, *args: Any, **kwargs: Any) -> Any:
        if reference == "CS-2":
            raise SystemExit(3)
        return real(self, rep, reference, *args, **kwargs)

    monkeypatch.setattr(Decider, "decide", dies)
    lines = [json.dumps({**case, "reference": f"CS-{i}"}).encode() for i in range(5)]
    printed = []
    from triage.cli.batch import run
    from triage.log.store import DecisionLog

    with pytest.raises(TriageError, match="deciding its lines failed"):
        for text, _ in run(lines, DecisionLog(tmp_path / "log.db"), api.decider(RULES)):
            printed.append(json.loads(text)["decision"]["reference"])
    # stopped at the failed line or before it (with two deciders, the other's line 2 may not
    # be printed yet), never after it; whatever was printed is logged, and nothing else
    assert printed in (["CS-0"], ["CS-0", "CS-1"])
    assert [r[1] for r in _rows(tmp_path / "log.db")] == printed


def test_a_batch_left_early_stops_its_decider(tmp_path: Path, case: dict[str, Any],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A reader that stops after two results (a closed output) leaves no deciding process behind."""
    from triage import api
    from triage.cli.batch import _cores, deciders, run
    from triage.log.store import DecisionLog

    forked = []
    real_fork = os.fork

    def fork() -> int:
        pid = real_fork()
        if pid:
            forked.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", fork)
    lines = [json.dumps({**case, "reference": f"CS-{i}"}).encode() for i in range(200)]
    results = run(lines, DecisionLog(tmp_path / "log.db"), api.decider(RULES))
    assert [json.loads(next(results)[0])["ok"] for _ in range(2)] == [True, True]
    results.close()
    assert len(forked) == deciders(_cores())
    for pid in forked:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # stopped and reaped, not left running


_values = st.one_of(st.none(), st.integers(min_value=-(2**63), max_value=2**63 - 1),
                    st.text(max_size=40), st.sampled_from(['{"a": "b\\"c"}', "\u2028é\x00\\", "", '"seq":0', '{"seq":0}', "x\\"]))


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["reference", "decision", "representation", "stage", "ruleset", "a", "z", "séq"]),
                       _values), st.integers(min_value=1, max_value=10**12))
def test_a_row_with_its_seq_put_into_its_chain_parts_is_its_canonical_text(row: dict[str, Any], seq: int) -> None:
    """The chain hash the logging process computes from the deciders' chain parts is the one
    computed from the row itself (and so the one `triage log verify` recomputes)."""
    from triage.log.store import _link, _link_text, canonical, chain_parts, with_seq

    stored = {"seq": seq, **row}
    assert with_seq(chain_parts(row), seq) == canonical(stored)
    assert _link_text("sha256:00", "decisions", with_seq(chain_parts(row), seq)) == _link("sha256:00", "decisions", stored)


def test_a_batch_that_cannot_start_a_decider_runs_in_one_process(tmp_path: Path, case: dict[str, Any],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """When the second decider cannot be started (too many processes), the first is stopped and
    the batch runs in this process alone: same results, nothing decided twice or lost."""
    real_fork = os.fork
    forks = []

    def fork() -> int:
        forks.append(1)
        if len(forks) == 2:
            raise BlockingIOError(11, "Resource temporarily unavailable")
        return real_fork()

    monkeypatch.setattr(os, "fork", fork)
    lines = [json.dumps({**case, "reference": f"CS-{i}"}).encode() for i in range(6)]
    results = [json.loads(text) for text, _ in _forked(lines, tmp_path / "log.db")]
    assert [r["decision"]["reference"] for r in results] == [f"CS-{i}" for i in range(6)]
    assert [r[1] for r in _rows(tmp_path / "log.db")] == [f"CS-{i}" for i in range(6)]
