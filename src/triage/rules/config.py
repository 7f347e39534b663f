"""The schema of the configuration files: settings.yaml, council.yaml and taxonomy.yaml.

Each file is checked the way a case is: an unknown key, a wrong type, a date that is not a
date, an impossible value (a negative timescale, a ``from:`` that is not one of its values)
is an error naming the file, the line, the key path and the nearest valid key or value.
A council's settings.yaml holds only the keys it overrides, so it is checked key by key
(``partial``); the effective settings (the shipped ones with the council's on top) are then
checked whole, including the rules that tie keys together (a maximum not below the standard).

The schema is data (``SETTINGS``, ``COUNCIL``, ``TAXONOMY``), so the settings reference in
docs/settings.md is generated from it (``triage rules settings --reference``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from triage.contract import vocab
from triage.contract.errors import RuleError
from triage.contract.hints import suggest

KeyPath = tuple[Any, ...]


class ConfigError(RuleError):
    """One problem in a configuration file: the file, the line, the key path and the fix."""

    exit_code = 2

    def __init__(self, message: str, *, file: str, line: int | None = None, path: KeyPath = ()) -> None:
        self.line, self.path = line, path
        where = f"{file}:{line}" if line else file
        key = dotted(path)
        RuleError.__init__(self, f"{key}: {message}" if key else message, file=where)


def dotted(path: KeyPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# --- reading YAML with the line of every key ----------------------------------------------


@dataclass
class YamlFile:
    """A parsed YAML file with the line (1-based) of every key and list item."""

    path: Path
    data: Any
    lines: dict[KeyPath, int] = field(default_factory=dict)

    def line(self, path: KeyPath) -> int | None:
        """The line of ``path``, else of its nearest ancestor that has one."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)


def read_yaml(path: Path, errors: list[RuleError]) -> YamlFile | None:
    """Parse ``path``; a syntax error, a duplicate key or an unreadable file is appended to
    ``errors`` (with its line) and gives None."""
    import yaml

    loader = _loader()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        errors.append(ConfigError(f"cannot read: {exc}", file=str(path)))
        return None
    try:
        node, data = _parse(text, loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        errors.append(ConfigError(f"not valid YAML: {getattr(exc, 'problem', None) or exc}"
                                  f"{f', column {mark.column + 1}' if mark else ''}",
                                  file=str(path), line=mark.line + 1 if mark else None))
        return None
    except (ValueError, TypeError, RecursionError) as exc:  # a value YAML itself cannot build
        errors.append(ConfigError(f"not valid YAML: {exc}", file=str(path)))
        return None
    result = YamlFile(path, data)
    before = len(errors)
    if node is not None:
        _walk(node, (), result, errors)
    return result if len(errors) == before else None


def _parse(text: str, loader: Any) -> tuple[Any, Any]:
    """The node tree (for the lines) and the data built from that same tree: one parse, not two."""
    parser = loader(text)
    try:
        node = parser.get_single_node()
        return node, (parser.construct_document(node) if node is not None else None)
    finally:
        parser.dispose()


_LOADER: Any = None


def _loader() -> Any:
    """libyaml's safe loader (else PyYAML's), reading dates as text: the schema checks them,
    so 2025-13-01 is an error naming its key, not a ValueError from the parser."""
    global _LOADER
    if _LOADER is None:
        import yaml

        base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        _LOADER = type("ConfigLoader", (base,), {})
        _LOADER.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))
    return _LOADER


def _walk(node: Any, path: KeyPath, out: YamlFile, errors: list[RuleError]) -> None:
    import yaml

    out.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                errors.append(ConfigError("this key is given twice; keep one", file=str(out.path),
                                          line=key_node.start_mark.line + 1, path=(*path, key)))
            seen.add(key)
            out.lines[(*path, key)] = key_node.start_mark.line + 1
            _walk(value_node, (*path, key), out, errors)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*path, i), out, errors)


