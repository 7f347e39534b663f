"""The annual report (Regulation 13(3), SI 2006/1738; GBFC 2006 section 5.6).

    import triage.report
    report = triage.report.build(log, rules, year="2024-25")        # the report as JSON
    triage.report.write(report, "html", "annual-report.html", rules)

``build`` counts (``sql``, with ``worker`` running its two large statements at once) and lays
out the tables (``tables``, ``labels``, ``table``); ``write`` renders them (``render``,
``charts``).
"""

from .build import build, write
from .render import for_people
from .table import FinancialYear, Table, last_complete_year, mean, parse_year, percent

__all__ = ["build", "write", "for_people", "FinancialYear", "Table", "last_complete_year", "mean", "parse_year", "percent"]
