"""Group commit on the server's writer thread: submissions waiting together share one
transaction, each is answered only after it is committed, a submission that fails rolls back
alone, and when the commit fails no submission of the group is answered as logged."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from conftest import RULES
from test_server_support import example

from triage.contract.errors import StoreError


def _rows(db: Path) -> list[str]:
    """The references logged, read through a connection of its own (sees committed rows only)."""
    conn = sqlite3.connect(str(db))
    try:
        return [r[0] for r in conn.execute("SELECT reference FROM decisions ORDER BY seq")]
    finally:
        conn.close()


def _in_one_group(db: Path, jobs: list[Any], grouped: bool = True) -> list[Any]:
    """Run ``jobs`` (functions of the writer's log) so that they queue up behind a blocked
    writer and are taken as one group; return each one's result or exception."""
    from triage.log.store import DecisionLog
    from triage.server.writer import Writer

    local = threading.local()

    def log() -> DecisionLog:
        if not hasattr(local, "log"):
            local.log = DecisionLog(db)
        return local.log  # type: ignore[no-any-return]

    async def main() -> list[Any]:
        writer = Writer(log)
        release = threading.Event()
        try:
            blocker = asyncio.ensure_future(writer.run(lambda: release.wait(10)))
            await asyncio.sleep(0.05)  # the writer is now inside the blocker
            waiting = [asyncio.ensure_future(writer.run(lambda job=job: job(log()), grouped=grouped)) for job in jobs]
            await asyncio.sleep(0.05)  # all of them queued
            release.set()
            await blocker
            return list(await asyncio.gather(*waiting, return_exceptions=True))
        finally:
            writer.close()

    return asyncio.run(main())


def _assess(reference: str) -> Any:
    from triage import api

    def job(log: Any) -> str:
        return api.assess(example(reference=reference), db=log, rules=RULES).decision_id or ""
    return job


def test_waiting_submissions_share_one_commit_and_a_failing_one_rolls_back_alone(tmp_path: Path) -> None:
    from triage.log.store import DecisionLog

    db = tmp_path / "log.db"
    DecisionLog(db).close()
    seen_mid_group: list[list[str]] = []

    def failing(log: Any) -> None:
        from triage import api

        with log.transaction():  # a record that fails after it has written: only it is undone
            api.assess(example(reference="GROUP-BAD"), db=log, rules=RULES)
            raise ValueError("fails after writing")

    def look(log: Any) -> str:
        seen_mid_group.append(_rows(db))  # another connection, while the group is open
        return _assess("GROUP-3")(log)

    results = _in_one_group(db, [_assess("GROUP-1"), failing, look])
    assert results[0] == "d-000001"
    assert isinstance(results[1], ValueError)
    assert results[2] == "d-000002"
    assert seen_mid_group == [[]], "GROUP-1 was not committed on its own: the group is one transaction"
    assert _rows(db) == ["GROUP-1", "GROUP-3"]
    log = DecisionLog(db)
    assert log.verify() == []
    log.close()


def test_when_the_group_cannot_commit_no_submission_is_answered_as_logged(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from triage.contract.errors import InputError
    from triage.log.store import DecisionLog

    db = tmp_path / "log.db"
    DecisionLog(db).close()

    def refuse(self: DecisionLog) -> None:
        self._grouped = False
        self.db.conn.execute("ROLLBACK")
        raise StoreError("could not commit to the decision log log.db: disk I/O error")

    monkeypatch.setattr(DecisionLog, "commit_group", refuse)

    def invalid(log: Any) -> Any:
        from triage import api

        return api.assess({"reference": "GROUP-INVALID"}, db=log, rules=RULES)

    results = _in_one_group(db, [_assess("GROUP-1"), invalid, _assess("GROUP-2")])
    assert isinstance(results[0], StoreError) and isinstance(results[2], StoreError)
    assert isinstance(results[1], InputError), "a submission that failed keeps its own error"
    assert _rows(db) == []


def test_jobs_that_are_not_grouped_commit_one_by_one(tmp_path: Path) -> None:
    from triage.log.store import DecisionLog

    db = tmp_path / "log.db"
    DecisionLog(db).close()
    seen: list[list[str]] = []

    def look(log: Any) -> str:
        seen.append(_rows(db))
        return _assess("ALONE-2")(log)

    results = _in_one_group(db, [_assess("ALONE-1"), look], grouped=False)
    assert results == ["d-000001", "d-000002"]
    assert seen == [["ALONE-1"]]


def test_when_sqlite_ends_the_group_the_records_before_are_not_answered_as_logged(tmp_path: Path) -> None:
    """SQLite rolls a whole transaction back on some errors (disk full, I/O error): the records
    already run in it are answered with an error, and the rest go on in a new transaction."""
    from triage.log.store import DecisionLog

    db = tmp_path / "log.db"
    DecisionLog(db).close()

    def rolled_back(log: Any) -> str:
        log.db.conn.execute("ROLLBACK")  # as SQLite does itself after such an error
        return "ran"

    results = _in_one_group(db, [_assess("GROUP-1"), rolled_back, _assess("GROUP-2")])
    assert isinstance(results[0], StoreError) and isinstance(results[1], StoreError)
    assert results[2] == "d-000001"
    assert _rows(db) == ["GROUP-2"]
    log = DecisionLog(db)
    assert log.verify() == []
    log.close()


def test_the_servers_tables_write_inside_the_group_and_never_commit_alone(tmp_path: Path) -> None:
    """An idempotency key stored during a group is a savepoint of the group's transaction; once
    SQLite has ended that transaction, storing one is refused rather than committed alone."""
    from triage.log.store import DecisionLog
    from triage.server.tables import ServerTables

    db = tmp_path / "log.db"
    log = DecisionLog(db)
    tables = ServerTables(log)
    log.begin_group()
    tables.store_response("eform:/v1/assess", "key-1", "fp", 200, "{}")
    assert log.conn.in_transaction  # still the group's: nothing committed yet
    log.commit_group()
    assert ServerTables(DecisionLog(db)).stored_response("eform:/v1/assess", "key-1") is not None

    log.begin_group()
    log.conn.execute("ROLLBACK")  # as SQLite does on some errors (disk full, I/O)
    with pytest.raises(StoreError, match="abandoned"):
        tables.store_response("eform:/v1/assess", "key-2", "fp", 200, "{}")
    log.commit_group()
    assert ServerTables(DecisionLog(db)).stored_response("eform:/v1/assess", "key-2") is None
