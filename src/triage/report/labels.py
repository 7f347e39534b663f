"""The seed's labels for the annual report: how stored codes, taxonomy labels and free-text
equality answers become the row labels of seed 000's tables (and only those labels).

The council's own lists (services, natures, methods, relationships, outcomes) come from
rules/taxonomy.yaml; the seed's row order, the equality categories (seed 000 tables 13-20; sexual
orientation as the 2021 census asks it) and the few labels the taxonomy does not hold live here.
"""

from __future__ import annotations

import re
from typing import Any

from triage.rules.taxonomy import LabelList, normalise

FINDINGS = {"upheld": "Upheld", "partially_upheld": "Partially upheld", "not_upheld": "Not upheld",
            "no_finding": "No finding"}
# The seed's row order where it differs from the taxonomy's (seed 000 tables 3 and 4), by
# `received_via` code: the labels are the council's (rules/taxonomy.yaml, `methods`).
METHOD_ORDER = ["complaint_form", "eform", "email", "in_person", "letter", "via_lgsco", "telephone",
                "contact_centre_telephone", "contact_centre_email", "young_person_form"]
YP_METHOD_ORDER = ["complaint_form", "eform", "email", "via_director", "contact_centre_email", "in_person",
                   "letter", "telephone", "contact_centre_telephone", "young_person_form"]
RELATIONSHIP_TOTALS = {"Service user": "Total Service User",
                       "Foster Carer/Prospective Foster Carer /Care Provider": "Total Foster Carer/ Prospective Foster Carer"}
UNKNOWN_SERVICE = {"statutory": "Unknown / Other", "corporate": "Other/Unknown"}
LAST = ("Unknown", "Blank Data", "Unknown / Other", "Other/Unknown")

# Equality answers are free text: only these labels (seed 000 tables 13-20; sexual
# orientation as the 2021 census asks it) ever reach a report. Blank is "Not Stated";
# anything else is "Not recognised", so no free text can appear.
EQUALITY = {
    "equality_disability": ("All complaints – disability", ["Not Stated", "No", "Yes"]),
    "equality_gender": ("All complaints – gender", ["Not Stated", "Male", "Female", "Male & Female", "Other"]),
    "equality_age": ("All complaints – age", ["0 - 16", "16 - 19", "20 - 24", "25 - 59", "60 - 64", "65 and over",
                                             "Not Stated"]),
    "equality_ethnicity": ("All complaints – ethnicity", [
        "Any other Asian background", "Any other Mixed background", "Any other White background",
        "Asian/Asian British", "Black/Black British", "Chinese", "Mixed - White and Asian",
        "Mixed - White and Black Caribbean", "Mixed", "Not Asked", "Not Stated", "Other Ethnic Group",
        "White British", "White Irish"]),
    "equality_sexual_orientation": ("All complaints – sexual orientation", [
        "Straight or Heterosexual", "Gay or Lesbian", "Bisexual", "Other sexual orientation", "Not Stated"]),
}
EQUALITY_SYNONYMS = {
    "notstated": "Not Stated", "prefernottosay": "Not Stated", "notknown": "Not Stated", "unknown": "Not Stated",
    "m": "Male", "man": "Male", "f": "Female", "woman": "Female", "nonbinary": "Other",
    "y": "Yes", "n": "No", "heterosexual": "Straight or Heterosexual", "straight": "Straight or Heterosexual",
    "gay": "Gay or Lesbian", "lesbian": "Gay or Lesbian", "65": "65 and over", "65over": "65 and over",
}
NOT_RECOGNISED = "Not recognised"


