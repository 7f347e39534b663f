"""The decision log: append-only, reviewable, safe under concurrent writers and killed processes."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, RULES, log_rows


def _lines(case: dict[str, Any], n: int, prefix: str) -> str:
    out = []
    for i in range(n):
        c = dict(case, reference=f"{prefix}-{i:05d}")
        out.append(json.dumps(c))
    return "\n".join(out) + "\n"


def _env(db: Path) -> dict[str, str]:
    return {**os.environ, "TRIAGE_DB": str(db), "TRIAGE_RULES": str(RULES)}


def test_log_is_append_only(db: Path, case: dict[str, Any]) -> None:
    """Rows cannot be updated or deleted, even with SQL."""
    import triage

    triage.assess(case, db=db, rules=RULES)
    conn = sqlite3.connect(db)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("update decisions set disposition = 'refused'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("delete from decisions")
    conn.close()
    assert log_rows(db) == 1


def test_log_keeps_full_input_decision_ruleset_and_time(db: Path, case: dict[str, Any]) -> None:
    """Each row holds the whole input, the whole decision, the ruleset hash and the time."""
    import triage
    from triage.log.store import DecisionLog

    decision = triage.assess(case, db=db, rules=RULES)
    (row,) = DecisionLog(db).find()
    assert row.representation == case
    assert row.decision == decision.model_dump(mode="json")
    assert row.decision["ruleset"] == triage.load_rules(RULES).hash


def test_log_list_filters_and_json(run: Any, case: dict[str, Any]) -> None:
    """`log list` filters by received date, procedure and disposition, as a table or JSON."""
    corporate = dict(case, reference="CS-2", received_date="2024-06-03",
                     about=dict(case["about"], function="sen", service="SEN", grounds_arose="2024-05-01"))
    for c in (case, corporate):
        assert run("assess", "-", stdin=json.dumps(c).encode()).code == 0
    r = run("log", "list", "--oldest-first")
    assert r.out.splitlines() == [
        "id        reference      received    type       procedure  disposition  reason  stage",
        "d-000001  CS-2025-00017  2025-03-14  complaint  statutory  accepted     -       1",
        "d-000002  CS-2           2024-06-03  complaint  corporate  accepted     -       1",
    ]
    assert [d["decision"]["reference"] for d in run("log", "list", "--procedure", "corporate", "--json").json()] == ["CS-2"]
    assert [d["decision"]["reference"] for d in run("log", "list", "--since", "2025-01-01", "--json").json()] == ["CS-2025-00017"]
    assert run("log", "list", "--disposition", "refused").out.strip() == "No decisions match."
    bad = run("log", "list", "--since", "2025-13-01")
    assert (bad.code, bad.err.strip()) == (2, "error: --since: '2025-13-01' is not a date; write YYYY-MM-DD")


def test_log_list_newest_first_with_a_default_limit(run: Any, case: dict[str, Any]) -> None:
    """`log list` shows the newest decisions first, at most 50 unless told; --oldest-first for scripts."""
    lines = "".join(json.dumps(dict(case, reference=f"CS-{i:03d}")) + "\n" for i in range(1, 53))
    assert run("assess", "--batch", "-", stdin=lines.encode()).code == 0
    r = run("log", "list")
    ids = [line.split()[0] for line in r.out.splitlines()[1:]]
    assert (len(ids), ids[0], ids[-1]) == (50, "d-000052", "d-000003")
    assert r.err.strip() == "showing the 50 newest matching decisions; --limit N or --all for more"
    assert [line.split()[0] for line in run("log", "list", "--limit", "2").out.splitlines()[1:]] == ["d-000052", "d-000051"]
    assert [line.split()[0] for line in run("log", "list", "--limit", "2", "--oldest-first").out.splitlines()[1:]] == [
        "d-000001", "d-000002"]
    every = run("log", "list", "--all", "--json")
    assert (len(every.json()), every.json()[0]["decision"]["decision_id"], every.err) == (52, "d-000052", "")


def test_log_show_history_of_a_reference(run: Any, case: dict[str, Any]) -> None:
    """`log show REF` shows every decision on the reference, the officer's re-assessment last."""
    case["complainant"].update(relationship="grandparent", has_parental_responsibility=False)
    run("assess", "-", stdin=json.dumps(case).encode())
    case["officer_decisions"] = {"sufficient_interest": {"answer": True, "reason": "Main carer", "by": "A Manager"}}
    run("assess", "-", stdin=json.dumps(case).encode())
    shown = run("log", "show", "CS-2025-00017", "--json").json()
    assert [s["decision"]["disposition"] for s in shown] == ["officer_decision_required", "accepted"]
    assert shown[1]["representation"]["officer_decisions"]["sufficient_interest"]["by"] == "A Manager"
    text = run("log", "show", "d-000002").out
    assert text.startswith("CS-2025-00017  complaint · statutory procedure · stage 1\nDecision: ACCEPTED")
    missing = run("log", "show", "CS-NOPE")
    assert missing.code == 2 and "no decision for reference 'CS-NOPE'" in missing.err


