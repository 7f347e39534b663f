"""The annual report (Regulation 13(3)): a scripted log of three financial years, built through
the public API, whose every table cell is counted by hand below, on both bases; percentages,
suppression, no personal data in any format, one CSV per table, the command, and the HTML in
a real browser."""

from __future__ import annotations

import copy
import csv
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import RULES, case_with
from hypothesis import given, settings
from hypothesis import strategies as st

GOLDEN = Path(__file__).parent / "golden" / "report"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
YEARS = ["2024/25", "2023/24", "2022/23"]

# Words of the complainants, children and officers in the fixture: none may reach a report.
PERSONAL = ["Zebulon", "Quixotely", "zebulon.q@example.org", "07700 900123", "Secret Lane", "XYZZY",
            "Sam Jones", "Alex Jones", "sam@example.org", "six weeks", "named contact", "Cares for the child",
            "A Manager", "two teams involved", "how the council treated", "Police asked", "B1", "A2", "CS-2025",
            "Thank you to the team", "Quixote heritage", "WHAT-PRIVATE", "EVIDENCE-SECRET", "DROPPED-SECRET",
            "Review similar cases", "Pay 250 pounds", "Placement reviews"]


def _case(ref: str, received: str, **changes: Any) -> dict[str, Any]:
    return case_with(**{"reference": ref, "received_date": received, "about__grounds_arose": received, **changes})


def _build(db: Path) -> None:
    """Three years of cases; the comments give what each should count as."""
    import triage
    from triage.cases import workflow

    def assess(case: dict[str, Any]) -> None:
        triage.assess(case, db=db, rules=RULES)

    def rec(ref: str, event: str, day: str, **fields: Any) -> None:
        workflow.record({"reference": ref, "event": event, "date": day, **fields}, db=db, rules=RULES)

    # 2022/23. D1: statutory, answered in 4 working days after an extension to 2 days (so not
    # within the agreed extension); an ethnicity answer matching no category.
    assess(_case("D1", "2023-01-16", complainant__equality={
        "gender": "Female", "age_band": "25 - 59", "disability": "No", "ethnicity": "Quixote heritage",
        "sexual_orientation": "Not Stated"}))
    rec("D1", "extended", "2023-01-17", reason="Complex: two teams involved", until="2023-01-18")
    rec("D1", "responded", "2023-01-20", stage=1, finding="not_upheld", actual_outcomes=["Better Communication"])

    # 2023/24. A1: statutory, 5 working days, upheld; personal details that must never appear.
    assess(_case("A1", "2023-05-10", complainant__name="Zebulon Quixotely-Marchbanks",
                 complainant__contact={"email": "zebulon.q@example.org", "phone": "07700 900123",
                                       "address": "1 Secret Lane"},
                 about__summary="PERSONAL-SUMMARY-XYZZY the social worker never called back"))
    rec("A1", "acknowledged", "2023-05-11")
    rec("A1", "responded", "2023-05-17", stage=1, finding="upheld", actual_outcomes=["Apology"])
    rec("A1", "closed", "2023-05-31")
    # A2: received 20 Mar 2024, answered 17 Apr 2024 within the agreed extension: 18 working
    # days over Easter (29 Mar, 1 Apr); resolved in 2024/25. Then referred to the Ombudsman.
    assess(_case("A2", "2024-03-20", received_via="email", about__natures=["Conduct of Worker"],
                 complainant__equality={"gender": "Male", "age_band": "34", "disability": "Yes",
                                        "ethnicity": "Asian or Asian British - Indian", "sexual_orientation": "Gay"}))
    rec("A2", "extended", "2024-03-27", reason="Complex: two teams involved")
    rec("A2", "responded", "2024-04-17", stage=1, finding="partially_upheld", actual_outcomes=["Explanation", "Apology"])
    rec("A2", "lgsco_referral", "2024-06-03", referral_type="education_non_social_care")
    # A3: corporate (SEN) by letter; stage 1 in 19 working days, stage 2 in 30 (10 Oct-21 Nov).
    assess(_case("A3", "2023-09-04", received_via="letter", about__service="SEN", about__function="sen",
                 about__natures=["SEN - EHCP Process", "SEN - Funding"]))
    rec("A3", "acknowledged", "2023-09-05")
    rec("A3", "responded", "2023-09-29", stage=1, finding="not_upheld", actual_outcomes=["Explanation"])
    rec("A3", "escalation_requested", "2023-10-10", to_stage=2)
    rec("A3", "responded", "2023-11-21", stage=2, finding="upheld", actual_outcomes=["EHCP Amended"])
    # R1: refused, a matter for the court; P1: a pre-complaint (no way to reply); C1: a compliment.
    assess(_case("R1", "2023-06-01", proceedings__court="matter_for_court"))
    assess(_case("P1", "2023-07-03", complainant__contact={"email": None, "phone": None, "address": None}))
    assess(_case("C1", "2023-08-01", kind="compliment", about__summary="Thank you to the team"))

    # 2024/25. B1: a young person in care; every stage: 28 working days (stage 1, over 20),
    # 30 from the agreed statement (stage 2), 38 from the request (stage 3); the Ombudsman.
    assess(_case("B1", "2024-04-15", received_via="young_person_form", complainant__relationship="young_person",
                 complainant__has_parental_responsibility=False, complainant__date_of_birth="2008-01-01",
                 child__date_of_birth="2008-01-01", child__looked_after=True, child__in_need=False,
                 about__service="Children In Care", about__function="looked_after",
                 about__natures=["Poor Communication", "Conduct of Worker"],
                 complainant__equality={"gender": "Non-binary", "age_band": "16 - 19", "disability": "No",
                                        "ethnicity": "Not Stated", "sexual_orientation": "Not Stated"}))
    rec("B1", "responded", "2024-05-24", stage=1, finding="no_finding", actual_outcomes=["Meeting Offer"])
    rec("B1", "escalation_requested", "2024-06-10", to_stage=2)
    rec("B1", "statement_agreed", "2024-06-14")
    rec("B1", "responded", "2024-07-26", stage=2, finding="partially_upheld")
    rec("B1", "escalation_requested", "2024-08-12", to_stage=3)
    rec("B1", "panel_held", "2024-09-10")
    rec("B1", "panel_report", "2024-09-16")
    rec("B1", "responded", "2024-10-04", stage=3, finding="not_upheld")
    rec("B1", "lgsco_referral", "2024-11-01", referral_type="social_care")
    rec("B1", "lgsco_decision", "2025-01-10", outcome="Closed after initial enquiries")
    # B2: withdrawn before any response. B3: corporate, refused (SEND Tribunal).
    assess(_case("B2", "2024-04-22"))
    rec("B2", "withdrawn", "2024-05-01")
    assess(_case("B3", "2024-06-03", about__service="SEN", about__function="sen",
                 about__natures=["SEN - EHCP provision not meeting needs"], proceedings__tribunal="appeal_available"))
    # B4: a grandmother; the officer decides she may complain; never answered (awaiting).
    assess(_case("B4", "2024-09-02", complainant__relationship="grandparent",
                 complainant__has_parental_responsibility=False))
    rec("B4", "officer_decision", "2024-09-04", question="sufficient_interest", answer=True,
        reason="Cares for the child most days", by="A Manager")
    # B5: deferred (a police investigation): counted as a refusal.
    assess(_case("B5", "2024-10-01", proceedings__criminal="ongoing",
                 officer_decisions={"prejudice_to_proceedings": {"answer": True, "reason": "Police asked",
                                                                 "by": "A Manager"}}))
    # B6: corporate (school transport) by telephone, 4 working days, upheld.
    assess(_case("B6", "2025-03-03", received_via="telephone", about__service="School Transport",
                 about__function="school_transport", about__natures=["School Transport Dispute"]))
    rec("B6", "responded", "2025-03-07", stage=1, finding="upheld", actual_outcomes=["Transport Arranged"])
    # B7: decided statutory, a manager overrides it to corporate; no nature recorded.
    assess(_case("B7", "2024-11-04", about__natures=[]))
    from triage.cases.workflow import override
    override("B7", "procedure", "corporate", "It is about how the council treated the parent", "A Manager",
             db=db, rules=RULES)
    rec("B7", "responded", "2024-11-08", stage=1, finding="not_upheld")
    # B8: answered in 6 working days; a late stage 2 request the officer refuses (out of time):
    # still one complaint in `representations`, a refusal in `refusals`.
    assess(_case("B8", "2024-12-02"))
    rec("B8", "responded", "2024-12-10", stage=1, finding="not_upheld")
    rec("B8", "escalation_requested", "2025-02-20", to_stage=2)
    rec("B8", "officer_decision", "2025-02-24", question="accept_late_escalation", answer=False,
        reason="No reason for the delay", by="A Manager")
    # S1: a safeguarding referral and M1: a member enquiry (both "Ad hoc"); F1: an FOI request.
    assess(_case("S1", "2024-07-01", risk__significant_harm=True))
    assess(_case("F1", "2024-08-01", kind="foi_request"))
    assess(_case("M1", "2024-08-05", kind="member_enquiry", complainant__relationship="councillor"))

    # Actions (the `learning` table). Received basis: each in its case's received year;
    # resolved basis: in the year it was agreed (only A2-1 differs: case 2023/24, agreed 2024/25).
    def act(ref: str, ident: str, day: str, source: str, owner: str, due: str, what: str, **more: Any) -> None:
        rec(ref, "action_agreed", day, action_id=ident, source=source, owner=owner, due=due, what=what, **more)

    # D1 (CAST, 2022/23): wider learning, never done (still open).
    act("D1", "D1-1", "2023-01-25", "learning", "CAST", "2023-03-31", "Extension letters to give a new date")
    # A1 (CAST, 2023/24): an apology, done; wider learning, done in 2024/25 (an improvement of 2024/25).
    act("A1", "A1-1", "2023-05-18", "complaint_finding", "Team Manager", "2023-06-01",
        "Apology to the family WHAT-PRIVATE", remedy="apology")
    rec("A1", "action_completed", "2023-05-25", action_id="A1-1", evidence="EVIDENCE-SECRET letter")
    act("A1", "A1-2", "2023-05-18", "learning", "Service Manager", "2023-09-29",
        "Call-back standard of two working days for CAST")
    rec("A1", "action_completed", "2024-04-10", action_id="A1-2", evidence="EVIDENCE-SECRET policy")
    # A2 (CAST, received 2023/24, partially upheld 17 Apr 2024): agreed 18 Apr 2024, dropped.
    act("A2", "A2-1", "2024-04-18", "complaint_finding", "Team Manager", "2024-05-31", "Review the file", remedy="other")
    rec("A2", "action_dropped", "2024-05-20", action_id="A2-1", reason="DROPPED-SECRET reason")
    # B1 (Children In Care, 2024/25): four Ombudsman remedies agreed on the decision of 10 Jan 2025:
    # an apology due 7 Feb, done 5 Feb (on time); a payment due 7 Feb, done 20 Feb (late); a review
    # of others affected due 31 Mar, not done (outstanding); a service improvement due 30 Apr 2025
    # (2025/26, not in the remedies rows), dropped.
    act("B1", "B1-R1", "2025-01-10", "lgsco_remedy", "Service Manager", "2025-02-07", "Apology", remedy="apology")
    rec("B1", "action_completed", "2025-02-05", action_id="B1-R1", evidence="EVIDENCE-SECRET")
    act("B1", "B1-R2", "2025-01-10", "lgsco_remedy", "Finance", "2025-02-07", "Pay 250 pounds", remedy="payment",
        amount=250)
    rec("B1", "action_completed", "2025-02-20", action_id="B1-R2", evidence="EVIDENCE-SECRET")
    act("B1", "B1-R3", "2025-01-10", "lgsco_remedy", "Head of Service", "2025-03-31", "Review similar cases",
        remedy="review_others_affected")
    act("B1", "B1-R4", "2025-01-10", "lgsco_remedy", "Head of Service", "2025-04-30",
        "Placement reviews to record the young person's views", remedy="service_improvement")
    rec("B1", "action_dropped", "2025-03-01", action_id="B1-R4", reason="DROPPED-SECRET")
    # B6 (School Transport, 2024/25): wider learning, done 28 Mar 2025 (an improvement of 2024/25).
    act("B6", "B6-1", "2025-03-10", "learning", "School Transport", "2025-06-30",
        "Transport requests confirmed in writing within 5 working days")
    rec("B6", "action_completed", "2025-03-28", action_id="B6-1", evidence="EVIDENCE-SECRET")


