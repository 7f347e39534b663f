"""Loading and validating the rules in ``rules/``.

A rule file is one *phase* of the decision, evaluated in file-name order::

    phase: who
    title: Who may complain
    when: {decision.representation_type: complaint}   # optional, added to every rule
    lists:                                             # optional, named value lists
      adoption_circle: [adopter, prospective_adopter]
    rules:
      - id: who.parent
        title: A parent may complain
        citation: Children Act 1989 s.26(3)(b)
        when: {complainant.relationship: [parent, non_resident_parent]}
        then: {standing: eligible}

Within a phase every matching rule fires; for each exclusive conclusion the first rule in
file order wins, and a later phase may revise an earlier one. A rule *contributes* to a
decision when all its exclusive conclusions hold in the final decision; only contributing
rules are listed in ``rules_fired`` and only their flags and questions are raised.

Loading checks every rule against the fact schema and the vocabularies, and fails with the
file, the rule id and a suggestion. The ruleset hash covers every file the decision depends
on, so any decision can be reproduced later from the same rules.
"""

from __future__ import annotations

import fnmatch
import functools
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from triage.contract import vocab
from triage.contract.errors import RuleError, RuleErrors, UsageError
from triage.contract.hints import suggest

from .conditions import ConditionError, compile_condition, resolver
from .config import iso_dates
from .facts import CUMULATIVE_CONCLUSIONS, EXCLUSIVE_CONCLUSIONS, FACTS
from .taxonomy import Taxonomy


