"""The ``triage`` command: click commands, one module per command group."""

from .main import cli, main

__all__ = ["cli", "main"]
