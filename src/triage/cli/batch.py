"""`triage assess --batch`: other processes decide the lines while this one logs and prints them.

A batch line costs two kinds of work: deciding it (decode, validate, the rules, the row to
store: pure computation that needs no log) and logging it (the idempotency lookup, the insert,
the hash chain and its signature, the commit). Done one after the other they use one core of
the machine; here child processes, forked once each, decide the lines (one a core, each its
share: every second line on two cores) and pass each row through a pipe, while this process
merges the rows back into line order, appends and prints them, so every core works. A stream
(standard input) can be read by one process only, so it gets one decider.

What the contract asks of a batch is unchanged:

- every line is its own transaction: this process appends each row with
  ``DecisionLog.append_row`` (its own ``BEGIN IMMEDIATE`` ... ``COMMIT``) and only then prints
  its result, in line order, so what is printed is logged;
- a line a decider refuses (bad JSON, invalid input, a rule error) comes back as its error
  result and logs nothing; a line the log refuses (a store error) prints its error;
- the same input again is an idempotent re-import: the log's earlier decision is printed;
- the output is byte for byte what ``BatchResult.to_json`` prints for the same decision
  (``result_line`` writes it around the decision JSON already made for the log, instead of
  encoding the decision a second time).

Deciding does not read the log, so deciding line n+1 while line n is being written changes no
decision. A decider is forked after the rules are loaded (no second start-up); it writes only
to its pipe and leaves with ``os._exit``, so it never flushes this process's buffers or touches
the open log. If one fails, the batch stops there with an error (the lines printed are logged).
Where there is no ``fork`` (Windows) the same two steps run one after the other.
"""

from __future__ import annotations

import marshal
import os
import signal
import struct
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from triage.api import BatchResult, prepare
from triage.contract.errors import TriageError
from triage.contract.models import Decision
from triage.contract.validation import json_lines
from triage.log.store import DecisionLog, chain_parts, decision_id, decision_row
from triage.rules.decider import Decider

# A row crosses the pipe as its length and its marshal bytes: two reads for the process that
# logs, where marshal.load from the pipe would read each part of the row with a call of its own.
# From a file, a decider hands rows over in pipe-sized writes rather than one a line.
_FRAME = struct.Struct("<I")
_PIPE_BUFFER = 1 << 16

# What the deciding side hands over for one line: (line number, the row to log, its chain
# parts, None) or (line number, None, None, the printed error result). Plain tuples of str,
# int, None and dicts of them, so that marshal carries them.
Decided = tuple[int, "dict[str, Any] | None", "tuple[str, str] | None", "str | None"]


def decide_lines(lines: Iterable[bytes | str], decider: Decider) -> Iterator[Decided]:
    """Decide each line (blank lines skipped) into the row to log, or its error result."""
    def row(raw: Any) -> dict[str, Any]:
        rep, raw = prepare(raw, decider.rules)
        decision = decider.decide(rep, raw["reference"]).model_dump(mode="json")
        return decision_row(decision, raw)

    for number, made, error in json_lines(lines, row):
        if made is None:
            yield number, None, None, BatchResult(number, None, error).to_json()
        else:
            yield number, made, chain_parts(made), None


def result_line(line: int, seq: int, stored_decision: str) -> str:
    """The printed result of a decision just logged, as ``BatchResult.to_json`` prints it.

    ``stored_decision`` is the decision's JSON as the log stores it: the decision without its
    id, encoded as ``json.dumps`` encodes the result. The result is that object with the id
    put back first (``decision_id`` is the first field of a Decision), inside the result."""
    return f'{{"line": {line}, "ok": true, "decision": {{"decision_id": "{decision_id(seq)}", {stored_decision[1:]}}}'


def log_line(item: Decided, log: DecisionLog) -> tuple[str, bool]:
    """Append one decided line in its own transaction; return its printed result and whether
    it is a decision (False for an error)."""
    number, row, parts, refused = item
    if row is None:
        return str(refused), False
    try:
        seq, earlier = log.append_row(row, parts)
    except TriageError as exc:
        return BatchResult(number, None, exc).to_json(), False
    except Exception as exc:  # noqa: BLE001 - as json_lines: a bug on one line must not cost the rest
        error = TriageError(f"line {number} could not be processed ({type(exc).__name__}: {str(exc)[:200]}); "
                            "this is a bug in triage, please report it")
        return BatchResult(number, None, error).to_json(), False
    if earlier is not None:  # the same input was logged before: its decision (idempotent)
        return BatchResult(number, Decision.model_validate(earlier.decision)).to_json(), True
    return result_line(number, seq, row["decision"]), True


def run(source: Path | Sequence[bytes | str] | Iterable[bytes | str], log: DecisionLog,
        decider: Decider) -> Iterator[tuple[str, bool]]:
    """Each line's printed result (and whether it is a decision), in order, each logged first.

    ``source`` is a file (each decider reads it itself), lines in memory (which the deciders
    share), or a stream such as standard input, which only one process can read."""
    if hasattr(os, "fork"):
        shareable = isinstance(source, (Path, Sequence))
        running = _start(source, decider, deciders(_cores()) if shareable else 1)
        if running is not None:
            yield from _merged(running, log)
            return
    # no fork here (Windows), or no process could be started: both steps in this process
    with _lines_of(source) as lines:
        for item in decide_lines(lines, decider):
            yield log_line(item, log)


