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

import operator
from collections.abc import Callable, Mapping
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


# Compiled tests. ``holds`` walks the expression for every fact it is asked about; the verifier
# asks 37 invariants and the phases' conditions of every explored case, so it compiles each
# expression once into nested closures instead (``compile_test``). They read facts keyed by
# path, as the decider and the oracle build them, so no ``payload`` is built per case: a list
# is tested as if it carried the sentinel item, exactly as ``holds`` sees it in a payload.
# ``tests/test_verify.py`` checks the two give the same answer on every condition of the rules
# and invariants, over explored cases, and on edge values.

Test = Callable[[Mapping[str, Any], Any], bool]
_ORDER: dict[str, Callable[[Any, Any], Any]] = {"$lt": operator.lt, "$lte": operator.le, "$gt": operator.gt,
                                                 "$gte": operator.ge}


def compile_test(condition: Mapping[str, Any], paths: Mapping[str, str]) -> Callable[[Mapping[str, Any]], bool]:
    """``condition`` (a compiled condition, durable keys) as a function of facts keyed by path;
    ``paths`` maps each durable key to its path. Same answers as ``holds(condition, payload(f))``."""
    test = _compile(condition, paths)
    return lambda facts: test(facts, _MISSING)


def _compile(condition: Mapping[str, Any], paths: Mapping[str, str]) -> Test:
    parts = [_part(op, arg, paths) for op, arg in condition.items()]
    if len(parts) == 1:
        return parts[0]

    def every(fact: Mapping[str, Any], item: Any) -> bool:
        for part in parts:
            if not part(fact, item):
                return False
        return True

    return every


def _part(op: str, arg: Any, paths: Mapping[str, str]) -> Test:
    if op == "$and":
        return _all([_compile(c, paths) for c in arg])
    if op == "$or":
        return _one_of(arg, paths) or _any([_compile(c, paths) for c in arg])
    if op in ("$ex", "$nex"):
        keys = tuple(paths[k] for k in arg)
        if op == "$ex":
            return lambda fact, item: all(k in fact for k in keys)
        return lambda fact, item: not any(k in fact for k in keys)
    if op in ("$iany", "$iall"):
        ((key, sub),) = arg.items()
        path, test = paths[key], _compile(sub, paths)
        if op == "$iany":
            def iany(fact: Mapping[str, Any], item: Any) -> bool:
                items = fact.get(path)
                if not isinstance(items, list):
                    return False
                if test(fact, LIST_SENTINEL):
                    return True
                for each in items:
                    if test(fact, each):
                        return True
                return False
            return iany

        def iall(fact: Mapping[str, Any], item: Any) -> bool:
            items = fact.get(path)
            if not isinstance(items, list) or not test(fact, LIST_SENTINEL):
                return False
            for each in items:
                if not test(fact, each):
                    return False
            return True
        return iall
    if op in ("$lt", "$lte", "$gt", "$gte", "$neq"):
        ((key, right),) = arg.items()
        return _comparison(op, key, right, paths)
    if op.startswith("$") and op != "$i":
        raise ValueError(f"operator {op} is not supported by the verifier")
    return _comparison("$eq", op, arg, paths)


def _all(tests: list[Test]) -> Test:
    def every(fact: Mapping[str, Any], item: Any) -> bool:
        for test in tests:
            if not test(fact, item):
                return False
        return True

    return every


def _any(tests: list[Test]) -> Test:
    def some(fact: Mapping[str, Any], item: Any) -> bool:
        for test in tests:
            if test(fact, item):
                return True
        return False

    return some


def _one_of(alternatives: list[Any], paths: Mapping[str, str]) -> Test | None:
    """``$or`` of plain equalities on one key (``in: [a, b, c]``) as one membership test."""
    keys = set()
    values = []
    for alt in alternatives:
        if not isinstance(alt, dict) or len(alt) != 1:
            return None
        ((key, value),) = alt.items()
        if key.startswith("$") and key != "$i" or isinstance(value, dict):
            return None
        keys.add(key)
        values.append(value)
    if len(keys) != 1:
        return None
    (key,) = keys
    choices = tuple(values)
    if key == "$i":
        return lambda fact, item: item is not _MISSING and item is not None and item in choices
    path = paths[key]

    def member(fact: Mapping[str, Any], item: Any) -> bool:
        value = fact.get(path)
        return value is not None and value in choices

    return member


def _comparison(op: str, key: str, right: Any, paths: Mapping[str, str]) -> Test:
    if key != "$i" and isinstance(right, dict) and set(right) == {"$i"}:
        raise ValueError("unexpected list-item test")
    if key == "$i":
        def left_of(fact: Mapping[str, Any], item: Any) -> Any:
            return None if item is _MISSING else item
    else:
        path = paths[key]

        def left_of(fact: Mapping[str, Any], item: Any) -> Any:
            return fact.get(path)
    if op == "$eq":
        if key == "$i":
            return lambda fact, item: item is not _MISSING and item is not None and bool(item == right)
        path = paths[key]

        def equal(fact: Mapping[str, Any], item: Any) -> bool:
            value = fact.get(path)
            return value is not None and bool(value == right)
        return equal
    if op == "$neq":
        def differs(fact: Mapping[str, Any], item: Any) -> bool:
            value = left_of(fact, item)
            return value is not None and bool(value != right)
        return differs
    compare = _ORDER[op]

    def ordered(fact: Mapping[str, Any], item: Any) -> bool:
        value = left_of(fact, item)
        if value is None:
            return False
        try:
            return bool(compare(value, right))
        except TypeError:
            return False
    return ordered
