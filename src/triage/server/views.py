"""What the case page shows, gathered from the library in one call (run on a reader thread)."""

from __future__ import annotations

from datetime import date
from typing import Any

from triage import api
from triage.cases import workflow
from triage.clock.timeline import effective
from triage.contract import vocab
from triage.contract.errors import TriageError
from triage.log.store import DecisionLog
from triage.rules.ruleset import RuleSet


def words(value: Any) -> str:
    """A vocabulary value as words: officer_decision_required -> officer decision required."""
    return str(value).replace("_", " ")


def case_view(log: DecisionLog, rules: RuleSet, reference: str, today: date,
              signed_by: str | None = None) -> dict[str, Any]:
    """The case report, each decision (newest first) with its overrides, the latest decision's
    letter drafts (signed by ``signed_by``, the signed-in manager), and one timeline of
    decisions, events, overrides and letters."""
    report = workflow.case_report(log, rules, reference, today)
    history = log.history(reference)
    decisions = [{"decision": x.decision, "effective": effective(x.decision, report["overrides"]),
                  "overrides": [o for o in report["overrides"] if o["decision_id"] == x.decision["decision_id"]]}
                 for x in reversed(history)]
    latest = history[-1]
    drafts: list[Any] = []
    letter_error = letter_warning = None
    try:  # the letters as the manager's overrides leave the decision
        current = api.as_overridden(latest.decision, latest.representation, report["overrides"], rules=rules)
        if current.get("letters"):
            drafts = api.draft_letters(current, latest.representation, rules=rules, signed_by=signed_by)
    except TriageError as exc:
        letter_error = str(exc)
    if drafts and latest.decision["ruleset"] != rules.hash:
        letter_warning = (f"{latest.decision['decision_id']} was decided with an earlier ruleset; the "
                          "templates have changed since, so the text may differ from the letters sent")
    timeline = [(x["for_date"], f"Decision {x['decision_id']}: {words(x['disposition'])}"
                 + (f" ({words(x['reason'])})" if x.get("reason") else "")
                 + (f" at stage {x['stage']}" if x.get("stage") else "")) for x in report["decisions"]]
    for e in report["events"]:
        extra = ", ".join(f"{words(k)}: {', '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in e.items()
                          if k not in ("reference", "event", "date", "decision_id", "recorded_at") and v not in (None, []))
        timeline.append((e["date"], words(e["event"]).capitalize() + (f" ({extra})" if extra else "")))
    for o in report["overrides"]:
        timeline.append((o["recorded_at"][:10], f"Override of {o['decision_id']}: {words(o['field'])} "
                                                f"{words(o['from_value'] or 'none')} to {words(o['to_value'])}, "
                                                f"by {o['by']}: {o['reason']}"))
    for letter in report["letters"]:
        timeline.append((letter["drafted_at"][:10], f"Letter drafted: {letter['title']}"))
    timeline.sort(key=lambda t: t[0])
    override_values = [("representation_type", vocab.REPRESENTATION_TYPES), ("procedure", vocab.PROCEDURES),
                       ("disposition", vocab.DISPOSITIONS), ("reason", vocab.REASONS), ("stage", ("1", "2", "3"))]
    return {"report": report, "decisions": decisions, "drafts": drafts, "latest_id": latest.decision["decision_id"],
            "letter_error": letter_error, "letter_warning": letter_warning, "timeline": timeline,
            "override_values": override_values, "flag_text": dict(rules.flags), "today": today.isoformat()}