# --- the schema ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Leaf:
    """A value: its kind, the allowed values or bounds, and what it means (for the docs)."""

    kind: str  # int | text | bool | choice | date | number | font
    doc: str = ""
    values: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    optional: bool = False

    def check(self, value: Any) -> str | None:
        """What is wrong with ``value`` (None when it is fine)."""
        if self.kind == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                return f"must be a whole number, not {_show(value)}"
        elif self.kind == "number":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return f"must be a number, not {_show(value)}"
        elif self.kind == "text":
            if not isinstance(value, str) or not value.strip():
                return f"must be text, not {_show(value)}"
        elif self.kind == "font":
            # A name for Word and for CSS: one line, no quotes or braces that would break the style.
            if not isinstance(value, str) or not value.strip() or len(value) > 60 or "\n" in value \
                    or any(c in value for c in "\"';{}<>"):
                return f"{_show(value)} is not a font name; give one like \"Arial\""
        elif self.kind == "bool":
            if not isinstance(value, bool):
                return f"must be true or false, not {_show(value)}"
        elif self.kind == "choice":
            if value not in self.values:
                return (f"{_show(value)} is not one of {', '.join(self.values)}"
                        f"{suggest(value, self.values)}")
        elif self.kind == "date":
            if isinstance(value, date):
                return None
            try:
                date.fromisoformat(str(value))
            except ValueError:
                return f"{_show(value)} is not a date; write it as YYYY-MM-DD, e.g. 2025-12-29"
            return None if isinstance(value, str) else f"{_show(value)} is not a date; write it as YYYY-MM-DD"
        if self.minimum is not None and value < self.minimum:
            return f"must be at least {_num(self.minimum)}, not {_show(value)}"
        if self.maximum is not None and value > self.maximum:
            return f"must be at most {_num(self.maximum)}, not {_show(value)}"
        return None


@dataclass(frozen=True)
class ListOf:
    item: Any
    doc: str = ""
    optional: bool = False


@dataclass(frozen=True)
class MapOf:
    """A mapping whose keys come from a vocabulary (``keys``) or are free (None)."""

    value: Any
    keys: tuple[str, ...] | None = None
    doc: str = ""
    optional: bool = False


@dataclass(frozen=True)
class Either:
    """One of several shapes (a closure day written as a date or as {date, name})."""

    options: tuple[Any, ...]
    doc: str = ""
    optional: bool = False


@dataclass(frozen=True)
class Section:
    """A mapping with fixed keys."""

    fields: dict[str, Any]
    doc: str = ""
    optional: bool = False


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (an empty value)"
    return repr(value.isoformat() if isinstance(value, date) else value)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _days(doc: str) -> Leaf:
    return Leaf("int", doc, minimum=0, maximum=400)


CITATION = Leaf("text", "The authority for the figures, printed with the deadlines.")
_STAGE_FROM = ("acknowledgement", "receipt")
_HOLIDAY = Section({"date": Leaf("date", "The day (YYYY-MM-DD)."), "name": Leaf("text", "Its name.", optional=True)})


def _corporate_stage(n: int, clause: str) -> Section:
    return Section({
        "acknowledge": _days(f"Working days to acknowledge a corporate stage {n} complaint."),
        "respond": _days(f"Working days to respond at corporate stage {n}, counted from `from`."),
        "extension": _days("Further working days allowed with reasons (the latest date is respond + extension)."),
        "from": Leaf("choice", "Where the response clock starts: the acknowledgement (the Complaint Handling "
                     "Code) or the receipt (some councils' own procedures).", _STAGE_FROM),
        "citation": CITATION,
    }, f"Corporate stage {n} timescales (LGSCO Complaint Handling Code (2024) {clause}).")


