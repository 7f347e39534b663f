"""`triage actions`: the learning register (a short wrapper over ``triage.cases.actions``)."""

from __future__ import annotations

from typing import Any

import click

from .common import Context, echo_json


def _table(rows: list[dict[str, Any]]) -> str:
    """The register as officers read it: one line per action, overdue first."""
    from triage.clock.calendar import short_date

    if not rows:
        return "No actions match."
    head = ("due", "status", "action", "reference", "service", "source", "owner", "what")
    table = [head]
    for r in rows:
        if r["status"] == "open":
            state = f"OVERDUE {-r['working_days_left']}d" if r["overdue"] else f"open, {r['working_days_left']}d left"
        else:
            state = f"{r['status']} {short_date(r['done'])}" + (" (late)" if r["on_time"] is False else "")
        source = r["source"].replace("_", " ") + (f": {r['remedy'].replace('_', ' ')}" if r.get("remedy") else "")
        table.append((short_date(r["due"]), state, r["action_id"], r["reference"], r["service"] or "-", source,
                      r["owner"], r["what"]))
    widths = [max(len(row[i]) for row in table) for i in range(len(head) - 1)]
    return "\n".join("  ".join([*(c.ljust(w) for c, w in zip(row[:-1], widths)), row[-1]]).rstrip() for row in table)


@click.command("actions")
@click.option("--open", "open_", is_flag=True, help="Only actions not yet completed or dropped.")
@click.option("--overdue", is_flag=True, help="Only open actions past their due date.")
@click.option("--status", type=click.Choice(["open", "overdue", "completed", "dropped"]), help="Only actions in this state.")
@click.option("--source", type=click.Choice(["complaint_finding", "lgsco_remedy", "learning"]),
              help="Only actions from this source.")
@click.option("--service", metavar="LABEL", help="Only actions on cases about this service (a taxonomy label).")
@click.option("--year", metavar="YYYY-YY", help="Only actions agreed in this financial year (1 April-31 March).")
@click.option("--today", metavar="DATE", help="Count from DATE instead of today.")
@click.option("--json", "as_json", is_flag=True, help="Print the register as JSON.")
@click.option("--csv", "as_csv", is_flag=True, help="Print the register as CSV (one row per action).")
@click.pass_obj
def actions(obj: Context, open_: bool, overdue: bool, status: str | None, source: str | None, service: str | None,
            year: str | None, today: str | None, as_json: bool, as_csv: bool) -> None:
    """The learning register: every action agreed on a case and what became of it, overdue first."""
    from triage.cases import actions as register
    from triage.contract.errors import UsageError

    from .cases import _today

    chosen = [s for s, on in (("open", open_), ("overdue", overdue), (status or "", status is not None)) if on]
    if len(set(chosen)) > 1:
        raise UsageError(f"give one of --open, --overdue and --status (got {', '.join(dict.fromkeys(chosen))})")
    if as_json and as_csv:
        raise UsageError("give --json or --csv, not both")
    rows = register.register(obj.log(), obj.rules(), _today(today), status=chosen[0] if chosen else None,
                             source=source, service=service, year=year)
    if as_json:
        echo_json(rows)
    elif as_csv:
        click.echo(register.to_csv(rows), nl=False)
    else:
        click.echo(_table(rows))


def register(cli: click.Group) -> None:
    """Add the `actions` command to the `triage` command group."""
    cli.add_command(actions)
