"""The fixed vocabulary of the public contract (docs/reference.md).

These values are part of the interface the eForm backend and the reports depend on, so
they live in code; everything a council may change (taxonomy labels, timescales, which
functions qualify) lives in ``rules/``.
"""

from __future__ import annotations

RECEIVED_VIA = (
    "eform", "email", "letter", "telephone", "in_person", "complaint_form", "young_person_form",
    "via_lgsco", "contact_centre_email", "contact_centre_telephone", "via_director", "other",
)

KINDS = (
    "complaint", "compliment", "foi_request", "subject_access_request", "call_back_request",
    "lgsco_enquiry", "member_enquiry", "professional_concern", "enquiry",
)

RELATIONSHIPS = (
    "child", "young_person", "care_leaver", "parent", "non_resident_parent", "adopter",
    "prospective_adopter", "birth_parent_of_adopted_child", "special_guardian", "step_parent",
    "partner", "ex_partner", "grandparent", "sibling", "other_relative", "foster_carer",
    "private_foster_carer", "prospective_foster_carer", "direct_payment_carer", "advocate",
    "head_teacher", "health_staff", "other_agency", "council_staff", "other_professional",
    "friend_neighbour", "mp", "councillor", "service_user_adult", "other", "unknown",
)

FUNCTIONS = (
    "child_in_need", "disabled_children", "family_support", "accommodation_s20", "looked_after",
    "leaving_care", "foster_carer_support", "care_proceedings", "care_order",
    "contact_with_child_in_care", "supervision_order", "child_assessment_order",
    "emergency_protection_order", "child_protection_enquiry", "child_protection_conference",
    "court_report", "fostering_approval", "adoption_agency", "adoption_support",
    "adoption_approval", "special_guardianship_support", "sen", "school_transport",
    "school_admissions", "education_other", "libraries", "catering", "information_governance",
    "complaint_handling", "other_council_service", "not_council",
)

OUTSIDE_COUNCIL = ("school", "police", "nhs", "cafcass", "court", "other_local_authority", "other")

COURT = ("none", "ongoing", "concluded", "matter_for_court")
CRIMINAL = ("none", "ongoing", "concluded")
TRIBUNAL = ("none", "appeal_available", "appeal_lodged", "decided")
DISCIPLINARY = ("none", "ongoing")

REPRESENTATION_TYPES = (
    "complaint", "pre_complaint", "case_concern", "safeguarding_referral", "compliment",
    "call_back_request", "information_request", "lgsco_enquiry", "member_enquiry",
    "professional_complaint", "hscp", "ad_hoc",
)

PROCEDURES = ("statutory", "corporate")

DISPOSITIONS = (
    "accepted", "refused", "deferred", "officer_decision_required", "information_requested",
    "redirected",
)

REASONS = (
    "court_proceedings", "criminal_proceedings", "disciplinary_proceedings", "tribunal",
    "no_parental_responsibility", "not_in_best_interest_or_no_consent", "out_of_time",
    "repeat_complaint", "outside_remit", "not_providing_information",
)

QUESTIONS = (
    "sufficient_interest", "accept_out_of_time", "prejudice_to_proceedings",
    "complex_extension", "mixed_scope", "accept_late_escalation",
)

# Intermediate conclusions the rules may draw for later phases (not part of the decision).
STANDINGS = ("eligible", "sufficient_interest", "not_eligible", "no_consent")

FINDINGS = ("upheld", "partially_upheld", "not_upheld", "no_finding")

EVENTS = (
    "acknowledged", "extended", "statement_agreed", "responded", "escalation_requested",
    "panel_held", "panel_report", "officer_decision", "withdrawn", "closed", "lgsco_referral",
    "lgsco_decision", "action_agreed", "action_completed", "action_dropped",
)

# Actions on a case: what was agreed to put right or to learn, and what became of it
# (GBFC 2006 5.6.2 "learning and service improvement"; LGSCO Complaint Handling Code s.8).
ACTION_EVENTS = ("action_agreed", "action_completed", "action_dropped")
ACTION_SOURCES = ("complaint_finding", "lgsco_remedy", "learning")
REMEDIES = ("apology", "payment", "service_improvement", "review_others_affected", "other")

LGSCO_REFERRAL_TYPES = ("education_non_social_care", "social_care", "not_known")

OVERRIDABLE = ("representation_type", "procedure", "disposition", "reason", "stage")

# How each deadline is named to an officer (the keys of a decision's ``deadlines``).
DEADLINE_LABELS = {
    "act_by": "act by (same day)",
    "acknowledge_by": "acknowledge by",
    "request_information_by": "ask for the missing information by",
    "respond_by": "respond by",
    "respond_by_latest": "respond at the latest by",
    "panel_by": "review panel meets by",
    "panel_report_by": "panel report by",
}
