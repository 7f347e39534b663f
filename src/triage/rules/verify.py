"""``triage rules verify``: search the input space for a decision the law forbids.

Every explored case is decided by the rules and checked against every legal invariant
(``invariants.yaml``); a violation is shrunk to its smallest form (each dimension moved to its
plainest value while the same invariant still fails) and reported with the rules that fired and
the invariant's citation, as JSON ready to paste into a scenario.

The same pass finds **gaps** (a phase that applies to the case, yet none of its rules concludes
anything: the decision falls through to the engine's hidden always-matching rule) and
**overlaps** (two rules of a phase both hold and set one exclusive conclusion to different
values; the first in file order wins). An overlap is *explained* when the losing rule says so
in the rules file: ``yields_to: [rule ids]`` names the rules it gives way to, and
``fallback: true`` marks a rule that applies only where no earlier rule of its phase decided.
Unexplained overlaps and gaps are reported with an example each.

Cases come from ``explore``: first every pair of values of every two dimensions (pairwise),
then the standing block (every relationship x function x other function, plain and as a
representative refused consent), then seeded random cases up to the number asked for.
"""

from __future__ import annotations

import fnmatch
import itertools
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from triage.clock.calendar import WorkingCalendar
from triage.contract.errors import InputError, RuleError
from triage.contract.models import Decision, Representation
from triage.contract.validation import parse_representation

from . import explore, workers
from .conditions import compile_condition
from .decider import Decider, Evaluation
from .evaluate import compile_test
from .explore import Case, Context, Dimension
from .invariants import PATHS, Invariant, load_invariants, resolver
from .oracle import outcome, read
from .ruleset import Phase, Rule, RuleSet

EXAMPLES = 3  # references kept per finding
CHUNK = 1000  # cases handed to a worker process at a time


@dataclass
class Checked:
    """One case, decided and checked."""

    case: Case
    representation: dict[str, Any]
    decision: Decision | None
    broken: list[Invariant]
    evaluation: Evaluation | None
    error: str | None = None  # the generated case is not valid input (a fault of the explorer)
    undecided: str | None = None  # the rules reach no decision for it


@dataclass
class Finding:
    """A violation, gap or overlap: how often, and its smallest example."""

    kind: str  # violation | gap | overlap | invalid
    key: tuple[str, ...]
    first: Case = ()
    count: int = 0
    example: dict[str, Any] | None = None
    fired: list[str] = field(default_factory=list)
    detail: str = ""


Findings = dict[tuple[str, tuple[str, ...]], Finding]  # by (kind, key), in order of first occurrence


@dataclass
class Report:
    cases: int
    invariants: int
    dimensions: int
    pairwise: int
    seconds: float
    findings: dict[tuple[str, tuple[str, ...]], Finding]
    jobs: int = 1  # processes that checked the cases (not part of the report: it is the same for any)

    def of(self, kind: str) -> list[Finding]:
        return [f for f in self.findings.values() if f.kind == kind]

    @property
    def ok(self) -> bool:
        return not self.findings

    def summary(self) -> str:
        rate = self.cases / self.seconds if self.seconds else 0.0
        return (f"{self.cases} cases explored ({self.pairwise} systematic, {self.cases - self.pairwise} random) over "
                f"{self.dimensions} dimensions in {self.seconds:.1f} s ({rate:,.0f}/s); {self.invariants} invariants; "
                f"{len(self.of('violation'))} violated, {len(self.of('gap'))} gaps, "
                f"{len(self.of('overlap'))} unexplained overlaps, {len(self.of('undecided'))} undecided, "
                f"{len(self.of('invalid'))} invalid cases")


