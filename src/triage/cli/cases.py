"""`triage record`, `due`, `case` and `letters`: a case after its first decision."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from triage.contract.errors import UsageError

from .common import Context, echo_json, json_option, signed_by_options


def _today(value: str | None) -> Any:
    from datetime import date
    if value is None:
        return date.today()
    from triage.contract.validation import day_problem
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--today: {value!r} is not a date; write YYYY-MM-DD") from None
    problem = day_problem(day, "--today")
    if problem is not None:
        raise UsageError(str(problem))
    return day


EVENT_OPTIONS = [
    click.option("--date", "date_", metavar="DATE", help="When it happened (YYYY-MM-DD). Default: today."),
    click.option("--stage", type=click.IntRange(1, 3), help="The stage (responded)."),
    click.option("--finding", type=click.Choice(["upheld", "partially_upheld", "not_upheld", "no_finding"])),
    click.option("--outcome-label", "actual_outcomes", multiple=True, metavar="LABEL",
                  help="An actual outcome (a label of the taxonomy's actual_outcomes); repeatable."),
    click.option("--reason", help="Why (extended, officer_decision)."),
    click.option("--until", metavar="DATE", help="extended: the new response date (default: the maximum)."),
    click.option("--to-stage", type=click.IntRange(2, 3), help="escalation_requested: stage 2 or 3."),
    click.option("--question", help="officer_decision: the question id."),
    click.option("--answer", type=click.Choice(["yes", "no"]), help="officer_decision: the answer."),
    click.option("--by", help="officer_decision: who decided."),
    click.option("--referral-type", type=click.Choice(["education_non_social_care", "social_care", "not_known"])),
    click.option("--lgsco-outcome", "outcome", metavar="LABEL", help="lgsco_decision: the outcome (a label of the taxonomy's lgsco_outcomes)."),
    click.option("--remedy-amount", type=float, help="lgsco_decision: remedy in pounds."),
    click.option("--action-id", metavar="ID", help="action_*: the action's id (unique in the log)."),
    click.option("--what", metavar="TEXT", help="action_agreed: what is to be done."),
    click.option("--source", type=click.Choice(["complaint_finding", "lgsco_remedy", "learning"]),
                 help="action_agreed: where the action comes from."),
    click.option("--owner", metavar="TEAM", help="action_agreed: the team or role that owns it (not a person)."),
    click.option("--due", metavar="DATE", help="action_agreed: when it is due (YYYY-MM-DD)."),
    click.option("--remedy", type=click.Choice(["apology", "payment", "service_improvement", "review_others_affected",
                                                "other"]), help="action_agreed: the kind of remedy."),
    click.option("--amount", type=float, help="action_agreed: a payment in pounds (with --remedy payment)."),
    click.option("--evidence", metavar="TEXT", help="action_completed: what shows it was done."),
]


def _event_options(f: Any) -> Any:
    for option in reversed(EVENT_OPTIONS):
        f = option(f)
    return f


@click.command()
@click.argument("ref", required=False)
@click.argument("event", required=False, type=click.Choice(
    ["acknowledged", "extended", "statement_agreed", "responded", "escalation_requested", "panel_held",
     "panel_report", "officer_decision", "withdrawn", "closed", "lgsco_referral", "lgsco_decision",
     "action_agreed", "action_completed", "action_dropped"]))
@_event_options
@click.option("--batch", metavar="FILE.jsonl|-", help="Record one event per line (JSON Lines: reference, event, date and its fields).")
@json_option("the result (the event as recorded, and any new decision)")
@click.pass_obj
def record(obj: Context, ref: str | None, event: str | None, batch: str | None, as_json: bool, date_: str | None,
           **fields: Any) -> None:
    """Record a step in a case's life: triage record REF responded --stage 1 --finding upheld."""
    from triage.cases import workflow
    if batch:
        raise SystemExit(_record_batch(obj, batch))
    if not ref or not event:
        raise UsageError("give REF and EVENT (e.g. triage record CS-1 acknowledged), or --batch FILE.jsonl")
    payload: dict[str, Any] = {"reference": ref, "event": event, "date": date_ or _today(None).isoformat()}
    if fields.get("answer"):
        fields["answer"] = fields["answer"] == "yes"
    payload.update({k: (list(v) if isinstance(v, tuple) else v) for k, v in fields.items() if v not in (None, ())})
    result = workflow.record(payload, db=obj.log(), rules=obj.rules())
    if as_json:
        echo_json(result.to_dict())
        return
    click.echo(f"{'recorded' if result.added else 'already recorded'}: {ref} {event} on {payload['date']}")
    if result.decision is not None:
        from .text import decision_text
        click.echo(decision_text(result.decision.model_dump(mode="json"), obj.rules().flags))


