"""The input space of the rules, as dimensions, and the cases that explore it.

A *dimension* is one thing about a representation that some rule reads: an input field (the
complainant's relationship, the court proceedings), or the inputs behind a derived fact (the
function from the form, the service and the natures; the dates that make a complaint late or an
escalation in time). Which dimensions exist is taken from the compiled conditions: every fact a
rule reads must map to a dimension here, and ``dimensions`` fails for one that does not, so a new
fact cannot slip past the verifier. Enumerated inputs take every value of their vocabulary;
dates take values on and around every limit in the settings.

A case is one value per dimension (an index into its values); ``build`` turns it into a
representation. Index 0 is always the plainest value (absent, false, ``none``), which is what
shrinking moves towards. ``pairwise`` gives a set of cases in which every pair of values of
every two dimensions occurs; ``random_cases`` gives more, seeded.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from triage.clock.calendar import WorkingCalendar, add_months
from triage.contract import vocab

from .conditions import attributes, durable_key
from .facts import FACTS
from .ruleset import RuleSet

Case = tuple[int, ...]
# Dates of receipt: an ordinary Friday, after Easter, between Christmas and New Year, a
# Saturday, the first working day of a year.
RECEIVED = ("2025-03-14", "2025-04-22", "2024-12-27", "2025-08-16", "2026-01-02")
Apply = Callable[[dict[str, Any], Any, "Context"], None]


@dataclass(frozen=True)
class Context:
    """What building a case needs beyond its values."""

    received: date
    calendar: WorkingCalendar
    settings: dict[str, Any]
    # Dates worked out from the calendar for this day of receipt, by what they answer (counting
    # working days back costs more than the rest of building a case).
    dates: dict[Any, date] = field(default_factory=dict, compare=False, hash=False, repr=False)


@dataclass(frozen=True)
class Dimension:
    name: str
    values: tuple[Any, ...]
    apply: Apply
    reads: tuple[str, ...]  # the facts it drives

    def label(self, index: int) -> str:
        value = self.values[index]
        return "absent" if value is None else str(value)


def _set(path: str) -> Apply:
    """An input field at a dotted path; None leaves it out."""
    *parents, leaf = path.split(".")

    def apply(case: dict[str, Any], value: Any, ctx: Context) -> None:
        if value is None:
            return
        node = case
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value

    return apply


def _enum(path: str, values: tuple[Any, ...], *, optional: bool = True) -> Dimension:
    """Every value of an enumeration; with ``optional`` first absent, else first its default
    (written out only when it is not the default, so a shrunk case stays short)."""
    vals = ((None,) if optional else ()) + tuple(values)
    if optional:
        return Dimension(path, vals, _set(path), (path,))
    default, setter = vals[0], _set(path)

    def apply(case: dict[str, Any], value: Any, ctx: Context) -> None:
        if value != default:
            setter(case, value, ctx)

    return Dimension(path, vals, apply, (path,))


def _bool(path: str) -> Dimension:
    return Dimension(path, (None, True), _set(path), (path,))


def _tristate(path: str) -> Dimension:
    return Dimension(path, (None, True, False), _set(path), (path,))


def _months_before(path: str) -> Apply:
    """A date this many months (and days) before receipt: ("12m", "12m+1d", ...)."""
    def apply(case: dict[str, Any], value: Any, ctx: Context) -> None:
        if value is None:
            return
        months, extra_days = value
        day = add_months(ctx.received, -months) - timedelta(days=extra_days)
        _set(path)(case, day.isoformat(), ctx)

    return apply


def _escalation(case: dict[str, Any], value: Any, ctx: Context) -> None:
    """(stage, offset): the response ``offset`` working days before receipt; 'sat' puts receipt's
    response so that the limit's last working day is followed by receipt on a non-working day."""
    if value is None:
        return
    stage, offset = value
    esc: dict[str, Any] = {"original_reference": "CS-2024-00001", "to_stage": stage}
    if offset is not None:
        response = ctx.dates.get(value)
        if response is None:
            days = int(ctx.settings["statutory"][f"request_stage{stage}"]["days"])
            back = {"limit-1": days - 1, "limit": days, "limit+1": days + 1, "late": days + 20}.get(offset)
            if back is not None:
                response = _working_days_before(ctx.calendar, ctx.received, back)
            else:  # "limit+weekend": received on the day after the limit's last working day, a non-working day
                response = _working_days_before(ctx.calendar, _previous_non_working(ctx.calendar, ctx.received),
                                                days)
            ctx.dates[value] = response
        esc["previous_response_date"] = response.isoformat()
    case["escalation"] = esc


