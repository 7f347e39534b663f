"""The Complaint Handling Code report as a document: JSON, Markdown, printable HTML (the
Jinja template templates/report/code.html.j2, autoescaped, like the annual report) and CSV
(one file per part)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from triage.contract.errors import UsageError

from .render import _environment, _md, cell, csv_directory, templates_dir

FORMATS = ("json", "md", "html", "csv")
COMPLIES = {"yes": "Yes", "no": "No", "partly": "Partly", None: "Not assessed"}


def _figure(p: dict[str, Any]) -> str:
    if not p["of"]:
        return "none this year"
    if p["meets_code"] is None and p["count"] == p["of"]:
        return str(p["count"])
    return f"{p['count']} of {p['of']}" + (f" ({p['percent']})" if p["percent"] else "")


def _meets(p: dict[str, Any]) -> str:
    return {True: "Meets the Code", False: "Does not meet the Code", None: "-"}[p["meets_code"]]


def to_markdown(report: dict[str, Any]) -> str:
    """The report as Markdown, in the order of the Code's section 8.1."""
    name = _md(report.get("council") or "The council")
    lines = [f"# {name}: annual complaints performance and service improvement report {report['year']}", "",
             f"Against the {_md(report['code'])}, section 8. Period {report['period']['from']} to "
             f"{report['period']['to']}.", "", "## Findings of non-compliance", ""]
    if report["non_compliance"]:
        lines += [f"- **{_md(f['provision'])}**: {_md(f['finding'])}" for f in report["non_compliance"]]
    else:
        lines.append("None: the figures meet the Code's standards and the self-assessment records no shortfall.")
    lines += ["", "## Complaint handling performance", "", "| Provision | Measure | Standard | Figure | Against the Code |",
              "|---|---|---|---:|---|"]
    lines += [f"| {_md(p['provision'])} | {_md(p['measure'])} | {_md(p['standard'])} | {_figure(p)} | {_meets(p)} |"
              for p in report["performance"]]
    year = report["year"]
    lines += ["", "## Complaints refused", "", "| Refused or deferred | Reason | Count |", "|---|---|---:|"]
    lines += [f"| {_md(r['group'] or '')} | {_md(r['label'])} | {cell(r['counts'].get(year))} |"
              for r in report["refusals"]["rows"]]
    lines += ["", "What was refused: " + ("; ".join(
        f"{r['count']} {r['procedure']} complaint{'s' if r['count'] != 1 else ''} about {_md(r['service'])}: "
        f"{_md(r['reason'].lower())}" for r in report["refused_summary"]) or "nothing") + "."]
    lines += ["", "## Learning and service improvement", "", "| Group | Measure | Count | % |", "|---|---|---:|---:|"]
    lines += [f"| {_md(r['group'] or '')} | {_md(r['label'])} | {cell(r['counts'].get(year))} | {r['percents'].get(year, '')} |"
              for r in report["learning"]["rows"]]
    lines += ["", "### Service improvements implemented", ""]
    if report["improvements"]:
        lines += ["| Service | From | Improvement |", "|---|---|---|"]
        lines += [f"| {_md(i['service'])} | {_md(i['source'])} | {_md(i['improvement'])} |" for i in report["improvements"]]
    else:
        lines.append("None was recorded as implemented in the year.")
    lines += ["", "## Self-assessment against the Code", "",
              "| Provision | Requirement | Complies | Evidence | Commentary |", "|---|---|---|---|---|"]
    for r in report["self_assessment"]:
        complies = COMPLIES.get(r["complies"], r["complies"]) + (" (from the log)" if r["from_log"] else "")
        lines.append(f"| {_md(r['provision'])} | {_md(r['requirement'])} | {complies} | {_md(r['evidence'])} | "
                     f"{_md(r['commentary'])} |")
    lines += ["", "## The Ombudsman's annual letter", ""]
    letter = report.get("ombudsman_letter")
    if not letter:
        lines.append("Not yet named: give its address or file under ombudsman_letter in the self-assessment file.")
    else:
        lines.append(f"**{_md(letter['title'])}**" + (f": <{letter['url']}>" if letter.get("url") else ""))
        if letter.get("text"):
            lines += [""] + ["> " + line if line else ">" for line in letter["text"].splitlines()]
    lines += ["", "## Notes", ""] + [f"- {_md(n)}" for n in report["notes"]] + [""]
    return "\n".join(lines)


def to_csv(report: dict[str, Any]) -> dict[str, str]:
    """One CSV per part: performance, self_assessment, non_compliance, refused."""
    out = {}
    parts = {"performance": (["provision", "measure", "standard", "count", "of", "percent", "meets_code", "finding"],
                             report["performance"]),
             "self_assessment": (["provision", "section", "requirement", "complies", "evidence", "commentary",
                                  "from_log"], report["self_assessment"]),
             "non_compliance": (["provision", "source", "finding"], report["non_compliance"]),
             "refused": (["procedure", "service", "reason", "count"], report["refused_summary"])}
    for name, (columns, rows) in parts.items():
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(columns)
        for r in rows:
            w.writerow(["" if r.get(c) is None else r.get(c) for c in columns])
        out[f"{name}.csv"] = buf.getvalue()
    return out


def to_html(report: dict[str, Any], rules: Any = None) -> str:
    """A self-contained, printable HTML document (inline CSS; no scripts, no links out but the letter's)."""
    directory = templates_dir(rules)
    if not (directory / "code.html.j2").is_file():
        raise UsageError(f"no report template {directory / 'code.html.j2'} (set TRIAGE_REPORT_TEMPLATES)")
    return str(_environment(directory).get_template("code.html.j2").render(
        report=report, complies=COMPLIES, figure=_figure, meets=_meets))


def write(report: dict[str, Any], fmt: str, out: str | Path | None = None, rules: Any = None) -> Any:
    """Render as ``fmt``: json, md and html to the file ``out`` (text when None); csv into the directory ``out``."""
    if fmt not in FORMATS:
        raise UsageError(f"--format: {fmt!r} is not a format; use one of {', '.join(FORMATS)}")
    if fmt == "csv":
        directory = csv_directory(out, "part")
        paths = []
        for name, text in to_csv(report).items():
            (directory / name).write_text(text, encoding="utf-8", newline="")
            paths.append(directory / name)
        return paths
    if fmt == "json":
        text = json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    else:
        text = to_markdown(report) if fmt == "md" else to_html(report, rules)
    if out is None:
        return text
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(text, encoding="utf-8")
    return Path(out)
