"""The one module that talks to durable-rules, and the precautions its measured faults call for.

durable-rules is a C Rete core (``durable_rules_engine``) under a Python host (``durable.engine``).
The host costs several times the core (per matching rule it re-encodes and re-decodes the
session state as JSON, reads the clock and runs a callback chain), so this module drives the
core's public entry points itself, as the host does, minus what we do not use:

- ``create_ruleset`` compiles a phase (the same JSON the host would send);
- ``assert_fact`` asserts a case's facts for the phase under a session id of its own;
- ``start_action_for_state`` / ``complete_and_start_action`` walk the rules that matched,
  one at a time (the core names each one: ``r<position>``); nothing is written back to the
  state, since no action runs in Python;
- ``delete_state`` always ends the session (1024 live session ids at most).

Precautions (each answers a fault measured in durable-rules 2.0.28):

- Facts, not events: ``assert_fact`` runs every matching rule (``post`` fires only one).
- One lock around every call into the core: it is not thread-safe.
- No background thread: no host is ever started, so no timer thread can steal a result.
- Errors surface: any status but "handled" from the core is raised as a ``RuleError``, and
  so is any exception it raises; no action runs in Python, so none can be swallowed.
- A fact that no rule matches raises ``MessageNotHandledException`` in the host, and deleting
  the state of such a session can then crash the C core (seen as a segfault or ``free():
  invalid pointer`` when a process's first fact matched nothing). Every compiled phase
  therefore carries one hidden rule that always matches, so every assertion is handled.
- A ruleset name registers once per process: names carry the ruleset hash, and compiled
  phases are kept by name and reused.

durable-rules is pinned to 2.0.28 exactly (pyproject.toml): these entry points and the form of
their results are that version's.
"""

from __future__ import annotations

import bisect
import itertools
import json
import threading
from collections.abc import Sequence
from typing import Any

import durable_rules_engine as durable_core

from triage.contract.errors import RuleError

from .conditions import LIST_SENTINEL, attributes, durable_key
from .evaluate import compile_test
from .facts import FACTS
from .ruleset import RuleSet

_ALWAYS = "r_always"
_HANDLED = 0  # the core's status for a fact that some rule matched

_LOCK = threading.Lock()
_HANDLES: dict[str, int] = {}  # compiled phases by name, for the life of the process
_SIDS = itertools.count(1)
# Answers remembered per phase (see Engine.fire); at this many the phase's memory starts again.
MEMO_SIZE = 20_000
_ENCODE = json.JSONEncoder(ensure_ascii=False).encode  # what the host sends (json.dumps, ensure_ascii=False)


def _create(name: str, text: str, phase: Any) -> int:
    """Compile one phase in the core. (Its random "error code 102" came from one shape of
    condition, which conditions.py no longer writes; see there.)"""
    try:
        return int(durable_core.create_ruleset(name, text))
    except Exception as exc:  # durable's own errors are plain Exceptions
        raise RuleError(f"durable-rules rejected the compiled rules of phase {phase.name!r}: {exc}",
                        file=phase.file) from exc