@pytest.fixture(scope="module")
def log_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("report") / "year.db"
    _build(db)
    return db


@pytest.fixture(scope="module")
def reports(log_path: Path) -> dict[str, dict[str, Any]]:
    from triage import report
    from triage.log.store import DecisionLog
    from triage.rules.ruleset import load_rules

    log = DecisionLog(log_path)
    return {basis: report.build(log, load_rules(RULES), year="2024-25", basis=basis)
            for basis in ("received", "resolved")}


# ---------------------------------------------------------------------------- expected

P0 = ("0%", "0%", "0%")
# (group, label): (counts by year 2024/25, 2023/24, 2022/23; percents or None). Rows not
# listed must count 0 in every year (percent "0%"; an average None).
RECEIVED: dict[str, dict[tuple[str | None, str], tuple[tuple[Any, ...], tuple[str, ...] | None]]] = {
    "representations": {
        ("CSC representations", "Complaint"): ((3, 2, 1), None),
        ("CSC representations", "Refused"): ((1, 1, 0), None),
        ("CSC representations", "Withdrawn"): ((1, 0, 0), None),
        ("CSC representations", "Total"): ((5, 3, 1), None),
        ("Corporate representations", "Complaint"): ((2, 1, 0), None),
        ("Corporate representations", "Refused"): ((1, 0, 0), None),
        ("Corporate representations", "Total"): ((3, 1, 0), None),
        ("Other representations", "Pre-complaint"): ((0, 1, 0), None),
        ("Other representations", "Compliment"): ((0, 1, 0), None),
        ("Other representations", "GDPR, FOI or SAR"): ((1, 0, 0), None),
        ("Other representations", "Ad hoc"): ((2, 0, 0), None),
        ("Other representations", "Total other representations"): ((3, 2, 0), None),
        (None, "Total representations"): ((11, 6, 1), None),
    },
    "refusals": {
        ("Social Care Refusals", "Court Proceedings"): ((0, 1, 0), None),
        ("Social Care Refusals", "Criminal Proceedings"): ((1, 0, 0), None),
        ("Social Care Refusals", "Out of Time"): ((1, 0, 0), None),
        ("Social Care Refusals", "Total social care refusals"): ((2, 1, 0), None),
        ("Corporate Refusals", "Tribunal"): ((1, 0, 0), None),
        ("Corporate Refusals", "Total corporate refusals"): ((1, 0, 0), None),
        (None, "Total Refusals"): ((3, 1, 0), None),
    },
    "timescales": {
        ("Social Care Complaints Stage 1", "Total number of complaints"): ((2, 2, 1), None),
        ("Social Care Complaints Stage 1", "in 10 working days"): ((1, 1, 1), ("50%", "50%", "100%")),
        ("Social Care Complaints Stage 1", "in between 10 and 20 working days"): ((0, 1, 0), ("0%", "50%", "0%")),
        ("Social Care Complaints Stage 1", "in over 20 working days"): ((1, 0, 0), ("50%", "0%", "0%")),
        ("Social Care Complaints Stage 1", "average time to complete (days)"): ((17.0, 11.5, 4.0), None),
        ("Social Care Complaints Stage 1", "resolved within an agreed extension"): ((0, 1, 0), ("0%", "50%", "0%")),
        ("Social Care Complaints Stage 1", "awaiting response"): ((1, 0, 0), None),
        ("Social Care Complaints Stage 2", "Total number of complaints"): ((1, 0, 0), None),
        ("Social Care Complaints Stage 2", "in between 25 and 65 working days"): ((1, 0, 0), ("100%", "0%", "0%")),
        ("Social Care Complaints Stage 2", "average time to complete (days)"): ((30.0, None, None), None),
        ("Social Care Complaints Stage 3", "Total number of complaints"): ((1, 0, 0), None),
        ("Social Care Complaints Stage 3", "in 50 working days"): ((1, 0, 0), ("100%", "0%", "0%")),
        ("Social Care Complaints Stage 3", "average time to complete (days)"): ((38.0, None, None), None),
        ("Corporate complaints Stage 1", "Total number of complaints"): ((2, 1, 0), None),
        ("Corporate complaints Stage 1", "in 15 working days"): ((2, 0, 0), ("100%", "0%", "0%")),
        ("Corporate complaints Stage 1", "in between 15 and 25 working days"): ((0, 1, 0), ("0%", "100%", "0%")),
        ("Corporate complaints Stage 1", "average time to complete (days)"): ((4.0, 19.0, None), None),
        ("Corporate complaints Stage 2", "Total number of complaints"): ((0, 1, 0), None),
        ("Corporate complaints Stage 2", "in between 25 and 45 working days"): ((0, 1, 0), ("0%", "100%", "0%")),
        ("Corporate complaints Stage 2", "average time to complete (days)"): ((None, 30.0, None), None),
    },
    "escalations": {
        ("Social Care Complaints", "Stage 1 responses"): ((2, 2, 1), None),
        ("Social Care Complaints", "Escalated to stage 2"): ((2, 0, 0), ("100%", "0%", "0%")),
        ("Social Care Complaints", "Stage 2 responses"): ((1, 0, 0), None),
        ("Social Care Complaints", "Escalated to stage 3"): ((1, 0, 0), ("100%", "0%", "0%")),
        ("Corporate complaints", "Stage 1 responses"): ((2, 1, 0), None),
        ("Corporate complaints", "Escalated to stage 2"): ((0, 1, 0), ("0%", "100%", "0%")),
    },
    "methods": {
        (None, "E-Form"): ((6, 2, 1), ("75%", "50%", "100%")),
        (None, "Email"): ((0, 1, 0), ("0%", "25%", "0%")),
        (None, "Letter"): ((0, 1, 0), ("0%", "25%", "0%")),
        (None, "Telephone"): ((1, 0, 0), ("13%", "0%", "0%")),
        (None, "YP Complaint Form"): ((1, 0, 0), ("13%", "0%", "0%")),
        (None, "Total"): ((8, 4, 1), ("100%", "100%", "100%")),
    },
    "young_people_methods": {
        (None, "YP Complaint Form"): ((1, 0, 0), ("100%", "0%", "0%")),
        (None, "Total"): ((1, 0, 0), ("100%", "0%", "0%")),
    },
    "complainants": {
        ("Parent/Adopter", "Parent"): ((6, 4, 1), ("75%", "100%", "100%")),
        ("Parent/Adopter", "Total Parent/Adopter"): ((6, 4, 1), ("75%", "100%", "100%")),
        ("Non-Parent Relative", "Grandparent"): ((1, 0, 0), ("13%", "0%", "0%")),
        ("Non-Parent Relative", "Total Non-Parent Relative"): ((1, 0, 0), ("13%", "0%", "0%")),
        ("Service user", "Service user (young person)"): ((1, 0, 0), ("13%", "0%", "0%")),
        ("Service user", "Total Service User"): ((1, 0, 0), ("13%", "0%", "0%")),
        (None, "Total"): ((8, 4, 1), ("100%", "100%", "100%")),
    },
    "natures_social_care": {
        (None, "Conduct of Worker"): ((1, 1, 0), ("25%", "50%", "0%")),
        (None, "Poor Communication"): ((3, 1, 1), ("75%", "50%", "100%")),
        (None, "Total"): ((4, 2, 1), ("100%", "100%", "100%")),
    },
    "natures_corporate": {
        (None, "School Transport Dispute"): ((1, 0, 0), ("50%", "0%", "0%")),
        (None, "SEN - EHCP Process"): ((0, 1, 0), ("0%", "50%", "0%")),
        (None, "SEN - Funding"): ((0, 1, 0), ("0%", "50%", "0%")),
        (None, "Blank Data"): ((1, 0, 0), ("50%", "0%", "0%")),
        (None, "Total"): ((2, 2, 0), ("100%", "100%", "0%")),
    },
    "services_social_care": {
        (None, "CAST"): ((2, 2, 1), ("67%", "100%", "100%")),
        (None, "Children In Care"): ((1, 0, 0), ("33%", "0%", "0%")),
        (None, "Total"): ((3, 2, 1), ("100%", "100%", "100%")),
    },
    "services_corporate": {
        (None, "CAST"): ((1, 0, 0), ("50%", "0%", "0%")),
        (None, "SEN"): ((0, 1, 0), ("0%", "100%", "0%")),
        (None, "School Transport"): ((1, 0, 0), ("50%", "0%", "0%")),
        (None, "Total"): ((2, 1, 0), ("100%", "100%", "0%")),
    },
    "outcomes": {
        ("Statutory Social Care complaints", "Upheld"): ((0, 1, 0), ("0%", "50%", "0%")),
        ("Statutory Social Care complaints", "Partially upheld"): ((0, 1, 0), ("0%", "50%", "0%")),
        ("Statutory Social Care complaints", "Not upheld"): ((1, 0, 1), ("50%", "0%", "100%")),
        ("Statutory Social Care complaints", "No finding"): ((1, 0, 0), ("50%", "0%", "0%")),
        ("Statutory Social Care complaints", "Total"): ((2, 2, 1), ("100%", "100%", "100%")),
        ("Corporate complaints", "Upheld"): ((1, 0, 0), ("50%", "0%", "0%")),
        ("Corporate complaints", "Not upheld"): ((1, 1, 0), ("50%", "100%", "0%")),
        ("Corporate complaints", "Total"): ((2, 1, 0), ("100%", "100%", "0%")),
        ("Statutory Social Care complaints Stage 2", "Partially upheld"): ((1, 0, 0), ("100%", "0%", "0%")),
        ("Statutory Social Care complaints Stage 2", "Total"): ((1, 0, 0), ("100%", "0%", "0%")),
        ("Statutory Social Care complaints Stage 3", "Not upheld"): ((1, 0, 0), ("100%", "0%", "0%")),
        ("Statutory Social Care complaints Stage 3", "Total"): ((1, 0, 0), ("100%", "0%", "0%")),
        ("Corporate complaints Stage 2", "Upheld"): ((0, 1, 0), ("0%", "100%", "0%")),
        ("Corporate complaints Stage 2", "Total"): ((0, 1, 0), ("0%", "100%", "0%")),
    },
    "actual_outcomes": {
        ("Social Care Stage 1", "Apology"): ((0, 2, 0), None),
        ("Social Care Stage 1", "Better Communication"): ((0, 0, 1), None),
        ("Social Care Stage 1", "Explanation"): ((0, 1, 0), None),
        ("Social Care Stage 1", "Meeting Offer"): ((1, 0, 0), None),
        ("Social Care Stage 1", "Total"): ((1, 3, 1), None),
        ("Corporate Stage 1", "Explanation"): ((0, 1, 0), None),
        ("Corporate Stage 1", "Transport Arranged"): ((1, 0, 0), None),
        ("Corporate Stage 1", "Total"): ((1, 1, 0), None),
        ("Total", "Apology"): ((0, 2, 0), None),
        ("Total", "Better Communication"): ((0, 0, 1), None),
        ("Total", "Explanation"): ((0, 2, 0), None),
        ("Total", "Meeting Offer"): ((1, 0, 0), None),
        ("Total", "Transport Arranged"): ((1, 0, 0), None),
        ("Total", "Total"): ((2, 4, 1), None),
    },
    "lgsco": {
        ("LGSCO Referrals Received", "Number of referrals received by CSCT from LGSCO in period"): ((2, 0, 0), None),
        ("LGSCO Referrals Received", "Number of final decisions received from LGSCO in period"): ((1, 0, 0), None),
        ("Type of LGSCO referral", "Education / Non Social Care (LGSCO Complaint)"): ((1, 0, 0), None),
        ("Type of LGSCO referral", "Social Care (LGSCO Complaint)"): ((1, 0, 0), None),
        ("Outcome", "Closed after initial enquiries"): ((1, 0, 0), None),
        ("Outcome", "Awaiting outcome"): ((1, 0, 0), None),
    },
    "advocacy": {
        ("Advocacy", "Complaints from children and young people (including through an advocate)"): ((1, 0, 0), None),
        ("Advocacy", "Advocacy offered"): ((1, 0, 0), None),
    },
    "equality_disability": {
        (None, "No"): ((8, 3, 1), None), (None, "Yes"): ((0, 1, 0), None), (None, "Total"): ((8, 4, 1), None),
    },
    "equality_gender": {
        (None, "Male"): ((0, 1, 0), None), (None, "Female"): ((7, 3, 1), None), (None, "Other"): ((1, 0, 0), None),
        (None, "Total"): ((8, 4, 1), None),
    },
    "equality_age": {
        (None, "16 - 19"): ((1, 0, 0), None), (None, "25 - 59"): ((7, 4, 1), None), (None, "Total"): ((8, 4, 1), None),
    },
    "equality_ethnicity": {
        (None, "Asian/Asian British"): ((0, 1, 0), None), (None, "Not Stated"): ((1, 0, 0), None),
        (None, "White British"): ((7, 3, 0), None), (None, "Not recognised"): ((0, 0, 1), None),
        (None, "Total"): ((8, 4, 1), None),
    },
    "equality_sexual_orientation": {
        (None, "Gay or Lesbian"): ((0, 1, 0), None), (None, "Not Stated"): ((8, 3, 1), None),
        (None, "Total"): ((8, 4, 1), None),
    },
}


