"""Run one read-only statement of the annual report in a process of its own.

    python -m triage.report_worker < {"path": ..., "sql": ..., "params": {...}}

Reads the request as JSON on standard input and writes the rows as a JSON list on standard
output; ``report._in_process`` starts it so that the report's two large statements run on two
cores without contending inside one process. Not a command for people: ``triage report`` is.
"""

from __future__ import annotations

import json
import sys

from .report import _query


def main() -> int:
    request = json.load(sys.stdin)
    rows = _query(request["path"], request["sql"], request["params"])
    json.dump(rows, sys.stdout, separators=(",", ":"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
