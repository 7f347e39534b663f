"""Letters a council can sign and post: the layout around the body (letterhead, recipient,
references, subject, salutation, signature), the signing officer, the Word files read back,
every template against every example, complainants' text kept apart, a council's own
templates, and the signer in the log."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, ROOT, RULES
from hypothesis import given, settings
from hypothesis import strategies as st

NOW = datetime(2025, 11, 10, 9, 30, tzinfo=timezone.utc)
SHIPPED = ROOT / "templates" / "letters"
EXAMPLE_NAMES = sorted(p.name for p in EXAMPLES.glob("*.json"))


def _example(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / name).read_text())


def _decide(raw: dict[str, Any], rules: Any) -> Any:
    import triage

    return triage.decide(raw, rules=rules, now=NOW)


def _docx(path: Path) -> Any:
    import docx

    return docx.Document(str(path))


def _lang(document: Any) -> str:
    from docx.oxml.ns import qn

    rpr = document.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    return str(rpr.find(qn("w:lang")).get(qn("w:val")))


# ---------------------------------------------------------------- the "done when"

def test_refused_court_matter_is_ready_to_sign_and_post(run: Any, db: Path, tmp_path: Path) -> None:
    """`assess --letters --signed-by` writes an A4 en-GB Word letter: letterhead naming the council,
    the complainant's name and postal address, a subject line, no bracketed citation, signed by Jo Bloggs."""
    out = tmp_path / "out"
    r = run("assess", str(EXAMPLES / "refused-court-matter.json"), "--letters", str(out), "--signed-by", "Jo Bloggs")
    assert r.code == 0, r.err
    document = _docx(out / "CS-2025-00233-refusal_court_proceedings.docx")
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert _lang(document) == "en-GB"
    assert [p.text for p in section.header.paragraphs][:2] == ["Example County Council", "Children's Services"]
    paragraphs = [p for p in document.paragraphs]
    assert paragraphs[0].text == "Darren Hale\n4 Mill Lane\nExampleton\nEX3 9QT"
    assert paragraphs[1].text == "Our reference: CS-2025-00233"
    titles = [p.text for p in paragraphs if p.style.name == "Title"]
    assert titles == ["Your complaint about contact with a child in care, reference CS-2025-00233"]
    assert paragraphs[4].text == "Dear Darren Hale"
    body = "\n".join(p.text for p in paragraphs)
    assert not re.search(r"\((GBFC|SI 2006|LGSCO|Children Act)", body)
    assert paragraphs[-1].text == "Jo Bloggs\nChildren's Services Complaints Team\nExample County Council"
    assert paragraphs[-2].text == "Yours sincerely"
    props = document.core_properties
    assert (props.subject, props.author, props.language) == ("CS-2025-00233", "Example County Council", "en-GB")
    assert props.title == "Refusal: a matter for, or decided by, a court cannot be re-opened by a complaint"
    assert props.comments == "Draft letter for CS-2025-00233, for checking and signing"
    assert props.created.year >= 2025 and props.last_modified_by == "Example County Council"
    rows = sqlite3.connect(db).execute("select template, signed_by, signed_by_title from letters").fetchall()
    assert rows == [("refusal_court_proceedings", "Jo Bloggs", "Children's Services Complaints Team")]


def test_without_a_signing_officer_the_councils_signatory_signs(run: Any, db: Path, tmp_path: Path) -> None:
    """No --signed-by: the default signatory of council.yaml signs and is logged; `letters --signed-by` with a title re-signs."""
    run("assess", str(EXAMPLES / "statutory-parent.json"), "--letters", str(tmp_path / "a"))
    text = (tmp_path / "a" / "CS-2025-00017-ack_statutory_stage1.txt").read_text()
    assert text.endswith("Yours sincerely\n\nComplaints Manager\nChildren's Services Complaints Manager\n"
                         "Example County Council\n")
    r = run("letters", "CS-2025-00017", "--out", str(tmp_path / "b"), "--signed-by", "Priya Shah",
            "--signed-by-title", "Head of Customer Care")
    assert r.code == 0, r.err
    text = (tmp_path / "b" / "CS-2025-00017-ack_statutory_stage1.txt").read_text()
    assert text.endswith("Priya Shah\nHead of Customer Care\nExample County Council\n")
    rows = sqlite3.connect(db).execute("select signed_by, signed_by_title from letters order by seq").fetchall()
    assert rows == [("Complaints Manager", "Children's Services Complaints Manager"),
                    ("Priya Shah", "Head of Customer Care")]


