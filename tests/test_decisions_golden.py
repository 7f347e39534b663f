"""Decisions stay identical: a fixed case set decided as recorded in tests/golden/decisions.jsonl."""

from __future__ import annotations

import json
import sys
from typing import Any

from conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))

import golden_decisions  # noqa: E402


def test_fixed_case_set_decides_as_recorded(rules: Any) -> None:
    """Every scenario, 3,000 generated and 2,000 explored cases decide exactly as recorded."""
    lines = golden_decisions.GOLDEN.read_text().splitlines()
    head = json.loads(lines[0])
    assert head["ruleset"] == rules.hash, (
        "the rules changed since tests/golden/decisions.jsonl was recorded; if that change is meant "
        "to change decisions, run `python scripts/golden_decisions.py --update` and review the diff")
    want = [json.loads(line) for line in lines[1:]]
    got = list(golden_decisions.records(rules))
    assert len(got) == head["cases"] == len(want) == 5283
    differ = [(w, g) for w, g in zip(want, got) if w != g]
    assert differ == []


def test_core_engine_decides_as_durables_own_host(rules: Any) -> None:
    """The same case set decides identically through durable's Python host (whatever the rules)."""
    through_host = list(golden_decisions.records(rules, host=True))
    assert len(through_host) > 5000  # every scenario, and nearly every generated and explored case
    assert [r for r, h in zip(golden_decisions.records(rules), through_host) if r != h] == []
