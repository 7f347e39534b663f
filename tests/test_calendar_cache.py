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
    assert json.loads(cache.read_text())["table"]["2022:ENG"]["2022-12-27"] == "Christmas Day (observed)"
    assert _run(code, tmp_path).split() == ["2022-12-30", "False"]


def test_cache_can_be_turned_off(tmp_path: Path) -> None:
    """TRIAGE_CACHE=off computes every time and writes nothing."""
    env = {**os.environ, "TRIAGE_CACHE": "off", "HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path)}
    code = "from datetime import date; from triage.clock.calendar import WorkingCalendar; print(WorkingCalendar().is_working_day(date(2023, 5, 8)))"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False" and not list(tmp_path.rglob("*.json"))


PLANT = ("from datetime import date; from triage.clock.calendar import WorkingCalendar; "
         "print(WorkingCalendar().add_working_days(date(2022, 12, 14), 10))")


def _plant(cache: Path, mode: int, fix_digest: bool) -> None:
    """Make 2022-12-15 a bank holiday in the cached table (a deadline moves a day if believed)."""
    from triage.clock.calendar import _digest

    (path,) = cache.glob("bank-holidays-*.json")
    data = json.loads(path.read_text())
    data["table"]["2022:ENG"]["2022-12-15"] = "Planted"
    if fix_digest:
        data["digest"] = _digest(data["table"])
    path.write_text(json.dumps(data))
    path.chmod(mode)


def test_a_planted_holiday_table_is_not_believed(tmp_path: Path) -> None:
    """A cached table whose content no longer matches its digest, or that others can write, is
    ignored and computed again: the deadline stays where the holidays package puts it."""
    assert _run(PLANT, tmp_path).strip() == "2022-12-30"
    _plant(tmp_path, 0o600, fix_digest=False)
    assert _run(PLANT, tmp_path).strip() == "2022-12-30"
    _plant(tmp_path, 0o666, fix_digest=True)
    assert _run(PLANT, tmp_path).strip() == "2022-12-30"


def test_the_ruleset_hash_names_the_calendar(monkeypatch: object) -> None:
    """The ruleset hash a decision records changes with the calendar (holidays version, code)."""
    import pytest

    from conftest import RULES
    from triage.clock import calendar
    from triage.rules.ruleset import ruleset_hash

    before = ruleset_hash(RULES)
    mp = pytest.MonkeyPatch()
    try:
        calendar.calendar_identity.cache_clear()
        mp.setattr(calendar, "_holidays_version", lambda: "0.0-other")
        assert ruleset_hash(RULES) != before
    finally:
        mp.undo()
        calendar.calendar_identity.cache_clear()
    assert ruleset_hash(RULES) == before
