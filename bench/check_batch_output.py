"""Check that `triage assess --batch` prints and logs the same as a baseline revision.

    python bench/check_batch_output.py [--rev BASE] [--cases 2000]

A speed change to the batch path must not change a byte of what it prints or logs. This runs
the same input through a baseline revision (default: where this branch left main; `git archive`
unpacked under bench/out/, as bench_assess.py --rev does) and through the work tree, each into a
fresh log, and compares:

- standard output, line by line, byte for byte, except each decision's ``assessed_at``
  (the moment it was decided: the only field that differs between two runs of the same code);
- standard error and the exit status;
- every row of the ``decisions`` table (input hash, stored input, stored decision, coded
  columns; ``assessed_at`` masked the same way) and of the code table ``decision_codes``;
- that both logs verify (`triage log verify`), so the hash chain and signatures hold.

The input is --cases generated representations (bench/generate.py, seed 2025) with, mixed in,
the lines a batch must also get right: an exact repeat of an earlier line (an idempotent
re-import: the logged decision comes back), a case without a reference (one is assigned), a
blank line, invalid JSON, a JSON value that is not an object, a field that fails validation,
and a line that is not UTF-8. Exits 1 on any difference, 0 when the outputs are the same.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))

from bench_assess import remove_db, snapshot  # noqa: E402

STAMP = re.compile(rb'"assessed_at": "\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"')
STAMP_TEXT = re.compile(r'"assessed_at": ?"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"')
MASK = b'"assessed_at": "-"'


def merge_base() -> str:
    out = subprocess.run(["git", "-C", str(REPO), "merge-base", "HEAD", "main"], capture_output=True, text=True)
    return out.stdout.strip() or "HEAD"


def build_input(cases: Path, out: Path) -> Path:
    """The generated cases with the awkward lines mixed in (see the module docstring)."""
    lines = cases.read_bytes().splitlines()
    unreferenced = json.loads(lines[3])
    unreferenced.pop("reference")
    bad_field = json.loads(lines[5])
    bad_field["received_date"] = "2024-02-30"
    extra = [
        (10, lines[2]),                                     # an exact repeat: idempotent
        (20, json.dumps(unreferenced).encode()),            # no reference: one is assigned
        (30, b""),                                          # blank: skipped
        (40, b"{not json"),                                 # invalid JSON
        (50, b"[1, 2, 3]"),                                 # not an object
        (60, json.dumps(bad_field).encode()),               # fails validation
        (70, b'{"reference": "X-1", "summary": "\xff\xfe"}'),  # not UTF-8
        (80, json.dumps({**json.loads(lines[7]), "colour": "red"}).encode()),  # unknown field
    ]
    for at, line in sorted(extra, reverse=True):
        lines.insert(min(at, len(lines)), line)
    path = out / "check-input.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def run(triage_python: str, src: Path | None, batch: Path, db: Path, env: dict[str, str]) -> tuple[int, bytes, bytes]:
    remove_db(db)
    run_env = dict(env)
    if src is not None:
        run_env["PYTHONPATH"] = str(src)
    proc = subprocess.run([triage_python, "-m", "triage", "--db", str(db), "assess", "--batch", str(batch)],
                          capture_output=True, env=run_env, stdin=subprocess.DEVNULL)
    return proc.returncode, proc.stdout, proc.stderr


def log_rows(db: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(str(db)) as conn:
        decisions = [tuple(STAMP_TEXT.sub('"assessed_at":"-"', v) if isinstance(v, str) else v for v in row)
                     for row in conn.execute("SELECT seq, reference, received_date, representation_type, procedure, "
                                             "disposition, reason, stage, ruleset, input_hash, representation, "
                                             "decision FROM decisions ORDER BY seq")]
        codes = conn.execute("SELECT * FROM decision_codes ORDER BY seq").fetchall()
        chain = conn.execute("SELECT chain_seq, tbl, row_seq FROM chain ORDER BY chain_seq").fetchall()
    return [("decision", *r) for r in decisions] + [("code", *r) for r in codes] + [("chain", *r) for r in chain]


def verify(python: str, src: Path | None, db: Path, env: dict[str, str]) -> str:
    run_env = dict(env)
    if src is not None:
        run_env["PYTHONPATH"] = str(src)
    proc = subprocess.run([python, "-m", "triage", "--db", str(db), "log", "verify"], capture_output=True,
                          text=True, env=run_env)
    return "" if proc.returncode == 0 else (proc.stdout + proc.stderr).strip()[-400:]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rev", default=None, help="baseline revision (default: the merge base with main)")
    p.add_argument("--cases", type=int, default=2000, help="generated cases (default 2000)")
    p.add_argument("--out", type=Path, default=BENCH / "out", help="scratch directory (default bench/out)")
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    python = sys.executable
    env = dict(os.environ)
    env.setdefault("TRIAGE_CACHE", str(args.out / "cache"))
    base, commit = snapshot(args.rev or merge_base(), args.out)
    generated = args.out / f"check-cases-{args.cases}.jsonl"
    subprocess.run([python, str(BENCH / "generate.py"), "--count", str(args.cases), "--out", str(generated)],
                   check=True, capture_output=True)
    batch = build_input(generated, args.out)
    results = {}
    for name, src in (("baseline", base / "src"), ("work tree", REPO / "src")):
        db = args.out / f"check-{name.replace(' ', '-')}.db"
        rc, out, err = run(python, src, batch, db, env)
        results[name] = (rc, out, err, log_rows(db), verify(python, src, db, env))
    (rc0, out0, err0, rows0, ver0), (rc1, out1, err1, rows1, ver1) = results["baseline"], results["work tree"]
    problems = []
    if rc0 != rc1:
        problems.append(f"exit status {rc0} (baseline) against {rc1}")
    if err0 != err1:
        problems.append(f"standard error differs: {err0[-300:]!r} against {err1[-300:]!r}")
    lines0, lines1 = STAMP.sub(MASK, out0).splitlines(), STAMP.sub(MASK, out1).splitlines()
    if len(lines0) != len(lines1):
        problems.append(f"{len(lines0)} output lines (baseline) against {len(lines1)}")
    differing = [i for i, (a, b) in enumerate(zip(lines0, lines1), 1) if a != b]
    if differing:
        i = differing[0]
        problems.append(f"{len(differing)} output lines differ, the first line {i}:\n  {lines0[i - 1][:300]!r}\n"
                        f"  {lines1[i - 1][:300]!r}")
    if rows0 != rows1:
        first = next((i for i, (a, b) in enumerate(zip(rows0, rows1)) if a != b), min(len(rows0), len(rows1)))
        problems.append(f"the logs differ ({len(rows0)} rows against {len(rows1)}), first at row {first}")
    for name, problem in (("baseline", ver0), ("work tree", ver1)):
        if problem:
            problems.append(f"the {name} log does not verify: {problem}")
    stamps = len(STAMP.findall(out1))
    print(f"baseline {commit}, work tree {REPO}: {len(lines1)} output lines ({stamps} decisions, assessed_at masked), "
          f"{len(rows1)} log rows compared, exit status {rc1}")
    for problem in problems:
        print(f"DIFFERENT: {problem}")
    if not problems:
        print("SAME: output, standard error, exit status and log rows are identical")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
