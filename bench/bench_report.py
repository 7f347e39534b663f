"""Benchmark `triage report`: the annual report over a log of 1,000,000 decisions.

    python bench/bench_report.py [--decisions 1000000] [--runs 3] [--db bench/out/report-1m.db] [--fresh] [--cold]

Run it with the project's virtualenv Python.

(a) The log. A pool of representations from bench/generate.py (fixed seed) is decided once
    each by the rules (``triage.decide``), so every input and decision has the shape and size
    the engine gives. The pool is then replayed under new references and received dates from
    1 April 2020 to 31 March 2025 until the log holds --decisions decisions, with a year of
    events each, as a complaints team records them: acknowledgements, extensions, responses
    with findings and actual outcomes, stage 2 and 3 escalations (each a new decision on the
    same reference, as ``workflow.record`` makes them), agreed statements, panels, officer
    decisions (a second decision), withdrawals and closures, Ombudsman referrals and decisions,
    and managers' overrides. Rows go straight into a log created by ``DecisionLog`` (same
    schema, indexes and triggers) with ``sqlite3.executemany``, so generating is quick. The
    ``chain`` table is left empty: hash-chaining a million rows one by one would take far longer
    than the report, and the report never reads it (``triage log verify`` on this file would
    list every row as unchained). The log is kept under bench/out/ and reused by later runs
    unless --fresh or --decisions changes.
(b) The report: ``triage.report.build`` for 2024/25 with three years, on the received and on
    the resolved basis, timed --runs times each in a fresh process (cold page cache aside),
    then rendering JSON, Markdown, HTML and the CSV files; and `triage report` end to end as a
    command. Median wall times are printed as a Markdown table.

Target (2-core machine): the report under 10 s. A missed target is reported, not asserted.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
OUT = BENCH / "out"
TARGET_S = 10.0
FIRST, LAST = date(2020, 4, 1), date(2025, 3, 31)
NOW = date(2025, 6, 30)  # the day the log is "read": later events are not recorded yet


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def pool(size: int, seed: int) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Representations from bench/generate.py, each with the decision the rules make on it."""
    sys.path.insert(0, str(BENCH))
    import generate  # the other benchmark's generator (bench/generate.py)

    import triage

    gen = generate.Generator(generate.Taxonomy(generate.DEFAULT_TAXONOMY), seed)
    cases, _ = gen.generate(size)
    out = []
    for case in cases:
        if case.get("escalation"):
            continue  # escalations are made below, on the same reference
        decision = triage.decide(case, rules=REPO / "rules").model_dump(mode="json")
        out.append((case, decision))
    return out