class Verifier:
    """Decides explored cases with one ruleset and checks them."""

    def __init__(self, rules: RuleSet, invariants: list[Invariant] | None = None) -> None:
        self.rules = rules
        self.decider = Decider(rules)
        self.invariants = load_invariants(rules) if invariants is None else invariants
        self.dims: list[Dimension] = explore.dimensions(rules)
        self.calendar: WorkingCalendar = self.decider.clock.calendar
        resolve = resolver(rules)
        self.phase_when = [compile_condition(p.when, resolve) if p.when else None for p in rules.phases]
        self._when = [compile_test(w, PATHS) if w is not None else None for w in self.phase_when]
        self._decides = [any(r.exclusive for r in phase.rules) for phase in rules.phases]
        # Each invariant with its compiled conditions (Invariant.violated_in, minus a call a case).
        self._checks = [(inv, inv.given_test, inv.expect_test) for inv in self.invariants]
        self._overlaps: dict[tuple[int, ...], list[tuple[Rule, Rule, str]]] = {}  # by the rules matched (ids)
        self._contexts: dict[date, Context] = {}

    def context(self, received: date) -> Context:
        ctx = self._contexts.get(received)
        if ctx is None:
            ctx = self._contexts[received] = Context(received, self.calendar, self.rules.settings)
        return ctx

    def representation(self, case: Case) -> dict[str, Any]:
        return explore.build(self.dims, case, self.context)

    def check(self, case: Case) -> Checked:
        raw = self.representation(case)
        try:
            rep = parse_representation(raw, self.rules)
        except InputError as exc:
            return Checked(case, raw, None, [], None, "; ".join(exc.lines()))
        ev = self.decider.evaluate(rep)
        try:
            decision = self.decider.shape(rep, "VERIFY-1", ev)
        except RuleError as exc:
            return Checked(case, raw, None, [], ev, undecided=str(exc))
        facts = self.facts(rep, ev, decision)
        broken = [inv for inv, given, expect in self._checks if given(facts) and not expect(facts)]
        return Checked(case, raw, decision, broken, ev)

    def facts(self, rep: Representation, ev: Evaluation, decision: Decision) -> dict[str, Any]:
        """What the invariants read, keyed by path: the rules' facts, the independent reading of
        the case and the decision's outcome."""
        facts = {**ev.facts, **read(rep, self.rules, self.calendar), **outcome(decision)}
        if decision.disposition == "deferred":  # would anything else be asked without the answer?
            answers = {q: a for q, a in rep.officer_decisions.items() if q != "prejudice_to_proceedings"}
            again = self.decider.decide(rep.model_copy(update={"officer_decisions": answers}), "VERIFY-1")
            facts["outcome.questions_without_prejudice_answer"] = [q.id for q in again.officer_questions]
        return facts

    def gaps(self, checked: Checked) -> list[Phase]:
        """Phases that apply to the case and draw an exclusive conclusion somewhere, yet none of
        whose rules drew one for it."""
        ev = checked.evaluation
        if ev is None:
            return []
        out = []
        for index, phase in enumerate(self.rules.phases):
            if not self._decides[index]:
                continue  # a phase of flags and letters concludes nothing exclusive
            if any(r.exclusive for r in ev.fired[index]):
                continue
            when = self._when[index]
            if when is not None and not when(facts_before(ev, index)):
                continue
            out.append(phase)
        return out

    def overlaps(self, checked: Checked) -> list[tuple[Rule, Rule, str]]:
        """(winner, loser, conclusion) for rules of one phase that disagree, unexplained."""
        ev = checked.evaluation
        out = []
        for matched in ev.fired if ev else []:
            if len(matched) < 2:
                continue  # one rule cannot disagree with itself
            key = tuple(map(id, matched))
            found = self._overlaps.get(key)
            if found is None:
                found = self._overlaps[key] = _disagreements(matched)
            out += found
        return out

    def shrink(self, case: Case, still: Callable[[Case], bool]) -> Case:
        """The plainest case that ``still`` holds for: each dimension moved to a plainer value
        (index 0 first) while ``still`` holds, until nothing changes."""
        current = list(case)
        changed = True
        while changed:
            changed = False
            for i in range(len(current)):
                for simpler in range(current[i]):
                    trial = current.copy()
                    trial[i] = simpler
                    if still(tuple(trial)):
                        current, changed = trial, True
                        break
        return tuple(current)

    def cases(self, n: int, seed: int) -> tuple[list[Case], Iterable[Case]]:
        rng = random.Random(seed)
        systematic = [*explore.pairwise(self.dims, rng), *explore.standing_block(self.dims)][:n]
        return systematic, explore.random_cases(self.dims, rng, n - len(systematic))

    def run(self, n: int = 100_000, seed: int = 0, progress: Callable[[int], None] | None = None,
            jobs: int = 1) -> Report:
        """Explore ``n`` cases (``seed`` draws the random ones) and report the findings, each
        shrunk. With ``jobs`` > 1 the cases are checked in that many worker processes; the
        report is the same as one process gives (see ``workers``)."""
        start = time.perf_counter()
        systematic, extra = self.cases(n, seed)
        cases = itertools.chain(systematic, extra)
        jobs = workers.usable_jobs(jobs) if n > CHUNK else 1
        findings: Findings = {}
        count = 0
        if jobs > 1:
            def done(number: int, chunk: list[Case]) -> None:
                nonlocal count
                count += len(chunk)
                if progress:
                    progress(count)

            # Chunks are merged in the order of their cases: the first example of a finding and
            # the order of the findings are those of a single pass.
            for part in workers.run_chunks(self._check_all, _chunks(cases, CHUNK), jobs, done):
                for key, finding in part.items():
                    if key in findings:
                        findings[key].count += finding.count
                    else:
                        findings[key] = finding
        else:
            for case in cases:
                count += 1
                self._record(self.check(case), findings)
                if progress and count % 1000 == 0:
                    progress(count)
        for finding in findings.values():
            self._shrink_finding(finding)
        return Report(count, len(self.invariants), len(self.dims), len(systematic), time.perf_counter() - start,
                      findings, jobs)

    def _check_all(self, cases: list[Case]) -> Findings:
        """The findings of ``cases``, unshrunk (a worker's share)."""
        findings: Findings = {}
        for case in cases:
            self._record(self.check(case), findings)
        return findings

    def _record(self, checked: Checked, findings: dict[tuple[str, tuple[str, ...]], Finding]) -> None:
        keys: list[tuple[str, tuple[str, ...], str]] = []
        if checked.error is not None:
            keys.append(("invalid", ("input",), checked.error))
        if checked.undecided is not None:
            keys.append(("undecided", (checked.undecided,), checked.undecided))
        keys += [("violation", (inv.id,), "") for inv in checked.broken]
        keys += [("gap", (phase.name,), "") for phase in self.gaps(checked)]
        keys += [("overlap", (w.id, loser.id, key), "") for w, loser, key in self.overlaps(checked)]
        for kind, key, detail in keys:
            finding = findings.get((kind, key))
            if finding is None:
                finding = findings[(kind, key)] = Finding(kind, key, first=checked.case, detail=detail)
            finding.count += 1

    def _shrink_finding(self, finding: Finding) -> None:
        case = finding.first
        test = self._still(finding)
        small = self.shrink(case, test) if test else case
        checked = self.check(small)
        finding.example = checked.representation
        if checked.decision is not None:
            finding.fired = [r.id for r in checked.decision.rules_fired]
            d = checked.decision
            finding.detail = finding.detail or (f"decided: {d.representation_type}, procedure {d.procedure or 'none'}, "
                                                f"{d.disposition}" + (f" ({d.reason})" if d.reason else "")
                                                + (f"; asks {', '.join(q.id for q in d.officer_questions)}"
                                                   if d.officer_questions else ""))

    def _still(self, finding: Finding) -> Callable[[Case], bool] | None:
        kind, key = finding.kind, finding.key
        if kind == "violation":
            return lambda c: any(inv.id == key[0] for inv in self.check(c).broken)
        if kind == "gap":
            return lambda c: any(p.name == key[0] for p in self.gaps(self.check(c)))
        if kind == "undecided":
            return lambda c: self.check(c).undecided == key[0]
        if kind == "overlap":
            return lambda c: any((w.id, loser.id, k) == key for w, loser, k in self.overlaps(self.check(c)))
        return None


