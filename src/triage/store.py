"""The decision log: an append-only SQLite database (the one module that uses sqlite-utils).

Every assessment is appended with the full input, the decision, the ruleset hash and the
time. Rows are never updated or deleted (triggers refuse it), so a manager can always see
what was decided and on which rules.

Durability: WAL journal, one transaction per appended decision, a 30 s busy timeout so
concurrent writers wait rather than fail. A process killed mid-write leaves the last
transaction either wholly in or wholly out. ``synchronous=NORMAL`` keeps every commit
across a killed process; after a power cut the last few commits may be lost (SQLite WAL
semantics), which the benchmark figures in bench/README.md assume.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils

from .errors import NotFoundError, StoreError

DEFAULT_DB = "triage.db"
SCHEMA_VERSION = 1

_COLUMNS = {
    "seq": int, "reference": str, "received_date": str, "assessed_at": str,
    "representation_type": str, "procedure": str, "disposition": str, "reason": str,
    "stage": int, "ruleset": str, "representation": str, "decision": str,
}
_APPEND_ONLY = """
CREATE TRIGGER IF NOT EXISTS {t}_append_only_update BEFORE UPDATE ON {t}
BEGIN SELECT RAISE(ABORT, 'the decision log is append-only: {t} rows cannot be changed'); END;
CREATE TRIGGER IF NOT EXISTS {t}_append_only_delete BEFORE DELETE ON {t}
BEGIN SELECT RAISE(ABORT, 'the decision log is append-only: {t} rows cannot be deleted'); END;
"""


def default_db_path() -> Path:
    """``TRIAGE_DB``, else ``triage.db`` in the current directory."""
    return Path(os.environ.get("TRIAGE_DB") or DEFAULT_DB)


def decision_id(seq: int) -> str:
    return f"d-{seq:06d}"


@dataclass(frozen=True)
class LoggedDecision:
    """One row of the log: the decision (with its id) and the input it was made on."""

    decision: dict[str, Any]
    representation: dict[str, Any]


class DecisionLog:
    """An append-only log of decisions in one SQLite file (created on first use)."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path else default_db_path()
        try:
            if self.path.parent and not self.path.parent.exists():
                self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(self.path), timeout=30.0, isolation_level=None)
            conn.execute("PRAGMA busy_timeout = 30000")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            self.db = sqlite_utils.Database(conn)
            self._ensure_schema()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open the decision log {self.path}: {exc} "
                             "(is it a triage log? give another --db PATH)") from exc

    def _ensure_schema(self) -> None:
        if "decisions" in self.db.table_names():
            return
        with self._transaction():
            self.db["decisions"].create(_COLUMNS, pk="seq", not_null={"reference", "decision"}, if_not_exists=True)
            self.db.executescript(_APPEND_ONLY.format(t="decisions"))
            for cols in (["reference"], ["received_date"], ["assessed_at"]):
                self.db["decisions"].create_index(cols, if_not_exists=True)

    def _transaction(self) -> Any:
        conn = self.db.conn

        class _Tx:
            def __enter__(self) -> None:
                conn.execute("BEGIN IMMEDIATE")

            def __exit__(self, exc_type: Any, *_: Any) -> None:
                conn.execute("COMMIT" if exc_type is None else "ROLLBACK")

        return _Tx()

    def append(self, decision: dict[str, Any], representation: dict[str, Any]) -> str:
        """Append one decision and the input it was made on; return its decision id.

        The id is the row's sequence number, assigned inside the same statement, so
        concurrent writers never share one."""
        row = {
            "reference": decision["reference"], "received_date": representation.get("received_date"),
            "assessed_at": decision["assessed_at"], "representation_type": decision["representation_type"],
            "procedure": decision.get("procedure"), "disposition": decision["disposition"],
            "reason": decision.get("reason"), "stage": decision.get("stage"), "ruleset": decision["ruleset"],
            "representation": json.dumps(representation, sort_keys=True, default=str),
            "decision": json.dumps({k: v for k, v in decision.items() if k != "decision_id"}, default=str),
        }
        try:
            with self._transaction():
                seq = self.db["decisions"].insert(row).last_pk
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"could not append to the decision log {self.path}: {exc}") from exc
        return decision_id(int(seq))

    def _row(self, row: dict[str, Any]) -> LoggedDecision:
        decision = {"decision_id": decision_id(row["seq"]), **json.loads(row["decision"])}
        return LoggedDecision(decision, json.loads(row["representation"]))

    def list(self, *, since: str | None = None, until: str | None = None, procedure: str | None = None,
             disposition: str | None = None, representation_type: str | None = None,
             reference: str | None = None, latest_only: bool = False, limit: int | None = None) -> list[LoggedDecision]:
        """Decisions in log order, filtered by received date (inclusive), route and outcome."""
        where, params = [], {}
        for column, value in (("procedure", procedure), ("disposition", disposition),
                              ("representation_type", representation_type), ("reference", reference)):
            if value is not None:
                where.append(f"{column} = :{column}")
                params[column] = value
        if since:
            where.append("received_date >= :since")
            params["since"] = since
        if until:
            where.append("received_date <= :until")
            params["until"] = until
        if latest_only:
            where.append("seq IN (SELECT max(seq) FROM decisions GROUP BY reference)")
        rows = self.db["decisions"].rows_where(" AND ".join(where) or None, params, order_by="seq", limit=limit)
        return [self._row(r) for r in rows]

    def history(self, reference: str) -> list[LoggedDecision]:
        """Every decision on one reference, oldest first (NotFoundError when none)."""
        found = self.list(reference=reference)
        if not found:
            raise NotFoundError(f"no decision for reference {reference!r} in {self.path}")
        return found

    def get(self, ident: str) -> LoggedDecision:
        """One decision by its id (d-000123)."""
        try:
            seq = int(ident.removeprefix("d-"))
            return self._row(self.db["decisions"].get(seq))
        except (ValueError, sqlite_utils.db.NotFoundError):
            raise NotFoundError(f"no decision {ident!r} in {self.path}") from None

    def count(self) -> int:
        return self.db["decisions"].count

    def close(self) -> None:
        self.db.conn.close()
