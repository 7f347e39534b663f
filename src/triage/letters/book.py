"""Draft letters from the Jinja2 templates in templates/letters/ (the environment comes from
``environment``, the one module that builds one).

Safety (a letter goes to a family): a sandboxed environment; undefined variables are errors,
so a template that names a missing field fails at `triage rules check`, not in front of a
family; complainants' own text is data, never template code (``{{ 7*7 }}`` in a summary
prints as typed), and the HTML output escapes it.

One template gives every format: it renders plain text; the HTML version renders the same
template with autoescaping and lays the paragraphs out for printing; the Word version is
built from the same paragraphs with python-docx.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from triage.contract.errors import TriageError

from .environment import environment, template_errors

SUFFIX = ".txt.j2"
_FRONT = re.compile(r"^\{#-?\s*\n(.*?)\n\s*-?#\}", re.S)


class LetterError(TriageError):
    """A letter template is missing or failed to render; the message names the template and line."""

    def __init__(self, message: str, *, template: str | None = None, line: int | None = None) -> None:
        self.template, self.line = template, line
        where = f"{template}" + (f" line {line}" if line else "") if template else ""
        super().__init__(f"{where}: {message}" if where else message)


@dataclass(frozen=True)
class TemplateInfo:
    id: str
    title: str
    audience: str  # complainant | internal
    path: Path
    hash: str


@dataclass
class Draft:
    template: str
    title: str
    audience: str
    template_hash: str
    text: str
    html: str

    def summary(self) -> dict[str, str]:
        return {"template": self.template, "title": self.title, "audience": self.audience,
                "template_hash": self.template_hash}


def _env(directory: Path, autoescape: bool) -> Any:
    return environment(directory, autoescape=autoescape, keep_trailing_newline=True)


def _line_of(exc: BaseException) -> int | None:
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith(".j2"):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _paragraphs(text: str) -> list[list[str]]:
    blocks, current = [], []
    for line in text.splitlines():
        if line.strip():
            current.append(line.rstrip())
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _html_body(escaped: str) -> str:
    """Escaped letter text -> HTML paragraphs and lists (the text is already escaped).
    Within a paragraph, runs of lines starting '- ' become a list."""
    out = []
    for block in _paragraphs(escaped):
        lines: list[str] = []
        items: list[str] = []
        for line in [*block, ""]:
            is_item = line.lstrip().startswith("- ")
            if (is_item or not line) and lines:
                out.append("<p>" + "<br>\n".join(lines) + "</p>")
                lines = []
            if not is_item and items:
                out.append("<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>")
                items = []
            if is_item:
                items.append(line.lstrip()[2:])
            elif line:
                lines.append(line)
    return "\n".join(out)


class LetterBook:
    """The letter templates of one directory, and the council's details they use."""

    def __init__(self, directory: Path, council: dict[str, Any]) -> None:
        self.directory = directory
        self.council = council
        self._envs: tuple[Any, Any] | None = None
        self.templates: dict[str, TemplateInfo] = {}
        for path in sorted(directory.glob(f"*{SUFFIX}")):
            if path.name.startswith("_"):
                continue
            source = path.read_text(encoding="utf-8")
            match = _FRONT.match(source)
            # "key: value" lines; no YAML parser here, it is on every decision's path.
            meta = dict(line.split(":", 1) for line in match.group(1).splitlines() if ":" in line) if match else {}
            meta = {k.strip(): v.strip().strip('"').strip("'") for k, v in meta.items()}
            tid = path.name.removesuffix(SUFFIX)
            self.templates[tid] = TemplateInfo(
                tid, str(meta.get("title", tid)), str(meta.get("audience", "complainant")), path,
                "sha256:" + hashlib.sha256(source.encode()).hexdigest())

    def context(self, case: dict[str, Any], decision: dict[str, Any], rules: Any) -> dict[str, Any]:
        """What every template may use: the council, the case, the decision, helpers."""
        simple = bool(decision.get("advocacy_offer"))
        name = (case.get("complainant") or {}).get("name")
        assessed = str(decision.get("assessed_at") or date.today().isoformat())
        return {
            **self.council,
            "case": case,
            "decision": decision,
            "simple": simple,
            "greeting": name or "Sir or Madam",
            "letter_date": date.fromisoformat(assessed[:10]),
            "flag_text": dict(rules.flags),
            "questions": {q["id"]: q for q in decision.get("officer_questions", [])},
            "timescales": rules.settings,
        }

    def render(self, template_id: str, context: dict[str, Any]) -> Draft:
        info = self.templates.get(template_id)
        if info is None:
            raise LetterError(f"no letter template {template_id!r} in {self.directory}")
        TemplateError, UndefinedError = template_errors()

        if self._envs is None:
            self._envs = (_env(self.directory, autoescape=False), _env(self.directory, autoescape=True))
        text_env, html_env = self._envs
        try:
            text = text_env.get_template(info.path.name).render(context)
            escaped = html_env.get_template(info.path.name).render(context)
            layout = html_env.get_template("_layout.html.j2")
            html = layout.render({**context, "title": info.title, "body": Markup(_html_body(escaped))})
        except UndefinedError as exc:
            raise LetterError(f"uses a field the case does not have: {getattr(exc, 'message', exc)}",
                              template=info.path.name, line=_line_of(exc)) from None
        except TemplateError as exc:
            raise LetterError(str(exc), template=info.path.name, line=getattr(exc, "lineno", None)) from None
        return Draft(template_id, info.title, info.audience, info.hash, text.strip() + "\n", html)

    def write(self, draft: Draft, out_dir: Path, reference: str, *, docx: bool = True) -> list[Path]:
        """Write a draft as .txt and .html (and .docx); return the paths."""
        out_dir.mkdir(parents=True, exist_ok=True)
        stem = out_dir / f"{reference}-{draft.template}"
        paths = [stem.with_suffix(".txt"), stem.with_suffix(".html")]
        paths[0].write_text(draft.text, encoding="utf-8")
        paths[1].write_text(draft.html, encoding="utf-8")
        if docx:
            paths.append(self._write_docx(draft, stem.with_suffix(".docx")))
        return paths

    @staticmethod
    def _write_docx(draft: Draft, path: Path) -> Path:
        import docx  # lazy: only when drafts are written

        document = docx.Document()
        for block in _paragraphs(draft.text):
            if all(line.lstrip().startswith("- ") for line in block):
                for line in block:
                    document.add_paragraph(line.lstrip()[2:], style="List Bullet")
            else:
                paragraph = document.add_paragraph()
                for i, line in enumerate(block):
                    run = paragraph.add_run(line)
                    if i < len(block) - 1:
                        run.add_break()
        document.core_properties.title = draft.title
        document.save(str(path))
        return path


def letter_body(text: str) -> str:
    """The words the reader reads: from the greeting to the sign-off (the address block,
    references and contact details would distort a readability score)."""
    start = text.find("Dear ")
    end = text.find("Yours sincerely")
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