def _resolved() -> dict[str, Any]:
    """On the resolved basis: A2 moves to 2024/25 (answered 17 Apr 2024), B4 (never answered)
    drops out; a stage counts in the year it was answered."""
    out = copy.deepcopy({k: v for k, v in RECEIVED.items() if k != "learning"})
    out["representations"].update({
        ("CSC representations", "Complaint"): ((3, 1, 1), None),
        ("CSC representations", "Total"): ((5, 2, 1), None),
        (None, "Total representations"): ((11, 5, 1), None)})
    sc1 = "Social Care Complaints Stage 1"
    out["timescales"].update({
        (sc1, "Total number of complaints"): ((3, 1, 1), None),
        (sc1, "in 10 working days"): ((1, 1, 1), ("33%", "100%", "100%")),
        (sc1, "in between 10 and 20 working days"): ((1, 0, 0), ("33%", "0%", "0%")),
        (sc1, "in over 20 working days"): ((1, 0, 0), ("33%", "0%", "0%")),
        (sc1, "average time to complete (days)"): ((17.3, 5.0, 4.0), None),
        (sc1, "resolved within an agreed extension"): ((1, 0, 0), ("33%", "0%", "0%")),
        # open at the end of each year: B4 at 31 Mar 2025, A2 at 31 Mar 2024
        (sc1, "awaiting response"): ((1, 1, 0), None)})
    out["escalations"].update({
        ("Social Care Complaints", "Stage 1 responses"): ((3, 1, 1), None),
        ("Social Care Complaints", "Escalated to stage 2"): ((2, 0, 0), ("67%", "0%", "0%"))})
    out["methods"] = {
        (None, "E-Form"): ((5, 2, 1), ("63%", "67%", "100%")),
        (None, "Email"): ((1, 0, 0), ("13%", "0%", "0%")),
        (None, "Letter"): ((0, 1, 0), ("0%", "33%", "0%")),
        (None, "Telephone"): ((1, 0, 0), ("13%", "0%", "0%")),
        (None, "YP Complaint Form"): ((1, 0, 0), ("13%", "0%", "0%")),
        (None, "Total"): ((8, 3, 1), ("100%", "100%", "100%"))}
    out["complainants"] = {
        ("Parent/Adopter", "Parent"): ((7, 3, 1), ("88%", "100%", "100%")),
        ("Parent/Adopter", "Total Parent/Adopter"): ((7, 3, 1), ("88%", "100%", "100%")),
        ("Service user", "Service user (young person)"): ((1, 0, 0), ("13%", "0%", "0%")),
        ("Service user", "Total Service User"): ((1, 0, 0), ("13%", "0%", "0%")),
        (None, "Total"): ((8, 3, 1), ("100%", "100%", "100%"))}
    out["natures_social_care"] = {
        (None, "Conduct of Worker"): ((2, 0, 0), ("50%", "0%", "0%")),
        (None, "Poor Communication"): ((2, 1, 1), ("50%", "100%", "100%")),
        (None, "Total"): ((4, 1, 1), ("100%", "100%", "100%"))}
    out["services_social_care"] = {
        (None, "CAST"): ((2, 1, 1), ("67%", "100%", "100%")),
        (None, "Children In Care"): ((1, 0, 0), ("33%", "0%", "0%")),
        (None, "Total"): ((3, 1, 1), ("100%", "100%", "100%"))}
    ssc = "Statutory Social Care complaints"
    out["outcomes"].update({
        (ssc, "Upheld"): ((0, 1, 0), ("0%", "100%", "0%")),
        (ssc, "Partially upheld"): ((1, 0, 0), ("33%", "0%", "0%")),
        (ssc, "Not upheld"): ((1, 0, 1), ("33%", "0%", "100%")),
        (ssc, "No finding"): ((1, 0, 0), ("33%", "0%", "0%")),
        (ssc, "Total"): ((3, 1, 1), ("100%", "100%", "100%"))})
    out["actual_outcomes"].update({
        ("Social Care Stage 1", "Apology"): ((1, 1, 0), None),
        ("Social Care Stage 1", "Explanation"): ((1, 0, 0), None),
        ("Social Care Stage 1", "Total"): ((3, 1, 1), None),
        ("Total", "Apology"): ((1, 1, 0), None),
        ("Total", "Explanation"): ((1, 1, 0), None),
        ("Total", "Total"): ((4, 2, 1), None)})
    out["equality_disability"] = {
        (None, "No"): ((7, 3, 1), None), (None, "Yes"): ((1, 0, 0), None), (None, "Total"): ((8, 3, 1), None)}
    out["equality_gender"] = {
        (None, "Male"): ((1, 0, 0), None), (None, "Female"): ((6, 3, 1), None), (None, "Other"): ((1, 0, 0), None),
        (None, "Total"): ((8, 3, 1), None)}
    out["equality_age"] = {
        (None, "16 - 19"): ((1, 0, 0), None), (None, "25 - 59"): ((7, 3, 1), None), (None, "Total"): ((8, 3, 1), None)}
    out["equality_ethnicity"] = {
        (None, "Asian/Asian British"): ((1, 0, 0), None), (None, "Not Stated"): ((1, 0, 0), None),
        (None, "White British"): ((6, 3, 0), None), (None, "Not recognised"): ((0, 0, 1), None),
        (None, "Total"): ((8, 3, 1), None)}
    out["equality_sexual_orientation"] = {
        (None, "Gay or Lesbian"): ((1, 0, 0), None), (None, "Not Stated"): ((7, 3, 1), None),
        (None, "Total"): ((8, 3, 1), None)}
    return out


