"""Draft letters from the Jinja2 templates in templates/letters/ (the environment comes from
``environment``, the one module that builds one).

Safety (a letter goes to a family): a sandboxed environment; undefined variables are errors,
so a template that names a missing field fails at `triage rules check`, not in front of a
family; complainants' own text is data, never template code (``{{ 7*7 }}`` in a summary
prints as typed), their free text is quoted (``quoted``) and their names kept to one line, and
the HTML output escapes all of it.

A template gives the body; ``layout`` adds the letterhead, recipient, references, date,
subject, salutation and signature, and the three formats (text, HTML, Word) are laid out
from the same blocks. Templates are looked up in a list of folders, first match wins: a
council's own folder before the shipped one replaces any template without forking.
"""

from __future__ import annotations

import base64
import hashlib
import mimetypes
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from markupsafe import escape

from triage.contract.errors import TriageError

from .environment import environment, long_date, template_errors
from .layout import (
    Frame,
    Letter,
    Letterhead,
    Signatory,
    blocks,
    one_line,
    plain,
    quoted,
    recipient,
    salutation,
    subject,
)

SUFFIX = ".txt.j2"
_FRONT = re.compile(r"^\{#-?\s*\n(.*?)\n\s*-?#\}", re.S)
DEFAULT_FONT, DEFAULT_FONT_SIZE = "Arial", 11


class LetterError(TriageError):
    """A letter template is missing or failed to render; the message names the template and line."""

    def __init__(self, message: str, *, template: str | None = None, line: int | None = None) -> None:
        self.template, self.line = template, line
        where = f"{template}" + (f" line {line}" if line else "") if template else ""
        super().__init__(f"{where}: {message}" if where else message)


class LetterNotApplicable(LetterError):
    """A template was asked for a decision it cannot apply to (e.g. an extension notice for a
    case concern, which has no response date); the message says what the template is for."""

    exit_code = 2


class CouncilSettingError(LetterError):
    """A letter setting in council.yaml cannot be used (e.g. a logo that is not an image)."""

    exit_code = 2


@dataclass(frozen=True)
class TemplateInfo:
    id: str
    title: str
    audience: str  # complainant | internal
    path: Path
    hash: str
    needs: tuple[str, ...] = ()  # context paths the template cannot do without
    applies: str = ""  # what it is for, in words (for the refusal message)


@dataclass
class Draft:
    template: str
    title: str
    audience: str
    template_hash: str
    text: str
    html: str
    letter: Letter | None = None
    signed_by: Signatory | None = None

    def summary(self) -> dict[str, str]:
        out = {"template": self.template, "title": self.title, "audience": self.audience,
               "template_hash": self.template_hash}
        if self.signed_by is not None:
            out |= {"signed_by": self.signed_by.name, "signed_by_title": self.signed_by.title}
        return out


def _line_of(exc: BaseException) -> int | None:
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith(".j2"):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


_DATES = {"respond_by": "response date", "respond_by_latest": "latest response date",
          "acknowledge_by": "acknowledgement date"}


def _unmet(context: dict[str, Any], need: str) -> str | None:
    """What the decision lacks of one ``needs`` entry (``path`` or ``path=value``), in words;
    None when it has it."""
    path, _, wanted = need.partition("=")
    value: Any = context
    for part in path.strip().split("."):
        value = value.get(part) if isinstance(value, dict) else None
    leaf = path.strip().rsplit(".", 1)[-1]
    words = _DATES.get(leaf) or leaf.replace("_", " ")
    if value in (None, "", [], {}):
        return f"no {words}"
    if wanted and str(value) != wanted.strip():
        return f"{words} {str(value).replace('_', ' ')}"
    return None


def check_signer(signed_by: str | None, title: str | None) -> None:
    """Refuse a signing officer that cannot sign: a blank name, a title without a name, or
    either too long for a signature block (checked before anything is logged)."""
    from triage.contract.errors import UsageError

    if signed_by is not None and not one_line(signed_by):
        raise UsageError("--signed-by: give the signing officer's name")
    if title is not None and signed_by is None:
        raise UsageError("--signed-by-title: give the signing officer's name with --signed-by NAME too")
    for option, value in (("--signed-by", signed_by), ("--signed-by-title", title)):
        if value is not None and len(one_line(value)) > 100:
            raise UsageError(f"{option}: at most 100 characters, please")


