"""Computed bank holidays are cached between runs, so a cold `triage assess` need not import
the holidays package; the cache gives the same days as the package."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def _run(code: str, cache: Path) -> str:
    env = {**os.environ, "TRIAGE_CACHE": str(cache)}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout


def test_cache_is_written_then_used_without_importing_holidays(tmp_path: Path) -> None:
    """The first run computes and stores a year; the next reads it and never imports holidays."""
    code = ("import sys; from datetime import date; from triage.clock.calendar import WorkingCalendar; "
            "c = WorkingCalendar(); print(c.add_working_days(date(2022, 12, 14), 10), 'holidays' in sys.modules)")
    assert _run(code, tmp_path).split() == ["2022-12-30", "True"]
    (cache,) = tmp_path.glob("bank-holidays-*.json")
    assert json.loads(cache.read_text())["2022:ENG"]["2022-12-27"] == "Christmas Day (observed)"
    assert _run(code, tmp_path).split() == ["2022-12-30", "False"]


def test_cache_can_be_turned_off(tmp_path: Path) -> None:
    """TRIAGE_CACHE=off computes every time and writes nothing."""
    env = {**os.environ, "TRIAGE_CACHE": "off", "HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path)}
    code = "from datetime import date; from triage.clock.calendar import WorkingCalendar; print(WorkingCalendar().is_working_day(date(2023, 5, 8)))"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False" and not list(tmp_path.rglob("*.json"))
