"""Shared fixtures: the project's rules, a valid case, a fresh log, and a CLI runner."""

from __future__ import annotations

import copy
import io
import json
import os
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pytest

# Tests keep triage's caches (bank holidays, validated rulesets) out of the user's home.
os.environ.setdefault("TRIAGE_CACHE", tempfile.mkdtemp(prefix="triage-test-cache-"))
# ... and the key that signs test logs out of ~/.config (created on the first write).
os.environ.setdefault("TRIAGE_LOG_KEY_FILE", str(Path(tempfile.mkdtemp(prefix="triage-test-key-")) / "log.key"))

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules"
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="session")
def rules() -> Any:
    from triage.rules.ruleset import load_rules

    return load_rules(RULES)


@pytest.fixture
def case() -> dict[str, Any]:
    """A valid statutory complaint from a parent (CONTRACT section 1), fresh per test."""
    return copy.deepcopy(json.loads((EXAMPLES / "statutory-parent.json").read_text()))


def copy_rules(target: Path) -> Path:
    """A copy of the shipped rules (and the templates beside them) under ``target``; returns its rules/."""
    import shutil

    shutil.copytree(RULES, target / "rules")
    shutil.copytree(RULES.parent / "templates", target / "templates")
    return target / "rules"


def edit(path: Path, old: str, new: str) -> None:
    """Replace the first ``old`` in the file at ``path`` (which must hold it) with ``new``."""
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def case_with(**changes: Any) -> dict[str, Any]:
    """The statutory-parent example with nested fields changed: ``about__function="sen"``."""
    base = copy.deepcopy(json.loads((EXAMPLES / "statutory-parent.json").read_text()))
    for path, value in changes.items():
        node = base
        *parents, last = path.split("__")
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = value
    return base


def in_threads(work: Callable[[], None], n: int) -> list[BaseException]:
    """Run ``work`` in ``n`` threads at once; return what any of them raised."""
    errors: list[BaseException] = []

    def guarded() -> None:
        try:
            work()
        except BaseException as exc:  # noqa: BLE001 - returned to the test
            errors.append(exc)

    threads = [threading.Thread(target=guarded) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "log.db"


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, db: Path) -> Any:
    """Run the `triage` CLI in-process with --db and --rules set; returns exit code and output."""
    from triage.cli import main

    def _run(*args: str, stdin: bytes | None = None, use_db: bool = True) -> Result:
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
        argv = ([f"--db={db}"] if use_db else []) + [f"--rules={RULES}", *args]
        code = 0
        try:
            main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return _run


def log_rows(path: Path) -> int:
    """How many decisions the log at ``path`` holds (0 when it does not exist)."""
    import sqlite3

    if not path.exists():
        return 0
    conn = sqlite3.connect(path)
    try:
        tables = {r[0] for r in conn.execute("select name from sqlite_master where type='table'")}
        return conn.execute("select count(*) from decisions").fetchone()[0] if "decisions" in tables else 0
    finally:
        conn.close()
