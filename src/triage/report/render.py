"""The annual report as a document: JSON, Markdown, printable self-contained HTML (Jinja2
templates in templates/report/, autoescaped, charts as inline SVG) and one CSV per table.

Only the report's JSON is rendered: it holds counts and labels, never a name, contact detail
or free text, so no document can show one.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

from triage.contract.errors import UsageError

FORMATS = ("json", "md", "html", "csv")


def cell(value: Any) -> str:
    """A count for people to read (thousands separated: 1,234), an average to one place, '-'
    for none; a suppressed count ("<5", "[c]") as it is."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def years_without_data(report: dict[str, Any]) -> set[str]:
    """The report's years in which nothing at all was counted (no representation): their
    figures are shown as '-', not as 0, 0% or "no change"."""
    total = _row(report, "representations", None, "Total representations")["counts"]
    return {y for y in report["years"] if total.get(y) in (None, 0)}


def for_people(report: dict[str, Any]) -> dict[str, Any]:
    """The report as people read it (Markdown, HTML, the web page): every count a display
    string (thousands separated, '-' for none), the years with no data at all blank rather
    than 0, and each table's first column headed by what it holds. The JSON and CSV keep
    the numbers."""
    from .labels import row_heading

    empty = years_without_data(report)
    tables = []
    for t in report["tables"]:
        rows = [{**r, "counts": {y: "-" if y in empty else cell(r["counts"].get(y)) for y in report["years"]},
                 "percents": {y: p for y, p in r["percents"].items() if y not in empty}} for r in t["rows"]]
        tables.append({**t, "rows": rows, "row_heading": row_heading(t["id"])})
    return {**report, "tables": tables}


def _row(report: dict[str, Any], table: str, group: str | None, label: str) -> dict[str, Any]:
    for t in report["tables"]:
        if t["id"] == table:
            for r in t["rows"]:
                if r["group"] == group and r["label"] == label:
                    return r
    return {"label": label, "counts": {}, "percents": {}}


def _change(now: Any, before: Any, kind: str) -> str:
    if not isinstance(now, (int, float)) or not isinstance(before, (int, float)):
        return ""
    if kind == "points":
        diff = now - before
        return "no change" if diff == 0 else f"{diff:+d} point{'' if abs(diff) == 1 else 's'}"
    if kind == "days":
        diff = round(now - before, 1)
        return "no change" if diff == 0 else f"{diff:+.1f} day{'' if abs(diff) == 1 else 's'}"
    if before == 0:
        return "no change" if now == 0 else "new"
    pct = (now - before) * 100 / before
    return "no change" if now == before else f"{'+' if pct > 0 else '-'}{abs(pct):.0f}%"


def _pct_value(text: Any) -> int | None:
    if isinstance(text, str) and text.endswith("%") and text[:-1].isdigit():
        return int(text[:-1])
    return 0 if text == "<1%" else None