# Answers in the 2021 census wording ("Asian or Asian British - Indian") or a number for an
# age are put in the seed's category that holds them; the longest matching prefix wins.
ETHNICITY_PREFIXES = {
    "asian": "Asian/Asian British", "indian": "Asian/Asian British", "pakistani": "Asian/Asian British",
    "bangladeshi": "Asian/Asian British", "black": "Black/Black British", "african": "Black/Black British",
    "caribbean": "Black/Black British", "chinese": "Chinese", "asianorasianbritishchinese": "Chinese",
    "mixed": "Mixed", "mixedwhiteandasian": "Mixed - White and Asian",
    "mixedwhiteandblackcaribbean": "Mixed - White and Black Caribbean",
    "white": "Any other White background", "whitebritish": "White British", "whiteenglish": "White British",
    "whiteirish": "White Irish", "arab": "Other Ethnic Group", "otherethnic": "Other Ethnic Group",
}
AGE_BANDS = [("0 - 16", 0, 16), ("16 - 19", 16, 19), ("20 - 24", 20, 24), ("25 - 59", 25, 59),
             ("60 - 64", 60, 64), ("65 and over", 65, 200)]
_AGE_RANGE = re.compile(r"^\s*(\d{1,3})\s*(?:(?:-|to)\s*(\d{1,3})|(\+|and over|or over|plus))?\s*$", re.I)


def age_band(raw: str) -> str | None:
    """The seed's band holding an age or a range of ages ("34", "25-59", "65+"), if one does."""
    m = _AGE_RANGE.match(raw)
    if not m:
        return None
    lo = int(m.group(1))
    hi = 200 if m.group(3) else int(m.group(2) or lo)
    return next((label for label, a, b in AGE_BANDS if a <= lo and hi <= b), None)


def equality_label(raw: Any, labels: list[str]) -> str:
    """One of ``labels`` for a free-text answer: blank is "Not Stated"; matched ignoring case
    and punctuation, then by the synonyms and census prefixes above; else "Not recognised"."""
    if raw is None or not str(raw).strip():
        return "Not Stated"
    key = normalise(str(raw))
    for label in labels:
        if normalise(label) == key:
            return label
    synonym = EQUALITY_SYNONYMS.get(key)
    if synonym in labels:
        return str(synonym)
    if "White British" in labels:
        prefix = max((p for p in ETHNICITY_PREFIXES if key.startswith(p)), key=len, default=None)
        if prefix:
            return ETHNICITY_PREFIXES[prefix]
    if "25 - 59" in labels:
        return age_band(str(raw)) or NOT_RECOGNISED
    return NOT_RECOGNISED


# What the first column of each table holds, for its heading.
ROW_HEADINGS = {
    "representations": "Type of representation", "refusals": "Reason for refusal", "timescales": "Time to respond",
    "escalations": "Stage", "methods": "How the complaint was made", "young_people_methods": "How the complaint was made",
    "complainants": "Who complained", "natures_social_care": "Nature of complaint",
    "natures_corporate": "Nature of complaint", "services_social_care": "Service", "services_corporate": "Service",
    "outcomes": "Finding", "actual_outcomes": "Actual outcome", "lgsco": "Ombudsman referrals and decisions",
    "advocacy": "Advocacy", "equality_disability": "Disability", "equality_gender": "Gender",
    "equality_age": "Age band", "equality_ethnicity": "Ethnicity", "equality_sexual_orientation": "Sexual orientation",
    "learning": "Actions and remedies",
}


def row_heading(table_id: str) -> str:
    """The heading of a table's first column: what its rows are."""
    return ROW_HEADINGS.get(table_id, "Measure")


def ordered(labels: list[str], seed_order: list[str]) -> list[str]:
    """The seed's order for the labels it has, then the rest in the taxonomy's order."""
    return [x for x in seed_order if x in labels] + [x for x in labels if x not in seed_order]


def label_in(entries: LabelList, raw: Any, unknown: str) -> str:
    """The taxonomy's label for a stored one (matched as input is), else ``unknown``: a label
    the taxonomy no longer holds is not shown as typed."""
    entry = entries.get(str(raw)) if raw is not None else None
    return entry.label if entry is not None else unknown


def by_taxonomy(series: dict[str, dict[int, int]], entries: LabelList) -> list[str]:
    """Labels with a count, in the taxonomy's order, unknown and blank last."""
    order = {label: i for i, label in enumerate(entries.labels())}
    return sorted(series, key=lambda lab: (lab in LAST, order.get(lab, len(order)), lab))
