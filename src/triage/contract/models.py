"""The public shapes of docs/reference.md as pydantic models.

Input models forbid unknown keys (a typo must not pass silently) and are validated in
strict mode from JSON, so ``"true"`` is not a boolean and ``"5"`` is not a number.
"""

from __future__ import annotations

import datetime as dt
import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from triage.contract import vocab

REFERENCE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
# Line breaks of every kind (CR, LF, VT, FF, NEL, the Unicode line and paragraph separators)
# and tabs; any other control character (NUL, ESC, DEL, ...) has no place in a letter or a
# terminal and is refused.
_BREAKS = re.compile("[\r\n\t\v\f\x85\u2028\u2029]+")
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")


def _no_control(value: str) -> str:
    found = _CONTROL.search(value)
    if found:
        raise ValueError(f"contains the control character U+{ord(found.group()):04X}; remove it")
    return value


def one_line(value: str) -> str:
    """A single-line field (a name, an email, a label): line breaks and tabs fold into one space,
    so that a name cannot put paragraphs of its own into a letter."""
    _no_control(value)
    return " ".join(value.split()) if _BREAKS.search(value) else value


def address_lines(value: str) -> str:
    """An address: its lines fold into one, separated by commas."""
    return ", ".join(p.strip() for p in _BREAKS.split(_no_control(value)) if p.strip())


def multi_line(value: str) -> str:
    """A multi-line field (a summary, a reason): line breaks kept, other control characters refused."""
    return _no_control(value.replace("\v", "\n").replace("\f", "\n").replace("\x85", "\n")
                       .replace("\u2028", "\n").replace("\u2029", "\n"))


Reference = Annotated[str, StringConstraints(pattern=REFERENCE_PATTERN)]
Text = Annotated[str, StringConstraints(max_length=200_000), AfterValidator(multi_line)]
ShortText = Annotated[str, StringConstraints(max_length=2_000), AfterValidator(one_line)]
Address = Annotated[str, StringConstraints(max_length=2_000), AfterValidator(address_lines)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Contact(_Input):
    email: ShortText | None = None
    phone: ShortText | None = None
    address: Address | None = None
    reference: ShortText | None = None  # the complainant's own reference ("Your reference" in letters)


class Equality(_Input):
    """Free text recorded only for aggregate reporting (GBFC 5.6.2)."""

    gender: ShortText | None = None
    age_band: ShortText | None = None
    disability: ShortText | None = None
    ethnicity: ShortText | None = None
    sexual_orientation: ShortText | None = None


class Complainant(_Input):
    name: ShortText | None = None
    contact: Contact = Field(default_factory=Contact)
    relationship: Literal[vocab.RELATIONSHIPS]  # type: ignore[valid-type]
    has_parental_responsibility: bool = False
    date_of_birth: date | None = None
    age_unclear: bool = False
    on_behalf_of_child: bool = False
    equality: Equality = Field(default_factory=Equality)


class Child(_Input):
    """The child concerned, as at the time the grounds arose."""

    name: ShortText | None = None
    date_of_birth: date | None = None
    looked_after: bool = False
    in_need: bool = False
    child_protection_plan: bool = False
    care_leaver: bool = False
    disabled: bool = False
    special_guardianship_order: bool = False
    adopted: bool = False
    sufficient_understanding: bool | None = None
    consents_to_representative: bool | None = None


class About(_Input):
    service: ShortText | None = None
    function: Literal[vocab.FUNCTIONS] | None = None  # type: ignore[valid-type]
    other_functions: list[Literal[vocab.FUNCTIONS]] = Field(default_factory=list)  # type: ignore[valid-type]
    natures: list[ShortText] = Field(default_factory=list)
    summary: Text
    desired_outcome: Text | None = None
    grounds_arose: date | None = None
    became_aware: date | None = None
    delay_reason: Text | None = None
    concerns_adult_treatment: bool = False
    outside_council: Literal[vocab.OUTSIDE_COUNCIL] | None = None  # type: ignore[valid-type]


class Proceedings(_Input):
    court: Literal[vocab.COURT] = "none"  # type: ignore[valid-type]
    criminal: Literal[vocab.CRIMINAL] = "none"  # type: ignore[valid-type]
    tribunal: Literal[vocab.TRIBUNAL] = "none"  # type: ignore[valid-type]
    disciplinary: Literal[vocab.DISCIPLINARY] = "none"  # type: ignore[valid-type]


class Previous(_Input):
    """An earlier complaint about the same matters (for the repeat-complaint test)."""

    reference: Reference
    same_issues: bool = False
    stages_completed: Annotated[int, Field(ge=0, le=3)] = 0
    new_information: bool = False


class Escalation(_Input):
    """A request to move an existing complaint on to stage 2 or 3."""

    original_reference: Reference
    to_stage: Literal[2, 3]
    # None: the previous stage was never answered (a complainant may escalate when a
    # stage 1 response is late, docs/legal-basis.md, "Which procedure").
    previous_response_date: date | None = None


class Risk(_Input):
    significant_harm: bool = False
    same_day_action: bool = False


class OfficerDecision(_Input):
    """An officer's recorded answer to a question only judgement can settle."""

    answer: bool
    reason: Annotated[str, StringConstraints(min_length=1, max_length=5_000), AfterValidator(multi_line)]
    by: Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(one_line)]


