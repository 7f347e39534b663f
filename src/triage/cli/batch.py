"""`triage assess --batch`: one process decides the lines while this one logs and prints them.

A batch line costs two kinds of work: deciding it (decode, validate, the rules, the row to
store: pure computation that needs no log) and logging it (the idempotency lookup, the insert,
the hash chain and its signature, the commit). Done one after the other they use one core of
the machine; here a child process, forked once, decides line after line and passes each row
through a pipe, while this process appends and prints, so both cores work.

What the contract asks of a batch is unchanged:

- every line is its own transaction: this process appends each row with
  ``DecisionLog.append_row`` (its own ``BEGIN IMMEDIATE`` ... ``COMMIT``) and only then prints
  its result, in line order, so what is printed is logged;
- a line the child refuses (bad JSON, invalid input, a rule error) comes back as its error
  result and logs nothing; a line the log refuses (a store error) prints its error;
- the same input again is an idempotent re-import: the log's earlier decision is printed;
- the output is byte for byte what ``BatchResult.to_json`` prints for the same decision
  (``result_line`` writes it around the decision JSON already made for the log, instead of
  encoding the decision a second time).

Deciding does not read the log, so deciding line n+1 while line n is being written changes no
decision. The child is forked after the rules are loaded (no second start-up); it writes only
to its pipe and leaves with ``os._exit``, so it never flushes this process's buffers or touches
the open log. Where there is no ``fork`` (Windows) the same two steps run one after the other.
"""

from __future__ import annotations

import json
import marshal
import os
import signal
import sys
from collections.abc import Iterable, Iterator
from typing import Any

from triage.api import BatchResult, prepare
from triage.contract.errors import TriageError
from triage.contract.models import Decision
from triage.contract.validation import json_lines
from triage.log.store import DecisionLog, decision_id, decision_row
from triage.rules.decider import Decider

# What the deciding side hands over for one line: (line number, the row to log, None) or
# (line number, None, the printed error result). Plain tuples of str, int, None and dicts of
# them, so that marshal carries them.
Decided = tuple[int, "dict[str, Any] | None", "str | None"]


def decide_lines(lines: Iterable[bytes | str], decider: Decider) -> Iterator[Decided]:
    """Decide each line (blank lines skipped) into the row to log, or its error result."""
    def row(raw: Any) -> dict[str, Any]:
        rep, raw = prepare(raw, decider.rules)
        decision = decider.decide(rep, raw["reference"]).model_dump(mode="json")
        return decision_row(decision, raw)

    for number, made, error in json_lines(lines, row):
        if made is None:
            yield number, None, BatchResult(number, None, error).to_json()
        else:
            yield number, made, None


def result_line(line: int, seq: int, stored_decision: str) -> str:
    """The printed result of a decision just logged, as ``BatchResult.to_json`` prints it.

    ``stored_decision`` is the decision's JSON as the log stores it: the decision without its
    id, encoded as ``json.dumps`` encodes the result. The result is that object with the id
    put back first (``decision_id`` is the first field of a Decision), inside the result."""
    return (f'{{"line": {line}, "ok": true, "decision": {{"decision_id": {json.dumps(decision_id(seq))}, '
            f"{stored_decision[1:]}}}")


def log_line(item: Decided, log: DecisionLog) -> tuple[str, bool]:
    """Append one decided line in its own transaction; return its printed result and whether
    it is a decision (False for an error)."""
    number, row, refused = item
    if row is None:
        return str(refused), False
    try:
        seq, earlier = log.append_row(row)
    except TriageError as exc:
        return BatchResult(number, None, exc).to_json(), False
    except Exception as exc:  # noqa: BLE001 - as json_lines: a bug on one line must not cost the rest
        error = TriageError(f"line {number} could not be processed ({type(exc).__name__}: {str(exc)[:200]}); "
                            "this is a bug in triage, please report it")
        return BatchResult(number, None, error).to_json(), False
    if earlier is not None:  # the same input was logged before: its decision (idempotent)
        return BatchResult(number, Decision.model_validate(earlier.decision)).to_json(), True
    return result_line(number, seq, row["decision"]), True


def run(lines: Iterable[bytes | str], log: DecisionLog, decider: Decider) -> Iterator[tuple[str, bool]]:
    """Each line's printed result (and whether it is a decision), in order, each logged first."""
    if not hasattr(os, "fork"):
        for item in decide_lines(lines, decider):
            yield log_line(item, log)
        return
    yield from _forked(lines, log, decider)


def _forked(lines: Iterable[bytes | str], log: DecisionLog, decider: Decider) -> Iterator[tuple[str, bool]]:
    read_end, write_end = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: decide, hand over, leave without running the parent's clean-up
        os.close(read_end)
        _child(lines, decider, write_end)
    os.close(write_end)
    finished = False
    try:
        with open(read_end, "rb") as pipe:
            while True:
                try:
                    item = marshal.load(pipe)
                except EOFError:
                    break
                yield log_line(item, log)
        _, status = os.waitpid(pid, 0)
        finished = True
        if os.waitstatus_to_exitcode(status) != 0:
            raise TriageError(f"the batch stopped: the process deciding its lines failed "
                              f"(exit status {os.waitstatus_to_exitcode(status)}); the lines printed are logged")
    finally:
        if not finished:  # stopped early (an error, a closed output, Ctrl-C): stop the child too
            try:
                os.kill(pid, signal.SIGTERM)
                os.waitpid(pid, 0)
            except OSError:
                pass


def _child(lines: Iterable[bytes | str], decider: Decider, write_end: int) -> None:
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C stops the child at once, quietly
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        with open(write_end, "wb") as pipe:
            for item in decide_lines(lines, decider):
                marshal.dump(item, pipe)
                pipe.flush()  # a line is handed over as soon as it is decided (a stream may pause)
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
