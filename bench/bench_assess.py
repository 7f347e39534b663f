"""Benchmark `triage assess`: cold-start latency of one case, and batch throughput with logging.

    python bench/bench_assess.py [--runs 30] [--cases 10000] [--batch-runs 3] [--rev REV]

Run it with the project's virtualenv Python (the `triage` beside it is the command measured).
By default it measures the code in this checkout (the editable install). ``--rev REV`` measures
a committed revision instead: `git archive REV` is unpacked under bench/out/ and put first on
PYTHONPATH (rules, examples and taxonomy come from it too), so a half-edited work tree does not
skew the figures and two revisions can be compared.

(a) Cold start: `triage --db DB assess CASE.json --json` as a fresh process each time (the way
    an officer's script or the eForm backend calls it), CASE being examples/statutory-parent.json
    under a new reference each run (a new case, not a re-import), into one shared log that grows
    run by run, as a real log does; `triage --version` (the CLI's import floor) and
    `python -c pass` (the interpreter's floor) are timed in the same loop, interleaved, so the
    ratio is fair. Median and p90 of --runs runs after --warmup warm-ups.
(b) Batch: `triage --db DB assess --batch cases.jsonl` on --cases generated representations
    (bench/generate.py, fixed seed) into a fresh log each run; wall time and cases/second. CPU
    time is that of triage and every process it started and waited for (the batch's deciding
    processes included), so it is the whole cost of the batch.
    Afterwards the log must hold exactly --cases rows (counted with sqlite3) and every result
    line must be ok.
(c) A Markdown table of the figures and the machine, and whether each target is met.

Targets (2-core machine): cold assess median <= 150 ms and <= 12x `python -c pass`; batch >= 3,000
cases/s, logged (issue 17). ``--baseline REV`` times a baseline revision in the same sitting:
its cold runs in the same loop, its batch runs in turn with the work tree's.
A missed target is reported, not asserted: the exit status is 0. It is 1 only when a measured
command failed (an error exit, a crash, a result or row count that is wrong), because then
there is no figure to report. Scratch files go to bench/out/ (gitignored).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tarfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent

COLD_TARGET_MS = 150.0
COLD_RATIO_TARGET = 12.0  # x `python -c pass`
BATCH_TARGET_PER_S = 3000.0


class BenchFailure(Exception):
    """A measured command did not do its job: no figure can be reported for it."""


# ----------------------------------------------------------------------------- helpers

def percentile(values: list[float], p: float) -> float:
    """The p-th percentile with linear interpolation (p in 0..100)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    if len(ordered) == 1:
        return ordered[0]
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str], **kwargs: Any) -> tuple[float, float, subprocess.CompletedProcess[bytes]]:
    """Wall seconds, CPU seconds (user + system of the child) and the finished process.

    CPU time is the steadier figure on a shared machine: another process's load stretches the
    wall time but hardly the CPU time a run needs."""
    cpu = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.run(cmd, **kwargs)
    return time.perf_counter() - start, _children_cpu() - cpu, proc


def calibration_ms(python: str) -> float:
    """Best of 5 timings of a fixed pure-Python loop in a child process: a yardstick for how
    fast this machine is at the moment (a shared VM can vary by half), so that figures taken
    at different times can be compared. Lower is faster."""
    code = ("import time\nbest = 1e9\nfor _ in range(5):\n    t = time.perf_counter()\n    x = 0\n"
            "    for i in range(2_000_000):\n        x += i * i\n    best = min(best, time.perf_counter() - t)\n"
            "print(best * 1000)")
    out = subprocess.run([python, "-c", code], capture_output=True, text=True)
    return float(out.stdout.strip()) if out.returncode == 0 else float("nan")


def load_average() -> float | None:
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def describe_failure(what: str, proc: subprocess.CompletedProcess[Any]) -> str:
    rc = proc.returncode
    signal = f" (killed by signal {-rc})" if rc < 0 else ""
    err = proc.stderr.decode(errors="replace") if isinstance(proc.stderr, bytes) else (proc.stderr or "")
    tail = "\n    ".join(err.strip().splitlines()[-5:])
    return f"{what} exited {rc}{signal}" + (f":\n    {tail}" if tail else "")


def remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def count_rows(db: Path) -> tuple[int, str]:
    """Rows in the decision log, counted with the sqlite3 command (else Python's sqlite3)."""
    query = "SELECT count(*) FROM decisions"
    if shutil.which("sqlite3"):
        out = subprocess.run(["sqlite3", str(db), query], capture_output=True, text=True)
        if out.returncode == 0:
            return int(out.stdout.strip()), "sqlite3 CLI"
    with sqlite3.connect(str(db)) as conn:
        return int(conn.execute(query).fetchone()[0]), "python sqlite3"


def snapshot(rev: str, out: Path) -> tuple[Path, str]:
    """Unpack `git archive REV` under ``out`` (read-only for the repository); return it and its commit."""
    git = shutil.which("git")
    if not git:
        raise SystemExit("--rev needs git")
    sha = subprocess.run([git, "-C", str(REPO), "rev-parse", "--verify", f"{rev}^{{commit}}"],
                         capture_output=True, text=True)
    if sha.returncode != 0:
        raise SystemExit(f"--rev {rev}: not a commit ({sha.stderr.strip()})")
    commit = sha.stdout.strip()
    dest = out / f"rev-{commit[:12]}"
    if not (dest / "src").is_dir():
        shutil.rmtree(dest, ignore_errors=True)
        dest.mkdir(parents=True)
        proc = subprocess.Popen([git, "-C", str(REPO), "archive", "--format=tar", commit], stdout=subprocess.PIPE)
        assert proc.stdout is not None
        with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
            tar.extractall(dest, filter="data")
        if proc.wait() != 0:
            raise SystemExit(f"git archive {commit} failed")
    return dest, commit[:7]


# ----------------------------------------------------------------------------- machine

