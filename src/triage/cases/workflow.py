"""The case lifecycle: recording events, re-assessing on new facts, overrides, what is due.

``record`` validates an event against the case as the log knows it (an unknown reference,
an impossible order or a date in the future is an InputError and nothing is written),
re-assesses with the new facts where an event brings some (an escalation request, an
officer's answer), and appends. Recording the same event twice changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from triage.api import decider, prepare
from triage.clock.timeline import (
    ACTION_EVENTS,
    CLOSING_EVENTS,
    CaseState,
    build_state,
    deadlines,
    escalation_window,
    learning_deadlines,
    maximum_response,
    next_owed,
    warnings,
)
from triage.contract import vocab
from triage.contract.errors import InputError, NotFoundError, Problem, TriageError, error_json
from triage.contract.hints import suggest
from triage.contract.models import Decision, Event
from triage.contract.validation import json_lines, parse_event
from triage.log.store import DecisionLog, content_hash, open_log
from triage.rules.ruleset import RuleSet


@dataclass
class Recorded:
    """The outcome of recording one event."""

    event: dict[str, Any]
    added: bool                      # False when the same event was already recorded
    decision: Decision | None = None  # the new decision, when the event re-assessed the case

    def to_dict(self) -> dict[str, Any]:
        """The result as a JSON-ready dict."""
        out: dict[str, Any] = {"ok": True, "added": self.added, "event": self.event}
        if self.decision is not None:
            out["decision"] = self.decision.model_dump(mode="json")
        return out


def case_state(log: DecisionLog, reference: str) -> CaseState:
    """The state of a case (NotFoundError, with the nearest references, when unknown)."""
    logged = log.find(reference=reference)
    if not logged:
        close = suggest(reference, log.references())
        raise NotFoundError(f"no case with reference {reference!r} in {log.path}{close}")
    return build_state(logged, log.events(reference), log.overrides(reference))


def _refuse(field: str, message: str) -> InputError:
    return InputError([Problem(field, message)])


def _check_order(event: Event, state: CaseState, rules: RuleSet) -> None:
    """Refuse events that cannot happen in this case's state (nothing is written)."""
    from triage.clock.deadlines import Clock

    kind, day, cur = event.event, event.date, state.current
    if day < state.received_date:
        raise _refuse("date", f"{day} is before the representation was received ({state.received_date})")
    if state.closed and kind not in ("lgsco_referral", "lgsco_decision"):
        raise _refuse("event", f"the case was {state.closed_by} on {state.closed}; only Ombudsman events may follow")
    if kind in ("lgsco_referral", "lgsco_decision", "withdrawn", "closed", "officer_decision"):
        if kind == "lgsco_decision" and state.lgsco_referred is None:
            raise _refuse("event", "record the lgsco_referral before the Ombudsman's decision")
        return
    if state.decision["representation_type"] != "complaint":
        if kind == "acknowledged":
            return
        raise _refuse("event", f"a {state.decision['representation_type'].replace('_', ' ')} has no complaint "
                               f"stages; only acknowledged, closed and withdrawn apply")
    if cur is None:
        raise _refuse("event", "this complaint has no open stage")
    if kind == "escalation_requested":
        if event.to_stage is None:
            raise _refuse("to_stage", "required for an escalation_requested event (2 or 3)")
        if event.to_stage != cur.number + 1:
            raise _refuse("to_stage", f"the complaint is at stage {cur.number}; it can only move to stage {cur.number + 1}")
        if cur.responded is None:
            clock = Clock(rules)
            overdue = cur.number == 1 and cur.disposition == "accepted" and day > maximum_response(cur, clock)
            if not overdue:
                raise _refuse("to_stage", f"stage {cur.number} has not been answered yet: a request for stage "
                                          f"{event.to_stage} follows the stage {cur.number} response"
                                          + (" (or a stage 1 response later than the maximum)" if cur.number == 1 else ""))
        elif day < cur.responded:
            raise _refuse("date", f"{day} is before the stage {cur.number} response ({cur.responded})")
        return
    stage = state.stages.get(event.stage) if event.stage else cur
    if stage is None or (event.stage and event.stage != cur.number):
        raise _refuse("stage", f"the complaint is at stage {cur.number}, not stage {event.stage}")
    if stage.disposition not in ("accepted", "officer_decision_required"):
        raise _refuse("event", f"stage {stage.number} was {stage.disposition.replace('_', ' ')}; nothing runs at that stage")
    if day < stage.requested:
        raise _refuse("date", f"{day} is before stage {stage.number} started ({stage.requested})")
    if stage.responded is not None:
        raise _refuse("event", f"stage {stage.number} was already answered on {stage.responded}")
    if kind == "acknowledged" and stage.acknowledged is not None:
        raise _refuse("event", f"stage {stage.number} was already acknowledged on {stage.acknowledged}")
    if kind == "statement_agreed" and not (stage.procedure == "statutory" and stage.number == 2):
        raise _refuse("event", "a statement of complaint is agreed at statutory stage 2 only")
    if kind in ("panel_held", "panel_report") and stage.number != 3:
        raise _refuse("event", "a review panel belongs to stage 3")
    if kind == "panel_report" and stage.panel_held is None:
        raise _refuse("event", "record panel_held before the panel's report")
    if kind == "panel_held" and stage.panel_held is not None:
        raise _refuse("event", f"the panel was already held on {stage.panel_held}")
    if kind == "extended":
        if stage.number == 3:
            raise _refuse("event", "stage 3 timescales are fixed by SI 2006/1738 regs 19-20 and cannot be extended")
        limit = maximum_response(stage, Clock(rules))
        until = event.until or limit
        if until > limit:
            source = "SI 2006/1738 reg 14" if stage.procedure == "statutory" and stage.number == 1 else \
                "SI 2006/1738 reg 17" if stage.procedure == "statutory" else "the corporate timescales in rules/settings.yaml"
            days = {(True, 1): 20, (True, 2): 65}.get((stage.procedure == "statutory", stage.number))
            raise _refuse("until", f"{until} is past the maximum for stage {stage.number} ({limit}"
                                   + (f", {days} working days" if days else "") + f"; {source}); a longer delay "
                                   "cannot be agreed as an extension - respond by the maximum or offer the next stage")
        if until < day:
            raise _refuse("until", f"{until} is before the date of the extension ({day})")
    if kind == "responded" and event.stage != stage.number:
        raise _refuse("stage", f"the complaint is at stage {stage.number}")


