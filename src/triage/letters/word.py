"""Word (.docx) drafts, the way officers edit them: A4, English (UK) for language and
proofing, the council's font, real styles (Title for the subject line, Heading 2, List
Bullet, Quote, Normal) instead of direct formatting, the letterhead in the page header and
the page number in the footer, and document properties (title, subject = reference,
author = council). The only module that imports python-docx (imported when a draft is
written, never on a decision's path)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .layout import Block, Letter

LANGUAGE = "en-GB"
A4_MM = (210, 297)
MARGIN_MM = 20


def _set_language(document: Any) -> None:
    """English (UK) for every run by default (language and proofing), in the document defaults."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    styles = document.styles.element
    rpr = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    for attr in ("w:val", "w:eastAsia"):
        lang.set(qn(attr), LANGUAGE)
    settings = document.settings.element
    theme = settings.find(qn("w:themeFontLang"))
    if theme is None:
        theme = OxmlElement("w:themeFontLang")
        settings.append(theme)
    theme.set(qn("w:val"), LANGUAGE)


def _font_only(rfonts: Any, font: str) -> None:
    """Name the font for every script and drop the theme fonts, which would win over it."""
    from docx.oxml.ns import qn

    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        if rfonts.get(qn(attr)) is not None:
            del rfonts.attrib[qn(attr)]
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        rfonts.set(qn(attr), font)


def _set_fonts(document: Any, font: str, size: float) -> None:
    """The council's font in Normal (the other styles inherit it); Title and Heading 2 sized
    for a letter, in black, without the template's border and colour."""
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    normal = document.styles["Normal"]
    normal.font.name = font
    normal.font.size = Pt(size)
    _font_only(normal.element.get_or_add_rPr().get_or_add_rFonts(), font)
    normal.paragraph_format.space_after = Pt(size * 0.8)
    normal.paragraph_format.line_spacing = 1.15
    for name, grow in (("Title", 2), ("Heading 2", 1)):
        style = document.styles[name]
        style.font.name = font
        style.font.size = Pt(size + grow)
        style.font.bold = True
        style.font.italic = False
        style.font.color.rgb = RGBColor(0, 0, 0)
        ppr = style.element.get_or_add_pPr()
        border = ppr.find(qn("w:pBdr"))
        if border is not None:
            ppr.remove(border)
        style.paragraph_format.space_before = Pt(size * 0.8)
        style.paragraph_format.space_after = Pt(size * 0.8)
        rpr = style.element.get_or_add_rPr()
        for tag in ("w:spacing", "w:kern"):
            found = rpr.find(qn(tag))
            if found is not None:
                rpr.remove(found)
        _font_only(style.element.get_or_add_rPr().get_or_add_rFonts(), font)
    for name in ("Header", "Footer"):
        document.styles[name].font.size = Pt(max(size - 2, 8))
    quote = document.styles["Quote"]
    quote.font.color.rgb = RGBColor(0x33, 0x33, 0x33)


def _page_number(paragraph: Any) -> None:
    """A PAGE field (Word and LibreOffice fill it in)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    paragraph.add_run("Page ")
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def _letterhead(document: Any, letter: Letter) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    section = document.sections[0]
    header = section.header
    head = letter.letterhead
    first = header.paragraphs[0]
    first.style = document.styles["Header"]
    if head.logo is not None:
        first.add_run().add_picture(str(head.logo), height=Mm(15))
        first = header.add_paragraph(style="Header")
    first.add_run(head.name).bold = True
    lines = [x for x in (head.service, ", ".join(head.address)) if x]
    contact = " | ".join(x for x in (head.phone and f"Phone {head.phone}", head.email, head.website) if x)
    for line in [*lines, contact]:
        if line:
            header.add_paragraph(line, style="Header")
    for paragraph in header.paragraphs:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    header.paragraphs[-1].paragraph_format.space_after = Pt(14)  # clear of the body on every page
    footer = section.footer.paragraphs[0]
    footer.style = document.styles["Footer"]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _page_number(footer)


def _add_block(document: Any, block: Block) -> None:
    if block.kind == "bullets":
        for line in block.lines:
            document.add_paragraph(line, style="List Bullet")
    elif block.kind == "quote":
        for line in block.lines:
            document.add_paragraph(line, style="Quote")
    elif block.kind == "heading":
        document.add_paragraph(block.lines[0], style="Heading 2")
    else:
        _lines(document, block.lines, "Normal")


def _lines(document: Any, lines: list[str], style: str) -> Any:
    """One paragraph, its lines kept as line breaks (an address, a signature)."""
    paragraph = document.add_paragraph(style=style)
    for i, line in enumerate(lines):
        run = paragraph.add_run(line)
        if i < len(lines) - 1:
            run.add_break()
    return paragraph


def write_docx(letter: Letter, path: Path, *, title: str, reference: str, author: str,
               font: str, font_size: float) -> Path:
    """Write one draft as a Word document; return the path."""
    import docx
    from docx.shared import Mm, Pt

    document = docx.Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(A4_MM[0]), Mm(A4_MM[1])
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(MARGIN_MM))
    section.header_distance = section.footer_distance = Mm(10)
    _set_language(document)
    _set_fonts(document, font, font_size)
    _letterhead(document, letter)
    frame = letter.frame
    if frame is not None:
        if frame.recipient:  # lower, where a window envelope shows it
            _lines(document, frame.recipient, "Normal").paragraph_format.space_before = Pt(18)
        refs = [f"Our reference: {frame.our_reference}"]
        if frame.your_reference:
            refs.append(f"Your reference: {frame.your_reference}")
        _lines(document, refs, "Normal")
        document.add_paragraph(frame.letter_date, style="Normal")
        document.add_paragraph(frame.subject, style="Title")
        document.add_paragraph(f"Dear {frame.salutation}", style="Normal")
    else:  # an internal note: its title heads it, as in the HTML
        document.add_paragraph(title, style="Title")
    for block in letter.body:
        _add_block(document, block)
    if frame is not None:
        document.add_paragraph(frame.closing, style="Normal").paragraph_format.keep_with_next = True
        signature = _lines(document, [frame.signatory.name, frame.signatory.title, frame.council_name], "Normal")
        signature.paragraph_format.space_before = Pt(30)  # room to sign by hand
        signature.paragraph_format.keep_together = True
    props = document.core_properties
    props.title, props.subject, props.author = title, reference, author
    props.language = LANGUAGE
    props.keywords = "draft letter"
    props.comments = f"Draft letter for {reference}, for checking and signing"
    props.last_modified_by = author
    props.created = props.modified = datetime.now(timezone.utc).replace(microsecond=0, tzinfo=None)
    document.save(str(path))
    return path
