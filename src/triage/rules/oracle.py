"""An independent reading of a representation, for the legal invariants (``invariants.yaml``).

The invariants must hold *whatever the rules say*, so the few legal facts they turn on are
computed here, straight from the representation, the taxonomy and the calendar, without the
rules and without ``derive`` (the facts the rules read). Where the two readings disagree, the
verifier reports the case. Each fact is named ``case.*``; the decision's own fields are
``outcome.*``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from triage.clock.calendar import WorkingCalendar, add_months
from triage.contract import vocab
from triage.contract.models import Decision, Representation

from .facts import FactSpec
from .ruleset import RuleSet

# Qualifying functions (Children Act 1989 s.26; SI 2006/1738 regs 3-5).
PART3 = ("child_in_need", "disabled_children", "family_support", "accommodation_s20", "looked_after",
         "leaving_care", "foster_carer_support")
REG3 = ("care_proceedings", "care_order", "contact_with_child_in_care", "supervision_order",
        "child_assessment_order", "emergency_protection_order")
ADOPTION = ("adoption_agency", "adoption_support")
STATUTORY = (*PART3, *REG3, *ADOPTION, "special_guardianship_support")
# Functions with an appeal or review route of their own (DOMAIN 3a.4).
TRIBUNAL_ROUTE = ("sen",)
REMIT_ROUTE = ("school_transport", "school_admissions", "fostering_approval", "adoption_approval")
# Complainants eligible in their own right, on either route (DOMAIN 3a.1).
OWN_STANDING = ("child", "young_person", "parent", "non_resident_parent", "adopter", "special_guardian",
                "foster_carer")
ADOPTION_CIRCLE = ("prospective_adopter", "birth_parent_of_adopted_child")
CHILD_LIKE = ("child", "young_person", "care_leaver")
# The services a care leaver received as the child they were, and leaving care (DOMAIN 3a.7).
CARE_LEAVER = (*PART3, *REG3)
QUESTION_IDS = vocab.QUESTIONS


def _b(doc: str) -> FactSpec:
    return FactSpec("bool", doc=doc)


CASE_FACTS: dict[str, FactSpec] = {
    "case.escalation": _b("a request to move an existing complaint on"),
    "case.escalation_in_time": _b("an escalation received by the end of its Nth working day after the response "
                                  "(or with no response date)"),
    "case.escalation_late": _b("an escalation received after the end of its Nth working day"),
    "case.own_standing": _b("the complainant is eligible in their own right, or complains of their own treatment "
                            "as an adult"),
    "case.representative": _b("someone without standing of their own complaining on behalf of the child"),
    "case.functions": FactSpec("list", vocab.FUNCTIONS, "the union of function, other functions and the natures' "
                                                        "functions (the service's only without a function)"),
    "case.function_count": FactSpec("int", doc="how many functions the union holds"),
    "case.primary_function": FactSpec("str", vocab.FUNCTIONS, "the function, else the service's, else the first "
                                                              "nature's, else the first other function"),
    "case.mixed": _b("the functions span a qualifying (statutory) and a non-qualifying council one"),
    "case.any_statutory": _b("some function qualifies for the statutory procedure"),
    "case.all_cpc": _b("every function is a child protection conference"),
    "case.child_complainant": _b("a child, young person or care leaver, of unclear age, or under 18 on receipt"),
    "case.risk": _b("significant harm or same-day action is reported"),
    "case.late_statutory": _b("more than the statutory limit after the grounds arose (or, with no such date, after "
                              "the complainant became aware)"),
    "case.late_corporate": _b("more than the corporate limit after the later of the grounds and becoming aware"),
    "case.about_council": _b("something in it is about this council's services"),
}

OUTCOME_FACTS: dict[str, FactSpec] = {
    "outcome.representation_type": FactSpec("str", vocab.REPRESENTATION_TYPES),
    "outcome.procedure": FactSpec("str", (*vocab.PROCEDURES, "none")),
    "outcome.disposition": FactSpec("str", vocab.DISPOSITIONS),
    "outcome.reason": FactSpec("str", (*vocab.REASONS, "none")),
    "outcome.stage": FactSpec("int", (0, 1, 2, 3), "0 when the decision has no stage"),
    "outcome.questions": FactSpec("list", vocab.QUESTIONS),
    "outcome.flags": FactSpec("list"),
    "outcome.deadlines": FactSpec("list", ("act_by", "acknowledge_by", "request_information_by", "respond_by",
                                           "respond_by_latest", "panel_by", "panel_report_by")),
    "outcome.advocacy_offer": FactSpec("bool"),
    "outcome.letters": FactSpec("list"),
    "outcome.questions_without_prejudice_answer": FactSpec(
        "list", vocab.QUESTIONS, "for a deferral: the questions the case asks when decided again without the "
                                 "officer's answer on prejudice"),
}


@dataclass(frozen=True)
class Reading:
    """The independent reading of one representation."""

    facts: dict[str, Any]


def functions_of(rep: Representation, rules: RuleSet) -> tuple[list[str], str | None]:
    """The union of a complaint's functions and its primary function (DOMAIN 3a.3)."""
    about, taxonomy = rep.about, rules.taxonomy
    service = taxonomy.services.get(about.service) if about.service else None
    natures = [n for n in (taxonomy.natures.get(label) for label in about.natures) if n is not None]
    nature_functions = [n.function for n in natures if n.function]
    union: list[str] = []
    candidates = [about.function, *about.other_functions, *nature_functions]
    if about.function is None and service is not None:
        candidates.append(service.function)
    for f in candidates:
        if f and f not in union:
            union.append(f)
    primary = (about.function or (service.function if service else None)
               or (nature_functions[0] if nature_functions else None)
               or (about.other_functions[0] if about.other_functions else None))
    return union, primary