def test_signed_by_needs_letters(run: Any) -> None:
    """`assess --signed-by` without --letters is a usage error (exit 2), nothing logged."""
    r = run("assess", str(EXAMPLES / "statutory-parent.json"), "--signed-by", "Jo Bloggs")
    assert r.code == 2
    assert r.err.strip() == "error: --signed-by and --signed-by-title sign the drafts of --letters DIR; add --letters DIR"


# ---------------------------------------------------------------- the frame

def test_letter_by_email_names_the_email_address(rules: Any) -> None:
    """A complainant who gave only an email address gets the recipient block 'By email: ...'."""
    from triage.api import draft_letters

    raw = _example("statutory-parent.json")
    (draft,) = draft_letters(_decide(raw, rules), raw, rules=rules)
    assert "\n\nSam Jones\nBy email: sam@example.org\n\nOur reference: CS-2025-00017\n\n" in draft.text
    assert "Your reference" not in draft.text


def test_your_reference_when_the_complainant_gave_one(rules: Any) -> None:
    """The complainant's own reference appears as 'Your reference' under ours."""
    from triage.api import draft_letters

    raw = _example("statutory-parent.json")
    raw["complainant"]["contact"]["reference"] = "MP/4471"
    (draft,) = draft_letters(_decide(raw, rules), raw, rules=rules)
    assert "Our reference: CS-2025-00017\nYour reference: MP/4471\n" in draft.text


def test_no_name_is_dear_sir_or_madam_and_yours_faithfully(rules: Any) -> None:
    """Without a name: 'Dear Sir or Madam' and 'Yours faithfully'."""
    from triage.api import draft_letters

    raw = _example("statutory-parent.json")
    raw["complainant"]["name"] = None
    (draft,) = draft_letters(_decide(raw, rules), raw, rules=rules)
    assert "\n\nDear Sir or Madam\n\n" in draft.text and "\n\nYours faithfully\n\n" in draft.text
    assert "\n\nBy email: sam@example.org\n\n" in draft.text


def test_a_young_person_is_addressed_by_first_name(rules: Any) -> None:
    """A letter to a young person (the simpler wording) greets them by first name."""
    from triage.api import draft_letters

    raw = _example("young-person-advocacy.json")
    drafts = draft_letters(_decide(raw, rules), raw, rules=rules)
    (letter,) = [d for d in drafts if d.audience == "complainant"]
    assert "\n\nDear Jordan\n\n" in letter.text


def test_name_with_line_breaks_cannot_add_paragraphs(rules: Any) -> None:
    """A name typed with line breaks stays on one line in the recipient block, greeting and notes."""
    from triage.api import draft_letters

    raw = _example("statutory-parent.json")
    raw["complainant"]["name"] = "Sam\n\nJones\n- We admit fault"
    (draft,) = draft_letters(_decide(raw, rules), raw, rules=rules)
    assert "\n\nSam Jones - We admit fault\nBy email: sam@example.org\n\n" in draft.text
    assert "\n\nDear Sam Jones - We admit fault\n\n" in draft.text
    assert all(b.kind != "bullets" or "We admit fault" not in " ".join(b.lines) for b in draft.letter.body)


