"""The JSON Schema the eForm team builds against: the input models, with the council's taxonomy.

pydantic describes the shapes; two things it cannot know are added here. The labels of
``about.service`` and ``about.natures`` (and of an event's outcomes) are the council's
taxonomy in rules/taxonomy.yaml, so the schema lists the effective ones as enums: a form built
from it offers exactly the values `triage` accepts. And ``null`` for an optional field means
the same as leaving it out (eForm backends send nulls for empty boxes), so every optional
property also accepts null.
"""

from __future__ import annotations

import copy
from typing import Any

from triage.rules.ruleset import RuleSet

from .models import (
    About,
    Child,
    Complainant,
    Contact,
    Equality,
    Escalation,
    Event,
    OfficerDecision,
    Previous,
    Proceedings,
    Representation,
    Risk,
)

# The models whose optional fields take null as "omitted" (validation.without_nulls).
INPUT_MODELS = {m.__name__ for m in (Representation, Complainant, Contact, Equality, Child, About, Proceedings,
                                     Previous, Escalation, Risk, OfficerDecision, Event)}

NULL_MEANS_OMITTED = "Optional: null means the same as leaving the field out (its default applies)."
LABEL_MATCHING = ("Labels match ignoring case, spacing and punctuation ('MASH / CRT' is 'MASH/CRT', 'Children in "
                  "Care' is 'Children In Care'); any other value is refused with the nearest labels. The list is "
                  "the council's taxonomy (rules/taxonomy.yaml).")
_META = ("title", "description", "default", "examples")


def representation_schema(rules: RuleSet) -> dict[str, Any]:
    """The JSON Schema (2020-12) of a representation, with ``rules``' taxonomy as enums."""
    out = Representation.model_json_schema()
    defs = out.setdefault("$defs", {})
    defs["Representation"] = {k: v for k, v in out.items() if k != "$defs"}
    with_taxonomy(defs, rules)
    body = defs.pop("Representation")
    body["description"] = (f"{body.get('description', '')} Optional fields accept null, meaning the same as "
                           f"leaving them out. about.service and about.natures take the labels listed (ruleset "
                           f"{rules.hash}).").strip()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **body, "title": "Representation",
            "$defs": defs}


def with_taxonomy(defs: dict[str, Any], rules: RuleSet) -> dict[str, Any]:
    """Edit the input models' schemas in ``defs`` (keyed by model name) in place: optional
    properties accept null, and taxonomy labels are enums. Returns ``defs``."""
    for name, schema in defs.items():
        if name in INPUT_MODELS:
            _nullable_optionals(schema)
    tax = rules.taxonomy
    if "About" in defs:
        props = defs["About"]["properties"]
        _label_enum(props["service"], tax.services.labels(), "The service the representation is about.")
        _label_enum(props["natures"], tax.natures.labels(), "What the representation is about (one or more).")
    if "Event" in defs:
        props = defs["Event"]["properties"]
        _label_enum(props["actual_outcomes"], tax.actual_outcomes.labels(), "responded: what was actually done.")
        _label_enum(props["outcome"], tax.lgsco_outcomes.labels(), "lgsco_decision: the Ombudsman's outcome.")
    return defs


def _nullable_optionals(schema: dict[str, Any]) -> None:
    required = set(schema.get("required", ()))
    for name, prop in schema.get("properties", {}).items():
        if name in required:
            continue
        if not any(branch.get("type") == "null" for branch in prop.get("anyOf", ())):
            meta = {k: prop.pop(k) for k in _META if k in prop}
            inner = copy.deepcopy(prop)
            prop.clear()
            prop.update(meta, anyOf=[inner, {"type": "null"}])
        prop["description"] = f"{prop['description']} {NULL_MEANS_OMITTED}" if prop.get("description") \
            else NULL_MEANS_OMITTED


def _label_enum(prop: dict[str, Any], labels: list[str], what: str) -> None:
    """Put the labels on the string schema inside ``prop`` (a string, a list of strings, or either or null)."""
    for branch in prop.get("anyOf", [prop]):
        target = branch.get("items", branch) if branch.get("type") == "array" else branch
        if target.get("type") == "string":
            target.pop("maxLength", None)
            target["enum"] = list(labels)
    prop["description"] = f"{what} {LABEL_MATCHING} {prop.get('description', '')}".strip()
