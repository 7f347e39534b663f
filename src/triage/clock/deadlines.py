"""Deadlines in working days, from the settings in rules/settings.yaml (docs/legal-basis.md, "Timescales").

The day of receipt is day 0; the deadline is the Nth working day after it. Every figure
comes from the settings, so a council changes a timescale there, never here.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from triage.rules.ruleset import RuleSet

from .calendar import WorkingCalendar, add_months

UK_WIDE = ("ENG", "NIR", "SCT")


class Clock:
    """The council's calendars and timescales."""

    def __init__(self, rules: RuleSet) -> None:
        cal = rules.settings.get("calendar") or {}
        added = {date.fromisoformat(str(d["date"])): str(d.get("name", "Bank holiday"))
                 for d in cal.get("add_bank_holidays") or []}
        removed = [date.fromisoformat(str(d)) for d in cal.get("remove_bank_holidays") or []]
        closures = [date.fromisoformat(str(d)) for d in cal.get("council_closures") or []]
        self.settings = rules.settings
        self.calendar = WorkingCalendar(added, removed, closures)
        # FOIA 2000 s.10: bank holidays anywhere in the UK are not working days.
        self.uk_calendar = WorkingCalendar(added, removed, (), subdivisions=UK_WIDE)

    def start(self, received: date) -> date:
        """Day 0 of the clock: the received date, or the next working day where the council
        deems items received on a non-working day received then (a local setting)."""
        if self.settings["counting"]["received_on_non_working_day"] == "next_working_day":
            return self.calendar.next_working_day(received)
        return received

    def add(self, start: date, days: int, *, corporate: bool = False) -> date:
        closures = corporate and bool(self.settings["corporate"].get("closures_stop_clock"))
        return self.calendar.add_working_days(start, int(days), with_closures=closures)

    def for_decision(self, received: date, kind: str, representation_type: str,
                     procedure: str | None, disposition: str, stage: int | None) -> dict[str, date]:
        """Every date that applies to a decision (docs/reference.md, "A decision" `deadlines`)."""
        s = self.settings
        day0 = self.start(received)
        if representation_type in ("safeguarding_referral", "case_concern"):
            return {"act_by": day0}  # same day
        if representation_type == "information_request":
            if kind == "subject_access_request":
                # A calendar month; a deadline on a non-working day moves to the next
                # working day (ICO guidance on the right of access).
                sar = s["information_request"]["sar"]
                months = (sar["respond_months"], sar["respond_months"] + sar["extension_months"])
                due, latest = (self.calendar.next_working_day(add_months(received, m)) for m in months)
                return {"respond_by": due, "respond_by_latest": latest}
            foi = s["information_request"]["foi"]
            return {"respond_by": self.uk_calendar.add_working_days(received, int(foi["respond"]))}
        if representation_type == "pre_complaint":
            return {"request_information_by": self.add(day0, s["pre_complaint"]["request_information"]["days"])}
        if representation_type != "complaint" or disposition not in ("accepted", "officer_decision_required"):
            return {}
        if procedure == "statutory":
            return self._statutory(day0, stage or 1)
        if procedure == "corporate" and stage in (1, 2, None):
            return self._corporate(day0, stage or 1)
        return {}

    def _statutory(self, day0: date, stage: int) -> dict[str, date]:
        st = self.settings["statutory"]
        out = {"acknowledge_by": self.add(day0, st["acknowledge"]["days"])}
        if stage == 1:
            out["respond_by"] = self.add(day0, st["stage1"]["respond"])
            out["respond_by_latest"] = self.add(day0, st["stage1"]["latest"])
        elif stage == 2:
            # From the request until a statement of complaint is agreed (the workflow
            # recomputes from the agreed statement).
            out["respond_by"] = self.add(day0, st["stage2"]["respond"])
            out["respond_by_latest"] = self.add(day0, st["stage2"]["latest"])
        else:
            s3 = st["stage3"]
            out["panel_by"] = self.add(day0, s3["panel"])
            out["panel_report_by"] = self.add(out["panel_by"], s3["report"])
            out["respond_by"] = self.add(out["panel_report_by"], s3["response"])
            out["respond_by_latest"] = out["respond_by"]
        return out

    def _corporate(self, day0: date, stage: int) -> dict[str, date]:
        st: dict[str, Any] = self.settings["corporate"][f"stage{stage}"]
        ack = self.add(day0, st["acknowledge"], corporate=True)
        base = ack if st.get("from", "acknowledgement") == "acknowledgement" else day0
        return {
            "acknowledge_by": ack,
            "respond_by": self.add(base, st["respond"], corporate=True),
            "respond_by_latest": self.add(base, int(st["respond"]) + int(st["extension"]), corporate=True),
        }
