"""`triage init DIR`: a new council folder (a short wrapper over ``triage.rules.layers``)."""

from __future__ import annotations

from pathlib import Path

import click


def register(cli: click.Group) -> None:
    """Add the `init` command to the `triage` command group."""

    @cli.command("init")
    @click.argument("directory", metavar="DIR")
    def init(directory: str) -> None:
        """Create a council folder DIR: the council's details, the settings it changes, its
        taxonomy additions, its own letters and scenarios, layered over the shipped rules."""
        from triage.rules.council import init_council

        target = Path(directory)
        for path in init_council(target):
            click.echo(f"wrote {path}")
        click.echo(f"\nNext: put your council's details in {target / 'council.yaml'}, the settings you change "
                   f"in {target / 'settings.yaml'}, then\n  triage --council {target} rules check\n"
                   f"  triage --council {target} rules test\n(or set TRIAGE_COUNCIL={target} for every command).")