def _single_lines(case: dict[str, Any]) -> dict[str, Any]:
    """The case with its names and contact details on one line each: a line break typed into
    a name cannot add a line or a paragraph to a letter (free text goes through ``quoted``)."""
    complainant = dict(case.get("complainant") or {})
    contact = dict(complainant.get("contact") or {})
    for key in ("email", "phone", "reference"):
        if contact.get(key):
            contact[key] = one_line(contact[key])
    if complainant.get("name"):
        complainant["name"] = one_line(complainant["name"])
    complainant["contact"] = contact
    child = dict(case.get("child") or {})
    if child.get("name"):
        child["name"] = one_line(child["name"])
    return {**case, "complainant": complainant, "child": child}


def _folders(directory: Path | Sequence[Path]) -> list[Path]:
    return [Path(directory)] if isinstance(directory, (str, Path)) else [Path(d) for d in directory]


def _logo_uri(path: Path | None) -> str | None:
    if path is None:
        return None
    kind = mimetypes.guess_type(path.name)[0] or "image/png"
    return f"data:{kind};base64," + base64.b64encode(path.read_bytes()).decode()


class LetterBook:
    """The letter templates of one or more folders (the first folder holding a template wins),
    and the council's details they use."""

    def __init__(self, directory: Path | Sequence[Path], council: dict[str, Any],
                 council_dir: Path | None = None) -> None:
        self.folders = _folders(directory)
        self.directory = self.folders[-1]  # the shipped templates (the last, fallback, folder)
        self.council = council
        self.council_dir = council_dir
        self._envs: tuple[Any, Any] | None = None
        self.templates: dict[str, TemplateInfo] = {}
        for folder in reversed(self.folders):  # earlier folders replace later ones
            for path in sorted(folder.glob(f"*{SUFFIX}")):
                if not path.name.startswith("_"):
                    info = self._info(path)
                    self.templates[info.id] = info
        self.templates = dict(sorted(self.templates.items()))

    @staticmethod
    def _info(path: Path) -> TemplateInfo:
        source = path.read_text(encoding="utf-8")
        match = _FRONT.match(source)
        # "key: value" lines; no YAML parser here, it is on every decision's path.
        meta = dict(line.split(":", 1) for line in match.group(1).splitlines() if ":" in line) if match else {}
        meta = {k.strip(): v.strip().strip('"').strip("'") for k, v in meta.items()}
        tid = path.name.removesuffix(SUFFIX)
        needs = tuple(x.strip() for x in str(meta.get("needs", "")).split(",") if x.strip())
        return TemplateInfo(tid, str(meta.get("title", tid)), str(meta.get("audience", "complainant")), path,
                            "sha256:" + hashlib.sha256(source.encode()).hexdigest(), needs,
                            str(meta.get("applies", "")))

    def letters_setting(self, key: str, default: Any) -> Any:
        return (self.council.get("letters") or {}).get(key) or default

    def font(self) -> tuple[str, float]:
        """``letters.font`` and ``letters.font_size`` from council.yaml (default Arial 11), checked."""
        font, size = self.letters_setting("font", DEFAULT_FONT), self.letters_setting("font_size", DEFAULT_FONT_SIZE)
        if not isinstance(font, str) or not one_line(font) or len(font) > 60 or any(c in font for c in "\"';{}<>"):
            raise CouncilSettingError(f"letters.font: {font!r} is not a font name; give one like \"Arial\"")
        if isinstance(size, bool) or not isinstance(size, (int, float)) or not 6 <= size <= 30:
            raise CouncilSettingError(f"letters.font_size: {size!r} is not a size in points from 6 to 30; "
                                      "give one like 11")
        return one_line(font), size

    def signatory(self, signed_by: str | None = None, title: str | None = None) -> Signatory:
        """The signing officer; without one, the council's default signatory. A signing officer
        without a title signs for the complaints team."""
        check_signer(signed_by, title)
        default = self.council.get("signatory") or {}
        if signed_by:
            team = (self.council.get("council") or {}).get("team") or "Complaints Team"
            return Signatory(one_line(signed_by), one_line(title) if title and one_line(title) else team)
        return Signatory(one_line(default.get("name") or "Complaints Manager"),
                         one_line(default.get("title") or ""))

    def logo(self, rules: Any = None) -> Path | None:
        """``council.logo``, relative to the folder holding council.yaml; None when not set."""
        name = (self.council.get("council") or {}).get("logo")
        if not name:
            return None
        base = self.council_dir or (getattr(rules, "directory", None) if rules is not None else None) or Path(".")
        path = (Path(base) / str(name)).resolve()
        if not path.is_file():
            raise CouncilSettingError(f"council.logo: no image file {path}; give a path relative to the folder "
                                      "holding council.yaml, or remove the key")
        with path.open("rb") as f:
            head = f.read(8)
        if not head.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF8")):
            raise CouncilSettingError(f"council.logo: {path} is not a PNG, JPEG or GIF image; "
                                      "save the logo in one of those formats")
        return path

    def context(self, case: dict[str, Any], decision: dict[str, Any], rules: Any,
                signed_by: Signatory | None = None) -> dict[str, Any]:
        """What every template may use: the council, the case, the decision, helpers."""
        simple = bool(decision.get("advocacy_offer"))
        case = _single_lines(case)
        name = (case.get("complainant") or {}).get("name")
        assessed = str(decision.get("assessed_at") or date.today().isoformat())
        return {
            **self.council,
            "case": case,
            "decision": decision,
            "simple": simple,
            "greeting": one_line(name) if name else "Sir or Madam",
            "letter_date": date.fromisoformat(assessed[:10]),
            "flag_text": dict(rules.flags),
            "questions": {q["id"]: q for q in decision.get("officer_questions", [])},
            "timescales": rules.settings,
            "signatory": self._signatory_dict(signed_by),
            "logo_path": self.logo(rules),
        }

    def _signatory_dict(self, signed_by: Signatory | None) -> dict[str, str]:
        who = signed_by or self.signatory()
        return {"name": who.name, "title": who.title}

    def _environments(self) -> tuple[Any, Any]:
        if self._envs is None:
            filters = {"quoted": quoted, "plain": plain, "one_line": one_line}
            self._envs = (environment(self.folders, autoescape=False, keep_trailing_newline=True, filters=filters),
                          environment(self.folders, autoescape=True, keep_trailing_newline=True, filters=filters))
        return self._envs

    def _letterhead(self, logo: Path | None) -> Letterhead:
        c = self.council.get("council") or {}
        return Letterhead(one_line(c.get("name") or ""), one_line(c.get("service") or ""),
                          [one_line(x) for x in c.get("address") or []], one_line(c.get("phone") or ""),
                          one_line(c.get("email") or ""), one_line(c.get("website") or ""), logo)

    def _frame(self, context: dict[str, Any]) -> Frame:
        case, decision = context["case"], context["decision"]
        contact = (case.get("complainant") or {}).get("contact") or {}
        greeting = salutation(case, context["simple"])
        who = context["signatory"]
        return Frame(long_date(context["letter_date"]), recipient(case), str(decision.get("reference")),
                     one_line(contact["reference"]) if contact.get("reference") else None,
                     subject(case, decision), greeting,
                     "Yours faithfully" if greeting == "Sir or Madam" else "Yours sincerely",
                     Signatory(who["name"], who["title"]),
                     one_line((self.council.get("council") or {}).get("name") or ""))

    def check_applies(self, info: TemplateInfo, context: dict[str, Any]) -> None:
        """Refuse, with what the template is for, a template whose needs the decision lacks."""
        missing = [m for m in (_unmet(context, n) for n in info.needs) if m]
        if not missing:
            return
        decision = context["decision"]
        what = ", ".join(str(decision.get(k)).replace("_", " ") for k in ("representation_type", "disposition")
                         if decision.get(k))
        raise LetterNotApplicable(
            f"cannot be drafted for {decision.get('reference')} ({what}): it is for {info.applies or 'other decisions'}, "
            f"and this decision has {' and '.join(missing)}", template=info.id)

    def render(self, template_id: str, context: dict[str, Any]) -> Draft:
        info = self.templates.get(template_id)
        if info is None:
            raise LetterError(f"no letter template {template_id!r} in {', '.join(map(str, self.folders))} "
                              f"(known: {', '.join(self.templates)})")
        self.check_applies(info, context)
        TemplateError, UndefinedError = template_errors()
        text_env, html_env = self._environments()
        # a council's own template is named by its whole path, so the fix goes in the right folder
        named = info.path.name if info.path.parent == self.directory else str(info.path)
        try:
            body = text_env.get_template(info.path.name).render(context)
        except UndefinedError as exc:
            raise LetterError(f"uses a field the case does not have: {getattr(exc, 'message', exc)}",
                              template=named, line=_line_of(exc)) from None
        except TemplateError as exc:
            raise LetterError(str(exc), template=named, line=getattr(exc, "lineno", None)) from None
        complainant = info.audience == "complainant"
        letter = Letter(self._letterhead(context.get("logo_path")), self._frame(context) if complainant else None,
                        blocks(body))
        font, font_size = self.font()
        try:
            html = html_env.get_template("_layout.html.j2").render(
                {**context, "title": info.title, "letter": letter, "logo_uri": _logo_uri(letter.letterhead.logo),
                 "font": font, "font_size": font_size})
        except TemplateError as exc:
            raise LetterError(str(exc), template="_layout.html.j2", line=getattr(exc, "lineno", None)) from None
        who = context["signatory"]
        return Draft(template_id, info.title, info.audience, info.hash, letter.text(), html, letter,
                     Signatory(who["name"], who["title"]) if complainant else None)

    def write(self, draft: Draft, out_dir: Path, reference: str, *, docx: bool = True) -> list[Path]:
        """Write a draft as .txt and .html (and .docx); return the paths."""
        out_dir.mkdir(parents=True, exist_ok=True)
        stem = out_dir / f"{reference}-{draft.template}"
        paths = [stem.with_suffix(".txt"), stem.with_suffix(".html")]
        paths[0].write_text(draft.text, encoding="utf-8")
        paths[1].write_text(draft.html, encoding="utf-8")
        if docx and draft.letter is not None:
            from .word import write_docx

            font, font_size = self.font()
            paths.append(write_docx(draft.letter, stem.with_suffix(".docx"), title=draft.title, reference=reference,
                                    author=draft.letter.letterhead.name or "council", font=font, font_size=font_size))
        return paths