def _learning(basis: str) -> dict[tuple[str | None, str], tuple[tuple[Any, ...], tuple[str, ...] | None]]:
    """The `learning` table, counted by hand from the nine actions of ``_build``."""
    def five(group: str, agreed: tuple[int, ...], done: tuple[int, ...], dropped: tuple[int, ...],
             still: tuple[int, ...]) -> dict[tuple[str | None, str], tuple[tuple[Any, ...], tuple[str, ...] | None]]:
        from triage.report.table import percent

        def pct(part: tuple[int, ...]) -> tuple[str, ...]:
            return tuple(percent(p, a) for p, a in zip(part, agreed))
        not_done = tuple(d + o for d, o in zip(dropped, still))
        return {(group, "Actions agreed"): (agreed, None), (group, "Implemented"): (done, pct(done)),
                (group, "Not implemented"): (not_done, pct(not_done)),
                (group, "of which dropped"): (dropped, pct(dropped)), (group, "of which still open"): (still, pct(still))}

    received = basis == "received"
    out = {}
    # complaint findings: A1-1 (done) and A2-1 (dropped; 2023/24 received, 2024/25 resolved)
    out.update(five("From complaint findings", (0, 2, 0) if received else (1, 1, 0), (0, 1, 0),
                    (0, 1, 0) if received else (1, 0, 0), (0, 0, 0)))
    # B1's four remedies: two done, one dropped, one open
    out.update(five("Ombudsman remedies", (4, 0, 0), (2, 0, 0), (1, 0, 0), (1, 0, 0)))
    # D1-1 (open, 2022/23), A1-2 (done, 2023/24), B6-1 (done, 2024/25)
    out.update(five("Wider learning", (1, 1, 1), (1, 1, 0), (0, 0, 0), (0, 0, 1)))
    # CAST: D1-1, A1-1, A1-2, A2-1
    out.update(five("CAST", (0, 3, 1) if received else (1, 2, 1), (0, 2, 0),
                    (0, 1, 0) if received else (1, 0, 0), (0, 0, 1)))
    out.update(five("Children In Care", (4, 0, 0), (2, 0, 0), (1, 0, 0), (1, 0, 0)))
    out.update(five("School Transport", (1, 0, 0), (1, 0, 0), (0, 0, 0), (0, 0, 0)))
    out.update(five("All actions", (5, 3, 1) if received else (6, 2, 1), (3, 2, 0),
                    (1, 1, 0) if received else (2, 0, 0), (1, 0, 1)))
    # remedies due in 2024/25: B1-R1 on time, B1-R2 late, B1-R3 outstanding (B1-R4 is due in 2025/26)
    g = "Ombudsman remedies due in the year"
    third = ("33%", "0%", "0%")
    out.update({(g, "Remedies due"): ((3, 0, 0), None), (g, "Met on time"): ((1, 0, 0), third),
                (g, "Met late"): ((1, 0, 0), third), (g, "Outstanding"): ((1, 0, 0), third)})
    return out