SETTINGS = Section({
    "counting": Section({
        "received_on_non_working_day": Leaf(
            "choice", "as_received: the clock starts on the day it arrived, even a Saturday; next_working_day: "
            "items received on a non-working day count as received the next working day (a local choice).",
            ("as_received", "next_working_day")),
    }, "How the working-day clock starts."),
    "statutory": Section({
        "acknowledge": Section({"days": _days("Working days to acknowledge a statutory complaint (a local standard: "
                                              "the regulations set no figure)."), "citation": CITATION}),
        "stage1": Section({"respond": _days("Working days to respond at stage 1, from receipt (reg 14: 10)."),
                           "latest": _days("The maximum for a complex stage 1 complaint (reg 14: 20)."),
                           "citation": CITATION}),
        "request_stage2": Section({"days": _days("Working days after the stage 1 response in which stage 2 may be "
                                                 "asked for (20)."), "citation": CITATION}),
        "stage2": Section({"respond": _days("Working days to respond at stage 2, from the agreed statement of "
                                            "complaint (reg 17: 25)."),
                           "latest": _days("The maximum at stage 2 (reg 17: 65)."), "citation": CITATION}),
        "request_stage3": Section({"days": _days("Working days after the stage 2 response in which a review "
                                                 "panel may be asked for (reg 18: 20)."), "citation": CITATION}),
        "stage3": Section({"panel": _days("Working days from the request to the panel meeting (reg 19: 30)."),
                           "report": _days("Working days from the meeting to the panel's report (5)."),
                           "response": _days("Working days from the report to the council's response (15)."),
                           "citation": CITATION}),
        "late_after_months": Leaf("int", "A complaint made more than this many months after the grounds arose "
                                  "is late (reg 9: 12); an officer decides whether to accept it.", minimum=1,
                                  maximum=120),
    }, "The statutory children's social care procedure (SI 2006/1738)."),
    "corporate": Section({
        "stage1": _corporate_stage(1, "5.1, 5.4"),
        "request_stage2": Section({"days": _days("Working days after the stage 1 response in which stage 2 may be "
                                                 "asked for (a local policy)."), "citation": CITATION}),
        "stage2": _corporate_stage(2, "6.1, 6.4"),
        "late_after_months": Leaf("int", "Months from the matter (or from becoming aware of it) after which a "
                                  "corporate complaint is late (12).", minimum=1, maximum=120),
        "closures_stop_clock": Leaf("bool", "Whether the council's closure days (calendar.council_closures) stop "
                                    "the corporate clock. They never stop the statutory clock."),
    }, "The council's corporate procedure."),
    "same_day": Section({"citation": CITATION}, "Safeguarding referrals and case concerns are acted on the same day."),
    "information_request": Section({
        "foi": Section({"respond": _days("Working days to answer a freedom of information request, bank holidays "
                                         "anywhere in the UK excluded (FOIA 2000 s.10: 20)."), "citation": CITATION}),
        "sar": Section({"respond_months": Leaf("int", "Calendar months to answer a subject access request "
                                               "(UK GDPR art. 12(3): 1).", minimum=1, maximum=12),
                        "extension_months": Leaf("int", "Further months allowed for a complex request (2).",
                                                 minimum=0, maximum=12),
                        "citation": CITATION}),
    }, "Information requests, handled outside the complaints procedures."),
    "pre_complaint": Section({
        "request_information": Section({"days": _days("Working days to ask for the missing information."),
                                        "citation": CITATION}),
    }, "A representation that cannot be progressed yet."),
    "thresholds": Section({
        "long_submission_words": Leaf("int", "A summary longer than this many words is flagged so the "
                                      "acknowledgement asks the complainant to confirm the key points.", minimum=1),
        "multi_issue_natures": Leaf("int", "A representation with at least this many natures is flagged as "
                                    "multi-issue.", minimum=1),
    }, "Thresholds the flag rules read."),
    "learning": Section({
        "decide_within": Section({
            "days": _days("After an upheld or partially upheld response, working days within which an action is to "
                          "be agreed, or `triage due` lists the learning to decide (a local standard)."),
            "from": Leaf("date", "Responses before this date are not listed (the day the council started recording "
                         "actions); leave it out to list every response.", optional=True),
            "citation": CITATION}),
        "owners": ListOf(Leaf("text"), "Roles that may own an action besides the taxonomy's services: roles, never "
                         "a person's name."),
    }, "Actions agreed on a case to put right or to learn from it.", optional=True),
    "calendar": Section({
        "add_bank_holidays": ListOf(_HOLIDAY, "Newly proclaimed bank holidays the `holidays` package does not know "
                                    "yet, each {date, name}."),
        "remove_bank_holidays": ListOf(Leaf("date"), "Bank holidays that were cancelled (dates)."),
        "council_closures": ListOf(Either((Leaf("date"), _HOLIDAY)), "The council's own closure days (dates, or "
                                   "{date, name}); see corporate.closures_stop_clock."),
    }, "Working days: England and Wales bank holidays come from the `holidays` package."),
})

_TEXT = Leaf("text")
COUNCIL = Section({
    "council": Section({
        "name": Leaf("text", "The council's name, at the head of every letter."),
        "service": Leaf("text", "The service, e.g. Children's Services."),
        "team": Leaf("text", "The team that signs for complaints."),
        "address": ListOf(_TEXT, "Address lines."),
        "phone": Leaf("text", "The team's telephone number."),
        "email": Leaf("text", "The team's email address."),
        "website": Leaf("text", "The complaints web page.", optional=True),
        "logo": Leaf("text", "An image for the letter head, relative to the folder holding council.yaml.",
                     optional=True),
    }),
    "signatory": Section({"name": Leaf("text", "Who signs the letters."), "title": Leaf("text", "Their job title.")}),
    "advocacy": Section({"provider": _TEXT, "phone": _TEXT, "email": _TEXT,
                         "website": Leaf("text", optional=True)}, "The advocacy service offered (s.26A)."),
    "front_door": Section({"name": _TEXT, "phone": _TEXT, "email": _TEXT},
                          "Where safeguarding referrals and case concerns go the same day."),
    "information_requests": Section({"foi_email": _TEXT, "sar_email": _TEXT}),
    "lgsco": Section({"name": _TEXT, "phone": _TEXT, "website": _TEXT}, "The Ombudsman's details."),
    "letters": Section({"font": Leaf("font", "The font of the Word and HTML drafts (default Arial).", optional=True),
                        "font_size": Leaf("number", "Its size in points (default 11).", minimum=6, maximum=30,
                                          optional=True)},
                       "How the drafts look.", optional=True),
})

