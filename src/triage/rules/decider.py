"""From a validated representation to a decision: facts, phases of rules, deadlines.

This module holds no policy: which rule wins is the rules' order (see ``triage.rules.ruleset``),
and every figure comes from the settings.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from triage.clock.deadlines import Clock
from triage.contract.errors import RuleError
from triage.contract.models import Decision, Representation

from .derive import build_facts
from .engine import Engine
from .facts import CUMULATIVE_CONCLUSIONS, EXCLUSIVE_CONCLUSIONS
from .ruleset import Rule, RuleSet


DATES_KEPT = 10_000  # deadlines remembered (see Decider._deadlines); at this many, start again


@dataclass
class Evaluation:
    """What the rules concluded, before it is shaped into a Decision."""

    conclusions: dict[str, Any]
    contributing: list[Rule]
    facts: dict[str, Any]
    fired: list[list[Rule]]  # per phase, every rule whose condition held, in file order


def assign_reference(raw: dict[str, Any]) -> str:
    """A stable reference for a representation that came without one: the same content
    always gets the same reference, so a retried submission is recognisably the same."""
    canonical = json.dumps(raw, sort_keys=True, separators=(",", ":"), default=str)
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:10].upper()
    return f"TR-{str(raw.get('received_date', ''))[:4]}-{digest}"


class Decider:
    """Decides representations with one RuleSet. Build once, use for many cases."""

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        self.engine = Engine(rules)
        self.clock = Clock(rules)
        self._letters: Any = None
        # Each rule's exclusive conclusions, by phase and position (read for every case).
        self._exclusive: list[list[dict[str, Any]]] = [[r.exclusive for r in phase.rules] for phase in rules.phases]
        self._dates: dict[tuple[Any, ...], dict[str, Any]] = {}  # see _deadlines
        # Each rule's cumulative conclusions, by id() of the rule (read for every case; the
        # rules live as long as the decider).
        self._cumulative: dict[int, dict[str, list[Any]]] = {
            id(rule): {key: rule.cumulative(key) for key in CUMULATIVE_CONCLUSIONS} for rule in rules.rules}

    @property
    def letters(self) -> Any:
        """The LetterBook of this ruleset's templates (built on first use)."""
        if self._letters is None:
            from triage.letters.book import LetterBook
            if self.rules.templates_dir is None:
                raise RuleError("no letter templates directory")
            # The council's own wording first, then the shipped templates.
            self._letters = LetterBook(self.rules.letter_dirs or self.rules.templates_dir, self.rules.council,
                                       council_dir=self.rules.council_dir)
        return self._letters

    def evaluate(self, rep: Representation, forced: dict[str, Any] | None = None) -> Evaluation:
        """Run the phases. ``forced`` conclusions (a manager's override) hold from the first
        phase on, whatever the rules conclude, so later phases (letters) follow them."""
        forced = forced or {}
        facts = build_facts(rep, self.rules, self.clock.calendar)
        values: dict[str, Any] = {}
        fired: list[Rule] = []
        per_phase: list[list[Rule]] = []
        exclusive: dict[int, dict[str, Any]] = {}  # id(rule): its exclusive conclusions
        for index, phase in enumerate(self.rules.phases):
            drawn: dict[str, Any] = {}
            conclusions = self._exclusive[index]
            matched = []
            for pos in self.engine.fire(index, facts):
                rule = phase.rules[pos]
                matched.append(rule)
                fired.append(rule)
                exclusive[id(rule)] = conclusions[pos]
                for key, value in conclusions[pos].items():
                    drawn.setdefault(key, value)  # first rule in file order wins
            per_phase.append(matched)
            values.update(drawn)  # a later phase may revise an earlier one
            values.update(forced)
            drawn.update(forced)
            for key, value in drawn.items():
                facts["decision." + key] = value
        contributing = [r for r in fired if all(values.get(k) == v for k, v in exclusive[id(r)].items())]
        return Evaluation(values, contributing, facts, per_phase)

    def decide(self, rep: Representation, reference: str, now: datetime | None = None,
               forced: dict[str, Any] | None = None) -> Decision:
        return self.shape(rep, reference, self.evaluate(rep, forced), now)

    def shape(self, rep: Representation, reference: str, ev: Evaluation, now: datetime | None = None) -> Decision:
        """The Decision for an evaluation of ``rep``."""
        c = ev.conclusions
        for key in ("representation_type", "disposition"):
            if key not in c:
                raise RuleError(f"no rule concluded the {key} for this case: add a rule (or a "
                                f"catch-all) to the phase that decides it")
        rtype, disposition = c["representation_type"], c["disposition"]
        is_complaint = rtype == "complaint"
        procedure = c.get("procedure") if is_complaint else None
        stage = c.get("stage") if is_complaint else None
        reason = c.get("reason") if disposition in ("refused", "deferred") else None
        if disposition in ("refused", "deferred") and reason is None:
            raise RuleError(f"the rules {disposition} this case without a reason")

        cumulative = self._cumulative

        def collected(key: str) -> list[Any]:
            out: list[Any] = []
            for rule in ev.contributing:
                known = cumulative.get(id(rule))
                values = known[key] if known is not None else rule.cumulative(key)
                out += [v for v in values if v not in out]
            return out

        asks = collected("ask") if disposition == "officer_decision_required" else []
        if disposition == "officer_decision_required" and not asks:
            raise RuleError("the rules require an officer decision but ask no question")
        questions = [
            {"id": q, "citation": self.rules.questions[q]["citation"], "question": self.rules.questions[q]["question"],
             "factors": list(self.rules.questions[q]["factors"]), "presumption": self.rules.questions[q]["presumption"]}
            for q in self.rules.questions if q in asks
        ]
        deadlines = self._deadlines(rep.received_date, rep.kind, rtype, procedure, disposition, stage)
        stamp = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
        # One validation of the whole decision, its questions and fired rules given as dicts (the
        # same models come out; building each nested model apart cost a call into pydantic each).
        return Decision.model_validate({
            "decision_id": None,
            "reference": reference,
            "representation_type": rtype,
            "procedure": procedure,
            "disposition": disposition,
            "stage": stage,
            "reason": reason,
            "deadlines": deadlines,
            "advocacy_offer": bool(collected("advocacy_offer")),
            "officer_questions": questions,
            "flags": collected("flags"),
            "letters": [self._letter_summary(t) for t in collected("letters")],
            "rules_fired": [{"id": r.id, "title": r.title, "citation": r.citation} for r in ev.contributing],
            "ruleset": self.rules.hash,
            "assessed_at": stamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
        })


    def _deadlines(self, *key: Any) -> dict[str, Any]:
        """``Clock.for_decision``, remembered: the dates depend only on these six values and
        the calendar, and counting working days costs more than the rest of shaping a decision."""
        known = self._dates.get(key)
        if known is None:
            if len(self._dates) >= DATES_KEPT:
                self._dates.clear()
            known = self._dates[key] = self.clock.for_decision(*key)
        return dict(known)

    def _letter_summary(self, template_id: str) -> dict[str, str]:
        info = self.letters.templates[template_id]
        return {"template": info.id, "title": info.title, "audience": info.audience}


__all__ = ["Decider", "Evaluation", "assign_reference", "EXCLUSIVE_CONCLUSIONS"]
