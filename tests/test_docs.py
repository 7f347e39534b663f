"""What the project tells its users is true: the README's sessions, the files comments name."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from conftest import ROOT, RULES

# A file named in a comment: rules/settings.yaml, templates/letters/x.txt.j2, 70-advocacy-flags.yaml
_NAMED = re.compile(r"(?:(?:rules|templates|examples|docs|bench|src)/[\w./-]*\w|\b\d\d-[\w-]+\.yaml\b)")


def test_rules_comments_name_only_files_that_exist() -> None:
    """Every file a comment in rules/*.yaml names exists (in the checkout, rules/ or the package)."""
    missing = []
    for path in sorted(RULES.glob("*.yaml")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            comment = line.partition("#")[2]
            for name in _NAMED.findall(comment):
                # a path from the checkout, from rules/, or a module's path in the package (rules/oracle.py)
                if not any((base / name).exists() for base in (ROOT, RULES, ROOT / "src" / "triage")):
                    missing.append(f"{path.name}:{number}: {name}")
    assert missing == []


def _sessions() -> Any:
    """scripts/readme_sessions.py, imported (it is a script, not part of the package)."""
    import importlib.util
    import sys

    if "readme_sessions" not in sys.modules:
        spec = importlib.util.spec_from_file_location("readme_sessions", ROOT / "scripts" / "readme_sessions.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["readme_sessions"] = module
        spec.loader.exec_module(module)
    return sys.modules["readme_sessions"]


def test_an_elided_line_stands_for_any_lines() -> None:
    """A `...` line in a README block matches any number of lines, and nothing else is loose."""
    s = _sessions()
    assert s.matches(["a", "...", "z"], ["a", "z"]) and s.matches(["a", "...", "z"], ["a", "b", "c", "z"])
    assert not s.matches(["a", "...", "z"], ["a", "b"]) and not s.matches(["a", "b"], ["a", "b", "c"])
    assert s.matches(["  ..."], []) and not s.matches([], ["x"])


def test_update_keeps_elisions_and_takes_the_rest_from_the_run() -> None:
    """--update rewrites a block from the run, keeping each `...` with as many lines around it."""
    s = _sessions()
    assert s.updated(["{", '  "id": 1,', "  ...", "}"], ["{", '  "id": 2,', '  "x": 3,', '  "y": 4,', "}"]) == [
        "{", '  "id": 2,', "  ...", "}"]
    assert s.updated(["old"], ["new", "lines"]) == ["new", "lines"]
    assert s.updated(["...", "c"], ["a", "b", "c2"]) == ["...", "c2"]


def test_masks_hide_what_a_run_cannot_repeat(tmp_path: Path) -> None:
    """Times, hashes, keys, the directory, the port and the run's date are masked, nothing else."""
    s = _sessions()
    rules = s.masks(tmp_path, 45678, "2026-11-23")
    assert s.masked([f"(logged as d-000001; ruleset sha256:3e009ae63021…; assessed 2026-11-23T05:15:39Z) {tmp_path}/x",
                     "  Mon 23 Nov 2026   letter drafted", "http://127.0.0.1:45678 tri_abc-DEF_1", "Fri 14 Mar 2025"],
                    rules) == ["(logged as d-000001; ruleset sha256:<hash>; assessed <time>) <dir>/x",
                               "  <today> letter drafted", "http://127.0.0.1:8000 tri_<key>", "Fri 14 Mar 2025"]


def test_readme_sessions_are_what_a_new_user_sees() -> None:
    """Every README session, run in order in a fresh directory, prints what the README shows."""
    problems = _sessions().check()
    assert problems == [], "\n\n".join(problems) + "\n\nRun `python scripts/readme_sessions.py --update` and review the diff."