RECEIVED["learning"] = _learning("received")
EXPECTED = {"received": RECEIVED, "resolved": {**_resolved(), "learning": _learning("resolved")}}
TABLE_IDS = ["representations", "refusals", "timescales", "methods", "young_people_methods", "complainants",
             "natures_social_care", "natures_corporate", "services_social_care", "services_corporate", "outcomes",
             "actual_outcomes", "lgsco", "learning", "advocacy", "equality_disability", "equality_gender", "equality_age",
             "equality_ethnicity", "equality_sexual_orientation"]


# ---------------------------------------------------------------------------- counting


def test_every_contract_table_is_there(reports: dict[str, Any]) -> None:
    """The JSON has CONTRACT section 5's shape and every table id it lists."""
    r = reports["received"]
    assert (r["year"], r["basis"], r["years"]) == ("2024/25", "received", YEARS)
    assert r["period"] == {"from": "2024-04-01", "to": "2025-03-31"}
    ids = [t["id"] for t in r["tables"]]
    assert set(TABLE_IDS) <= set(ids) and len(ids) == len(set(ids))
    for t in r["tables"]:
        assert t["title"] and t["rows"]
        for row in t["rows"]:
            assert set(row) == {"group", "label", "counts", "percents"}
            assert list(row["counts"]) == YEARS
            assert list(row["percents"]) in ([], YEARS)


@pytest.mark.parametrize("basis", ["received", "resolved"])
@pytest.mark.parametrize("table_id", sorted(set(TABLE_IDS) | {"escalations"}))
def test_every_cell(reports: dict[str, Any], basis: str, table_id: str) -> None:
    """Every count, percentage, average and band of every table is the hand count, on both bases."""
    table = next(t for t in reports[basis]["tables"] if t["id"] == table_id)
    expected = EXPECTED[basis][table_id]
    seen = set()
    for row in table["rows"]:
        key = (row["group"], row["label"])
        assert key not in seen, f"{key} twice"
        seen.add(key)
        counts = tuple(row["counts"][y] for y in YEARS)
        if key in expected:
            want_counts, want_percents = expected[key]
            assert counts == want_counts, f"{table_id} {key}: {counts} != {want_counts}"
            if want_percents is not None:
                assert tuple(row["percents"][y] for y in YEARS) == want_percents, f"{table_id} {key} percents"
            elif "average" not in row["label"]:
                assert row["percents"] in ({}, dict(zip(YEARS, P0))), f"{table_id} {key} percents"
        else:
            zero = (None, None, None) if row["label"].startswith("average") else (0, 0, 0)
            assert counts == zero, f"{table_id} {key}: {counts}, expected nothing counted"
            assert row["percents"] in ({}, dict(zip(YEARS, P0))), f"{table_id} {key} percents"
    assert set(expected) <= seen, f"{table_id}: rows missing: {set(expected) - seen}"


def test_rows_are_the_seeds(reports: dict[str, Any]) -> None:
    """Groups and row labels are the seed's, in the seed's order (seed 001 table 1, seed 000 tables 1, 2, 12-20)."""
    tables = {t["id"]: t for t in reports["received"]["tables"]}

    def labels(tid: str, group: Any = ...) -> list[str]:
        return [r["label"] for r in tables[tid]["rows"] if group is ... or r["group"] == group]

    assert labels("representations", "CSC representations") == ["Complaint", "Refused", "Withdrawn", "Total"]
    assert labels("representations", "Other representations") == [
        "Area initiated complaint", "Pre-complaint", "Professional to Professional Complaint", "HSCP", "LGSCO",
        "Local Response / case concern", "Compliment", "GDPR, FOI or SAR", "Ad hoc", "Call back requests",
        "Total other representations"]
    assert labels("representations")[-1] == "Total representations"
    assert labels("refusals", "Social Care Refusals") == [
        "Court Proceedings", "Criminal Proceedings", "No PR", "Not in Best Interest of Child/YP and/or no consent",
        "Out of Time", "Outside of Remit", "Repeat Complaint", "Tribunal", "Complainant not providing information",
        "Total social care refusals"]
    assert labels("refusals", "Corporate Refusals")[:3] == ["No PR", "Not in Best Interest of Child/YP and/or no consent",
                                                            "Out of Remit"]
    assert labels("refusals")[-1] == "Total Refusals"
    assert labels("timescales", "Social Care Complaints Stage 1") == [
        "Total number of complaints", "in 10 working days", "in between 10 and 20 working days",
        "in over 20 working days", "average time to complete (days)", "resolved within an agreed extension",
        "awaiting response"]
    assert labels("timescales", "Social Care Complaints Stage 3") == [
        "Total number of complaints", "in 50 working days", "in over 50 working days",
        "average time to complete (days)", "awaiting response"]
    assert [g for g in dict.fromkeys(r["group"] for r in tables["timescales"]["rows"])] == [
        "Social Care Complaints Stage 1", "Social Care Complaints Stage 2", "Social Care Complaints Stage 3",
        "Corporate complaints Stage 1", "Corporate complaints Stage 2"]
    assert labels("outcomes", "Statutory Social Care complaints") == [
        "Upheld", "Partially upheld", "Not upheld", "No finding", "Total"]
    assert labels("methods")[:3] == ["Complaint Form", "E-Form", "Email"]
    assert labels("complainants", "Parent/Adopter") == [
        "Parent", "Non-Resident Parent", "Adopter", "Special Guardian (SGO)", "Ex-Partner", "Partner", "Step-Parent",
        "Total Parent/Adopter"]
    assert labels("equality_age") == ["0 - 16", "16 - 19", "20 - 24", "25 - 59", "60 - 64", "65 and over",
                                      "Not Stated", "Total"]
    assert labels("lgsco", "Type of LGSCO referral") == [
        "Education / Non Social Care (LGSCO Complaint)", "Social Care (LGSCO Complaint)", "Not Known"]


