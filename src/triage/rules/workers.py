"""Checking explored cases in several processes (``triage rules verify --jobs N``).

One process checks about 5,000 cases a second at best, and the proof wants hundreds of
thousands; the cases are independent, so the machine's other cores can take a share. The
parent hands out chunks of cases (in order, numbered) to worker processes as they become free,
and keeps each chunk's answer under its number: merged in that order, the result is the one a
single process gives, whatever the order in which the chunks finish.

The workers are *forked* from the parent, so they start with the verifier already built (the
rules loaded and compiled, the invariants compiled) and never import the caller's main script
again, as a spawned process would. Forking is only safe while the process has one thread (a
lock held by another thread at the fork stays held in the child for ever), so ``usable_jobs``
answers 1 otherwise, and on platforms other than Linux: the caller then checks in process.

Nothing can hang: a worker that dies (a crash in the C engine, a kill) is seen through its
process sentinel and reported as ``WorkerFailed``; an exception in a worker comes back as
``WorkerFailed`` with its message; Ctrl-C reaches the parent only (the workers ignore SIGINT)
and the parent stops every worker before the interrupt goes on. Whatever happens, every worker
is stopped and reaped before ``run_chunks`` returns or raises.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.connection import Connection, wait
from typing import Any, TypeVar

from triage.contract.errors import TriageError

T = TypeVar("T")
R = TypeVar("R")

STOP_SECONDS = 5.0  # how long a worker asked to stop may take before it is killed


class WorkerFailed(TriageError):
    """A worker process failed or died: nothing it was checking can be trusted, so no report."""

    def __init__(self, lines: list[str]) -> None:
        self._lines = lines
        super().__init__("; ".join(lines))

    def lines(self) -> list[str]:
        return list(self._lines)


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def usable_jobs(jobs: int) -> int:
    """``jobs``, or 1 where forking workers is not possible or not safe (see the module)."""
    if jobs <= 1 or not sys.platform.startswith("linux"):
        return 1  # elsewhere fork is missing (Windows) or unsafe (macOS system libraries start threads)
    if threading.active_count() > 1:
        return 1
    return jobs


def _serve(conn: Connection, work: Callable[[Any], Any], parents: list[Connection]) -> None:
    """A worker: answer numbered chunks until told to stop (None), or until the parent is gone.

    ``parents`` are the parent's ends of the pipes (this worker's and those of the workers
    forked before it), which the fork copied: closed here, so that when the parent dies the
    pipe reports it (end of file) instead of waiting for ever on an end this process holds."""
    for other in parents:
        other.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):  # the parent is gone: nobody wants the answers
            break
        if message is None:
            break
        number, chunk = message
        try:
            answer = work(chunk)
        except BaseException as exc:  # reported to the parent, which raises it
            lines = exc.lines() if isinstance(exc, TriageError) else [
                f"{type(exc).__name__}: {exc}", *traceback.format_exc().rstrip().splitlines()[-6:]]
            reply: tuple[int, Any, Any] = (number, None, lines)
        else:
            reply = (number, answer, None)
        try:
            conn.send(reply)
        except OSError:  # the parent is gone
            break
    conn.close()


def run_chunks(work: Callable[[T], R], chunks: Iterable[T], jobs: int,
               done: Callable[[int, T], None] | None = None) -> list[R]:
    """``[work(c) for c in chunks]``, computed by ``jobs`` forked workers; ``done(number, chunk)``
    is called in the parent as each chunk's answer arrives (in any order)."""
    context = multiprocessing.get_context("fork")
    numbered: Iterator[tuple[int, T]] = enumerate(chunks)
    answers: dict[int, R] = {}
    held: dict[int, T] = {}
    workers: list[tuple[Any, Connection]] = []
    for stream in (sys.stdout, sys.stderr):  # else a worker could write the parent's buffer again
        if stream is not None:
            stream.flush()
    finished = False
    try:
        for _ in range(jobs):
            mine, theirs = context.Pipe()
            parents = [*(conn for _, conn in workers), mine]
            process = context.Process(target=_serve, args=(theirs, work, parents), daemon=True, name="triage-verify")
            process.start()
            theirs.close()
            workers.append((process, mine))
        busy: dict[Connection, tuple[Any, int]] = {}

        def give(process: Any, conn: Connection) -> None:
            nxt = next(numbered, None)
            if nxt is None:
                conn.send(None)
                return
            held[nxt[0]] = nxt[1]
            conn.send(nxt)
            busy[conn] = (process, nxt[0])

        for process, conn in workers:
            give(process, conn)
        while busy:
            sentinels = {process.sentinel: conn for conn, (process, _) in busy.items()}
            ready = wait([*busy, *sentinels])
            for item in ready:
                conn = sentinels.get(item, item)  # type: ignore[arg-type]
                if conn not in busy:
                    continue  # both its pipe and its sentinel were ready: already handled
                process, number = busy[conn]
                message: tuple[Any, Any, Any] = (None, None, None)
                try:
                    if conn.poll():
                        message = conn.recv()
                except (EOFError, OSError):  # its end of the pipe closed: it died
                    pass
                got, answer, error = message
                if got is None:
                    process.join(0.1)
                    raise WorkerFailed([f"a worker process stopped (exit code {process.exitcode}) while checking "
                                        f"chunk {number + 1} of the cases; no report: run again, or with --jobs 1"])
                if error is not None:
                    raise WorkerFailed([f"checking chunk {number + 1} of the cases failed in a worker process:",
                                        *error])
                del busy[conn]
                answers[got] = answer
                if done is not None:
                    done(got, held.pop(got))
                give(process, conn)
        finished = True
    finally:
        _stop(workers, finished)
    return [answers[number] for number in sorted(answers)]


def _stop(workers: list[tuple[Any, Connection]], finished: bool) -> None:
    """Reap every worker: when all went well they were told to stop and are leaving; otherwise
    they are asked to (SIGTERM) and killed if they do not go."""
    for process, conn in workers:
        if finished:
            process.join(STOP_SECONDS)
        if process.is_alive():
            process.terminate()
    for process, conn in workers:
        process.join(STOP_SECONDS)
        if process.is_alive():
            process.kill()
            process.join()
        conn.close()
