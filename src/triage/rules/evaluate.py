"""Compiled conditions evaluated in Python, with durable-rules' semantics.

The verifier needs to know, for one fact, *every* rule of a phase whose condition holds (to find
overlaps and gaps) and whether an invariant's conditions hold of a decision. It reads the same
compiled expressions the engine sends to durable-rules, so what it reports is what the engine
does; ``tests/test_verify.py`` checks the two agree on random facts.

Semantics (durable-rules 2.0.28): a comparison with an absent attribute is false, and so is
``$neq`` (a negative test needs the fact to exist); ``$iany``/``$iall`` range over a list's items
(each list carries the sentinel ``""`` item, which the compiled tests skip or tolerate).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .conditions import LIST_SENTINEL, durable_key

_MISSING = object()


_KEYS: dict[str, str] = {}  # durable_key of each fact path seen (the verifier asks for the same ones)


def payload(facts: Mapping[str, Any]) -> dict[str, Any]:
    """Facts keyed as the engine keys them, lists with their sentinel item."""
    keys = _KEYS
    out: dict[str, Any] = {}
    for path, value in facts.items():
        key = keys.get(path)
        if key is None:
            key = keys[path] = durable_key(path)
        out[key] = [LIST_SENTINEL, *value] if isinstance(value, list) else value
    return out


def _compare(op: str, left: Any, right: Any) -> bool:
    if left is _MISSING or left is None:
        return False
    try:
        if op == "$lt":
            return bool(left < right)
        if op == "$lte":
            return bool(left <= right)
        if op == "$gt":
            return bool(left > right)
        if op == "$gte":
            return bool(left >= right)
        if op == "$neq":
            return bool(left != right)
    except TypeError:
        return False
    return bool(left == right)


def holds(condition: Mapping[str, Any], fact: Mapping[str, Any], item: Any = _MISSING) -> bool:
    """Whether a compiled condition holds for ``fact`` (a ``payload``); ``item`` is the list
    item under test inside ``$iany``/``$iall``."""
    for op, arg in condition.items():
        if op == "$and":
            if not all(holds(c, fact, item) for c in arg):
                return False
        elif op == "$or":
            if not any(holds(c, fact, item) for c in arg):
                return False
        elif op == "$ex":
            if any(fact.get(key, _MISSING) is _MISSING for key in arg):
                return False
        elif op == "$nex":
            if any(fact.get(key, _MISSING) is not _MISSING for key in arg):
                return False
        elif op in ("$iany", "$iall"):
            ((key, test),) = arg.items()
            items = fact.get(key, _MISSING)
            if not isinstance(items, list):
                return False
            results = (holds(test, fact, each) for each in items)
            if not (any(results) if op == "$iany" else all(results)):
                return False
        elif op in ("$lt", "$lte", "$gt", "$gte", "$neq"):
            ((key, right),) = arg.items()
            if not _test(op, key, right, fact, item):
                return False
        elif op.startswith("$") and op != "$i":
            raise ValueError(f"operator {op} is not supported by the verifier")
        elif not _test("$eq", op, arg, fact, item):
            return False
    return True


def _test(op: str, key: str, right: Any, fact: Mapping[str, Any], item: Any) -> bool:
    if key == "$i":  # a test of the list item itself: {"$neq": {"$i": v}} or {"$i": v}
        return _compare(op, item, right)
    if isinstance(right, dict) and set(right) == {"$i"}:  # {key: {"$i": v}} does not occur
        raise ValueError("unexpected list-item test")
    return _compare(op, fact.get(key, _MISSING), right)