class Writer:
    """Rows for the log's tables, written in batches with executemany."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.decisions: list[tuple[Any, ...]] = []
        self.events: list[tuple[Any, ...]] = []
        self.overrides: list[tuple[Any, ...]] = []
        self.seq = 0
        self.event_seq = 0
        self.count = 0

    def decision(self, ref: str, received: date, rep_json: str, dec: dict[str, Any], dec_json: str) -> int:
        self.seq += 1
        self.count += 1
        self.decisions.append((self.seq, ref, received.isoformat(), "2025-06-30T09:00:00Z", dec["representation_type"],
                               dec["procedure"], dec["disposition"], dec["reason"], dec["stage"], dec["ruleset"],
                               hashlib.sha1(f"{ref}{self.seq}".encode()).hexdigest(), rep_json, dec_json))
        return self.seq

    def event(self, ref: str, kind: str, day: date, stage: int | None = None, **fields: Any) -> None:
        self.event_seq += 1
        payload = {"reference": ref, "event": kind, "date": day.isoformat(), **({"stage": stage} if stage else {}), **fields}
        self.events.append((self.event_seq, ref, kind, day.isoformat(), stage, f"e{self.event_seq}",
                            _canonical(payload), None, "2025-06-30T09:00:00Z"))

    def flush(self, force: bool = False) -> None:
        if len(self.decisions) < 20000 and not force:
            return
        self.conn.executemany("INSERT INTO decisions (seq, reference, received_date, assessed_at, representation_type, "
                              "procedure, disposition, reason, stage, ruleset, input_hash, representation, decision) "
                              "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", self.decisions)
        self.conn.executemany("INSERT INTO events (seq, reference, event, date, stage, identity, payload, decision_id, "
                              "recorded_at) VALUES (?,?,?,?,?,?,?,?,?)", self.events)
        self.conn.executemany("INSERT INTO overrides (reference, decision_id, field, from_value, to_value, reason, by, "
                              "rules, recorded_at) VALUES (?,?,?,?,?,?,?,?,?)", self.overrides)
        self.decisions, self.events, self.overrides = [], [], []


def _working(day: date, n: int) -> date:
    while n > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


def lifecycle(w: Writer, rng: random.Random, ref: str, received: date, case: dict[str, Any],
              decision: dict[str, Any], rep_json: str, dec_json: str) -> None:
    """One reference: its decision(s) and the events a complaints team would record."""
    seq = w.decision(ref, received, rep_json, decision, dec_json)
    if decision["representation_type"] != "complaint":
        if rng.random() < 0.3:
            w.event(ref, "closed", _working(received, rng.randint(0, 5)))
        return
    disposition = decision["disposition"]
    if disposition == "officer_decision_required":
        day = _working(received, rng.randint(1, 4))
        w.event(ref, "officer_decision", day, question="sufficient_interest", answer=True, reason="Cares for the child",
                by="A Manager")
        accepted = {**decision, "disposition": "accepted" if rng.random() < 0.8 else "refused"}
        if accepted["disposition"] == "refused":
            accepted["reason"] = "no_parental_responsibility"
        seq = w.decision(ref, received, rep_json, accepted, dec_json)
        decision = accepted
    if rng.random() < 0.003:
        field, value = ("disposition", "accepted") if decision["disposition"] != "accepted" else ("procedure", "corporate")
        w.overrides.append((ref, f"d-{seq:06d}", field, str(decision.get(field)), value, "Manager's review", "A Manager",
                            "[]", "2025-06-30T09:00:00Z"))
    if decision["disposition"] != "accepted":
        return
    procedure = decision["procedure"] or "statutory"
    stage, start = int(decision["stage"] or 1), received
    while True:
        w.event(ref, "acknowledged", _working(start, rng.randint(1, 4)))
        if rng.random() < 0.03:
            w.event(ref, "withdrawn", _working(start, rng.randint(3, 15)))
            return
        if stage < 3 and rng.random() < 0.1:
            w.event(ref, "extended", _working(start, rng.randint(5, 9)), reason="Complex")
        if stage == 2 and procedure == "statutory":
            start = _working(start, rng.randint(2, 10))
            w.event(ref, "statement_agreed", start)
        if stage == 3:
            w.event(ref, "panel_held", _working(start, rng.randint(20, 30)))
        span = {1: (3, 30), 2: (15, 80), 3: (30, 60)}[stage]
        responded = _working(start, rng.randint(*span))
        if responded > NOW:
            return  # still awaiting a response
        finding = rng.choices(["upheld", "partially_upheld", "not_upheld", "no_finding"], [30, 20, 45, 5])[0]
        outcomes = rng.sample(["Apology", "Explanation", "Apology & Explanation", "Meeting Offer", "Review / Reassessment",
                               "Better Communication", "Transport Arranged", "EHCP Amended"], rng.randint(1, 2))
        w.event(ref, "responded", responded, stage, finding=finding, actual_outcomes=outcomes)
        if rng.random() < 0.02:
            referral = _working(responded, rng.randint(20, 120))
            if referral <= NOW:
                w.event(ref, "lgsco_referral", referral, referral_type=rng.choice(
                    ["social_care", "education_non_social_care", "not_known"]))
                decided = _working(referral, rng.randint(20, 200))
                if decided <= NOW and rng.random() < 0.8:
                    w.event(ref, "lgsco_decision", decided, outcome=rng.choice(
                        ["Closed after initial enquiries", "Upheld - Maladministration - remedy complete and satisfactory",
                         "Not Upheld - No Evidence of Maladministration", "Assessment (referred back for local resolution)"]))
        limit = 3 if procedure == "statutory" else 2
        if stage >= limit or rng.random() > (0.15 if stage == 1 else 0.3):
            if rng.random() < 0.5:
                w.event(ref, "closed", _working(responded, rng.randint(1, 10)))
            return
        requested = _working(responded, rng.randint(3, 18))
        if requested > NOW:
            return
        stage += 1
        w.event(ref, "escalation_requested", requested, to_stage=stage)
        escalated = {**case, "received_date": requested.isoformat(),
                     "escalation": {"original_reference": ref, "to_stage": stage,
                                    "previous_response_date": responded.isoformat()}}
        w.decision(ref, requested, _canonical(escalated), {**decision, "stage": stage}, dec_json)
        start = requested


def generate_log(path: Path, total: int, seed: int = 2025) -> None:
    from triage.log.store import DecisionLog

    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    DecisionLog(path).close()  # the schema, indexes and triggers, as the store creates them
    t0 = time.perf_counter()
    cases = pool(3000, seed)
    print(f"pool: {len(cases)} representations decided in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    prepared = []
    for case, decision in cases:
        body = {k: v for k, v in decision.items() if k != "decision_id"}
        prepared.append((case, body, _canonical(case), json.dumps(body, default=str)))
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN")
    w = Writer(conn)
    rng = random.Random(seed)
    days = (LAST - FIRST).days + 1
    n = 0
    while w.count < total:
        n += 1
        case, decision, rep_json, dec_json = prepared[rng.randrange(len(prepared))]
        received = FIRST + timedelta(days=rng.randrange(days))
        ref = f"B-{received.year}-{n:07d}"
        old_ref, old_date = case["reference"], case["received_date"]
        lifecycle(w, rng, ref, received, {**case, "reference": ref, "received_date": received.isoformat()},
                  decision, rep_json.replace(old_ref, ref).replace(old_date, received.isoformat()),
                  dec_json.replace(old_ref, ref))
        w.flush()
    w.flush(force=True)
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("decisions", "events", "overrides")}
    conn.close()
    print(f"log: {counts} in {time.perf_counter() - t0:.1f} s, {path.stat().st_size / 1e9:.2f} GB", file=sys.stderr)


_TIMED = r"""
import json, sys, time, tempfile
t0 = time.perf_counter()
from triage import report
from triage.rules.ruleset import load_rules
from triage.log.store import DecisionLog
log, rules = DecisionLog(sys.argv[1]), load_rules(sys.argv[2])
t1 = time.perf_counter()
r = report.build(log, rules, year="2024-25", years=3, basis=sys.argv[3])
t2 = time.perf_counter()
out = tempfile.mkdtemp()
for fmt, name in (("json", "r.json"), ("md", "r.md"), ("html", "r.html"), ("csv", "csv")):
    report.write(r, fmt, f"{out}/{name}", rules)
