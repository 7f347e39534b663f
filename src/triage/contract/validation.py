"""Turning raw input into a valid Representation, or one clear problem per fault.

Every problem names the field path and the fix (the nearest valid value, the expected
format). Nothing here has side effects: an invalid input is never logged.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
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


# The days the clock counts in: a date outside them is a typo, and counting working days to
# it would compute centuries of bank holidays.
EARLIEST_DAY, LATEST_DAY = date(1900, 1, 1), date(2199, 12, 31)
MAX_DEPTH = 16  # a representation nests 3 deep; anything far deeper is not one
MAX_INT_DIGITS = 18  # every whole number in the input (a stage, an amount) fits in 64 bits


class _Refused(Exception):
    """A number or constant that JSON allows but the input may not hold."""


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise _Refused(f"a number of {len(text.lstrip('-')):,} digits is too large: whole numbers "
                       f"may have at most {MAX_INT_DIGITS} digits")
    return int(text)


def _parse_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _Refused(f"the number {text[:20]}{'...' if len(text) > 20 else ''} is too large")
    return value


def _parse_constant(text: str) -> Any:
    raise _Refused(f"{text} is not a JSON number; write a finite number or null")


# Made once (json.loads and json.dumps with arguments build a new one per call); the same
# parsing and text as json.loads(text, parse_int=...) and json.dumps(value, default=str).
_DECODER = json.JSONDecoder(parse_int=_parse_int, parse_float=_parse_float, parse_constant=_parse_constant)
_ENCODE = json.JSONEncoder(default=str).encode


def decode(data: bytes, source: str = "input") -> Any:
    """Bytes -> JSON value, with errors an officer can act on.

    Whatever the bytes, the only error this raises is InputError: too large, not UTF-8, not
    JSON, nested too deep, a number too large, a text with a lone surrogate."""
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
        if text.startswith("\ufeff"):  # a second BOM: refused as json.loads refuses it
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        value = _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise InputError([Problem("", f"{source} is not valid JSON: {exc.msg} at line {exc.lineno}, "
                                      f"column {exc.colno}")]) from None
    except _Refused as exc:
        raise InputError([Problem("", f"{source}: {exc}")]) from None
    except RecursionError:
        raise InputError([Problem("", f"{source} is nested too deep: objects and lists may nest at most "
                                      f"{MAX_DEPTH} levels")]) from None
    check_json(value, source)
    return value


def check_json(value: Any, source: str = "input") -> None:
    """Refuse a value that is not plain JSON within the limits (depth, number size, text that
    is Unicode), naming where; without recursion, so that no input can exhaust the stack.

    ``decode`` calls it on what it parsed; the library calls it on dicts given directly."""
    if isinstance(value, (dict, list)) and _plain(value, 0):
        return  # nothing to report: the walk that names each problem is not needed
    problems = json_problems(value, source)
    if problems:
        raise InputError(problems)


def json_problems(value: Any, source: str = "input") -> list[Problem]:
    """What ``check_json`` refuses in ``value``, each problem with its path (at most ten)."""
    problems: list[Problem] = []
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack and len(problems) < 10:
        item, path, depth = stack.pop()
        where = path or source
        if isinstance(item, (dict, list)):
            if depth >= MAX_DEPTH:
                problems.append(Problem(path, f"nested too deep: objects and lists may nest at most {MAX_DEPTH} levels"))
                continue
            if isinstance(item, dict):
                for key, sub in item.items():
                    if not isinstance(key, str):
                        problems.append(Problem(path, f"object key {key!r} is not text"))
                        continue
                    stack.append((sub, f"{path}.{key}" if path else key, depth + 1))
            else:
                stack.extend((sub, f"{path}[{i}]", depth + 1) for i, sub in enumerate(item))
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                problems.append(Problem(path, "text contains an unpaired surrogate (\\ud800-\\udfff); "
                                              "send it as UTF-8 text"))
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if item.bit_length() > 63:
                problems.append(Problem(path, f"the number is too large: whole numbers may have at most "
                                              f"{MAX_INT_DIGITS} digits"))
        elif isinstance(item, float):
            if item != item or item in (float("inf"), float("-inf")):
                problems.append(Problem(path, "not a finite number"))
        else:
            problems.append(Problem(path, f"{type(item).__name__} is not a JSON value ({where})"))
    return problems


def _plain(value: dict[Any, Any] | list[Any], depth: int) -> bool:
    """Whether ``check_json`` would find nothing wrong in ``value`` (a dict or list at ``depth``).

    The fast answer for the usual, valid input: no problem paths are built and only the
    containers are visited in calls, so it costs a fraction of the full walk. Recursive,
    but never deeper than MAX_DEPTH calls. False sends the value to the full walk, which
    names the problems; anything unusual (a subclass of a JSON type) goes there too."""
    if depth >= MAX_DEPTH:
        return False
    if type(value) is dict:
        for key in value:
            if type(key) is not str:
                return False
        items: Iterable[Any] = value.values()
    else:
        items = value
    for item in items:
        kind = type(item)
        if kind is str:
            if not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    return False
        elif kind is dict or kind is list:
            if not _plain(item, depth + 1):
                return False
        elif kind is int:
            if item.bit_length() > 63:
                return False
        elif kind is float:
            if item != item or item in (float("inf"), float("-inf")):
                return False
        elif not (kind is bool or item is None):
            return False
    return True


def _holds_null(value: Any) -> bool:
    """Whether a None lies anywhere in ``value`` (already checked: at most MAX_DEPTH deep)."""
    if type(value) is dict:
        value = value.values()
    elif type(value) is not list:
        return value is None
    for item in value:
        if item is None or ((type(item) is dict or type(item) is list) and _holds_null(item)):
            return True
    return False


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
        except Exception as exc:  # noqa: BLE001 - a bug on one line must not cost the lines after it
            yield number, None, TriageError(f"line {number} could not be processed ({type(exc).__name__}: "
                                            f"{str(exc)[:200]}); this is a bug in triage, please report it")
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


@dataclass(frozen=True)
class _MappingOf:
    """A field that maps any known key to a model (``officer_decisions``)."""

    values: Any


def _shape(annotation: Any) -> Any:
    """The model, or mapping of models, inside a field's annotation; None for a plain value."""
    for arg in (annotation, *getattr(annotation, "__args__", ())):
        if getattr(arg, "__origin__", None) is dict and hasattr(arg.__args__[1], "model_fields"):
            return _MappingOf(arg.__args__[1])
    return _submodel(annotation)


