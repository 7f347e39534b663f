"""The docs stand alone: the reference covers the vocabulary, the settings reference is what
the code generates, and nothing shipped or printed points outside the project."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT

from triage.contract import vocab

# "DOMAIN 3a.N" is not here: it cites the settled hard cases, which docs/hard-cases.md holds.
OUTSIDE = re.compile(r"\.\./shared|CONTRACT(\.md)? sections?|DOMAIN(\.md)? sections?|DURABLE\.md|"
                     r"CONTRACT\.md|DOMAIN\.md")
ELSEWHERE: set[str] = set()
SEED = re.compile(r"seed (table )?\d")


def _shipped_files() -> list[Path]:
    roots = ["src/triage", "templates", "rules", "docs", "deploy", "examples"]
    files = [p for r in roots for p in (ROOT / r).rglob("*") if p.is_file() and "__pycache__" not in p.parts
             and not p.is_symlink() and "shipped" not in p.relative_to(ROOT).parts]
    files += [ROOT / "README.md", ROOT / "CHANGELOG.md", ROOT / "pyproject.toml", ROOT / "cli.py"]
    return [p for p in files if str(p.relative_to(ROOT)) not in ELSEWHERE
            and not str(p.relative_to(ROOT)).startswith("rules/scenarios/")]


def test_nothing_shipped_points_outside_the_project() -> None:
    """No shipped file, doc or message cites the design notes or links out of the checkout."""
    found = [f"{p.relative_to(ROOT)}:{i}: {line.strip()}" for p in _shipped_files()
             for i, line in enumerate(p.read_text(errors="replace").splitlines(), 1) if OUTSIDE.search(line)]
    assert found == []


def _commands(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    import click

    out = [prefix]
    if isinstance(group, click.Group):
        for name, sub in group.commands.items():
            out += _commands(sub, (*prefix, name))
    return out


@pytest.mark.parametrize("command", _commands(__import__("triage.cli.main", fromlist=["cli"]).cli))
def test_no_help_text_points_outside(run: Any, command: tuple[str, ...]) -> None:
    """Every command's --help stands alone (no design-note sections, no links out)."""
    r = run(*command, "--help")
    assert r.code == 0 and not OUTSIDE.search(r.out) and not SEED.search(r.out.lower())


def test_the_reference_lists_every_value(tmp_path: Path, rules: Any) -> None:
    """docs/reference.md names every fixed value of the input, the decision, the events and the
    report's table ids."""
    from triage import report
    from triage.log.store import DecisionLog

    table_ids = [t["id"] for t in report.build(DecisionLog(tmp_path / "empty.db"), rules, year="2024-25")["tables"]]
    text = (ROOT / "docs" / "reference.md").read_text()
    values = {*vocab.RECEIVED_VIA, *vocab.KINDS, *vocab.RELATIONSHIPS, *vocab.FUNCTIONS, *vocab.OUTSIDE_COUNCIL,
              *vocab.COURT, *vocab.CRIMINAL, *vocab.TRIBUNAL, *vocab.DISCIPLINARY, *vocab.REPRESENTATION_TYPES,
              *vocab.PROCEDURES, *vocab.DISPOSITIONS, *vocab.REASONS, *vocab.QUESTIONS, *vocab.FINDINGS,
              *vocab.EVENTS, *vocab.LGSCO_REFERRAL_TYPES, *vocab.DEADLINE_LABELS}
    missing = sorted(v for v in [*values, *table_ids] if f"`{v}`" not in text)
    assert missing == []


def test_the_settings_reference_is_generated(run: Any) -> None:
    """docs/settings.md is exactly what `triage rules settings --reference` prints: it cannot drift."""
    r = run("rules", "settings", "--reference")
    assert r.code == 0
    assert (ROOT / "docs" / "settings.md").read_text() == r.out


def test_the_licence_matches_the_declared_one() -> None:
    """pyproject declares MIT with the LICENSE file, and the build backend version reads that form."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["license"] == "MIT" and project["project"]["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text().startswith("MIT License\n")
    assert project["build-system"]["requires"] == ["setuptools>=77.0.3"]
    assert project["project"]["requires-python"] == ">=3.11,<3.13"


def test_an_unsupported_python_gets_one_line(tmp_path: Path) -> None:
    """Python 3.13 (durable-rules does not import there) is told in one line which versions work and why."""
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-c", "import sys; sys.version_info = (3, 13, 1, 'final', 0); import triage"],
                       capture_output=True, text=True, cwd=tmp_path)
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == ("triage needs Python 3.11 or 3.12, not 3.13: its rules engine, durable-rules 2.0.28, does "
                        "not import on other versions (install it with python3.11 or python3.12)\n")
