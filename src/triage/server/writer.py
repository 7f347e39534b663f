"""The writer thread: every write of this process, one at a time, and group commit for
submissions.

Under load the eForm's submissions queue up behind the one writer. Committing each of them
alone costs a ``BEGIN IMMEDIATE`` and a ``COMMIT`` (a WAL write of every page the record
touched: the row, its indexes, the code tables, the chain) per submission, and one wake-up of
the event loop per answer. So the writer takes every *grouped* job waiting in the queue (at
most ``GROUP_LIMIT``), runs them one after another inside one transaction, commits once, and
only then hands back their answers, all in one wake-up of the event loop:

- **Printed means logged.** No answer leaves this module before the ``COMMIT`` that holds its
  record has returned. When the commit fails, every job of the group gets the error instead
  of its answer (nothing of the group is in the log).
- **Each record on its own.** Inside a group the log's own write transactions become
  savepoints (``GroupLog``): a submission that fails while it is being logged rolls back to
  its savepoint, gets its own error, and the others of the group go on. Input that fails
  validation never reaches the log at all.
- **Everything else alone.** Jobs that are not marked grouped (the managers' pages, keys,
  overrides) run as before, each in its own transactions, in queue order.

A group of one is run exactly as an ungrouped job, so at a low rate nothing changes.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from triage.contract.errors import StoreError
from triage.log.store import DecisionLog

GROUP_LIMIT = 32  # at most this many submissions in one transaction (bounds the wait of the first)


class GroupLog(DecisionLog):
    """A DecisionLog whose writes become savepoints while a group transaction is open.

    ``DecisionLog`` wraps each record in ``_transaction`` (``BEGIN IMMEDIATE`` ... ``COMMIT``);
    SQLite refuses a ``BEGIN`` inside a transaction, so while ``group()`` is open the same
    block is a ``SAVEPOINT`` that is released (kept) or rolled back on its own. Outside a group
    it is the log's own transaction, unchanged."""

    _grouped = False

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        if not self._grouped:
            with super()._transaction():
                yield
            return
        conn = self.db.conn
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
        """Open one transaction for the records that follow (taking the write lock now)."""
        try:
            self.db.conn.execute("BEGIN IMMEDIATE")
        except Exception as exc:
            raise StoreError(f"could not start writing to the decision log {self.path.name}: {exc}") from exc
        self._grouped = True

    def group_open(self) -> bool:
        """Whether the group's transaction is still open (SQLite ends it itself on some errors)."""
        return self._grouped and self.db.conn.in_transaction

    def commit_group(self) -> None:
        """Commit the group's records; on failure roll them all back and raise StoreError."""
        self._grouped = False
        conn = self.db.conn
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


@dataclass
class Job:
    """One write: the function, whether it may share a transaction, and where its answer goes."""

    fn: Callable[[], Any]
    grouped: bool
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]
    result: Any = None
    error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = self.fn()
        except BaseException as exc:  # noqa: BLE001 (handed to the waiting request, which answers it)
            self.error = exc


def _settle(jobs: list[Job]) -> None:
    """On the event loop: hand each job's answer to its request (one wake-up for the group)."""
    for job in jobs:
        if job.future.done():  # the request was cancelled meanwhile; its answer goes nowhere
            continue
        if job.error is not None:
            job.future.set_exception(job.error)
        else:
            job.future.set_result(job.result)


class Writer:
    """One thread that runs write jobs in order; waiting grouped jobs share a commit.

    ``log`` gives the writer thread's ``GroupLog`` (opened on the thread that uses it)."""

    def __init__(self, log: Callable[[], GroupLog], limit: int = GROUP_LIMIT) -> None:
        self._log = log
        self._limit = limit
        self._queue: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._closed = False
        self._thread = threading.Thread(target=self._main, name="triage-write", daemon=True)
        self._thread.start()

    async def run(self, fn: Callable[[], Any], *, grouped: bool = False) -> Any:
        """Run ``fn`` on the writer thread and return its result (or raise its error)."""
        if self._closed:
            raise RuntimeError("the writer is closed")
        loop = asyncio.get_running_loop()
        job = Job(fn, grouped, loop, loop.create_future())
        self._queue.put(job)
        return await job.future

    def close(self) -> None:
        """Finish the queued jobs, then stop the thread."""
        if not self._closed:
            self._closed = True
            self._queue.put(None)
            self._thread.join()

    # ------------------------------------------------------------------ the thread

    def _main(self) -> None:
        held: Job | None = None  # a job taken from the queue while gathering a group, run next
        while True:
            job, held = (held, None) if held is not None else (self._queue.get(), None)
            if job is None:
                return
            if not job.grouped:
                self._finish([job], alone=True)
                continue
            group, stop = [job], False
            while len(group) < self._limit:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is not None and nxt.grouped:
                    group.append(nxt)
                    continue
                held, stop = nxt, nxt is None  # an ungrouped job runs after the group, alone
                break
            self._finish(group, alone=len(group) == 1)
            if stop:
                return

    def _finish(self, jobs: list[Job], *, alone: bool) -> None:
        live = [j for j in jobs if not j.future.cancelled()]
        if alone:
            for job in live:
                job.run()
        else:
            self._group(live)
        by_loop: dict[asyncio.AbstractEventLoop, list[Job]] = {}
        for job in live:
            by_loop.setdefault(job.loop, []).append(job)
        for loop, mine in by_loop.items():
            try:
                loop.call_soon_threadsafe(_settle, mine)
            except RuntimeError:  # the loop has closed: nobody is waiting any more
                pass

    def _group(self, jobs: list[Job]) -> None:
        """Run ``jobs`` in one transaction and commit it; answers only after the commit."""
        try:
            log = self._log()
        except BaseException as exc:  # noqa: BLE001
            for job in jobs:
                job.error = exc
            return
        pending = list(jobs)
        while pending:
            try:
                log.begin_group()
            except StoreError as exc:
                for job in pending:
                    job.error = exc
                return
            ran: list[Job] = []
            while pending:
                job = pending.pop(0)
                job.run()
                ran.append(job)
                if not log.group_open():  # SQLite ended the transaction: the records before were lost
                    self._lost(ran)
                    ran = []
                    break
            try:
                log.commit_group()
            except StoreError as exc:
                self._lost(ran, exc)

    @staticmethod
    def _lost(jobs: list[Job], exc: BaseException | None = None) -> None:
        """The transaction holding ``jobs`` was not committed: each that had succeeded gets an
        error instead of its answer (one that failed keeps its own error)."""
        for job in jobs:
            if job.error is None:
                job.result = None
                job.error = exc or StoreError("the decision log could not keep this record (the transaction it "
                                              "shared was rolled back by SQLite); nothing was logged, send it again")