def machine_facts(python: str, env: dict[str, str], commit: str | None) -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    except OSError:
        pass
    probe = (
        "import json, sys, sqlite3, importlib.metadata as m\n"
        "import triage\n"
        "print(json.dumps({'python': sys.version.split()[0], 'implementation': sys.implementation.name,\n"
        " 'durable_rules': m.version('durable_rules'), 'pydantic': m.version('pydantic'),\n"
        " 'sqlite': sqlite3.sqlite_version, 'triage': getattr(triage, '__version__', '?'),\n"
        " 'triage_from': str(triage.__file__)}))"
    )
    out = subprocess.run([python, "-c", probe], capture_output=True, text=True, env=env)
    versions = json.loads(out.stdout) if out.returncode == 0 else {"error": out.stderr.strip()[-300:]}
    git = shutil.which("git")
    if commit is not None:
        commit += " (snapshot via --rev)"
    elif git:  # read-only queries
        rev = subprocess.run([git, "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        if rev.returncode == 0:
            dirty = subprocess.run([git, "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
                                   capture_output=True, text=True).stdout.strip()
            commit = rev.stdout.strip() + (" (work tree with uncommitted changes)" if dirty else "")
    else:
        commit = "unknown"
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    rules = env.get("TRIAGE_RULES")
    return {"rules_env": rules, "cache_env": env.get("TRIAGE_CACHE"), "cpu": cpu, "cores": os.cpu_count(), "usable_cores": usable, "memory": mem,
            "os": f"{platform.system()} {platform.release()}", "commit": commit,
            "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), **versions}


# ----------------------------------------------------------------------------- (a) cold start

def bench_cold(triage: str, python: str, example: Path, runs: int, warmup: int, out: Path,
               env: dict[str, str], baseline: dict[str, str] | None = None) -> dict[str, Any]:
    """``baseline``: the environment of a baseline revision, timed in the same loop ("assess_baseline")."""
    db, db_base = out / "cold.db", out / "cold-baseline.db"
    remove_db(db)
    remove_db(db_base)
    # Each run assesses a new representation (the example under its own reference), as when
    # a new case arrives: the same input twice is an idempotent re-import, not a new decision.
    case = json.loads(example.read_text(encoding="utf-8"))
    folder = out / "cold-cases"
    folder.mkdir(exist_ok=True)
    files = []
    for i in range(warmup + runs):
        path = folder / f"case-{i:04d}.json"
        path.write_text(json.dumps({**case, "reference": f"CS-BENCH-{i:05d}"}, indent=2), encoding="utf-8")
        files.append(path)
    commands = {
        "assess": [triage, "--db", str(db), "assess", "CASE", "--json"],
        "version": [triage, "--version"],
        "python": [python, "-c", "pass"],
    }
    envs = {name: env for name in commands}
    if baseline is not None:
        commands["assess_baseline"] = [triage, "--db", str(db_base), "assess", "CASE", "--json"]
        envs["assess_baseline"] = baseline
    times: dict[str, list[float]] = {name: [] for name in commands}
    cpus: dict[str, list[float]] = {name: [] for name in commands}
    for i in range(warmup + runs):
        for name, cmd in commands.items():  # interleaved: drift hits all three alike
            cmd = [str(files[i]) if part == "CASE" else part for part in cmd]
            seconds, cpu, proc = timed(cmd, capture_output=True, cwd=out, env=envs[name])
            if proc.returncode != 0:
                raise BenchFailure(describe_failure(" ".join(cmd), proc))
            if name.startswith("assess") and i == 0:
                decision = json.loads(proc.stdout)
                if decision.get("disposition") != "accepted":
                    raise BenchFailure(f"the example was not accepted: {decision.get('disposition')}")
            if i >= warmup:
                times[name].append(seconds * 1000)
                cpus[name].append(cpu * 1000)
    rows, how = count_rows(db)
    if rows != warmup + runs:
        raise BenchFailure(f"cold-start log has {rows} rows, expected {warmup + runs}")
    stats: dict[str, Any] = {
        name: {"median_ms": statistics.median(v), "p90_ms": percentile(v, 90), "min_ms": min(v), "max_ms": max(v),
               "cpu_median_ms": statistics.median(cpus[name]), "cpu_p90_ms": percentile(cpus[name], 90)}
        for name, v in times.items()}
    stats["ratio_median"] = stats["assess"]["median_ms"] / stats["python"]["median_ms"]
    stats["ratio_p90"] = stats["assess"]["p90_ms"] / stats["python"]["p90_ms"]
    if baseline is not None:
        stats["baseline_ratio_median"] = stats["assess_baseline"]["median_ms"] / stats["python"]["median_ms"]
    stats["runs"], stats["warmup"], stats["log_rows"] = runs, warmup, rows
    return stats


# ----------------------------------------------------------------------------- (b) batch

def generate(python: str, cases: int, seed: int, out: Path, taxonomy: Path) -> Path:
    path = out / f"cases-{cases}-seed{seed}.jsonl"
    proc = subprocess.run([python, str(BENCH / "generate.py"), "--count", str(cases), "--seed", str(seed),
                           "--taxonomy", str(taxonomy), "--out", str(path)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise BenchFailure(describe_failure("bench/generate.py", proc))
    return path


def bench_batches(triage: str, cases_file: Path, cases: int, batch_runs: int, out: Path,
                  env: dict[str, str], baseline: dict[str, str] | None) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The batch, and the baseline's batch in turn with it (baseline first in each round)."""
    if baseline is None:
        return bench_batch(triage, cases_file, cases, batch_runs, out, env), None
    runs: dict[str, list[dict[str, Any]]] = {"work": [], "baseline": []}
    for _ in range(batch_runs):
        runs["baseline"].append(bench_batch(triage, cases_file, cases, 1, out, baseline))
        runs["work"].append(bench_batch(triage, cases_file, cases, 1, out, env))
    return _merged(runs["work"]), _merged(runs["baseline"])


def _merged(single: list[dict[str, Any]]) -> dict[str, Any]:
    walls = [r["wall_s"] for r in single]
    cpus = [r["cpu_s"] for r in single]
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    cases = single[0]["cases"]
    return {**single[-1], "runs": len(single), "wall_s": wall, "wall_all_s": walls, "per_s": cases / wall,
            "per_s_best": cases / min(walls), "cpu_s": cpu, "per_cpu_s": cases / cpu, "ms_per_case": wall * 1000 / cases}


def bench_batch(triage: str, cases_file: Path, cases: int, batch_runs: int, out: Path,
                env: dict[str, str]) -> dict[str, Any]:
    walls: list[float] = []
    cpus: list[float] = []
    rows = 0
    how = ""
    for run in range(batch_runs):
        db = out / "batch.db"
        remove_db(db)
        results = out / "batch-results.jsonl"
        with open(results, "wb") as stdout:
            seconds, cpu, proc = timed([triage, "--db", str(db), "assess", "--batch", str(cases_file)],
                                  stdout=stdout, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, cwd=out, env=env)
        if proc.returncode != 0:
            raise BenchFailure(describe_failure(f"triage assess --batch (run {run + 1})", proc))
        ok = failed = 0
        with open(results, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    if json.loads(line)["ok"]:
                        ok += 1
                    else:
                        failed += 1
        if ok != cases or failed:
            raise BenchFailure(f"batch run {run + 1}: {ok} ok and {failed} failed results, expected {cases} ok")
        rows, how = count_rows(db)
        if rows != cases:
            raise BenchFailure(f"batch run {run + 1}: the log has {rows} rows, expected {cases}")
        walls.append(seconds)
        cpus.append(cpu)
    wall = statistics.median(walls)
    return {"cases": cases, "runs": batch_runs, "wall_s": wall, "wall_all_s": walls,
            "per_s": cases / wall, "per_s_best": cases / min(walls),
            "cpu_s": statistics.median(cpus), "per_cpu_s": cases / statistics.median(cpus), "ms_per_case": wall * 1000 / cases,
            "log_rows": rows, "counted_with": how, "db_bytes": (out / "batch.db").stat().st_size,
            "input_bytes": cases_file.stat().st_size}


# ----------------------------------------------------------------------------- (c) report

def verdict(ok: bool) -> str:
    return "**met**" if ok else "**MISSED**"


def report(m: dict[str, Any], cold: dict[str, Any] | None, batch: dict[str, Any] | None,
           errors: list[str]) -> str:
    lines = ["## triage assess benchmark", "",
             f"Machine: {m['cpu']}, {m['cores']} cores ({m['usable_cores']} usable), {m['memory']} RAM, {m['os']}; "
             f"Python {m.get('python', '?')}, durable-rules {m.get('durable_rules', '?')}, "
             f"pydantic {m.get('pydantic', '?')}, SQLite {m.get('sqlite', '?')}; "
             f"triage {m.get('triage', '?')} at commit {m['commit']}; {m['date']}.", "",
             "| measure | median (wall) | p90 (wall) | CPU median (user+sys) | target | result |",
             "|---|---:|---:|---:|---|---|"]
    if cold:
        a, v, p = cold["assess"], cold["version"], cold["python"]
        lines += [
            f"| cold `triage assess example --json` ({cold['runs']} runs, shared log) | {a['median_ms']:.0f} ms | "
            f"{a['p90_ms']:.0f} ms | {a['cpu_median_ms']:.0f} ms | median <= {COLD_TARGET_MS:.0f} ms | "
            f"{verdict(a['median_ms'] <= COLD_TARGET_MS)} |",
            f"| cold `triage --version` (CLI import floor) | {v['median_ms']:.0f} ms | {v['p90_ms']:.0f} ms | "
            f"{v['cpu_median_ms']:.0f} ms | - | - |",
            f"| cold `python -c pass` (interpreter floor) | {p['median_ms']:.0f} ms | {p['p90_ms']:.0f} ms | "
            f"{p['cpu_median_ms']:.0f} ms | - | - |",
            f"| ratio assess / python | {cold['ratio_median']:.1f}x | {cold['ratio_p90']:.1f}x | "
            f"{a['cpu_median_ms'] / p['cpu_median_ms']:.1f}x | <= {COLD_RATIO_TARGET:.0f}x | "
            f"{verdict(cold['ratio_median'] <= COLD_RATIO_TARGET)} |",
        ]
        if "assess_baseline" in cold:
            b = cold["assess_baseline"]
            lines += [
                f"| baseline {m.get('baseline', '?')}: cold assess (same loop) | {b['median_ms']:.0f} ms | "
                f"{b['p90_ms']:.0f} ms | {b['cpu_median_ms']:.0f} ms | - | - |",
                f"| baseline {m.get('baseline', '?')}: ratio assess / python | {cold['baseline_ratio_median']:.1f}x | - | "
                f"{b['cpu_median_ms'] / p['cpu_median_ms']:.1f}x | - | - |",
            ]
    if batch:
        lines += [
            f"| batch `assess --batch` {batch['cases']:,} cases, fresh log (median of {batch['runs']}) | "
            f"{batch['per_s']:,.0f} cases/s ({batch['wall_s']:.2f} s wall, {batch['ms_per_case']:.2f} ms/case) | - | "
            f"{batch['cpu_s']:.2f} s ({batch['per_cpu_s']:,.0f} cases per CPU-second) | "
            f">= {BATCH_TARGET_PER_S:,.0f} cases/s, logged | {verdict(batch['per_s'] >= BATCH_TARGET_PER_S)} |",
        ]
        base = batch.get("baseline")
        if base:
            lines += [
                f"| baseline {m.get('baseline', '?')}: batch, runs in turn with the above | {base['per_s']:,.0f} cases/s "
                f"({base['wall_s']:.2f} s wall, {base['ms_per_case']:.2f} ms/case) | - | {base['cpu_s']:.2f} s "
                f"({base['per_cpu_s']:,.0f} cases per CPU-second) | - | - |",
            ]
    lines.append("")
    if batch:
        lines.append(f"Batch wall times: {', '.join(f'{w:.2f} s' for w in batch['wall_all_s'])}; log rows after the "
                     f"last run: {batch['log_rows']:,} (counted with {batch['counted_with']}); log "
                     f"{batch['db_bytes'] / 1e6:.1f} MB from {batch['input_bytes'] / 1e6:.1f} MB of input.")
    if cold:
        lines.append(f"Cold-start log rows: {cold['log_rows']} (warm-ups included).")
    before, after = m.get("load_before"), m.get("load_after")
    if before is not None and after is not None:
        # The benchmark itself keeps about one core busy, so only the load before it says
        # whether other work shared the machine.
        lines.append(f"1-minute load average before the run {before:.2f}, after it {after:.2f} (the run itself adds "
                     "about 1)" + (": other work was running, so wall times may be inflated; the CPU column is "
                                   "the steadier figure" if before > 1.0 else "."))
    if m.get("calibration_before_ms") is not None and m.get("calibration_after_ms") is not None:
        lines.append(f"Machine speed yardstick (pure-Python loop of 2M steps, best of 5; lower is faster): "
                     f"{m['calibration_before_ms']:.0f} ms before, {m['calibration_after_ms']:.0f} ms after.")
    lines.append(f"triage imported from: {m.get('triage_from', '?')}"
                 + (f"; TRIAGE_RULES={m['rules_env']}" if m.get("rules_env") else "")
                 + (f"; TRIAGE_CACHE={m['cache_env']}" if m.get("cache_env") else ""))
    for e in errors:
        lines += ["", f"FAILED: {e}"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=30, help="cold-start runs measured (default 30)")
    p.add_argument("--warmup", type=int, default=3, help="cold-start warm-up runs, not measured (default 3)")
    p.add_argument("--cases", type=int, default=10_000, help="cases in the batch (default 10000)")
    p.add_argument("--batch-runs", type=int, default=3, help="batch runs, each into a fresh log (default 3)")
    p.add_argument("--seed", type=int, default=2025, help="generator seed (default 2025)")
    p.add_argument("--example", type=Path, help="the case for the cold-start runs "
                                                 "(default: examples/statutory-parent.json)")
    p.add_argument("--baseline", metavar="REV", help="also time this committed revision in the same sitting "
                                                     "(cold runs interleaved, batch runs in turn)")
    p.add_argument("--rev", help="measure this committed revision (git archive under bench/out/) "
                                 "instead of the work tree")
    p.add_argument("--triage", default=str(Path(sys.executable).parent / "triage"),
                   help="the triage command (default: the one beside this Python)")
    p.add_argument("--out", type=Path, default=BENCH / "out", help="scratch folder (default bench/out)")
    p.add_argument("--skip-cold", action="store_true", help="do not measure the cold start")
    p.add_argument("--skip-batch", action="store_true", help="do not measure the batch")
    args = p.parse_args(argv)
    if args.runs < 1 or args.cases < 1 or args.batch_runs < 1 or args.warmup < 0:
        p.error("--runs, --cases and --batch-runs must be at least 1, --warmup at least 0")
    if not Path(args.triage).exists() and not shutil.which(args.triage):
        p.error(f"no triage command at {args.triage}; run with the virtualenv's python or give --triage")
    args.out.mkdir(parents=True, exist_ok=True)
    python = sys.executable
    env = dict(os.environ)
    # An installed package has its bytecode compiled (pip does it); with PYTHONDONTWRITEBYTECODE
    # set, every cold run would compile triage's modules from source again (about 100 ms).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    root, commit = REPO, None
    if args.rev:
        root, commit = snapshot(args.rev, args.out)
        env["PYTHONPATH"] = os.pathsep.join([str(root / "src"), *filter(None, [env.get("PYTHONPATH")])])
    # triage caches computed bank holidays (per `holidays` version); keep the benchmark's cache
    # under bench/out so runs do not depend on the user's ~/.cache. The warm-ups fill it;
    # TRIAGE_CACHE=off measures the uncached start.
    env.setdefault("TRIAGE_CACHE", str(args.out / "cache"))
    baseline_env, base_commit = None, None
    if args.baseline:
        base_root, base_commit = snapshot(args.baseline, args.out)
        baseline_env = {**env, "PYTHONPATH": os.pathsep.join([str(base_root / "src"),
                                                              *filter(None, [os.environ.get("PYTHONPATH")])])}
    example = (args.example or root / "examples" / "statutory-parent.json").resolve()
    taxonomy = Path(env["TRIAGE_RULES"]) / "taxonomy.yaml" if env.get("TRIAGE_RULES") else root / "rules" / "taxonomy.yaml"

    facts = machine_facts(python, env, commit)
    facts["baseline"] = base_commit
    facts["load_before"] = load_average()
    facts["calibration_before_ms"] = calibration_ms(python)
    print(f"machine: {facts['cpu']}, {facts['cores']} cores; Python {facts.get('python')}; "
          f"durable-rules {facts.get('durable_rules')}; triage from {facts.get('triage_from')}", flush=True)
    errors: list[str] = []
    cold = batch = None
    if not args.skip_cold:
        print(f"(a) cold start: {args.warmup} warm-ups + {args.runs} runs of assess, --version and python -c pass ...",
              flush=True)
        try:
            cold = bench_cold(args.triage, python, example, args.runs, args.warmup, args.out, env, baseline_env)
            print(f"    assess median {cold['assess']['median_ms']:.0f} ms, p90 {cold['assess']['p90_ms']:.0f} ms; "
                  f"python median {cold['python']['median_ms']:.0f} ms", flush=True)
        except BenchFailure as exc:
            errors.append(f"cold start: {exc}")
    if not args.skip_batch:
        print(f"(b) batch: generating {args.cases:,} cases, then {args.batch_runs} run(s) into a fresh log ...",
              flush=True)
        try:
            cases_file = generate(python, args.cases, args.seed, args.out, taxonomy)
            batch, base_batch = bench_batches(args.triage, cases_file, args.cases, args.batch_runs, args.out, env,
                                              baseline_env)
            if base_batch is not None:
                batch["baseline"] = base_batch
            print(f"    {batch['per_s']:,.0f} cases/s ({batch['wall_s']:.2f} s wall)", flush=True)
        except BenchFailure as exc:
            errors.append(f"batch: {exc}")

    facts["load_after"] = load_average()
    facts["calibration_after_ms"] = calibration_ms(python)
    text = report(facts, cold, batch, errors)
    print()
    print(text)
    print()
    if cold:
        ok = cold["assess"]["median_ms"] <= COLD_TARGET_MS
        print(f"TARGET cold assess median <= {COLD_TARGET_MS:.0f} ms: {'MET' if ok else 'MISSED'} "
              f"({cold['assess']['median_ms']:.0f} ms)")
    if batch:
        ok = batch["per_s"] >= BATCH_TARGET_PER_S
        print(f"TARGET batch >= {BATCH_TARGET_PER_S:,.0f} cases/s logged: {'MET' if ok else 'MISSED'} "
              f"({batch['per_s']:,.0f} cases/s)")
    results = {"machine": facts, "cold": cold, "batch": batch, "errors": errors,
               "targets": {"cold_median_ms": COLD_TARGET_MS, "batch_per_s": BATCH_TARGET_PER_S}}
    (args.out / "results.json").write_text(json.dumps(results, indent=2))
    (args.out / "results.md").write_text(text + "\n")
    print(f"(figures also in {args.out / 'results.json'} and results.md)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
