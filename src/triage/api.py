"""The library interface: the same functions the CLI and the HTTP API call.

    import triage
    decision = triage.assess(payload, db="triage.db")   # validate, decide, log
    decision = triage.decide(payload)                   # validate and decide, no log

``payload`` is a dict, JSON text or bytes shaped as `triage schema` describes. Invalid input raises
``triage.InputError`` (its ``problems`` name each field and the fix) and logs nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from triage.contract.errors import InputError, Problem, RuleError, TriageError, UsageError, error_json
from triage.contract.models import Decision, Representation
from triage.contract.validation import decode, json_lines, parse_representation, without_nulls
from triage.log.store import DecisionLog, open_log
from triage.rules.decider import Decider, assign_reference
from triage.rules.ruleset import RuleSet, load_rules

_deciders: dict[str, Decider] = {}


def decider(rules: RuleSet | str | Path | None = None) -> Decider:
    """The Decider for a rules directory (built once per process and ruleset)."""
    ruleset = rules if isinstance(rules, RuleSet) else load_rules(rules)
    if ruleset.hash not in _deciders:
        _deciders[ruleset.hash] = Decider(ruleset)
    return _deciders[ruleset.hash]


def _raw(case: Any) -> dict[str, Any]:
    if isinstance(case, Representation):
        return case.model_dump(mode="json", exclude_none=True)
    if isinstance(case, (bytes, bytearray)):
        case = decode(bytes(case))
    elif isinstance(case, str):
        case = decode(case.encode("utf-8"))
    if not isinstance(case, dict):
        raise InputError([Problem("", f"expected a JSON object {{...}} for a representation, got {type(case).__name__}")])
    return case


def prepare(case: Any, rules: RuleSet, *, today: date | None = None) -> tuple[Representation, dict[str, Any]]:
    """Validate ``case``; return the Representation and the raw input with its reference."""
    raw = _raw(case)
    rep = parse_representation(raw, rules, today=today or date.today())
    raw, _ = without_nulls(raw)  # null means omitted, in the log too
    if rep.reference is None:
        raw = {"reference": assign_reference(raw), **raw}
        rep = rep.model_copy(update={"reference": raw["reference"]})
    return rep, raw


def decide(case: Any, *, rules: RuleSet | str | Path | None = None, now: datetime | None = None) -> Decision:
    """Validate and decide one representation without logging it (``decision_id`` is None)."""
    d = decider(rules)
    rep, _ = prepare(case, d.rules)
    assert rep.reference is not None
    return d.decide(rep, rep.reference, now)


def assess(case: Any, *, db: DecisionLog | str | Path | None = None,
           rules: RuleSet | str | Path | None = None, now: datetime | None = None) -> Decision:
    """Validate, decide and log one representation; the decision carries its log id.

    ``db`` is a DecisionLog or a path (default: ``TRIAGE_DB`` or ./triage.db)."""
    d = decider(rules)
    rep, raw = prepare(case, d.rules)
    assert rep.reference is not None
    decision = d.decide(rep, rep.reference, now)
    log = open_log(db)
    logged, added = log.append(decision.model_dump(mode="json"), raw)
    if not added:  # the same input was logged before: return that decision (idempotent)
        return Decision.model_validate(logged.decision)
    decision.decision_id = logged.decision["decision_id"]
    return decision


def draft_letters(decision: Decision | dict[str, Any], representation: Representation | dict[str, Any], *,
                  rules: RuleSet | str | Path | None = None, templates: list[str] | None = None) -> list[Any]:
    """Render the drafts a decision calls for (or the named ``templates``), as ``Draft``s
    with ``.text`` and ``.html``. Nothing is logged or written."""
    d = decider(rules)
    if not isinstance(decision, Decision):
        decision = Decision.model_validate(decision)
    if not isinstance(representation, Representation):
        representation = parse_representation(representation, d.rules)
    wanted = templates if templates is not None else [x["template"] for x in decision.letters]
    context = d.letters.context(representation.model_dump(mode="python"), decision.model_dump(mode="python"), d.rules)
    return [d.letters.render(t, context) for t in wanted]


def as_overridden(decision: dict[str, Any], representation: dict[str, Any], overrides: list[dict[str, Any]], *,
                  rules: RuleSet | str | Path | None = None) -> dict[str, Any]:
    """A logged decision as a manager's overrides of it leave it: the rules run again on its
    input with the overridden values held, so that what follows from them (the letters, the
    deadlines) follows too. Its id, time and ruleset stay the original's. Unchanged when no
    override names it."""
    mine = [o for o in overrides if o["decision_id"] == decision["decision_id"]]
    if not mine:
        return decision
    from triage.clock.timeline import effective

    d = decider(rules)
    changed = effective(decision, mine)  # the overridden values, as reports and the clock read them
    forced = {o["field"]: changed[o["field"]] for o in mine}
    rep = parse_representation(representation, d.rules)
    try:
        redone = d.decide(rep, decision["reference"], forced=forced).model_dump(mode="json")
    except RuleError as exc:
        if forced.get("disposition") in ("refused", "deferred") and "reason" not in forced:
            raise UsageError(f"{decision['decision_id']} was overridden to {forced['disposition']} without a reason; "
                             f"override the reason too (triage override {decision['reference']} --field reason "
                             "--to REASON ...)") from None
        raise UsageError(f"{decision['decision_id']} cannot be re-decided with its overrides: {exc}") from None
    keep = ("decision_id", "assessed_at", "ruleset")
    return {**redone, **{k: decision[k] for k in keep if k in decision}}


def write_letters(drafts: list[Any], out_dir: str | Path, reference: str, *, decision_id: str | None = None,
                  db: DecisionLog | str | Path | None = None, rules: RuleSet | str | Path | None = None,
                  docx: bool = True) -> list[Path]:
    """Write drafts as .txt, .html (and .docx) into ``out_dir``; record them in the log when
    ``decision_id`` is given."""
    d = decider(rules)
    written: list[Path] = []
    records = []
    for draft in drafts:
        paths = d.letters.write(draft, Path(out_dir), reference, docx=docx)
        written += paths
        records.append({**draft.summary(), "files": [str(p) for p in paths]})
    if decision_id is not None:
        log = open_log(db)
        log.record_letters(decision_id, reference, records)
    return written


@dataclass
class BatchResult:
    """The outcome of one batch line: a decision, or the problems that stopped it."""

    line: int
    decision: Decision | None = None
    error: TriageError | None = None

    def to_json(self) -> dict[str, Any]:
        if self.decision is not None:
            return {"line": self.line, "ok": True, "decision": self.decision.model_dump(mode="json")}
        assert self.error is not None
        return {"line": self.line, "ok": False, "errors": error_json(self.error)}


def assess_batch(lines: Iterable[bytes | str], *, db: DecisionLog | str | Path | None = None,
                 rules: RuleSet | str | Path | None = None) -> Iterator[BatchResult]:
    """Assess JSON Lines (one representation a line) one by one. Each line is its own transaction:
    a bad line logs nothing and the rest go on. Blank lines are skipped."""
    d = decider(rules)
    log = open_log(db)
    for number, decision, error in json_lines(lines, lambda raw: assess(raw, db=log, rules=d.rules)):
        yield BatchResult(number, decision, error)


def schema() -> dict[str, Any]:
    """The JSON Schema of a representation (docs/reference.md, "A representation"), for the eForm team."""
    out = Representation.model_json_schema()
    out["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    out["title"] = "Representation"
    return out


def to_json(decision: Decision) -> str:
    return json.dumps(decision.model_dump(mode="json"), indent=2)
