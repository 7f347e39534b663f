"""`python -m triage.server [--db PATH] [--host H] [--port N]`: the same as `triage serve`."""

from __future__ import annotations

from triage.cli import cli
from triage.cli.serve import register


def main() -> None:
    if "serve" not in cli.commands:
        register(cli)
    import sys

    from triage.cli import main as run

    run(["serve", *sys.argv[1:]])


if __name__ == "__main__":
    main()
