"""Rule conditions: the small YAML language of ``when:`` and its compilation to durable-rules.

A condition is a mapping; every entry must hold (an implicit *and*)::

    complainant.relationship: parent              # equals
    complainant.relationship: [parent, adopter]   # one of
    proceedings.court: {not: none}                # also: not_in, gt, gte, lt, lte
    officer.sufficient_interest: {exists: false}  # absent (not answered / not known)
    derived.functions: {contains: sen}            # list facts: contains, contains_any,
                                                  #   contains_none, any_not_in, all_in
                                                  #   (all_in: not empty, every item listed)
    any: [{...}, {...}]                           # at least one of several conditions
    all: [{...}, {...}]

A value starting with ``$`` names a list declared under ``lists:`` in a rule file, or a
setting in rules/settings.yaml (``$statutory.request_stage2.days``), so timescales stay
settings and long lists are written once. Conditions are checked against the fact schema
(``triage.rules.facts.FACTS``) when the rules load: an unknown fact, operator or value fails
with a suggestion.

durable-rules quirks handled here: facts are flat (dots become ``__``); it cannot compare
with an absent attribute, so negative tests need the fact to exist (the fact builder fills
defaults); ``$iall`` is false on an empty list, so every list fact carries a sentinel ``""``
item that the list operators skip; and an ``$or`` must not be the whole test under ``$iany`` or
``$iall``. For that shape the core's compiler (``createAlpha`` in rete.c, 2.0.28) checks a node
whose type it never set (the ``$or``'s forward node comes from ``realloc``), so it refuses the
ruleset now and then with "error code 102", depending on what was in that memory (2 of 20,000
compilations in a test). Alternatives are therefore written as an ``$or`` of ``$iany`` tests,
and under ``$iall`` the ``$or`` is followed by a test that always holds of a real item
(``NEVER_AN_ITEM``); ``tests/test_engine.py`` checks no compiled condition has the shape.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from triage.contract.hints import suggest

from .facts import FACTS, FactSpec

LIST_SENTINEL = ""
NEVER_AN_ITEM = "\u0001"  # no list item is this: items are codes, labels and text, which refuse control characters
SCALAR_OPS = ("in", "not", "not_in", "gt", "gte", "lt", "lte", "exists")
LIST_OPS = ("contains", "contains_any", "contains_none", "any_not_in", "all_in", "exists")
_COMPARE = {"gt": "$gt", "gte": "$gte", "lt": "$lt", "lte": "$lte"}

Resolver = Callable[[str], Any]


def resolver(lists: Mapping[str, Any], settings: Mapping[str, Any]) -> Resolver:
    """Resolves ``$name``: a declared list, else a setting by dotted path (``$statutory.request_stage2.days``)."""

    def resolve(ref: str) -> Any:
        name = ref[1:]
        if name in lists:
            return lists[name]
        node: Any = settings
        for part in name.split("."):
            if not isinstance(node, Mapping) or part not in node:
                raise ConditionError(f"{ref} names no list and no setting{suggest(name, list(lists))}")
            node = node[part]
        return node

    return resolve


class ConditionError(ValueError):
    """A condition does not fit the fact schema; the message says how to fix it."""


def durable_key(path: str) -> str:
    """The attribute name of a fact in the durable-rules payload."""
    return path.replace(".", "__")


def _check_value(path: str, spec: FactSpec, value: Any) -> None:
    expected = {"bool": bool, "int": int, "str": str, "date": str, "list": str}[spec.type]
    if isinstance(value, bool) and expected is not bool or not isinstance(value, expected):
        raise ConditionError(f"{path} compares with {value!r}, but it is a {spec.type} fact")
    if spec.type == "date":
        from datetime import date

        try:
            date.fromisoformat(str(value))
        except ValueError:
            raise ConditionError(f"{path} compares with {value!r}: write dates as YYYY-MM-DD") from None
    if spec.values is not None and value not in spec.values:
        raise ConditionError(f"{path} has no value {value!r}{suggest(value, spec.values)} "
                             f"(values: {', '.join(map(str, spec.values))})")


def _values(path: str, spec: FactSpec, raw: Any, resolve: Resolver) -> list[Any]:
    """The values a test names, with ``$list`` references resolved (lists may name lists)."""
    out: list[Any] = []

    def add(item: Any, depth: int) -> None:
        if depth > 20:
            raise ConditionError(f"{path}: lists name each other in a circle")
        if isinstance(item, str) and item.startswith("$"):
            item = resolve(item)
        if isinstance(item, list):
            for each in item:
                add(each, depth + 1)
        else:
            _check_value(path, spec, item)
            out.append(item)

    add(raw, 0)
    if not out:
        raise ConditionError(f"{path}: an empty list matches nothing")
    return out


def _field(path: str, test: Any, resolve: Resolver, facts: Mapping[str, FactSpec]) -> dict[str, Any]:
    spec = facts.get(path)
    if spec is None:
        raise ConditionError(f"unknown fact {path!r}{suggest(path, list(facts))}")
    key = durable_key(path)
    if isinstance(test, str) and test.startswith("$"):
        test = resolve(test)
    if not isinstance(test, dict):
        test = {"contains_any" if spec.type == "list" else "in": test}
    if len(test) != 1:
        raise ConditionError(f"{path}: give one operator per entry (use `all:` to combine), got {sorted(test)}")
    (op, arg), = test.items()
    allowed = LIST_OPS if spec.type == "list" else SCALAR_OPS
    if op not in allowed:
        raise ConditionError(f"{path}: unknown operator {op!r}{suggest(op, allowed)} (for this fact: {', '.join(allowed)})")
    if op == "exists":
        if not isinstance(arg, bool):
            raise ConditionError(f"{path}: `exists` takes true or false")
        return {"$ex" if arg else "$nex": {key: 1}}
    if op in _COMPARE:
        if spec.type not in ("int", "date"):
            raise ConditionError(f"{path}: `{op}` compares numbers or dates, but this is a {spec.type} fact")
        (value,) = _values(path, spec, arg, resolve)
        return {_COMPARE[op]: {key: value}}
    values = _values(path, spec, arg, resolve)
    if op == "in":
        return {key: values[0]} if len(values) == 1 else {"$or": [{key: v} for v in values]}
    if op in ("not", "not_in"):
        neqs = [{"$neq": {key: v}} for v in values]
        return neqs[0] if len(neqs) == 1 else {"$and": neqs}
    items = [{"$i": v} for v in values]
    some_listed = _one_or_any([{"$iany": {key: item}} for item in items])
    if op in ("contains", "contains_any"):
        return some_listed
    if op == "all_in":
        # Some real item is listed, and every item is listed or is the sentinel.
        every_listed = {"$and": [{"$or": [{"$i": LIST_SENTINEL}, *items]}, {"$neq": {"$i": NEVER_AN_ITEM}}]}
        return {"$and": [some_listed, {"$iall": {key: every_listed}}]}
    neq_items = [{"$neq": item} for item in items]
    if op == "contains_none":
        return {"$iall": {key: neq_items[0] if len(neq_items) == 1 else {"$and": neq_items}}}
    # any_not_in: some real item (not the sentinel) is outside the list.
    return {"$iany": {key: {"$and": [{"$neq": {"$i": LIST_SENTINEL}}, *neq_items]}}}


def _one_or_any(tests: list[dict[str, Any]]) -> dict[str, Any]:
    return tests[0] if len(tests) == 1 else {"$or": tests}


def compile_condition(when: Any, resolve: Resolver, facts: Mapping[str, FactSpec] = FACTS) -> dict[str, Any]:
    """Compile a ``when:`` mapping into a durable-rules expression (raises ConditionError)."""
    if when is None or when == {}:
        # Every fact has a received_date: an always-true test (durable needs one).
        return {"$ex": {durable_key("received_date"): 1}}
    if not isinstance(when, dict):
        raise ConditionError(f"a condition is a mapping of fact: test, not {type(when).__name__}")
    parts = []
    for name, test in when.items():
        if name in ("any", "all"):
            if not isinstance(test, list) or not test:
                raise ConditionError(f"`{name}:` takes a non-empty list of conditions")
            subs = [compile_condition(t, resolve, facts) for t in test]
            parts.append(subs[0] if len(subs) == 1 else {"$or" if name == "any" else "$and": subs})
        else:
            parts.append(_field(name, test, resolve, facts))
    return parts[0] if len(parts) == 1 else {"$and": parts}


def attributes(condition: Any) -> set[str]:
    """The fact attributes (durable keys) a compiled condition reads."""
    found: set[str] = set()
    if isinstance(condition, dict):
        for key, value in condition.items():
            if key.startswith("$"):
                found |= attributes(value)
            else:
                found.add(key)
    elif isinstance(condition, list):
        for item in condition:
            found |= attributes(item)
    return found