class Engine:
    """Evaluates the phases of one RuleSet. Safe to share between threads."""

    def __init__(self, rules: RuleSet, memo: int = MEMO_SIZE) -> None:
        self.rules = rules
        self.memo = memo
        tag = rules.hash.split(":")[-1][:16]
        self._names: list[str] = []
        # Each phase is sent only the facts its rules read: durable-rules' cost grows with
        # the size of the fact (measured: 15% of a batch).
        read = [set().union(*(attributes(r.condition) for r in phase.rules)) for phase in rules.phases]
        self._fields: list[list[tuple[str, str]]] = [
            [(path, durable_key(path)) for path in FACTS if durable_key(path) in phase_read | {"received_date"}]
            for phase_read in read]
        # What a phase's answer depends on: the facts its rules read (received_date is sent for
        # the always-matching rule, but is part of the answer only when a rule reads it).
        # (Absent facts are None: the fact builder leaves None out.) Lists are made tuples.
        self._keys: list[list[str]] = [[path for path in FACTS if durable_key(path) in phase_read
                                        and FACTS[path].type != "list"] for phase_read in read]
        self._list_keys: list[list[str]] = [[path for path in FACTS if durable_key(path) in phase_read
                                             and FACTS[path].type == "list"] for phase_read in read]
        # Where a fact's values outnumber the tests on it, the key holds the value's class
        # instead (see ``_classifier``): values the phase's rules cannot tell apart share one.
        # Per phase: the facts whose value is their part of the key, and the others, each with
        # the function that gives its part (its class; a list without one is made a tuple).
        self._plain_keys: list[list[str]] = []
        self._key_parts: list[list[tuple[str, Any]]] = []
        for index, phase in enumerate(rules.phases):
            conditions = [r.condition for r in phase.rules]
            tests, list_tests = _tests(conditions), _list_tests(conditions)
            parts = [(path, _classifier(path, tests.get(durable_key(path)))) for path in self._keys[index]]
            parts += [(path, _classifier(path, tests.get(durable_key(path)), list_tests.get(durable_key(path), []))
                       or _hashable) for path in self._list_keys[index]]
            self._plain_keys.append([path for path, part in parts if part is None])
            self._key_parts.append([(path, part) for path, part in parts if part is not None])
        self._answers: list[dict[tuple[Any, ...], list[int]]] = [{} for _ in rules.phases]
        # The core names a matched rule by its key in the compiled phase: r<position>.
        self._positions: dict[str, int] = {f"r{pos}": pos for phase in rules.phases for pos in range(len(phase.rules))}
        self._handles: list[int | None] = []
        with _LOCK:
            for index, phase in enumerate(rules.phases):
                name = f"triage_{tag}_{index}"
                self._names.append(name)
                if not phase.rules:
                    self._handles.append(None)
                    continue
                if name not in _HANDLES:
                    definition: dict[str, Any] = {f"r{pos}": {"all": [{"m": rule.condition}]}
                                                  for pos, rule in enumerate(phase.rules)}
                    # Every fact has a received_date: the always-matching rule (see above).
                    definition[_ALWAYS] = {"all": [{"m": {"$ex": {"received_date": 1}}}]}
                    _HANDLES[name] = _create(name, _ENCODE(definition), phase)
                self._handles.append(_HANDLES[name])

    def fire(self, phase_index: int, facts: dict[str, Any]) -> list[int]:
        """Positions (in file order) of the phase's rules whose conditions hold for ``facts``.

        The answer depends only on the facts the phase's rules read, and each evaluation is a
        fresh session of the core, so the engine remembers the answer for those facts (at
        most ``memo`` per phase; 0 asks the core every time). Intake repeats itself: of 3,000
        generated representations, the six phases see 35 to 2,115 distinct inputs each. The
        memory is keyed by each fact's class of values (``_classifier``), not the value, where
        that is coarser: of 20,000 explored cases, the phase that decides standing sees 17,918
        distinct inputs but 3,082 distinct classes, the advocacy phase 14,479 and 714."""
        handle = self._handles[phase_index]
        if handle is None:
            return []
        if self.memo:
            get = facts.get
            key = (*map(get, self._plain_keys[phase_index]),
                   *[part(get(path)) for path, part in self._key_parts[phase_index]])
            answers = self._answers[phase_index]
            known = answers.get(key)
            if known is not None:
                return list(known)
            fired = self._assert(phase_index, handle, facts)
            if len(answers) >= self.memo:
                answers.clear()  # bounded: start again rather than grow without limit
            answers[key] = fired
            return list(fired)
        return self._assert(phase_index, handle, facts)

    def _assert(self, phase_index: int, handle: int, facts: dict[str, Any]) -> list[int]:
        """Ask the core: one session, the phase's facts asserted, every matched rule read."""
        payload: dict[str, Any] = {}
        for path, key in self._fields[phase_index]:
            if path in facts:
                value = facts[path]
                payload[key] = [LIST_SENTINEL, *value] if isinstance(value, list) else value
        positions = self._positions
        fired: set[int] = set()  # a rule with alternatives ($or) can match a fact more than once
        with _LOCK:
            sid = f"s{next(_SIDS)}"
            payload["sid"] = sid
            try:
                status, state = durable_core.assert_fact(handle, _ENCODE(payload))
                if status != _HANDLED:
                    raise RuntimeError(f"durable-rules answered status {status} to a fact (0 means handled)")
                started = durable_core.start_action_for_state(handle, state)
                message = started[1] if started else None
                while message:
                    # '{"r12":{"m":{...the fact...}}}': the rule's name is the first key.
                    name = message[2:message.index('"', 2)]
                    if name != _ALWAYS:
                        fired.add(positions[name])
                    message = durable_core.complete_and_start_action(handle, state)
            except Exception as exc:  # the core's errors are plain Exceptions
                phase = self.rules.phases[phase_index]
                raise RuleError(f"evaluating phase {phase.name!r} failed: {exc}", file=phase.file) from exc
            finally:
                try:
                    durable_core.delete_state(handle, sid)
                except Exception:  # nothing to delete is fine; never mask the real error
                    pass
        return sorted(fired)


def _hashable(value: Any) -> Any:
    return None if value is None else tuple(value)


# Classes of values. durable-rules tests a fact only against the constants written in the
# conditions: equal or not, less or greater, present or not; a list through its items, each
# equal or not to a constant ($iany, $iall). Two values that every such test answers alike are
# therefore answered alike by the whole phase, and may share one remembered answer. Among
# explored cases (``rules verify``) this is what lets the memory answer: the union of functions
# takes 659 values in 20,000 cases, but a phase tests it in 2 to 11 ways (contains one of these,
# only these...), so it has at most that many yes/no answers. A scalar's class is its value
# where a test names it, else "any other value"; where it is compared (lt, gt), its place
# among the constants. The test in tests/test_engine.py compares such answers with the core's.
_OTHER = ("<a value no test of the phase names>",)
_ORDERING = frozenset({"$lt", "$lte", "$gt", "$gte"})