def _escalation_limit(rules: RuleSet, stage: int) -> int:
    """The number of working days a request for ``stage`` may take, on either procedure:
    the shorter of the two, so 'in time' here is in time whichever procedure applies."""
    s = rules.settings
    limits = [int(s["statutory"][f"request_stage{stage}"]["days"])]
    if stage == 2:
        limits.append(int(s["corporate"]["request_stage2"]["days"]))
    return min(limits)


def read(rep: Representation, rules: RuleSet, calendar: WorkingCalendar) -> dict[str, Any]:
    """The ``case.*`` facts of a representation."""
    c, about, received = rep.complainant, rep.about, rep.received_date
    union, primary = functions_of(rep, rules)
    facts: dict[str, Any] = {
        "case.escalation": rep.escalation is not None,
        "case.functions": sorted(union),
        "case.function_count": len(union),
        "case.mixed": (any(f in STATUTORY for f in union)
                       and any(f not in STATUTORY and f != "not_council" for f in union)),
        "case.any_statutory": any(f in STATUTORY for f in union),
        "case.all_cpc": bool(union) and all(f == "child_protection_conference" for f in union),
        "case.risk": rep.risk.significant_harm or rep.risk.same_day_action,
        "case.about_council": (any(f != "not_council" for f in union) or about.service is not None
                               or (not union and about.outside_council is None)),
    }
    if primary:
        facts["case.primary_function"] = primary
    esc = rep.escalation
    in_time = late = False
    if esc is not None:
        if esc.previous_response_date is None:
            in_time = True
        else:
            deadline = calendar.add_working_days(esc.previous_response_date, _escalation_limit(rules, esc.to_stage))
            in_time, late = received <= deadline, received > deadline
    facts["case.escalation_in_time"], facts["case.escalation_late"] = in_time, late
    adoption_circle = c.relationship in ADOPTION_CIRCLE and any(f in ADOPTION for f in union)
    corporate = not any(f in STATUTORY for f in union) and bool(union)
    care_leaver = c.relationship == "care_leaver" and (corporate or any(f in CARE_LEAVER for f in union))
    person_affected = corporate and c.relationship == "service_user_adult"  # the corporate route's person affected
    facts["case.own_standing"] = (c.relationship in OWN_STANDING or c.has_parental_responsibility
                                  or about.concerns_adult_treatment or adoption_circle or care_leaver
                                  or person_affected)
    facts["case.representative"] = c.on_behalf_of_child and not facts["case.own_standing"]
    age = None
    if c.date_of_birth is not None:
        age = received.year - c.date_of_birth.year - ((received.month, received.day)
                                                       < (c.date_of_birth.month, c.date_of_birth.day))
    facts["case.child_complainant"] = (c.relationship in CHILD_LIKE or c.age_unclear
                                       or (age is not None and age < 18))
    s = rules.settings
    stat_months, corp_months = int(s["statutory"]["late_after_months"]), int(s["corporate"]["late_after_months"])
    start_stat: date | None = about.grounds_arose or about.became_aware
    facts["case.late_statutory"] = bool(start_stat and received > add_months(start_stat, stat_months))
    dates = [d for d in (about.grounds_arose, about.became_aware) if d is not None]
    facts["case.late_corporate"] = bool(dates and received > add_months(max(dates), corp_months))
    return facts


def outcome(decision: Decision) -> dict[str, Any]:
    """The ``outcome.*`` facts of a decision (null fields as "none" or 0, so tests can name them)."""
    return {
        "outcome.representation_type": decision.representation_type,
        "outcome.procedure": decision.procedure or "none",
        "outcome.disposition": decision.disposition,
        "outcome.reason": decision.reason or "none",
        "outcome.stage": decision.stage or 0,
        "outcome.questions": [q.id for q in decision.officer_questions],
        "outcome.flags": list(decision.flags),
        "outcome.deadlines": sorted(decision.deadlines),
        "outcome.advocacy_offer": decision.advocacy_offer,
        "outcome.letters": [letter["template"] for letter in decision.letters],
    }