def test_corporate_bands_follow_the_settings(log_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A council counting corporate timescales from receipt (seed 000: 10/20 and 20/40) gets those bands."""
    from triage import report
    from triage.log.store import DecisionLog
    from triage.rules.ruleset import load_rules

    rules_dir = tmp_path / "rules"
    shutil.copytree(RULES, rules_dir)
    monkeypatch.setenv("TRIAGE_TEMPLATES", str(RULES.parent / "templates" / "letters"))
    settings = (rules_dir / "settings.yaml").read_text()
    settings = settings.replace("extension: 10, from: acknowledgement", "extension: 10, from: receipt")
    settings = settings.replace("extension: 20, from: acknowledgement", "extension: 20, from: receipt")
    (rules_dir / "settings.yaml").write_text(settings)
    r = report.build(DecisionLog(log_path), load_rules(rules_dir), year="2023/24", years=1)
    rows = {(x["group"], x["label"]): x["counts"]["2023/24"] for x in r["tables"][2]["rows"]}
    # A3: stage 1 in 19 working days (between 10 and 20), stage 2 in 30 (between 20 and 40)
    assert rows[("Corporate complaints Stage 1", "in between 10 and 20 working days")] == 1
    assert rows[("Corporate complaints Stage 2", "in between 20 and 40 working days")] == 1
    assert r["years"] == ["2023/24"]


# ---------------------------------------------------------------------------- formatting


@pytest.mark.parametrize("count,total,expected", [
    (0, 10, "0%"), (1, 0, "0%"), (1, 8, "13%"), (2, 3, "67%"), (5, 5, "100%"), (1, 200, "1%"),
    (1, 201, "<1%"), (2, 1035, "<1%"), (14, 1035, "1%"), (348, 1035, "34%"), (995, 1000, "100%"), (1, 3, "33%")])
def test_percent_as_the_seeds_print_it(count: int, total: int, expected: str) -> None:
    """Whole numbers rounded half up; "<1%" for a non-zero share under 0.5% (seed 000 table 3)."""
    from triage.report import percent

    assert percent(count, total) == expected


@pytest.mark.parametrize("value,label", [("2024-25", "2024/25"), ("2024/25", "2024/25"), (" 1999-00 ", "1999/00")])
def test_year_accepted(value: str, label: str) -> None:
    """A financial year is written 2024-25 or 2024/25."""
    from triage.report import parse_year

    assert parse_year(value).label == label


@pytest.mark.parametrize("value", ["2024/26", "2024", "24-25", "2024-2025", "FY2024", ""])
def test_year_refused(value: str) -> None:
    """Anything else is a usage error (exit 2) that says how to write it."""
    from triage.contract.errors import UsageError
    from triage.report import parse_year

    with pytest.raises(UsageError) as exc:
        parse_year(value)
    assert exc.value.exit_code == 2
    assert str(exc.value) == (f"--year: {value!r} is not a financial year; write it as 2024-25 or 2024/25 "
                              "(1 April 2024 to 31 March 2025)")


def test_suppression(log_path: Path) -> None:
    """--suppress-below K shows counts 1 to K-1 as "<K" (their percentages as [c]); 0, K and up stay."""
    from triage import report
    from triage.log.store import DecisionLog
    from triage.rules.ruleset import load_rules

    r = report.build(DecisionLog(log_path), load_rules(RULES), year="2024-25", suppress_below=5)
    methods = {x["label"]: x for x in next(t for t in r["tables"] if t["id"] == "methods")["rows"]}
    assert methods["E-Form"]["counts"] == {"2024/25": 6, "2023/24": "<5", "2022/23": "<5"}
    assert methods["E-Form"]["percents"] == {"2024/25": "75%", "2023/24": "[c]", "2022/23": "[c]"}
    assert methods["Email"]["counts"] == {"2024/25": 0, "2023/24": "<5", "2022/23": 0}
    assert methods["Total"]["counts"] == {"2024/25": 8, "2023/24": "<5", "2022/23": "<5"}
    times = {x["label"]: x for x in r["tables"][2]["rows"] if x["group"] == "Social Care Complaints Stage 1"}
    assert times["average time to complete (days)"]["counts"]["2024/25"] == 17.0  # not a count
    assert r["suppress_below"] == 5
    assert any("<5" in n for n in r["notes"])
    for fmt in ("md", "html"):
        text = report.write(r, fmt, None, load_rules(RULES))
        assert "&lt;5" in text if fmt == "html" else "<5" in text


def _table(parts: dict[str, list[int]]) -> Any:
    """A Table of one year: each group's parts, its total, and a grand total of the groups."""
    from triage.report import FinancialYear, Table

    t = Table("t", "T", [FinancialYear(2024)])
    totals = [t.total(g, "Total", [t.add(g, str(n), {2024: v}) for n, v in enumerate(vs)]) for g, vs in parts.items()]
    t.total(None, "Grand total", totals)
    return t


def _shown(t: Any) -> list[Any]:
    return [r["counts"]["2024/25"] for r in t.to_json(5)["rows"]]


def test_secondary_suppression() -> None:
    """A hidden count that a total would reveal takes the smallest other count in the sum with it
    ([c]), up and down the sums, so no sum has exactly one hidden count."""
    # 8 = 6 + 2 + 0: the 2 alone could be worked out, so the 6 is hidden too.
    assert _shown(_table({"A": [6, 2, 0]})) == ["[c]", "<5", 0, 8, 8]
    # two small counts hide each other; nothing more is needed
    assert _shown(_table({"A": [6, 2, 1]})) == [6, "<5", "<5", 9, 9]
    # A's total is small: at the grand total it is the only hidden count, so B's total goes, and then
    # within B the smallest part (the first of equals).
    assert _shown(_table({"A": [2, 1], "B": [6, 6]})) == ["<5", "<5", "<5", "[c]", 6, "[c]", 15]
    # nothing to hide: nothing hidden
    assert _shown(_table({"A": [0, 5]})) == [0, 5, 5, 5]


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from("ABCD"), st.lists(st.integers(0, 12), min_size=1, max_size=5), min_size=1),
       st.integers(2, 10))
def test_suppression_never_leaves_a_count_to_work_out(parts: dict[str, list[int]], below: int) -> None:
    """For any two-level table: every count from 1 to K-1 is hidden, no 0 is, and no sum is left
    with exactly one hidden count while another non-zero count could be hidden with it."""
    t = _table(parts)
    values = [r["values"][2024] for r in t.rows]
    hidden = t.hidden(2024, below)
    assert {i for i, v in enumerate(values) if 0 < v < below} <= set(hidden)
    assert all(values[i] > 0 for i in hidden)
    for total, cells in t.sums:
        group = [total, *cells]
        if sum(i in hidden for i in group) == 1:
            assert not [i for i in group if i not in hidden and values[i]]


def test_every_declared_sum_adds_up_and_hides_safely(log_path: Path) -> None:
    """In every table of the report, each row declared a sum of others is their sum, in every year,
    and with suppression no sum is left with a single hidden count it could reveal."""
    from triage import report
    from triage.log.store import DecisionLog
    from triage.report.build import _Builder
    from triage.rules.ruleset import load_rules

    years = [report.FinancialYear(y) for y in (2024, 2023, 2022)]
    for basis in ("received", "resolved"):
        tables = _Builder(DecisionLog(log_path), load_rules(RULES), years, basis).tables()
        assert sum(len(t.sums) for t in tables) > 40
        for t in tables:
            for y in years:
                values = [r["values"][y.start] for r in t.rows]
                for total, parts in t.sums:
                    assert values[total] == sum(values[i] for i in parts), (t.id, t.rows[total]["label"], y.label)
                for below in (2, 3, 5, 10):
                    hidden = t.hidden(y.start, below)
                    for total, parts in t.sums:
                        cells = [total, *parts]
                        alone = sum(i in hidden for i in cells) == 1
                        assert not alone or not [i for i in cells if i not in hidden and values[i]], (t.id, y.label)


# ---------------------------------------------------------------------------- documents


def _documents(reports: dict[str, Any], tmp_path: Path) -> dict[str, str]:
    from triage import report
    from triage.rules.ruleset import load_rules

    rules = load_rules(RULES)
    out = {}
    for basis, r in reports.items():
        for fmt in ("json", "md", "html"):
            out[f"{basis}.{fmt}"] = report.write(r, fmt, None, rules)
        for path in report.write(r, "csv", tmp_path / f"csv-{basis}", rules):
            out[f"{basis}/{path.name}"] = path.read_text(encoding="utf-8")
    return out


