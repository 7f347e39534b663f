"""Benchmark `triage report`: the annual report over a log of 1,000,000 decisions.

    python bench/bench_report.py [--decisions 1000000] [--runs 3] [--db bench/out/report-1m.db] [--fresh] [--cold]
                                 [--rev REV] [--skip-cli]

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
    command. Median wall times, and the CPU time (user + system) of each run's processes (the
    worker process included), are printed as a Markdown table.
(c) ``--rev REV``: a committed revision (``git archive REV`` unpacked under bench/out/, put
    first on PYTHONPATH) is measured on the same log, each of its runs interleaved with one of
    the work tree's, so that both meet the same moment of a shared machine; the full JSON of
    the two reports is compared on both bases, and any difference is reported (exit 1).

Target (issue 17, 2-core machine): the report under 5 s warm, on either basis. A missed target
is reported, not asserted.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import resource
import shutil
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
TARGET_S = 5.0
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
if len(sys.argv) > 4:  # where to keep the report's JSON, to compare two revisions
    with open(sys.argv[4], "w") as f:
        json.dump(r, f, sort_keys=True, indent=1)
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


def _cpu() -> float:
    """CPU seconds (user + system) of the child processes waited for so far (their own
    children, such as the report's worker process, included)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _env(root: Path | None) -> dict[str, str]:
    """The environment of a measured process: ``root``'s src first on PYTHONPATH when measuring
    a snapshot of another revision."""
    env = dict(os.environ)
    if root is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(root / "src"), *filter(None, [env.get("PYTHONPATH")])])
    return env


def _open(db: Path, root: Path | None) -> list[str]:
    """Open the log with a revision's ``DecisionLog`` (which adds what its schema lacks); return
    the names of the code tables' indexes that revision makes."""
    code = ("import json, sys\nfrom triage.log import codes\nfrom triage.log.store import DecisionLog\n"
            "DecisionLog(sys.argv[1]).close()\nprint(json.dumps(sorted(getattr(codes, 'INDEXES', {}))))")
    out = subprocess.run([sys.executable, "-c", code, str(db)], capture_output=True, text=True, check=True,
                         env=_env(root))
    return list(json.loads(out.stdout))


def log_for_revision(db: Path, root: Path) -> Path:
    """The log as the revision at ``root`` would have it: a copy of ``db`` (made once; --fresh
    makes it again) without the indexes the work tree adds to the code tables, so that neither
    the revision's figures nor its report benefit from them."""
    copy = db.with_name(f"{db.stem}-rev{db.suffix}")
    if not copy.exists():
        _open(db, None)  # checkpointed and closed, so the file alone is the whole log
        tmp = copy.with_suffix(".tmp")
        shutil.copyfile(db, tmp)
        tmp.replace(copy)
    extra = set(_open(db, None)) - set(_open(copy, root))
    if extra:
        conn = sqlite3.connect(str(copy))
        for name in sorted(extra):
            conn.execute(f"DROP INDEX IF EXISTS {name}")
        conn.commit()
        conn.close()
    return copy


def time_build(db: Path, basis: str, root: Path | None = None, keep: Path | None = None) -> dict[str, Any]:
    cpu = _cpu()
    out = subprocess.run([sys.executable, "-c", _TIMED, str(db), str((root or REPO) / "rules"), basis,
                          *([str(keep)] if keep else [])], capture_output=True, text=True, check=True, env=_env(root))
    return {**json.loads(out.stdout.strip().splitlines()[-1]), "cpu": _cpu() - cpu}


_CLI = r"""
import sys
from triage import cli
from triage.cli import report as cli_report
if "report" not in cli.cli.commands:  # until cli.py registers it
    cli_report.register(cli.cli)
cli.main(sys.argv[1:])
"""