def headlines(report: dict[str, Any]) -> list[dict[str, str]]:
    """The headline figures with the change on the year before (as seed 001's summary gives them)."""
    from .table import percent

    years = report["years"]
    now, before = years[0], years[1] if len(years) > 1 else None
    empty = years_without_data(report)
    out = []

    def add(label: str, value: Any, previous: Any, kind: str = "count", shown: Any = None, shown_before: Any = None) -> None:
        # A year with no data shows '-' and is not compared ("no change" from nothing says nothing).
        if now in empty:
            value, shown = None, "-"
        if before in empty:
            previous, shown_before = None, "-"
        out.append({"label": label, "value": cell(value) if shown is None else shown,
                    "previous": ("" if before is None else cell(previous) if shown_before is None else shown_before),
                    "change": "" if before is None else _change(value, previous, kind)})

    def share(row: dict[str, Any], denominator: dict[str, Any], year: str | None) -> Any:
        """A row's percentage for ``year``, or None when there was nothing to take a share of."""
        return row["percents"].get(year) if year and denominator["counts"].get(year) not in (None, 0) else None

    for label, table, group, row in (("Representations", "representations", None, "Total representations"),
                                     ("Social care (statutory) complaints", "representations", "CSC representations", "Complaint"),
                                     ("Corporate complaints", "representations", "Corporate representations", "Complaint"),
                                     ("Complaints refused or deferred", "refusals", None, "Total Refusals"),
                                     ("Ombudsman referrals received", "lgsco", "LGSCO Referrals Received",
                                      "Number of referrals received by CSCT from LGSCO in period")):
        r = _row(report, table, group, row)
        add(label, r["counts"].get(now), r["counts"].get(before))
    stage1 = "Social Care Complaints Stage 1"
    within: dict[str, Any] = next((r for t in report["tables"] if t["id"] == "timescales" for r in t["rows"]
                   if r["group"] == stage1 and r["label"].startswith("in ") and "between" not in r["label"]
                   and "over" not in r["label"]), {"label": "in time", "percents": {}, "counts": {}})
    answered = _row(report, "timescales", stage1, "Total number of complaints")
    p_now, p_before = share(within, answered, now), share(within, answered, before)
    add(f"Social care stage 1 answered {within['label'].replace('in ', 'within ', 1)}", _pct_value(p_now),
        _pct_value(p_before), "points",
        p_now or "-", p_before or "-")
    avg = _row(report, "timescales", stage1, "average time to complete (days)")
    add("Social care stage 1 average working days", avg["counts"].get(now), avg["counts"].get(before), "days")
    shares = []
    for y in (now, before):
        counts = [_row(report, "outcomes", "Statutory Social Care complaints", lab)["counts"].get(y)
                  for lab in ("Upheld", "Partially upheld", "Total")]
        ok = all(isinstance(c, int) for c in counts)
        shares.append(percent(counts[0] + counts[1], counts[2]) if ok and y and counts[2] else None)
    add("Social care stage 1 upheld or partially upheld", _pct_value(shares[0]), _pct_value(shares[1]), "points",
        shares[0] or "-", shares[1] or "-")
    esc = _row(report, "escalations", "Social Care Complaints", "Escalated to stage 2")
    responses = _row(report, "escalations", "Social Care Complaints", "Stage 1 responses")
    e_now, e_before = share(esc, responses, now), share(esc, responses, before)
    add("Social care complaints escalated to stage 2", _pct_value(e_now), _pct_value(e_before), "points",
        e_now or "-", e_before or "-")
    return out


# --------------------------------------------------------------------------- formats


def to_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"


def _md(text: Any) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("*", "\\*").replace("_", "\\_")