def test_no_personal_data_in_any_format(reports: dict[str, Any], tmp_path: Path) -> None:
    """Names, contact details, summaries, references, officers' reasons and unmatched free text
    appear in no format (GBFC 5.6.1: no identifiable information about any complainant)."""
    docs = _documents(reports, tmp_path)
    assert len(docs) == 2 * (3 + len(reports["received"]["tables"]) + 1)  # + improvements.csv
    for name, text in docs.items():
        for word in PERSONAL:
            assert word not in text, f"{word!r} appears in {name}"


def test_one_csv_per_table(reports: dict[str, Any], tmp_path: Path) -> None:
    """--format csv writes <table id>.csv for every table, one row per label and year (long form for Power BI)."""
    from triage import report

    r = reports["received"]
    paths = report.write(r, "csv", tmp_path / "csv")
    assert sorted(p.name for p in paths) == sorted([f"{t['id']}.csv" for t in r["tables"]] + ["improvements.csv"])
    assert (tmp_path / "csv" / "improvements.csv").read_text(encoding="utf-8").splitlines() == [
        "year,service,source,improvement",
        "2024/25,CAST,Wider learning,Call-back standard of two working days for CAST",
        "2024/25,School Transport,Wider learning,Transport requests confirmed in writing within 5 working days"]
    with (tmp_path / "csv" / "methods.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["table_id", "table", "row", "group", "label", "year", "count", "percent"]
    table = next(t for t in r["tables"] if t["id"] == "methods")
    assert len(rows) == len(table["rows"]) * 3
    eform = [x for x in rows if x["label"] == "E-Form"]
    assert [(x["year"], x["count"], x["percent"]) for x in eform] == [
        ("2024/25", "6", "75%"), ("2023/24", "2", "50%"), ("2022/23", "1", "100%")]


def test_markdown_golden(reports: dict[str, Any]) -> None:
    """The Markdown report matches the golden file (regenerate on purpose: UPDATE_GOLDEN=1)."""
    from triage import report

    text = report.write(reports["received"], "md")
    path = GOLDEN / "fixture-2024-25-received.md"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), "no golden file: run UPDATE_GOLDEN=1 pytest tests/test_report.py"
    assert text == path.read_text(encoding="utf-8")


def test_html_is_self_contained(reports: dict[str, Any]) -> None:
    """The HTML has every table, inline SVG charts, print styles, and nothing fetched from elsewhere."""
    from triage import report
    from triage.rules.ruleset import load_rules

    html = report.write(reports["received"], "html", None, load_rules(RULES))
    assert html.startswith("<!doctype html>")
    for t in reports["received"]["tables"]:
        assert f'id="{t["id"]}"' in html
    # representation mix, two timescale charts, actions by source, remedies by year, top natures x2
    assert html.count("<svg") == 7
    assert "@media print" in html and "<script" not in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in html
    assert "Headline figures" in html and "Total representations" in html


def test_charts_never_draw_a_hidden_count(log_path: Path) -> None:
    """With suppression, a share bar with a hidden part is not drawn and says so, the mix bars end
    with the total as the table prints it, and no segment stands for a hidden count."""
    from triage import report
    from triage.log.store import DecisionLog
    from triage.report.charts import HIDDEN, charts
    from triage.rules.ruleset import load_rules

    r = report.build(DecisionLog(log_path), load_rules(RULES), year="2024-25", suppress_below=3)
    drawn = {c["title"]: c for c in charts(r)}
    totals = next(t for t in r["tables"] if t["id"] == "representations")["rows"][-1]["counts"]
    assert [b["value"] for b in drawn["Representation mix by year"]["bars"]] == [str(totals[y]) for y in YEARS]
    assert totals["2022/23"] == "<3"
    times = drawn["Social care stage 1: response times by year"]["bars"]
    assert all(b["value"] == HIDDEN and not b["segments"] for b in times)
    for chart in drawn.values():
        for bar in chart["bars"]:
            assert all("<" not in s["title"] and "[c]" not in s["title"] for s in bar["segments"])


def test_html_escapes_labels(reports: dict[str, Any]) -> None:
    """Labels are escaped (autoescape): a council's label with markup shows as text."""
    from triage import report
    from triage.rules.ruleset import load_rules

    r = copy.deepcopy(reports["received"])
    r["tables"][0]["rows"][0]["label"] = "<b>Complaint</b>"
    html = report.write(r, "html", None, load_rules(RULES))
    assert "&lt;b&gt;Complaint&lt;/b&gt;" in html and "<b>Complaint</b>" not in html


def test_headlines_give_the_change_on_last_year(reports: dict[str, Any]) -> None:
    """Headline figures compare the year with the one before, as seed 001's summary does."""
    from triage.report.render import headlines

    h = {x["label"]: x for x in headlines(reports["received"])}
    assert h["Representations"] == {"label": "Representations", "value": "11", "previous": "6", "change": "+83%"}
    assert h["Social care stage 1 answered within 10 working days"]["value"] == "50%"
    assert h["Social care stage 1 average working days"]["change"] == "+5.5 days"


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed (apt-get install chromium)")
def test_html_renders_in_a_browser(reports: dict[str, Any], tmp_path: Path) -> None:
    """Headless Chromium opens the HTML and takes a screenshot of the first page."""
    from triage import report
    from triage.rules.ruleset import load_rules

    page = tmp_path / "report.html"
    report.write(reports["received"], "html", page, load_rules(RULES))
    shot = tmp_path / "report.png"
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1200,2000",
                    page.as_uri()], check=True, capture_output=True, timeout=120)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1200, 2000)
    assert len(data) > 20_000  # a page with text and charts, not a blank one
    if os.environ.get("REPORT_SCREENSHOT"):
        shutil.copy(shot, os.environ["REPORT_SCREENSHOT"])


# ---------------------------------------------------------------------------- the command


@pytest.fixture
def cli_run(run: Any) -> Any:
    from triage import cli
    from triage.cli import report as cli_report

    if "report" not in cli.cli.commands:  # cli.py registers it; harmless when it already has
        cli_report.register(cli.cli)
    return run


def test_command_prints_json(cli_run: Any, log_path: Path, tmp_path: Path) -> None:
    """`triage report --year 2024-25` prints the JSON of CONTRACT section 5."""
    db = tmp_path / "copy.db"
    shutil.copy(log_path, db)
    result = cli_run(f"--db={db}", "report", "--year", "2024-25", "--years", "2", use_db=False)
    assert result.code == 0, result.err
    data = result.json()
    assert data["years"] == ["2024/25", "2023/24"] and data["basis"] == "received"


def test_command_writes_files(cli_run: Any, log_path: Path, tmp_path: Path) -> None:
    """--format html|md|csv --out PATH writes the document (csv: a directory of files)."""
    db = tmp_path / "copy.db"
    shutil.copy(log_path, db)
    for fmt, out in (("html", tmp_path / "r.html"), ("md", tmp_path / "r.md"), ("csv", tmp_path / "csv")):
        result = cli_run(f"--db={db}", "report", "--year", "2024/25", "--basis", "resolved", "--format", fmt,
                         "--out", str(out), "--suppress-below", "3", use_db=False)
        assert result.code == 0, result.err
        assert out.exists()
    assert len(list((tmp_path / "csv").glob("*.csv"))) >= len(TABLE_IDS)


def test_command_bad_year_exits_2(cli_run: Any) -> None:
    """A year written any other way exits 2 with the fix."""
    result = cli_run("report", "--year", "2024/2025")
    assert result.code == 2
    assert result.err == ("error: --year: '2024/2025' is not a financial year; write it as 2024-25 or 2024/25 "
                          "(1 April 2024 to 31 March 2025)\n")


def test_command_csv_needs_a_directory(cli_run: Any) -> None:
    """--format csv without --out is a usage error (one file per table cannot go to standard output)."""
    result = cli_run("report", "--year", "2024-25", "--format", "csv")
    assert result.code == 2
    assert "give --out DIR" in result.err


def test_command_has_help(cli_run: Any) -> None:
    """`triage report --help` documents every option."""
    result = cli_run("report", "--help")
    assert result.code == 0
    for option in ("--year", "--years", "--basis", "--format", "--out", "--suppress-below"):
        assert option in result.out