# (model, field name): whether the model has the field, and the shape inside it (read per input key).
_FIELDS: dict[tuple[Any, str], tuple[bool, Any]] = {}


def without_nulls(value: Any, model: Any = Representation, path: str = "",
                  nulls: set[str] | None = None) -> tuple[Any, set[str]]:
    """``value`` with every null field of ``model`` left out, and the paths left out.

    In input, null means the same as omitting the field (eForm backends send nulls for empty
    boxes; docs/legal-basis.md, hard case 11): an optional field becomes its default, and a required one is reported
    as missing, with the null named. A key the model does not know is kept, null or not, so a
    typo is still reported as an unknown field; a null item in a list is kept and reported."""
    nulls = set() if nulls is None else nulls
    if isinstance(value, dict) and model is not None:
        out = {}
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(model, _MappingOf):
                known, inner = True, model.values
            else:
                found = _FIELDS.get((model, key))
                if found is None:
                    field = model.model_fields.get(key)
                    found = (field is not None, _shape(field.annotation) if field is not None else None)
                    if field is not None:  # input keys that are not fields are not remembered
                        _FIELDS[(model, key)] = found
                known, inner = found
            if item is None and known:
                nulls.add(where)
            else:
                out[key] = without_nulls(item, inner, where, nulls)[0]
        return out, nulls
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
    if value is None and loc and isinstance(loc[-1], int):
        return Problem(path, "a list item may not be null; leave it out")
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        options = [o.strip().strip("'") for o in expected.replace(" or ", ", ").split(",")]
        hint = suggest(value, options) if isinstance(value, str) else ""
        listing = "" if hint or len(options) > 12 else f" (valid: {', '.join(options)})"
        shown = repr(value) if isinstance(value, str) else json.dumps(value)
        return Problem(path, f"{shown} is not a valid value{hint or '; see `triage schema` for the valid values'}{listing}")
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
    if kind == "value_error":  # our own checks (control characters): their message as written
        return Problem(path, str(err.get("ctx", {}).get("error", err["msg"])))
    if kind == "list_type":
        return Problem(path, f"expected a list [...], got {json.dumps(value)[:40]}")
    return Problem(path, err["msg"])


def day_problem(value: date | None, field: str) -> Problem | None:
    """A Problem when ``value`` lies outside the days the clock counts in, else None."""
    if value is None or EARLIEST_DAY <= value <= LATEST_DAY:
        return None
    return Problem(field, f"{value} is out of range; dates run from {EARLIEST_DAY} to {LATEST_DAY}")


