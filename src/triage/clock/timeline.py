"""A case's life from the log: its stages, the statutory clock, and what is owed next.

Everything is computed from the append-only log (decisions, events, overrides) and the
settings in rules/settings.yaml; nothing here is stored, so a changed setting or a newly
proclaimed bank holiday moves every open deadline at once. Every deadline says which rule
and which event it came from (docs/legal-basis.md, "Timescales").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .deadlines import Clock

CLOSING_EVENTS = ("withdrawn", "closed")
ACTION_EVENTS = ("action_agreed", "action_completed", "action_dropped")


@dataclass
class Deadline:
    """A date the council owes something by."""

    step: str            # what is owed, in words
    due: date
    rule: str            # the setting or regulation it comes from
    source: str          # the event (and its date) the count starts from
    met_on: date | None = None
    stage: int | None = None

    @property
    def met(self) -> bool | None:
        """True when done in time, False when done late, None while still owed."""
        return None if self.met_on is None else self.met_on <= self.due

    def to_json(self, today: date, clock: Clock) -> dict[str, Any]:
        out: dict[str, Any] = {"step": self.step, "due": self.due.isoformat(), "rule": self.rule,
                               "from": self.source, "stage": self.stage,
                               "done": self.met_on.isoformat() if self.met_on else None,
                               "status": "met" if self.met else "missed" if self.met is False else "owed"}
        if self.met_on is None:
            out["working_days_left"] = clock.calendar.working_days_between(today, self.due)
        return out


@dataclass
class Stage:
    """One stage of a complaint: when it started and what has happened in it."""

    number: int
    procedure: str
    requested: date                  # received date (stage 1) or the escalation request
    decision_id: str
    disposition: str
    acknowledged: date | None = None
    statement_agreed: date | None = None
    extended_until: date | None = None
    extended_on: date | None = None
    panel_held: date | None = None
    panel_report: date | None = None
    responded: date | None = None
    finding: str | None = None


@dataclass
class Action:
    """An action agreed on a case (action_agreed) and what became of it."""

    action_id: str
    agreed: date
    what: str
    source: str
    owner: str
    due: date
    remedy: str | None = None
    amount: float | None = None
    completed: date | None = None
    evidence: str | None = None
    dropped: date | None = None
    dropped_reason: str | None = None
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def status(self) -> str:
        """open, completed or dropped."""
        return "completed" if self.completed else "dropped" if self.dropped else "open"

    def to_json(self, today: date | None = None, clock: Clock | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"action_id": self.action_id, "agreed": self.agreed.isoformat(), "what": self.what,
                               "source": self.source, "owner": self.owner, "due": self.due.isoformat(),
                               "remedy": self.remedy, "amount": self.amount, "status": self.status,
                               "completed": self.completed.isoformat() if self.completed else None,
                               "evidence": self.evidence,
                               "dropped": self.dropped.isoformat() if self.dropped else None,
                               "dropped_reason": self.dropped_reason,
                               "on_time": None if self.completed is None else self.completed <= self.due,
                               "history": self.history}
        if today is not None and clock is not None and self.status == "open":
            out["working_days_left"] = clock.calendar.working_days_between(today, self.due)
        return out


@dataclass
class CaseState:
    reference: str
    received_date: date
    decision: dict[str, Any]                 # the latest decision, overrides applied
    decisions: list[dict[str, Any]]          # each with "for_date": the date its input was received
    representation: dict[str, Any]
    events: list[dict[str, Any]]
    overrides: list[dict[str, Any]]
    stages: dict[int, Stage] = field(default_factory=dict)
    closed: date | None = None
    closed_by: str | None = None
    lgsco_referred: date | None = None
    lgsco_decided: date | None = None
    actions: dict[str, Action] = field(default_factory=dict)

    @property
    def current(self) -> Stage | None:
        return self.stages[max(self.stages)] if self.stages else None

    @property
    def is_open(self) -> bool:
        return self.closed is None


def _d(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def effective(decision: dict[str, Any], overrides: list[dict[str, Any]]) -> dict[str, Any]:
    """The decision as reports and the workflow use it: overrides after it applied."""
    out = dict(decision)
    seq = int(str(decision["decision_id"]).removeprefix("d-"))
    for o in overrides:
        if int(str(o["decision_id"]).removeprefix("d-")) == seq:
            value: Any = o["to_value"]
            out[o["field"]] = int(value) if o["field"] == "stage" and value is not None else value
    return out


def build_state(logged: list[Any], events: list[dict[str, Any]], overrides: list[dict[str, Any]]) -> CaseState:
    """The state of one case from its logged decisions (oldest first), events and overrides."""
    decisions = [{**effective(x.decision, overrides), "for_date": x.representation["received_date"]} for x in logged]
    first, latest = logged[0], decisions[-1]
    state = CaseState(first.decision["reference"], _d(first.representation["received_date"]), latest,
                      decisions, logged[-1].representation, events, overrides)
    for x, d in zip(logged, decisions):
        if d["representation_type"] != "complaint" or not d.get("stage"):
            continue
        number = int(d["stage"])
        requested = _d(x.representation["received_date"])
        existing = state.stages.get(number)
        if existing is None or existing.disposition != "accepted":
            state.stages[number] = Stage(number, d.get("procedure") or "statutory", requested,
                                         d["decision_id"], d["disposition"])
        else:
            existing.disposition, existing.decision_id = d["disposition"], d["decision_id"]
    for e in sorted(events, key=lambda e: (e["date"], e["seq"])):
        day, kind = _d(e["date"]), e["event"]
        # An event belongs to the stage it names, else to the stage running on its date.
        running = [n for n, st in state.stages.items() if st.requested <= day]
        stage = state.stages.get(int(e.get("stage") or 0)) or (state.stages[max(running)] if running else state.current)
        if kind in ACTION_EVENTS:
            _action_event(state, e, day)
        elif kind in CLOSING_EVENTS:
            state.closed, state.closed_by = day, kind
        elif kind == "lgsco_referral":
            state.lgsco_referred = day
        elif kind == "lgsco_decision":
            state.lgsco_decided = day
        elif stage is None:
            continue
        elif kind == "acknowledged":
            stage.acknowledged = stage.acknowledged or day
        elif kind == "statement_agreed":
            stage.statement_agreed = day
        elif kind == "extended":
            stage.extended_on = day
            stage.extended_until = _d(e["until"]) if e.get("until") else None
        elif kind == "panel_held":
            stage.panel_held = day
        elif kind == "panel_report":
            stage.panel_report = day
        elif kind == "responded":
            stage.responded, stage.finding = day, e.get("finding")
    return state


def _action_event(state: CaseState, e: dict[str, Any], day: date) -> None:
    """Apply an action event to the case's actions (the workflow has checked its order)."""
    kind, ident = e["event"], str(e["action_id"])
    entry = {"event": kind, "date": day.isoformat(),
             **{k: e[k] for k in ("what", "source", "owner", "due", "remedy", "amount", "evidence", "reason") if e.get(k) is not None}}
    if kind == "action_agreed":
        state.actions[ident] = Action(ident, day, str(e["what"]), str(e["source"]), str(e["owner"]), _d(e["due"]),
                                      e.get("remedy"), e.get("amount"), history=[entry])
        return
    action = state.actions.get(ident)
    if action is None:
        return
    action.history.append(entry)
    if kind == "action_completed":
        action.completed, action.evidence = day, e.get("evidence")
    else:
        action.dropped, action.dropped_reason = day, e.get("reason")