def deciders(cores: int | None) -> int:
    """How many processes decide: one a core, at least one and at most four (this process,
    which logs, is then the one that keeps up with them: it costs about half a decider)."""
    return max(1, min(4, cores or 1))


def _cores() -> int | None:
    """The cores this process may run on (fewer than the machine's under a CPU limit)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on every system
        return os.cpu_count()


@contextmanager
def _lines_of(source: Path | Iterable[bytes | str]) -> Iterator[Iterable[bytes | str]]:
    if isinstance(source, Path):
        with open(source, "rb") as f:
            yield f
    else:
        yield source


def _start(source: Path | Iterable[bytes | str], decider: Decider, count: int) -> dict[int, Any] | None:
    """Fork ``count`` deciders, decider k taking lines k+1, k+1+count, ...; return each one's
    pipe by pid, or None when they cannot all be started (too many processes: those started
    are stopped, and nothing has been decided, logged or printed yet)."""
    sys.stdout.flush()
    sys.stderr.flush()
    running: dict[int, Any] = {}  # pid: the pipe it writes
    try:
        for k in range(count):
            read_end, write_end = os.pipe()
            _roomy(write_end)
            try:
                pid = os.fork()
            except OSError:
                os.close(read_end)
                os.close(write_end)
                raise
            if pid == 0:  # the child: decide, hand over, leave without running the parent's clean-up
                os.close(read_end)
                for other in running.values():
                    os.close(other.fileno())
                _child(source, k, count, decider, write_end)
            os.close(write_end)
            running[pid] = open(read_end, "rb")
    except OSError:
        _stop(running)
        return None
    return running


PIPE_BYTES = 1 << 20  # about 200 decided lines (Linux lets any user have pipes of up to 1 MiB)


def _roomy(fd: int) -> None:
    """Let a decider run ahead of the logging process by about 200 lines, not the 64 KiB (about
    14 lines) of a default pipe: the deciders take the lines in turn, so with a short pipe one
    waits on the logger while the logger waits on the other (measured: 10% more lines a second
    with 1 MiB). Where the system does not allow it, the default pipe works as before."""
    try:
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except (ImportError, AttributeError, OSError):
        pass


def _merged(running: dict[int, Any], log: DecisionLog) -> Iterator[tuple[str, bool]]:
    """The deciders' rows merged back into line order, each logged in turn."""
    pipes = list(running.values())
    try:
        # the next row of each decider, by line number: the smallest is the next line of the batch
        waiting: dict[int, tuple[Decided, int]] = {}
        for pid in list(running):
            _take(waiting, running, pid)
        while waiting:
            item, pid = waiting.pop(min(waiting))
            yield log_line(item, log)
            _take(waiting, running, pid)
    finally:
        _stop(running)  # stopped early (an error, a closed output, Ctrl-C): stop them too
        for pipe in pipes:
            pipe.close()


def _stop(running: dict[int, Any]) -> None:
    for pid, pipe in running.items():
        try:
            os.kill(pid, signal.SIGTERM)
            os.waitpid(pid, 0)
        except OSError:
            pass
        pipe.close()


def _take(waiting: dict[int, tuple[Decided, int]], running: dict[int, Any], pid: int) -> None:
    """Read a decider's next row into ``waiting``; at its end, reap it and check that it
    finished well (a decider that failed stops the batch before any later line is printed)."""
    pipe = running[pid]
    head = pipe.read(_FRAME.size)
    frame = pipe.read(_FRAME.unpack(head)[0]) if len(head) == _FRAME.size else b""
    if not frame or len(frame) < _FRAME.unpack(head)[0]:  # its end (or it died mid-line)
        del running[pid]
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        if code != 0 or frame:
            raise TriageError(f"the batch stopped: a process deciding its lines failed (exit status {code}); "
                              "the lines printed are logged") from None
        return
    item: Decided = marshal.loads(frame)
    waiting[item[0]] = (item, pid)


def _child(source: Path | Iterable[bytes | str], k: int, count: int, decider: Decider, write_end: int) -> None:
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C stops the child at once, quietly
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        stream = not isinstance(source, (Path, Sequence))
        with open(write_end, "wb", buffering=_PIPE_BUFFER) as pipe, _lines_of(source) as lines:
            # the other deciders' lines become blank lines here, which json_lines skips by number
            mine = lines if count == 1 else (line if i % count == k else b"" for i, line in enumerate(lines))
            for item in decide_lines(mine, decider):
                frame = marshal.dumps(item)
                pipe.write(_FRAME.pack(len(frame)) + frame)
                if stream:
                    pipe.flush()  # a stream may pause: hand each line over as soon as it is decided
    except BrokenPipeError:
        code = 0  # the parent stopped reading: nothing left to do
    except BaseException as exc:  # noqa: BLE001 - reported through the exit status
        try:
            os.write(2, f"triage: the batch's deciding process failed: {type(exc).__name__}: {exc}\n".encode())
        except OSError:
            pass
        code = 1
    finally:
        os._exit(code)