def action_reference(log: DecisionLog, action_id: str) -> str | None:
    """The case an action was agreed on (action ids are unique in a log), or None."""
    row = next(iter(log.query("SELECT reference FROM action_codes WHERE action_id = :a AND event = 'action_agreed' "
                              "ORDER BY seq LIMIT 1", {"a": action_id})), None)
    return None if row is None else str(row["reference"])


def _personal(text: str, state: CaseState) -> str | None:
    """What in ``text`` would identify someone: the complainant's or child's name, an email
    address or a phone number (a service improvement's text is printed in the annual report)."""
    import re

    rep = state.representation
    for who in ("complainant", "child"):
        name = str((rep.get(who) or {}).get("name") or "")
        for part in [name] + [p for p in name.split() if len(p) > 2]:
            if part and re.search(rf"\b{re.escape(part)}\b", text, re.IGNORECASE):
                return f"the {who}'s name ({part!r})"
    if re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", text):
        return "an email address"
    if re.search(r"(?:\d[\s-]?){9,}", text):
        return "a phone number"
    return None


def _check_action(event: Event, state: CaseState, log: DecisionLog) -> None:
    """Refuse an action event that cannot happen on this case (nothing is written)."""
    day = event.date
    if day < state.received_date:
        raise _refuse("date", f"{day} is before the representation was received ({state.received_date})")
    assert event.action_id is not None
    if event.event == "action_agreed":
        other = action_reference(log, event.action_id)
        if other is not None:
            where = "this case" if other == state.reference else f"case {other}"
            raise _refuse("action_id", f"action {event.action_id!r} was already agreed on {where}; give each "
                                       "action its own id (e.g. the reference and a number: "
                                       f"{state.reference}-A{len(state.actions) + 1})")
        if event.source == "complaint_finding":
            answered = [st.responded for st in state.stages.values() if st.responded and st.responded <= day]
            if not answered:
                raise _refuse("source", f"no complaint response is recorded on or before {day}: an action from a "
                                        "complaint finding follows the response (record `responded` first)")
        if event.source == "lgsco_remedy":
            decided = [e["date"] for e in state.events if e["event"] == "lgsco_decision" and e["date"] <= day.isoformat()]
            if not decided:
                raise _refuse("source", f"no Ombudsman decision is recorded on or before {day}: a remedy follows "
                                        "the decision (record `lgsco_decision` first)")
        if event.what and (event.source == "learning" or event.remedy == "service_improvement"):
            found = _personal(event.what, state)
            if found:
                raise _refuse("what", f"the text of a service improvement is published in the annual report, and "
                                      f"this holds {found}; describe the change to the service without it")
        return
    action = state.actions.get(event.action_id)
    if action is None:
        listed = ", ".join(state.actions) or "none"
        raise _refuse("action_id", f"no action {event.action_id!r} on case {state.reference}"
                                   f"{suggest(event.action_id, list(state.actions))} (its actions: {listed})")
    if action.status != "open":
        when = action.completed or action.dropped
        raise _refuse("event", f"action {action.action_id} was already {action.status} on {when}")
    if day < action.agreed:
        raise _refuse("date", f"{day} is before action {action.action_id} was agreed ({action.agreed})")


