"""The decision log: an append-only, tamper-evident SQLite database (the one module that
uses sqlite-utils).

Tables: ``decisions`` (every assessment with its full input, the decision, the ruleset hash
and the time), ``events`` (the case lifecycle, docs/reference.md, "A lifecycle event"), ``overrides`` (a
manager's change of route, disposition or reason; the original decision stays),
``letters`` (drafts: template id, template hash, files, when) and ``chain``; and the code
tables ``decision_codes`` and ``event_codes`` (each record's coded fields, written by a
trigger with the record; see ``codes``), which the annual report counts from.

Nothing is lost: rows are never updated or deleted (triggers refuse it); every row is
entered in ``chain`` with a sha256 over its content and the previous entry's hash, and an
HMAC of that hash under a key kept outside the log (``signing``), so ``verify`` finds the
first record altered, removed, renumbered or forged even by someone who can write the file
(but not read the key); a signed checkpoint (``checkpoint``) kept elsewhere also catches a
log cut short or replaced by an older copy. Writes use WAL, ``BEGIN IMMEDIATE`` and one transaction per record (a killed
process leaves each record wholly in or out) and a 30 s busy timeout so concurrent writers
wait rather than fail. ``synchronous=NORMAL`` keeps every commit across a killed process;
after a power cut the last few commits may be lost (SQLite WAL semantics).

Imports are idempotent: the same input on the same reference and ruleset returns the
decision already logged, and the same event on the same reference is recorded once.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from triage.contract.errors import NotFoundError, StoreError, UsageError

from . import codes, signing

if TYPE_CHECKING:
    import sqlite_utils

DEFAULT_DB = "triage.db"
GENESIS = "sha256:" + "0" * 64

_TABLES: dict[str, dict[str, Any]] = {
    "decisions": {
        "seq": int, "reference": str, "received_date": str, "assessed_at": str,
        "representation_type": str, "procedure": str, "disposition": str, "reason": str,
        "stage": int, "ruleset": str, "input_hash": str, "representation": str, "decision": str,
    },
    "events": {
        "seq": int, "reference": str, "event": str, "date": str, "stage": int, "identity": str,
        "payload": str, "decision_id": str, "recorded_at": str,
    },
    "overrides": {
        "seq": int, "reference": str, "decision_id": str, "field": str, "from_value": str,
        "to_value": str, "reason": str, "by": str, "rules": str, "recorded_at": str,
    },
    "letters": {
        "seq": int, "decision_id": str, "reference": str, "template": str, "template_hash": str,
        "title": str, "audience": str, "files": str, "drafted_at": str,
        "signed_by": str, "signed_by_title": str,
    },
    "chain": {"chain_seq": int, "tbl": str, "row_seq": int, "prev_hash": str, "hash": str, "mac": str},
}
# Columns added after logs were first written: a row that leaves them empty (every row written
# before they existed) is chained without them, so the hashes of older rows still verify.
_ADDED_LATER = {"letters": ("signed_by", "signed_by_title")}
_INDEXES = {"decisions": [["reference"], ["received_date"], ["input_hash"]],
            "events": [["reference"], ["identity"]], "overrides": [["reference"]], "letters": [["reference"]]}
# The append path's statements, prepared once (the sqlite3 module caches them by text).
_INSERTS: dict[str, tuple[list[str], str]] = {
    name: (cols, f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})")
    for name, cols in ((t, [c for c in columns if c != "seq"]) for t, columns in _TABLES.items() if t != "chain")
}
_CHAIN_HEAD = "SELECT chain_seq, hash FROM chain ORDER BY chain_seq DESC LIMIT 1"
_CHAIN_INSERT = "INSERT INTO chain (chain_seq, tbl, row_seq, prev_hash, hash, mac) VALUES (?, ?, ?, ?, ?, ?)"
# The first decision on the same input, reference and ruleset (the idempotency check).
_SAME_INPUT = ("SELECT seq, decision, representation FROM decisions "
               "WHERE input_hash = ? AND reference = ? AND ruleset = ? ORDER BY seq LIMIT 1")
_APPEND_ONLY = (
    "CREATE TRIGGER IF NOT EXISTS {t}_append_only_update BEFORE UPDATE ON {t} "
    "BEGIN SELECT RAISE(ABORT, 'the decision log is append-only: {t} rows cannot be changed'); END",
    "CREATE TRIGGER IF NOT EXISTS {t}_append_only_delete BEFORE DELETE ON {t} "
    "BEGIN SELECT RAISE(ABORT, 'the decision log is append-only: {t} rows cannot be deleted'); END",
)


def default_db_path() -> Path:
    """``TRIAGE_DB``, else ``triage.db`` in the current directory."""
    return Path(os.environ.get("TRIAGE_DB") or DEFAULT_DB)


def open_log(db: "DecisionLog | str | Path | None") -> "DecisionLog":
    """A DecisionLog as given, or opened at a path (default: ``TRIAGE_DB`` or ./triage.db)."""
    return db if isinstance(db, DecisionLog) else DecisionLog(db)


def decision_id(seq: int) -> str:
    return f"d-{seq:06d}"


# One encoder each, made once: json.dumps with any argument but the object builds a new
# JSONEncoder on every call, which costs more than encoding a short value (a batch encodes
# a dozen values a line). ``encode`` is what json.dumps calls: the same text.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str).encode
_STORED = json.JSONEncoder(default=str).encode


def canonical(value: Any) -> str:
    return _CANONICAL(value)


def content_hash(value: Any) -> str:
    return _digest(canonical(value))


def _digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _link(prev: str, table: str, row: dict[str, Any]) -> str:
    later = _ADDED_LATER.get(table)
    if later:
        row = {k: v for k, v in row.items() if not (k in later and v is None)}
    return _link_text(prev, table, canonical(row))


def _link_text(prev: str, table: str, canonical_row: str) -> str:
    return _digest(f"{prev}|{table}|{canonical_row}")


def chain_parts(row: dict[str, Any]) -> tuple[str, str]:
    """The canonical JSON of a row around the place of its seq: ``canonical({"seq": n, **row})``
    is ``"{" + before + f'"seq":{n}' + after + "}"`` (``with_seq``).

    A row's chain hash covers that text, and only the log knows the seq. The batch's deciding
    processes make these parts while deciding, so the process that appends need not encode the
    stored input and decision (most of the row) again. The row is encoded once with seq 0 and
    cut at ``"seq":0``, which occurs nowhere else: a row's values are text, numbers or null, and
    a quote inside text is escaped (``\\"``), so only the key itself is a quote, seq, a quote."""
    text = canonical({**row, "seq": 0})
    cut = text.index('"seq":0')
    if text.find('"seq":0', cut + 1) != -1:  # a nested value: not a row of the log
        raise ValueError("chain_parts takes a row whose values are text, numbers or null")
    return text[1:cut], text[cut + len('"seq":0'):-1]


def with_seq(parts: tuple[str, str] | list[str], seq: int) -> str:
    """``canonical`` of the row of ``chain_parts`` with its seq."""
    return f'{{{parts[0]}"seq":{seq}{parts[1]}}}'


def decision_row(decision: dict[str, Any], representation: dict[str, Any]) -> dict[str, Any]:
    """The ``decisions`` row for a decision (as JSON-ready dict) and its input: everything but
    its ``seq``. Needs no log, so a batch makes rows while earlier ones are being written.

    ``decision`` is stored without its ``decision_id`` (the row's seq is its id), in the order
    of its keys, and the input in canonical form, hashed for the idempotency check."""
    stored_input = canonical(representation)  # hashed and stored: encoded once
    return {
        "reference": decision["reference"], "received_date": representation.get("received_date"),
        "assessed_at": decision["assessed_at"], "representation_type": decision["representation_type"],
        "procedure": decision.get("procedure"), "disposition": decision["disposition"],
        "reason": decision.get("reason"), "stage": decision.get("stage"), "ruleset": decision["ruleset"],
        "input_hash": _digest(stored_input),  # = content_hash(representation), without encoding it twice
        "representation": stored_input,
        "decision": _STORED({k: v for k, v in decision.items() if k != "decision_id"}),
    }


@dataclass(frozen=True)
class LoggedDecision:
    """One row of the log: the decision (with its id) and the input it was made on."""

    decision: dict[str, Any]
    representation: dict[str, Any]


class DecisionLog:
    """The append-only log in one SQLite file (created on first use)."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path else default_db_path()
        self._key: signing.LogKey | None = None
        try:
            if self.path.parent and not self.path.parent.exists():
                self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(self.path), timeout=30.0, isolation_level=None)
            conn.execute("PRAGMA busy_timeout = 30000")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            self.conn = conn
            self._db: sqlite_utils.Database | None = None
            self._ensure_schema()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open the decision log {self.path}: {exc} "
                             "(is it a triage log? give another --db PATH)") from exc

    @property
    def db(self) -> sqlite_utils.Database:
        """sqlite-utils over the log's connection, for reading and for creating a new log.

        Made on first use: opening a log and appending to it (a cold `triage assess`) use the
        connection alone, and importing sqlite-utils costs a cold start about 25 ms. No
        sqlite-utils plugins: nothing installed beside triage hooks into the log's connection,
        and there is no scan of every installed package's entry points."""
        if self._db is None:
            import sqlite_utils

            self._db = sqlite_utils.Database(self.conn, execute_plugins=False)
        return self._db

    def schema_names(self, kind: str = "table") -> set[str]:
        """The names of the file's tables (or indexes, triggers: ``kind``)."""
        return {row[0] for row in self.conn.execute("SELECT name FROM sqlite_master WHERE type = ?", (kind,))}

    def _columns(self, table: str) -> set[str]:
        return {row[1] for row in self.conn.execute(f"PRAGMA table_info({table})")}

    # ------------------------------------------------------------------ writing

    def _ensure_schema(self) -> None:
        if set(_TABLES) | set(codes.TABLES) <= self.schema_names():
            self._add_later_columns()
            self._add_code_indexes()
            if "mac" not in self._columns("chain"):
                with self.transaction():  # a log made before signing: later records are signed
                    if "mac" not in self._columns("chain"):
                        self.conn.execute("ALTER TABLE chain ADD COLUMN mac TEXT")
            return
        with self.transaction():
            for name, columns in _TABLES.items():
                pk = "chain_seq" if name == "chain" else "seq"
                self.db.table(name).create(columns, pk=pk, if_not_exists=True)
                # execute(), not executescript(): the latter commits first, ending the transaction.
                for statement in _APPEND_ONLY:
                    self.db.execute(statement.format(t=name))
                for cols in _INDEXES.get(name, []):
                    self.db.table(name).create_index(cols, if_not_exists=True)
            # the code tables, filled from the records of a log made before they existed
            # (checked inside the transaction: another process may have just made them)
            present = self.schema_names()
            for name in codes.TABLES:
                if name in present:
                    continue
                self.db.execute(codes.create(name))
                self.db.execute(codes.backfill(name))
                self.db.execute(codes.trigger(name))
                for statement in _APPEND_ONLY:
                    self.db.execute(statement.format(t=name))
            for statement in codes.INDEXES.values():
                self.db.execute(statement)

    def _add_code_indexes(self) -> None:
        """Add the indexes of ``codes.INDEXES`` to a log made before them."""
        if not set(codes.INDEXES) <= self.schema_names("index"):
            with self.transaction():  # IF NOT EXISTS: another process may have just made them
                for statement in codes.INDEXES.values():
                    self.conn.execute(statement)

    def _add_later_columns(self) -> None:
        """Add the columns of ``_ADDED_LATER`` to a log made before them (existing rows keep NULL)."""
        for table, columns in _ADDED_LATER.items():
            missing = [c for c in columns if c not in self._columns(table)]
            if missing:
                with self.transaction():
                    have = self._columns(table)  # another process may have added them
                    for column in missing:
                        if column not in have:
                            self.conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} TEXT")

    # Group commit (the HTTP service's writer thread): between ``begin_group`` and
    # ``commit_group`` the records share one transaction, and each record's own transaction
    # becomes a savepoint, released (kept) or rolled back on its own.
    _grouped = False

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write to the log's file: its own ``BEGIN IMMEDIATE`` ... ``COMMIT`` (rolled back on
        an error), or, inside a group (``begin_group``), a savepoint kept or rolled back on its
        own. The log's records use it, and so do the server's tables in the same file."""
        conn = self.conn
        if self._grouped:
            with self._savepoint(conn):
                yield
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @contextmanager
    def _savepoint(self, conn: sqlite3.Connection) -> Iterator[None]:
        if not conn.in_transaction:  # SQLite ended the group's transaction: a savepoint now would commit alone
            raise StoreError(f"the write to the decision log {self.path.name} was abandoned (its group's transaction "
                             "was rolled back); nothing was logged, send it again")
        conn.execute("SAVEPOINT triage_record")
        try:
            yield
        except BaseException:
            if conn.in_transaction:  # SQLite may have rolled the whole transaction back (disk full, I/O error)
                conn.execute("ROLLBACK TO triage_record")
                conn.execute("RELEASE triage_record")
            raise
        conn.execute("RELEASE triage_record")

    def begin_group(self) -> None:
        """Open one transaction for the records that follow (taking the write lock now). Nothing
        of the group is in the log, or may be reported as logged, before ``commit_group``."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except Exception as exc:
            raise StoreError(f"could not start writing to the decision log {self.path.name}: {exc}") from exc
        self._grouped = True

    def group_open(self) -> bool:
        """Whether the group's transaction is still open (SQLite ends it itself on some errors)."""
        return self._grouped and self.conn.in_transaction

    def commit_group(self) -> None:
        """Commit the group's records; on failure roll them all back and raise StoreError."""
        self._grouped = False
        conn = self.conn
        try:
            if conn.in_transaction:
                conn.execute("COMMIT")
        except Exception as exc:
            if conn.in_transaction:
                try:
                    conn.execute("ROLLBACK")
                except Exception:  # noqa: BLE001 (the commit's error is the one to report)
                    pass
            raise StoreError(f"could not commit to the decision log {self.path.name}: {exc}") from exc

    def _insert(self, table: str, row: dict[str, Any], parts: tuple[str, str] | None = None) -> int:
        """Insert a row and chain it; call inside a transaction.

        Prepared statements on the sqlite3 connection itself (built once per table, below),
        not sqlite-utils: the batch path appends thousands of rows, and sqlite-utils'
        wrapper and table introspection cost more than the INSERT. The chain hash is computed
        from the values just inserted (with their ``seq``), not from a re-read row, or from
        ``parts``, the row already encoded (``chain_parts``; the same hash)."""
        columns, insert = _INSERTS[table]
        values = [row.get(c) for c in columns]
        conn = self.conn
        seq = int(conn.execute(insert, values).lastrowid or 0)
        head = conn.execute(_CHAIN_HEAD).fetchone()
        chain_seq, prev = (int(head[0]) + 1, head[1]) if head else (1, GENESIS)
        if parts is None:
            link = _link(prev, table, {"seq": seq, **dict(zip(columns, values))})
        else:
            link = _link_text(prev, table, with_seq(parts, seq))
        conn.execute(_CHAIN_INSERT, (chain_seq, table, seq, prev, link,
                                     self._signing_key().sign(signing.link_text(chain_seq, link))))
        return seq

    def _signing_key(self) -> signing.LogKey:
        """The key that signs new records (created on the first write when there is none)."""
        if self._key is None:
            self._key = signing.load_key(create=True)
        if self._key is None:  # load_key(create=True) returns a key or raises; kept for the type checker
            raise StoreError(f"no log key at {signing.key_path()}")
        return self._key

    def _write(self, what: str, fn: Any) -> Any:
        try:
            with self.transaction():
                return fn()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"could not {what} in the decision log {self.path}: {exc}") from exc

    def append(self, decision: dict[str, Any], representation: dict[str, Any]) -> tuple[LoggedDecision, bool]:
        """Append one decision and the input it was made on; return what is logged and
        whether it was added.

        Idempotent: when this reference already has a decision on the same input with the
        same ruleset (a retried submission, a re-imported file), that decision is returned
        and nothing is added."""
        seq, earlier = self.append_row(decision_row(decision, representation))
        if earlier is not None:
            return earlier, False
        return LoggedDecision({**decision, "decision_id": decision_id(seq)}, representation), True

    def append_row(self, row: dict[str, Any], parts: tuple[str, str] | None = None) -> tuple[int, LoggedDecision | None]:
        """Append a row made by ``decision_row`` in its own transaction, unless the same input
        is logged already (see ``append``); return its seq and None, or the earlier decision's
        seq and that decision. The batch makes rows (and their ``chain_parts``) in other
        processes and appends them here."""
        def write() -> tuple[int, LoggedDecision | None]:
            same = self.conn.execute(_SAME_INPUT, (row["input_hash"], row["reference"], row["ruleset"])).fetchone()
            if same is not None:
                return same[0], self._row({"seq": same[0], "decision": same[1], "representation": same[2]})
            return self._insert("decisions", row, parts), None

        result: tuple[int, LoggedDecision | None] = self._write("append a decision", write)
        return result

    def append_event(self, event: dict[str, Any], identity: str, decision_id: str | None = None) -> tuple[int, bool]:
        """Append a lifecycle event; return (seq, added). An event already recorded on the
        reference (same identity) is not added again."""
        def write() -> tuple[int, bool]:
            same = list(self.db.table("events").rows_where("reference = ? AND identity = ?",
                                                            [event["reference"], identity], limit=1))
            if same:
                return int(same[0]["seq"]), False
            seq = self._insert("events", {
                "reference": event["reference"], "event": event["event"], "date": str(event["date"]),
                "stage": event.get("stage"), "identity": identity, "payload": canonical(event),
                "decision_id": decision_id, "recorded_at": _now()})
            return seq, True

        result: tuple[int, bool] = self._write("record an event", write)
        return result

    def append_override(self, override: dict[str, Any]) -> int:
        """Append a manager's override (the decision it changes stays as it was)."""
        row = {**override, "rules": canonical(override.get("rules", [])), "recorded_at": _now()}
        seq: int = self._write("record an override", lambda: self._insert("overrides", row))
        return seq

    def record_letters(self, decision_id: str, reference: str, drafts: list[dict[str, Any]]) -> None:
        """Record drafted letters (template id, template hash, files, when, who signs) in one transaction."""
        now = _now()
        rows = [{"decision_id": decision_id, "reference": reference, "template": d["template"],
                 "template_hash": d["template_hash"], "title": d["title"], "audience": d["audience"],
                 "files": json.dumps(d.get("files", [])), "drafted_at": now,
                 "signed_by": d.get("signed_by"), "signed_by_title": d.get("signed_by_title")} for d in drafts]
        self._write("record letters", lambda: [self._insert("letters", r) for r in rows])

    # ------------------------------------------------------------------ reading

    def _row(self, row: dict[str, Any]) -> LoggedDecision:
        decision = {"decision_id": decision_id(row["seq"]), **json.loads(row["decision"])}
        return LoggedDecision(decision, json.loads(row["representation"]))

    def find(self, *, since: str | None = None, until: str | None = None, procedure: str | None = None,
             disposition: str | None = None, representation_type: str | None = None,
             reference: str | None = None, latest_only: bool = False, limit: int | None = None,
             newest_first: bool = False) -> list[LoggedDecision]:
        """Decisions in log order (or newest first), filtered by received date (inclusive), route
        and outcome; at most ``limit`` of them."""
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
        rows = self.db.table("decisions").rows_where(" AND ".join(where) or None, params, order_by="seq DESC" if newest_first else "seq", limit=limit)
        return [self._row(r) for r in rows]

    def history(self, reference: str) -> list[LoggedDecision]:
        """Every decision on one reference, oldest first (NotFoundError when none)."""
        found = self.find(reference=reference)
        if not found:
            raise NotFoundError(f"no decision for reference {reference!r} in {self.path}")
        return found

    def get(self, ident: str) -> LoggedDecision:
        """One decision by its id (d-000123)."""
        try:
            seq = int(ident.removeprefix("d-"))
            row = next(self.db.query("SELECT * FROM decisions WHERE seq = ?", [seq]), None)
        except (ValueError, OverflowError):  # not a number, or beyond SQLite's integers
            row = None
        if row is None:
            raise NotFoundError(f"no decision {ident!r} in {self.path}")
        return self._row(row)

    @staticmethod
    def _event(row: dict[str, Any]) -> dict[str, Any]:
        return {**json.loads(row["payload"]), "seq": row["seq"], "decision_id": row["decision_id"],
                "recorded_at": row["recorded_at"]}

    @staticmethod
    def _override(row: dict[str, Any]) -> dict[str, Any]:
        return {**row, "rules": json.loads(row["rules"])}

    def events(self, reference: str | None = None) -> list[dict[str, Any]]:
        """Recorded events (payload plus seq, decision_id, recorded_at), in log order."""
        where = ("reference = ?", [reference]) if reference else (None, None)
        return [self._event(r) for r in self.db.table("events").rows_where(where[0], where[1], order_by="seq")]

    def open_cases(self, closing: tuple[str, ...]) -> Iterator[tuple[str, list[LoggedDecision], list[dict[str, Any]],
                                                                     list[dict[str, Any]]]]:
        """Every reference with none of the ``closing`` events, in order of its first decision,
        with its decisions, events and overrides (as ``find``, ``events`` and ``overrides`` give
        them), read in three statements rather than three per reference."""
        shut = (f"reference NOT IN (SELECT reference FROM event_codes WHERE event IN ({', '.join('?' * len(closing))}))",
                list(closing))
        decisions: dict[str, list[LoggedDecision]] = {}
        for r in self.db.query(f"SELECT * FROM decisions WHERE {shut[0]} ORDER BY seq", shut[1]):
            decisions.setdefault(r["reference"], []).append(self._row(r))
        events: dict[str, list[dict[str, Any]]] = {}
        for r in self.db.query(f"SELECT * FROM events WHERE {shut[0]} ORDER BY seq", shut[1]):
            events.setdefault(r["reference"], []).append(self._event(r))
        overrides: dict[str, list[dict[str, Any]]] = {}
        for r in self.db.query("SELECT * FROM overrides ORDER BY seq"):
            overrides.setdefault(r["reference"], []).append(self._override(r))
        for reference, logged in decisions.items():
            yield reference, logged, events.get(reference, []), overrides.get(reference, [])

    def has_event(self, reference: str, identity: str) -> bool:
        return any(True for _ in self.db.table("events").rows_where(
            "reference = ? AND identity = ?", [reference, identity], limit=1))

    def overrides(self, reference: str | None = None) -> list[dict[str, Any]]:
        where = ("reference = ?", [reference]) if reference else (None, None)
        return [self._override(r) for r in self.db.table("overrides").rows_where(where[0], where[1], order_by="seq")]

    def letters(self, reference: str) -> list[dict[str, Any]]:
        """Letters drafted for a reference, oldest first."""
        rows = self.db.table("letters").rows_where("reference = ?", [reference], order_by="seq")
        return [{**r, "files": json.loads(r["files"])} for r in rows]

    def references(self) -> list[str]:
        """Every reference in the log, in order of first decision."""
        return [r["reference"] for r in self.db.query(
            "SELECT reference, min(seq) AS first FROM decisions GROUP BY reference ORDER BY first")]

    def query(self, sql: str, params: Any = None) -> Iterator[dict[str, Any]]:
        """Read-only SQL over the log's tables (reports aggregate in SQLite, not in Python)."""
        if not sql.lstrip().lower().startswith(("select", "with")):
            raise StoreError("the log is append-only: query() runs SELECT statements only")
        return self.db.query(sql, params or {})

    def count(self) -> int:
        return self.db.table("decisions").count

    def head(self) -> tuple[int, str]:
        """How many records the chain holds, and the hash of the last (GENESIS when empty)."""
        row = self.db.execute("SELECT count(*), (SELECT hash FROM chain ORDER BY chain_seq DESC LIMIT 1) "
                              "FROM chain").fetchone()
        return int(row[0]), row[1] or GENESIS

    def checkpoint(self) -> dict[str, Any]:
        """A signed checkpoint of the log as it is now (records and head hash), to be kept
        elsewhere; refused when the log does not verify (it would bless a tampered log)."""
        problems = self.verify()
        if problems:
            raise StoreError(f"the log does not verify, so no checkpoint is signed: {problems[0]}")
        key = signing.load_key()
        if key is None:
            raise StoreError(f"no log key at {signing.key_path()}; the log has never been written with one")
        records, head = self.head()
        return signing.checkpoint(key, records, head, _now())

    def verify(self, against: dict[str, Any] | None = None) -> list[str]:
        """Check the hash chain and its signatures (and, given a checkpoint, that the log still
        holds what it held then); return problems, the first altered or removed record first.

        Never raises for what it finds in the file: a damaged file or chain is a problem
        reported, not a crash. Raises StoreError only when there is no key to check with."""
        try:
            return self._verify(against)
        except sqlite3.DatabaseError as exc:
            return [f"the log file is damaged and cannot be read to the end ({exc}); restore it from a backup "
                    "and check the backup with `triage log verify --against` your last checkpoint"]

    def _verify(self, against: dict[str, Any] | None) -> list[str]:
        key = signing.load_key()
        problems: list[str] = []
        prev, expected_seq, count, signed = GENESIS, 1, 0, False
        at_checkpoint: str | None = None
        chained: dict[str, set[Any]] = {t: set() for t in _TABLES if t != "chain"}
        columns: dict[str, list[str]] = {}
        links = self.db.execute("SELECT chain_seq, tbl, row_seq, prev_hash, hash, mac FROM chain ORDER BY chain_seq")
        for chain_seq, tbl, row_seq, prev_hash, link_hash, mac in links:
            count += 1
            where = f"record {chain_seq} ({tbl} row {row_seq})"
            if chain_seq != expected_seq:
                problems.append(f"records {expected_seq}-{chain_seq - 1} of the chain were removed")
            if prev_hash != prev:
                problems.append(f"{where}: the chain is broken before it (a record was removed or altered)")
            if tbl not in chained:
                problems.append(f"record {chain_seq} names no table of the log ({str(tbl)[:40]!r}): it was forged")
            else:
                row = self.db.execute(f"SELECT * FROM {tbl} WHERE seq = ?", [row_seq]).fetchone() \
                    if isinstance(row_seq, int) else None
                if row is None:
                    problems.append(f"{where} was removed")
                else:
                    if tbl not in columns:
                        columns[tbl] = [d[0] for d in self.db.execute(f"SELECT * FROM {tbl} LIMIT 0").description]
                    stored = dict(zip(columns[tbl], row))
                    if _link(prev_hash, tbl, stored) != link_hash:
                        label = decision_id(row_seq) if tbl == "decisions" else f"{tbl} row {row_seq}"
                        problems.append(f"{where} was altered ({label}, reference {stored.get('reference')})")
                chained[tbl].add(row_seq)
            if mac is not None:
                signed = True
                if key is None:
                    raise StoreError(f"the log is signed, but there is no key at {signing.key_path()} to check it "
                                     f"with; set {signing.KEY_FILE_ENV} (or {signing.KEY_ENV}) to the log's key")
                if not isinstance(mac, str) or not key.check(signing.link_text(chain_seq, str(link_hash)), mac):
                    other = isinstance(mac, str) and not mac.startswith(key.id + ":")
                    problems.append(f"{where} is signed with another key ({str(mac)[:8]}), not {key.source}" if other
                                    else f"{where} has a wrong signature: it was altered, added or renumbered "
                                         "without the key")
            elif signed:
                problems.append(f"{where} is not signed: it was added without the key")
            if against is not None and chain_seq == against["records"]:
                at_checkpoint = str(link_hash)
            prev, expected_seq = str(link_hash), chain_seq + 1
        if count and not signed:
            problems.append("no record of the log is signed: anyone with the file could have rewritten it "
                            "(a log written before signing; the next record written signs it and all before it)")
        for table, seqs in chained.items():
            for (seq,) in self.db.execute(f"SELECT seq FROM {table}").fetchall():
                if seq not in seqs:
                    problems.append(f"{table} row {seq} is not in the chain (added behind the log's back)")
        for table, (source, _, _) in codes.TABLES.items():
            for (seq,) in self.db.execute(codes.mismatches(table)).fetchall():
                problems.append(f"{table} row {seq} does not match {source} row {seq} "
                                "(the code tables were changed behind the log's back)")
        if against is not None:
            seen, when = against["records"], against["at"]
            if count < seen:
                problems.append(f"the log holds {count} records, but the checkpoint of {when} saw {seen}: "
                                "records were cut off the end, or an older copy was put in its place")
            elif seen and at_checkpoint != against["head"]:
                problems.append(f"record {seen} is not the one the checkpoint of {when} saw: the log was replaced "
                                "by another copy, or rewritten")
            elif not seen and against["head"] != GENESIS:
                problems.append(f"the checkpoint of {when} is damaged (no records but a head hash)")
        return problems

    def backup(self, dest: str | Path) -> dict[str, Any]:
        """Copy the log to ``dest`` with SQLite's online backup (a consistent copy while others
        write), verify the copy, and return its signed checkpoint. ``dest`` must not exist; a
        copy that does not verify is removed and nothing is left at ``dest``."""
        target = Path(dest)
        if target.exists():
            raise UsageError(f"{target} exists already; give a new file for the backup")
        partial = target.with_name(target.name + ".partial")
        try:
            partial.unlink(missing_ok=True)
            conn = sqlite3.connect(str(partial))
            try:
                self.conn.backup(conn)
            finally:
                conn.close()
            copy = DecisionLog(partial)
            try:
                problems = copy.verify()
                if problems:
                    raise StoreError(f"the backup does not verify, so it was not kept: {problems[0]}")
                made = copy.checkpoint()
            finally:
                copy.close()
            os.replace(partial, target)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"could not back up the decision log {self.path} to {target}: {exc}") from exc
        finally:
            for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
                leftover.unlink(missing_ok=True)
        return made

    def close(self) -> None:
        self.conn.close()