_ENTRY = Section({"label": Leaf("text", "The label as the report prints it."),
                  "function": Leaf("choice", "The function a representation with this label is about.",
                                   tuple(vocab.FUNCTIONS), optional=True),
                  "tags": ListOf(_TEXT, "Marks the rules test for.", optional=True)})
_LISTS = ("services", "natures", "methods", "relationships", "actual_outcomes", "lgsco_outcomes")
TAXONOMY = Section({
    "services": ListOf(_ENTRY, "Services (teams) a representation may be about."),
    "natures": ListOf(_ENTRY, "Natures of complaint."),
    "methods": MapOf(_TEXT, tuple(vocab.RECEIVED_VIA), "received_via value -> the report's label."),
    "relationships": MapOf(Section({"group": _TEXT, "label": _TEXT}), tuple(vocab.RELATIONSHIPS),
                           "complainant.relationship value -> the report's group and label."),
    "actual_outcomes": ListOf(_TEXT, "Labels for the outcomes of a response."),
    "lgsco_outcomes": ListOf(_TEXT, "Labels for the Ombudsman's outcomes."),
})
def _optional(spec: Any) -> Any:
    from dataclasses import replace

    return replace(spec, optional=True)


# A council's taxonomy.yaml adds to the shipped lists (an entry with a shipped label replaces
# it; a key of methods or relationships replaces the shipped one); `replace:` names the lists
# it replaces whole.
COUNCIL_TAXONOMY = Section({**{k: _optional(v) for k, v in TAXONOMY.fields.items()},
                            "replace": ListOf(Leaf("choice", values=_LISTS), "Lists the council replaces whole.",
                                              optional=True)})


# --- checking -----------------------------------------------------------------------------


def check(data: Any, spec: Any, source: YamlFile | None, file: str, *, partial: bool = False,
          origin: Any = None) -> list[ConfigError]:
    """Every problem of ``data`` against ``spec``. ``partial``: keys may be left out (a
    council's overrides). ``origin(path)`` names the file a merged value came from."""
    errors: list[ConfigError] = []

    def err(path: KeyPath, message: str) -> None:
        where = origin(path) if origin else (source, file)
        src, name = where
        errors.append(ConfigError(message, file=name, line=src.line(path) if src else None, path=path))

    def walk(value: Any, spec: Any, path: KeyPath, partial: bool) -> None:
        if isinstance(spec, Section):
            if value is None and path == ():
                value = {}
            if not isinstance(value, dict):
                err(path, f"must be a mapping of {', '.join(spec.fields)}, not {_show(value)}")
                return
            for key, v in value.items():
                if key not in spec.fields:
                    err((*path, key), f"unknown key{_key_hint(key, spec, data_spec, path)}")
                else:
                    walk(v, spec.fields[key], (*path, key), partial)
            if not partial:
                for key, sub in spec.fields.items():
                    if key not in value and not sub.optional:
                        err(path, f"missing key {key!r}")
        elif isinstance(spec, ListOf):
            if not isinstance(value, list):
                err(path, f"must be a list, not {_show(value)}")
                return
            for i, item in enumerate(value):
                walk(item, spec.item, (*path, i), False)  # a list item is whole, even in a layer
        elif isinstance(spec, MapOf):
            if not isinstance(value, dict):
                err(path, f"must be a mapping, not {_show(value)}")
                return
            for key, v in value.items():
                if spec.keys is not None and key not in spec.keys:
                    err((*path, key), f"{key!r} is not a known value{suggest(key, spec.keys)}")
                else:
                    walk(v, spec.value, (*path, key), False)  # an entry replaces a whole shipped one
        elif isinstance(spec, Either):
            found = [check(value, option, None, "") for option in spec.options]
            if all(found):
                # Explain by the shape the value was written in: a mapping by the mapping form.
                closest = next((f for o, f in zip(spec.options, found)
                                if isinstance(o, Section) == isinstance(value, dict)), found[0])
                kinds = " or ".join("a date" if isinstance(o, Leaf) else "{date, name}" for o in spec.options)
                err(path, f"must be {kinds}: {closest[0]}")
        elif isinstance(spec, Leaf):
            problem = spec.check(value)
            if problem:
                err(path, problem)

    data_spec = spec
    walk(data, spec, (), partial)
    return errors


