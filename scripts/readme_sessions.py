"""Run every session the README shows and compare what it prints with what the README says.

    python scripts/readme_sessions.py            # check: exit 1 and show the differences
    python scripts/readme_sessions.py --update   # rewrite the README's output blocks from a real run

A session is a plain fenced block (no language) whose first line starts with ``$ ``: each
``$ `` line is a command (a trailing backslash continues it), and the lines up to the next
``$ `` line are what it prints, standard output and standard error together as a terminal
shows them. A line holding only ``...`` stands for any number of lines left out.

The sessions run in order, in one bash shell, in a fresh temporary directory holding a copy
of examples/ (so the README's decision ids and states are those a new user gets following it
from the top), with this interpreter's ``triage`` first on PATH and no TRIAGE_DB or
TRIAGE_RULES from the caller. A server a session starts in the background is stopped with
the shell when the run ends.

Before comparing, both sides are masked where a run cannot repeat itself: times
(2026-11-23T05:15:39Z), ruleset hashes (sha256:3e00...), API keys (tri_...), the temporary
directory, the port the HTTP session serves on (a free one, shown as 8000), how long a
verification took ("in 6.2 s (968/s)"), and the date of
the run, which the README records in a comment (``<!-- readme-sessions: run on DATE -->``)
so that its dates are masked as today's are.

``--update`` writes the real output into each block (keeping ``...`` where it stands, with
the lines around it taken from the run) and the date of the run; review the diff before
committing it.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
MARK = "@@@readme-sessions@@@"
RUN_ON = re.compile(r"<!-- readme-sessions: run on (\d{4}-\d\d-\d\d) -->")
ELISION = "..."
TIMEOUT = 600
PORT = "8000"


@dataclass
class Command:
    """One ``$`` command of a session and the lines the README shows for it."""

    text: str                 # the command as bash runs it (continuations joined by newlines)
    shown: list[str]          # the README's lines for the command itself
    expected: list[str] = field(default_factory=list)
    actual: list[str] = field(default_factory=list)


@dataclass
class Session:
    """One fenced block: its place in the README and its commands."""

    start: int                # index of the first line inside the fence
    end: int                  # index of the closing fence
    commands: list[Command] = field(default_factory=list)


def parse(lines: list[str]) -> list[Session]:
    """The README's sessions, in order."""
    sessions, i = [], 0
    while i < len(lines):
        if lines[i].rstrip() == "```" and i + 1 < len(lines) and lines[i + 1].startswith("$ "):
            start = i + 1
            end = next(j for j in range(start, len(lines)) if lines[j].rstrip() == "```")
            session = Session(start, end)
            j = start
            while j < end:
                if lines[j].startswith("$ "):
                    shown = [lines[j]]
                    while shown[-1].endswith("\\") and j + 1 < end:
                        j += 1
                        shown.append(lines[j])
                    text = "\n".join([shown[0][2:], *shown[1:]])
                    session.commands.append(Command(text, shown))
                else:
                    session.commands[-1].expected.append(lines[j])
                j += 1
            sessions.append(session)
            i = end + 1
        else:
            i += 1
    return sessions


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(sessions: list[Session], workdir: Path, port: int) -> None:
    """Run every command in one bash shell in ``workdir``; fill in each command's ``actual``."""
    script = ["set +e"]
    for session in sessions:
        for command in session.commands:
            text = command.text.replace(f"127.0.0.1:{PORT}", f"127.0.0.1:{port}").replace(f"--port {PORT}", f"--port {port}")
            script += [text, f"__rc=$?; printf '\\n{MARK}\\n'; (exit $__rc)"]
    env = {k: v for k, v in os.environ.items() if k not in ("TRIAGE_DB", "TRIAGE_RULES", "TRIAGE_SECRET_KEY")}
    env.update(PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}", PYTHONUNBUFFERED="1",
               TRIAGE_CACHE=str(workdir / ".cache"), COLUMNS="100", NO_COLOR="1")
    proc = subprocess.Popen(["bash", "--noprofile", "--norc"], cwd=workdir, env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        out, _ = proc.communicate("\n".join(script).encode() + b"\n", timeout=TIMEOUT)
    finally:
        try:  # stop anything the sessions left running (a server started with &): our own process group
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    chunks = out.decode("utf-8", "replace").split(f"\n{MARK}\n")
    commands = [c for s in sessions for c in s.commands]
    for command, chunk in zip(commands, chunks):
        lines = chunk.split("\n")
        command.actual = lines[:-1] if lines[-1] == "" else lines


def masks(workdir: Path, port: int, readme_date: str | None) -> list[tuple[re.Pattern[str], str]]:
    """What a run cannot repeat, as (pattern, placeholder); applied to both sides."""
    out = [(re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z"), "<time>"),
           (re.compile(r"sha256:[0-9a-f]{12}(?:[0-9a-f]{52}|…)"), "sha256:<hash>"),
           (re.compile(r"tri_[A-Za-z0-9_-]+…?"), "tri_<key>"),
           (re.compile(re.escape(str(workdir))), "<dir>"),
           (re.compile(rf"127\.0\.0\.1:{port}\b"), f"127.0.0.1:{PORT}"),
           (re.compile(r"in \d+(?:\.\d+)? s \([\d,]+/s\)"), "in <seconds> s (<rate>/s)")]
    for day in {d for d in (date.today().isoformat(), readme_date) if d}:
        parsed = date.fromisoformat(day)
        short = f"{parsed:%a} {parsed.day} {parsed:%b %Y}"
        # a short date is padded to its column: the padding goes with it
        out += [(re.compile(re.escape(day)), "<today>"), (re.compile(re.escape(short) + " *"), "<today> ")]
    return out


def masked(lines: list[str], rules: list[tuple[re.Pattern[str], str]]) -> list[str]:
    out = []
    for line in lines:
        for pattern, placeholder in rules:
            line = pattern.sub(placeholder, line)
        out.append(line.rstrip())
    return out


def matches(expected: list[str], actual: list[str]) -> bool:
    """Whether ``actual`` is ``expected`` with each ``...`` line standing for any lines."""
    if not expected:
        return not actual
    if expected[0].strip() == ELISION:
        return any(matches(expected[1:], actual[k:]) for k in range(len(actual) + 1))
    return bool(actual) and actual[0] == expected[0] and matches(expected[1:], actual[1:])


def updated(expected: list[str], actual: list[str]) -> list[str]:
    """The README's lines rewritten from ``actual``, keeping each ``...`` where it stands: the
    lines before the first and after the last come from the run, as many as the README shows;
    a part between two ``...`` is kept where its first line is found in the run."""
    cuts = [i for i, line in enumerate(expected) if line.strip() == ELISION]
    if not cuts:
        return list(actual)
    head, tail = cuts[0], len(expected) - cuts[-1] - 1
    head = min(head, len(actual))
    tail = min(tail, len(actual) - head)
    out = actual[:head] + [expected[cuts[0]]]
    position = head
    for a, b in zip(cuts, cuts[1:]):
        part = expected[a + 1:b]
        found = next((k for k in range(position, len(actual) - tail) if part and actual[k] == part[0]), None)
        if found is None:
            out += part
        else:
            out += actual[found:found + len(part)]
            position = found + len(part)
        out.append(expected[b])
    return out + (actual[len(actual) - tail:] if tail else [])


def check(update: bool = False, readme: Path = README) -> list[str]:
    """Run the sessions; return the differences (none when the README is true). With
    ``update``, rewrite the README from the run instead."""
    text = readme.read_text(encoding="utf-8")
    lines = text.split("\n")
    sessions = parse(lines)
    recorded = RUN_ON.search(text)
    with tempfile.TemporaryDirectory(prefix="readme-sessions-") as tmp:
        workdir = Path(tmp).resolve()
        shutil.copytree(ROOT / "examples", workdir / "examples")
        port = free_port()
        run(sessions, workdir, port)
        rules = masks(workdir, port, recorded.group(1) if recorded else None)
        problems = []
        for session in sessions:
            for command in session.commands:
                want, got = masked(command.expected, rules), masked(command.actual, rules)
                if not matches(want, got):
                    diff = difflib.unified_diff(want, got, "README", "actual run", lineterm="", n=2)
                    problems.append(f"README line {session.start + 1}: $ {command.text}\n" + "\n".join(diff))
        if update:
            out_lines = list(lines)
            for session in reversed(sessions):
                body = []
                for command in session.commands:
                    real = masked(command.actual, [(re.compile(re.escape(str(workdir))), "."),
                                                   (re.compile(rf"127\.0\.0\.1:{port}\b"), f"127.0.0.1:{PORT}")])
                    body += command.shown + updated(command.expected, real)
                out_lines[session.start:session.end] = body
            new = "\n".join(out_lines)
            stamp = f"<!-- readme-sessions: run on {date.today().isoformat()} -->"
            new = RUN_ON.sub(stamp, new) if RUN_ON.search(new) else new.replace("\n## Sessions\n", f"\n## Sessions\n\n{stamp}\n", 1)
            readme.write_text(new, encoding="utf-8")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--update", action="store_true", help="rewrite the README's output blocks from a real run")
    parser.add_argument("--readme", type=Path, default=README, help="the Markdown file (default: README.md)")
    args = parser.parse_args(argv)
    problems = check(update=args.update, readme=args.readme)
    if args.update:
        print(f"updated {args.readme} from a real run ({len(problems)} sessions differed); review the diff")
        return 0
    for p in problems:
        print(p, end="\n\n")
    print(f"{'OK' if not problems else f'{len(problems)} sessions differ from'}: {args.readme.name}"
          + (" matches a real run" if not problems else ""))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
