"""`triage log` (list, show, verify, overrides) and `triage override`: review the decision log and change a decision with reasons."""

from __future__ import annotations

import click

from triage.contract.errors import UsageError

from .common import Context, echo_json


@click.group()
def log() -> None:
    """Review the decision log."""


@log.command("list")
@click.option("--since", metavar="DATE", help="Received on or after DATE (YYYY-MM-DD).")
@click.option("--until", metavar="DATE", help="Received on or before DATE (YYYY-MM-DD).")
@click.option("--procedure", type=click.Choice(["statutory", "corporate"]))
@click.option("--disposition", type=click.Choice(
    ["accepted", "refused", "deferred", "officer_decision_required", "information_requested", "redirected"]))
@click.option("--type", "rtype", type=click.Choice(["complaint", "pre_complaint", "case_concern", "safeguarding_referral",
              "compliment", "call_back_request", "information_request", "lgsco_enquiry", "member_enquiry",
              "professional_complaint", "hscp", "ad_hoc"]), help="Representation type.")
@click.option("--latest", is_flag=True, help="Only the latest decision on each reference.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many decisions.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (decisions with their inputs).")
@click.pass_obj
def log_list(obj: Context, since: str | None, until: str | None, procedure: str | None,
             disposition: str | None, rtype: str | None, latest: bool, limit: int | None, as_json: bool) -> None:
    """List logged decisions, oldest first."""
    from datetime import date
    for name, value in (("--since", since), ("--until", until)):
        if value:
            try:
                date.fromisoformat(value)
            except ValueError:
                raise UsageError(f"{name}: {value!r} is not a date; write YYYY-MM-DD") from None
    rows = obj.log(existing=True).find(since=since, until=until, procedure=procedure, disposition=disposition,
                          representation_type=rtype, latest_only=latest, limit=limit)
    if as_json:
        echo_json([{"decision": r.decision, "representation": r.representation} for r in rows])
    else:
        from .text import log_table
        click.echo(log_table([{**r.decision, "received_date": r.representation.get("received_date")} for r in rows]))


@log.command("verify")
@click.pass_obj
def log_verify(obj: Context) -> None:
    """Check the log's hash chain: report the first record altered or removed."""
    store = obj.log(existing=True)
    problems = store.verify()
    if problems:
        for p in problems:
            click.echo(f"TAMPERED: {p}", err=True)
        raise SystemExit(1)
    records = next(store.db.query("SELECT count(*) AS n FROM chain"))["n"]
    click.echo(f"OK: {records} records, hash chain intact ({store.path})")


@log.command("overrides")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def log_overrides(obj: Context, as_json: bool) -> None:
    """Overrides, and how often each rule's conclusion was overridden (for rule review)."""
    from triage.cases.workflow import override_counts
    store = obj.log(existing=True)
    counts = override_counts(store)
    if as_json:
        echo_json({"overrides": store.overrides(), "per_rule": dict(counts)})
        return
    for o in store.overrides():
        click.echo(f"{o['recorded_at']}  {o['reference']}  {o['field']}: {o['from_value']} -> {o['to_value']}  "
                   f"by {o['by']}: {o['reason']}")
    click.echo("Overrides per rule:" if counts else "No overrides.")
    for rid, n in counts:
        click.echo(f"  {n:4d}  {rid}")


@log.command("show")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (decisions with their inputs).")
@click.pass_obj
def log_show(obj: Context, ref: str, as_json: bool) -> None:
    """Show every decision on a reference (or one decision by id, d-000123)."""
    store = obj.log(existing=True)
    rows = [store.get(ref)] if ref.startswith("d-") and ref[2:].isdigit() else store.history(ref)
    if as_json:
        echo_json([{"decision": r.decision, "representation": r.representation} for r in rows])
        return
    from .text import decision_text
    flags = obj.rules().flags
    click.echo("\n\n".join(decision_text(r.decision, flags) for r in rows))




@click.command()
@click.argument("ref")
@click.option("--field", required=True, type=click.Choice(["representation_type", "procedure", "disposition",
                                                           "reason", "stage"]))
@click.option("--to", "to", required=True, metavar="VALUE")
@click.option("--reason", required=True, help="Why the decision is changed (kept in the log).")
@click.option("--by", required=True, help="The manager making the change.")
@click.pass_obj
def override(obj: Context, ref: str, field: str, to: str, reason: str, by: str) -> None:
    """Change a decision's route, disposition or reason, with reasons (the original stays)."""
    from triage.cases import workflow
    record_ = workflow.override(ref, field, to, reason, by, db=obj.log(existing=True), rules=obj.rules())
    click.echo(f"overridden: {ref} {field} {record_['from_value']} -> {to} (decision {record_['decision_id']}, "
               f"by {by})")


def register(cli: click.Group) -> None:
    """Add these commands to the `triage` command group."""
    cli.add_command(log)
    cli.add_command(override)
