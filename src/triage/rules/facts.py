"""The facts the rules see: a flat, JSON-safe view of a representation.

Rules name facts by dotted paths (``complainant.relationship``). Three families:

- input facts, copied from the representation (free text never: names, contact details and
  summaries stay out of the engine);
- ``derived.*`` facts computed before evaluation (DURABLE.md: keep the fact flat and small);
  the taxonomy and the settings in ``rules/`` drive them, so they hold no policy of their own;
- ``officer.<question>`` facts, the officer's recorded answers (DOMAIN section 7);
- ``decision.*`` facts, the conclusions of earlier phases.

``FACTS`` is the schema the rule loader checks every condition against.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from triage.contract import vocab

if TYPE_CHECKING:
    from triage.clock.calendar import WorkingCalendar
    from triage.contract.models import Representation
    from .ruleset import RuleSet


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
    "derived.function": _e(vocab.FUNCTIONS, "the form's function, else the first nature's, else the service's; absent if none"),
    "derived.function_source": _e(("form", "nature", "service")),
    "derived.functions": FactSpec("list", vocab.FUNCTIONS, "derived.function and about.other_functions"),
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


def _years_between(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    # Clamp to the month's end (31 Jan + 1 month = 28/29 Feb).
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def build_facts(rep: "Representation", rules: "RuleSet", calendar: "WorkingCalendar") -> dict[str, Any]:
    """The flat fact for a representation. Absent (None) values are left out: durable-rules
    cannot hold nulls, and rules test for them with ``{exists: false}``."""
    c, ch, ab, pr = rep.complainant, rep.child, rep.about, rep.proceedings
    facts: dict[str, Any] = {
        "received_date": rep.received_date,
        "received_via": rep.received_via,
        "kind": rep.kind,
        "complainant.relationship": c.relationship,
        "complainant.has_parental_responsibility": c.has_parental_responsibility,
        "complainant.date_of_birth": c.date_of_birth,
        "complainant.age_unclear": c.age_unclear,
        "complainant.on_behalf_of_child": c.on_behalf_of_child,
        "child.date_of_birth": ch.date_of_birth,
        "child.looked_after": ch.looked_after,
        "child.in_need": ch.in_need,
        "child.child_protection_plan": ch.child_protection_plan,
        "child.care_leaver": ch.care_leaver,
        "child.disabled": ch.disabled,
        "child.special_guardianship_order": ch.special_guardianship_order,
        "child.adopted": ch.adopted,
        "child.sufficient_understanding": ch.sufficient_understanding,
        "child.consents_to_representative": ch.consents_to_representative,
        "about.function": ab.function,
        "about.other_functions": list(ab.other_functions),
        "about.grounds_arose": ab.grounds_arose,
        "about.became_aware": ab.became_aware,
        "about.concerns_adult_treatment": ab.concerns_adult_treatment,
        "about.outside_council": ab.outside_council,
        "proceedings.court": pr.court,
        "proceedings.criminal": pr.criminal,
        "proceedings.tribunal": pr.tribunal,
        "proceedings.disciplinary": pr.disciplinary,
        "risk.significant_harm": rep.risk.significant_harm,
        "risk.same_day_action": rep.risk.same_day_action,
    }
    if rep.previous is not None:
        facts["previous.same_issues"] = rep.previous.same_issues
        facts["previous.stages_completed"] = rep.previous.stages_completed
        facts["previous.new_information"] = rep.previous.new_information

    taxonomy = rules.taxonomy
    service = taxonomy.services.get(ab.service) if ab.service else None
    natures = [e for e in (taxonomy.natures.get(n) for n in ab.natures) if e is not None]
    facts["about.service"] = service.label if service else None
    facts["about.natures"] = [n.label for n in natures]

    function, source = ab.function, "form"
    if function is None:
        nature_fn = next((n.function for n in natures if n.function), None)
        function, source = (nature_fn, "nature") if nature_fn else (service.function if service else None, "service")
    facts["derived.function"] = function
    facts["derived.function_source"] = source if function else None
    facts["derived.functions"] = sorted({f for f in [function, *ab.other_functions] if f})
    contact = c.contact
    facts["derived.can_reply"] = any(x and x.strip() for x in (contact.email, contact.phone, contact.address))
    facts["derived.has_subject"] = bool(ab.service or ab.function or ab.natures or ab.other_functions)
    facts["derived.has_desired_outcome"] = bool(ab.desired_outcome and ab.desired_outcome.strip())
    facts["derived.summary_words"] = len(ab.summary.split())
    facts["derived.nature_count"] = len(ab.natures)
    facts["derived.nature_tags"] = sorted({t for n in natures for t in n.tags})
    facts["derived.delay_reason_given"] = bool(ab.delay_reason and ab.delay_reason.strip())

    received = rep.received_date
    if ab.grounds_arose:
        stat_months = int(rules.settings["statutory"]["late_after_months"])
        facts["derived.late_statutory"] = received > _add_months(ab.grounds_arose, stat_months)
        corp_months = int(rules.settings["corporate"]["late_after_months"])
        # CHC: twelve months from the matter or from becoming aware of it, whichever is later.
        start = max(ab.grounds_arose, ab.became_aware or ab.grounds_arose)
        facts["derived.late_corporate"] = received > _add_months(start, corp_months)
    else:
        facts["derived.late_statutory"] = facts["derived.late_corporate"] = False

    esc = rep.escalation
    facts["derived.is_escalation"] = esc is not None
    if esc is not None:
        facts["escalation.to_stage"] = esc.to_stage
        facts["escalation.previous_response_date"] = esc.previous_response_date
        if esc.previous_response_date:
            facts["derived.escalation_days"] = calendar.working_days_between(esc.previous_response_date, received)
    if c.date_of_birth:
        facts["derived.complainant_age"] = _years_between(c.date_of_birth, received)
    if ch.date_of_birth:
        facts["derived.child_age"] = _years_between(ch.date_of_birth, ab.grounds_arose or received)

    for question, answer in rep.officer_decisions.items():
        facts[f"officer.{question}"] = answer.answer
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in facts.items() if v is not None}
