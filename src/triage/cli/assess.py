"""`triage assess` and `triage schema`: decide representations, one or a batch; the input's JSON Schema."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from triage.contract.errors import UsageError

from .common import Context, echo_json, read_input, signed_by_options, stdin_is_piped


@click.command()
@click.argument("case", required=False, metavar="[CASE.json|-]")
@click.option("--json", "as_json", is_flag=True, help="Print the decision as JSON (for the eForm backend and scripts).")
@click.option("--batch", metavar="FILE.jsonl|-", help="Assess one representation per line; print one JSON result per line.")
@click.option("--letters", "letters_dir", metavar="DIR",
              help="Write the decision's draft letters (.txt, .html, .docx) into DIR and record them in the log.")
@signed_by_options
@click.pass_obj
def assess(obj: Context, case: str | None, as_json: bool, batch: str | None, letters_dir: str | None,
           signed_by: str | None, signed_by_title: str | None) -> None:
    """Decide a representation, log it and print the decision.

    CASE.json is a file, or - for standard input; with no CASE.json, standard input is read
    when it is a file or a pipe (triage assess < case.json)."""
    from triage import api
    if batch:
        raise SystemExit(_assess_batch(obj, batch))
    if not case and not stdin_is_piped():
        raise UsageError("give a CASE.json file, - for standard input, or --batch FILE.jsonl")
    if (signed_by is not None or signed_by_title is not None) and not letters_dir:
        raise UsageError("--signed-by and --signed-by-title sign the drafts of --letters DIR; add --letters DIR")
    if letters_dir:
        from triage.letters.book import check_signer
        check_signer(signed_by, signed_by_title)  # before anything is logged
    raw = _read_case(case or "-")
    log = obj.log()
    decision = api.assess(raw, db=log, rules=obj.rules())
    written = []
    if letters_dir:
        drafts = api.draft_letters(decision, _with_reference(raw, decision.reference), rules=obj.rules(),
                                   signed_by=signed_by, signed_by_title=signed_by_title)
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

    from .batch import run
    if batch != "-":
        if not Path(batch).is_file():
            raise UsageError(f"no such file: {batch}")
        open(batch, "rb").close()  # unreadable: the error here, before any process is started
    failed = total = 0
    log, decider = obj.log(), api.decider(obj.rules())

    def emit(text: str) -> None:
        # what click.echo does for this ASCII JSON line, without its per-call checks (a
        # batch prints thousands); flushed, so a line is out as soon as it is logged
        sys.stdout.write(text + "\n")
        sys.stdout.flush()

    if batch != "-" and sys.stderr.isatty():  # a progress bar, which needs the number of lines
        with open(batch, "rb") as f:
            lines = f.readlines()
        with click.progressbar(run(lines, log, decider), length=len(lines), label="Assessing",
                               file=sys.stderr) as bar:
            for text, ok in bar:
                total, failed = total + 1, failed + (not ok)
                emit(text)
    else:  # a file is read by each process that decides; standard input by one
        for text, ok in run(Path(batch) if batch != "-" else sys.stdin.buffer, log, decider):
            total, failed = total + 1, failed + (not ok)
            emit(text)
    click.echo(f"{total - failed} assessed and logged, {failed} failed", err=True)
    return 1 if failed else 0


@click.command()
@click.pass_obj
def schema(obj: Context) -> None:
    """Print the JSON Schema of a representation (for the eForm team), with the taxonomy's
    services and natures as the allowed values."""
    from triage.api import schema as build
    echo_json(build(obj.rules()))


def register(cli: click.Group) -> None:
    """Add these commands to the `triage` command group."""
    cli.add_command(assess)
    cli.add_command(schema)
