"""The parts of a letter around its body, and the body's blocks: what the text, HTML and Word
versions of one draft share, so that all three carry the same letterhead, recipient,
references, subject, salutation, body and signature.

The body comes from a template as plain text. Its conventions are few and checked here:
a paragraph is lines separated by a blank line; lines starting ``- `` are a bulleted list;
a line starting ``## `` is a heading ("Why we decided this"); lines starting ``> `` quote the
complainant's own words (the ``quoted`` filter writes them,
so their text can never read as the council's, nor start a list or a paragraph of its own).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

QUOTE = "> "
HEADING = "## "

# A complaint's subject in plain words, by function (contract vocabulary). A function not
# here falls back to the service or the first nature as the complainant gave them.
TOPICS = {
    "child_in_need": "support for a child in need",
    "disabled_children": "services for a disabled child",
    "family_support": "family support",
    "accommodation_s20": "a child's accommodation",
    "looked_after": "a child in care",
    "leaving_care": "leaving care support",
    "foster_carer_support": "support for foster carers",
    "care_proceedings": "care proceedings",
    "care_order": "a care order",
    "contact_with_child_in_care": "contact with a child in care",
    "supervision_order": "a supervision order",
    "child_assessment_order": "a child assessment order",
    "emergency_protection_order": "an emergency protection order",
    "child_protection_enquiry": "child protection enquiries",
    "child_protection_conference": "a child protection conference",
    "court_report": "a report for court",
    "fostering_approval": "a fostering approval decision",
    "adoption_agency": "adoption",
    "adoption_support": "adoption support",
    "adoption_approval": "an adoption approval decision",
    "special_guardianship_support": "special guardianship support",
    "sen": "special educational needs support",
    "school_transport": "school transport",
    "school_admissions": "a school admission",
    "education_other": "education services",
    "libraries": "library services",
    "catering": "catering",
    "information_governance": "how we handled information",
    "complaint_handling": "how we handled a complaint",
    "other_council_service": "a council service",
}

# What the letter is about, by representation type, for the subject line.
_SUBJECTS = {
    "complaint": "Your complaint about {topic}",
    "pre_complaint": "Your complaint",
    "case_concern": "Your concern about {topic}",
    "safeguarding_referral": "Your concern about a child",
    "compliment": "Your compliment",
    "information_request": "Your request for information",
    "ad_hoc": "Your message to the complaints team",
    "hscp": "Your complaint about a child protection conference",
}


@dataclass
class Block:
    """One block of a letter's body: ``paragraph``, ``bullets``, ``quote`` or ``heading``.
    A quote's lines are its paragraphs; a paragraph's lines are kept as line breaks."""

    kind: str
    lines: list[str]


@dataclass(frozen=True)
class Signatory:
    """Who signs a letter: the signing officer, or the council's default signatory."""

    name: str
    title: str


@dataclass
class Letterhead:
    """The council's name and contact details at the top of every page."""

    name: str
    service: str
    address: list[str]
    phone: str
    email: str
    website: str
    logo: Path | None = None

    def lines(self) -> list[str]:
        return [x for x in (self.name, self.service, *self.address) if x] + [
            x for x in (f"Phone: {self.phone}" if self.phone else "", f"Email: {self.email}" if self.email else "") if x]


@dataclass
class Frame:
    """What surrounds the body of a letter to a complainant."""

    letter_date: str
    recipient: list[str]
    our_reference: str
    your_reference: str | None
    subject: str
    salutation: str
    closing: str
    signatory: Signatory
    council_name: str

    def head_lines(self) -> list[list[str]]:
        """The blocks before the body, as plain-text groups of lines."""
        refs = [f"Our reference: {self.our_reference}"]
        if self.your_reference:
            refs.append(f"Your reference: {self.your_reference}")
        groups = [self.recipient, refs, [self.letter_date], [self.subject], [f"Dear {self.salutation}"]]
        return [g for g in groups if g]

    def sign_off(self) -> list[list[str]]:
        return [[self.closing], [self.signatory.name, self.signatory.title, self.council_name]]


@dataclass
class Letter:
    """A whole draft: letterhead, frame (None for an internal note) and body blocks."""

    letterhead: Letterhead
    frame: Frame | None
    body: list[Block]

    def text(self) -> str:
        """The plain-text letter (what the golden files pin)."""
        groups: list[list[str]] = [self.letterhead.lines()] if self.frame else []
        if self.frame:
            groups += self.frame.head_lines()
        groups += [_block_text(b) for b in self.body]
        if self.frame:
            groups += self.frame.sign_off()
        return "\n\n".join("\n".join(g) for g in groups if g) + "\n"