class Representation(_Input):
    """A representation: anything the complaints team must act on (the input of `triage assess`)."""

    reference: Reference | None = None
    received_date: date
    received_via: Literal[vocab.RECEIVED_VIA]  # type: ignore[valid-type]
    kind: Literal[vocab.KINDS] = "complaint"  # type: ignore[valid-type]
    complainant: Complainant
    child: Child = Field(default_factory=Child)
    about: About
    proceedings: Proceedings = Field(default_factory=Proceedings)
    previous: Previous | None = None
    escalation: Escalation | None = None
    risk: Risk = Field(default_factory=Risk)
    officer_decisions: dict[Literal[vocab.QUESTIONS], OfficerDecision] = Field(default_factory=dict)  # type: ignore[valid-type]


# Fields each event needs beyond reference, event and date (docs/reference.md, "A lifecycle event").
EVENT_REQUIRES: dict[str, tuple[str, ...]] = {
    "extended": ("reason",),
    "responded": ("stage", "finding"),
    "escalation_requested": ("to_stage",),
    "officer_decision": ("question", "answer", "reason", "by"),
    "lgsco_referral": ("referral_type",),
    "lgsco_decision": ("outcome",),
    "action_agreed": ("action_id", "what", "source", "owner", "due"),
    "action_completed": ("action_id", "evidence"),
    "action_dropped": ("action_id", "reason"),
}
# Fields that belong to the action events only (refused on any other event).
ACTION_FIELDS = ("action_id", "what", "source", "owner", "due", "remedy", "amount", "evidence")
ActionId = Annotated[str, StringConstraints(pattern=REFERENCE_PATTERN)]


class Event(_Input):
    """A step in a case's life (the input of `triage record`)."""

    reference: Reference
    event: Literal[vocab.EVENTS]  # type: ignore[valid-type]
    date: date
    stage: Literal[1, 2, 3] | None = None
    finding: Literal[vocab.FINDINGS] | None = None  # type: ignore[valid-type]
    actual_outcomes: list[ShortText] = Field(default_factory=list)
    reason: Text | None = None
    # extended: the new response date; default (and at most) the stage's maximum.
    until: dt.date | None = None
    to_stage: Literal[2, 3] | None = None
    question: Literal[vocab.QUESTIONS] | None = None  # type: ignore[valid-type]
    answer: bool | None = None
    by: ShortText | None = None
    referral_type: Literal[vocab.LGSCO_REFERRAL_TYPES] | None = None  # type: ignore[valid-type]
    outcome: ShortText | None = None
    remedy_amount: Annotated[float, Field(ge=0)] | None = None
    # action_agreed / action_completed / action_dropped
    action_id: ActionId | None = None
    what: ShortText | None = None
    source: Literal[vocab.ACTION_SOURCES] | None = None  # type: ignore[valid-type]
    owner: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    due: dt.date | None = None
    remedy: Literal[vocab.REMEDIES] | None = None  # type: ignore[valid-type]
    amount: Annotated[float, Field(ge=0)] | None = None
    evidence: ShortText | None = None


# ----------------------------------------------------------------------------- output


class FiredRule(BaseModel):
    id: str
    title: str
    citation: str


class OfficerQuestion(BaseModel):
    id: Literal[vocab.QUESTIONS]  # type: ignore[valid-type]
    question: str
    factors: list[str]
    presumption: str
    citation: str


class Decision(BaseModel):
    """A decision on one representation (the output of `triage assess --json`)."""

    decision_id: str | None
    reference: str
    representation_type: Literal[vocab.REPRESENTATION_TYPES]  # type: ignore[valid-type]
    procedure: Literal[vocab.PROCEDURES] | None  # type: ignore[valid-type]
    disposition: Literal[vocab.DISPOSITIONS]  # type: ignore[valid-type]
    stage: int | None
    reason: Literal[vocab.REASONS] | None  # type: ignore[valid-type]
    deadlines: dict[str, date]
    advocacy_offer: bool
    officer_questions: list[OfficerQuestion]
    flags: list[str]
    rules_fired: list[FiredRule]
    letters: list[dict[str, Any]] = Field(default_factory=list)
    ruleset: str
    assessed_at: str
