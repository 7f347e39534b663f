"""What every command shares: where the log and the rules are, reading input, printing JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from triage.contract.errors import UsageError


class Context:
    """What every subcommand shares: where the log, the rules and the council folder are."""

    def __init__(self, db: str | None, rules: str | None, council: str | None = None) -> None:
        self.db_path = db
        self.rules_dir = rules
        self.council_dir = council

    def rules(self) -> Any:
        from triage.rules.ruleset import load_rules
        return load_rules(self.rules_dir, self.council_dir)

    def log(self, *, existing: bool = False) -> Any:
        """The decision log; ``existing``: for commands that only read, refuse a path that
        does not exist rather than create an empty log (a mistyped --db would print zeros)."""
        from triage.log.store import DecisionLog, default_db_path
        path = Path(self.db_path) if self.db_path else default_db_path()
        if existing and not path.exists():
            raise UsageError(f"no decision log at {path}: check --db or $TRIAGE_DB (this command only reads; "
                             "a log is created by the first `triage assess` or `triage record` that uses it)")
        return DecisionLog(path)


def read_input(path: str) -> bytes:
    """The bytes of a case file or standard input, reading no more than the size limit allows."""
    from triage.contract.validation import MAX_INPUT_BYTES
    if path == "-":
        return sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
    p = Path(path)
    if not p.is_file():
        raise UsageError(f"no such file: {path}")
    with p.open("rb") as f:
        return f.read(MAX_INPUT_BYTES + 1)


def json_option(what: str) -> Any:
    """The --json flag of a command that prints a result: ``what`` says what the JSON holds."""
    return click.option("--json", "as_json", is_flag=True, help=f"Print {what} as JSON (for scripts).")


def stdin_is_piped() -> bool:
    """Whether standard input is a file or a pipe (not a terminal): then it is the input."""
    try:
        return sys.stdin is not None and not sys.stdin.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, default=str))


def signed_by_options(command: Any) -> Any:
    """``--signed-by NAME`` and ``--signed-by-title TITLE``: the officer who signs the drafts
    (without them, the council's default signatory in council.yaml)."""
    command = click.option("--signed-by-title", metavar="TITLE",
                           help="The signing officer's job title (default: the complaints team's name).")(command)
    return click.option("--signed-by", metavar="NAME",
                        help="The officer who signs the letters (default: the signatory in council.yaml); "
                             "recorded in the log with each draft.")(command)
