"""Tests for triage.clock.calendar: working days under SI 2006/1738 reg 2."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triage.clock import calendar as calendar_module
from triage.clock.calendar import WorkingCalendar

CAL = WorkingCalendar()

# England & Wales bank holidays as published on gov.uk (weekdays only, as there).
GOV_UK: dict[int, list[date]] = {
    2020: [date(2020, 1, 1), date(2020, 4, 10), date(2020, 4, 13), date(2020, 5, 8),
           date(2020, 5, 25), date(2020, 8, 31), date(2020, 12, 25), date(2020, 12, 28)],
    2021: [date(2021, 1, 1), date(2021, 4, 2), date(2021, 4, 5), date(2021, 5, 3),
           date(2021, 5, 31), date(2021, 8, 30), date(2021, 12, 27), date(2021, 12, 28)],
    2022: [date(2022, 1, 3), date(2022, 4, 15), date(2022, 4, 18), date(2022, 5, 2),
           date(2022, 6, 2), date(2022, 6, 3), date(2022, 8, 29), date(2022, 9, 19),
           date(2022, 12, 26), date(2022, 12, 27)],
    2023: [date(2023, 1, 2), date(2023, 4, 7), date(2023, 4, 10), date(2023, 5, 1),
           date(2023, 5, 8), date(2023, 5, 29), date(2023, 8, 28), date(2023, 12, 25),
           date(2023, 12, 26)],
    2024: [date(2024, 1, 1), date(2024, 3, 29), date(2024, 4, 1), date(2024, 5, 6),
           date(2024, 5, 27), date(2024, 8, 26), date(2024, 12, 25), date(2024, 12, 26)],
    2025: [date(2025, 1, 1), date(2025, 4, 18), date(2025, 4, 21), date(2025, 5, 5),
           date(2025, 5, 26), date(2025, 8, 25), date(2025, 12, 25), date(2025, 12, 26)],
    2026: [date(2026, 1, 1), date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 4),
           date(2026, 5, 25), date(2026, 8, 31), date(2026, 12, 25), date(2026, 12, 28)],
    2027: [date(2027, 1, 1), date(2027, 3, 26), date(2027, 3, 29), date(2027, 5, 3),
           date(2027, 5, 31), date(2027, 8, 30), date(2027, 12, 27), date(2027, 12, 28)],
}


def naive_add(cal: WorkingCalendar, start: date, n: int, with_closures: bool = False) -> date:
    """Reference implementation: step one day at a time."""
    day = start
    while n:
        day += timedelta(days=1)
        if cal.is_working_day(day, with_closures=with_closures):
            n -= 1
    return day


# --- DOMAIN.md section 5 examples -------------------------------------------------


@pytest.mark.parametrize(
    ("received", "n", "due"),
    [
        (date(2022, 12, 14), 10, date(2022, 12, 30)),
        (date(2022, 12, 14), 20, date(2023, 1, 16)),
        (date(2024, 3, 28), 10, date(2024, 4, 15)),
        (date(2024, 3, 28), 20, date(2024, 4, 29)),
    ],
)
def test_domain_examples(received: date, n: int, due: date) -> None:
    """The worked deadline examples in DOMAIN.md section 5 hold, both ways round."""
    assert CAL.add_working_days(received, n) == due
    assert CAL.working_days_between(received, due) == n


def test_day_of_receipt_is_day_zero() -> None:
    """n == 0 returns the receipt date itself, even when it is not a working day."""
    assert CAL.add_working_days(date(2024, 3, 29), 0) == date(2024, 3, 29)  # Good Friday
    assert CAL.add_working_days(date(2024, 3, 27), 1) == date(2024, 3, 28)


def test_receipt_on_weekend_counts_from_next_working_day() -> None:
    """Day 1 after a Saturday receipt is the following Monday."""
    assert CAL.add_working_days(date(2024, 6, 8), 1) == date(2024, 6, 10)


def test_negative_n_rejected() -> None:
    """A negative number of working days raises a clear ValueError."""
    with pytest.raises(ValueError, match=">= 0"):
        CAL.add_working_days(date(2024, 1, 10), -1)


# --- Christmas, New Year, Easter, one-offs ----------------------------------------


@pytest.mark.parametrize(
    ("non_working", "working"),
    [
        # 2020: Boxing Day on Saturday, substitute Monday 28th.
        ([date(2020, 12, 25), date(2020, 12, 28)], [date(2020, 12, 24), date(2020, 12, 29)]),
        # 2021: both on the weekend, substitutes Mon 27 and Tue 28; New Year Fri 1 Jan.
        ([date(2021, 12, 27), date(2021, 12, 28), date(2021, 1, 1)],
         [date(2021, 12, 24), date(2021, 12, 29), date(2021, 12, 31)]),
        # 2022: Christmas on Sunday, so 26 and 27 Dec; New Year (Sat) moved to Mon 3 Jan.
        ([date(2022, 12, 26), date(2022, 12, 27), date(2022, 1, 3)],
         [date(2022, 12, 23), date(2022, 12, 28), date(2022, 12, 30)]),
        # 2023: New Year on Sunday, substitute Mon 2 Jan.
        ([date(2023, 1, 2), date(2023, 12, 25), date(2023, 12, 26)],
         [date(2023, 1, 3), date(2023, 12, 27)]),
        # 2027: as 2021.
        ([date(2027, 12, 27), date(2027, 12, 28)], [date(2027, 12, 29)]),
    ],
)
def test_christmas_and_new_year_substitutes(non_working: list[date], working: list[date]) -> None:
    """Christmas, Boxing Day and New Year move to substitute weekdays when on a weekend."""
    assert [d for d in non_working if CAL.is_working_day(d)] == []
    assert all(CAL.is_working_day(d) for d in working)


def test_christmas_week_count_across_year_end() -> None:
    """Counting across Christmas 2021 and New Year 2022 skips every substitute day."""
    # Fri 24 Dec 2021 + 3 = Wed 29, Thu 30, Fri 31; then Mon 3 Jan 2022 is a holiday.
    assert CAL.add_working_days(date(2021, 12, 24), 3) == date(2021, 12, 31)
    assert CAL.add_working_days(date(2021, 12, 24), 4) == date(2022, 1, 4)


@pytest.mark.parametrize(
    ("good_friday", "easter_monday"),
    [(date(2024, 3, 29), date(2024, 4, 1)), (date(2025, 4, 18), date(2025, 4, 21))],
)
def test_easter(good_friday: date, easter_monday: date) -> None:
    """Good Friday and Easter Monday are non-working; the Thursday and Tuesday are working."""
    assert not CAL.is_working_day(good_friday)
    assert not CAL.is_working_day(easter_monday)
    assert CAL.is_working_day(good_friday - timedelta(days=1))
    assert CAL.is_working_day(easter_monday + timedelta(days=1))
    assert CAL.add_working_days(good_friday - timedelta(days=1), 1) == easter_monday + timedelta(days=1)


@pytest.mark.parametrize(
    "day", [date(2022, 6, 2), date(2022, 6, 3), date(2022, 9, 19), date(2023, 5, 8)]
)
def test_one_off_days(day: date) -> None:
    """The 2022 jubilee days, the 2022 state funeral and the 2023 coronation are non-working."""
    assert not CAL.is_working_day(day)
    assert day in CAL.bank_holidays(day.year)


def test_spring_bank_holiday_2022_moved() -> None:
    """In 2022 the late May bank holiday moved to 2 June, so Mon 30 May 2022 was a working day."""
    assert CAL.is_working_day(date(2022, 5, 30))


def test_ve_day_2020_replaces_early_may() -> None:
    """In 2020 the early May bank holiday was Fri 8 May (VE Day), not Mon 4 May."""
    assert not CAL.is_working_day(date(2020, 5, 8))
    assert CAL.is_working_day(date(2020, 5, 4))


@pytest.mark.parametrize("year", sorted(GOV_UK))
def test_bank_holiday_list_matches_gov_uk(year: int) -> None:
    """bank_holidays(year) is exactly the gov.uk England & Wales list for 2020-2027, in order."""
    holidays = CAL.bank_holidays(year)
    assert list(holidays) == GOV_UK[year]
    assert all(isinstance(name, str) and name for name in holidays.values())


def test_weekends_are_not_working_days() -> None:
    """Saturdays and Sundays are never working days; an ordinary Monday is."""
    assert not CAL.is_working_day(date(2024, 6, 8))
    assert not CAL.is_working_day(date(2024, 6, 9))
    assert CAL.is_working_day(date(2024, 6, 10))


def test_statutory_days_do_not_depend_on_package(monkeypatch: pytest.MonkeyPatch) -> None:
    """Christmas Day, Boxing Day and Good Friday stay non-working even if the package lost them."""
    monkeypatch.setattr(calendar_module, "_package_holidays", lambda year, subdivisions=("ENG",): {})
    cal = WorkingCalendar()
    assert list(cal.bank_holidays(2024)) == [date(2024, 3, 29), date(2024, 12, 25), date(2024, 12, 26)]
    for year, good_friday in [(2019, date(2019, 4, 19)), (2038, date(2038, 4, 23)), (2100, date(2100, 3, 26))]:
        assert not cal.is_working_day(good_friday), year


# --- administrator overrides and closures ----------------------------------------


def test_added_day_is_non_working() -> None:
    """A newly proclaimed day passed as `added` is non-working and named in the list."""
    extra = date(2030, 6, 14)
    cal = WorkingCalendar(added={extra: "Proclaimed holiday"})
    assert CAL.is_working_day(extra)
    assert not cal.is_working_day(extra)
    assert cal.bank_holidays(2030)[extra] == "Proclaimed holiday"
    assert list(cal.bank_holidays(2030)) == sorted(cal.bank_holidays(2030))
    assert cal.add_working_days(date(2030, 6, 13), 1) == date(2030, 6, 17)


def test_removed_day_is_working() -> None:
    """A day passed as `removed` (e.g. a cancelled holiday) becomes a working day."""
    cal = WorkingCalendar(removed=[date(2023, 5, 8)])
    assert cal.is_working_day(date(2023, 5, 8))
    assert date(2023, 5, 8) not in cal.bank_holidays(2023)
    assert cal.working_days_between(date(2023, 5, 5), date(2023, 5, 9)) == 2


@pytest.mark.parametrize("day", [date(2024, 12, 25), date(2024, 12, 26), date(2024, 3, 29)])
def test_statutory_days_cannot_be_removed(day: date) -> None:
    """Removing Christmas Day, Boxing Day or Good Friday is refused: reg 2 names them."""
    with pytest.raises(ValueError, match="reg 2"):
        WorkingCalendar(removed=[day])


def test_added_and_removed_clash_rejected() -> None:
    """The same date in both `added` and `removed` is ambiguous and refused."""
    with pytest.raises(ValueError, match="both added and removed"):
        WorkingCalendar(added={date(2030, 6, 14): "x"}, removed=[date(2030, 6, 14)])


def test_closures_only_with_flag() -> None:
    """Council closure days count as working days unless with_closures=True."""
    closures = [date(2025, 12, 29), date(2025, 12, 30), date(2025, 12, 31)]
    cal = WorkingCalendar(closures=closures)
    start = date(2025, 12, 24)
    assert all(cal.is_working_day(d) for d in closures)
    assert not any(cal.is_working_day(d, with_closures=True) for d in closures)
    assert date(2025, 12, 29) not in cal.bank_holidays(2025)
    # Statutory clock: Mon 29, Tue 30, Wed 31 count; 1 Jan is a bank holiday.
    assert cal.add_working_days(start, 3) == date(2025, 12, 31)
    assert cal.add_working_days(start, 3, with_closures=True) == date(2026, 1, 6)
    assert cal.working_days_between(start, date(2026, 1, 6)) == 6
    assert cal.working_days_between(start, date(2026, 1, 6), with_closures=True) == 3
    assert cal.next_working_day(date(2025, 12, 27)) == date(2025, 12, 29)
    assert cal.next_working_day(date(2025, 12, 27), with_closures=True) == date(2026, 1, 2)


def test_closure_on_a_bank_holiday_not_double_counted() -> None:
    """A closure that coincides with a bank holiday or weekend removes no extra day."""
    cal = WorkingCalendar(closures=[date(2025, 12, 25), date(2025, 12, 27)])
    assert cal.working_days_between(date(2025, 12, 24), date(2025, 12, 31), with_closures=True) == 3


# --- working_days_between and next_working_day ------------------------------------


def test_working_days_between_edges() -> None:
    """Zero for the same day, negative mirror when end precedes start, start excluded."""
    d = date(2024, 3, 28)
    assert CAL.working_days_between(d, d) == 0
    assert CAL.working_days_between(date(2024, 4, 15), d) == -10
    assert CAL.working_days_between(date(2024, 3, 27), d) == 1
    assert CAL.working_days_between(d, date(2024, 4, 1)) == 0  # Good Friday, weekend, Easter Monday


def test_next_working_day() -> None:
    """A working day maps to itself; Good Friday 2024 maps to Tue 2 Apr 2024."""
    assert CAL.next_working_day(date(2024, 3, 28)) == date(2024, 3, 28)
    assert CAL.next_working_day(date(2024, 3, 29)) == date(2024, 4, 2)


# --- cold start and speed ---------------------------------------------------------


def test_import_does_not_load_holidays_package() -> None:
    """Importing triage.clock.calendar and building a calendar does not import `holidays` (cold start)."""
    src = str(Path(calendar_module.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    code = (
        "import sys; from triage.clock.calendar import WorkingCalendar; WorkingCalendar(); "
        "assert 'holidays' not in sys.modules, 'holidays imported eagerly'"
    )
    subprocess.run([sys.executable, "-c", code], env=env, check=True)


def test_counting_is_fast() -> None:
    """working_days_between over several years and add_working_days are well under a millisecond."""
    cal = WorkingCalendar(closures=[date(2025, 12, 29)])
    start, end = date(2020, 1, 6), date(2027, 11, 30)
    cal.working_days_between(start, end)  # warm the per-year caches
    cal.add_working_days(start, 2000)
    runs = 1000
    t0 = time.perf_counter()
    for _ in range(runs):
        cal.working_days_between(start, end)
        cal.add_working_days(start, 65)
    per_call = (time.perf_counter() - t0) / (2 * runs)
    assert per_call < 1e-3, per_call


# --- properties -------------------------------------------------------------------

dates = st.dates(min_value=date(1995, 1, 1), max_value=date(2045, 12, 31))
counts = st.integers(min_value=0, max_value=400)
closure_sets = st.frozensets(st.dates(min_value=date(1995, 1, 1), max_value=date(2047, 12, 31)), max_size=30)


@settings(deadline=None)
@given(start=dates, n=st.integers(min_value=1, max_value=400), with_closures=st.booleans(), closures=closure_sets)
def test_property_result_is_working_day(
    start: date, n: int, with_closures: bool, closures: frozenset[date]
) -> None:
    """For n > 0 the deadline is always a working day after the start."""
    cal = WorkingCalendar(closures=closures)
    due = cal.add_working_days(start, n, with_closures=with_closures)
    assert due > start
    assert cal.is_working_day(due, with_closures=with_closures)


@settings(deadline=None)
@given(start=dates, n=counts, with_closures=st.booleans(), closures=closure_sets)
def test_property_monotonic_in_n(start: date, n: int, with_closures: bool, closures: frozenset[date]) -> None:
    """One more working day always gives a strictly later deadline."""
    cal = WorkingCalendar(closures=closures)
    assert cal.add_working_days(start, n + 1, with_closures=with_closures) > cal.add_working_days(
        start, n, with_closures=with_closures
    )


@settings(deadline=None)
@given(start=dates, n=counts, with_closures=st.booleans(), closures=closure_sets)
def test_property_round_trip(start: date, n: int, with_closures: bool, closures: frozenset[date]) -> None:
    """working_days_between(s, add_working_days(s, n)) == n, and the mirror gives -n."""
    cal = WorkingCalendar(closures=closures)
    due = cal.add_working_days(start, n, with_closures=with_closures)
    assert cal.working_days_between(start, due, with_closures=with_closures) == n
    assert cal.working_days_between(due, start, with_closures=with_closures) == -n


@settings(deadline=None)
@given(start=dates, n=st.integers(min_value=0, max_value=80), with_closures=st.booleans(), closures=closure_sets)
def test_property_matches_day_by_day_count(
    start: date, n: int, with_closures: bool, closures: frozenset[date]
) -> None:
    """The arithmetic jump agrees with stepping one day at a time."""
    cal = WorkingCalendar(closures=closures)
    assert cal.add_working_days(start, n, with_closures=with_closures) == naive_add(cal, start, n, with_closures)


@settings(deadline=None)
@given(start=dates, end=dates, with_closures=st.booleans(), closures=closure_sets)
def test_property_between_is_antisymmetric(
    start: date, end: date, with_closures: bool, closures: frozenset[date]
) -> None:
    """Swapping start and end negates the count."""
    cal = WorkingCalendar(closures=closures)
    forward = cal.working_days_between(start, end, with_closures=with_closures)
    assert forward == -cal.working_days_between(end, start, with_closures=with_closures)


@settings(deadline=None)
@given(day=dates, with_closures=st.booleans(), closures=closure_sets)
def test_property_next_working_day_idempotent(day: date, with_closures: bool, closures: frozenset[date]) -> None:
    """next_working_day is a working day on or after the input, and applying it twice changes nothing."""
    cal = WorkingCalendar(closures=closures)
    nxt = cal.next_working_day(day, with_closures=with_closures)
    assert nxt >= day
    assert cal.is_working_day(nxt, with_closures=with_closures)
    assert cal.next_working_day(nxt, with_closures=with_closures) == nxt
    assert all(
        not cal.is_working_day(day + timedelta(days=i), with_closures=with_closures)
        for i in range((nxt - day).days)
    )