def learning_deadlines(state: CaseState, clock: Clock) -> list[Deadline]:
    """What the council owes on a case's learning, open or closed: each action agreed (met
    when completed; a dropped action owes nothing), and after an upheld or partially upheld
    response with no action agreed since, "decide the learning" within the council's
    ``learning.decide_within`` working days (GBFC 2006 5.6.2)."""
    out = []
    for a in state.actions.values():
        if a.dropped is not None:
            continue
        label = a.source.replace("_", " ") + (f": {a.remedy.replace('_', ' ')}" if a.remedy else "")
        out.append(Deadline(f"action {a.action_id} ({label}), owner {a.owner}: {a.what}", a.due,
                            f"action agreed ({a.source})", f"agreed {a.agreed}", a.completed))
    setting = (clock.settings.get("learning") or {}).get("decide_within") or {}
    days = int(setting.get("days", 20))
    since = _d(setting["from"]) if setting.get("from") else None
    for stage in state.stages.values():
        if stage.responded is None or stage.finding not in ("upheld", "partially_upheld"):
            continue
        if since is not None and stage.responded < since:
            continue
        agreed = [a.agreed for a in state.actions.values() if a.agreed >= stage.responded]
        out.append(Deadline(f"decide the learning (stage {stage.number} {stage.finding.replace('_', ' ')})",
                            clock.add(stage.responded, days), "learning.decide_within (local; GBFC 2006 5.6.2)",
                            f"stage {stage.number} response {stage.responded}", min(agreed) if agreed else None,
                            stage.number))
    return sorted(out, key=lambda x: x.due)


