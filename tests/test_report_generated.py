"""The annual report on a generated log of 20,000 decisions, pinned to its full JSON.

The hand-counted fixture of tests/test_report.py checks every cell's meaning on a few cases;
this log checks the counting at volume and variety: bench/bench_report.py's generator (the
benchmark's million-decision log, in small) replays 2,839 decided representations over five
years with a year of events each (responses, extensions, escalations to stages 2 and 3,
officer decisions, withdrawals, closures, Ombudsman referrals, overrides). The golden JSON was
made by the report's code before the counting moved from SQLite's GROUP BY to Python dicts
(commit 31e5827), so any change of a figure fails here. The report must be the same however
its statements run: on two connections in this process, with the second statement in a worker
process, or on one connection through an object's ``query`` alone.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, RULES

GOLDEN = Path(__file__).parent / "golden" / "report" / "generated-20000.json"
DECISIONS = 20_000


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import bench_report
    finally:
        sys.path.remove(str(ROOT / "bench"))
    db = tmp_path_factory.mktemp("generated") / "log.db"
    bench_report.generate_log(db, DECISIONS)
    return db


def _reports(log: Any) -> dict[str, Any]:
    from triage import report
    from triage.rules.ruleset import load_rules

    rules = load_rules(RULES)
    # through JSON, as the golden file holds it (tuples become lists)
    return json.loads(json.dumps({basis: report.build(log, rules, year="2024-25", years=3, basis=basis)
                                  for basis in ("received", "resolved")}))


def _golden() -> dict[str, Any]:
    return json.loads(GOLDEN.read_text())  # type: ignore[no-any-return]


def test_the_log_is_the_one_pinned(generated: Path) -> None:
    """The generator still makes the log the golden file was counted on (else fix the generator,
    not the golden file)."""
    from triage.log.store import DecisionLog

    log = DecisionLog(generated)
    counts = {t: next(iter(log.query(f"SELECT count(*) AS n FROM {t}")))["n"] for t in ("decisions", "events", "overrides")}
    assert counts == {"decisions": 20_002, "events": 39_111, "overrides": 40}


def test_report_json_is_pinned(generated: Path) -> None:
    """Both bases, every table, every figure: as the SQL-only counting gave them."""
    from triage.log.store import DecisionLog

    got, want = _reports(DecisionLog(generated)), _golden()
    for basis in ("received", "resolved"):
        tables = {t["id"]: t for t in got[basis]["tables"]}
        for table in want[basis]["tables"]:
            assert tables.get(table["id"]) == table, f"{basis}: table {table['id']} differs"
        assert got[basis] == want[basis]


def test_same_with_a_worker_process(generated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The second statement in a process of its own (as on a large log): the same JSON."""
    from triage.log.store import DecisionLog
    from triage.report import worker

    monkeypatch.setattr(worker, "PROCESS_FROM", 0)
    assert _reports(DecisionLog(generated)) == _golden()


def test_same_through_query_alone(generated: Path) -> None:
    """An object with only the log's ``query`` (no connection to register the counters on):
    its rows are counted in Python as they arrive, to the same JSON."""
    from triage.log.store import DecisionLog

    class Reader:
        def __init__(self, log: DecisionLog) -> None:
            self.log = log

        def query(self, sql: str, params: Any = None) -> Any:
            return self.log.query(sql, params)

    assert _reports(Reader(DecisionLog(generated))) == _golden()
