"""Turning raw input into a valid Representation, or one clear problem per fault.

Every problem names the field path and the fix (the nearest valid value, the expected
format). Nothing here has side effects: an invalid input is never logged.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import Any, TypeVar

from pydantic import ValidationError

from triage.contract import vocab
from triage.rules.ruleset import RuleSet

from .errors import InputError, Problem, TriageError
from .hints import suggest
from .models import Event, Representation

T = TypeVar("T")

MAX_INPUT_BYTES = 1_000_000  # one representation; a batch is read line by line


def decode(data: bytes, source: str = "input") -> Any:
    """Bytes -> JSON value, with errors an officer can act on."""
    if len(data) > MAX_INPUT_BYTES:
        raise InputError([Problem("", f"{source} is too large: one representation may be at most "
                                      f"{MAX_INPUT_BYTES:,} bytes (attach documents elsewhere, not in the JSON)")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError([Problem("", f"{source} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
                                      f"{exc.start}); save it as UTF-8 and try again")]) from None
    if not text.strip():
        raise InputError([Problem("", f"{source} is empty; expected a JSON object (see `triage schema`)")])
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError([Problem("", f"{source} is not valid JSON: {exc.msg} at line {exc.lineno}, "
                                      f"column {exc.colno}")]) from None


def json_lines(lines: Iterable[bytes | str], handle: Callable[[Any], T]) -> Iterator[tuple[int, T | None, TriageError | None]]:
    """A JSON Lines batch (docs/reference.md, "Batches"), one line at a time: ``handle`` each decoded line
    and give (line number, its result, None), or (line number, None, the error) for a line it
    refused, so that a bad line stops only itself. Blank lines are skipped."""
    for number, line in enumerate(lines, start=1):
        data = line.encode("utf-8") if isinstance(line, str) else line
        if not data.strip():
            continue
        try:
            result = handle(decode(data, f"line {number}"))
        except TriageError as exc:
            yield number, None, exc
        else:
            yield number, result, None


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _submodel(annotation: Any) -> Any:
    """The pydantic model inside an annotation such as ``Contact`` or ``Previous | None``."""
    return next((a for a in getattr(annotation, "__args__", (annotation,))
                 if isinstance(a, type) and hasattr(a, "model_fields")), None)


def _model_at(loc: tuple[Any, ...]) -> Any:
    """The pydantic model class that owns the field at ``loc`` (for unknown-key hints)."""
    model: Any = Representation
    for part in loc[:-1]:
        if isinstance(part, int) or model is None:
            continue
        field = model.model_fields.get(part)
        if field is None:
            return None
        model = _submodel(field.annotation)
    return model


def without_nulls(value: Any, path: str = "", nulls: set[str] | None = None) -> tuple[Any, set[str]]:
    """``value`` with every object key whose value is null left out, and the paths left out.

    In input, null means the same as omitting the field (eForm backends send nulls for empty
    boxes; docs/legal-basis.md, hard case 11): an optional field becomes its default, and a required one is reported
    as missing, with the null named."""
    nulls = set() if nulls is None else nulls
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if item is None:
                nulls.add(where)
            else:
                out[key] = without_nulls(item, where, nulls)[0]
        return out, nulls
    if isinstance(value, list):
        return [without_nulls(item, f"{path}[{i}]", nulls)[0] for i, item in enumerate(value)], nulls
    return value, nulls


def _problem(err: Any, nulls: frozenset[str] | set[str] = frozenset()) -> Problem:
    loc, kind, value = tuple(err["loc"]), err["type"], err.get("input")
    path = _path(loc)
    if kind == "extra_forbidden":
        model = _model_at(loc)
        allowed = list(model.model_fields) if model else []
        hint = suggest(loc[-1], allowed)
        if not hint and model is not None:
            nested = [f"{name}.{loc[-1]}" for name, f in model.model_fields.items()
                      if loc[-1] in getattr(_submodel(f.annotation), "model_fields", {})]
            hint = f"; did you mean {' or '.join(map(repr, nested))}?" if nested else ""
        listing = "" if hint or not allowed else f" (allowed here: {', '.join(allowed)})"
        return Problem(path, f"unknown field{hint}{listing}")
    if kind == "missing":
        if path in nulls:
            return Problem(path, "required field is null; give it a value")
        return Problem(path, "required field is missing")
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        options = [o.strip().strip("'") for o in expected.replace(" or ", ", ").split(",")]
        hint = suggest(value, options) if isinstance(value, str) else ""
        listing = "" if hint or len(options) > 12 else f" (valid: {', '.join(options)})"
        return Problem(path, f"{value!r} is not a valid value{hint or '; see `triage schema` for the valid values'}{listing}")
    if kind.startswith("date"):
        return Problem(path, f"{value!r} is not a real date; write it as YYYY-MM-DD, e.g. 2025-03-14")
    if kind == "string_pattern_mismatch":
        return Problem(path, f"{value!r} is not a valid reference: 1-64 letters, digits, '.', '_' or '-', "
                             "starting with a letter or digit")
    if kind in ("bool_type", "bool_parsing"):
        return Problem(path, f"expected true or false, got {json.dumps(value)}")
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return Problem(path, f"expected a whole number, got {json.dumps(value)}")
    if kind in ("string_type",):
        return Problem(path, f"expected text, got {json.dumps(value)}")
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return Problem(path, f"expected an object {{...}}, got {json.dumps(value)[:40]}")
    if kind == "list_type":
        return Problem(path, f"expected a list [...], got {json.dumps(value)[:40]}")
    return Problem(path, err["msg"])


def _taxonomy_and_dates(rep: Representation, rules: RuleSet, today: date | None) -> list[Problem]:
    problems: list[Problem] = []
    tax = rules.taxonomy
    if rep.about.service is not None and tax.services.get(rep.about.service) is None:
        problems.append(Problem("about.service", f"unknown service {rep.about.service!r}"
                                                 f"{_label_hint(tax.services, rep.about.service)}"))
    for i, nature in enumerate(rep.about.natures):
        if tax.natures.get(nature) is None:
            problems.append(Problem(f"about.natures[{i}]", f"unknown nature {nature!r}{_label_hint(tax.natures, nature)}"))
    received = rep.received_date
    if today is not None and received > today:
        problems.append(Problem("received_date", f"{received} is in the future (today is {today})"))
    for name in ("grounds_arose", "became_aware"):
        value = getattr(rep.about, name)
        if value is not None and value > received:
            problems.append(Problem(f"about.{name}", f"{value} is after received_date {received}; it may not lie after it"))
    if rep.complainant.date_of_birth and rep.complainant.date_of_birth > received:
        problems.append(Problem("complainant.date_of_birth", f"{rep.complainant.date_of_birth} is after received_date {received}"))
    if rep.child.date_of_birth and rep.child.date_of_birth > received:
        problems.append(Problem("child.date_of_birth", f"{rep.child.date_of_birth} is after received_date {received}"))
    esc = rep.escalation
    if esc and esc.previous_response_date and esc.previous_response_date > received:
        problems.append(Problem("escalation.previous_response_date",
                                f"{esc.previous_response_date} is after received_date {received}; a request follows the response"))
    return problems


def _label_hint(labels: Any, value: str) -> str:
    close = labels.suggest(value)
    if close:
        return f"; did you mean {' or '.join(map(repr, close))}? (labels are in rules/taxonomy.yaml)"
    return "; the valid labels are in rules/taxonomy.yaml"


def parse_representation(obj: Any, rules: RuleSet, *, today: date | None = None,
                         source: str | None = None) -> Representation:
    """Validate a decoded JSON value (or dict) into a Representation, or raise InputError
    listing every problem. ``today`` rejects received dates in the future."""
    if not isinstance(obj, dict):
        raise InputError([Problem("", f"expected a JSON object {{...}} for a representation, got {type(obj).__name__}")], source)
    obj, nulls = without_nulls(obj)
    try:
        rep = Representation.model_validate_json(json.dumps(obj, default=str), strict=True)
    except ValidationError as exc:
        raise InputError([_problem(e, nulls) for e in exc.errors()], source) from None
    problems = _taxonomy_and_dates(rep, rules, today)
    if problems:
        raise InputError(problems, source)
    return rep


__all__ = ["decode", "parse_representation", "MAX_INPUT_BYTES", "vocab"]


def parse_event(obj: Any, rules: RuleSet, *, today: date | None = None, source: str | None = None) -> Event:
    """Validate a decoded lifecycle event (docs/reference.md, "A lifecycle event"), or raise InputError."""
    from .models import EVENT_REQUIRES

    if not isinstance(obj, dict):
        raise InputError([Problem("", f"expected a JSON object {{...}} for an event, got {type(obj).__name__}")], source)
    obj, nulls = without_nulls(obj)
    try:
        event = Event.model_validate_json(json.dumps(obj, default=str), strict=True)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            problem = _problem(err, nulls)
            if err["type"] == "extra_forbidden":
                allowed = list(Event.model_fields)
                problem = Problem(problem.field, f"unknown field{suggest(err['loc'][-1], allowed)}")
            problems.append(problem)
        raise InputError(problems, source) from None
    problems = [Problem(name, f"required for a {event.event!r} event")
                for name in EVENT_REQUIRES.get(event.event, ()) if getattr(event, name) is None]
    if today is not None and event.date > today:
        problems.append(Problem("date", f"{event.date} is in the future (today is {today})"))
    tax = rules.taxonomy
    for i, label in enumerate(event.actual_outcomes):
        if tax.actual_outcomes.get(label) is None:
            problems.append(Problem(f"actual_outcomes[{i}]", f"unknown outcome {label!r}{_label_hint(tax.actual_outcomes, label)}"))
    if event.outcome is not None and tax.lgsco_outcomes.get(event.outcome) is None:
        problems.append(Problem("outcome", f"unknown LGSCO outcome {event.outcome!r}{_label_hint(tax.lgsco_outcomes, event.outcome)}"))
    if problems:
        raise InputError(problems, source)
    return event
