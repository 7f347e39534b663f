"""`triage report`: the annual report (a short wrapper over ``triage.report``)."""

from __future__ import annotations

from typing import Any

import click


def register(cli: click.Group) -> None:
    """Add the `report` command to the `triage` command group."""

    @cli.command("report")
    @click.option("--year", metavar="YYYY-YY",
                  help="The financial year (1 April-31 March), 2024-25 or 2024/25. Default: the last one ended.")
    @click.option("--years", type=click.IntRange(min=1, max=20), default=3, show_default=True,
                  help="How many financial years side by side, ending with --year.")
    @click.option("--basis", type=click.Choice(["received", "resolved"]), default="received", show_default=True,
                  help="Count each representation in the year it was received, or the year of its final response.")
    @click.option("--format", "fmt", type=click.Choice(["json", "md", "html", "csv"]), default="json",
                  show_default=True, help="JSON (every table with its groups, labels and counts), Markdown, printable HTML, or one CSV per table.")
    @click.option("--out", metavar="PATH", help="Write to PATH (a directory for csv). Default: standard output.")
    @click.option("--suppress-below", type=click.IntRange(min=1), metavar="K",
                  help="For publication: show counts from 1 to K-1 as <K.")
    @click.option("--code", "code", is_flag=True,
                  help="The Complaint Handling Code's annual complaints performance and service improvement report "
                       "(its section 8) for --year instead: figures against the Code, refusals, learning, the "
                       "self-assessment (rules/code-self-assessment.yaml), non-compliance, the Ombudsman's letter.")
    @click.pass_obj
    def report_cmd(obj: Any, year: str | None, years: int, basis: str, fmt: str, out: str | None,
                   suppress_below: int | None, code: bool) -> None:
        """The annual report (Regulation 13(3)): every table, several years side by side."""
        from triage import report

        if code:
            ctx = click.get_current_context()
            given = [f"--{name.replace('_', '-')}" for name in ("years", "basis", "suppress_below")
                     if ctx.get_parameter_source(name) is click.core.ParameterSource.COMMANDLINE]
            if given:
                from triage.contract.errors import UsageError
                raise UsageError(f"--code: {', '.join(given)} belong to the annual report; the Code report covers "
                                 "one year (--year) and counts each stage in the year it started")
        report.parse_year(year or report.last_complete_year())  # a bad option before a missing log
        if fmt == "csv" and out is None and not code:
            from triage.contract.errors import UsageError
            raise UsageError("--format csv writes one file per table: give --out DIR")
        rules = obj.rules()
        if code:
            from triage.report import chc_formats
            from triage.report import code as code_report

            data = code_report.build(obj.log(existing=True), rules, year=year or report.last_complete_year())
            written = chc_formats.write(data, fmt, out, rules)
        else:
            data = report.build(obj.log(existing=True), rules, year=year or report.last_complete_year(), years=years, basis=basis,
                                suppress_below=suppress_below)
            written = report.write(data, fmt, out, rules)
        if out is None:
            click.echo(written, nl=False)
        elif fmt == "csv":
            click.echo(f"wrote {len(written)} CSV files to {out}", err=True)
        else:
            click.echo(f"wrote {written}", err=True)


    @cli.command("code-assessment")
    @click.option("--year", metavar="YYYY-YY", help="The financial year the figures come from. Default: the last one ended.")
    @click.option("--out", metavar="PATH", required=True,
                  help="Where to write the pre-filled self-assessment (YAML), e.g. a new council's rules/code-self-assessment.yaml.")
    @click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON: the file and the provisions filled.")
    @click.pass_obj
    def code_assessment(obj: Any, year: str | None, out: str, as_json: bool) -> None:
        """Write the Complaint Handling Code self-assessment with every provision the log can evidence filled in."""
        import json

        from triage import report
        from triage.report import code as code_report

        path = code_report.write_self_assessment(obj.log(), obj.rules(), out, year or report.last_complete_year())
        if as_json:
            written = code_report.read_self_assessment(path)["provisions"]
            click.echo(json.dumps({"path": str(path), "provisions": len(written),
                                   "filled": [p["provision"] for p in written if p.get("complies")]}, indent=2))
        else:
            click.echo(f"wrote {path}", err=True)
