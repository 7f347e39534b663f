"""Benchmark the proof and the what-if: `triage rules verify` and `triage rules diff`.

    python bench/bench_rules.py [--cases 200000] [--decisions 100000] [--seed 0] [--jobs N]

Run it with the project's virtualenv Python.

(a) ``rules verify`` on the shipped rules: --cases cases (every pair of values first, then
    seeded random ones), every legal invariant checked on every decision, gaps and overlaps
    found, in --jobs processes (default: the CPUs available, as the command); prints cases per
    second. Target: at least 200,000 cases with no finding.
(b) ``rules diff`` over a log of --decisions decisions, against a copy of the shipped rules whose
    corporate stage 1 counts from receipt (10/20 working days, seed 000 table 2). The log is
    made once (kept under bench/out/) by assessing --decisions representations from
    bench/generate.py with ``triage.assess_batch``, so every logged input and decision is one
    the current rules make. Target: under a minute.

Figures (median of one run each; the machine is named in the output) go in bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
OUT = BENCH / "out"


def bench_verify(cases: int, seed: int, jobs: int | None = None) -> dict[str, float]:
    from triage.rules.ruleset import load_rules
    from triage.rules.verify import Verifier
    from triage.rules.workers import available_cpus

    verifier = Verifier(load_rules(REPO / "rules"))
    report = verifier.run(cases, seed, jobs=jobs or available_cpus())
    print(report.summary() + f" ({report.jobs} processes)")
    return {"cases": report.cases, "seconds": report.seconds, "per_second": report.cases / report.seconds,
            "findings": len(report.findings)}


def corporate_from_receipt(target: Path) -> Path:
    """A copy of the shipped rules (and templates) with corporate stage 1 at 10/20 from receipt."""
    shutil.copytree(REPO / "rules", target / "rules")
    shutil.copytree(REPO / "templates", target / "templates")
    settings = target / "rules" / "settings.yaml"
    text = settings.read_text()
    old = "stage1: {acknowledge: 5, respond: 10, extension: 10, from: acknowledgement,"
    assert old in text
    settings.write_text(text.replace(old, "stage1: {acknowledge: 5, respond: 10, extension: 10, from: receipt,"))
    return target / "rules"


def make_log(db: Path, decisions: int) -> None:
    """--decisions generated representations, assessed and logged by the current rules."""
    import json

    sys.path.insert(0, str(BENCH))
    from generate import DEFAULT_TAXONOMY, Generator, Taxonomy

    import triage
    from triage.log.store import DecisionLog

    cases, _ = Generator(Taxonomy(DEFAULT_TAXONOMY), 2025).generate(decisions)
    tmp = db.with_suffix(".tmp")
    for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        leftover.unlink(missing_ok=True)
    log = DecisionLog(tmp)
    failed = sum(r.decision is None for r in triage.assess_batch((json.dumps(c) for c in cases), db=log))
    log.close()  # the last connection: SQLite folds the write-ahead log into the file
    if failed:
        raise SystemExit(f"{failed} generated cases failed to assess")
    tmp.rename(db)


def bench_diff(decisions: int) -> dict[str, float]:
    from triage.cases.whatif import lines, what_if
    from triage.log.store import DecisionLog
    from triage.rules.ruleset import load_rules

    OUT.mkdir(exist_ok=True)
    db = OUT / f"whatif-{decisions}.db"
    if not db.exists():
        start = time.perf_counter()
        make_log(db, decisions)
        print(f"logged {decisions:,} decisions in {db} in {time.perf_counter() - start:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        other = load_rules(corporate_from_receipt(Path(tmp)))
        start = time.perf_counter()
        result = what_if(DecisionLog(db), load_rules(REPO / "rules"), other)
        seconds = time.perf_counter() - start
    for line in lines(result)[:12]:
        print(line)
    print(f"rules diff: {result.decided:,} references decided again in {seconds:.1f} s")
    return {"decided": result.decided, "seconds": seconds}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--decisions", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", choices=["verify", "diff"])
    parser.add_argument("--jobs", type=int, help="verify's worker processes (default: the CPUs available, as the command)")
    args = parser.parse_args(argv)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    ok = True
    if args.only in (None, "verify"):
        v = bench_verify(args.cases, args.seed, args.jobs)
        print(f"rules verify: {v['cases']:,} cases in {v['seconds']:.1f} s = {v['per_second']:,.0f} cases/s; "
              f"{v['findings']} findings (target: 200,000 cases, none)")
        ok &= v["findings"] == 0
    if args.only in (None, "diff"):
        d = bench_diff(args.decisions)
        print(f"target: under 60 s for {args.decisions:,} decisions: {'met' if d['seconds'] < 60 else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