def _reassess(event: Event, state: CaseState, rules: RuleSet, log: DecisionLog) -> Decision:
    """A new decision on the case with the facts the event brings."""
    from triage import api

    raw = dict(state.representation)
    if event.event == "officer_decision":
        pending = [q["id"] for q in state.decision.get("officer_questions", [])]
        if event.question not in pending:
            raise _refuse("question", f"no question {event.question!r} is waiting for an answer on this case"
                                      + (f" (waiting: {', '.join(pending)})" if pending else " (none is waiting)"))
        raw["officer_decisions"] = {**raw.get("officer_decisions", {}),
                                    event.question: {"answer": event.answer, "reason": event.reason, "by": event.by}}
    else:  # escalation_requested
        cur = state.current
        if cur is None or event.to_stage is None:
            raise _refuse("to_stage", "this complaint has no open stage to escalate from")
        raw["received_date"] = event.date.isoformat()
        raw["escalation"] = {"original_reference": state.reference, "to_stage": event.to_stage,
                             **({"previous_response_date": cur.responded.isoformat()} if cur.responded else {})}
        # The late-escalation and prejudice questions are asked afresh for each request: the
        # proceedings that matter are those ongoing now (reg 8 at every stage; DOMAIN 3a.2).
        raw["officer_decisions"] = {k: v for k, v in raw.get("officer_decisions", {}).items()
                                    if k not in ("accept_late_escalation", "prejudice_to_proceedings")}
    prepare(raw, rules, today=event.date)  # validates the new facts
    decision = api.assess(raw, db=log, rules=rules)
    if event.event == "escalation_requested":
        _carry_procedure(state, decision, log)
    return decision


def _carry_procedure(state: CaseState, decision: Decision, log: DecisionLog) -> None:
    """A manager's override of the procedure of the stage being escalated carries to the next
    stage: the escalation is the same complaint (s.26(3) CA 1989 for the statutory stages; the
    corporate procedure for the rest), so the route the manager decided on stays. The rules see
    only the representation, so the new decision is overridden in turn, as its own record that
    names the override it follows; once only, however often the import is run."""
    cur = state.current
    if cur is None or decision.decision_id is None or decision.representation_type != "complaint":
        return
    earlier = [o for o in state.overrides if o["field"] == "procedure" and o["decision_id"] == cur.decision_id]
    if not earlier or decision.procedure == cur.procedure:
        return
    if any(o["field"] == "procedure" and o["decision_id"] == decision.decision_id for o in log.overrides(state.reference)):
        return
    last = earlier[-1]
    log.append_override({
        "reference": state.reference, "decision_id": decision.decision_id, "field": "procedure",
        "from_value": decision.procedure, "to_value": cur.procedure,
        "reason": f"carried to stage {decision.stage} from the override of stage {cur.number} "
                  f"({last['decision_id']}, by {last['by']}): {last['reason']}",
        "by": last["by"], "rules": []})


