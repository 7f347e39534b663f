"""The `triage` command: short wrappers over the library (see STYLE.md, "Library first").

Errors are translated in one place (``main``): input problems exit 2, one line each;
any other `triage` error exits 1; a traceback is always a bug.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

# The CLI is its own process: skip pydantic's scan of every installed distribution for
# plugins (it costs a cold `triage assess` about 15 ms). Library users are unaffected.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

from triage import __version__  # noqa: E402
from triage.contract.errors import TriageError, UsageError


class Context:
    """What every subcommand shares: where the log and the rules are."""

    def __init__(self, db: str | None, rules: str | None) -> None:
        self.db_path = db
        self.rules_dir = rules

    def rules(self) -> Any:
        from triage.rules.ruleset import load_rules
        return load_rules(self.rules_dir)

    def log(self) -> Any:
        from triage.log.store import DecisionLog
        return DecisionLog(self.db_path)


def _read(path: str) -> bytes:
    """The bytes of a case file or standard input, reading no more than the size limit allows."""
    from triage.contract.validation import MAX_INPUT_BYTES
    if path == "-":
        return sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
    p = Path(path)
    if not p.is_file():
        raise UsageError(f"no such file: {path}")
    with p.open("rb") as f:
        return f.read(MAX_INPUT_BYTES + 1)


def _echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, default=str))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="triage")
@click.option("--db", envvar="TRIAGE_DB", metavar="PATH",
              help="The decision log (SQLite). Default: $TRIAGE_DB, else ./triage.db.")
@click.option("--rules", "rules_dir", envvar="TRIAGE_RULES", metavar="DIR",
              help="The rules directory. Default: $TRIAGE_RULES, else rules/ of this checkout.")
@click.pass_context
def cli(ctx: click.Context, db: str | None, rules_dir: str | None) -> None:
    """Triage representations to children's services: route, deadlines, reasons, log."""
    ctx.obj = Context(db, rules_dir)


@cli.command()
@click.argument("case", required=False, metavar="CASE.json|-")
@click.option("--json", "as_json", is_flag=True, help="Print the decision as JSON (CONTRACT section 2).")
@click.option("--batch", metavar="FILE.jsonl|-", help="Assess one representation per line; print one JSON result per line.")
@click.option("--letters", "letters_dir", metavar="DIR",
              help="Write the decision's draft letters (.txt, .html, .docx) into DIR and record them in the log.")
@click.pass_obj
def assess(obj: Context, case: str | None, as_json: bool, batch: str | None, letters_dir: str | None) -> None:
    """Decide a representation, log it and print the decision."""
    from triage import api
    if batch:
        raise SystemExit(_assess_batch(obj, batch))
    if not case:
        raise UsageError("give a CASE.json file, - for standard input, or --batch FILE.jsonl")
    raw = _read_case(case)
    log = obj.log()
    decision = api.assess(raw, db=log, rules=obj.rules())
    written = []
    if letters_dir:
        drafts = api.draft_letters(decision, _with_reference(raw, decision.reference), rules=obj.rules())
        written = api.write_letters(drafts, letters_dir, decision.reference, decision_id=decision.decision_id,
                                    db=log, rules=obj.rules())
    if as_json:
        click.echo(api.to_json(decision))
    else:
        from .text import decision_text
        click.echo(decision_text(decision.model_dump(mode="json"), obj.rules().flags))
    for path in written:
        click.echo(f"draft written: {path}", err=as_json)


def _with_reference(raw: Any, reference: str) -> Any:
    return {**raw, "reference": reference} if isinstance(raw, dict) else raw


def _read_case(case: str) -> Any:
    from triage.contract.validation import decode
    return decode(_read(case), "standard input" if case == "-" else case)


def _assess_batch(obj: Context, batch: str) -> int:
    from triage import api
    stream = sys.stdin.buffer if batch == "-" else None
    if stream is None:
        if not Path(batch).is_file():
            raise UsageError(f"no such file: {batch}")
        stream = open(batch, "rb")
    failed = total = 0
    show_progress = batch != "-" and sys.stderr.isatty()
    with stream:
        if show_progress:
            lines = list(stream)
            results = api.assess_batch(lines, db=obj.log(), rules=obj.rules())
            with click.progressbar(results, length=len(lines), label="Assessing", file=sys.stderr) as bar:
                for result in bar:
                    total, failed = total + 1, failed + (result.decision is None)
                    click.echo(json.dumps(result.to_json()))
        else:
            for result in api.assess_batch(stream, db=obj.log(), rules=obj.rules()):
                total, failed = total + 1, failed + (result.decision is None)
                click.echo(json.dumps(result.to_json()))
    click.echo(f"{total - failed} assessed and logged, {failed} failed", err=True)
    return 1 if failed else 0


@cli.command()
def schema() -> None:
    """Print the JSON Schema of a representation (for the eForm team)."""
    from triage.api import schema as build
    _echo_json(build())


