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
  savepoints (``DecisionLog.begin_group``): a submission that fails while it is being logged rolls back to
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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from triage.contract.errors import StoreError
from triage.log.store import DecisionLog

GROUP_LIMIT = 32  # at most this many submissions in one transaction (bounds the wait of the first)


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

    ``log`` gives the writer thread's ``DecisionLog`` (opened on the thread that uses it)."""

    def __init__(self, log: Callable[[], DecisionLog], limit: int = GROUP_LIMIT) -> None:
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