def record(obj: Any, *, db: DecisionLog | str | Path | None = None, rules: RuleSet | str | Path | None = None,
           today: date | None = None, source: str | None = None) -> Recorded:
    """Validate and record one lifecycle event (docs/reference.md, "A lifecycle event")."""
    d = decider(rules)
    log = open_log(db)
    if (isinstance(obj, dict) and obj.get("event") in ("action_completed", "action_dropped")
            and obj.get("reference") is None and isinstance(obj.get("action_id"), str)):
        # an action is completed or dropped by its id alone: its case is where it was agreed
        found = action_reference(log, obj["action_id"])
        if found is None:
            raise InputError([Problem("action_id", f"no action {obj['action_id']!r} was agreed in {log.path}; "
                                                   "record its action_agreed first, or give the id it was agreed with")],
                             source)
        obj = {**obj, "reference": found}
    event = parse_event(obj, d.rules, today=today or date.today(), source=source)
    payload = event.model_dump(mode="json", exclude_none=True)
    if not payload.get("actual_outcomes"):
        payload.pop("actual_outcomes", None)
    identity = content_hash(payload)
    if log.has_event(event.reference, identity):
        return Recorded(payload, added=False)  # an import run twice changes nothing
    try:
        state = case_state(log, event.reference)
    except NotFoundError as exc:
        raise InputError([Problem("reference", str(exc))], source) from None
    try:
        if event.event in ACTION_EVENTS:
            _check_action(event, state, log)
        else:
            _check_order(event, state, d.rules)
        decision = _reassess(event, state, d.rules, log) if event.event in ("officer_decision", "escalation_requested") else None
    except InputError as exc:
        raise InputError(exc.problems, source) from None
    _, added = log.append_event(payload, identity, decision.decision_id if decision else None)
    return Recorded(payload, added, decision)


@dataclass
class EventResult:
    line: int
    recorded: Recorded | None = None
    error: TriageError | None = None

    def to_dict(self) -> dict[str, Any]:
        """The result as a JSON-ready dict: {"line": 1, "ok": true, "added": true, ...}."""
        if self.recorded is not None:
            return {"line": self.line, **self.recorded.to_dict()}
        return {"line": self.line, "ok": False, "errors": error_json(self.error or TriageError("no result"))}

    def to_json(self) -> str:
        """The result as one line of JSON text, as `triage record --batch` prints it."""
        return json.dumps(self.to_dict(), default=str)


def record_batch(lines: Iterable[bytes | str], *, db: DecisionLog | str | Path | None = None,
                 rules: RuleSet | str | Path | None = None) -> Iterator[EventResult]:
    """Record JSON Lines of events one by one; a bad line records nothing, the rest go on."""
    log = open_log(db)
    for number, recorded, error in json_lines(lines, lambda raw: record(raw, db=log, rules=rules)):
        yield EventResult(number, recorded, error)


def override(reference: str, field: str, to: str, reason: str, by: str, *,
             db: DecisionLog | str | Path | None = None, rules: RuleSet | str | Path | None = None) -> dict[str, Any]:
    """Record a manager's change of a decision's route, disposition or reason. The original
    decision stays in the log; reports and the workflow use the overridden value."""
    d = decider(rules)
    log = open_log(db)
    state = case_state(log, reference)
    problems = []
    if field not in vocab.OVERRIDABLE:
        problems.append(Problem("field", f"{field!r} cannot be overridden{suggest(field, vocab.OVERRIDABLE)} "
                                         f"(one of: {', '.join(vocab.OVERRIDABLE)})"))
    values: dict[str, tuple[Any, ...]] = {
        "representation_type": vocab.REPRESENTATION_TYPES, "procedure": vocab.PROCEDURES,
        "disposition": vocab.DISPOSITIONS, "reason": vocab.REASONS, "stage": ("1", "2", "3")}
    if field in values and to not in values[field]:
        hint = suggest(to, values[field])
        problems.append(Problem("to", f"{to!r} is not a valid {field}{hint}"
                                      f"{'' if hint else ' (valid: ' + ', '.join(values[field]) + ')'}"))
    if not reason.strip():
        problems.append(Problem("reason", "give the reason for the override"))
    if not by.strip():
        problems.append(Problem("by", "give the name of the manager making the override"))
    if problems:
        raise InputError(problems)
    latest = state.decision
    if str(latest.get(field)) == to:
        raise InputError([Problem("to", f"the decision's {field} is already {to!r}")])
    rule_ids = [r["id"] for r in latest["rules_fired"]]
    overridden = [rid for rid in rule_ids if any(r.id == rid and field in r.then for r in d.rules.rules)]
    record_ = {"reference": reference, "decision_id": latest["decision_id"], "field": field,
               "from_value": None if latest.get(field) is None else str(latest.get(field)), "to_value": to,
               "reason": reason.strip(), "by": by.strip(), "rules": overridden}
    log.append_override(record_)
    return record_