def maximum_response(stage: Stage, clock: Clock) -> date:
    """The latest a stage's response may be, with any extension (the statutory maximum)."""
    s = clock.settings
    if stage.procedure == "statutory":
        if stage.number == 1:
            return clock.add(clock.start(stage.requested), s["statutory"]["stage1"]["latest"])
        if stage.number == 2:
            return clock.add(stage.statement_agreed or stage.requested, s["statutory"]["stage2"]["latest"])
        return _stage3(stage, clock)[-1].due
    cs = s["corporate"][f"stage{stage.number}"]
    base = _corporate_base(stage, clock)
    return clock.add(base, int(cs["respond"]) + int(cs["extension"]), corporate=True)


def _corporate_base(stage: Stage, clock: Clock) -> date:
    cs = clock.settings["corporate"][f"stage{stage.number}"]
    day0 = clock.start(stage.requested)
    if cs.get("from", "acknowledgement") != "acknowledgement":
        return day0
    return stage.acknowledged or clock.add(day0, cs["acknowledge"], corporate=True)


def _stage3(stage: Stage, clock: Clock) -> list[Deadline]:
    s3 = clock.settings["statutory"]["stage3"]
    panel_due = clock.add(stage.requested, s3["panel"])
    held = stage.panel_held
    report_from = held or panel_due
    report_due = clock.add(report_from, s3["report"])
    respond_from = stage.panel_report or report_due
    return [
        Deadline("hold the review panel", panel_due, "statutory.stage3.panel (SI 2006/1738 reg 19)",
                 f"stage 3 request {stage.requested}", held, 3),
        Deadline("send the panel's report", report_due, "statutory.stage3.report (SI 2006/1738 reg 20)",
                 f"panel held {held}" if held else f"panel due {panel_due}", stage.panel_report, 3),
        Deadline("send the council's response to the panel's report", clock.add(respond_from, s3["response"]),
                 "statutory.stage3.response (SI 2006/1738 reg 20)",
                 f"panel report {stage.panel_report}" if stage.panel_report else f"report due {report_due}",
                 stage.responded, 3),
    ]


def stage_deadlines(stage: Stage, clock: Clock) -> list[Deadline]:
    """The clock of one accepted (or pending) complaint stage."""
    s = clock.settings
    n = stage.number
    if stage.procedure == "statutory":
        st = s["statutory"]
        day0 = clock.start(stage.requested) if n == 1 else stage.requested
        # A response also ends the wait for an acknowledgement that was never recorded.
        out = [Deadline(f"acknowledge the stage {n} complaint", clock.add(day0, st["acknowledge"]["days"]),
                        "statutory.acknowledge (local)", f"{'received' if n == 1 else 'stage ' + str(n) + ' request'} "
                        f"{stage.requested}", stage.acknowledged or stage.responded, n)]
        if n == 1:
            if stage.extended_on:
                due = stage.extended_until or maximum_response(stage, clock)
                rule, src = "statutory.stage1.latest (SI 2006/1738 reg 14, complex)", f"extended {stage.extended_on}"
            else:
                due = clock.add(day0, st["stage1"]["respond"])
                rule, src = "statutory.stage1.respond (SI 2006/1738 reg 14)", f"received {stage.requested}"
            out.append(Deadline("respond at stage 1", due, rule, src, stage.responded, 1))
        elif n == 2:
            start = stage.statement_agreed or stage.requested
            src = (f"statement agreed {stage.statement_agreed}" if stage.statement_agreed
                   else f"stage 2 request {stage.requested} (no statement agreed yet)")
            if stage.extended_on:
                due = stage.extended_until or maximum_response(stage, clock)
                rule = "statutory.stage2.latest (SI 2006/1738 reg 17)"
                src = f"extended {stage.extended_on}; counted from {src}"
            else:
                due, rule = clock.add(start, st["stage2"]["respond"]), "statutory.stage2.respond (SI 2006/1738 reg 17)"
            out.append(Deadline("respond at stage 2", due, rule, src, stage.responded, 2))
        else:
            out += _stage3(stage, clock)
        return out
    cs = s["corporate"][f"stage{n}"]
    day0 = clock.start(stage.requested)
    ack_due = clock.add(day0, cs["acknowledge"], corporate=True)
    base = _corporate_base(stage, clock)
    base_src = f"acknowledged {stage.acknowledged}" if stage.acknowledged and cs.get("from") != "receipt" \
        else f"{'received' if n == 1 else 'stage 2 request'} {stage.requested}"
    if stage.extended_on:
        due = stage.extended_until or maximum_response(stage, clock)
        rule, src = f"corporate.stage{n}.extension (LGSCO Complaint Handling Code)", f"extended {stage.extended_on}"
    else:
        due = clock.add(base, cs["respond"], corporate=True)
        rule, src = f"corporate.stage{n}.respond (LGSCO Complaint Handling Code)", base_src
    return [
        Deadline(f"acknowledge the stage {n} complaint", ack_due,
                 f"corporate.stage{n}.acknowledge (LGSCO Complaint Handling Code)",
                 f"{'received' if n == 1 else 'stage 2 request'} {stage.requested}", stage.acknowledged or stage.responded, n),
        Deadline(f"respond at stage {n}", due, rule, src, stage.responded, n),
    ]


