"""Building the facts of one representation (the schema they follow is ``facts.FACTS``).

Absent values are left out (durable-rules cannot hold nulls; rules test for them with
``{exists: false}``); dates become ISO strings, which compare correctly as strings.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from triage.clock.calendar import WorkingCalendar, add_months
from triage.contract.models import Representation

from .ruleset import RuleSet


def _years_between(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def build_facts(rep: Representation, rules: RuleSet, calendar: WorkingCalendar) -> dict[str, Any]:
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

    # DOMAIN 3a.3: the functions are the union of the form's function, its other functions and
    # the natures' functions (the service's only when the form gives no function); the primary
    # function is the form's, else the service's, else the first nature's, else the first other.
    nature_functions = [n.function for n in natures if n.function]
    service_function = service.function if service and ab.function is None else None
    union: list[str] = []
    for f in (ab.function, *ab.other_functions, *nature_functions, service_function):
        if f and f not in union:
            union.append(f)
    if ab.function:
        function, source = ab.function, "form"
    elif service_function:
        function, source = service_function, "service"
    elif nature_functions:
        function, source = nature_functions[0], "nature"
    elif ab.other_functions:
        function, source = ab.other_functions[0], "form"
    else:
        function, source = None, None
    facts["derived.function"] = function
    facts["derived.function_source"] = source
    facts["derived.functions"] = sorted(union)
    contact = c.contact
    facts["derived.can_reply"] = any(x and x.strip() for x in (contact.email, contact.phone, contact.address))
    facts["derived.has_subject"] = bool(ab.service or ab.function or ab.natures or ab.other_functions)
    facts["derived.has_desired_outcome"] = bool(ab.desired_outcome and ab.desired_outcome.strip())
    facts["derived.summary_words"] = len(ab.summary.split())
    facts["derived.nature_count"] = len(ab.natures)
    facts["derived.nature_tags"] = sorted({t for n in natures for t in n.tags})
    facts["derived.delay_reason_given"] = bool(ab.delay_reason and ab.delay_reason.strip())

    received = rep.received_date
    # DOMAIN 3a.6. Statutory: a year from the grounds (reg 9), or from becoming aware when that is
    # all the form gives. Corporate: twelve months from the later of the two; either alone counts.
    stat_months = int(rules.settings["statutory"]["late_after_months"])
    corp_months = int(rules.settings["corporate"]["late_after_months"])
    stat_start = ab.grounds_arose or ab.became_aware
    facts["derived.late_statutory"] = bool(stat_start and received > add_months(stat_start, stat_months))
    known = [d for d in (ab.grounds_arose, ab.became_aware) if d is not None]
    facts["derived.late_corporate"] = bool(known and received > add_months(max(known), corp_months))

    esc = rep.escalation
    facts["derived.is_escalation"] = esc is not None
    if esc is not None:
        facts["escalation.to_stage"] = esc.to_stage
        facts["escalation.previous_response_date"] = esc.previous_response_date
        if esc.previous_response_date:
            # Counted to the next working day from receipt: a request that arrives on a
            # non-working day after the Nth working day is late (DOMAIN 3a.6).
            facts["derived.escalation_days"] = calendar.working_days_between(
                esc.previous_response_date, calendar.next_working_day(received))
    if c.date_of_birth:
        facts["derived.complainant_age"] = _years_between(c.date_of_birth, received)
    if ch.date_of_birth:
        facts["derived.child_age"] = _years_between(ch.date_of_birth, ab.grounds_arose or received)

    for question, answer in rep.officer_decisions.items():
        facts[f"officer.{question}"] = answer.answer
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in facts.items() if v is not None}
