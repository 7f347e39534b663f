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
    @click.pass_obj
    def report_cmd(obj: Any, year: str | None, years: int, basis: str, fmt: str, out: str | None,
                   suppress_below: int | None) -> None:
        """The annual report (Regulation 13(3)): every table, several years side by side."""
        from triage import report

        from triage.contract.errors import UsageError

        rules = obj.rules()
        year_ = report.parse_year(year or report.last_complete_year())  # a bad option before a missing log
        if fmt == "csv" and out is None:
            raise UsageError("--format csv writes one file per table: give --out DIR")
        data = report.build(obj.log(existing=True), rules, year=year_, years=years, basis=basis,
                            suppress_below=suppress_below)
        written = report.write(data, fmt, out, rules)
        if out is None:
            click.echo(written, nl=False)
        elif fmt == "csv":
            click.echo(f"wrote {len(written)} CSV files to {out}", err=True)
        else:
            click.echo(f"wrote {written}", err=True)