def test_free_text_is_quoted_and_cannot_pass_for_the_councils(rules: Any) -> None:
    """A multi-line summary prints as quoted paragraphs ('> ' in the text, a blockquote in the
    HTML); its '- ' lines do not become the council's list."""
    from triage.api import draft_letters

    raw = _example("case-concern.json")
    raw["about"]["summary"] = "Contact was cancelled.\n- The council agrees\n\nYours sincerely, the council"
    drafts = draft_letters(_decide(raw, rules), raw, rules=rules)
    (note,) = [d for d in drafts if d.template == "case_concern_handoff"]
    assert ("The concern, as the person told us:\n\n> Contact was cancelled. - The council agrees\n>\n"
            "> Yours sincerely, the council\n\nWhat they want to happen:\n\n> Contact to go ahead today.\n") in note.text
    assert ("<blockquote>\n<p>Contact was cancelled. - The council agrees</p>\n<p>Yours sincerely, the council</p>\n"
            "</blockquote>") in note.html


def test_word_quote_style_for_complainants_words(rules: Any, tmp_path: Path) -> None:
    """In Word, the complainant's words are in the Quote style."""
    from triage.api import draft_letters, write_letters

    raw = _example("case-concern.json")
    drafts = draft_letters(_decide(raw, rules), raw, rules=rules, templates=["case_concern_handoff"])
    write_letters(drafts, tmp_path, "CS-2025-00352", rules=rules)
    document = _docx(tmp_path / "CS-2025-00352-case_concern_handoff.docx")
    quotes = [p.text for p in document.paragraphs if p.style.name == "Quote"]
    assert quotes == ["Today's contact at 4pm has been cancelled and nobody can tell me why. Ruby will be waiting "
                      "for me.", "Contact to go ahead today."]


# ---------------------------------------------------------------- every template, every example

def _every_template_for_every_example(rules: Any) -> list[tuple[str, str, str]]:
    """(example, template, outcome) for each pair: 'ok' or the refusal message."""
    from triage.api import decider, draft_letters
    from triage.letters.book import LetterNotApplicable

    out = []
    for name in EXAMPLE_NAMES:
        raw = _example(name)
        decision = _decide(raw, rules)
        for template in decider(rules).letters.templates:
            try:
                draft_letters(decision, raw, rules=rules, templates=[template])
                out.append((name, template, "ok"))
            except LetterNotApplicable as exc:
                out.append((name, template, str(exc)))
    return out


def test_every_template_renders_or_is_refused_for_every_example(rules: Any) -> None:
    """Each template, for each shipped example, renders or is refused with what it is for; the
    templates a decision calls for always render."""
    results = _every_template_for_every_example(rules)
    assert len(results) == len(EXAMPLE_NAMES) * len(list(SHIPPED.glob("[!_]*.txt.j2")))
    for name, template, outcome in results:
        assert outcome == "ok" or (outcome.startswith(f"{template}: cannot be drafted for ")
                                   and ": it is for " in outcome), (name, template, outcome)
        chosen = [x["template"] for x in _decide(_example(name), rules).letters] if outcome != "ok" else []
        assert template not in chosen, (name, template)


def test_extension_notice_for_a_case_concern_is_refused_clearly(run: Any, tmp_path: Path) -> None:
    """`letters REF --template extension_notice` on a case concern exits 2 naming what the template
    is for (no traceback, nothing written)."""
    run("assess", str(EXAMPLES / "case-concern.json"))
    r = run("letters", "CS-2025-00352", "--out", str(tmp_path / "x"), "--template", "extension_notice")
    assert r.code == 2
    assert r.err.strip() == (
        "error: extension_notice: cannot be drafted for CS-2025-00352 (case concern, redirected): it is for "
        "complaints accepted at stage 1 (it gives the latest response date), and this decision has no stage and "
        "no latest response date")
    assert not (tmp_path / "x").exists()
    for template in ("ack_statutory_stage1", "ack_corporate_stage1"):
        r = run("letters", "CS-2025-00352", "--out", str(tmp_path / "x"), "--template", template)
        assert r.code == 2 and "cannot be drafted for CS-2025-00352" in r.err and "Traceback" not in r.err