def _working_days_before(cal: WorkingCalendar, day: date, n: int) -> date:
    out = day
    while cal.working_days_between(out, day) < n:
        out -= timedelta(days=1)
    while not cal.is_working_day(out):  # a response is sent on a working day
        out -= timedelta(days=1)
    return out


def _previous_non_working(cal: WorkingCalendar, day: date) -> date:
    """The latest non-working day before ``day`` that follows a working day."""
    d = day - timedelta(days=1)
    while cal.is_working_day(d) or not cal.is_working_day(d - timedelta(days=1)):
        d -= timedelta(days=1)
    return d


def _dob(path: str) -> Apply:
    def apply(case: dict[str, Any], value: Any, ctx: Context) -> None:
        if value is None:
            return
        born = add_months(ctx.received, -12 * value) + timedelta(days=1 if value >= 18 else -1)
        if value == 18:  # eighteen today: the birthday is the day of receipt
            born = add_months(ctx.received, -12 * 18)
        _set(path)(case, born.isoformat(), ctx)

    return apply


def _contact(case: dict[str, Any], value: Any, ctx: Context) -> None:
    contacts = {"email": {"email": "a@example.org"}, "phone": {"phone": "01632 960001"},
                "address": {"address": "1 High Street, Exampletown"}, "none": {}}
    case["complainant"]["contact"] = contacts[value or "email"]


def _previous(case: dict[str, Any], value: Any, ctx: Context) -> None:
    if value is None:
        return
    same, stages, new = value
    case["previous"] = {"reference": "CS-2023-00001", "same_issues": same, "stages_completed": stages,
                        "new_information": new}


def _officer(question: str) -> Dimension:
    def apply(case: dict[str, Any], value: Any, ctx: Context) -> None:
        if value is not None:
            case.setdefault("officer_decisions", {})[question] = {"answer": value, "reason": "Considered",
                                                                   "by": "A Officer"}

    return Dimension(f"officer.{question}", (None, True, False), apply, (f"officer.{question}",))


def _labels(kind: str, rules: RuleSet) -> tuple[Any, ...]:
    """One label per function the taxonomy gives (first in file order), one without a
    function, and one per tag: every way a label can change the facts."""
    entries = list(getattr(rules.taxonomy, kind).entries.values())
    seen: dict[Any, str] = {}
    for e in entries:
        key = ("tags", tuple(sorted(e.tags))) if getattr(e, "tags", None) else ("function", e.function)
        seen.setdefault(key, e.label)
    return tuple(seen.values())


def _list_set(path: str) -> Apply:
    def apply(case: dict[str, Any], value: Any, ctx: Context) -> None:
        if value:
            _set(path)(case, list(value), ctx)

    return apply


def _summary(case: dict[str, Any], value: Any, ctx: Context) -> None:
    if value == "long":
        words = int(ctx.settings["thresholds"]["long_submission_words"]) + 1
        case["about"]["summary"] = " ".join(["word"] * words)


