"""Rule scenarios: given a case, expect a decision (files in ``rules/scenarios/``).

    base:                       # optional: merged under every case
      received_date: 2025-03-14
      received_via: eform
      complainant: {relationship: parent, contact: {email: a@example.org}}
      about: {summary: "...", function: child_in_need}
    scenarios:
      - name: A parent complains about a child in need service
        source: docs/legal-basis.md, "Which procedure"        # optional: where the example comes from
        case: {about: {natures: [Poor Communication]}}
        expect:                          # every key given must match exactly
          disposition: accepted
          deadlines: {respond_by: 2025-03-28}    # only the dates given are compared
          officer_questions: [sufficient_interest]
          rules_fired_include: [who.parent]
      - name: A manager overrides the route (conclusions forced from the first phase on)
        overrides: {disposition: refused, reason: criminal_proceedings}
        expect: {letters: [refusal_criminal_proceedings]}

`triage rules test` runs them all and fails if any rule is never among the rules fired.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from triage.contract.errors import InputError, RuleError
from triage.contract.validation import parse_representation

from .config import iso_dates
from .decider import Decider
from .ruleset import RuleSet, yaml_loader

EXPECT_KEYS = ("representation_type", "procedure", "disposition", "reason", "stage", "deadlines",
               "advocacy_offer", "officer_questions", "flags", "letters", "rules_fired_include",
               "rules_fired_exclude")
FIXED_NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


@dataclass
class Scenario:
    name: str
    file: str
    case: dict[str, Any]
    expect: dict[str, Any]
    source: str | None = None
    overrides: dict[str, Any] | None = None


@dataclass
class Outcome:
    scenario: Scenario
    failures: list[str] = field(default_factory=list)
    fired: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and key != "officer_decisions":
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def load_scenarios(directory: Path) -> list[Scenario]:
    """Every scenario under ``directory`` (sorted by file), validated for shape."""
    found: list[Scenario] = []
    for path in sorted(directory.glob("*.yaml")):
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml_loader()) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark else ""
            raise RuleError(f"not valid YAML{where}: {getattr(exc, 'problem', exc)}", file=str(path)) from None
        base = iso_dates(data.get("base") or {})
        for i, raw in enumerate(data.get("scenarios") or []):
            name = raw.get("name") or f"#{i + 1}"
            unknown = set(raw.get("expect") or {}) - set(EXPECT_KEYS)
            if unknown:
                raise RuleError(f"scenario {name!r}: unknown expect keys {sorted(unknown)}; allowed: "
                                f"{', '.join(EXPECT_KEYS)}", file=str(path))
            found.append(Scenario(name, path.name, _merge(base, iso_dates(raw.get("case") or {})),
                                  iso_dates(raw.get("expect") or {}), raw.get("source"), raw.get("overrides")))
    return found


def run_scenario(decider: Decider, sc: Scenario) -> Outcome:
    """Decide the scenario's case and compare with what it expects."""
    out = Outcome(sc)
    try:
        rep = parse_representation(sc.case, decider.rules)
    except InputError as exc:
        out.failures.append("the case is invalid: " + "; ".join(exc.lines()))
        return out
    decision = decider.decide(rep, rep.reference or "SCENARIO", FIXED_NOW, sc.overrides).model_dump(mode="json")
    out.fired = [r["id"] for r in decision["rules_fired"]]
    for key, want in sc.expect.items():
        if key == "rules_fired_include":
            missing = [r for r in want if r not in out.fired]
            if missing:
                out.failures.append(f"rules_fired lacks {missing} (fired: {out.fired})")
        elif key == "rules_fired_exclude":
            present = [r for r in want if r in out.fired]
            if present:
                out.failures.append(f"rules_fired should not include {present}")
        elif key == "deadlines":
            for name, day in want.items():
                got = decision["deadlines"].get(name)
                if got != (day.isoformat() if isinstance(day, date) else day):
                    out.failures.append(f"deadlines.{name}: expected {day}, got {got}")
        elif key == "officer_questions":
            got = [q["id"] for q in decision["officer_questions"]]
            if sorted(got) != sorted(want):
                out.failures.append(f"officer_questions: expected {want}, got {got}")
        elif key == "letters":
            got = [x["template"] for x in decision["letters"]]
            if sorted(got) != sorted(want):
                out.failures.append(f"letters: expected {want}, got {got}")
        elif key == "flags":
            if sorted(decision["flags"]) != sorted(want):
                out.failures.append(f"flags: expected {want}, got {decision['flags']}")
        elif decision.get(key) != want:
            out.failures.append(f"{key}: expected {want!r}, got {decision.get(key)!r}")
    return out


def uncovered_rules(rules: RuleSet, outcomes: list[Outcome]) -> list[str]:
    """Rule ids that no scenario's decision lists among the rules fired."""
    fired = {r for o in outcomes for r in o.fired}
    return [r.id for r in rules.rules if r.id not in fired]
