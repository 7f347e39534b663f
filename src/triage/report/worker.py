"""The annual report's two large statements, run at once on two cores.

``both`` runs the first statement here and the second on a read connection of its own: in a
thread on a small log, and on a large one in a new Python process, ``python -m
triage.report.worker``, which reads the request as JSON on standard input and writes the rows
as a JSON list on standard output. Not a command for people: ``triage report`` is.

A request may name a counter of ``counting`` (``None`` for plain rows): the statement's rows
are then counted as SQLite hands them over, by an aggregate function registered on a
connection of the report's own, and only the counted rows come back.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from .counting import COUNTERS

# From this many decisions the second statement runs in a Python process of its own rather
# than a thread: two statements in one process contend (SQLite's allocator and Python share
# locks) and took 8.6 s together on a million decisions against 6.6 s in two processes;
# starting the process costs about 0.15 s, more than a small log's whole report.
PROCESS_FROM = 100_000


# A statement, its parameters, and the counter of ``counting`` its rows go to (None: the rows).
Request = tuple[str, dict[str, Any], "str | None"]


def both(log: Any, first: Request, second: Request) -> tuple[list[Any], list[Any]]:
    """Run two independent read-only statements at once when the log is a file, the second
    on a read connection of its own, so that the two use both cores of a small server."""
    from triage.log.store import DecisionLog

    path = Path(str(getattr(log, "path", "")))
    if not isinstance(log, DecisionLog) or not path.is_file():
        return counted(log.query(*first[:2]), *first[1:]), counted(log.query(*second[:2]), *second[1:])
    size = next(iter(log.query("SELECT coalesce(max(seq), 0) AS n FROM decision_codes")))["n"]
    large = size >= PROCESS_FROM
    if large and not _in_cache(log, size):
        warm(str(path), size)
    run = in_process if large else count
    with ThreadPoolExecutor(max_workers=1) as pool:
        later = pool.submit(run, str(path), *second)
        rows = count(str(path), *first)
        return rows, later.result()


def counted(rows: Any, params: dict[str, Any], counter: str | None) -> list[Any]:
    """``rows`` (dicts, in the statement's column order) through ``counter``, or as they are."""
    if counter is None:
        return list(rows)
    tally = COUNTERS[counter](params)
    step = tally.step
    for row in rows:
        step(*row.values())
    return tally.rows()  # type: ignore[no-any-return]


def count(path: str, sql: str, params: dict[str, Any], counter: str | None) -> list[dict[str, Any]]:
    """One read-only statement on a connection of its own (a connection belongs to the thread
    that opened it), its rows counted by ``counter`` inside SQLite's loop: no row object is
    made, only one call of the counter's ``step`` a row."""
    if counter is None:
        return query(path, sql, params)
    made: list[Any] = []

    def new() -> Any:
        made.append(COUNTERS[counter](params))
        return made[-1]

    cls = COUNTERS[counter]
    conn = sqlite3.connect(path, timeout=30.0)
    try:
        conn.execute("PRAGMA query_only = ON")
        conn.create_aggregate("report_count", len(cls.COLUMNS), new)  # type: ignore[arg-type]
        conn.execute(f"SELECT report_count({', '.join(cls.COLUMNS)}) FROM ({sql})", params).fetchall()
    finally:
        conn.close()
    return made[0].rows() if made else cls(params).rows()  # no row, no step: nothing counted


# How many readers read the report's tables into the page cache at once.
READERS = 16


def warm(path: str, size: int) -> None:
    """Read the tables the report's statements use (the code tables and the reference index)
    with many readers at once, so that on a cold page cache the disk serves them in parallel.

    A log is appended to, so each table's pages lie scattered through the file, and one
    statement reads them one at a time: on the 2-core VM, 204 MB of ``decision_codes`` took
    3.2 s from a cold cache with one reader and 0.8 s with sixteen. ``both`` calls it only when
    ``_in_cache`` finds the log cold. Key ranges for the tables stored by reference are cut at
    the references of evenly spaced decisions."""
    step = size // READERS + 1
    seqs = [(n * step, (n + 1) * step - 1) for n in range(READERS)]
    with ThreadPoolExecutor(max_workers=READERS) as pool:
        cuts = pool.map(lambda n: query(path, "SELECT reference FROM decisions WHERE seq >= :s ORDER BY seq LIMIT 1",
                                        {"s": n * step}), range(1, READERS))
        bounds = sorted({rows[0]["reference"] for rows in cuts if rows})
        keys = [{"lo": lo, "hi": hi} for lo, hi in zip([""] + bounds, bounds + ["\U0010ffff"])]
        jobs = ([("SELECT count(*) AS n FROM decision_codes WHERE seq BETWEEN :lo AND :hi", {"lo": lo, "hi": hi})
                 for lo, hi in seqs]
                + [("SELECT count(*) AS n FROM event_codes WHERE reference >= :lo AND reference < :hi", k) for k in keys]
                + [("SELECT count(*) AS n FROM decisions INDEXED BY idx_decisions_reference "
                    "WHERE reference >= :lo AND reference < :hi", k) for k in keys])
        list(pool.map(lambda job: query(path, *job), jobs))


def _in_cache(log: Any, size: int) -> bool:
    """Whether the log's pages look to be in the page cache already: 64 rows of
    ``decision_codes`` spread through the table, each on a page of its own, read in under
    2.5 ms (on the 2-core VM: 0.6-1 ms from the cache, 8 ms from disk). If so, ``warm`` would
    only cost time (about 0.5 s on a million decisions)."""
    rows = {f"s{k}": size * (2 * k + 1) // 128 for k in range(64)}
    started = time.perf_counter()
    list(log.query(f"SELECT count(service) AS n FROM decision_codes WHERE seq IN ({', '.join(':' + k for k in rows)})",
                   rows))
    return time.perf_counter() - started < 0.0025


def query(path: str, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """One read-only statement on a connection of its own (a connection belongs to the thread
    that opened it)."""
    from triage.log.store import DecisionLog

    reader = DecisionLog(path)
    try:
        return list(reader.query(sql, params))
    finally:
        reader.close()


def in_process(path: str, sql: str, params: dict[str, Any], counter: str | None = None) -> list[dict[str, Any]]:
    """``count`` in a new Python process (``python -m triage.report.worker``: the statement
    in and the rows out as JSON on its pipes; not multiprocessing, which would re-run the
    caller's main script). Runs ``count`` here instead if the process fails."""
    package_root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
    request = json.dumps({"path": path, "sql": sql, "params": params, "counter": counter})
    try:
        done = subprocess.run([sys.executable, "-m", "triage.report.worker"], input=request, env=env,
                              capture_output=True, text=True, check=False)
    except OSError:
        return count(path, sql, params, counter)
    if done.returncode != 0:  # run here: the same statement gives the same error, if it is the cause
        return count(path, sql, params, counter)
    rows: list[dict[str, Any]] = json.loads(done.stdout)
    return rows


def main() -> int:
    request = json.load(sys.stdin)
    rows = count(request["path"], request["sql"], request["params"], request.get("counter"))
    json.dump(rows, sys.stdout, separators=(",", ":"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
