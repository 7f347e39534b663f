"""The pieces every report table is made of: financial years, percentages, means and the
table itself (rows of labelled counts for several years side by side)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from triage.contract.errors import UsageError


@dataclass(frozen=True, order=True)
class FinancialYear:
    """1 April to 31 March; ``start`` is the calendar year it begins in (2024 for 2024/25)."""

    start: int

    @property
    def label(self) -> str:
        return f"{self.start}/{(self.start + 1) % 100:02d}"

    @property
    def first(self) -> date:
        return date(self.start, 4, 1)

    @property
    def last(self) -> date:
        return date(self.start + 1, 3, 31)

    @classmethod
    def containing(cls, day: date) -> "FinancialYear":
        return cls(day.year if day.month >= 4 else day.year - 1)


_YEAR = re.compile(r"^\s*(\d{4})\s*[-/]\s*(\d{2})\s*$")
# The years a report can be about, with room for up to 20 comparison years before the first
# (no council kept this log before 1990; a year past 2199 is a typo).
FIRST_YEAR, LAST_YEAR = 1990, 2199


def parse_year(value: str | FinancialYear) -> FinancialYear:
    """'2024-25' or '2024/25' (UsageError, exit 2, for anything else)."""
    if isinstance(value, FinancialYear):
        return value
    m = _YEAR.match(str(value))
    if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
        raise UsageError(f"--year: {value!r} is not a financial year; write it as 2024-25 or 2024/25 "
                         "(1 April 2024 to 31 March 2025)")
    start = int(m.group(1))
    if not FIRST_YEAR <= start <= LAST_YEAR:
        raise UsageError(f"--year: {value!r} is out of range; a report covers a financial year from "
                         f"{FIRST_YEAR}-{(FIRST_YEAR + 1) % 100:02d} to {LAST_YEAR}-{(LAST_YEAR + 1) % 100:02d}")
    return FinancialYear(start)


def last_complete_year(today: date | None = None) -> FinancialYear:
    """The latest financial year that has ended (the default report year)."""
    return FinancialYear(FinancialYear.containing(today or date.today()).start - 1)


def percent(count: int, total: int) -> str:
    """A share as the seeds print it: whole numbers, half up, "<1%" for a non-zero share under 0.5%."""
    if not count or not total:
        return "0%"
    if 200 * count < total:
        return "<1%"
    return f"{(200 * count + total) // (2 * total)}%"


def mean(total_days: int, count: int) -> float | None:
    """The mean rounded half up to one decimal place (None when nothing was counted)."""
    if not count:
        return None
    return ((20 * total_days + count) // (2 * count)) / 10


# --------------------------------------------------------------------------- table rows


class Table:
    """One table being built: rows of counts by financial year, percentages of a base, and
    which rows are sums of others (so that suppression can hide what a total would reveal)."""

    def __init__(self, id_: str, title: str, years: list[FinancialYear], note: str | None = None) -> None:
        self.id, self.title, self.years, self.note = id_, title, years, note
        self.rows: list[dict[str, Any]] = []
        self.sums: list[tuple[int, list[int]]] = []  # (total row, its part rows)

    def add(self, group: str | None, label: str, counts: dict[int, Any], base: dict[int, int] | None = None,
            kind: str = "count") -> int:
        """A row (its index); ``base`` (totals by year) gives it percentages; kind "average" is never suppressed."""
        values = {y.start: counts.get(y.start, 0 if kind == "count" else None) for y in self.years}
        self.rows.append({"group": group, "label": label, "values": values, "base": base, "kind": kind})
        return len(self.rows) - 1

    def total(self, group: str | None, label: str, parts: list[int], base: Any = None) -> int:
        """A row summing the ``parts`` rows; ``base="self"`` gives it 100% of itself."""
        counts = _sum(*(self.rows[i]["values"] for i in parts))
        row = self.add(group, label, counts, counts if base == "self" else base)
        self.sums.append((row, list(parts)))
        return row

    def relate(self, total: int, parts: list[int]) -> None:
        """Record that row ``total`` is the sum of the ``parts`` rows (added another way)."""
        self.sums.append((total, list(parts)))

    def hidden(self, year: int, below: int) -> dict[int, str]:
        """The rows whose count is hidden in ``year``: counts from 1 to ``below`` - 1 as "<K"
        (primary), and, wherever a sum would let one hidden count be worked out from the
        others, the smallest other non-zero count in that sum as "[c]" (secondary), repeated
        until no sum has a single hidden count."""
        value = {i: r["values"][year] for i, r in enumerate(self.rows) if r["kind"] == "count"}
        out = {i: f"<{below}" for i, v in value.items() if 0 < v < below}
        changed = True
        while changed:
            changed = False
            for total, parts in self.sums:
                cells = [total, *parts]
                if sum(i in out for i in cells) != 1:
                    continue
                shown = [i for i in cells if i not in out and value.get(i, 0) > 0]
                if shown:
                    out[min(shown, key=lambda i: (value[i], i))] = "[c]"
                    changed = True
        return out

    def to_json(self, suppress_below: int | None) -> dict[str, Any]:
        hidden = {y.start: self.hidden(y.start, suppress_below) if suppress_below else {} for y in self.years}
        rows = []
        for n, r in enumerate(self.rows):
            counts: dict[str, Any] = {}
            percents: dict[str, str] = {}
            for y in self.years:
                v = r["values"][y.start]
                mark = hidden[y.start].get(n)
                counts[y.label] = mark or v
                if r["base"] is not None:
                    percents[y.label] = "[c]" if mark else percent(v, r["base"].get(y.start, 0))
            rows.append({"group": r["group"], "label": r["label"], "counts": counts, "percents": percents})
        out: dict[str, Any] = {"id": self.id, "title": self.title, "rows": rows}
        if self.note:
            out["note"] = self.note
        return out


def _sum(*series: dict[int, int]) -> dict[int, int]:
    out: dict[int, int] = {}
    for s in series:
        for k, v in s.items():
            out[k] = out.get(k, 0) + v
    return out