def _taxonomy_and_dates(rep: Representation, rules: RuleSet, today: date | None) -> list[Problem]:
    problems: list[Problem] = []
    for field, value in (("received_date", rep.received_date), ("about.grounds_arose", rep.about.grounds_arose),
                         ("about.became_aware", rep.about.became_aware),
                         ("complainant.date_of_birth", rep.complainant.date_of_birth),
                         ("child.date_of_birth", rep.child.date_of_birth),
                         ("escalation.previous_response_date",
                          rep.escalation.previous_response_date if rep.escalation else None)):
        problem = day_problem(value, field)
        if problem is not None:
            problems.append(problem)
    if problems:
        return problems
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
    check_json(obj)
    # without_nulls copies the whole input; most inputs hold no null, and are used as they are
    obj, nulls = without_nulls(obj) if _holds_null(obj) else (obj, set())
    try:
        rep = Representation.model_validate_json(_ENCODE(obj), strict=True)
    except ValidationError as exc:
        raise InputError([_problem(e, nulls) for e in exc.errors()], source) from None
    problems = _taxonomy_and_dates(rep, rules, today)
    if problems:
        raise InputError(problems, source)
    return rep


__all__ = ["decode", "check_json", "parse_representation", "MAX_INPUT_BYTES", "MAX_DEPTH", "day_problem", "vocab"]


def parse_event(obj: Any, rules: RuleSet, *, today: date | None = None, source: str | None = None) -> Event:
    """Validate a decoded lifecycle event (docs/reference.md, "A lifecycle event"), or raise InputError."""
    from .models import EVENT_REQUIRES

    if not isinstance(obj, dict):
        raise InputError([Problem("", f"expected a JSON object {{...}} for an event, got {type(obj).__name__}")], source)
    check_json(obj)
    obj, nulls = without_nulls(obj, Event)
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
    out_of_range = day_problem(event.date, "date")
    if out_of_range is not None:
        problems.append(out_of_range)
    if today is not None and event.date > today:
        problems.append(Problem("date", f"{event.date} is in the future (today is {today})"))
    tax = rules.taxonomy
    for i, label in enumerate(event.actual_outcomes):
        if tax.actual_outcomes.get(label) is None:
            problems.append(Problem(f"actual_outcomes[{i}]", f"unknown outcome {label!r}{_label_hint(tax.actual_outcomes, label)}"))
    if event.outcome is not None and tax.lgsco_outcomes.get(event.outcome) is None:
        problems.append(Problem("outcome", f"unknown LGSCO outcome {event.outcome!r}{_label_hint(tax.lgsco_outcomes, event.outcome)}"))
    problems += action_problems(event, rules)
    if problems:
        raise InputError(problems, source)
    return event


def _norm(label: str) -> str:
    return "".join(ch for ch in label.casefold() if ch.isalnum())


def action_owners(rules: RuleSet) -> list[str]:
    """Who may own an action: a team (the taxonomy's services) or a role (settings.yaml
    ``learning.owners``); never a person, so the register and reports name no one."""
    roles = [str(r) for r in ((rules.settings.get("learning") or {}).get("owners") or [])]
    return list(dict.fromkeys(roles + rules.taxonomy.services.labels()))


def action_problems(event: Event, rules: RuleSet) -> list[Problem]:
    """The checks of an action event that need no case: which fields belong to which event,
    the owner, the amount, and a due date that is not before the action was agreed."""
    from .models import ACTION_FIELDS

    own = {"action_agreed": ("action_id", "what", "source", "owner", "due", "remedy", "amount"),
           "action_completed": ("action_id", "evidence"), "action_dropped": ("action_id",)}
    allowed = own.get(event.event, ())
    problems = [Problem(name, f"does not belong to a {event.event!r} event"
                              + (f" (it takes: {', '.join(allowed)})" if allowed else
                                 " (only the action events take it: action_agreed, action_completed, action_dropped)"))
                for name in ACTION_FIELDS if name not in allowed and getattr(event, name) is not None]
    if event.event != "action_agreed":
        return problems
    if event.owner is not None:
        owners = action_owners(rules)
        if _norm(event.owner) not in {_norm(o) for o in owners}:
            problems.append(Problem("owner", f"{event.owner!r} is not a team or role{suggest(event.owner, owners)}; "
                                             "an action is owned by a team (a service in rules/taxonomy.yaml) or a role "
                                             "(learning.owners in rules/settings.yaml), never a person"))
    if event.amount is not None and event.remedy != "payment":
        problems.append(Problem("amount", "an amount goes with remedy 'payment'; give \"remedy\": \"payment\" or leave amount out"))
    if event.due is not None and event.due < event.date:
        problems.append(Problem("due", f"{event.due} is before the action was agreed ({event.date}); "
                                       "an action is due on or after the date it was agreed"))
    return problems
