"""Legal invariants: what must hold of *every* decision, whatever the rules say.

They live in ``rules/invariants.yaml`` beside the rules, each with an id, a plain-English
statement and its citation, written in the rules' own condition language::

    - id: consent.standing_first
      statement: A complainant with standing of their own is never refused for the child's consent.
      citation: "DOMAIN 3a.1; Children Act 1989 s.26(3)"
      given: {case.own_standing: true}
      expect: {outcome.reason: {not: not_in_best_interest_or_no_consent}}

``given`` and ``expect`` may name the facts the rules read (input, ``derived.*``,
``officer.*``), the independent reading of the case (``case.*``, see ``oracle``) and the
decision (``outcome.*``). An invariant is violated by a case where ``given`` holds and
``expect`` does not. ``triage rules verify`` searches for such cases.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from triage.contract.errors import RuleError, RuleErrors
from triage.contract.hints import suggest

from . import conditions
from .conditions import ConditionError, compile_condition, durable_key
from .evaluate import compile_test, holds
from .facts import FACTS, FactSpec
from .oracle import CASE_FACTS, OUTCOME_FACTS
from .ruleset import RuleSet, yaml_loader

FILE = "invariants.yaml"
KEYS = ("id", "statement", "citation", "given", "expect")
SCHEMA: dict[str, FactSpec] = {**FACTS, **CASE_FACTS, **OUTCOME_FACTS}
PATHS: dict[str, str] = {durable_key(path): path for path in SCHEMA}  # durable key -> fact path


@dataclass(frozen=True)
class Invariant:
    id: str
    statement: str
    citation: str
    given: Any
    expect: Any
    given_c: dict[str, Any]
    expect_c: dict[str, Any]
    # given_c and expect_c compiled to closures once (the verifier asks every explored case).
    given_test: Callable[[Mapping[str, Any]], bool] = field(init=False, repr=False, compare=False)
    expect_test: Callable[[Mapping[str, Any]], bool] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "given_test", compile_test(self.given_c, PATHS))
        object.__setattr__(self, "expect_test", compile_test(self.expect_c, PATHS))

    def violated_by(self, fact: Mapping[str, Any]) -> bool:
        """Whether ``fact`` (a payload of every schema fact) breaks this invariant."""
        return holds(self.given_c, fact) and not holds(self.expect_c, fact)

    def violated_in(self, facts: Mapping[str, Any]) -> bool:
        """The same as ``violated_by(payload(facts))``, for facts keyed by path, without
        building the payload or interpreting the conditions."""
        return self.given_test(facts) and not self.expect_test(facts)


def resolver(rules: RuleSet, extra: dict[str, Any] | None = None) -> Callable[[str], Any]:
    """Resolves ``$name`` as the rule loader does (its lists, then ``extra``'s, then a setting)."""
    return conditions.resolver({**rules.lists, **(extra or {})}, rules.settings)


def load_invariants(rules: RuleSet, path: Path | None = None) -> list[Invariant]:
    """The invariants of ``rules`` (``invariants.yaml`` in its directory), checked against the
    fact schema like the rules are; RuleErrors lists every problem."""
    import yaml

    path = path or rules.directory / FILE
    where = str(path)
    if not path.is_file():
        raise RuleError(f"no invariants file: write the legal invariants in {FILE} beside the rules", file=where)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml_loader())
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise RuleError(f"cannot read the invariants: {exc}", file=where) from None
    if not isinstance(data, dict) or not isinstance(data.get("invariants"), list):
        raise RuleError("needs `invariants:`, a list of {id, statement, citation, given, expect}", file=where)
    resolve = resolver(rules, data.get("lists") or {})
    out: list[Invariant] = []
    errors: list[RuleError] = []
    seen: set[str] = set()
    for pos, raw in enumerate(data["invariants"]):
        rid = raw.get("id") if isinstance(raw, dict) else None
        if not isinstance(raw, dict) or not isinstance(rid, str) or not rid:
            errors.append(RuleError(f"invariant #{pos + 1} needs an `id`", file=where))
            continue
        problems = [f"unknown key {k!r}{suggest(k, KEYS)}" for k in raw if k not in KEYS]
        problems += [f"needs a `{k}`" for k in KEYS if not raw.get(k)]
        if rid in seen:
            problems.append("duplicate id")
        seen.add(rid)
        compiled = {}
        for part in ("given", "expect"):
            try:
                compiled[part] = compile_condition(raw.get(part) or {}, resolve, SCHEMA)
            except ConditionError as exc:
                problems.append(f"{part}: {exc}")
        if problems:
            errors += [RuleError(p, file=where, rule_id=rid) for p in problems]
            continue
        out.append(Invariant(rid, str(raw["statement"]).strip(), str(raw["citation"]).strip(), raw["given"],
                             raw["expect"], compiled["given"], compiled["expect"]))
    if errors:
        raise RuleErrors(errors)
    return out
