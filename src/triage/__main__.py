"""`python -m triage` runs the CLI."""

from .cli import main

main()
