"""`triage serve --workers N`: several processes on one port and one log, as one service."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from conftest import RULES, case_with
from serving import Client, free_port, stop, wait_until_up

TRIAGE = str(Path(sys.executable).parent / "triage")


def _worker_pids(pid: int) -> set[int]:
    children = set()
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        children |= {int(x) for x in task.read_text().split()}
    return children


def test_workers_share_the_log_sessions_and_keys(tmp_path: Path) -> None:
    """Two worker processes: every submission from 6 clients is logged exactly once, the hash
    chain holds, a manager signed in on one worker stays signed in whichever worker answers
    (no session key configured: the workers share the one made at start), and the API key
    added before the start works on both."""
    from triage.log.store import DecisionLog
    from triage.server.auth import hash_password
    from triage.server.tables import ServerTables

    db = tmp_path / "t.db"
    env = {k: v for k, v in os.environ.items() if k not in ("TRIAGE_SECRET_KEY", "TRIAGE_SECRET_KEY_FILE")}
    common = [TRIAGE, "--db", str(db), "--rules", str(RULES)]
    key = subprocess.run([*common, "keys", "add", "eform"], env=env, capture_output=True, text=True).stdout.strip()
    ServerTables(DecisionLog(db)).add_user("a.manager", hash_password("a long password 1"))
    port = free_port()
    proc = subprocess.Popen([*common, "serve", "--port", str(port), "--workers", "2", "--request-log", "off"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(proc, base)
        assert len(_worker_pids(proc.pid) - {proc.pid}) >= 2

        def submit(i: int) -> tuple[int, str]:
            status, body = Client(base).post_json(
                "/v1/assess", case_with(reference=f"CS-W-{i:04d}"), key)
            return status, body.get("reference", json.dumps(body))

        with ThreadPoolExecutor(6) as pool:
            results = list(pool.map(submit, range(120)))
        assert all(status == 200 for status, _ in results), results[:3]
        manager = Client(base)
        assert manager.sign_in("a.manager", "a long password 1") == 303
        pages = [manager.get("/decisions")[0] for _ in range(20)]  # a new connection each: both workers answer
        assert pages == [200] * 20
    finally:
        code, out, err = stop(proc)
    assert "2 worker processes" in err
    log = DecisionLog(db)
    assert sorted(d.decision["reference"] for d in log.find()) == [f"CS-W-{i:04d}" for i in range(120)]
    assert log.verify() == []
