"""Generate N varied, valid representations (docs/reference.md, "A representation") as JSON Lines.

    python bench/generate.py --count 10000 --out bench/out/cases.jsonl [--seed 2025] [--verify]

The mix is meant to look like the intake of a children's services complaints team: mostly
statutory and corporate complaints from parents, then grandparents and other relatives whose
standing needs an officer's decision, young people, care leavers and adults who were looked
after, SEN complaints with a tribunal route, complaints touching court,
criminal or disciplinary proceedings, late complaints, safeguarding referrals and case
concerns, compliments, FOI and subject access requests, ad hoc enquiries and signposting,
pre-complaints with no way to reply, and stage 2/3 escalations. Some cases carry officer
decisions, so every disposition and most rules are reached.

Services and natures are the labels of rules/taxonomy.yaml (loaded, not copied), so the
file follows the council's taxonomy. Received dates run from 2022-01-01 to 2025-12-31;
references are unique (CS-YYYY-NNNNN, escalations CS-YYYY-NNNNN-S2/-S3). The same seed
always gives the same file.

``--verify`` runs the file through ``triage assess --batch`` into a scratch database under
the output folder and fails (exit 1) unless every line is accepted; it prints the mix of
representation types and dispositions reached.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
DEFAULT_TAXONOMY = REPO / "rules" / "taxonomy.yaml"

START, END = date(2022, 1, 1), date(2025, 12, 31)

# Functions by procedure (mirrors rules/20-scope.yaml; only used to pick plausible labels).
STATUTORY_FUNCTIONS = {
    "child_in_need", "disabled_children", "family_support", "accommodation_s20", "looked_after",
    "leaving_care", "foster_carer_support", "care_proceedings", "care_order",
    "contact_with_child_in_care", "supervision_order", "child_assessment_order",
    "emergency_protection_order", "adoption_agency", "adoption_support", "special_guardianship_support",
}
CORPORATE_FUNCTIONS = {
    "sen", "school_transport", "school_admissions", "education_other", "libraries", "catering",
    "information_governance", "complaint_handling", "other_council_service", "child_protection_enquiry",
}

FIRST = ["Sam", "Alex", "Jordan", "Chris", "Priya", "Mohammed", "Aisha", "Olivia", "Jack", "Amelia",
         "Harry", "Isla", "Noah", "Ava", "Leo", "Grace", "Oscar", "Freya", "Zoë", "Siobhán", "Tomasz",
         "Kwame", "Mei", "Fatima", "Daniel", "Ellie", "Ryan", "Chloe", "Liam", "Sophie", "Rhys", "Nia"]
LAST = ["Jones", "Smith", "Taylor", "Brown", "Williams", "Wilson", "Khan", "Patel", "Evans", "Thomas",
        "Roberts", "Walker", "Wright", "Hughes", "Green", "Hall", "O'Connor", "Nowak", "Mensah", "Chen",
        "Ahmed", "Murphy", "Clarke", "Lewis", "Young", "King", "Baker", "Wood"]
STREETS = ["High Street", "Station Road", "Church Lane", "Mill Road", "Victoria Road", "Park Avenue"]
TOWNS = ["Winchester", "Basingstoke", "Andover", "Eastleigh", "Fareham", "Havant", "Aldershot", "Romsey"]

GENDERS = ["Female", "Male", "Not Stated", "Prefer not to say", "Non-binary"]
AGE_BANDS = ["0 - 17", "18 - 24", "25 - 59", "60 - 74", "75+", "Not Stated"]
DISABILITY = ["No", "Yes", "Not Stated"]
ETHNICITY = ["White British", "White Other", "Asian or Asian British", "Black or Black British",
             "Mixed", "Other", "Not Stated"]
ORIENTATION = ["Heterosexual", "Gay or Lesbian", "Bisexual", "Not Stated", "Prefer not to say"]

VIA_WEIGHTS = {"eform": 40, "email": 25, "telephone": 8, "letter": 5, "complaint_form": 5,
               "contact_centre_email": 4, "contact_centre_telephone": 3, "in_person": 2,
               "via_director": 3, "other": 2}

COMPLAINT_SUMMARIES = [
    "No reply from the social worker for {n} weeks despite several messages.",
    "The assessment was completed without speaking to {who} and the outcome is wrong.",
    "The agreed plan has not been put in place and nobody has explained why.",
    "The social worker changed {n} times this year and each time we start again.",
    "The respite hours were cut without any warning or reassessment.",
    "Meetings were cancelled at short notice and the family was not told.",
    "The report contains factual errors about {who} that have not been corrected.",
    "The placement was changed without the child's views being taken into account.",
    "Promised support after the review never started.",
    "Staff were rude on the telephone and refused to give a manager's name.",
    "The direct payment was stopped and we were left without care for {n} weeks.",
    "Contact arrangements keep being cancelled by the service.",
]
CORPORATE_SUMMARIES = [
    "The EHC needs assessment is {n} weeks past the statutory deadline.",
    "The annual review has not been held and the plan is out of date.",
    "The taxi did not turn up {n} times this month and my child missed school.",
    "The school transport escort was withdrawn without notice.",
    "I was charged fees for books that were returned on time.",
    "The school meals do not meet my child's dietary needs.",
    "My subject access request is {n} weeks late.",
    "The section 47 enquiry was handled without anyone speaking to us first.",
    "The way the complaints team handled my earlier complaint was unfair.",
    "The library has cut its opening hours and the computers rarely work.",
    "Provision in the EHC plan is not in place at the new school.",
]
OTHER_SUMMARIES = {
    "compliment": ["Thank you to {who}'s social worker, who went above and beyond.",
                   "The foster carer support team were brilliant this year.",
                   "I want to say how helpful the school transport team were."],
    "foi_request": ["Please provide the number of children in care placed out of county in {y}.",
                    "How much was spent on agency social workers in {y}?"],
    "subject_access_request": ["I would like a copy of all records held about me and my children.",
                               "Please send me my care file from when I was looked after."],
    "call_back_request": ["Please ask the duty manager to call me back today.",
                          "Could someone ring me about the review meeting?"],
    "lgsco_enquiry": ["The Ombudsman asks for the council's file on a complaint it has received."],
    "member_enquiry": ["A constituent has asked me to raise delays in their child's EHC plan.",
                       "Raising on behalf of a resident the lack of contact from social care."],
    "professional_concern": ["As the designated safeguarding lead I am concerned the referral was closed.",
                             "The health visitor disagrees with the decision to step down the plan."],
    "enquiry": ["How do I apply for a short break for my disabled son?",
                "Who do I contact about a school place for September?"],
    "safeguarding": ["I am worried {who} is being hurt at home and nobody is doing anything.",
                     "My grandchild told me she is scared to go home tonight."],
    "case_concern": ["The placement has broken down today and there is nowhere to stay tonight.",
                     "There is no food in the house and the family support worker is not answering."],
    "outside": ["The school excluded my son and will not explain why.",
                "The police did not follow up my report.",
                "The hospital discharged my daughter without a plan.",
                "Cafcass wrote a report that is wrong about me."],
}
DELAY_REASONS = ["I was in hospital for most of last year.",
                 "I only found out recently when I saw the file.",
                 "I was afraid to complain while the case was open.",
                 None]
OUTCOMES = ["A named contact and a plan.", "An apology and an explanation.",
            "The assessment to be redone.", "The support to be reinstated.",
            "Compensation for the missed provision.", "A meeting with a manager.", None]


class Taxonomy:
    """Service and nature labels from rules/taxonomy.yaml, grouped by the function they imply."""

    def __init__(self, path: Path) -> None:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        self.services: list[dict[str, Any]] = data["services"]
        self.natures: list[dict[str, Any]] = data["natures"]
        self.generic_natures = [n["label"] for n in self.natures if not n.get("function")]
        self.services_by_fn: dict[str | None, list[str]] = collections.defaultdict(list)
        self.natures_by_fn: dict[str | None, list[dict[str, Any]]] = collections.defaultdict(list)
        for s in self.services:
            self.services_by_fn[s.get("function")].append(s["label"])
        for n in self.natures:
            self.natures_by_fn[n.get("function")].append(n)
        self.statutory_services = [s["label"] for s in self.services if s.get("function") in STATUTORY_FUNCTIONS]
        self.corporate_services = [s["label"] for s in self.services if s.get("function") in CORPORATE_FUNCTIONS]
        self.unmapped_services = self.services_by_fn.get(None, [])
        if not (self.statutory_services and self.corporate_services and self.generic_natures):
            raise SystemExit(f"{path}: expected statutory and corporate services and natures without a function")

    def function_of_service(self, label: str) -> str | None:
        return next((s.get("function") for s in self.services if s["label"] == label), None)

    def natures_for(self, function: str | None, *, tag: str | None = None, without_tag: str | None = None) -> list[str]:
        found = [n["label"] for n in self.natures_by_fn.get(function, [])
                 if (tag is None or tag in (n.get("tags") or []))
                 and (without_tag is None or without_tag not in (n.get("tags") or []))]
        return found


def _weighted(rng: random.Random, weights: Mapping[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _received(rng: random.Random) -> date:
    span = (END - START).days
    while True:
        day = START + timedelta(days=rng.randrange(span + 1))
        # Most arrive on working days; eForms and emails also come in at weekends.
        if day.weekday() < 5 or rng.random() < 0.25:
            return day


class Generator:
    def __init__(self, taxonomy: Taxonomy, seed: int) -> None:
        self.tax = taxonomy
        self.rng = random.Random(seed)

    # ------------------------------------------------------------------ building blocks
    def name(self, last: str | None = None) -> str:
        return f"{self.rng.choice(FIRST)} {last or self.rng.choice(LAST)}"

    def contact(self, name: str, *, none: bool = False) -> dict[str, Any]:
        if none:
            return self.rng.choice([{}, {"email": None, "phone": None, "address": None}, {"email": "  "}])
        r = self.rng
        slug = "".join(ch for ch in name.lower().replace(" ", ".") if ch.isascii() and (ch.isalnum() or ch == "."))
        out: dict[str, Any] = {}
        if r.random() < 0.8:
            out["email"] = f"{slug}{r.randrange(100)}@example.org"
        if r.random() < 0.45 or not out:
            out["phone"] = f"07{r.randrange(700, 999)} {r.randrange(100000, 999999)}"
        if r.random() < 0.2:
            out["address"] = f"{r.randrange(1, 200)} {r.choice(STREETS)}, {r.choice(TOWNS)}"
        if r.random() < 0.3:  # the full form sends explicit nulls
            for key in ("email", "phone", "address"):
                out.setdefault(key, None)
        return out

    def equality(self) -> dict[str, Any]:
        r = self.rng
        if r.random() < 0.3:
            return {}
        return {"gender": r.choice(GENDERS), "age_band": r.choice(AGE_BANDS), "disability": r.choice(DISABILITY),
                "ethnicity": r.choice(ETHNICITY), "sexual_orientation": r.choice(ORIENTATION)}

    def child(self, grounds: date, *, age: tuple[int, int] = (0, 17), **flags: Any) -> dict[str, Any]:
        r = self.rng
        years = r.randint(*age)
        dob = grounds - timedelta(days=365 * years + r.randrange(365))
        out: dict[str, Any] = {"name": self.name(), "date_of_birth": dob.isoformat()}
        if r.random() < 0.1:
            del out["date_of_birth"]
        for key, value in flags.items():
            out[key] = value
        return out

    def summary(self, pool: list[str]) -> str:
        r = self.rng
        text = r.choice(pool).format(n=r.randint(2, 12), who=r.choice(["my son", "my daughter", "us", "the child"]),
                                     y=r.randint(2019, 2024))
        roll = r.random()
        if roll < 0.004:  # a very long submission (flag.long_submission)
            text += " " + " ".join(["The chronology continues with further missed visits and unanswered emails."] * 170)
        elif roll < 0.3:
            text += " " + " ".join(r.sample(COMPLAINT_SUMMARIES, 2)).format(n=3, who="my child")
        return text

    def natures(self, function: str | None, k: tuple[int, int] = (1, 2)) -> list[str]:
        """Natures that fit the function: generic ones, plus the function's own where it has any."""
        r = self.rng
        own = self.tax.natures_for(function) if function else []
        count = r.randint(*k)
        picked: list[str] = []
        if own and r.random() < 0.6:
            picked.append(r.choice(own))
        while len(picked) < count:
            label = r.choice(self.tax.generic_natures)
            if label not in picked:
                picked.append(label)
        return picked

    def grounds(self, received: date, *, late: bool = False) -> date:
        days = self.rng.randint(400, 1100) if late else self.rng.randint(3, 330)
        return received - timedelta(days=days)

    def complainant(self, relationship: str, last: str, *, pr: bool = False, none_contact: bool = False,
                    **extra: Any) -> dict[str, Any]:
        name = self.name(last)
        out: dict[str, Any] = {"name": name, "contact": self.contact(name, none=none_contact),
                               "relationship": relationship}
        if pr:
            out["has_parental_responsibility"] = True
        eq = self.equality()
        if eq:
            out["equality"] = eq
        out.update(extra)
        return out

    def officer(self, question: str, answer: bool) -> dict[str, Any]:
        reasons = {True: ["Considered the factors; the presumption applies.", "Agreed with the service manager."],
                   False: ["Considered the factors and the child's views; not appropriate.",
                           "The matter was fully considered before."]}
        return {question: {"answer": answer, "reason": self.rng.choice(reasons[answer]),
                           "by": f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}, Complaints Manager"}}

    def base(self, received: date, via: str | None = None, kind: str = "complaint") -> dict[str, Any]:
        case: dict[str, Any] = {"received_date": received.isoformat(),
                                "received_via": via or _weighted(self.rng, VIA_WEIGHTS)}
        if kind != "complaint" or self.rng.random() < 0.7:
            case["kind"] = kind
        return case

    def about(self, service: str | None, natures: list[str], summary: str, grounds: date | None, *,
              function: str | None = None, **extra: Any) -> dict[str, Any]:
        r = self.rng
        out: dict[str, Any] = {}
        if service:
            out["service"] = service if r.random() < 0.9 else service.upper()  # labels match ignoring case
        if function and r.random() < 0.5:
            out["function"] = function
        out["natures"] = natures
        out["summary"] = summary
        outcome = r.choice(OUTCOMES)
        if outcome:
            out["desired_outcome"] = outcome
        if grounds:
            out["grounds_arose"] = grounds.isoformat()
        out.update(extra)
        return out

    # ------------------------------------------------------------------ case families
    def statutory_parent(self, received: date) -> dict[str, Any]:
        r = self.rng
        last = r.choice(LAST)
        if r.random() < 0.04:  # a service that names no function (the rules flag it)
            service, fn = r.choice(self.tax.unmapped_services), None
        else:
            service = r.choice(self.tax.statutory_services)
            fn = self.tax.function_of_service(service)
        g = self.grounds(received)
        case = self.base(received)
        rel = _weighted(r, {"parent": 70, "non_resident_parent": 8, "adopter": 5, "special_guardian": 5,
                            "foster_carer": 7, "step_parent": 5})
        case["complainant"] = self.complainant(rel, last, pr=rel in ("parent", "adopter", "special_guardian")
                                               or (rel == "step_parent" and r.random() < 0.6))
        case["child"] = self.child(g, looked_after=fn == "looked_after", in_need=fn in ("child_in_need", "disabled_children"),
                                   disabled=fn == "disabled_children")
        case["about"] = self.about(service, self.natures(fn, (1, 5) if r.random() < 0.05 else (1, 2)),
                                   self.summary(COMPLAINT_SUMMARIES), g, function=fn)
        if r.random() < 0.05:  # a mixed representation: statutory and corporate
            case["about"]["other_functions"] = [r.choice(["sen", "school_transport", "education_other"])]
            if r.random() < 0.4:
                case["officer_decisions"] = self.officer("mixed_scope", r.random() < 0.6)
        if r.random() < 0.03:  # a repeat of an answered complaint
            case["previous"] = {"reference": f"CS-{received.year - 1}-{r.randrange(1, 3000):05d}",
                                "same_issues": True, "stages_completed": r.randint(1, 2),
                                "new_information": r.random() < 0.3}
        return case

    def other_function(self, received: date) -> dict[str, Any]:
        """Court orders, contact, special guardianship, adoption and approval decisions: the
        form names the function; relatives and the adoption circle complain about them."""
        r = self.rng
        fn = _weighted(r, {"care_proceedings": 10, "care_order": 10, "contact_with_child_in_care": 15,
                           "supervision_order": 5, "emergency_protection_order": 3, "child_assessment_order": 2,
                           "special_guardianship_support": 15, "adoption_support": 12, "adoption_agency": 10,
                           "fostering_approval": 6, "adoption_approval": 4, "court_report": 8})
        rel = {"special_guardianship_support": "special_guardian",
               "adoption_agency": r.choice(["prospective_adopter", "birth_parent_of_adopted_child", "adopter"]),
               "adoption_support": r.choice(["adopter", "birth_parent_of_adopted_child"]),
               "fostering_approval": "prospective_foster_carer",
               "adoption_approval": "prospective_adopter"}.get(fn) or r.choice(["parent", "parent", "grandparent"])
        service = r.choice(self.tax.services_by_fn.get(fn) or self.tax.statutory_services)
        g = self.grounds(received)
        case = self.base(received)
        case["complainant"] = self.complainant(rel, r.choice(LAST), pr=rel == "parent")
        case["child"] = self.child(g, looked_after=fn in ("care_order", "contact_with_child_in_care"),
                                   adopted=fn.startswith("adoption"), special_guardianship_order=fn.startswith("special"))
        case["about"] = self.about(service, self.natures(None), self.summary(COMPLAINT_SUMMARIES), g)
        case["about"]["function"] = fn
        return case

    def corporate_parent(self, received: date) -> dict[str, Any]:
        r = self.rng
        last = r.choice(LAST)
        service = r.choice(self.tax.corporate_services)
        fn = self.tax.function_of_service(service)
        g = self.grounds(received)
        case = self.base(received)
        rel = _weighted(r, {"parent": 80, "non_resident_parent": 6, "foster_carer": 5, "special_guardian": 4,
                            "service_user_adult": 5})
        case["complainant"] = self.complainant(rel, last, pr=rel == "parent" and r.random() < 0.7)
        case["child"] = self.child(g, disabled=r.random() < 0.2)
        extra: dict[str, Any] = {}
        if r.random() < 0.08:
            extra["concerns_adult_treatment"] = True
        if r.random() < 0.1:
            extra["became_aware"] = (g + timedelta(days=r.randint(0, (received - g).days))).isoformat()
        case["about"] = self.about(service, self.natures(fn), self.summary(CORPORATE_SUMMARIES), g, function=fn, **extra)
        return case

    def grandparent(self, received: date) -> dict[str, Any]:
        """Relatives and others without standing of their own: sufficient interest is the officer's call."""
        r = self.rng
        last = r.choice(LAST)
        service = r.choice(self.tax.statutory_services)
        fn = self.tax.function_of_service(service)
        g = self.grounds(received)
        case = self.base(received)
        rel = _weighted(r, {"grandparent": 60, "other_relative": 15, "sibling": 8, "friend_neighbour": 7,
                            "partner": 5, "ex_partner": 5})
        case["complainant"] = self.complainant(rel, last)
        case["child"] = self.child(g, looked_after=r.random() < 0.4)
        case["about"] = self.about(service, self.natures(fn), self.summary(COMPLAINT_SUMMARIES), g, function=fn)
        if r.random() < 0.35:
            case["officer_decisions"] = self.officer("sufficient_interest", r.random() < 0.75)
        return case

    def young_person(self, received: date) -> dict[str, Any]:
        r = self.rng
        last = r.choice(LAST)
        # service_user_adult: an adult complaining about their time as a looked-after child
        rel = _weighted(r, {"young_person": 42, "child": 23, "care_leaver": 27, "service_user_adult": 8})
        fn = "leaving_care" if rel == "care_leaver" else r.choice(["looked_after", "child_in_need", "looked_after"])
        service = r.choice(self.tax.services_by_fn.get(fn) or self.tax.statutory_services)
        g = self.grounds(received)
        age = {"care_leaver": (18, 21), "service_user_adult": (16, 17)}.get(rel, (11, 17))
        via = "young_person_form" if r.random() < 0.5 else None
        case = self.base(received, via)
        dob = g - timedelta(days=365 * r.randint(*age) + r.randrange(365))
        extra: dict[str, Any] = {"date_of_birth": dob.isoformat()} if r.random() < 0.8 else {"age_unclear": True}
        case["complainant"] = self.complainant(rel, last, **extra)
        if rel == "service_user_adult":  # now an adult; the grounds arose years ago, when a child
            g = received - timedelta(days=r.randint(30, 330))
            dob = g - timedelta(days=365 * 17 + r.randrange(300))
            case["complainant"]["date_of_birth"] = dob.isoformat()
            case["complainant"].pop("age_unclear", None)
            case["child"] = {"date_of_birth": dob.isoformat(), "looked_after": True}
        elif rel != "care_leaver":
            case["child"] = {"name": case["complainant"]["name"], "date_of_birth": dob.isoformat(),
                             "looked_after": fn == "looked_after", "sufficient_understanding": True}
        else:
            case["child"] = {"care_leaver": True}
        case["about"] = self.about(service, self.natures(fn), self.summary(COMPLAINT_SUMMARIES), g, function=fn)
        return case

    def representative(self, received: date) -> dict[str, Any]:
        """An advocate or professional acting for a child: consent or understanding decides."""
        r = self.rng
        service = r.choice(self.tax.statutory_services)
        fn = self.tax.function_of_service(service)
        g = self.grounds(received)
        case = self.base(received)
        case["complainant"] = self.complainant(_weighted(r, {"advocate": 70, "other_professional": 15, "other_relative": 15}),
                                               r.choice(LAST), on_behalf_of_child=True)
        consent = r.choice([True, True, False, None])
        understanding = r.choice([True, True, False])
        case["child"] = self.child(g, age=(4, 17), looked_after=r.random() < 0.6,
                                   sufficient_understanding=understanding, consents_to_representative=consent)
        case["about"] = self.about(service, self.natures(fn), self.summary(COMPLAINT_SUMMARIES), g, function=fn)
        return case

    def sen_tribunal(self, received: date) -> dict[str, Any]:
        r = self.rng
        last = r.choice(LAST)
        case = self.base(received)
        g = self.grounds(received)
        if r.random() < 0.8:
            fn = "sen"
            delay = r.random() < 0.4
            natures = self.tax.natures_for("sen", tag="delay") if delay else self.tax.natures_for("sen", without_tag="delay")
            service = r.choice(self.tax.services_by_fn["sen"])
        else:  # other appeal routes: school transport or admissions appeal
            fn = r.choice(["school_transport", "school_admissions"])
            natures = self.tax.natures_for(fn) or self.tax.generic_natures
            service = r.choice(self.tax.services_by_fn[fn])
        case["complainant"] = self.complainant("parent", last, pr=True)
        case["child"] = self.child(g, age=(4, 17), disabled=r.random() < 0.5)
        case["about"] = self.about(service, r.sample(natures, min(len(natures), r.randint(1, 2))),
                                   self.summary(CORPORATE_SUMMARIES), g, function=fn)
        case["proceedings"] = {"court": "none", "criminal": "none",
                               "tribunal": _weighted(r, {"appeal_available": 60, "appeal_lodged": 30, "decided": 10}),
                               "disciplinary": "none"}
        return case

    def proceedings(self, received: date) -> dict[str, Any]:
        r = self.rng
        case = self.statutory_parent(received)
        case.pop("previous", None)
        case.pop("officer_decisions", None)
        case["about"].pop("other_functions", None)
        which = _weighted(r, {"matter_for_court": 30, "court": 40, "criminal": 18, "disciplinary": 12})
        proc = {"court": "none", "criminal": "none", "tribunal": "none", "disciplinary": "none"}
        if which == "matter_for_court":
            proc["court"] = "matter_for_court"
        elif which == "court":
            proc["court"] = "ongoing"
            if r.random() < 0.3:
                proc["court"] = "concluded"
        else:
            proc[which] = "ongoing"
        case["proceedings"] = proc
        if "ongoing" in proc.values() and r.random() < 0.45:
            case["officer_decisions"] = self.officer("prejudice_to_proceedings", r.random() < 0.6)
        return case

    def late(self, received: date) -> dict[str, Any]:
        r = self.rng
        case = (self.statutory_parent if r.random() < 0.6 else self.corporate_parent)(received)
        case.pop("previous", None)
        case.pop("officer_decisions", None)
        case["about"].pop("other_functions", None)
        case["about"].pop("became_aware", None)
        g = self.grounds(received, late=True)
        case["about"]["grounds_arose"] = g.isoformat()
        if "child" in case and "date_of_birth" in case["child"]:
            case["child"]["date_of_birth"] = (g - timedelta(days=365 * r.randint(0, 15) + r.randrange(365))).isoformat()
        reason = r.choice(DELAY_REASONS)
        if reason:
            case["about"]["delay_reason"] = reason
        if r.random() < 0.4:
            case["officer_decisions"] = self.officer("accept_out_of_time", r.random() < 0.7)
        return case

    def risk(self, received: date, *, significant_harm: bool) -> dict[str, Any]:
        r = self.rng
        kind = "complaint" if r.random() < 0.6 else r.choice(["enquiry", "professional_concern"])
        case = self.base(received, r.choice(["telephone", "contact_centre_telephone", "email", "in_person"]), kind)
        rel = _weighted(r, {"grandparent": 25, "parent": 30, "friend_neighbour": 15, "head_teacher": 10,
                            "health_staff": 10, "young_person": 10})
        case["complainant"] = self.complainant(rel, r.choice(LAST))
        case["child"] = self.child(received, child_protection_plan=r.random() < 0.2)
        pool = OTHER_SUMMARIES["safeguarding" if significant_harm else "case_concern"]
        service = r.choice(self.tax.statutory_services + self.tax.services_by_fn.get("child_protection_enquiry", []))
        case["about"] = self.about(service, [], self.summary(pool), None)
        case["risk"] = {"significant_harm": True, "same_day_action": r.random() < 0.5} if significant_harm \
            else {"significant_harm": False, "same_day_action": True}
        return case

    def other_kind(self, received: date, kind: str) -> dict[str, Any]:
        r = self.rng
        rel = {"member_enquiry": r.choice(["mp", "councillor"]),
               "professional_concern": r.choice(["head_teacher", "health_staff", "other_agency", "other_professional"]),
               "lgsco_enquiry": "other"}.get(kind) or _weighted(r, {"parent": 60, "foster_carer": 10, "grandparent": 10,
                                                                   "other": 10, "unknown": 5, "young_person": 5})
        via = {"lgsco_enquiry": "via_lgsco", "member_enquiry": r.choice(["email", "via_director"])}.get(kind)
        case = self.base(received, via, kind)
        case["complainant"] = self.complainant(rel, r.choice(LAST))
        if kind in ("foi_request", "subject_access_request"):
            service = r.choice(self.tax.services_by_fn.get("information_governance") or self.tax.unmapped_services)
            natures: list[str] = []
        else:
            service = r.choice(self.tax.statutory_services + self.tax.corporate_services)
            natures = self.natures(self.tax.function_of_service(service), (0, 1)) if kind != "compliment" else []
        if kind in ("compliment", "call_back_request", "member_enquiry", "professional_concern", "lgsco_enquiry"):
            case["child"] = self.child(received) if r.random() < 0.5 else {}
            if not case["child"]:
                del case["child"]
        case["about"] = self.about(service, natures, self.summary(OTHER_SUMMARIES[kind]), None)
        return case

    def ad_hoc(self, received: date) -> dict[str, Any]:
        r = self.rng
        roll = r.random()
        if roll < 0.4:
            return self.other_kind(received, "enquiry")
        case = self.base(received)
        case["complainant"] = self.complainant(r.choice(["parent", "parent", "grandparent", "other"]), r.choice(LAST))
        g = self.grounds(received)
        if roll < 0.85:  # about another body
            outside = _weighted(r, {"school": 45, "police": 15, "nhs": 15, "cafcass": 10, "court": 5,
                                    "other_local_authority": 7, "other": 3})
            case["about"] = self.about(r.choice(self.tax.unmapped_services + self.tax.corporate_services)
                                       if r.random() < 0.5 else None, [], self.summary(OTHER_SUMMARIES["outside"]), g,
                                       outside_council=outside)
        else:  # not a council function at all
            case["about"] = self.about(None, [], self.summary(OTHER_SUMMARIES["outside"]), g)
            case["about"]["function"] = "not_council"
        return case

    def hscp(self, received: date) -> dict[str, Any]:
        case = self.statutory_parent(received)
        for key in ("previous", "officer_decisions"):
            case.pop(key, None)
        case["about"].pop("other_functions", None)
        case["about"]["function"] = "child_protection_conference"
        case["about"]["natures"] = [self.rng.choice(self.tax.natures_for("child_protection_conference")
                                                    or self.tax.generic_natures)]
        return case

    def pre_complaint(self, received: date) -> dict[str, Any]:
        r = self.rng
        case = self.base(received, r.choice(["letter", "telephone", "other", "in_person"]))
        no_contact = r.random() < 0.75
        case["complainant"] = self.complainant(r.choice(["parent", "grandparent", "unknown", "other"]),
                                               r.choice(LAST), none_contact=no_contact)
        if no_contact and r.random() < 0.4:
            del case["complainant"]["name"]
        g = self.grounds(received)
        if no_contact:
            service = r.choice(self.tax.statutory_services)
            case["about"] = self.about(service, self.natures(self.tax.function_of_service(service)),
                                       self.summary(COMPLAINT_SUMMARIES), g)
        else:  # nothing says what it is about
            case["about"] = {"summary": "I am unhappy with how we have been treated and want it put right."}
        return case

    def escalation(self, received: date) -> dict[str, Any]:
        r = self.rng
        statutory = r.random() < 0.6
        case = (self.statutory_parent if statutory else self.corporate_parent)(received)
        for key in ("previous", "officer_decisions"):
            case.pop(key, None)
        case["about"].pop("other_functions", None)
        case["about"].pop("concerns_adult_treatment", None)
        to_stage = (3 if r.random() < 0.3 else 2) if statutory else (3 if r.random() < 0.05 else 2)
        esc: dict[str, Any] = {"original_reference": "", "to_stage": to_stage}
        roll = r.random()
        if roll < 0.1:
            pass  # the previous stage was never answered
        else:
            late = roll > 0.8
            days = r.randint(35, 120) if late else r.randint(1, 25)
            esc["previous_response_date"] = (received - timedelta(days=days)).isoformat()
            if late and r.random() < 0.5:
                case["officer_decisions"] = self.officer("accept_late_escalation", r.random() < 0.7)
        case["escalation"] = esc
        g = date.fromisoformat(case["about"]["grounds_arose"])
        first = esc.get("previous_response_date")
        if first and g > date.fromisoformat(first):
            case["about"]["grounds_arose"] = first
        return case

    # ------------------------------------------------------------------ the mix
    def families(self) -> dict[str, tuple[float, Callable[[date], dict[str, Any]]]]:
        return {
            "statutory_parent": (28, self.statutory_parent),
            "corporate_parent": (18, self.corporate_parent),
            "grandparent": (5, self.grandparent),
            "young_person": (5, self.young_person),
            "representative": (2, self.representative),
            "other_function": (3, self.other_function),
            "sen_tribunal": (4, self.sen_tribunal),
            "proceedings": (4, self.proceedings),
            "late": (4, self.late),
            "safeguarding": (1.5, lambda d: self.risk(d, significant_harm=True)),
            "case_concern": (3, lambda d: self.risk(d, significant_harm=False)),
            "compliment": (6, lambda d: self.other_kind(d, "compliment")),
            "foi": (1.5, lambda d: self.other_kind(d, "foi_request")),
            "sar": (2, lambda d: self.other_kind(d, "subject_access_request")),
            "call_back": (1, lambda d: self.other_kind(d, "call_back_request")),
            "member_enquiry": (1, lambda d: self.other_kind(d, "member_enquiry")),
            "lgsco_enquiry": (0.5, lambda d: self.other_kind(d, "lgsco_enquiry")),
            "professional": (1, lambda d: self.other_kind(d, "professional_concern")),
            "hscp": (0.5, self.hscp),
            "ad_hoc": (3, self.ad_hoc),
            "pre_complaint": (2.5, self.pre_complaint),
            "escalation": (4.5, self.escalation),
        }

    def generate(self, count: int) -> tuple[list[dict[str, Any]], collections.Counter[str]]:
        fams = self.families()
        names = list(fams)
        weights = [fams[n][0] for n in names]
        drawn = []
        for _ in range(count):
            family = self.rng.choices(names, weights=weights)[0]
            received = _received(self.rng)
            drawn.append((received, family, fams[family][1](received)))
        drawn.sort(key=lambda t: t[0])  # a feed in order of receipt
        cases: list[dict[str, Any]] = []
        mix: collections.Counter[str] = collections.Counter()
        per_year: collections.Counter[int] = collections.Counter()
        used: set[str] = set()
        complaints: list[str] = []  # references an escalation may point back to
        for received, family, case in drawn:
            mix[family] += 1
            esc = case.get("escalation")
            ref = None
            if esc is not None:
                candidates = complaints[-2000:]
                for _ in range(20):
                    original = self.rng.choice(candidates) if candidates else None
                    if original and f"{original}-S{esc['to_stage']}" not in used:
                        ref = f"{original}-S{esc['to_stage']}"
                        esc["original_reference"] = original
                        break
                if ref is None:  # no earlier complaint to point at: one from before the file
                    esc["original_reference"] = f"CS-{received.year - 1}-9{len(used):05d}"[:64]
                    ref = f"{esc['original_reference']}-S{esc['to_stage']}"
            if ref is None:
                per_year[received.year] += 1
                ref = f"CS-{received.year}-{per_year[received.year]:05d}"
                if family in ("statutory_parent", "corporate_parent", "grandparent", "young_person"):
                    complaints.append(ref)
            assert ref not in used, ref
            used.add(ref)
            cases.append({"reference": ref, **case})
        return cases, mix


def verify(path: Path, count: int, triage: str) -> int:
    """Run the file through `triage assess --batch`; 0 when every line was accepted."""
    with tempfile.TemporaryDirectory(dir=path.parent, prefix="verify-") as tmp:
        db = Path(tmp) / "verify.db"
        proc = subprocess.run([triage, "--db", str(db), "assess", "--batch", str(path)],
                              capture_output=True, text=True)
        results = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    failed = [r for r in results if not r["ok"]]
    types: collections.Counter[str] = collections.Counter()
    disp: collections.Counter[str] = collections.Counter()
    rules: set[str] = set()
    for r in results:
        if r["ok"]:
            d = r["decision"]
            types[d["representation_type"] + (f"/{d['procedure']}" if d["procedure"] else "")] += 1
            disp[d["disposition"] + (f"/{d['reason']}" if d["reason"] else "")] += 1
            rules.update(f["id"] for f in d["rules_fired"])
    print(f"verify: {len(results)} results, {len(failed)} failed (exit {proc.returncode}); "
          f"stderr: {proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else ''}")
    for r in failed[:10]:
        print(f"  line {r['line']}: {r['errors']}")
    print("representation types:", ", ".join(f"{k} {v}" for k, v in types.most_common()))
    print("dispositions:", ", ".join(f"{k} {v}" for k, v in disp.most_common()))
    print(f"distinct rules fired (as contributing): {len(rules)}")
    ok = proc.returncode == 0 and not failed and len(results) == count
    print("verify:", "OK - every line accepted" if ok else "FAILED")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--count", type=int, default=10_000, help="number of representations (default 10000)")
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out" / "cases.jsonl")
    p.add_argument("--seed", type=int, default=2025, help="random seed (default 2025)")
    p.add_argument("--taxonomy", type=Path, default=DEFAULT_TAXONOMY, help="rules/taxonomy.yaml to take labels from")
    p.add_argument("--verify", action="store_true", help="run the file through `triage assess --batch` and check 0 failures")
    p.add_argument("--triage", default=str(Path(sys.executable).parent / "triage"),
                   help="the triage command for --verify (default: beside this Python)")
    args = p.parse_args(argv)
    if args.count < 1:
        p.error("--count must be at least 1")
    cases, mix = Generator(Taxonomy(args.taxonomy), args.seed).generate(args.count)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(args.out.suffix + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        for case in cases:
            f.write(json.dumps(case, ensure_ascii=False, separators=(",", ":")) + "\n")
    os.replace(tmp, args.out)
    print(f"wrote {len(cases)} representations to {args.out} (seed {args.seed}; "
          f"{args.out.stat().st_size / 1e6:.1f} MB)")
    print("families:", ", ".join(f"{k} {v}" for k, v in mix.most_common()))
    return verify(args.out, args.count, args.triage) if args.verify else 0


if __name__ == "__main__":
    sys.exit(main())