def build_dimensions(rules: RuleSet) -> list[Dimension]:
    """Every dimension the explorer knows (see ``dimensions`` for the ones the rules read)."""
    statutory_pick = ("looked_after", "child_in_need", "leaving_care", "adoption_support", "contact_with_child_in_care")
    corporate_pick = ("sen", "child_protection_conference", "child_protection_enquiry", "school_transport",
                      "fostering_approval", "not_council")
    other_functions = (None, *((f,) for f in statutory_pick + corporate_pick), ("looked_after", "sen"))
    natures = _labels("natures", rules)
    services = _labels("services", rules)
    nature_sets = (None, *((label,) for label in natures), tuple(natures[:4]) if len(natures) >= 4 else None)
    month_offsets = (None, (0, 1), (11, 0), (12, 0), (12, 1), (13, 0), (30, 0))
    return [
        Dimension("received_date", RECEIVED, _set("received_date"), ("received_date",)),
        _enum("kind", vocab.KINDS),
        _enum("received_via", vocab.RECEIVED_VIA),
        Dimension("complainant.relationship", tuple(vocab.RELATIONSHIPS), _set("complainant.relationship"),
                  ("complainant.relationship",)),
        _bool("complainant.has_parental_responsibility"),
        _bool("complainant.age_unclear"),
        _bool("complainant.on_behalf_of_child"),
        Dimension("complainant.date_of_birth", (None, 10, 16, 17, 18, 25), _dob("complainant.date_of_birth"),
                  ("complainant.date_of_birth", "derived.complainant_age")),
        Dimension("complainant.contact", (None, "phone", "address", "none"), _contact, ("derived.can_reply",)),
        Dimension("child.date_of_birth", (None, 5, 15, 17, 18), _dob("child.date_of_birth"),
                  ("child.date_of_birth", "derived.child_age")),
        *(_bool(f"child.{flag}") for flag in ("looked_after", "in_need", "child_protection_plan", "care_leaver",
                                             "disabled", "special_guardianship_order", "adopted")),
        _tristate("child.sufficient_understanding"),
        _tristate("child.consents_to_representative"),
        _enum("about.function", vocab.FUNCTIONS),
        Dimension("about.other_functions", other_functions, _list_set("about.other_functions"),
                  ("about.other_functions",)),
        Dimension("about.service", (None, *services), _set("about.service"), ("about.service",)),
        Dimension("about.natures", nature_sets, _list_set("about.natures"),
                  ("about.natures", "derived.nature_count", "derived.nature_tags")),
        Dimension("about.summary", (None, "long"), _summary, ("derived.summary_words",)),
        Dimension("about.desired_outcome", (None, "An apology."), _set("about.desired_outcome"),
                  ("derived.has_desired_outcome",)),
        Dimension("about.grounds_arose", month_offsets, _months_before("about.grounds_arose"),
                  ("about.grounds_arose",)),
        Dimension("about.became_aware", month_offsets, _months_before("about.became_aware"),
                  ("about.became_aware",)),
        Dimension("about.delay_reason", (None, "I was in hospital."), _set("about.delay_reason"),
                  ("derived.delay_reason_given",)),
        _bool("about.concerns_adult_treatment"),
        _enum("about.outside_council", vocab.OUTSIDE_COUNCIL),
        _enum("proceedings.court", vocab.COURT, optional=False),
        _enum("proceedings.criminal", vocab.CRIMINAL, optional=False),
        _enum("proceedings.tribunal", vocab.TRIBUNAL, optional=False),
        _enum("proceedings.disciplinary", vocab.DISCIPLINARY, optional=False),
        Dimension("previous", (None, *itertools.product((True, False), (0, 1, 2, 3), (False, True))), _previous,
                  ("previous.same_issues", "previous.stages_completed", "previous.new_information")),
        Dimension("escalation", (None, *itertools.product((2, 3), (None, "limit-1", "limit", "limit+1",
                                                                   "limit+weekend", "late"))),
                  _escalation, ("escalation.to_stage", "escalation.previous_response_date")),
        _bool("risk.significant_harm"),
        _bool("risk.same_day_action"),
        *(_officer(q) for q in vocab.QUESTIONS),
    ]


# Derived facts, and the inputs behind them (the facts ``derive`` computes from them).
DERIVED_FROM: dict[str, tuple[str, ...]] = {
    "derived.function": ("about.function", "about.service", "about.natures", "about.other_functions"),
    "derived.function_source": ("about.function", "about.service", "about.natures"),
    "derived.functions": ("about.function", "about.other_functions", "about.service", "about.natures"),
    "derived.has_subject": ("about.function", "about.service", "about.natures", "about.other_functions"),
    "derived.late_statutory": ("about.grounds_arose", "about.became_aware"),
    "derived.late_corporate": ("about.grounds_arose", "about.became_aware"),
    "derived.is_escalation": ("escalation",),
    "derived.escalation_days": ("escalation",),
}


def dimensions(rules: RuleSet) -> list[Dimension]:
    """The dimensions the rules read, from their compiled conditions. A fact read by a rule
    that no dimension drives is an error: the explorer must be taught it."""
    every = build_dimensions(rules)
    by_fact: dict[str, list[Dimension]] = {}
    for dim in every:
        for fact in dim.reads:
            by_fact.setdefault(fact, []).append(dim)
    read = {path for rule in rules.rules for path in _paths(attributes(rule.condition))}
    chosen: dict[str, Dimension] = {}
    missing = []
    for fact in sorted(read):
        if fact.startswith("decision."):
            continue  # conclusions of earlier phases
        sources = by_fact.get(fact) or [d for name in DERIVED_FROM.get(fact, ()) for d in every if d.name == name]
        if not sources:
            missing.append(fact)
        for dim in sources:
            chosen[dim.name] = dim
    if missing:
        raise ValueError(f"the rules read {', '.join(missing)}, which no dimension of the explorer drives: "
                         "add one in triage/rules/explore.py")
    chosen.setdefault("received_date", every[0])  # every case has one; the dates hang on it
    return [d for d in every if d.name in chosen]


def _paths(keys: set[str]) -> set[str]:
    by_key = {durable_key(path): path for path in FACTS}
    return {by_key[k] for k in keys if k in by_key}