def test_empty_log(tmp_path: Path) -> None:
    """A new log gives every table with nothing counted (no error, no division by zero)."""
    from triage import report
    from triage.log.store import DecisionLog
    from triage.rules.ruleset import load_rules

    r = report.build(DecisionLog(tmp_path / "empty.db"), load_rules(RULES), year="2024-25")
    assert {t["id"] for t in r["tables"]} >= set(TABLE_IDS)
    total = next(t for t in r["tables"] if t["id"] == "representations")["rows"][-1]
    assert total["counts"] == {"2024/25": 0, "2023/24": 0, "2022/23": 0}
    assert report.write(r, "html", None, load_rules(RULES)).count("<svg") >= 3


def test_one_connection_gives_the_same_report(log_path: Path, reports: dict[str, Any]) -> None:
    """The two statements run at once on two connections; run one after the other (any object
    with the log's query()) they give the same report."""
    from triage import report
    from triage.log.store import DecisionLog
    from triage.rules.ruleset import load_rules

    class Reader:
        def __init__(self, log: DecisionLog) -> None:
            self.log = log

        def query(self, sql: str, params: Any = None) -> Any:
            return self.log.query(sql, params)

    for basis in ("received", "resolved"):
        assert report.build(Reader(DecisionLog(log_path)), load_rules(RULES), year="2024-25",
                            basis=basis) == reports[basis]


@pytest.mark.parametrize("python", ["real", "missing", "failing"])
def test_second_statement_in_a_process_gives_the_same_report(
        log_path: Path, reports: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, python: str) -> None:
    """On a large log the tables are first read by many readers at once, and the second
    statement runs in a worker process; the report is the same, and if the process cannot start
    or fails, the statement runs in this process instead."""
    import stat
    import sys

    from triage import report
    from triage.log.store import DecisionLog
    from triage.report import sql as report_sql
    from triage.report import worker as report_worker
    from triage.rules.ruleset import load_rules

    monkeypatch.setattr(report_worker, "PROCESS_FROM", 0)
    monkeypatch.setattr(report_worker, "_in_cache", lambda log, size: False)  # as if read from disk
    if python == "missing":
        monkeypatch.setattr(sys, "executable", str(tmp_path / "no-such-python"))
    elif python == "failing":
        fake = tmp_path / "python"
        fake.write_text("#!/bin/sh\necho 'it broke' >&2\nexit 1\n")
        fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
        monkeypatch.setattr(sys, "executable", str(fake))
    calls: list[str] = []  # the statements run in this process (the warm-up's and the report's)
    real_query, real_count = report_worker.query, report_worker.count
    monkeypatch.setattr(report_worker, "query", lambda *a: calls.append(a[1]) or real_query(*a))
    monkeypatch.setattr(report_worker, "count", lambda *a: calls.append(a[1]) or real_count(*a))
    for basis in ("received", "resolved"):
        assert report.build(DecisionLog(log_path), load_rules(RULES), year="2024-25", basis=basis) == reports[basis]
    here = [sql for sql in calls
            if sql in (report_sql.per_reference("received"), report_sql.per_reference("resolved"))]
    assert len(here) == (0 if python == "real" else 2)
    assert len(calls) - len(here) > 2 * report_worker.READERS  # the warm-up, before each report


def test_the_page_cache_probe_reads_the_log(log_path: Path) -> None:
    """The probe deciding whether to warm the cache runs on any log and answers yes or no (its
    answer depends on the disk's speed, so only its form is pinned here)."""
    from triage.log.store import DecisionLog
    from triage.report import worker as report_worker

    log = DecisionLog(log_path)
    assert report_worker._in_cache(log, log.count()) in (True, False)


def test_worker_runs_a_statement(log_path: Path) -> None:
    """`python -m triage.report.worker`: the request as JSON in, the rows as JSON out."""
    import sys

    request = json.dumps({"path": str(log_path), "sql": "SELECT count(*) AS n FROM decision_codes WHERE seq > :s",
                          "params": {"s": 0}})
    done = subprocess.run([sys.executable, "-m", "triage.report.worker"], input=request, capture_output=True,
                          text=True, check=True)
    from triage.log.store import DecisionLog

    assert json.loads(done.stdout) == [{"n": DecisionLog(log_path).count()}]


@pytest.mark.parametrize("basis", ["received", "resolved"])
def test_improvements_implemented_in_the_year(reports: dict[str, Any], basis: str) -> None:
    """The service improvements completed in 2024/25 (A1-2 and B6-1; B1-R4 was dropped), on both bases."""
    assert reports[basis]["improvements"] == [
        {"service": "CAST", "source": "Wider learning", "improvement": "Call-back standard of two working days for CAST"},
        {"service": "School Transport", "source": "Wider learning",
         "improvement": "Transport requests confirmed in writing within 5 working days"}]


_DAY = st.dates(min_value=__import__("datetime").date(2022, 4, 1), max_value=__import__("datetime").date(2025, 3, 31))


@st.composite
def _action(draw: Any) -> dict[str, Any]:
    agreed = draw(_DAY)
    from datetime import timedelta

    year = timedelta(days=365)  # not .replace(year=...), which fails on 29 February
    received = draw(st.dates(min_value=agreed - year, max_value=agreed))
    due = draw(st.dates(min_value=agreed, max_value=agreed + year))
    fate = draw(st.sampled_from(["open", "completed", "dropped"]))
    done = draw(st.dates(min_value=agreed, max_value=agreed + year)).isoformat()
    return {"reference": "X", "action_id": "X", "agreed": agreed.isoformat(), "received": received.isoformat(),
            "source": draw(st.sampled_from(["complaint_finding", "lgsco_remedy", "learning"])),
            "remedy": None, "due": due.isoformat(), "improvement": None,
            "service": draw(st.sampled_from(["CAST", "SEN", "Children In Care", None, "Not a service"])),
            "completed": done if fate == "completed" else None, "dropped": done if fate == "dropped" else None}


@settings(max_examples=60, deadline=None)
@given(st.lists(_action(), max_size=25), st.sampled_from(["received", "resolved"]))
def test_the_learning_table_always_adds_up(actions: list[dict[str, Any]], basis: str) -> None:
    """For any actions: agreed = implemented + not implemented = implemented + dropped + still open in every
    group and year; sources and services each sum to all actions; each action counts once, in its year."""
    from types import SimpleNamespace

    from triage.report.table import FinancialYear, Table
    from triage.report.tables import learning
    from triage.rules.ruleset import load_rules

    years = [FinancialYear(2024), FinancialYear(2023), FinancialYear(2022)]
    b = SimpleNamespace(actions=actions, basis=basis, years=years, tax=load_rules(RULES).taxonomy,
                        table=lambda id_, title, note=None: Table(id_, title, years, note))
    rows = learning(b).to_json(None)["rows"]
    cells: dict[tuple[Any, str], dict[str, int]] = {(r["group"], r["label"]): r["counts"] for r in rows}
    groups = list(dict.fromkeys(r["group"] for r in rows if r["label"] == "Actions agreed"))
    sources = ["From complaint findings", "Ombudsman remedies", "Wider learning"]
    for y in YEARS:
        for g in groups:
            agreed, done, not_done = (cells[(g, k)][y] for k in ("Actions agreed", "Implemented", "Not implemented"))
            assert agreed == done + not_done
            assert not_done == cells[(g, "of which dropped")][y] + cells[(g, "of which still open")][y]
        every = cells[("All actions", "Actions agreed")][y]
        assert every == sum(cells[(g, "Actions agreed")][y] for g in sources)
        assert every == sum(cells[(g, "Actions agreed")][y] for g in groups if g not in sources + ["All actions"])
        start = int(y[:4])
        anchor = "received" if basis == "received" else "agreed"
        assert every == sum(1 for a in actions if f"{start}-04-01" <= a[anchor] <= f"{start + 1}-03-31")
        g = "Ombudsman remedies due in the year"
        assert cells[(g, "Remedies due")][y] == sum(cells[(g, k)][y] for k in ("Met on time", "Met late", "Outstanding",
                                                                                 "Dropped"))