def test_unreadable_database_is_a_clear_error(run: Any, tmp_path: Path) -> None:
    """A --db that is not a SQLite file gives an error naming it, not a traceback."""
    bogus = tmp_path / "not-a-db.db"
    bogus.write_text("hello, this is not sqlite" * 100)
    r = run(f"--db={bogus}", "assess", str(EXAMPLES / "statutory-parent.json"), use_db=False)
    assert r.code == 1 and "cannot open the decision log" in r.err and "Traceback" not in r.err


def test_eight_concurrent_processes_lose_nothing(tmp_path: Path, case: dict[str, Any]) -> None:
    """Eight `triage assess` processes writing 100 decisions each at once leave exactly 800 rows."""
    db = tmp_path / "concurrent.db"
    procs = []
    for p in range(8):
        batch = tmp_path / f"batch{p}.jsonl"
        batch.write_text(_lines(case, 100, f"P{p}"))
        procs.append(subprocess.Popen([sys.executable, "-m", "triage", "assess", "--batch", str(batch)],
                                      env=_env(db), stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.decode()
        assert len(out.splitlines()) == 100
    conn = sqlite3.connect(db)
    assert conn.execute("select count(*), count(distinct reference), min(seq), max(seq) from decisions").fetchone() \
        == (800, 800, 1, 800)
    assert conn.execute("pragma integrity_check").fetchone() == ("ok",)
    from triage.log.store import DecisionLog
    assert DecisionLog(db).verify() == []  # the hash chain stayed linear under concurrent writers


def test_killed_process_leaves_consistent_log(tmp_path: Path, case: dict[str, Any]) -> None:
    """A batch killed mid-write leaves a consistent log of whole rows that still accepts appends."""
    db = tmp_path / "killed.db"
    batch = tmp_path / "big.jsonl"
    batch.write_text(_lines(case, 20000, "K"))
    proc = subprocess.Popen([sys.executable, "-m", "triage", "assess", "--batch", str(batch)],
                            env=_env(db), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while log_rows(db) < 50 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    conn = sqlite3.connect(db)
    assert conn.execute("pragma integrity_check").fetchone() == ("ok",)
    count, first, last = conn.execute("select count(*), min(seq), max(seq) from decisions").fetchone()
    assert 50 <= count < 20000 and (first, last) == (1, count)
    for (decision,) in conn.execute("select decision from decisions"):
        assert json.loads(decision)["disposition"] == "accepted"
    conn.close()
    import triage
    from triage.log.store import DecisionLog
    assert DecisionLog(db).verify() == []
    assert triage.assess(case, db=db, rules=RULES).decision_id == f"d-{count + 1:06d}"


def test_batch_draws_progress_bar_on_a_terminal(tmp_path: Path, case: dict[str, Any]) -> None:
    """With standard error on a terminal, a batch draws a progress bar there (results stay on stdout)."""
    import pty

    batch = tmp_path / "b.jsonl"
    batch.write_text(_lines(case, 5, "T"))
    primary, secondary = pty.openpty()
    proc = subprocess.run([sys.executable, "-m", "triage", "assess", "--batch", str(batch)],
                          env=_env(tmp_path / "tty.db"), stdout=subprocess.PIPE, stderr=secondary, timeout=60)
    os.close(secondary)
    shown = b""
    while True:
        try:
            chunk = os.read(primary, 4096)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(primary)
    assert proc.returncode == 0 and len(proc.stdout.splitlines()) == 5
    assert b"Assessing" in shown and b"5 assessed and logged, 0 failed" in shown
