"""The HTTP service's own tables, kept in the decision log's SQLite file beside the log.

``api_keys`` (the eForm backend's keys, stored as sha256 hashes), ``users`` (managers who
sign in to the web pages, with salted scrypt hashes) and ``idempotency_keys`` (the first
response to each ``Idempotency-Key``, so a retried submission is answered, not logged twice).

This is the only module that touches these tables, and it never touches the log's own
(``decisions``, ``events``, ``overrides``, ``letters``, ``chain``): it adds tables through the
connection of a ``DecisionLog`` (``log.conn``) and leaves the log's append-only rules and
hash chain alone. These rows are operational, not the record: keys can be revoked, users
removed and idempotency keys expire (after ``IDEMPOTENCY_DAYS``), so they are not chained.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from triage.contract.errors import StoreError, TriageError
from triage.log.store import DecisionLog

IDEMPOTENCY_DAYS = 7  # eForm backends retry within minutes; a week is generous

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS api_keys (
        name TEXT PRIMARY KEY,
        key_hash TEXT NOT NULL UNIQUE,
        prefix TEXT NOT NULL,
        created_at TEXT NOT NULL,
        revoked_at TEXT)""",
    """CREATE TABLE IF NOT EXISTS users (
        name TEXT PRIMARY KEY,
        password_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS idempotency_keys (
        scope TEXT NOT NULL,
        key TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        status INTEGER NOT NULL,
        response TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (scope, key))""",
    "CREATE INDEX IF NOT EXISTS idempotency_keys_created ON idempotency_keys (created_at)",
    # Sessions live here, not in the cookie: the cookie carries a random id whose hash is the
    # key, so signing out (or a password change, or removing the user) ends a session even
    # for a copy of the cookie taken before.
    """CREATE TABLE IF NOT EXISTS sessions (
        id_hash TEXT PRIMARY KEY,
        user TEXT NOT NULL,
        password_version TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        ended_at TEXT,
        ended_why TEXT)""",
    "CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user)",
    # Every sign-in attempt and its outcome: the record managers and auditors read, and what
    # throttling counts from (so that it holds across restarts and worker processes).
    """CREATE TABLE IF NOT EXISTS signins (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        name TEXT NOT NULL,
        address TEXT NOT NULL,
        outcome TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS signins_name ON signins (name, at)",
    "CREATE INDEX IF NOT EXISTS signins_address ON signins (address, at)",
)
_TABLE_NAMES = {"api_keys", "users", "idempotency_keys", "sessions", "signins"}
# What the signins table records: a sign-in, a wrong name or password, an attempt refused
# because the name or the address was throttled, a sign-out, an administrator's unlock.
SIGNIN_OUTCOMES = ("signed_in", "failed", "refused_name_locked", "refused_address_throttled", "signed_out",
                   "unlocked")


class AccountError(TriageError):
    """An API key or user cannot be added, changed or removed as asked."""

    exit_code = 2


def _now(delta: timedelta = timedelta()) -> str:
    return (datetime.now(timezone.utc) + delta).strftime("%Y-%m-%dT%H:%M:%SZ")


def _stamp(delta: timedelta = timedelta()) -> str:
    """A time to the microsecond, so that attempts in the same second keep their order."""
    return (datetime.now(timezone.utc) + delta).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _id_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ApiKey:
    name: str
    prefix: str
    created_at: str
    revoked_at: str | None


@dataclass(frozen=True)
class User:
    name: str
    password_hash: str
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class StoredResponse:
    """The first response given to an idempotency key."""

    fingerprint: str
    status: int
    body: str


class ServerTables:
    """API keys, users and idempotency keys in the log's file (one connection: one thread)."""

    def __init__(self, log: DecisionLog) -> None:
        self.log = log
        self.conn: sqlite3.Connection = log.conn
        if not _TABLE_NAMES <= log.schema_names():
            with self._transaction("create the server's tables"):
                for statement in _SCHEMA:
                    self.conn.execute(statement)

    @contextmanager
    def _transaction(self, what: str) -> Iterator[None]:
        # The log's own transaction: alone, its own BEGIN IMMEDIATE ... COMMIT; inside the
        # writer's group commit (``writer``), a savepoint committed with the group, and refused
        # if SQLite has already ended the group's transaction (never committed on its own).
        try:
            with self.log.transaction():
                yield
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"could not {what} in {self.log.path}: {exc}") from exc

    # ------------------------------------------------------------------ API keys

    def add_key(self, name: str, key_hash: str, prefix: str) -> None:
        with self._transaction("add an API key"):
            row = self.conn.execute("SELECT revoked_at FROM api_keys WHERE name = ?", [name]).fetchone()
            if row is not None:
                state = f"revoked {row[0]}" if row[0] else "in use"
                raise AccountError(f"an API key named {name!r} already exists ({state}); choose another name")
            self.conn.execute("INSERT INTO api_keys (name, key_hash, prefix, created_at) VALUES (?, ?, ?, ?)",
                              [name, key_hash, prefix, _now()])

    def key_name(self, key_hash: str) -> str | None:
        """The name of the live (not revoked) key with this hash, or None."""
        row = self.conn.execute("SELECT name FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL",
                                [key_hash]).fetchone()
        return None if row is None else str(row[0])

    def keys(self) -> list[ApiKey]:
        return [ApiKey(*r) for r in self.conn.execute(
            "SELECT name, prefix, created_at, revoked_at FROM api_keys ORDER BY created_at, name")]

    def revoke_key(self, name: str) -> None:
        with self._transaction("revoke an API key"):
            cur = self.conn.execute("UPDATE api_keys SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                                    [_now(), name])
            if cur.rowcount == 0:
                raise AccountError(f"no live API key named {name!r} (see `triage keys list`)")

    # ------------------------------------------------------------------ users

    def add_user(self, name: str, password_hash: str) -> None:
        with self._transaction("add a user"):
            if self.conn.execute("SELECT 1 FROM users WHERE name = ?", [name]).fetchone():
                raise AccountError(f"a user named {name!r} already exists; "
                                   f"change the password with `triage users password {name}`")
            now = _now()
            self.conn.execute("INSERT INTO users (name, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?)",
                              [name, password_hash, now, now])

    def set_password(self, name: str, password_hash: str) -> None:
        """Change a password; every session signed in with the old one ends."""
        with self._transaction("change a password"):
            cur = self.conn.execute("UPDATE users SET password_hash = ?, updated_at = ? WHERE name = ?",
                                    [password_hash, _now(), name])
            if cur.rowcount == 0:
                raise AccountError(f"no user named {name!r} (see `triage users list`)")
            self._end_sessions(name, "password changed")

    def remove_user(self, name: str) -> None:
        """Remove a user; their sessions end."""
        with self._transaction("remove a user"):
            if self.conn.execute("DELETE FROM users WHERE name = ?", [name]).rowcount == 0:
                raise AccountError(f"no user named {name!r} (see `triage users list`)")
            self._end_sessions(name, "user removed")

    # ------------------------------------------------------------------ sessions

    def start_session(self, user: str, password_version: str, hours: float) -> str:
        """A new session for ``user``; returns its id (kept in the cookie; only its hash is stored)."""
        session_id = secrets.token_urlsafe(32)
        with self._transaction("start a session"):
            self.conn.execute("INSERT INTO sessions (id_hash, user, password_version, created_at, expires_at) "
                              "VALUES (?, ?, ?, ?, ?)",
                              [_id_hash(session_id), user, password_version, _now(), _now(timedelta(hours=hours))])
        return session_id

    def session_user(self, session_id: str) -> tuple[str, str] | None:
        """(user, password version) of a live session: started, not ended, not expired."""
        row = self.conn.execute("SELECT user, password_version FROM sessions WHERE id_hash = ? AND ended_at IS NULL "
                                "AND expires_at > ?", [_id_hash(session_id), _now()]).fetchone()
        return None if row is None else (str(row[0]), str(row[1]))

    def end_session(self, session_id: str, why: str) -> str | None:
        """End one session (sign-out); returns its user, None when it was not live."""
        with self._transaction("end a session"):
            row = self.conn.execute("SELECT user FROM sessions WHERE id_hash = ? AND ended_at IS NULL",
                                    [_id_hash(session_id)]).fetchone()
            self.conn.execute("UPDATE sessions SET ended_at = ?, ended_why = ? WHERE id_hash = ? AND ended_at IS NULL",
                              [_now(), why, _id_hash(session_id)])
        return None if row is None else str(row[0])

    def _end_sessions(self, user: str, why: str) -> None:
        self.conn.execute("UPDATE sessions SET ended_at = ?, ended_why = ? WHERE user = ? AND ended_at IS NULL",
                          [_now(), why, user])

    # ------------------------------------------------------------------ sign-in attempts

    def record_signin(self, name: str, address: str, outcome: str) -> None:
        if outcome not in SIGNIN_OUTCOMES:
            raise ValueError(f"unknown sign-in outcome {outcome!r}")
        with self._transaction("record a sign-in attempt"):
            self.conn.execute("INSERT INTO signins (at, name, address, outcome) VALUES (?, ?, ?, ?)",
                              [_stamp(), name[:200], address[:100], outcome])

    def failures(self, *, name: str | None = None, address: str | None = None, seconds: int) -> int:
        """Failed sign-ins in the last ``seconds`` for a name (since its last sign-in or unlock),
        or from an address."""
        since = _stamp(timedelta(seconds=-seconds))
        if name is not None:
            reset = self.conn.execute("SELECT max(at) FROM signins WHERE name = ? AND outcome IN ('signed_in', "
                                      "'unlocked')", [name]).fetchone()[0]
            row = self.conn.execute("SELECT count(*) FROM signins WHERE name = ? AND outcome = 'failed' AND at >= ? "
                                    "AND at > ?", [name, since, reset or ""]).fetchone()
        else:
            row = self.conn.execute("SELECT count(*) FROM signins WHERE address = ? AND outcome = 'failed' "
                                    "AND at >= ?", [address, since]).fetchone()
        return int(row[0])

    def signins(self, limit: int = 50) -> list[tuple[str, str, str, str]]:
        """The latest sign-in attempts, newest first: (at, name, address, outcome)."""
        return [tuple(r) for r in self.conn.execute(  # type: ignore[misc]
            "SELECT at, name, address, outcome FROM signins ORDER BY seq DESC LIMIT ?", [limit])]

    def user(self, name: str) -> User | None:
        row = self.conn.execute("SELECT name, password_hash, created_at, updated_at FROM users WHERE name = ?",
                                [name]).fetchone()
        return None if row is None else User(*row)

    def users(self) -> list[User]:
        return [User(*r) for r in self.conn.execute(
            "SELECT name, password_hash, created_at, updated_at FROM users ORDER BY name")]

    # ------------------------------------------------------------------ idempotency keys

    def stored_response(self, scope: str, key: str) -> StoredResponse | None:
        """The response first given to ``key`` (within ``IDEMPOTENCY_DAYS``), or None."""
        cutoff = (datetime.now(timezone.utc) - timedelta(days=IDEMPOTENCY_DAYS)).strftime("%Y-%m-%dT%H:%M:%SZ")
        row = self.conn.execute("SELECT fingerprint, status, response FROM idempotency_keys "
                                "WHERE scope = ? AND key = ? AND created_at >= ?", [scope, key, cutoff]).fetchone()
        return None if row is None else StoredResponse(row[0], int(row[1]), row[2])

    def store_response(self, scope: str, key: str, fingerprint: str, status: int, body: str) -> StoredResponse:
        """Keep the first response to ``key``; when another writer got there first, return theirs."""
        cutoff = (datetime.now(timezone.utc) - timedelta(days=IDEMPOTENCY_DAYS)).strftime("%Y-%m-%dT%H:%M:%SZ")
        with self._transaction("store an idempotency key"):
            self.conn.execute("DELETE FROM idempotency_keys WHERE created_at < ?", [cutoff])
            self.conn.execute("INSERT OR IGNORE INTO idempotency_keys (scope, key, fingerprint, status, response, "
                              "created_at) VALUES (?, ?, ?, ?, ?, ?)", [scope, key, fingerprint, status, body, _now()])
            row: Any = self.conn.execute("SELECT fingerprint, status, response FROM idempotency_keys "
                                         "WHERE scope = ? AND key = ?", [scope, key]).fetchone()
        return StoredResponse(row[0], int(row[1]), row[2])