def _chunks(cases: Iterable[Case], size: int) -> Iterator[list[Case]]:
    iterator = iter(cases)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _disagreements(matched: list[Rule]) -> list[tuple[Rule, Rule, str]]:
    """(winner, loser, conclusion) among rules that hold together in one phase, unexplained.
    Depends on the rules alone, so the verifier remembers it per set of matched rules."""
    out = []
    winners: dict[str, Rule] = {}
    for rule in matched:
        for key, value in rule.exclusive.items():
            first = winners.setdefault(key, rule)
            if first is not rule and first.exclusive[key] != value and not _explained(rule, first):
                out.append((first, rule, key))
    return out


def _explained(loser: Rule, winner: Rule) -> bool:
    return loser.fallback or any(fnmatch.fnmatchcase(winner.id, pattern) for pattern in loser.yields_to)


def facts_before(ev: Evaluation, index: int) -> dict[str, Any]:
    """The facts as phase ``index`` saw them: input facts and the conclusions of earlier phases
    (first rule in file order within a phase; a later phase revises an earlier one)."""
    facts = {k: v for k, v in ev.facts.items() if not k.startswith("decision.")}
    for matched in ev.fired[:index]:
        drawn: dict[str, Any] = {}
        for rule in matched:
            for key, value in rule.exclusive.items():
                drawn.setdefault(key, value)
        facts.update({f"decision.{k}": v for k, v in drawn.items()})
    return facts


def finding_lines(finding: Finding, invariants: dict[str, Invariant]) -> list[str]:
    """A finding as officers and rule authors read it; the example is one line of JSON."""
    import json

    kind, key = finding.kind, finding.key
    if kind == "violation":
        inv = invariants[key[0]]
        head = [f"VIOLATION {inv.id} ({finding.count} cases): {inv.statement}", f"  authority: {inv.citation}"]
    elif kind == "gap":
        head = [f"GAP in phase {key[0]} ({finding.count} cases): the phase applies, but no rule of it concludes"]
    elif kind == "undecided":
        head = [f"UNDECIDED ({finding.count} cases): {key[0]}"]
    elif kind == "overlap":
        head = [f"OVERLAP {key[0]} over {key[1]} on {key[2]} ({finding.count} cases): both hold and disagree; "
                f"if {key[0]} is meant to win, add `yields_to: [{key[0]}]` to {key[1]}"]
    else:
        head = [f"INVALID generated case ({finding.count}): {finding.detail}"]
    out = head
    if finding.detail and kind != "invalid":
        out.append(f"  {finding.detail}")
    if finding.fired:
        out.append(f"  rules fired: {', '.join(finding.fired)}")
    if finding.example is not None:
        out.append(f"  smallest case: {json.dumps(finding.example, separators=(',', ':'))}")
    return out


def report_json(report: Report) -> dict[str, Any]:
    return {"cases": report.cases, "pairwise": report.pairwise, "dimensions": report.dimensions,
            "invariants": report.invariants, "seconds": round(report.seconds, 2),
            "findings": [{"kind": f.kind, "key": list(f.key), "count": f.count, "example": f.example,
                          "rules_fired": f.fired, "detail": f.detail} for f in report.findings.values()]}