def _tests(conditions: list[Any]) -> dict[str, set[tuple[str, Any]]]:
    """Per attribute, the (operator, constant) tests the conditions make of it; a list's item
    tests are ("$i=", c) / ("$i!=", c). Anything else found marks the attribute ("?", None)."""
    found: dict[str, set[tuple[str, Any]]] = {}

    def walk(node: Any, items_of: str | None) -> None:
        if isinstance(node, list):
            for each in node:
                walk(each, items_of)
            return
        for op, arg in node.items():
            if op in ("$and", "$or"):
                walk(arg, items_of)
            elif op in ("$ex", "$nex"):
                for key in arg:
                    found.setdefault(key, set()).add(("$ex", None))
            elif op in ("$iany", "$iall"):
                ((key, sub),) = arg.items()
                found.setdefault(key, set()).add(("$list", None))
                walk(sub, key)
            elif op in ("$lt", "$lte", "$gt", "$gte", "$neq"):
                ((key, value),) = arg.items()
                if key == "$i":
                    found.setdefault(items_of or "", set()).add(("$i!=" if op == "$neq" else "?", value))
                else:
                    found.setdefault(key, set()).add((op, value))
                    if items_of is not None:  # a test of another fact inside a list test
                        found.setdefault(items_of, set()).add(("?", None))
            elif op == "$i":
                found.setdefault(items_of or "", set()).add(("$i=", arg))
            elif op.startswith("$"):
                found.setdefault(op, set()).add(("?", None))
            else:
                found.setdefault(op, set()).add(("$eq", arg))
                if items_of is not None:
                    found.setdefault(items_of, set()).add(("?", None))

    walk(conditions, None)
    return found


def _list_tests(conditions: list[Any]) -> dict[str, list[dict[str, Any]]]:
    """Per list attribute, its distinct $iany/$iall tests (each a condition of its own). An $or
    of $iany tests of one list (how ``contains_any`` is compiled) is one test: one answer."""
    found: dict[str, dict[str, dict[str, Any]]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for each in node:
                walk(each)
            return
        for op, arg in node.items():
            keys = {next(iter(alt["$iany"])) for alt in arg if set(alt) == {"$iany"}} if op == "$or" else set()
            if op == "$or" and len(keys) == 1 and all(set(alt) == {"$iany"} for alt in arg):
                found.setdefault(keys.pop(), {})[json.dumps({op: arg}, sort_keys=True)] = {op: arg}
            elif op in ("$and", "$or"):
                walk(arg)
            elif op in ("$iany", "$iall"):
                ((key, _),) = arg.items()
                found.setdefault(key, {})[json.dumps({op: arg}, sort_keys=True)] = {op: arg}

    walk(conditions)
    return {key: list(tests.values()) for key, tests in found.items()}


def _classifier(path: str, tests: set[tuple[str, Any]] | None, list_tests: Sequence[dict[str, Any]] = ()) -> Any:
    """A function giving the class of a value of ``path`` under ``tests`` (None: the value is
    its own class); for a list, ``list_tests`` are the distinct $iany/$iall tests of it. Absent
    (None) is always a class of its own."""
    if not tests or any(op == "?" for op, _ in tests):
        return None
    spec = FACTS[path]
    constants = [value for op, value in tests if value is not None]
    if spec.type == "list":
        if any(op not in ("$list", "$ex", "$i=", "$i!=") for op, _ in tests) or not list_tests:
            return None
        # Every test of the list is one of these $iany/$iall tests of its items against constants
        # (or of its presence): its class is what each of them answers.
        # A list takes far fewer values than cases, so each value's class is remembered.
        checks = [compile_test(test, {durable_key(path): "list"}) for test in list_tests]
        known: dict[tuple[Any, ...], tuple[bool, ...]] = {}

        def list_class(value: Any) -> Any:
            if value is None:
                return None
            items = tuple(value)
            found = known.get(items)
            if found is None:
                if len(known) >= MEMO_SIZE:
                    known.clear()
                fact = {"list": value}
                found = known[items] = tuple([check(fact) for check in checks])
            return found
        return list_class
    if any(op not in ("$eq", "$neq", "$ex") and op not in _ORDERING for op, _ in tests):
        return None
    vocabulary = (True, False) if spec.type == "bool" else spec.values
    if vocabulary is not None and len(set(vocabulary) - set(constants)) <= 1:
        return None  # at most one value is not named: no class would hold two values
    if any(op in _ORDERING for op, _ in tests):
        try:
            bounds = sorted(set(constants))
        except TypeError:
            return None
        named = frozenset(bounds)

        def ordered_class(value: Any) -> Any:  # where it falls among the constants, and whether it is one
            if value is None:
                return None
            try:
                return (bisect.bisect_left(bounds, value), value in named)
            except TypeError:
                return (_OTHER, value)
        return ordered_class
    named = frozenset(constants)

    def named_class(value: Any) -> Any:
        return value if value is None or value in named else _OTHER
    return named_class
