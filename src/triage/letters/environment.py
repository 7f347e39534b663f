"""The one place the project builds a Jinja environment: for the letters, the annual report and
the managers' pages. Jinja is imported lazily: deciding a case lists its letters without paying
for Jinja's import."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any


def long_date(value: Any) -> str:
    """'Friday 28 March 2025' - how deadlines are written in letters. A date the decision does
    not have is the template's error (named with its line), never a crash."""
    from jinja2 import Undefined, UndefinedError

    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    if value is None:
        raise UndefinedError("long_date was given no date (the decision has no such date)")
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = value.date()
    return f"{value:%A} {value.day} {value:%B %Y}"


def environment(directory: Path | Sequence[Path], *, autoescape: bool, sandboxed: bool = True,
                keep_trailing_newline: bool = False, filters: dict[str, Any] | None = None) -> Any:
    """A Jinja environment over the templates in ``directory`` (or several folders: the first
    that holds a template wins, so a council's folder can replace any shipped template): the one
    place the project builds one (letters, the annual report and the managers' pages use it). Sandboxed, with unknown
    names an error, for templates a council edits (letters, the report); the web pages are the
    project's own code and may leave a name undefined. ``long_date`` is a filter in all."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, Undefined
    from jinja2.sandbox import SandboxedEnvironment

    kind = SandboxedEnvironment if sandboxed else Environment
    folders = [str(directory)] if isinstance(directory, (str, Path)) else [str(d) for d in directory]
    env = kind(loader=FileSystemLoader(folders), autoescape=autoescape, trim_blocks=True, lstrip_blocks=True,
               keep_trailing_newline=keep_trailing_newline, undefined=StrictUndefined if sandboxed else Undefined)
    env.filters["long_date"] = long_date
    env.filters.update(filters or {})
    return env


def template_errors() -> tuple[type[Exception], type[Exception]]:
    """Jinja's (TemplateError, UndefinedError), for callers that render and report failures."""
    from jinja2 import TemplateError, UndefinedError

    return TemplateError, UndefinedError
