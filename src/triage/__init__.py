"""triage: route, clock, letters and log for children's services complaints teams in England.

The public library interface (the CLI and the HTTP API call the same functions)::

    import triage
    decision = triage.assess(payload, db="triage.db")

See README.md, "Python API".
"""

from __future__ import annotations

import sys
from typing import Any

# durable-rules 2.0.28, the rules engine, is a C extension that imports on CPython 3.11 and
# 3.12 only (on 3.13 it fails with "undefined symbol: PyEval_CallObject"; no fixed release).
SUPPORTED_PYTHON = ((3, 11), (3, 12))
if not SUPPORTED_PYTHON[0] <= tuple(sys.version_info[:2]) <= SUPPORTED_PYTHON[1]:
    raise SystemExit(f"triage needs Python 3.11 or 3.12, not {sys.version_info[0]}.{sys.version_info[1]}: "
                     "its rules engine, durable-rules 2.0.28, does not import on other versions "
                     "(install it with python3.11 or python3.12)")

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