def _record_batch(obj: Context, batch: str) -> int:
    from triage.cases import workflow
    if batch != "-" and not Path(batch).is_file():
        raise UsageError(f"no such file: {batch}")
    failed = total = 0
    with (sys.stdin.buffer if batch == "-" else open(batch, "rb")) as stream:
        for result in workflow.record_batch(stream, db=obj.log(), rules=obj.rules()):
            total, failed = total + 1, failed + (result.recorded is None)
            click.echo(result.to_json())
    click.echo(f"{total - failed} recorded, {failed} failed", err=True)
    return 1 if failed else 0


@click.command()
@click.option("--within", type=click.IntRange(min=0), metavar="N", help="Only steps due within N working days.")
@click.option("--overdue", is_flag=True, help="Only overdue steps.")
@click.option("--procedure", type=click.Choice(["statutory", "corporate"]))
@click.option("--today", metavar="DATE", help="Count from DATE instead of today.")
@json_option("each step owed (reference, step, due date, working days left, rule)")
@click.pass_obj
def due(obj: Context, within: int | None, overdue: bool, procedure: str | None, today: str | None, as_json: bool) -> None:
    """Open cases with their next deadline, soonest first."""
    from triage.cases import workflow

    from .text import due_table
    rows = workflow.due(obj.log(existing=True), obj.rules(), _today(today), within=within, overdue=overdue,
                        procedure=procedure)
    if as_json:
        echo_json(rows)
    else:
        click.echo(due_table(rows))


@click.command("case")
@click.argument("ref")
@click.option("--today", metavar="DATE", help="Count from DATE instead of today.")
@json_option("the case: decisions, events, overrides, letters, deadlines and warnings")
@click.pass_obj
def case_cmd(obj: Context, ref: str, today: str | None, as_json: bool) -> None:
    """One case's whole timeline: decisions, events, letters, deadlines met or missed."""
    from triage.cases import workflow

    from .text import case_text
    report = workflow.case_report(obj.log(existing=True), obj.rules(), ref, _today(today))
    if as_json:
        echo_json(report)
    else:
        click.echo(case_text(report))




@click.command()
@click.argument("ref")
@click.option("--out", "out_dir", default=".", show_default=True, metavar="DIR", help="Where to write the drafts.")
@click.option("--template", "templates", multiple=True, metavar="ID",
              help="Draft this template instead of the decision's own (e.g. extension_notice); repeatable.")
@signed_by_options
@json_option("the decision drafted for, the overrides applied and the files written")
@click.pass_obj
def letters(obj: Context, ref: str, out_dir: str, templates: tuple[str, ...], signed_by: str | None,
            signed_by_title: str | None, as_json: bool) -> None:
    """Re-draft the letters of a logged decision (the latest on REF, or one by id), as a
    manager's overrides of it leave it."""
    from triage import api

    from .text import shown
    store = obj.log(existing=True)
    row = store.get(ref) if ref.startswith("d-") and ref[2:].isdigit() else store.history(ref)[-1]
    ruleset = obj.rules()
    if row.decision["ruleset"] != ruleset.hash:
        click.echo(f"warning: {row.decision['decision_id']} was decided with ruleset {row.decision['ruleset'][:19]}…; "
                   f"the templates have changed since, so the text may differ", err=True)
    overrides = [o for o in store.overrides(row.decision["reference"]) if o["decision_id"] == row.decision["decision_id"]]
    decision = api.as_overridden(row.decision, row.representation, overrides, rules=ruleset)
    for o in overrides:
        click.echo(f"drafting for the decision as overridden: {o['field']} {shown(o['from_value'])} -> {o['to_value']} "
                   f"(by {o['by']})", err=True)
    drafts = api.draft_letters(decision, row.representation, rules=ruleset, templates=list(templates) or None,
                               signed_by=signed_by, signed_by_title=signed_by_title)
    if not drafts:
        raise UsageError(f"{row.decision['decision_id']} calls for no letters; name one with --template")
    written = api.write_letters(drafts, out_dir, row.decision["reference"], decision_id=row.decision["decision_id"],
                                db=store, rules=ruleset)
    if as_json:
        echo_json({"decision_id": row.decision["decision_id"], "reference": row.decision["reference"],
                   "overrides": [{k: o[k] for k in ("field", "from_value", "to_value", "by")} for o in overrides],
                   "letters": [d.summary() for d in drafts], "written": [str(p) for p in written]})
        return
    for path in written:
        click.echo(f"draft written: {path}")


def register(cli: click.Group) -> None:
    """Add these commands to the `triage` command group."""
    cli.add_command(record)
    cli.add_command(due)
    cli.add_command(case_cmd)
    cli.add_command(letters)
