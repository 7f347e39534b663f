"""Static checks of a RuleSet beyond what loading validates (``triage rules check``)."""

from __future__ import annotations

from triage.contract import vocab
from triage.contract.errors import RuleError

from .ruleset import RuleSet

# Outcomes reached outside the assessment rules: a pre-complaint is closed as "not
# providing information" by the workflow when the complainant never replies (docs/legal-basis.md, "Kinds of representation");
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


def _sample_decisions(rules: RuleSet) -> list[tuple[dict[str, object], dict[str, object]]]:
    """(case, decision) pairs from the scenarios and examples: every kind of decision the
    rules produce, so every letter branch they reach is rendered."""
    import json
    from datetime import datetime, timezone

    from triage.api import decider
    from triage.contract.errors import InputError, RuleError
    from triage.contract.validation import parse_representation

    from .scenarios import load_scenarios

    d = decider(rules)
    cases: list[dict[str, object]] = [s.case for s in load_scenarios(rules.directory / "scenarios")]
    examples = rules.directory.parent / "examples"
    cases += [json.loads(p.read_text()) for p in sorted(examples.glob("*.json"))]
    out = []
    for raw in cases:
        try:
            rep = parse_representation(raw, rules)
        except InputError:
            continue
        try:
            decision = d.decide(rep, rep.reference or "SAMPLE-1", datetime(2026, 1, 1, tzinfo=timezone.utc))
        except RuleError:
            continue  # a gap in the rules themselves: the scenarios report it
        out.append((rep.model_dump(mode="python"), decision.model_dump(mode="python")))
    return out


def letter_problems(rules: RuleSet) -> list["RuleError"]:
    """Render every letter each sample decision calls for, in both wordings, and every template
    no rule chooses (drafted on request, e.g. the extension notice) for each decision it applies
    to; a template that uses a field the case does not have, or fails in any way, is reported
    with its line. The templates are the ones the letter book finds first: a council's own
    replace the shipped ones, and are checked the same way."""
    from triage.api import decider
    from triage.contract.errors import RuleError
    from triage.letters.book import LetterError, LetterNotApplicable

    book = decider(rules).letters
    chosen = {t for r in rules.rules for t in _letters_of(r.then.get("letters"))}
    on_request = [t for t in book.templates if t not in chosen]
    errors: dict[str, RuleError] = {}
    for case, decision in _sample_decisions(rules):
        wanted = [(letter["template"], False) for letter in decision["letters"]]  # type: ignore[attr-defined]
        for template, optional in [*wanted, *((t, True) for t in on_request)]:
            for simple in (False, True):
                context = book.context(case, {**decision, "advocacy_offer": simple}, rules)
                try:
                    book.render(template, context)
                except LetterNotApplicable as exc:
                    if not optional:  # a rule chose a template that refuses its own decision
                        errors.setdefault(str(exc), RuleError(str(exc), file=str(book.directory)))
                except LetterError as exc:
                    errors.setdefault(str(exc), RuleError(str(exc), file=str(book.directory)))
    return list(errors.values())


def _letters_of(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, list) else []


def readability(rules: RuleSet) -> list[tuple[str, float | None, float | None]]:
    """Mean Flesch reading ease per complainant template: standard and simple wording."""
    from triage.api import decider
    from triage.letters.book import letter_body, reading_ease

    book = decider(rules).letters
    scores: dict[str, dict[bool, list[float]]] = {}
    for case, decision in _sample_decisions(rules):
        for letter in decision["letters"]:  # type: ignore[attr-defined]
            info = book.templates[letter["template"]]
            if info.audience != "complainant":
                continue
            for simple in (False, True):
                draft = book.render(info.id, book.context(case, {**decision, "advocacy_offer": simple}, rules))
                body = letter_body(draft.text)
                scores.setdefault(info.id, {False: [], True: []})[simple].append(reading_ease(body))
    mean = lambda xs: round(sum(xs) / len(xs), 1) if xs else None  # noqa: E731
    return [(t, mean(v[False]), mean(v[True])) for t, v in sorted(scores.items())]
