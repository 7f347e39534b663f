"""`triage assess` and `triage schema`: decide representations, one or a batch; the input's JSON Schema."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from triage.contract.errors import UsageError

from .common import Context, echo_json, read_input


@click.command()
@click.argument("case", required=False, metavar="CASE.json|-")
@click.option("--json", "as_json", is_flag=True, help="Print the decision as JSON (its fields: docs/reference.md).")
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
    return decode(read_input(case), "standard input" if case == "-" else case)


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


@click.command()
def schema() -> None:
    """Print the JSON Schema of a representation (for the eForm team)."""
    from triage.api import schema as build
    echo_json(build())


def register(cli: click.Group) -> None:
    """Add these commands to the `triage` command group."""
    cli.add_command(assess)
    cli.add_command(schema)
