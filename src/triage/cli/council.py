"""`triage init DIR`: a new council folder (a short wrapper over ``triage.rules.layers``)."""

from __future__ import annotations

import json
from pathlib import Path

import click


def register(cli: click.Group) -> None:
    """Add the `init` command to the `triage` command group."""

    @cli.command("init")
    @click.argument("directory", metavar="DIR")
    @click.option("--json", "as_json", is_flag=True, help="Print the files written as JSON.")
    def init(directory: str, as_json: bool) -> None:
        """Create a council folder DIR: the council's details, the settings it changes, its
        taxonomy additions, its own letters and scenarios, layered over the shipped rules."""
        from triage.rules.council import init_council

        target = Path(directory)
        written = init_council(target)
        if as_json:
            click.echo(json.dumps({"council": str(target), "files": [str(p) for p in written]}, indent=2))
            return
        for path in written:
            click.echo(f"wrote {path}")
        click.echo(f"\nNext: put your council's details in {target / 'council.yaml'}, the settings you change "
                   f"in {target / 'settings.yaml'}, then\n  triage --council {target} rules check\n"
                   f"  triage --council {target} rules test\n(or set TRIAGE_COUNCIL={target} for every command).")
