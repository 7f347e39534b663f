"""The facts the rules see: a flat, JSON-safe view of a representation.

Rules name facts by dotted paths (``complainant.relationship``). Three families:

- input facts, copied from the representation (free text never: names, contact details and
  summaries stay out of the engine);
- ``derived.*`` facts computed before evaluation (durable-rules wants the fact flat and small);
  the taxonomy and the settings in ``rules/`` drive them, so they hold no policy of their own;
- ``officer.<question>`` facts, the officer's recorded answers (docs/legal-basis.md: officer decisions);
- ``decision.*`` facts, the conclusions of earlier phases.

``FACTS`` is the schema the rule loader checks every condition against.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from triage.contract import vocab


@dataclass(frozen=True)
class FactSpec:
    """The type of a fact and, for enumerations, its allowed values."""

    type: str  # bool | int | str | date | list
    values: tuple[Any, ...] | None = None
    doc: str = ""


def _b(doc: str = "") -> FactSpec:
    return FactSpec("bool", doc=doc)


def _e(values: tuple[Any, ...], doc: str = "") -> FactSpec:
    return FactSpec("str", values, doc)


INPUT_FACTS: dict[str, FactSpec] = {
    "received_date": FactSpec("date"),
    "received_via": _e(vocab.RECEIVED_VIA),
    "kind": _e(vocab.KINDS),
    "complainant.relationship": _e(vocab.RELATIONSHIPS),
    "complainant.has_parental_responsibility": _b(),
    "complainant.date_of_birth": FactSpec("date"),
    "complainant.age_unclear": _b(),
    "complainant.on_behalf_of_child": _b(),
    "child.date_of_birth": FactSpec("date"),
    "child.looked_after": _b(),
    "child.in_need": _b(),
    "child.child_protection_plan": _b(),
    "child.care_leaver": _b(),
    "child.disabled": _b(),
    "child.special_guardianship_order": _b(),
    "child.adopted": _b(),
    "child.sufficient_understanding": _b("absent when not known"),
    "child.consents_to_representative": _b("absent when not known"),
    "about.service": FactSpec("str", doc="the canonical taxonomy label"),
    "about.function": _e(vocab.FUNCTIONS, "as given on the form; absent when not given"),
    "about.other_functions": FactSpec("list", vocab.FUNCTIONS),
    "about.natures": FactSpec("list", doc="canonical taxonomy labels"),
    "about.grounds_arose": FactSpec("date"),
    "about.became_aware": FactSpec("date"),
    "about.concerns_adult_treatment": _b(),
    "about.outside_council": _e(vocab.OUTSIDE_COUNCIL),
    "proceedings.court": _e(vocab.COURT),
    "proceedings.criminal": _e(vocab.CRIMINAL),
    "proceedings.tribunal": _e(vocab.TRIBUNAL),
    "proceedings.disciplinary": _e(vocab.DISCIPLINARY),
    "previous.same_issues": _b("absent when there is no previous complaint"),
    "previous.stages_completed": FactSpec("int"),
    "previous.new_information": _b(),
    "escalation.to_stage": FactSpec("int", (2, 3), "absent unless this is an escalation request"),
    "escalation.previous_response_date": FactSpec("date", doc="absent when the previous stage was never answered"),
    "risk.significant_harm": _b(),
    "risk.same_day_action": _b(),
}

DERIVED_FACTS: dict[str, FactSpec] = {
    "derived.function": _e(vocab.FUNCTIONS, "the primary function: the form's, else the service's, else the first "
                                            "nature's, else the first other function; absent if none"),
    "derived.function_source": _e(("form", "nature", "service")),
    "derived.functions": FactSpec("list", vocab.FUNCTIONS, "every function: the form's, its other functions and "
                                                            "the natures' (the service's only without the form's)"),
    "derived.can_reply": _b("an email, phone number or address was given"),
    "derived.has_subject": _b("a service, function or nature was given"),
    "derived.has_desired_outcome": _b(),
    "derived.summary_words": FactSpec("int"),
    "derived.nature_count": FactSpec("int"),
    "derived.nature_tags": FactSpec("list", doc="tags of the natures in rules/taxonomy.yaml"),
    "derived.is_escalation": _b(),
    "derived.escalation_days": FactSpec("int", doc="working days from the previous response to this request"),
    "derived.late_statutory": _b("received more than statutory.late_after_months after the grounds arose"),
    "derived.late_corporate": _b("received more than corporate.late_after_months after the grounds arose or the complainant became aware"),
    "derived.delay_reason_given": _b(),
    "derived.complainant_age": FactSpec("int", doc="whole years on the received date; absent if no date of birth"),
    "derived.child_age": FactSpec("int", doc="whole years when the grounds arose (else on receipt)"),
}

OFFICER_FACTS: dict[str, FactSpec] = {
    f"officer.{q}": _b("the officer's answer; absent until answered") for q in vocab.QUESTIONS
}

# Conclusions a rule may draw (`then:`). Exclusive ones take one value per decision; the
# first rule (in file order) that sets one wins. Cumulative ones collect from every rule
# that contributes.
EXCLUSIVE_CONCLUSIONS: dict[str, FactSpec] = {
    "representation_type": _e(vocab.REPRESENTATION_TYPES),
    "procedure": _e(vocab.PROCEDURES),
    "disposition": _e(vocab.DISPOSITIONS),
    "reason": _e(vocab.REASONS),
    "stage": FactSpec("int", (1, 2, 3)),
    "standing": _e(vocab.STANDINGS),
    "scope": _e(("mixed",)),
}
CUMULATIVE_CONCLUSIONS = ("flags", "ask", "advocacy_offer", "letters")

DECISION_FACTS: dict[str, FactSpec] = {f"decision.{k}": v for k, v in EXCLUSIVE_CONCLUSIONS.items()}

FACTS: dict[str, FactSpec] = {**INPUT_FACTS, **DERIVED_FACTS, **OFFICER_FACTS, **DECISION_FACTS}
