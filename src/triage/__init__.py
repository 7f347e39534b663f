"""triage: route, clock, letters and log for children's services complaints teams in England.

The public library interface (the CLI and the HTTP API call the same functions)::

    import triage
    decision = triage.assess(payload, db="triage.db")

See README.md, "Python API".
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["assess", "decide", "assess_batch", "schema", "load_rules", "DecisionLog",
           "TriageError", "InputError", "RuleError", "StoreError"]


def __getattr__(name: str) -> Any:
    # Lazy, so `import triage` stays cheap for the CLI's cold start.
    if name in ("assess", "decide", "assess_batch", "schema"):
        from triage import api
        return getattr(api, name)
    if name == "load_rules":
        from triage.rules.ruleset import load_rules
        return load_rules
    if name == "DecisionLog":
        from triage.log.store import DecisionLog
        return DecisionLog
    if name in ("TriageError", "InputError", "RuleError", "StoreError"):
        from triage.contract import errors
        return getattr(errors, name)
    raise AttributeError(f"module 'triage' has no attribute {name!r}")