def to_markdown(report: dict[str, Any]) -> str:
    """GitHub-flavoured Markdown: headline figures, then each table as the seeds lay them out."""
    years = report["years"]
    lines = [f"# {_md(report.get('council') or 'Children')}{' - ' + _md(report['service']) if report.get('service') else ''}",
             "", f"## Annual Compliments, Complaints and Representations Report {report['year']}", "",
             f"Period {report['period']['from']} to {report['period']['to']}; counted on the **{report['basis']}** basis.",
             "", "### Headline figures", ""]
    head = ["Measure", years[0]] + ([years[1], "Change"] if len(years) > 1 else [])
    lines += ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for h in headlines(report):
        cells = [_md(h["label"]), h["value"]] + ([h["previous"], h["change"] or "-"] if len(years) > 1 else [])
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "## Data tables", ""]
    for number, table in enumerate(for_people(report)["tables"], start=1):
        with_pct = any(r["percents"] for r in table["rows"])
        head = [_md(table["row_heading"])] + [h for y in years for h in ([y, "%"] if with_pct else [y])]
        lines += [f"### Table {number}: {_md(table['title'])}", "",
                  "| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
        group = None
        for r in table["rows"]:
            if r["group"] != group and r["group"] is not None and r["group"] != r["label"]:
                lines.append(f"| **{_md(r['group'])}** |" + " |" * (len(head) - 1))
            group = r["group"]
            label = _md(r["label"])
            if r["label"].startswith("Total") and not r["label"].startswith("Total number"):
                label = f"**{label}**"
            cells = [label] + [c for y in years for c in
                               ([cell(r["counts"].get(y)), r["percents"].get(y, "")] if with_pct else [cell(r["counts"].get(y))])]
            lines.append("| " + " | ".join(cells) + " |")
        if table.get("note"):
            lines += ["", f"_{_md(table['note'])}_"]
        lines.append("")
    lines += improvements_markdown(report)
    lines += ["## Notes", ""] + [f"- {_md(n)}" for n in report["notes"]] + [""]
    return "\n".join(lines)


IMPROVEMENTS_TITLE = "Service improvements implemented"


def improvements_markdown(report: dict[str, Any]) -> list[str]:
    """The service improvements implemented in the year (GBFC 2006 5.6.2), as a table."""
    rows = report.get("improvements") or []
    lines = [f"## {IMPROVEMENTS_TITLE} in {report['year']}", ""]
    if not rows:
        return lines + ["None was recorded as implemented in the year.", ""]
    lines += ["| Service | From | Improvement |", "|---|---|---|"]
    lines += [f"| {_md(r['service'])} | {_md(r['source'])} | {_md(r['improvement'])} |" for r in rows]
    return lines + [""]


CSV_COLUMNS = ["table_id", "table", "row", "group", "label", "year", "count", "percent"]


def to_csv(table: dict[str, Any], years: list[str]) -> str:
    """One table in long form (a row per label and year): the columns stay the same every
    year, so a Power BI or Excel model built on last year's files refreshes without edits."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    for i, r in enumerate(table["rows"], start=1):
        for y in years:
            v = r["counts"].get(y)
            w.writerow([table["id"], table["title"], i, r["group"] or "", r["label"], y,
                        "" if v is None else v, r["percents"].get(y, "")])
    return buf.getvalue()


def improvements_csv(report: dict[str, Any]) -> str:
    """The service improvements implemented in the report's year, one per row."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["year", "service", "source", "improvement"])
    for r in report.get("improvements") or []:
        w.writerow([report["year"], r["service"], r["source"], r["improvement"]])
    return buf.getvalue()


def templates_dir(rules: Any = None) -> Path:
    """``TRIAGE_REPORT_TEMPLATES``; else the council folder's templates/report/ when it holds
    report.html.j2; else templates/report/ beside a rules directory given with --rules; else
    the shipped templates."""
    env = os.environ.get("TRIAGE_REPORT_TEMPLATES")
    if env:
        return Path(env)
    from triage.contract.shipped import templates_dir as shipped_templates

    candidates = []
    if rules is not None:
        council = getattr(rules, "council_dir", None)
        if council is not None:
            candidates.append(Path(council) / "templates" / "report")
        if getattr(rules, "directory", None) is not None:
            candidates.append(Path(rules.directory).resolve().parent / "templates" / "report")
    for directory in candidates:
        if (directory / "report.html.j2").is_file():
            return directory
    return shipped_templates("report")


def _environment(directory: Path) -> Any:
    """Autoescaped and sandboxed, like the letters (a council may edit the report's template)."""
    from triage.letters.environment import environment

    env = environment(directory, autoescape=True)
    env.filters["cell"] = cell
    return env


def to_html(report: dict[str, Any], rules: Any = None) -> str:
    """A self-contained, printable HTML document (inline CSS and SVG; no scripts, no links out)."""
    from .charts import charts

    directory = templates_dir(rules)
    if not (directory / "report.html.j2").is_file():
        raise UsageError(f"no report template {directory / 'report.html.j2'} (set TRIAGE_REPORT_TEMPLATES)")
    tables = [{**t, "number": i, "with_pct": any(r["percents"] for r in t["rows"])}
              for i, t in enumerate(for_people(report)["tables"], start=1)]
    return str(_environment(directory).get_template("report.html.j2").render(
        report=report, tables=tables, headlines=headlines(report), charts=charts(report)))


def csv_directory(out: str | Path | None, each: str) -> Path:
    """The directory --format csv writes one file per ``each`` into, made if missing (UsageError
    when none is given or a file stands there)."""
    if out is None:
        raise UsageError(f"--format csv writes one file per {each}: give --out DIR")
    directory = Path(out)
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"--out: {directory} is a file; --format csv needs a directory")
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def write(report: dict[str, Any], fmt: str, out: str | Path | None = None, rules: Any = None) -> Any:
    """Render ``report`` as ``fmt``. json, md and html go to the file ``out`` (returned as
    text when ``out`` is None); csv writes ``<table id>.csv`` for every table into the
    directory ``out`` and returns the paths."""
    if fmt not in FORMATS:
        raise UsageError(f"--format: {fmt!r} is not a format; use one of {', '.join(FORMATS)}")
    if fmt == "csv":
        directory = csv_directory(out, "table")
        paths = []
        for table in report["tables"]:
            path = directory / f"{table['id']}.csv"
            path.write_text(to_csv(table, report["years"]), encoding="utf-8", newline="")
            paths.append(path)
        if "improvements" in report:
            path = directory / "improvements.csv"
            path.write_text(improvements_csv(report), encoding="utf-8", newline="")
            paths.append(path)
        return paths
    text = {"json": to_json, "md": to_markdown}[fmt](report) if fmt != "html" else to_html(report, rules)
    if out is None:
        return text
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(text, encoding="utf-8")
    return Path(out)
