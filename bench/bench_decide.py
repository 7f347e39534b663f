"""Benchmark deciding in process, and `triage rules verify`, against a baseline revision.

    python bench/bench_decide.py [--baseline REV] [--cases 10000] [--verify-cases 5000] [--rounds 3]

Run it with the project's virtualenv Python.

Two source trees are measured side by side, in alternating rounds of fresh processes: the
baseline revision (``git archive``-ed under bench/out/rev-<rev>/) and the work tree. In each
round, for each tree, one process:

(a) decides the --cases generated representations of bench/generate.py (seed 2025) once each
    with ``Decider.decide`` (validated beforehand, not timed), a fresh ``Decider`` for the pass,
    so the work tree's memory of phase answers starts empty as it does in a new process; where
    the tree has that memory, a second pass with it turned off (``memo=0``: every phase asked of
    durable-rules) is timed too;
(b) runs ``Verifier.run(--verify-cases, seed 0)``, the work of ``triage rules verify --jobs 1``,
    and where the tree has worker processes, the same with as many as the CPUs available to
    the process, which is what ``triage rules verify`` does by default.

Figures are the median over rounds of cases per second, wall time and CPU time (of the process
and, for worker processes, theirs too: CPU time moves less when other work shares the machine). A yardstick (a fixed pure-Python
loop, best of 5) is timed at the start of every round. Results go to bench/out/decide.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
OUT = BENCH / "out"

WORKER = r"""
import json, sys, time
sys.path.insert(0, sys.argv[2])
from datetime import datetime, timezone
from pathlib import Path
from generate import DEFAULT_TAXONOMY, Generator, Taxonomy
from triage.contract.validation import parse_representation
from triage.rules.decider import Decider
from triage.rules.ruleset import load_rules
from triage.rules.verify import Verifier

rules = load_rules(Path(sys.argv[1]))
cases, _ = Generator(Taxonomy(DEFAULT_TAXONOMY), 2025).generate(int(sys.argv[3]))
reps = [parse_representation(c, rules) for c in cases]
now = datetime(2026, 1, 1, tzinfo=timezone.utc)
out = {}

def timed(label, decider):
    wall, cpu = time.perf_counter(), time.process_time()
    for rep in reps:
        decider.decide(rep, "BENCH", now)
    out[label] = {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu, "n": len(reps)}

Decider(rules).decide(reps[0], "BENCH", now)  # compile the rules outside the timing
timed("decide", Decider(rules))
if hasattr(Decider(rules).engine, "memo"):
    plain = Decider(rules)
    plain.engine.memo = 0
    timed("decide_no_memo", plain)
import inspect, resource
def children_cpu():
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime

def verify(label, **options):
    verifier = Verifier(rules)
    wall, cpu, kids = time.perf_counter(), time.process_time(), children_cpu()
    report = verifier.run(int(sys.argv[4]), 0, **options)
    out[label] = {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu + children_cpu() - kids,
                  "n": report.cases, "findings": len(report.findings), "jobs": getattr(report, "jobs", 1)}

verify("verify")
if "jobs" in inspect.signature(Verifier.run).parameters:  # what `triage rules verify` does by default
    from triage.rules.workers import available_cpus
    verify("verify_jobs", jobs=available_cpus())
print(json.dumps(out))
"""


def yardstick_ms() -> float:
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        total = 0
        for i in range(1_000_000):
            total += i % 7
        best = min(best, time.perf_counter() - start)
    return best * 1000


def snapshot(rev: str) -> tuple[Path, str]:
    commit = subprocess.run(["git", "rev-parse", "--short", rev], cwd=REPO, capture_output=True, text=True,
                            check=True).stdout.strip()
    target = OUT / f"rev-{commit}"
    if not (target / "src").exists():
        target.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "archive", commit], cwd=REPO, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target, commit


def run_worker(tree: Path, cases: int, verify_cases: int) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    proc = subprocess.run([sys.executable, "-c", WORKER, str(tree / "rules"), str(tree / "bench"), str(cases),
                           str(verify_cases)], capture_output=True, text=True, env=env, cwd=tree)
    if proc.returncode != 0:
        raise SystemExit(f"the benchmark failed in {tree}:\n{proc.stderr}")
    return json.loads(proc.stdout.splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", help="git revision to compare with (default: where this branch left main)")
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--verify-cases", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    OUT.mkdir(exist_ok=True)
    if args.baseline is None:
        args.baseline = subprocess.run(["git", "merge-base", "main", "HEAD"], cwd=REPO, capture_output=True,
                                       text=True, check=True).stdout.strip()[:7]
    base, commit = snapshot(args.baseline)
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    dirty = bool(subprocess.run(["git", "status", "--porcelain", "src"], cwd=REPO, capture_output=True,
                                text=True).stdout.strip())
    trees = {f"baseline {args.baseline} ({commit})": base, f"work tree ({head}{' + edits' if dirty else ''})": REPO}
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in trees}
    sticks = []
    for round_ in range(args.rounds):
        sticks.append(yardstick_ms())
        for name, tree in (trees.items() if round_ % 2 == 0 else reversed(trees.items())):
            runs[name].append(run_worker(tree, args.cases, args.verify_cases))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load {load:.1f}; yardstick {min(sticks):.0f}-{max(sticks):.0f} ms (median {statistics.median(sticks):.0f})")
    print(f"{args.rounds} alternating rounds; median cases/s by wall time (by CPU time), and per case\n")
    print("| tree | measure | cases/s (wall) | cases/s (CPU) | µs a case (CPU) |")
    print("|---|---|---:|---:|---:|")
    summary: dict[str, dict[str, Any]] = {}
    for name, results in runs.items():
        for label in ("decide", "decide_no_memo", "verify", "verify_jobs"):
            got = [r[label] for r in results if label in r]
            if not got:
                continue
            wall = statistics.median(g["n"] / g["wall"] for g in got)
            cpu = statistics.median(g["n"] / g["cpu"] for g in got)
            summary.setdefault(name, {})[label] = {"wall_per_s": wall, "cpu_per_s": cpu}
            what = {"decide": "decide()", "decide_no_memo": "decide(), memo off", "verify": "rules verify, 1 process",
                    "verify_jobs": f"rules verify, --jobs {got[0].get('jobs')}"}[label]
            print(f"| {name} | {what} | {wall:,.0f} | {cpu:,.0f} | {1e6 / cpu:,.0f} |")
    findings = {name: [r[label]["findings"] for r in results for label in ("verify", "verify_jobs") if label in r]
                for name, results in runs.items()}
    print(f"\nverify findings per run: {findings}")
    (OUT / "decide.json").write_text(json.dumps({"yardstick_ms": sticks, "load": load, "runs": runs,
                                                 "summary": summary}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