def test_family_letters_carry_no_bracketed_citations() -> None:
    """No letter to a complainant cites an Act, regulation, code or guidance in brackets in its
    body, before its "why" paragraph (the golden drafts cover every template, overrides included)."""
    citation = re.compile(r"\([^)]*(?:GBFC|SI 2006|LGSCO|Act 19|Act 20|reg \d|s\.\d|GDPR|Code|[Gg]uidance"
                          r"|Regulations|Department)[^)]*\)")
    for path in sorted((Path(__file__).parent / "golden" / "letters").glob("*.txt")):
        text = path.read_text()
        if text.startswith("INTERNAL"):
            continue
        body = re.split(r"\n\n(?:Why we decided this|Why is this\?|The rules we follow)\n\n", text)[0]
        assert citation.findall(body) == [], path.name


def test_every_refusal_names_the_route_instead() -> None:
    """Each refusal letter (its pinned golden drafts) still names where the complainant can go
    instead, with contact details."""
    golden = sorted((Path(__file__).parent / "golden" / "letters").glob("*--refusal_*.txt"))
    templates = {p.name.split("--")[-1].removesuffix(".txt") for p in golden}
    assert templates == {p.name.removesuffix(".txt.j2") for p in SHIPPED.glob("refusal_*.txt.j2")}
    for path in golden:
        text = path.read_text()
        assert "0300 061 0614" in text or "stage 2" in text or "stage 3" in text or "appeal" in text, path.name


# ---------------------------------------------------------------- Word files read back

def _all_drafts(rules: Any) -> list[Any]:
    from triage.api import draft_letters

    drafts = []
    for name in EXAMPLE_NAMES:
        raw = _example(name)
        drafts += [(name, d) for d in draft_letters(_decide(raw, rules), raw, rules=rules)]
    return drafts


def test_every_word_file_is_a4_en_gb_with_styles_letterhead_and_page_number(rules: Any, tmp_path: Path) -> None:
    """Every draft's .docx: A4, en-GB, Arial 11 in Normal, the council's name in the header, a
    page number in the footer, lists in List Bullet (no typed '- '), the recipient block first in
    letters to complainants, and title/subject/author set."""
    import zipfile

    from triage.api import write_letters

    for name, draft in _all_drafts(rules):
        ref = name.removesuffix(".json")
        (path,) = [p for p in write_letters([draft], tmp_path, ref, rules=rules) if p.suffix == ".docx"]
        document = _docx(path)
        section = document.sections[0]
        assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297), path.name
        assert _lang(document) == "en-GB"
        normal = document.styles["Normal"].font
        assert (normal.name, normal.size.pt) == ("Arial", 11)
        assert section.header.paragraphs[0].text == "Example County Council"
        with zipfile.ZipFile(path) as z:
            footer = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("word/footer"))
        assert 'w:instr="PAGE"' in footer
        texts = [p.text for p in document.paragraphs]
        assert not any(t.startswith("- ") for t in texts), path.name
        if "\n- " in draft.text:
            assert any(p.style.name == "List Bullet" for p in document.paragraphs), path.name
        assert {p.style.name for p in document.paragraphs} <= {"Normal", "Title", "Heading 2", "List Bullet", "Quote"}
        if draft.audience == "complainant":
            assert texts[0] == "\n".join(draft.letter.frame.recipient), path.name
            assert [p.text for p in document.paragraphs if p.style.name == "Title"] == [draft.letter.frame.subject]
        props = document.core_properties
        assert (props.title, props.subject, props.author) == (draft.title, ref, "Example County Council")