def letter_body(text: str) -> str:
    """The words the reader reads: from the greeting to the sign-off (the address block,
    references and contact details would distort a readability score)."""
    start = text.find("Dear ")
    ends = [i for i in (text.find("Yours sincerely"), text.find("Yours faithfully")) if i >= 0]
    end = min(ends) if ends else -1
    return text[start if start >= 0 else 0: end if end >= 0 else len(text)]


def reading_ease(text: str) -> float:
    """Flesch reading ease (higher is easier; 60-70 is plain English, 80+ easy for children).

    Syllables are estimated from vowel groups, the usual approximation."""
    words = re.findall(r"[A-Za-z][A-Za-z'-]*", text)
    sentences = max(1, len(re.findall(r"[.!?]+(\s|$)", text)))
    if not words:
        return 0.0

    def syllables(word: str) -> int:
        w = word.lower().strip("'")
        groups = re.findall(r"[aeiouy]+", w)
        count = len(groups) - (1 if w.endswith("e") and len(groups) > 1 and not w.endswith("le") else 0)
        return max(1, count)

    total = sum(syllables(w) for w in words)
    return round(206.835 - 1.015 * (len(words) / sentences) - 84.6 * (total / len(words)), 1)


def escape_text(value: str) -> str:
    return str(escape(value))