@cli.group()
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
    rows = obj.log().find(since=since, until=until, procedure=procedure, disposition=disposition,
                          representation_type=rtype, latest_only=latest, limit=limit)
    if as_json:
        _echo_json([{"decision": r.decision, "representation": r.representation} for r in rows])
    else:
        from .text import log_table
        click.echo(log_table([{**r.decision, "received_date": r.representation.get("received_date")} for r in rows]))


@log.command("verify")
@click.pass_obj
def log_verify(obj: Context) -> None:
    """Check the log's hash chain: report the first record altered or removed."""
    store = obj.log()
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
    store = obj.log()
    counts = override_counts(store)
    if as_json:
        _echo_json({"overrides": store.overrides(), "per_rule": dict(counts)})
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
    store = obj.log()
    rows = [store.get(ref)] if ref.startswith("d-") and ref[2:].isdigit() else store.history(ref)
    if as_json:
        _echo_json([{"decision": r.decision, "representation": r.representation} for r in rows])
        return
    from .text import decision_text
    flags = obj.rules().flags
    click.echo("\n\n".join(decision_text(r.decision, flags) for r in rows))


def _today(value: str | None) -> Any:
    from datetime import date
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--today: {value!r} is not a date; write YYYY-MM-DD") from None


EVENT_OPTIONS = [
    click.option("--date", "date_", metavar="DATE", help="When it happened (YYYY-MM-DD). Default: today."),
    click.option("--stage", type=click.IntRange(1, 3), help="The stage (responded)."),
    click.option("--finding", type=click.Choice(["upheld", "partially_upheld", "not_upheld", "no_finding"])),
    click.option("--outcome-label", "actual_outcomes", multiple=True, metavar="LABEL",
                  help="An actual outcome (seed table 11 label); repeatable."),
    click.option("--reason", help="Why (extended, officer_decision)."),
    click.option("--until", metavar="DATE", help="extended: the new response date (default: the maximum)."),
    click.option("--to-stage", type=click.IntRange(2, 3), help="escalation_requested: stage 2 or 3."),
    click.option("--question", help="officer_decision: the question id."),
    click.option("--answer", type=click.Choice(["yes", "no"]), help="officer_decision: the answer."),
    click.option("--by", help="officer_decision: who decided."),
    click.option("--referral-type", type=click.Choice(["education_non_social_care", "social_care", "not_known"])),
    click.option("--lgsco-outcome", "outcome", metavar="LABEL", help="lgsco_decision: the outcome (seed table 12 label)."),
    click.option("--remedy-amount", type=float, help="lgsco_decision: remedy in pounds."),
]


def _event_options(f: Any) -> Any:
    for option in reversed(EVENT_OPTIONS):
        f = option(f)
    return f


@cli.command()
@click.argument("ref", required=False)
@click.argument("event", required=False, type=click.Choice(
    ["acknowledged", "extended", "statement_agreed", "responded", "escalation_requested", "panel_held",
     "panel_report", "officer_decision", "withdrawn", "closed", "lgsco_referral", "lgsco_decision"]))