def test_word_font_comes_from_the_council(tmp_path: Path) -> None:
    """`letters.font` and `letters.font_size` in council.yaml set the Word file's Normal style."""
    from triage.api import decider, draft_letters, write_letters
    from triage.rules.ruleset import load_rules

    folder = _council_copy(tmp_path, {"font": "Verdana", "font_size": 12})
    rules = load_rules(folder / "rules")
    raw = _example("statutory-parent.json")
    drafts = draft_letters(_decide(raw, rules), raw, rules=rules)
    (path,) = [p for p in write_letters(drafts, tmp_path / "out", "CS-2025-00017", rules=rules) if p.suffix == ".docx"]
    normal = _docx(path).styles["Normal"].font
    assert (normal.name, normal.size.pt) == ("Verdana", 12)
    assert 'font-family: "Verdana"' in drafts[0].html and "font-size: 12pt" in drafts[0].html
    assert decider(rules).letters.letters_setting("font", "Arial") == "Verdana"


PNG_1PX = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                        "1f15c4890000000d49444154789c6360f8ffff3f0005fe02fea7d2a8e50000000049454e44ae426082")


def _council_copy(tmp_path: Path, letters: dict[str, Any] | None = None, logo: bool = False) -> Path:
    """A copy of rules/ and templates/ with council.yaml's letters settings (and a logo) changed."""
    folder = tmp_path / "council"
    shutil.copytree(RULES, folder / "rules")
    shutil.copytree(ROOT / "templates", folder / "templates")
    council = folder / "rules" / "council.yaml"
    text = council.read_text()
    if letters:
        text = re.sub(r'  font: "Arial"\n  font_size: 11\n',
                      f'  font: "{letters["font"]}"\n  font_size: {letters["font_size"]}\n', text)
    if logo:
        (folder / "rules" / "crest.png").write_bytes(PNG_1PX)
        text = text.replace('  # logo: "logo.png"\n', '  logo: "crest.png"\n')
    council.write_text(text)
    return folder


def test_logo_from_the_council_folder_heads_every_format(tmp_path: Path) -> None:
    """`council.logo` (relative to council.yaml's folder) is in the Word header and the HTML, with alt text."""
    import zipfile

    from triage.api import draft_letters, write_letters
    from triage.rules.ruleset import load_rules

    rules = load_rules(_council_copy(tmp_path, logo=True) / "rules")
    raw = _example("statutory-parent.json")
    drafts = draft_letters(_decide(raw, rules), raw, rules=rules)
    assert '<img src="data:image/png;base64,' in drafts[0].html and 'alt="Example County Council logo"' in drafts[0].html
    (path,) = [p for p in write_letters(drafts, tmp_path / "out", "CS-2025-00017", rules=rules) if p.suffix == ".docx"]
    with zipfile.ZipFile(path) as z:
        assert [n for n in z.namelist() if n.startswith("word/media/")] == ["word/media/image1.png"]
        header = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("word/header"))
    assert "<pic:pic" in header


