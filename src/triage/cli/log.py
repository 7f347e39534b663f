"""`triage log` (list, show, verify, overrides) and `triage override`: review the decision log and change a decision with reasons."""

from __future__ import annotations

import click

from triage.contract.errors import UsageError

from .common import Context, echo_json, json_option

LIST_LIMIT = 50  # a screenful or two; --all for every decision

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
@click.option("--limit", type=click.IntRange(min=1, max=2**31), default=LIST_LIMIT, show_default=True,
              help="At most this many decisions (the newest, or with --oldest-first the oldest).")
@click.option("--all", "show_all", is_flag=True, help="Every matching decision (no limit).")
@click.option("--oldest-first", is_flag=True, help="Oldest first, in log order (for scripts).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (decisions with their inputs).")
@click.pass_obj
def log_list(obj: Context, since: str | None, until: str | None, procedure: str | None,
             disposition: str | None, rtype: str | None, latest: bool, limit: int, show_all: bool,
             oldest_first: bool, as_json: bool) -> None:
    """List logged decisions, newest first (as the web page does)."""
    from datetime import date
    for name, value in (("--since", since), ("--until", until)):
        if value:
            try:
                date.fromisoformat(value)
            except ValueError:
                raise UsageError(f"{name}: {value!r} is not a date; write YYYY-MM-DD") from None
    rows = obj.log(existing=True).find(since=since, until=until, procedure=procedure, disposition=disposition,
                          representation_type=rtype, latest_only=latest, limit=None if show_all else limit + 1,
                          newest_first=not oldest_first)
    if not show_all and len(rows) > limit:
        rows = rows[:limit]
        click.echo(f"showing the {limit} {'oldest' if oldest_first else 'newest'} matching decisions; "
                   "--limit N or --all for more", err=True)
    if as_json:
        echo_json([{"decision": r.decision, "representation": r.representation} for r in rows])
    else:
        from .text import log_table
        click.echo(log_table([{**r.decision, "received_date": r.representation.get("received_date")} for r in rows]))


@log.command("verify")
@click.option("--against", metavar="CHECKPOINT", help="A checkpoint from `triage log head`: also find records cut "
              "off the end, or an older copy put in the log's place.")
@json_option("whether the chain is intact, the records checked and the problems found")
@click.pass_obj
def log_verify(obj: Context, against: str | None, as_json: bool) -> None:
    """Check the log's hash chain and signatures: report the first record altered, removed or forged."""
    from pathlib import Path

    from triage.log import signing
    store = obj.log(existing=True)
    checkpoint = None
    if against is not None:
        key = signing.load_key()
        if key is None:
            raise UsageError(f"--against: there is no log key at {signing.key_path()} to check the checkpoint with")
        checkpoint = signing.read_checkpoint(Path(against).read_text(encoding="utf-8", errors="replace"), key, against)
    problems = store.verify(against=checkpoint)
    if as_json:
        records, _ = store.head()
        echo_json({"ok": not problems, "records": records, "problems": problems})
        if problems:
            raise SystemExit(1)
        return
    if problems:
        for p in problems:
            click.echo(f"TAMPERED: {p}", err=True)
        raise SystemExit(1)
    records, _ = store.head()
    seen = f"; it holds the {checkpoint['records']} records of the checkpoint of {checkpoint['at']}" if checkpoint else ""
    click.echo(f"OK: {records} records, hash chain and signatures intact{seen} ({store.path})")


@log.command("head")
@click.option("--out", metavar="FILE", help="Write the checkpoint to FILE (default: standard output).")
@json_option("the checkpoint (it is JSON either way)")
@click.pass_obj
def log_head(obj: Context, out: str | None, as_json: bool) -> None:
    """Print a signed checkpoint (records and head hash) to keep elsewhere or publish."""
    import json
    text = json.dumps(obj.log(existing=True).checkpoint(), indent=2) + "\n"
    if out is None:
        click.echo(text, nl=False)
    else:
        from pathlib import Path
        Path(out).write_text(text, encoding="utf-8")
        click.echo(f"checkpoint written to {out}", err=True)


@log.command("keygen")
@click.option("--file", "path", metavar="FILE", help="Where to write the key (default: $TRIAGE_LOG_KEY_FILE, "
              "else ~/.config/triage/log.key).")
@json_option("the key's id and where it was written")
def log_keygen(path: str | None, as_json: bool) -> None:
    """Create the key that signs the log (mode 600; an existing key is never overwritten)."""
    from pathlib import Path

    from triage.log import signing
    key = signing.create_key(Path(path) if path else None)
    if as_json:
        echo_json({"key_id": key.id, "path": str(key.source)})
        return
    click.echo(f"log key {key.id} written to {key.source}; keep a copy apart from the log and its backups")


@log.command("backup")
@click.argument("dest")
@click.option("--checkpoint", metavar="FILE", help="Also write the backup's signed checkpoint to FILE.")
@json_option("the backup's signed checkpoint and where it was written")
@click.pass_obj
def log_backup(obj: Context, dest: str, checkpoint: str | None, as_json: bool) -> None:
    """Copy the log to DEST while it is in use (SQLite online backup), then verify the copy."""
    import json
    made = obj.log(existing=True).backup(dest)
    if checkpoint:
        from pathlib import Path
        Path(checkpoint).write_text(json.dumps(made, indent=2) + "\n", encoding="utf-8")
    if as_json:
        echo_json({"backup": dest, **made})
        return
    click.echo(f"backed up {made['records']} records to {dest}; the copy verifies (head {made['head']})")


@log.command("overrides")
@json_option("every override and the count per rule")
@click.pass_obj
def log_overrides(obj: Context, as_json: bool) -> None:
    """Overrides, and how often each rule's conclusion was overridden (for rule review)."""
    from triage.cases.workflow import override_counts

    from .text import shown
    store = obj.log(existing=True)
    counts = override_counts(store)
    if as_json:
        echo_json({"overrides": store.overrides(), "per_rule": dict(counts)})
        return
    for o in store.overrides():
        click.echo(f"{o['recorded_at']}  {o['reference']}  {o['field']}: {shown(o['from_value'])} -> {o['to_value']}  "
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
@json_option("the override as logged")
@click.pass_obj
def override(obj: Context, ref: str, field: str, to: str, reason: str, by: str, as_json: bool) -> None:
    """Change a decision's route, disposition or reason, with reasons (the original stays)."""
    from triage.cases import workflow
    record_ = workflow.override(ref, field, to, reason, by, db=obj.log(existing=True), rules=obj.rules())
    if as_json:
        echo_json(record_)
        return
    from .text import shown
    click.echo(f"overridden: {ref} {field} {shown(record_['from_value'])} -> {to} (decision {record_['decision_id']}, "
               f"by {by})")


def register(cli: click.Group) -> None:
    """Add these commands to the `triage` command group."""
    cli.add_command(log)
    cli.add_command(override)