def _key_hint(key: Any, section: Section, whole: Any, path: KeyPath) -> str:
    """The nearest key here; else the same or a near key elsewhere in the file (a key put
    at the wrong level); else the keys allowed here."""
    here = suggest(key, section.fields)
    if here:
        return here
    elsewhere = {dotted(p): p[-1] for p, _ in leaves(whole) + _sections(whole)}
    close = [full for full, last in elsewhere.items() if last == key] or \
        [full for full, last in elsewhere.items() if suggest(key, [last])]
    if close:
        return f"; did you mean {' or '.join(repr(c) for c in close[:3])} (it belongs under another key)?"
    return f"; the keys here are {', '.join(section.fields)}"


def _sections(spec: Any, path: KeyPath = ()) -> list[tuple[KeyPath, Any]]:
    if not isinstance(spec, Section):
        return []
    return [(p, s) for k, sub in spec.fields.items() for p, s in [((*path, k), sub), *_sections(sub, (*path, k))]
            if isinstance(s, Section)]


def settings_relations(settings: dict[str, Any]) -> list[tuple[KeyPath, str]]:
    """Values that are each valid but impossible together (checked on the effective settings)."""
    out: list[tuple[KeyPath, str]] = []
    for stage in ("stage1", "stage2"):
        s = settings.get("statutory", {}).get(stage, {})
        if isinstance(s.get("respond"), int) and isinstance(s.get("latest"), int) and s["latest"] < s["respond"]:
            out.append((("statutory", stage, "latest"),
                        f"the maximum ({s['latest']}) is below the standard respond ({s['respond']}); "
                        "it must be at least as long"))
    return out


def iso_dates(value: Any) -> Any:
    """``value`` with every date in it (YAML reads 2025-01-01 as one) as ISO text, as facts and
    settings carry them."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [iso_dates(v) for v in value]
    if isinstance(value, dict):
        return {k: iso_dates(v) for k, v in value.items()}
    return value


def normalise_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """The effective settings in one shape for the code that reads them: dates as ISO text,
    every closure day as a date (a closure may be written as {date, name})."""
    out = iso_dates(settings)
    calendar = out.get("calendar")
    if isinstance(calendar, dict):
        calendar["council_closures"] = [c["date"] if isinstance(c, dict) else c
                                        for c in calendar.get("council_closures") or []]
    return out


def merge(base: dict[str, Any], layer: dict[str, Any], base_name: str, layer_name: str,
          sources: dict[KeyPath, str] | None = None, path: KeyPath = ()) -> tuple[dict[str, Any], dict[KeyPath, str]]:
    """``layer`` on top of ``base``: mappings merge key by key, anything else (a number, a
    list) set in the layer replaces the base value. Returns the result and, for every leaf,
    the file it came from."""
    sources = {} if sources is None else sources
    out: dict[str, Any] = {}
    for key in [*base, *(k for k in layer if k not in base)]:
        here = (*path, key)
        if key in layer and key in base and isinstance(base[key], dict) and isinstance(layer[key], dict):
            out[key], _ = merge(base[key], layer[key], base_name, layer_name, sources, here)
        elif key in layer:
            out[key] = layer[key]
            _mark(layer[key], here, layer_name, sources)
        else:
            out[key] = base[key]
            _mark(base[key], here, base_name, sources)
    return out, sources


def _mark(value: Any, path: KeyPath, name: str, sources: dict[KeyPath, str]) -> None:
    if isinstance(value, dict) and value:
        for k, v in value.items():
            _mark(v, (*path, k), name, sources)
    else:
        sources[path] = name


def leaves(spec: Any, path: KeyPath = ()) -> list[tuple[KeyPath, Any]]:
    """Every leaf of a schema with its key path (for the settings reference)."""
    if isinstance(spec, Section):
        return [item for k, sub in spec.fields.items() for item in leaves(sub, (*path, k))]
    return [(path, spec)]