def test_a_missing_logo_file_is_named(tmp_path: Path) -> None:
    """A logo path that names no file is an error when the rules load, naming the file, the line,
    council.logo and the fix; a file that is not an image is refused when a letter is drafted."""
    from triage.api import draft_letters
    from triage.contract.errors import RuleErrors
    from triage.letters.book import LetterError
    from triage.rules.ruleset import load_rules

    folder = _council_copy(tmp_path, logo=True)
    council = folder / "rules" / "council.yaml"
    council.write_text(council.read_text().replace('logo: "crest.png"', 'logo: "no-such-crest.png"'))
    with pytest.raises(RuleErrors) as err:
        load_rules(folder / "rules")
    (line,) = err.value.lines()
    assert line.startswith(f"{council}:") and "council.logo: no image at " in line
    assert line.endswith("no-such-crest.png (the path is relative to the folder holding council.yaml)")
    (folder / "rules" / "no-such-crest.png").write_text("not an image")
    rules = load_rules(folder / "rules")
    raw = _example("statutory-parent.json")
    with pytest.raises(LetterError) as drafted:
        draft_letters(_decide(raw, rules), raw, rules=rules)
    assert str(drafted.value).endswith("no-such-crest.png is not a PNG, JPEG or GIF image; save the logo in one of "
                                       "those formats")
    assert drafted.value.exit_code == 2


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(not SOFFICE, reason="LibreOffice is not installed (apt-get install libreoffice-writer-nogui)")
def test_libreoffice_prints_the_refusal_on_one_a4_page(run: Any, tmp_path: Path) -> None:
    """LibreOffice (headless) turns the court-matter refusal's .docx into a one-page A4 PDF."""
    run("assess", str(EXAMPLES / "refused-court-matter.json"), "--letters", str(tmp_path), "--signed-by", "Jo Bloggs")
    docx_path = tmp_path / "CS-2025-00233-refusal_court_proceedings.docx"
    subprocess.run([str(SOFFICE), "--headless", f"-env:UserInstallation=file://{tmp_path / 'lo'}",
                    "--convert-to", "pdf", "--outdir", str(tmp_path / "pdf"), str(docx_path)],
                   check=True, capture_output=True, timeout=180)
    pdf = (tmp_path / "pdf" / "CS-2025-00233-refusal_court_proceedings.pdf").read_bytes()
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1
    (box,) = set(re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf))
    assert (round(float(box[0])), round(float(box[1]))) == (595, 842)  # A4 in points


# ---------------------------------------------------------------- a council's own templates

def test_a_council_template_replaces_the_shipped_one(rules: Any, tmp_path: Path) -> None:
    """LetterBook takes a list of folders: a council's template wins, the others come from the shipped folder."""
    from triage.letters.book import LetterBook

    own = tmp_path / "letters"
    own.mkdir()
    (own / "compliment_thanks.txt.j2").write_text(
        '{#-\ntitle: "Thank you (our wording)"\naudience: complainant\n-#}\n{% extends "_letter.txt.j2" %}\n'
        "{% block body %}\nThank you from all of us at {{ council.name }}.\n{% endblock %}\n")
    book = LetterBook([own, SHIPPED], rules.council)
    assert book.templates["compliment_thanks"].path == own / "compliment_thanks.txt.j2"
    assert book.templates["refusal_tribunal"].path == SHIPPED / "refusal_tribunal.txt.j2"
    raw = _example("compliment.json")
    from triage.contract.validation import parse_representation

    case = parse_representation(raw, rules).model_dump(mode="python")
    draft = book.render("compliment_thanks", book.context(case, _decide(raw, rules).model_dump(mode="python"), rules))
    assert draft.title == "Thank you (our wording)"
    assert "\n\nThank you from all of us at Example County Council.\n\n" in draft.text
    assert LetterBook(SHIPPED, rules.council).templates.keys() == book.templates.keys()
    (own / "compliment_thanks.txt.j2").write_text('{% extends "_letter.txt.j2" %}\n{% block body %}\n'
                                                  "{{ case.complainant.nmae }}\n{% endblock %}\n")
    from triage.letters.book import LetterError

    with pytest.raises(LetterError) as err:
        LetterBook([own, SHIPPED], rules.council).render(
            "compliment_thanks", book.context(case, _decide(raw, rules).model_dump(mode="python"), rules))
    assert str(err.value).startswith(f"{own / 'compliment_thanks.txt.j2'} line 3: uses a field the case does not have")


# ---------------------------------------------------------------- the log