def _block_text(block: Block) -> list[str]:
    if block.kind == "bullets":
        return [f"- {x}" for x in block.lines]
    if block.kind == "quote":
        out: list[str] = []
        for i, para in enumerate(block.lines):
            if i:
                out.append(QUOTE.rstrip())
            out.append(QUOTE + para)
        return out
    return list(block.lines)


def one_line(value: Any) -> str:
    """A name or short field as one line: line breaks and runs of spaces become one space, so a
    name cannot add lines or paragraphs to a letter."""
    return re.sub(r"\s+", " ", str(value)).strip()


def quoted(value: Any) -> str:
    """Free text the complainant wrote, as quote lines (``> ``): each of its paragraphs one
    line, so the letter shows it set apart and none of it can pass for the council's words."""
    paragraphs = [one_line(p) for p in re.split(r"\n\s*\n", str(value or "")) if p.strip()]
    return "\n>\n".join(QUOTE + p for p in paragraphs) if paragraphs else QUOTE + "(nothing written)"


def plain(value: Any) -> str:
    """An officer's recorded text (reasons) as the letter's own paragraphs: each paragraph one
    line, without leading list, heading or quote marks, so it cannot change the layout."""
    paragraphs = [one_line(p).lstrip("-#> ").strip() for p in re.split(r"\n\s*\n", str(value or "")) if p.strip()]
    return "\n\n".join(p for p in paragraphs if p)


def blocks(text: str) -> list[Block]:
    """A template's body text as blocks (see the module's docstring for the conventions)."""
    out: list[Block] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            out.append(Block("paragraph", list(para)))
            para.clear()

    def add(kind: str, line: str) -> None:
        if out and out[-1].kind == kind and not para:
            out[-1].lines.append(line)
        else:
            flush()
            out.append(Block(kind, [line]))

    quote_gap = False
    for raw in text.splitlines():
        line = raw.rstrip()
        if line == QUOTE.rstrip():  # a paragraph break inside a quote
            quote_gap = True
            continue
        if line.startswith(QUOTE):
            body = line[len(QUOTE):]
            if out and out[-1].kind == "quote" and not para and not quote_gap:
                out[-1].lines[-1] += " " + body
            else:
                add("quote", body)
            quote_gap = False
            continue
        quote_gap = False
        if not line.strip():
            flush()
            if out and out[-1].kind in ("bullets", "quote"):
                out.append(Block("break", []))  # a blank line ends a list or a quote
            continue
        if line.startswith(HEADING):
            flush()
            out.append(Block("heading", [line[len(HEADING):].strip()]))
        elif line.lstrip().startswith("- "):
            add("bullets", line.lstrip()[2:])
        else:
            if out and out[-1].kind in ("bullets", "quote") and not para:
                flush()
            para.append(line.strip())
    flush()
    return [b for b in out if b.kind != "break"]


def topic(case: dict[str, Any]) -> str:
    """What the representation is about, in plain words, for the subject line."""
    about = case.get("about") or {}
    if about.get("function") in TOPICS:
        return TOPICS[about["function"]]
    for label in (about.get("service"), *(about.get("natures") or [])):
        if label:
            return one_line(label).lower()
    return "our services"


def subject(case: dict[str, Any], decision: dict[str, Any]) -> str:
    """'Your complaint about contact with a child in care, reference CS-2025-00233'."""
    kind = str(decision.get("representation_type") or "complaint")
    words = _SUBJECTS.get(kind, "Your enquiry").format(topic=topic(case))
    return f"{words}, reference {decision.get('reference')}"


def address_lines(address: str | None) -> list[str]:
    """A postal address as given (one line with commas, or several lines) as separate lines."""
    if not address:
        return []
    return [one_line(p) for p in re.split(r"[\n,]", address) if p.strip()]


def recipient(case: dict[str, Any]) -> list[str]:
    """Name, then the postal address when given, else the email address marked 'By email'."""
    complainant = case.get("complainant") or {}
    contact = complainant.get("contact") or {}
    lines = [one_line(complainant["name"])] if complainant.get("name") else []
    postal = address_lines(contact.get("address"))
    if postal:
        return lines + postal
    if contact.get("email"):
        return lines + [f"By email: {one_line(contact['email'])}"]
    return lines


def salutation(case: dict[str, Any], simple: bool) -> str:
    """By name; a child or young person (the simpler wording) by first name; else Sir or Madam."""
    name = one_line((case.get("complainant") or {}).get("name") or "")
    if not name:
        return "Sir or Madam"
    return name.split(" ")[0] if simple else name