def time_cli(db: Path, fmt: str, out: Path, root: Path | None = None) -> dict[str, float]:
    t0, cpu = time.perf_counter(), _cpu()
    subprocess.run([sys.executable, "-c", _CLI, "--db", str(db), "report", "--year", "2024-25", "--format", fmt,
                    "--out", str(out)], check=True, capture_output=True, env=_env(root))
    return {"total": time.perf_counter() - t0, "cpu": _cpu() - cpu}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--decisions", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--db", type=Path, default=None)
    ap.add_argument("--fresh", action="store_true", help="Generate the log even when one is there.")
    ap.add_argument("--cold", action="store_true",
                    help="Empty the OS page cache before every run (Linux, root): the log is read from disk.")
    ap.add_argument("--rev", help="Also measure this committed revision (git archive under bench/out/), "
                                  "interleaved with the work tree, and compare the two reports' JSON.")
    ap.add_argument("--skip-cli", action="store_true", help="Do not time the `triage report` command.")
    args = ap.parse_args(argv)
    OUT.mkdir(exist_ok=True)
    db = args.db or OUT / f"report-{args.decisions}.db"
    if args.fresh or not db.exists():
        generate_log(db, args.decisions)
        db.with_name(f"{db.stem}-rev{db.suffix}").unlink(missing_ok=True)
    conn = sqlite3.connect(str(db))
    size = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("decisions", "events", "overrides")}
    refs = conn.execute("SELECT count(DISTINCT reference) FROM decisions").fetchone()[0]
    conn.close()
    sys.path.insert(0, str(BENCH))
    from bench_assess import calibration_ms, load_average, snapshot  # the same yardstick as the other benchmark

    # (label, snapshot root or None for the work tree); with --rev, the revision's run comes
    # first in each pair, then the work tree's
    revisions: list[tuple[str, Path | None]] = []
    logs: dict[str, Path] = {}
    if args.rev:
        root, commit = snapshot(args.rev, OUT)
        revisions.append((commit, root))
        logs[commit] = log_for_revision(db, root)
    revisions.append(("work tree" if args.rev else "", None))
    _open(db, None)  # a schema change of the work tree (an index) is made now, not in a timed run
    load = load_average()
    before = calibration_ms(sys.executable)
    rows = []
    differ = []
    for basis in ("received", "resolved"):
        runs: dict[str, list[dict[str, Any]]] = {label: [] for label, _ in revisions}
        for n in range(args.runs):
            for label, root in revisions:
                keep = OUT / f"report-{basis}-{'rev' if root else 'tree'}.json" if n == 0 else None
                runs[label].append(measured(args.cold, time_build, logs.get(label, db), basis, root, keep))
        if args.rev:
            a, b = (OUT / f"report-{basis}-{w}.json" for w in ("rev", "tree"))
            if a.read_text() != b.read_text():
                differ.append(basis)
        for label, _ in revisions:
            med = {k: statistics.median(r[k] for r in runs[label]) for k in ("setup", "build", "render", "total", "cpu")}
            rows.append((f"`report.build` + render, basis {basis}" + (f" ({label})" if label else ""), med,
                         runs[label][0]["representations"]))
    cli_rows = []
    if not args.skip_cli:
        for fmt, dest in (("html", OUT / "report.html"), ("csv", OUT / "report-csv")):
            runs = {label: [] for label, _ in revisions}
            for _ in range(args.runs):
                for label, root in revisions:
                    runs[label].append(measured(args.cold, time_cli, logs.get(label, db), fmt, dest, root))
            for label, _ in revisions:
                med = {k: statistics.median(r[k] for r in runs[label]) for k in ("total", "cpu")}
                cli_rows.append((f"`triage report --format {fmt}` (whole command)" + (f" ({label})" if label else ""),
                                 med))
    print(f"Log: {size['decisions']:,} decisions ({refs:,} references), {size['events']:,} events, "
          f"{size['overrides']:,} overrides; {db.stat().st_size / 1e9:.2f} GB. "
          f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}; load {load}.\n")
    print("| what (median of %d runs%s) | import + open | build (SQL) | render 4 formats | total (wall) | CPU | "
          "target < %.0f s |" % (args.runs, ", page cache emptied before each" if args.cold else "", TARGET_S))
    print("|---|---:|---:|---:|---:|---:|---|")
    for label, med, _ in rows:
        print(f"| {label} | {med['setup']:.2f} s | {med['build']:.2f} s | {med['render']:.2f} s | "
              f"{med['total']:.2f} s | {med['cpu']:.2f} s | {'met' if med['total'] < TARGET_S else 'MISSED'} |")
    for label, med in cli_rows:
        print(f"| {label} | | | | {med['total']:.2f} s | {med['cpu']:.2f} s | "
              f"{'met' if med['total'] < TARGET_S else 'MISSED'} |")
    print(f"\nMachine speed yardstick (bench_assess.calibration_ms; lower is faster): {before:.0f} ms before, "
          f"{calibration_ms(sys.executable):.0f} ms after.")
    print(f"\nTotal representations counted (received basis, 2024/25, 2023/24, 2022/23): {rows[0][2]}")
    if args.rev:
        if differ:
            print(f"\nThe reports' JSON DIFFER on the {' and '.join(differ)} basis: compare "
                  f"{OUT}/report-BASIS-rev.json with {OUT}/report-BASIS-tree.json.")
            return 1
        print(f"\nThe reports' JSON are identical on both bases ({revisions[0][0]} and the work tree).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
