"""Working days for complaint deadlines in England.

A working day is any day except Saturday, Sunday, Christmas Day, Boxing Day,
Good Friday and a bank holiday in England and Wales under the Banking and
Financial Dealings Act 1971 (SI 2006/1738 reg 2). Counting follows the usual
convention: the day of receipt is day 0, day 1 is the next working day, and a
deadline of N working days is the Nth working day.

Bank holidays come from the ``holidays`` package (substitute days and one-off
days included). It is imported only when a year is first needed, because it
adds tens of milliseconds to the CLI's cold start.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from pathlib import Path

__all__ = ["WorkingCalendar", "calendar_identity"]

_SATURDAY = 5


def cache_dir() -> Path | None:
    """``$TRIAGE_CACHE``, else ``$XDG_CACHE_HOME/triage`` (default ``~/.cache/triage``);
    None when ``TRIAGE_CACHE=off``."""
    root = os.environ.get("TRIAGE_CACHE")
    if root == "off":
        return None
    return Path(root) if root else Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "triage"


def _cache_file() -> Path | None:
    """Where computed bank holidays are kept between runs, named by ``calendar_identity``.

    Importing ``holidays`` and building a year costs about 100 ms, most of a cold
    `triage assess`; the table it gives is fixed for a given package version and calendar
    code, so it is kept in ``$TRIAGE_CACHE`` or ``$XDG_CACHE_HOME/triage`` (default
    ``~/.cache/triage``). ``TRIAGE_CACHE=off`` disables the cache."""
    base = cache_dir()
    if base is None or _holidays_version() is None:  # no cache, or no safe cache key
        return None
    key = hashlib.sha256(calendar_identity().encode()).hexdigest()[:16]
    return base / f"bank-holidays-{key}.json"


@functools.cache
def calendar_identity() -> str:
    """What the bank-holiday table is a function of: the ``holidays`` package's version and
    this module's code. The ruleset hash a decision records includes it, so a decision names
    the calendar that dated it."""
    code = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
    return f"holidays {_holidays_version() or 'absent'}; calendar {code}"


@functools.cache
def _holidays_version() -> str | None:
    """A key for the installed holidays package: its version from the dist-info directory
    name, else the size and time of the module it computes with (importlib.metadata would
    scan every installed distribution: too slow for a cold start)."""
    import importlib.util

    spec = importlib.util.find_spec("holidays")
    if spec is None or not spec.submodule_search_locations:
        return None
    package = Path(next(iter(spec.submodule_search_locations)))
    dists = sorted(package.parent.glob("holidays-*.dist-info"))
    if len(dists) == 1:
        return dists[0].name.removeprefix("holidays-").removesuffix(".dist-info")
    try:
        stat = (package / "countries" / "united_kingdom.py").stat()
    except OSError:
        return None
    return f"{stat.st_size}-{int(stat.st_mtime)}"


def _digest(table: dict[str, dict[str, str]]) -> str:
    return hashlib.sha256(json.dumps(table, sort_keys=True).encode()).hexdigest()


def _trusted(path: Path) -> bool:
    """A cache file this user wrote and no one else can change (a file planted by another
    user, or one others can write, is ignored)."""
    try:
        info = path.stat()
    except OSError:
        return False
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return False
    return not info.st_mode & 0o022


@functools.cache
def _cached_table() -> dict[str, dict[str, str]]:
    """The cached years, when the file is trusted, made by this calendar and whole; else none
    (the years are then computed again and the file rewritten)."""
    path = _cache_file()
    if path is None or not path.exists() or not _trusted(path):
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("source") != calendar_identity():
        return {}
    table = data.get("table")
    if not isinstance(table, dict) or data.get("digest") != _digest(table):
        return {}
    return table


def _store(key: str, days: dict[date, str]) -> None:
    path = _cache_file()
    if path is None:
        return
    table = _cached_table()
    table[key] = {d.isoformat(): name for d, name in days.items()}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"source": calendar_identity(), "digest": _digest(table), "table": table}, f, sort_keys=True)
        os.replace(tmp, path)  # atomic: concurrent processes never see half a file
    except OSError:
        pass  # a read-only home: compute each time


@functools.cache
def _package_holidays(year: int, subdivisions: tuple[str, ...] = ("ENG",)) -> dict[date, str]:
    """Bank holidays for ``year`` from the ``holidays`` package, in any of ``subdivisions``.

    England ("ENG") is England & Wales for the complaints clock; FOIA 2000 s.10 excludes
    bank holidays anywhere in the UK, so the information-request clock asks for all four.
    """
    key = f"{year}:{','.join(subdivisions)}"
    cached = _cached_table().get(key)
    if cached is not None:
        return {date.fromisoformat(d): name for d, name in cached.items()}
    from holidays.countries.united_kingdom import UnitedKingdom  # lazy: see module docstring

    days: dict[date, str] = {}
    for subdiv in subdivisions:
        days.update(UnitedKingdom(subdiv=subdiv, years=year).items())
    _store(key, days)
    return days


def _easter_sunday(year: int) -> date:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    j = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * j) // 451
    month, day = divmod(h + j - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _named_in_regulation(year: int) -> dict[date, str]:
    """Days SI 2006/1738 reg 2 names itself, so they never depend on the package."""
    return {
        _easter_sunday(year) - timedelta(days=2): "Good Friday",
        date(year, 12, 25): "Christmas Day",
        date(year, 12, 26): "Boxing Day",
    }


def _weekdays_through(day: date) -> int:
    """Number of Mondays-to-Fridays from 1 Jan 0001 (a Monday) to ``day`` inclusive."""
    weeks, rest = divmod(day.toordinal(), 7)
    return 5 * weeks + min(rest, 5)


def _nth_weekday(count: int) -> date:
    """The weekday ``d`` with ``_weekdays_through(d) == count`` (inverse of the above)."""
    weeks, rest = divmod(count, 5)
    # rest == 0 means the Friday that closes week ``weeks``.
    return date.fromordinal(7 * weeks + rest if rest else 7 * weeks - 2)


class WorkingCalendar:
    """Working days in England & Wales, with administrator overrides and closures.

    ``added`` are newly proclaimed bank holidays the package does not know yet
    (date -> name); ``removed`` are days to drop from the package's list (e.g. a
    cancelled one). ``closures`` are the council's own closure days: they still
    count as working days for the statutory clock, so they are only applied
    when a method is called with ``with_closures=True`` (the corporate clock).
    """

    def __init__(
        self,
        added: Mapping[date, str] | None = None,
        removed: Iterable[date] = (),
        closures: Iterable[date] = (),
        subdivisions: tuple[str, ...] = ("ENG",),
    ) -> None:
        self._subdivisions = subdivisions
        self._added = dict(added or {})
        self._removed = frozenset(removed)
        self._closures = frozenset(closures)
        clash = sorted(self._removed & self._added.keys())
        if clash:
            raise ValueError(f"dates both added and removed: {', '.join(map(str, clash))}")
        for day in sorted(self._removed):
            statutory = _named_in_regulation(day.year).get(day)
            if statutory:
                raise ValueError(
                    f"cannot remove {day} ({statutory}): SI 2006/1738 reg 2 makes it a non-working day"
                )
        # (year, with_closures) -> sorted non-working weekdays; weekends are handled arithmetically.
        self._closed: dict[tuple[int, bool], tuple[date, ...]] = {}

    def bank_holidays(self, year: int) -> dict[date, str]:
        """England & Wales non-working weekdays of ``year`` (date -> name), sorted by date.

        Includes Christmas Day, Boxing Day and Good Friday (always), the package's
        bank holidays including substitute and one-off days, and ``added`` days,
        minus ``removed`` days. Days falling on a Saturday or Sunday are left out,
        as on the gov.uk list, since they are not working days anyway.
        """
        days = {**_package_holidays(year, self._subdivisions), **_named_in_regulation(year)}
        days.update((d, name) for d, name in self._added.items() if d.year == year)
        return {
            d: days[d]
            for d in sorted(days)
            if d.weekday() < _SATURDAY and d not in self._removed
        }

    def is_working_day(self, day: date, *, with_closures: bool = False) -> bool:
        """Whether ``day`` is a working day (SI 2006/1738 reg 2), optionally excluding closures."""
        if day.weekday() >= _SATURDAY:
            return False
        closed = self._closed_weekdays(day.year, with_closures)
        i = bisect_left(closed, day)
        return i == len(closed) or closed[i] != day

    def add_working_days(self, start: date, n: int, *, with_closures: bool = False) -> date:
        """The ``n``th working day after ``start`` (``start`` is day 0; ``n == 0`` returns it)."""
        if n < 0:
            raise ValueError(f"number of working days must be >= 0, got {n}")
        day, remaining = start, n
        # Jump ``remaining`` weekdays at once, then owe one more day for each
        # holiday jumped over; this ends after a step that crosses no holiday.
        while remaining:
            target = _nth_weekday(_weekdays_through(day) + remaining)
            remaining = self._closed_between(day, target, with_closures)
            day = target
        return day

    def working_days_between(self, start: date, end: date, *, with_closures: bool = False) -> int:
        """Working days after ``start`` up to and including ``end``.

        ``add_working_days(start, n) == end`` implies this returns ``n``. It is
        0 when ``end == start`` and the negated count of the mirror interval
        when ``end < start``.
        """
        if end < start:
            return -self.working_days_between(end, start, with_closures=with_closures)
        weekdays = _weekdays_through(end) - _weekdays_through(start)
        return weekdays - self._closed_between(start, end, with_closures)

    def next_working_day(self, day: date, *, with_closures: bool = False) -> date:
        """``day`` itself if it is a working day, else the next working day after it."""
        while not self.is_working_day(day, with_closures=with_closures):
            day += timedelta(days=1)
        return day

    def _closed_weekdays(self, year: int, with_closures: bool) -> tuple[date, ...]:
        """Sorted non-working weekdays of ``year``, cached per calendar."""
        key = (year, with_closures)
        if key not in self._closed:
            days = set(self.bank_holidays(year))
            if with_closures:
                days.update(d for d in self._closures if d.year == year and d.weekday() < _SATURDAY)
            self._closed[key] = tuple(sorted(days))
        return self._closed[key]

    def _closed_between(self, start: date, end: date, with_closures: bool) -> int:
        """Non-working weekdays after ``start`` up to and including ``end`` (``start <= end``)."""
        return sum(
            bisect_right(closed, end) - bisect_right(closed, start)
            for closed in (
                self._closed_weekdays(year, with_closures)
                for year in range(start.year, end.year + 1)
            )
        )


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def short_date(value: str | date) -> str:
    """'Fri 28 Mar 2025': how dates read in officers' listings and the managers' pages."""
    d = value if isinstance(value, date) else date.fromisoformat(value)
    return f"{d:%a} {d.day} {d:%b %Y}"