@_event_options
@click.option("--batch", metavar="FILE.jsonl|-", help="Record one event per line (CONTRACT section 3).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
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
        _echo_json(result.to_json())
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
            click.echo(json.dumps(result.to_json(), default=str))
    click.echo(f"{total - failed} recorded, {failed} failed", err=True)
    return 1 if failed else 0


@cli.command()
@click.option("--within", type=click.IntRange(min=0), metavar="N", help="Only steps due within N working days.")
@click.option("--overdue", is_flag=True, help="Only overdue steps.")
@click.option("--procedure", type=click.Choice(["statutory", "corporate"]))
@click.option("--today", metavar="DATE", help="Count from DATE instead of today.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def due(obj: Context, within: int | None, overdue: bool, procedure: str | None, today: str | None, as_json: bool) -> None:
    """Open cases with their next deadline, soonest first."""
    from triage.cases import workflow
    from .text import due_table
    rows = workflow.due(obj.log(), obj.rules(), _today(today), within=within, overdue=overdue, procedure=procedure)
    if as_json:
        _echo_json(rows)
    else:
        click.echo(due_table(rows))


@cli.command("case")
@click.argument("ref")
@click.option("--today", metavar="DATE", help="Count from DATE instead of today.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def case_cmd(obj: Context, ref: str, today: str | None, as_json: bool) -> None:
    """One case's whole timeline: decisions, events, letters, deadlines met or missed."""
    from triage.cases import workflow
    from .text import case_text
    report = workflow.case_report(obj.log(), obj.rules(), ref, _today(today))
    if as_json:
        _echo_json(report)
    else:
        click.echo(case_text(report))


@cli.command()
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
    record_ = workflow.override(ref, field, to, reason, by, db=obj.log(), rules=obj.rules())
    click.echo(f"overridden: {ref} {field} {record_['from_value']} -> {to} (decision {record_['decision_id']}, "
               f"by {by})")


@cli.command()
@click.argument("ref")
@click.option("--out", "out_dir", default=".", show_default=True, metavar="DIR", help="Where to write the drafts.")
@click.option("--template", "templates", multiple=True, metavar="ID",
              help="Draft this template instead of the decision's own (e.g. extension_notice); repeatable.")
@click.pass_obj
def letters(obj: Context, ref: str, out_dir: str, templates: tuple[str, ...]) -> None:
    """Re-draft the letters of a logged decision (the latest on REF, or one by id), as a
    manager's overrides of it leave it."""
    from triage import api
    store = obj.log()
    row = store.get(ref) if ref.startswith("d-") and ref[2:].isdigit() else store.history(ref)[-1]
    ruleset = obj.rules()
    if row.decision["ruleset"] != ruleset.hash:
        click.echo(f"warning: {row.decision['decision_id']} was decided with ruleset {row.decision['ruleset'][:19]}…; "
                   f"the templates have changed since, so the text may differ", err=True)
    overrides = [o for o in store.overrides(row.decision["reference"]) if o["decision_id"] == row.decision["decision_id"]]
    decision = api.as_overridden(row.decision, row.representation, overrides, rules=ruleset)
    for o in overrides:
        click.echo(f"drafting for the decision as overridden: {o['field']} {o['from_value']} -> {o['to_value']} "
                   f"(by {o['by']})", err=True)
    drafts = api.draft_letters(decision, row.representation, rules=ruleset, templates=list(templates) or None)
    if not drafts:
        raise UsageError(f"{row.decision['decision_id']} calls for no letters; name one with --template")
    for path in api.write_letters(drafts, out_dir, row.decision["reference"], decision_id=row.decision["decision_id"],
                                  db=store, rules=ruleset):
        click.echo(f"draft written: {path}")


@cli.group()
def rules() -> None:
    """Check and test the rules in rules/."""


@rules.command("check")
@click.option("--strict", is_flag=True, help="Treat warnings (outcomes no rule reaches) as errors.")
@click.pass_obj
def rules_check(obj: Context, strict: bool) -> None:
    """Validate every rule file; report outcomes no rule can reach."""
    from triage.rules.checks import letter_problems, unreachable
    ruleset = obj.rules()
    problems = letter_problems(ruleset)
    if problems:
        from triage.contract.errors import RuleErrors
        raise RuleErrors(problems)
    warnings = unreachable(ruleset)
    for w in warnings:
        click.echo(f"warning: {w}", err=True)
    click.echo(f"{len(ruleset.rules)} rules in {len(ruleset.phases)} phases: OK "
               f"({len(warnings)} warnings; ruleset {ruleset.hash})")
    if strict and warnings:
        raise SystemExit(1)


@rules.command("readability")
@click.pass_obj
def rules_readability(obj: Context) -> None:
    """Flesch reading ease of every complainant letter, standard and simple wording."""
    from triage.rules.checks import readability
    rows = readability(obj.rules())
    click.echo(f"{'template':36} {'standard':>8} {'simple':>8}")
    for template, standard, simple in rows:
        fmt = lambda v: "-" if v is None else f"{v:.1f}"  # noqa: E731
        click.echo(f"{template:36} {fmt(standard):>8} {fmt(simple):>8}")
    click.echo("Flesch reading ease: higher is easier; 60-70 plain English, 80+ easy for a child.")


@rules.command("test")
@click.option("--dir", "directory", metavar="DIR", help="Scenario directory (default: scenarios/ in the rules directory).")
@click.option("-v", "--verbose", is_flag=True, help="List every scenario, not only failures.")
@click.pass_obj
def rules_test(obj: Context, directory: str | None, verbose: bool) -> None:
    """Run the scenario files (given a case, expect a decision)."""
    from triage.api import decider
    from triage.rules.scenarios import load_scenarios, run_scenario, uncovered_rules
    ruleset = obj.rules()
    scenarios = load_scenarios(Path(directory) if directory else ruleset.directory / "scenarios")
    d = decider(ruleset)
    outcomes = [run_scenario(d, sc) for sc in scenarios]
    failed = [o for o in outcomes if not o.passed]
    for o in outcomes:
        if verbose or not o.passed:
            click.echo(f"{'PASS' if o.passed else 'FAIL'} {o.scenario.file}: {o.scenario.name}")
            for f in o.failures:
                click.echo(f"     {f}")
    missing = uncovered_rules(ruleset, outcomes)
    for rid in missing:
        click.echo(f"UNCOVERED rule {rid}: no scenario fires it")
    click.echo(f"{len(outcomes) - len(failed)} passed, {len(failed)} failed")
    if failed or missing:
        raise SystemExit(1)


def _register_extensions() -> None:
    from triage.cli import report as cli_report, serve as cli_serve
    cli_report.register(cli)
    cli_serve.register(cli)


_register_extensions()


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI and translate errors (exit 2 for bad input, 1 otherwise)."""
    try:
        cli.main(args=argv, prog_name="triage", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except TriageError as exc:
        for line in exc.lines():
            click.echo(f"error: {line}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except SystemExit:
        raise
    except BrokenPipeError:
        sys.exit(0)