def build(dims: list[Dimension], case: Case, ctx_for: Callable[[date], Context]) -> dict[str, Any]:
    """The representation of ``case``: the plainest valid one, with each dimension's value."""
    received = next(d.values[i] for d, i in zip(dims, case, strict=True) if d.name == "received_date")
    ctx = ctx_for(date.fromisoformat(received))
    out: dict[str, Any] = {"received_date": received, "received_via": "email",
                           "complainant": {"relationship": "parent", "contact": {"email": "a@example.org"}},
                           "about": {"summary": "Short summary."}}
    for dim, index in zip(dims, case, strict=True):
        dim.apply(out, dim.values[index], ctx)
    return out


PLAIN = 0.8  # in a sparse case, the chance that a dimension keeps its plainest value


def _sparse(sizes: list[int], rng: random.Random, plain: float = PLAIN) -> list[int]:
    """Mostly plain values: a fault that needs two or three things at once is not hidden by a
    dozen others (risk, a repeat, an escalation) that decide the case first."""
    return [0 if rng.random() < plain or n == 1 else rng.randrange(1, n) for n in sizes]


def pairwise(dims: list[Dimension], rng: random.Random) -> list[Case]:
    """Cases in which every value of every dimension meets every value of every other.

    The two largest dimensions (who complains, about which function) are crossed in full twice:
    once with everything else plain, once with the rest drawn sparse (mostly plain); then every
    pair still missing gets a case of its own (the rest of it sparse), so coverage is complete
    by construction."""
    sizes = [len(d.values) for d in dims]
    order = sorted(range(len(dims)), key=lambda i: -sizes[i])
    a, b = order[0], order[1] if len(order) > 1 else order[0]
    cases: list[list[int]] = []
    for background in ("plain", "sparse"):
        for va in range(sizes[a]):
            for vb in range(sizes[b]):
                row = [0] * len(sizes) if background == "plain" else _sparse(sizes, rng)
                row[a], row[b] = va, vb
                cases.append(row)
    # The pairs of dimensions i, j are taken in order; the value pairs a pair already has are
    # read off the columns of every case so far (a case added for one value pair of i, j
    # covers no other pair of i, j, so reading them once per i, j is enough).
    columns = [list(column) for column in zip(*cases)] if cases else [[] for _ in sizes]
    for i, j in itertools.combinations(range(len(dims)), 2):
        covered = set(zip(columns[i], columns[j]))
        for vi in range(sizes[i]):
            for vj in range(sizes[j]):
                if (vi, vj) not in covered:
                    row = _sparse(sizes, rng)
                    row[i], row[j] = vi, vj
                    for column, value in zip(columns, row):
                        column.append(value)
                    cases.append(row)
    return [tuple(r) for r in cases]


# The standing block: who complains, about which function and which other function, on a plain
# background and as a representative whose child (with understanding) refused consent. Standing
# against consent across the statutory/corporate line is the fault the Ombudsman finds most often,
# and it needs five things at once, which neither pairs nor random cases reach reliably.
STANDING = ("complainant.relationship", "about.function", "about.other_functions")
REFUSED_CONSENT = {"complainant.on_behalf_of_child": True, "child.sufficient_understanding": True,
                   "child.consents_to_representative": False}


def standing_block(dims: list[Dimension]) -> list[Case]:
    """Every relationship x function x other function, plain and with a refused consent."""
    index = {d.name: i for i, d in enumerate(dims)}
    if not all(name in index for name in STANDING):
        return []
    backgrounds = [[0] * len(dims)]
    if all(name in index for name in REFUSED_CONSENT):
        refused = [0] * len(dims)
        for name, value in REFUSED_CONSENT.items():
            refused[index[name]] = dims[index[name]].values.index(value)
        backgrounds.append(refused)
    a, b, c = (index[name] for name in STANDING)
    out = []
    for background in backgrounds:
        for va, vb, vc in itertools.product(*(range(len(dims[i].values)) for i in (a, b, c))):
            row = background.copy()
            row[a], row[b], row[c] = va, vb, vc
            out.append(tuple(row))
    return out


def random_cases(dims: list[Dimension], rng: random.Random, n: int) -> Iterator[Case]:
    """``n`` cases: by turns sparse (mostly plain, a few dimensions varied) and dense (every
    value drawn uniformly)."""
    sizes = [len(d.values) for d in dims]
    for k in range(n):
        yield tuple(_sparse(sizes, rng, plain=0.7) if k % 2 == 0 else (rng.randrange(s) for s in sizes))