def test_signer_columns_keep_older_log_rows_verifiable(tmp_path: Path) -> None:
    """A log made before the signer columns gains them on opening, and its chain still verifies."""
    from triage.log.store import DecisionLog

    path = tmp_path / "old.db"
    log = DecisionLog(path)
    log.record_letters("d-000001", "CS-1", [{"template": "t", "template_hash": "sha256:x", "title": "T",
                                              "audience": "complainant"}])
    log.close()
    conn = sqlite3.connect(path)
    conn.execute("ALTER TABLE letters DROP COLUMN signed_by")
    conn.execute("ALTER TABLE letters DROP COLUMN signed_by_title")
    conn.commit()
    conn.close()
    log = DecisionLog(path)
    assert {"signed_by", "signed_by_title"} <= set(log.db.table("letters").columns_dict)
    log.record_letters("d-000001", "CS-1", [{"template": "t", "template_hash": "sha256:x", "title": "T",
                                              "audience": "complainant", "signed_by": "Jo Bloggs",
                                              "signed_by_title": "Manager"}])
    assert log.verify() == []
    assert [(x["signed_by"], x["signed_by_title"]) for x in log.letters("CS-1")] == [(None, None),
                                                                                       ("Jo Bloggs", "Manager")]


# ---------------------------------------------------------------- properties

_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300) | st.lists(
    st.sampled_from(["- ", "> ", "## ", "\n", "\n\n", " ", "Yours sincerely", "Dear", "x", "\r\n", "\u2028"]),
    max_size=30).map("".join)


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_quoted_text_is_only_ever_a_quote(text: str) -> None:
    """Whatever a complainant types, `quoted` gives one quote block and nothing else, with no line
    breaks inside its paragraphs."""
    from triage.letters.layout import blocks, quoted

    out = blocks("Before:\n" + quoted(text) + "\n\nAfter.")
    assert [b.kind for b in out] == ["paragraph", "quote", "paragraph"]
    assert out[0].lines == ["Before:"] and out[2].lines == ["After."]
    assert all("\n" not in line and line for line in out[1].lines)


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_one_line_and_plain_cannot_change_the_layout(text: str) -> None:
    """`one_line` is one line; `plain` (officers' reasons) gives only paragraphs, never a list,
    heading or quote."""
    from triage.letters.layout import blocks, one_line, plain

    assert "\n" not in one_line(text) and "\r" not in one_line(text)
    assert {b.kind for b in blocks(plain(text))} <= {"paragraph"}


@pytest.mark.parametrize(("options", "message"), [
    (["--signed-by", "  "], "error: --signed-by: give the signing officer's name"),
    (["--signed-by-title", "Manager"], "error: --signed-by-title: give the signing officer's name with --signed-by "
                                       "NAME too"),
    (["--signed-by", "J" * 101], "error: --signed-by: at most 100 characters, please"),
])
def test_a_signer_that_cannot_sign_is_refused_before_logging(run: Any, db: Path, tmp_path: Path, options: list[str],
                                                              message: str) -> None:
    """A blank signer, a title without a name or an over-long name exits 2 with nothing logged or written."""
    r = run("assess", str(EXAMPLES / "statutory-parent.json"), "--letters", str(tmp_path / "out"), *options)
    assert (r.code, r.err.strip()) == (2, message)
    assert not (tmp_path / "out").exists()
    assert not db.exists() or sqlite3.connect(db).execute("select count(*) from decisions").fetchone() == (0,)


def test_bad_font_settings_are_named(tmp_path: Path) -> None:
    """A font size that is not a number of points, or a font that is not a name, is an error when
    the rules load, naming the file, the line and the key."""
    from triage.contract.errors import RuleErrors
    from triage.rules.ruleset import load_rules

    cases = [("size", ("Arial", '"big"'), "letters.font_size"), ("font", ('Arial\\"; color: red', 11), "letters.font")]
    for name, letters, key in cases:
        folder = _council_copy(tmp_path / name, None)
        council = folder / "rules" / "council.yaml"
        council.write_text(council.read_text().replace('  font: "Arial"\n  font_size: 11\n',
                                                       f'  font: "{letters[0]}"\n  font_size: {letters[1]}\n'))
        with pytest.raises(RuleErrors) as err:
            load_rules(folder / "rules")
        (line,) = err.value.lines()
        assert line.startswith(f"{council}:") and f": {key}: " in line, line


