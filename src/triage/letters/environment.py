"""The one place the project builds a Jinja environment: for the letters, the annual report and
the managers' pages. Jinja is imported lazily: deciding a case lists its letters without paying
for Jinja's import."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any


def long_date(value: Any) -> str:
    """'Friday 28 March 2025' - how deadlines are written in letters. An undefined value (a
    deadline this decision does not have) raises Jinja's UndefinedError, naming it."""
    fail = getattr(value, "_fail_with_undefined_error", None)
    if fail is not None:  # a jinja2 Undefined: format() would raise a bare TypeError
        fail()
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = value.date()
    return f"{value:%A} {value.day} {value:%B %Y}"


def environment(directory: Path, *, autoescape: bool, sandboxed: bool = True,
                keep_trailing_newline: bool = False) -> Any:
    """A Jinja environment over the templates in ``directory``: the one place the project builds
    one (letters, the annual report and the managers' pages use it). Sandboxed, with unknown
    names an error, for templates a council edits (letters, the report); the web pages are the
    project's own code and may leave a name undefined. ``long_date`` is a filter in all."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, Undefined
    from jinja2.sandbox import SandboxedEnvironment

    kind = SandboxedEnvironment if sandboxed else Environment
    env = kind(loader=FileSystemLoader(str(directory)), autoescape=autoescape, trim_blocks=True, lstrip_blocks=True,
               keep_trailing_newline=keep_trailing_newline, undefined=StrictUndefined if sandboxed else Undefined)
    env.filters["long_date"] = long_date
    return env


def template_errors() -> tuple[type[Exception], type[Exception]]:
    """Jinja's (TemplateError, UndefinedError), for callers that render and report failures."""
    from jinja2 import TemplateError, UndefinedError

    return TemplateError, UndefinedError
