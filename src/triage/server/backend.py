"""Where the HTTP service calls the library: threads, connections and the one log.

The library is synchronous; the server is asyncio. Every library call runs in a thread so
the event loop keeps serving while a decision is made or the log is read:

- **Writes** (assess, record, override, accounts, idempotency keys) run on one writer
  thread, one at a time (``writer``). The rules engine serialises itself with its own lock
  (``triage.rules.engine``: durable-rules is not thread-safe); one writer also means
  this process never waits on SQLite's busy handler against itself. Other processes (the
  CLI, a second server) may still write: the log's WAL and busy timeout handle that.
  Submissions (``grouped=True``) that wait together share one commit (group commit), and
  each is answered only after that commit.
- **Reads** (cases, the due list, the log, the report) run on a small pool of reader
  threads and never wait for writers (WAL).

``sqlite3`` connections belong to the thread that opened them (``check_same_thread``), so
each thread opens its own ``DecisionLog`` on the same file, on first use.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from triage.contract.errors import TriageError
from triage.log.store import DecisionLog
from triage.rules.ruleset import RuleSet, load_rules

from .tables import ServerTables
from .writer import Writer

T = TypeVar("T")

READERS = 4


class Backend:
    """The log file, the rules, and the threads that use them."""

    def __init__(self, db: str | Path | None = None, rules: RuleSet | str | Path | None = None) -> None:
        self.rules: RuleSet = rules if isinstance(rules, RuleSet) else load_rules(rules)
        first = DecisionLog(db)  # creates the file and the log's tables, or fails early
        self.db_path = first.path
        ServerTables(first)      # and the server's tables
        first.close()
        self._local = threading.local()
        self._writer = Writer(self.log)
        self._readers = ThreadPoolExecutor(READERS, thread_name_prefix="triage-read")

    def log(self) -> DecisionLog:
        """This thread's connection to the log (on the writer thread it takes part in group
        commits: ``DecisionLog.begin_group``)."""
        log: DecisionLog | None = getattr(self._local, "log", None)
        if log is None:
            log = DecisionLog(self.db_path)
            self._local.log = log
            self._local.tables = ServerTables(log)
        return log

    def tables(self) -> ServerTables:
        self.log()
        tables: ServerTables = self._local.tables
        return tables

    def warm(self) -> None:
        """Compile the rules and load the letter templates before the first request."""
        from triage.api import decider

        decider(self.rules).letters  # noqa: B018 (builds the LetterBook)

    async def write(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn`` on the writer thread (one write at a time in this process)."""
        result: T = await self._writer.run(functools.partial(self._run, fn, *args, **kwargs))
        return result

    async def submit(self, fn: Callable[[], T]) -> T:
        """Run ``fn``, a submission that logs what it writes through this thread's ``log()``,
        on the writer thread, sharing a commit with the submissions waiting beside it."""
        result: T = await self._writer.run(functools.partial(self._run, fn), grouped=True)
        return result

    async def read(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn`` on a reader thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._readers, functools.partial(self._run, fn, *args, **kwargs))

    def _run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn``, with the log's place on the server's disk taken out of the library's
        messages (the CLI's user wants the path; an API client or a browser should not see
        the server's folders): only the file's name is left."""
        try:
            return fn(*args, **kwargs)
        except TriageError as exc:
            if type(exc).lines is TriageError.lines:  # a message-only error (input errors name fields)
                text = str(exc)
                for place in sorted({str(self.db_path.resolve()), str(self.db_path)}, key=len, reverse=True):
                    text = text.replace(place, self.db_path.name)
                exc.args = (text,)
            raise

    def close(self) -> None:
        """Finish queued work and stop the threads; each thread's connection is closed
        with it (thread-local state is released when its thread ends)."""
        self._writer.close()
        self._readers.shutdown(wait=True)
