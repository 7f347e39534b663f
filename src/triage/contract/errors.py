"""One error hierarchy for `triage`.

Every error carries the data a caller needs (field path, rule id, file) and a message
that says what went wrong, where, and how to fix it. The CLI translates them in one place
(``triage.cli``): input problems exit 2, anything else exits 1.
"""

from __future__ import annotations

from dataclasses import dataclass


class TriageError(Exception):
    """Root of every error `triage` raises on purpose."""

    exit_code = 1

    def lines(self) -> list[str]:
        """The message as lines, ready to print one per line."""
        return [str(self)]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where (a dotted field path) and what to do."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class InputError(TriageError):
    """The input (a representation, an event, a batch line) is invalid. Nothing was logged."""

    exit_code = 2

    def __init__(self, problems: list[Problem], source: str | None = None) -> None:
        self.problems = problems
        self.source = source
        super().__init__("; ".join(str(p) for p in problems))

    def lines(self) -> list[str]:
        prefix = f"{self.source}: " if self.source else ""
        return [f"{prefix}{p}" for p in self.problems]


class UsageError(TriageError):
    """A command was called in a way that cannot work (a missing file, a bad option)."""

    exit_code = 2


class RuleError(TriageError):
    """The rules in ``rules/`` are invalid, or evaluating them failed."""

    def __init__(self, message: str, *, file: str | None = None, rule_id: str | None = None) -> None:
        self.file = file
        self.rule_id = rule_id
        where = ", ".join(x for x in (file, f"rule {rule_id}" if rule_id else None) if x)
        super().__init__(f"{where}: {message}" if where else message)


class RuleErrors(TriageError):
    """Several rule problems found at once (``triage rules check`` reports them all)."""

    def __init__(self, errors: list[RuleError]) -> None:
        self.errors = errors
        # A problem in a configuration file is bad input (exit 2), like a bad case.
        self.exit_code = max((e.exit_code for e in errors), default=1)
        super().__init__("\n".join(str(e) for e in errors))

    def lines(self) -> list[str]:
        return [str(e) for e in self.errors]


class StoreError(TriageError):
    """The decision log could not be read or written."""


class NotFoundError(TriageError):
    """A reference or decision id is not in the log."""

    exit_code = 2


def error_json(error: TriageError) -> list[dict[str, str]]:
    """An error as the JSON problem list of batch results and the HTTP API."""
    problems = getattr(error, "problems", None) or [Problem("", str(error))]
    return [{"field": p.field, "message": p.message} for p in problems]