def override_counts(log: DecisionLog) -> list[tuple[str, int]]:
    """How often each rule's conclusion was overridden, most first (for rule review)."""
    counts: dict[str, int] = {}
    for o in log.overrides():
        for rid in o["rules"]:
            counts[rid] = counts.get(rid, 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def due(log: DecisionLog, rules: RuleSet, today: date, *, within: int | None = None, overdue: bool = False,
        procedure: str | None = None) -> list[dict[str, Any]]:
    """Open cases received by ``today`` with their next deadline, soonest first."""
    from triage.clock.deadlines import Clock

    clock = Clock(rules)
    out = []
    for reference, logged, events, overrides in log.open_cases(CLOSING_EVENTS):
        state = build_state(logged, events, overrides)
        if procedure and state.decision.get("procedure") != procedure:
            continue
        if state.received_date > today:  # not yet received on that day, so nothing is owed on it
            continue
        step = next_owed(state, clock)
        if step is None:
            continue
        left = clock.calendar.working_days_between(today, step.due)
        if overdue and left >= 0:
            continue
        if within is not None and left > within:
            continue
        out.append({"reference": reference, "representation_type": state.decision["representation_type"],
                    "procedure": state.decision.get("procedure"), "stage": step.stage,
                    "step": step.step, "due": step.due.isoformat(), "working_days_left": left,
                    "rule": step.rule, "from": step.source})
    # Learning is owed on closed cases too: open actions, and upheld findings with none agreed.
    setting = (rules.settings.get("learning") or {}).get("decide_within") or {}
    for reference in learning_references(log, str(setting.get("from") or "")):
        state = case_state(log, reference)
        if procedure and state.decision.get("procedure") != procedure:
            continue
        for owed in learning_deadlines(state, clock):
            if owed.met_on is not None:
                continue
            left = clock.calendar.working_days_between(today, owed.due)
            if (overdue and left >= 0) or (within is not None and left > within):
                continue
            action = next((a for a in state.actions.values() if owed.step.startswith(f"action {a.action_id} (")), None)
            out.append({"reference": reference, "representation_type": state.decision["representation_type"],
                        "procedure": state.decision.get("procedure"), "stage": owed.stage,
                        "step": owed.step, "due": owed.due.isoformat(), "working_days_left": left,
                        "rule": owed.rule, "from": owed.source,
                        **({"action_id": action.action_id, "source": action.source, "owner": action.owner}
                           if action else {})})
    # overdue first (the most overdue first), then the soonest due
    return sorted(out, key=lambda r: (r["due"], r["reference"], r["step"]))


def learning_references(log: DecisionLog, since: str = "") -> list[str]:
    """The cases that may owe learning: those with an action neither completed nor dropped,
    and those with an upheld or partially upheld response (on or after ``since``) and no
    action agreed since it. Found in the code tables, so that only these cases are read."""
    return [r["reference"] for r in log.query(
        "SELECT reference FROM action_codes GROUP BY reference, action_id "
        "HAVING max(event = 'action_agreed') AND NOT max(event IN ('action_completed', 'action_dropped')) "
        "UNION SELECT e.reference FROM event_codes e WHERE e.event = 'responded' "
        "AND e.finding IN ('upheld', 'partially_upheld') AND e.date >= :since AND NOT EXISTS ("
        "SELECT 1 FROM action_codes a WHERE a.reference = e.reference AND a.event = 'action_agreed' "
        "AND a.date >= e.date) ORDER BY reference", {"since": since})]


def case_report(log: DecisionLog, rules: RuleSet, reference: str, today: date) -> dict[str, Any]:
    """One case's whole timeline: decisions, events, overrides, letters and deadlines."""
    from triage.clock.deadlines import Clock

    clock = Clock(rules)
    state = case_state(log, reference)
    window = escalation_window(state, clock)
    return {
        "reference": reference,
        "received_date": state.received_date.isoformat(),
        "status": "open" if state.is_open else state.closed_by,
        "decision": state.decision,
        "decisions": [{k: d.get(k) for k in ("decision_id", "for_date", "assessed_at", "representation_type",
                                               "procedure", "disposition", "reason", "stage")} for d in state.decisions],
        "events": [{k: v for k, v in e.items() if k != "seq"} for e in state.events],
        "overrides": state.overrides,
        "letters": log.letters(reference),
        "deadlines": [x.to_json(today, clock) for x in deadlines(state, clock)],
        "learning": [x.to_json(today, clock) for x in learning_deadlines(state, clock)],
        "actions": [a.to_json(today, clock) for a in state.actions.values()],
        "next_stage_request_by": {"stage": window[0], "date": window[1].isoformat()} if window else None,
        "warnings": warnings(state, clock, today),
    }