def deadlines(state: CaseState, clock: Clock) -> list[Deadline]:
    """Every deadline of the case, in the order they fall."""
    d = state.decision
    out: list[Deadline] = []
    rtype, disposition = d["representation_type"], d["disposition"]
    received = state.received_date
    closed_on = state.closed
    if rtype in ("safeguarding_referral", "case_concern"):
        out.append(Deadline("hand over to the " + ("front door (MASH)" if rtype == "safeguarding_referral" else "case team"),
                            clock.start(received), "same_day (GBFC 2006)", f"received {received}", closed_on))
    elif rtype == "information_request" and "respond_by" in d.get("deadlines", {}):
        out.append(Deadline("answer the information request", _d(d["deadlines"]["respond_by"]),
                            "information_request (FOIA 2000 s.10 / UK GDPR art. 12(3))", f"received {received}", closed_on))
    elif rtype == "pre_complaint":
        asked = next((_d(e["date"]) for e in state.events if e["event"] == "acknowledged"), None)
        out.append(Deadline("ask for the missing information", clock.add(clock.start(received),
                            clock.settings["pre_complaint"]["request_information"]["days"]),
                            "pre_complaint.request_information", f"received {received}", asked or closed_on))
    elif rtype == "complaint":
        for stage in state.stages.values():
            if stage.disposition in ("accepted", "officer_decision_required"):
                out += stage_deadlines(stage, clock)
        if disposition == "officer_decision_required":
            questions = ", ".join(q["id"] for q in d.get("officer_questions", []))
            cur = state.current
            due = clock.add(clock.start(cur.requested if cur else received), clock.settings["statutory"]["acknowledge"]["days"])
            out.append(Deadline(f"officer decision ({questions})", due,
                                "LGSCO 'The children's statutory complaints procedure' (decide as soon as possible)",
                                f"decision {d['decision_id']}", None, d.get("stage")))
    return sorted(out, key=lambda x: x.due)


def next_owed(state: CaseState, clock: Clock) -> Deadline | None:
    """The earliest step still owed, or None when the council owes nothing now."""
    if not state.is_open:
        return None
    owed = [x for x in deadlines(state, clock) if x.met_on is None]
    return owed[0] if owed else None


def escalation_window(state: CaseState, clock: Clock) -> tuple[int, date] | None:
    """After a response, the date by which the complainant may ask for the next stage."""
    cur = state.current
    if cur is None or cur.responded is None or not state.is_open:
        return None
    s = clock.settings
    if cur.procedure == "statutory" and cur.number < 3:
        key = "request_stage2" if cur.number == 1 else "request_stage3"
        return cur.number + 1, clock.add(cur.responded, s["statutory"][key]["days"])
    if cur.procedure == "corporate" and cur.number == 1:
        return 2, clock.add(cur.responded, s["corporate"]["request_stage2"]["days"], corporate=True)
    return None


def warnings(state: CaseState, clock: Clock, today: date) -> list[str]:
    """Things a manager should see that are not deadlines."""
    out = []
    cur = state.current
    if (state.is_open and cur and cur.procedure == "statutory" and cur.number == 2 and cur.statement_agreed is None
            and cur.responded is None and clock.calendar.working_days_between(cur.requested, today) > 10):
        out.append(f"no statement of complaint agreed {clock.calendar.working_days_between(cur.requested, today)} "
                   f"working days after the stage 2 request ({cur.requested}); the clock runs from the request")
    return out
