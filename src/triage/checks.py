"""Static checks of a RuleSet beyond what loading validates (``triage rules check``)."""

from __future__ import annotations

from . import vocab
from .ruleset import RuleSet

# Outcomes reached outside the assessment rules: a pre-complaint is closed as "not
# providing information" by the workflow when the complainant never replies (DOMAIN section 2);
# a complex stage 1 extension is asked when the workflow records an extension (reg 14).
REACHED_ELSEWHERE = {"reason": {"not_providing_information"}, "ask": {"complex_extension"}}


def unreachable(rules: RuleSet) -> list[str]:
    """Outcomes, questions and flags that no rule can produce."""
    set_values: dict[str, set[object]] = {}
    for rule in rules.rules:
        for key, value in rule.then.items():
            for v in value if isinstance(value, list) else [value]:
                set_values.setdefault(key, set()).add(v)
    out = []
    for key, values in (("representation_type", vocab.REPRESENTATION_TYPES), ("disposition", vocab.DISPOSITIONS),
                        ("reason", vocab.REASONS), ("ask", vocab.QUESTIONS), ("flags", tuple(rules.flags))):
        for v in values:
            if v not in set_values.get(key, set()) and v not in REACHED_ELSEWHERE.get(key, set()):
                out.append(f"no rule can conclude {key} = {v!r}")
    return out
