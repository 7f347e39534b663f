"""Every shipped example gets the decision examples/README.md says it gets."""

from __future__ import annotations

import re
from typing import Any

import pytest
from conftest import EXAMPLES


def _table() -> list[tuple[str, str, str, str, str]]:
    rows = []
    for line in (EXAMPLES / "README.md").read_text().splitlines():
        m = re.match(r"^\| `([\w.-]+\.json)` \| (\w+) \| (\w+|—) \| (\w+)[^|]* \| (\w+|—) \|", line)
        if m:
            rows.append(m.groups())
    return rows


def test_table_lists_every_example() -> None:
    """The README table covers every example file."""
    assert sorted(r[0] for r in _table()) == sorted(p.name for p in EXAMPLES.glob("*.json"))


@pytest.mark.parametrize("name,rtype,procedure,disposition,reason", _table())
def test_example_decision(name: str, rtype: str, procedure: str, disposition: str, reason: str, rules: Any) -> None:
    """The example's type, procedure, disposition and reason match the README table."""
    import triage

    d = triage.decide((EXAMPLES / name).read_bytes(), rules=rules)
    none = lambda v: None if v == "—" else v  # noqa: E731
    assert (d.representation_type, d.procedure, d.disposition, d.reason) == \
        (rtype, none(procedure), disposition, none(reason))