def yaml_loader() -> type:
    """libyaml's loader (several times faster), else the pure-Python one. PyYAML is imported
    only when a rule file is actually parsed: a cached ruleset needs no parser."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)

RULE_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")
RULE_KEYS = ("id", "title", "citation", "when", "then", "note", "yields_to", "fallback")
PHASE_KEYS = ("phase", "title", "when", "lists", "rules")
SUPPORT_FILES = ("settings.yaml", "taxonomy.yaml", "questions.yaml", "flags.yaml", "council.yaml", "invariants.yaml")
# Files kept in the rules folder for the reports, not rules: neither loaded as a phase nor
# hashed (editing the Code self-assessment must not change what a decision was made with).
REPORT_FILES = ("code-self-assessment.yaml",)


@dataclass
class Rule:
    id: str
    title: str
    citation: str
    when: Any
    then: dict[str, Any]
    file: str
    position: int
    condition: dict[str, Any] = field(default_factory=dict)  # compiled, for durable-rules
    # An overlap with an earlier rule of the phase is intended (see ``triage rules verify``):
    yields_to: tuple[str, ...] = ()  # these rules (ids or patterns such as refuse.*) win where both hold
    fallback: bool = False  # applies only where no earlier rule of the phase decided

    @functools.cached_property
    def exclusive(self) -> dict[str, Any]:
        """The exclusive conclusions of ``then`` (read for every case: computed once)."""
        return {k: v for k, v in self.then.items() if k in EXCLUSIVE_CONCLUSIONS}

    def cumulative(self, key: str) -> list[Any]:
        value = self.then.get(key)
        return [] if value is None else value if isinstance(value, list) else [value]


@dataclass
class Phase:
    name: str
    title: str
    file: str
    rules: list[Rule]
    when: Any = None  # the phase's own condition (already part of each rule's)


@dataclass
class RuleSet:
    """Everything in ``rules/``: phases of rules, settings, taxonomy, questions, flags."""

    directory: Path
    phases: list[Phase]
    settings: dict[str, Any]
    taxonomy: Taxonomy
    questions: dict[str, dict[str, Any]]
    flags: dict[str, str]
    lists: dict[str, list[Any]]
    hash: str
    council: dict[str, Any] = field(default_factory=dict)
    templates_dir: Path | None = None
    # The council folder layered over the shipped rules (None: the shipped layer alone), the
    # letter template folders in the order they are searched (the council's first), and the
    # file every effective setting came from (dotted key path -> file).
    council_dir: Path | None = None
    letter_dirs: list[Path] = field(default_factory=list)
    setting_sources: dict[str, str] = field(default_factory=dict)

    @property
    def rules(self) -> list[Rule]:
        return [r for p in self.phases for r in p.rules]

    def rule(self, rule_id: str) -> Rule:
        return next(r for r in self.rules if r.id == rule_id)

    def setting(self, path: str) -> Any:
        """A value from settings.yaml by dotted path (KeyError when absent)."""
        node: Any = self.settings
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                raise KeyError(path)
            node = node[part]
        return node


def _read_yaml(path: Path, errors: list[RuleError]) -> Any:
    import yaml

    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=yaml_loader())
    except (OSError, UnicodeDecodeError) as exc:
        errors.append(RuleError(f"cannot read: {exc}", file=str(path)))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        errors.append(RuleError(f"not valid YAML{where}: {getattr(exc, 'problem', exc)}", file=str(path)))
    return None


def ruleset_hash(directory: Path, templates: Path | None = None, council: Path | None = None) -> str:
    """sha256 over every rule, setting and taxonomy file, every letter template (scenarios
    excluded: they only test), the bank-holiday calendar, and the council folder's files on top,
    so a decision and its letters can be reproduced."""
    digest = hashlib.sha256()
    files = sorted(p for p in directory.glob("*.yaml") if p.name not in REPORT_FILES)
    if templates is not None and templates.is_dir():
        files += sorted(templates.glob("*.j2"))
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    # The bank holidays that date a decision: the table comes from the holidays package and
    # the calendar code, so naming both names the calendar (a decision's hash changes with it).
    from triage.clock.calendar import calendar_identity

    digest.update(b"calendar\0" + calendar_identity().encode() + b"\0")
    if council is not None:
        for path in council_files(council):
            digest.update(b"council/" + path.relative_to(council).as_posix().encode() + b"\0"
                          + path.read_bytes() + b"\0")
    return "sha256:" + digest.hexdigest()


COUNCIL_FILES = ("council.yaml", "settings.yaml", "taxonomy.yaml")


def council_files(council: Path) -> list[Path]:
    """The files of a council folder that decide (its scenarios only test)."""
    files = [council / name for name in COUNCIL_FILES if (council / name).is_file()]
    letters = council / "templates" / "letters"
    return files + (sorted(letters.glob("*.j2")) if letters.is_dir() else [])


def default_templates_dir(rules_dir: Path) -> Path:
    """``TRIAGE_TEMPLATES``, else templates/letters/ beside the rules directory."""

    from triage.contract.shipped import templates_dir

    env = os.environ.get("TRIAGE_TEMPLATES")
    if env:
        return Path(env)
    beside = rules_dir.resolve().parent / "templates" / "letters"
    return beside if beside.is_dir() else templates_dir("letters")


class _Loader_:
    """Collects every problem in one pass, so `triage rules check` can report them all."""

    def __init__(self, directory: Path, council: Path | None = None) -> None:
        self.dir = directory
        self.council = council
        self.errors: list[RuleError] = []

    def err(self, message: str, file: str | None = None, rule_id: str | None = None) -> None:
        self.errors.append(RuleError(message, file=file, rule_id=rule_id))

    def support(self, name: str) -> dict[str, Any]:
        path = self.dir / name
        if not path.exists():
            self.err("missing: every rules directory needs this file", file=str(path))
            return {}
        data = _read_yaml(path, self.errors)
        if data is not None and not isinstance(data, dict):
            self.err("must be a mapping at the top level", file=str(path))
            return {}
        return data or {}

    def load(self) -> RuleSet:
        if not self.dir.is_dir():
            raise RuleError(f"no rules directory at {self.dir} (give --rules DIR or set TRIAGE_RULES)")
        if self.council is not None and not self.council.is_dir():
            raise UsageError(f"no council folder at {self.council} (give --council DIR or set TRIAGE_COUNCIL; "
                             "`triage init DIR` creates one)")
        from .layers import Layers

        layers = Layers(self.dir, self.council, self.errors)
        settings, sources = layers.settings()
        council = layers.council()
        taxonomy_data = layers.taxonomy()
        if self.errors:  # the rules read the settings: report the configuration first
            raise RuleErrors(self.errors)
        self.templates = default_templates_dir(self.dir)
        letter_dirs = layers.letter_dirs(self.templates)
        self.letter_ids = {p.name.removesuffix(".txt.j2") for d in letter_dirs for p in d.glob("*.txt.j2")
                           if not p.name.startswith("_")}
        questions = self.support("questions.yaml")
        flags = self.support("flags.yaml")
        problems: list[str] = []
        taxonomy = Taxonomy.from_data(taxonomy_data, problems)
        for p in problems:
            self.err(p, file=layers.taxonomy_file)
        for kind in ("services", "natures"):
            for entry in getattr(taxonomy, kind).entries.values():
                if entry.function is not None and entry.function not in vocab.FUNCTIONS:
                    self.err(f"{kind} '{entry.label}': unknown function {entry.function!r}"
                             f"{suggest(entry.function, vocab.FUNCTIONS)}", file=str(self.dir / "taxonomy.yaml"))
        for q in vocab.QUESTIONS:
            if q not in questions:
                self.err(f"question {q!r} is not defined", file=str(self.dir / "questions.yaml"))
        for q, spec in questions.items():
            if q not in vocab.QUESTIONS:
                self.err(f"unknown question {q!r}{suggest(q, vocab.QUESTIONS)}", file=str(self.dir / "questions.yaml"))
            elif not isinstance(spec, dict) or set(spec) != {"question", "factors", "presumption", "citation"}:
                self.err(f"question {q!r} needs exactly: question, factors, presumption, citation",
                         file=str(self.dir / "questions.yaml"))

        phase_files = [p for p in sorted(self.dir.glob("*.yaml")) if p.name not in SUPPORT_FILES + REPORT_FILES]
        raw_phases = []
        lists: dict[str, list[Any]] = {}
        for path in phase_files:
            data = _read_yaml(path, self.errors)
            if data is None:
                continue
            if not isinstance(data, dict) or "rules" not in data or "phase" not in data:
                self.err("a rule file needs `phase:` and `rules:`", file=str(path))
                continue
            for key in set(data) - set(PHASE_KEYS):
                self.err(f"unknown key {key!r}{suggest(key, PHASE_KEYS)}", file=str(path))
            for name, values in (data.get("lists") or {}).items():
                if name in lists:
                    self.err(f"list {name!r} is declared twice", file=str(path))
                lists[name] = iso_dates(values)
            raw_phases.append((path, data))

        resolve = resolver(lists, settings)

        phases: list[Phase] = []
        seen: dict[str, str] = {}
        concluded: set[str] = set()  # exclusive conclusions drawn by earlier phases
        for path, data in raw_phases:
            file = str(path.relative_to(self.dir.parent)) if self.dir.parent in path.parents else str(path)
            phase_when = data.get("when") or {}
            rules: list[Rule] = []
            drawn: set[str] = set()
            for pos, raw in enumerate(data.get("rules") or []):
                rule = self.rule(raw, pos, file, phase_when, resolve, seen, flags, questions, concluded)
                if rule:
                    rules.append(rule)
                    drawn |= set(rule.exclusive)
            concluded |= drawn
            phases.append(Phase(str(data["phase"]), str(data.get("title", data["phase"])), file, rules,
                                phase_when or None))
        if not phases:
            self.err("no rule files (NN-name.yaml with `phase:` and `rules:`)", file=str(self.dir))
        if self.errors:
            raise RuleErrors(self.errors)
        return RuleSet(self.dir, phases, settings, taxonomy, questions, flags, lists,
                       ruleset_hash(self.dir, self.templates, self.council), council, self.templates,
                       self.council, letter_dirs, sources)

    def rule(self, raw: Any, pos: int, file: str, phase_when: dict[str, Any], resolve: Any,
             seen: dict[str, str], flags: dict[str, str], questions: dict[str, Any],
             concluded: set[str]) -> Rule | None:
        if not isinstance(raw, dict):
            self.err(f"rule #{pos + 1} is not a mapping", file=file)
            return None
        rid = raw.get("id")
        if not isinstance(rid, str) or not RULE_ID.match(rid):
            self.err(f"rule #{pos + 1} needs an `id` like 'who.parent' (lower case, dotted)", file=file)
            return None
        ok = True
        if rid in seen:
            self.err(f"duplicate rule id (also in {seen[rid]})", file=file, rule_id=rid)
            ok = False
        seen[rid] = file
        for key in set(raw) - set(RULE_KEYS):
            self.err(f"unknown key {key!r}{suggest(key, RULE_KEYS)}", file=file, rule_id=rid)
            ok = False
        for key in ("title", "citation"):
            if not isinstance(raw.get(key), str) or not raw[key].strip():
                self.err(f"every rule needs a `{key}`" + (" (its authority)" if key == "citation" else ""),
                         file=file, rule_id=rid)
                ok = False
        then = raw.get("then")
        if not isinstance(then, dict) or not then:
            self.err("`then:` must set at least one conclusion", file=file, rule_id=rid)
            return None
        for key, value in then.items():
            if key in EXCLUSIVE_CONCLUSIONS:
                spec = EXCLUSIVE_CONCLUSIONS[key]
                if spec.values is not None and value not in spec.values:
                    self.err(f"then.{key}: unknown value {value!r}{suggest(value, spec.values)}", file=file, rule_id=rid)
                    ok = False
            elif key in CUMULATIVE_CONCLUSIONS:
                values = value if isinstance(value, list) else [value]
                vocabularies: dict[str, set[Any]] = {"flags": set(flags), "ask": set(questions),
                                                     "advocacy_offer": {True}, "letters": self.letter_ids}
                known = vocabularies[key]
                for v in values:
                    if v not in known:
                        where = {"flags": "rules/flags.yaml", "ask": "rules/questions.yaml",
                                 "letters": f"the templates in {self.templates}"}.get(key, "true")
                        self.err(f"then.{key}: unknown value {v!r}{suggest(v, list(known))} (see {where})",
                                 file=file, rule_id=rid)
                        ok = False
            else:
                options = [*EXCLUSIVE_CONCLUSIONS, *CUMULATIVE_CONCLUSIONS]
                self.err(f"then: unknown conclusion {key!r}{suggest(key, options)}", file=file, rule_id=rid)
                ok = False
        when = raw.get("when") or {}
        merged = {"all": [phase_when, when]} if phase_when and when else (when or phase_when)
        try:
            condition = compile_condition(merged, resolve, FACTS)
        except ConditionError as exc:
            self.err(f"when: {exc}", file=file, rule_id=rid)
            return None
        for ref in _decision_refs(merged):
            if ref not in concluded:
                self.err(f"when: decision.{ref} is not concluded by any earlier phase", file=file, rule_id=rid)
                ok = False
        if not ok:
            return None
        yields_to = raw.get("yields_to") or []
        if not isinstance(yields_to, list) or not all(isinstance(x, str) for x in yields_to):
            self.err("`yields_to:` is a list of the rule ids that win over this one", file=file, rule_id=rid)
            return None
        for other in yields_to:
            earlier = [r for r in seen if r != rid]
            if not fnmatch.filter(earlier, other):
                self.err(f"yields_to: {other!r} names no earlier rule{suggest(other, earlier)}", file=file,
                         rule_id=rid)
                ok = False
        if not isinstance(raw.get("fallback", False), bool):
            self.err("`fallback:` is true or false", file=file, rule_id=rid)
            ok = False
        if not ok:
            return None
        return Rule(rid, raw["title"].strip(), raw["citation"].strip(), when, dict(then), file, pos, condition,
                    tuple(yields_to), bool(raw.get("fallback", False)))


def _decision_refs(when: Any) -> set[str]:
    if isinstance(when, dict):
        refs = {k.split(".", 1)[1] for k in when if k.startswith("decision.")}
        for v in when.values():
            refs |= _decision_refs(v)
        return refs
    if isinstance(when, list):
        return set().union(*(_decision_refs(w) for w in when)) if when else set()
    return set()


def default_rules_dir() -> Path:
    """``TRIAGE_RULES``, else the rules shipped with the package."""
    from triage.contract.shipped import rules_dir

    env = os.environ.get("TRIAGE_RULES")
    return Path(env) if env else rules_dir()


def default_council_dir() -> Path | None:
    """``TRIAGE_COUNCIL``, else none (the shipped rules alone)."""
    env = os.environ.get("TRIAGE_COUNCIL")
    return Path(env) if env else None


_cache: dict[tuple[Path, Path | None], RuleSet] = {}


def _load_cached(directory: Path, council: Path | None = None) -> RuleSet:
    """Load and validate a ruleset. Nothing is kept between runs: a cache of loaded objects
    would need pickle, which runs whatever a planted file says (about 40 ms a cold start)."""
    return _Loader_(directory, council).load()


def load_rules(directory: str | Path | None = None, council: str | Path | None = None) -> RuleSet:
    """Load and validate the rules: a rules directory (default: ``TRIAGE_RULES``, else the
    shipped rules) with a council folder on top (default: ``TRIAGE_COUNCIL``, else none).
    Cached per process, and between runs in the cache directory."""
    path = Path(directory) if directory else default_rules_dir()
    layer = Path(council) if council else default_council_dir()
    return _load(path, layer)


def shipped_layer(rules: RuleSet) -> RuleSet:
    """The same rules without the council's layer: what the shipped scenarios are written for."""
    return rules if rules.council_dir is None else _load(rules.directory, None)


def _load(path: Path, council: Path | None) -> RuleSet:
    key = (path.resolve(), council.resolve() if council is not None else None)
    if key not in _cache:
        _cache[key] = _load_cached(path, council)
    return _cache[key]
