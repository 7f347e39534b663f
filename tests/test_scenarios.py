"""The rule scenarios in rules/scenarios/ (given a case, expect a decision) all pass, and
together they fire every rule."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import RULES


def _scenarios() -> list[Any]:
    from triage.rules.scenarios import load_scenarios

    return load_scenarios(RULES / "scenarios")


@pytest.mark.parametrize("scenario", _scenarios(), ids=lambda s: f"{s.file}:{s.name}")
def test_scenario(scenario: Any, rules: Any) -> None:
    """Each scenario's case gets exactly the decision it expects."""
    from triage.api import decider
    from triage.rules.scenarios import run_scenario

    outcome = run_scenario(decider(rules), scenario)
    assert outcome.passed, "\n".join(outcome.failures)


def test_every_rule_has_a_scenario(rules: Any) -> None:
    """No rule goes untested: each appears among the rules fired of some scenario."""
    from triage.api import decider
    from triage.rules.scenarios import run_scenario, uncovered_rules

    outcomes = [run_scenario(decider(rules), sc) for sc in _scenarios()]
    assert uncovered_rules(rules, outcomes) == []


def test_every_domain_section_has_examples() -> None:
    """The DOMAIN.md examples are scenarios, each naming its source section."""
    sources = " ".join(s.source or "" for s in _scenarios())
    for section in ("DOMAIN section 2", "DOMAIN section 3", "DOMAIN section 4", "DOMAIN section 5",
                    "DOMAIN section 6", "DOMAIN section 7"):
        assert section in sources, section


def test_rules_test_command(run: Any) -> None:
    """`triage rules test` runs the same scenarios and reports the totals."""
    r = run("rules", "test")
    assert r.code == 0, r.out
    assert r.out.strip().splitlines()[-1].endswith(" passed, 0 failed")
