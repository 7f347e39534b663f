"""The one module that talks to durable-rules (DURABLE.md has the measured sharp edges).

- Facts, not events: ``assert_fact`` runs every matching rule (``post`` fires only one).
- One session id per evaluation, and the state always deleted (1024 live sids at most).
- One lock around every call: the C core is not thread-safe.
- No background thread: a host whose ``_run`` does nothing (it stole results); this uses a
  private method, so durable-rules is pinned to 2.0.28 exactly.
- Exceptions inside actions come back as text under ``exception``: checked after each call.
- A fact that no rule matches raises ``MessageNotHandledException``, and deleting the state
  of such a session can then crash the C core (seen as a segfault or ``free(): invalid
  pointer`` when a process's first fact matched nothing). Every compiled phase therefore
  carries one hidden rule that always matches, so every assertion is handled.
- A ruleset name registers once per process: names carry the ruleset hash.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import Any

from durable import engine as durable_engine

from triage.contract.errors import RuleError

from .conditions import LIST_SENTINEL, attributes, durable_key
from .facts import FACTS
from .ruleset import RuleSet

_FIRED_PREFIX = "fired__"
_ALWAYS = "always"


class _Host(durable_engine.Host):  # type: ignore[misc]
    """A durable host without the timer thread; actions record which rule fired."""

    def _run(self) -> None:  # no background dispatch (DURABLE.md)
        return None

    def get_action(self, action_name: str) -> Callable[[Any], None]:
        key = _FIRED_PREFIX + action_name

        def record(c: Any) -> None:
            c.s[key] = 1

        def handled(c: Any) -> None:
            return None

        return handled if action_name == _ALWAYS else record


_LOCK = threading.Lock()
_HOST: _Host | None = None
_REGISTERED: set[str] = set()
_SIDS = itertools.count(1)


def _host() -> _Host:
    global _HOST
    if _HOST is None:
        _HOST = _Host()
    return _HOST


class Engine:
    """Evaluates the phases of one RuleSet. Safe to share between threads."""

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        tag = rules.hash.split(":")[-1][:16]
        self._names: list[str] = []
        # Each phase is sent only the facts its rules read: durable-rules' cost grows with
        # the size of the fact (measured: 15% of a batch).
        keys = [set().union(*(attributes(r.condition) for r in phase.rules)) | {"received_date"}
                for phase in rules.phases]
        self._fields: list[list[tuple[str, str]]] = [
            [(path, durable_key(path)) for path in FACTS if durable_key(path) in phase_keys] for phase_keys in keys]
        with _LOCK:
            host = _host()
            definitions = {}
            for index, phase in enumerate(rules.phases):
                name = f"triage_{tag}_{index}"
                self._names.append(name)
                if name in _REGISTERED or not phase.rules:
                    continue
                definitions[name] = {
                    f"r{pos}": {"all": [{"m": rule.condition}], "run": str(pos)}
                    for pos, rule in enumerate(phase.rules)
                }
                # Every fact has a received_date: the always-matching rule (see above).
                definitions[name]["r_always"] = {"all": [{"m": {"$ex": {"received_date": 1}}}], "run": _ALWAYS}
            if definitions:
                try:
                    host.set_rulesets(definitions)
                except Exception as exc:  # durable's own errors are plain Exceptions
                    raise RuleError(f"durable-rules rejected the compiled rules: {exc}") from exc
                _REGISTERED.update(definitions)

    def fire(self, phase_index: int, facts: dict[str, Any]) -> list[int]:
        """Positions (in file order) of the phase's rules whose conditions hold for ``facts``."""
        phase = self.rules.phases[phase_index]
        if not phase.rules:
            return []
        name = self._names[phase_index]
        payload: dict[str, Any] = {}
        for path, key in self._fields[phase_index]:
            if path in facts:
                value = facts[path]
                payload[key] = [LIST_SENTINEL, *value] if isinstance(value, list) else value
        with _LOCK:
            host = _host()
            sid = f"s{next(_SIDS)}"
            payload["sid"] = sid
            try:
                state = host.assert_fact(name, payload)
            except Exception as exc:
                raise RuleError(f"evaluating phase {phase.name!r} failed: {exc}", file=phase.file) from exc
            finally:
                try:
                    host.delete_state(name, sid)
                except Exception:  # nothing to delete is fine; never mask the real error
                    pass
        if state and state.get("exception"):
            raise RuleError(f"a rule action failed in phase {phase.name!r}: {state['exception']}", file=phase.file)
        return sorted(int(k[len(_FIRED_PREFIX):]) for k in (state or {}) if k.startswith(_FIRED_PREFIX))
