"""Where the files shipped with `triage` are: the rules, scenarios and templates.

They are package data under ``triage/shipped/`` (in a checkout, links to the top-level
``rules/`` and ``templates/``), found through ``importlib.resources`` so an installed wheel,
an editable install and a checkout all read them the same way, from any directory.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def shipped(*parts: str) -> Path:
    """A path under the package's shipped data, e.g. ``shipped("templates", "web")``."""
    root = resources.files("triage") / "shipped"
    # A package installed on the file system (the only way `triage` is installed) gives a
    # real path; the templates and the ruleset cache need one.
    return Path(str(root)).joinpath(*parts)


def rules_dir() -> Path:
    """The shipped rules: phases, settings, taxonomy, questions, flags, council, scenarios."""
    return shipped("rules")


def templates_dir(kind: str) -> Path:
    """The shipped templates of one kind: ``letters``, ``report`` or ``web``."""
    return shipped("templates", kind)