t3 = time.perf_counter()
total = next(x for x in r["tables"] if x["id"] == "representations")["rows"][-1]["counts"]
print(json.dumps({"setup": t1 - t0, "build": t2 - t1, "render": t3 - t2, "total": t3 - t0, "representations": total}))
"""


def drop_page_cache() -> None:
    """Empty the OS page cache (Linux, as root), so the next run reads the log from disk, as
    the first report after a restart, or after the kernel has reclaimed the cache, does."""
    os.sync()
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError as exc:
        sys.exit(f"--cold needs root on Linux to empty the page cache: {exc}")


def measured(cold: bool, run: Any, *args: Any) -> Any:
    """``run(*args)``, after emptying the page cache when ``cold``."""
    if cold:
        drop_page_cache()
    return run(*args)


def time_build(db: Path, basis: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-c", _TIMED, str(db), str(REPO / "rules"), basis],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


_CLI = r"""
import sys
from triage import cli
from triage.cli import report as cli_report
if "report" not in cli.cli.commands:  # until cli.py registers it
    cli_report.register(cli.cli)
cli.main(sys.argv[1:])
"""


def time_cli(db: Path, fmt: str, out: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", _CLI, "--db", str(db), "report", "--year", "2024-25", "--format", fmt,
                    "--out", str(out)], check=True, capture_output=True)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--decisions", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--db", type=Path, default=None)
    ap.add_argument("--fresh", action="store_true", help="Generate the log even when one is there.")
    ap.add_argument("--cold", action="store_true",
                    help="Empty the OS page cache before every run (Linux, root): the log is read from disk.")
    args = ap.parse_args(argv)
    OUT.mkdir(exist_ok=True)
    db = args.db or OUT / f"report-{args.decisions}.db"
    if args.fresh or not db.exists():
        generate_log(db, args.decisions)
    conn = sqlite3.connect(str(db))
    size = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("decisions", "events", "overrides")}
    refs = conn.execute("SELECT count(DISTINCT reference) FROM decisions").fetchone()[0]
    conn.close()
    sys.path.insert(0, str(BENCH))
    from bench_assess import calibration_ms  # the same machine-speed yardstick as the other benchmark

    before = calibration_ms(sys.executable)
    rows = []
    for basis in ("received", "resolved"):
        runs = [measured(args.cold, time_build, db, basis) for _ in range(args.runs)]
        med = {k: statistics.median(r[k] for r in runs) for k in ("setup", "build", "render", "total")}
        rows.append((f"`report.build` + render, basis {basis}", med, runs[0]["representations"]))
    cli_html = statistics.median(measured(args.cold, time_cli, db, "html", OUT / "report.html") for _ in range(args.runs))
    cli_csv = statistics.median(measured(args.cold, time_cli, db, "csv", OUT / "report-csv") for _ in range(args.runs))
    print(f"Log: {size['decisions']:,} decisions ({refs:,} references), {size['events']:,} events, "
          f"{size['overrides']:,} overrides; {db.stat().st_size / 1e9:.2f} GB. "
          f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}.\n")
    print("| what (median of %d runs%s) | import + open | build (SQL) | render 4 formats | total | target < %.0f s |"
          % (args.runs, ", page cache emptied before each" if args.cold else "", TARGET_S))
    print("|---|---:|---:|---:|---:|---|")
    for label, med, _ in rows:
        print(f"| {label} | {med['setup']:.2f} s | {med['build']:.2f} s | {med['render']:.2f} s | "
              f"{med['total']:.2f} s | {'met' if med['total'] < TARGET_S else 'MISSED'} |")
    for label, value in (("`triage report --format html` (whole command)", cli_html),
                         ("`triage report --format csv` (whole command)", cli_csv)):
        print(f"| {label} | | | | {value:.2f} s | {'met' if value < TARGET_S else 'MISSED'} |")
    print(f"\nMachine speed yardstick (bench_assess.calibration_ms; lower is faster): {before:.0f} ms before, "
          f"{calibration_ms(sys.executable):.0f} ms after.")
    print(f"\nTotal representations counted (received basis, 2024/25, 2023/24, 2022/23): {rows[0][2]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
