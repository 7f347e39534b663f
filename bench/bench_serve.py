"""Benchmark `triage serve`: POST /v1/assess with logging, from a second process on 127.0.0.1.

    python bench/bench_serve.py [--rate 200] [--duration 20] [--concurrency 16] [--max-requests 20000] [--rev REV]

Run it with the project's virtualenv Python. It starts the server as a child process
(`python -m triage.server`, the same code as `triage serve`: one uvicorn process) on a free port
of 127.0.0.1 with a fresh log under bench/out/serve/ and one API key, waits for /healthz, and
drives it from one thread of this process over --concurrency keep-alive connections on raw
sockets, with every request built before the clock starts: client and server share the same
cores, so the client is kept cheap (its CPU time is reported beside the server's).

(a) Fixed rate: --rate submissions per second for --duration seconds (open loop). Each
    request has a scheduled send time; its latency runs from that time to the end of the
    response, so a server that falls behind shows it as latency (no coordinated omission).
(b) Saturation: --concurrency clients send back to back for --duration seconds (closed loop):
    the most submissions per second the server sustains, and the latency at that load
    (issue 17's target: at least 1,500/s with p99 under 50 ms, 16 clients).

``--rev REV`` serves a committed revision instead of this checkout (`git archive REV` unpacked
under bench/out/ and put first on the server's PYTHONPATH), so two revisions can be measured
side by side, interleaved, in one sitting.

Every submission is a different generated representation (bench/generate.py, fixed seed), so
each one is validated, decided and logged; afterwards the log must hold exactly one row per
successful submission. The figures, the machine and whether the target is met are printed as
Markdown and written to bench/out/serve-results.json.

Target (2-core machine): at least 200 submissions/s with p99 latency under 100 ms. A missed
target is reported, not asserted (exit 0); the exit status is 1 only when a request failed,
the server did not start, or the row count is wrong. The run is bounded: at most
--max-requests submissions and about 2 x --duration seconds of load; the server is stopped
at the end whatever happens.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import resource
import selectors
import socket
import sqlite3
import subprocess
import sys
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench_assess import calibration_ms, percentile, snapshot  # bench/ is this script's folder, first on sys.path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
OUT = BENCH / "out" / "serve"

TARGET_RATE = 200.0
TARGET_P99_MS = 100.0
SATURATION_RATE = 1500.0  # issue 17: 16 clients, client and server on the same 2 cores
SATURATION_P99_MS = 50.0
SEED = 2025


class BenchFailure(Exception):
    """The server or a request did not do its job: no figure can be trusted."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cases(count: int) -> list[bytes]:
    """``count`` distinct representations as JSON bodies (bench/generate.py, fixed seed)."""
    sys.path.insert(0, str(BENCH))
    from generate import DEFAULT_TAXONOMY, Generator, Taxonomy

    generated, _ = Generator(Taxonomy(DEFAULT_TAXONOMY), SEED).generate(count)
    return [json.dumps(c, ensure_ascii=False).encode() for c in generated]


# ----------------------------------------------------------------------------- the server

class Server:
    """`python -m triage.server` as a child process on 127.0.0.1 (stopped on exit)."""

    def __init__(self, db: Path, port: int, src: Path | None = None) -> None:
        self.db, self.port = db, port
        self.log = open(OUT / "server.log", "wb")
        cmd = [sys.executable, "-m", "triage.server", "--db", str(db), "--host", "127.0.0.1", "--port", str(port),
               "--log-level", "warning"]
        env = dict(os.environ)
        if src is not None:  # another revision's source tree, first on the path
            env["PYTHONPATH"] = os.pathsep.join([str(src), *filter(None, [env.get("PYTHONPATH")])])
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, cwd=str(REPO), env=env)

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchFailure(f"the server exited {self.proc.returncode}; see {OUT / 'server.log'}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    conn.close()
                    return
            except OSError:
                time.sleep(0.1)
        raise BenchFailure(f"the server did not answer /healthz within {timeout:.0f} s")

    def cpu_seconds(self) -> float | None:
        """User + system CPU of the server process so far (Linux /proc)."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()  # uvicorn shuts down cleanly on SIGTERM
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()


# ----------------------------------------------------------------------------- the load

@dataclass
class Phase:
    name: str
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    server_cpu_s: float | None = None
    client_cpu_s: float = 0.0

    def record(self, status: int, payload: bytes, since: float) -> None:
        """Count one response's latency from ``since`` (a perf_counter time), or its error."""
        if status == 200:
            self.latencies_ms.append((time.perf_counter() - since) * 1000)
        else:
            self.errors.append(f"{status}: {payload[:200]!r}")

    @contextmanager
    def measured(self, server: "Server") -> Iterator[float]:
        """Time the block (wall, this process's and the server's CPU); yields its start."""
        cpu0, scpu0 = _cpu(), server.cpu_seconds()
        start = time.perf_counter()
        yield start
        self.wall_s = time.perf_counter() - start
        self.client_cpu_s = _cpu() - cpu0
        scpu1 = server.cpu_seconds()
        self.server_cpu_s = None if scpu0 is None or scpu1 is None else scpu1 - scpu0

    @property
    def ok(self) -> int:
        return len(self.latencies_ms)

    def summary(self) -> dict[str, Any]:
        lat = self.latencies_ms
        return {"phase": self.name, "ok": self.ok, "errors": len(self.errors), "wall_s": round(self.wall_s, 2),
                "per_s": round(self.ok / self.wall_s, 1) if self.wall_s else 0.0,
                "p50_ms": round(percentile(lat, 50), 1), "p90_ms": round(percentile(lat, 90), 1),
                "p99_ms": round(percentile(lat, 99), 1), "max_ms": round(max(lat), 1) if lat else float("nan"),
                "server_cpu_s": None if self.server_cpu_s is None else round(self.server_cpu_s, 2),
                "client_cpu_s": round(self.client_cpu_s, 2), "first_errors": self.errors[:5]}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def request_bytes(body: bytes, key: str) -> bytes:
    """One whole POST /v1/assess request, built before the clock starts."""
    head = (f"POST /v1/assess HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode("ascii") + body


class Connection:
    """One keep-alive connection: sends pre-built requests, reads responses off a raw socket."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.buffer = b""
        self.since = 0.0  # when the request in flight was due (or sent)
        self.busy = False  # a request is in flight
        self.sock = self._connect()

    def _connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def send(self, request: bytes, since: float) -> None:
        self.since, self.buffer, self.busy = since, b"", True
        self.sock.sendall(request)

    def response(self) -> tuple[int, bytes, bool] | None:
        """Read what has arrived; (status, body, closing) once the response is whole, else None.
        Raises ConnectionError when the server closed the connection mid-response."""
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("the server closed the connection")
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return None
        head = self.buffer[:end].lower()
        length = 0
        for line in head.split(b"\r\n")[1:]:
            if line.startswith(b"content-length:"):
                length = int(line[15:])
        if len(self.buffer) < end + 4 + length:
            return None
        closing = b"\r\nconnection: close" in head
        self.busy = False
        return int(self.buffer[9:12]), self.buffer[end + 4:end + 4 + length], closing

    def reconnect(self) -> None:
        self.sock.close()
        self.buffer, self.busy = b"", False
        self.sock = self._connect()

    def close(self) -> None:
        self.sock.close()


def drive(phase: Phase, server: Server, requests: list[bytes], connections: int, *,
          rate: float | None = None, duration: float) -> None:
    """Send ``requests`` over ``connections`` keep-alive connections from this one thread.

    With ``rate`` (open loop) request i is due at start + i/rate and goes out on the first idle
    connection; its latency runs from when it was due, so a queue shows as latency. Without
    (closed loop) every connection sends its next request as soon as its answer is in, until
    ``duration`` seconds have passed or the requests run out."""
    conns = [Connection(server.port) for _ in range(connections)]
    idle = deque(conns)  # first in, first out: every connection is used in turn
    selector = selectors.DefaultSelector()
    for c in conns:
        selector.register(c.sock, selectors.EVENT_READ, c)
    due: deque[tuple[float, bytes]] = deque()
    sent = 0
    try:
        with phase.measured(server) as start:
            stop_at = start + duration
            give_up = stop_at + 60
            while True:
                now = time.perf_counter()
                if rate is not None:
                    while sent < len(requests) and start + sent / rate <= now:
                        due.append((start + sent / rate, requests[sent]))
                        sent += 1
                    while due and idle:
                        when, request = due.popleft()
                        idle.popleft().send(request, when)
                else:
                    while idle and sent < len(requests) and now < stop_at:
                        idle.popleft().send(requests[sent], time.perf_counter())
                        sent += 1
                busy = len(conns) - len(idle)
                finished = sent >= len(requests) or (rate is None and now >= stop_at)
                if finished and not busy and not due:
                    break
                if now > give_up:
                    phase.errors.append(f"{busy} responses still missing {give_up - start:.0f} s after the start")
                    break
                wait = 0.05 if rate is None or sent >= len(requests) else max(0.0, start + sent / rate - now)
                for key, _ in selector.select(min(wait, 0.05)):
                    conn: Connection = key.data
                    if not conn.busy:  # the server closed an idle kept-alive connection: open another
                        selector.unregister(conn.sock)
                        conn.reconnect()
                        selector.register(conn.sock, selectors.EVENT_READ, conn)
                        continue
                    try:
                        got = conn.response()
                    except OSError as exc:  # ConnectionError too
                        phase.errors.append(repr(exc))
                        got = (0, b"", True)
                        conn.busy = False
                    if got is None:
                        continue
                    status, payload, closing = got
                    if status:
                        phase.record(status, payload, conn.since)
                    if closing:
                        selector.unregister(conn.sock)
                        conn.reconnect()
                        selector.register(conn.sock, selectors.EVENT_READ, conn)
                    idle.append(conn)
    finally:
        selector.close()
        for c in conns:
            c.close()


def fixed_rate(server: Server, key: str, bodies: list[bytes], rate: float, duration: float, workers: int) -> Phase:
    """Open loop: one submission every 1/rate seconds; latency from its scheduled time."""
    phase = Phase(f"fixed rate {rate:g}/s")
    total = min(len(bodies), int(rate * duration))
    drive(phase, server, [request_bytes(b, key) for b in bodies[:total]], workers, rate=rate, duration=duration)
    return phase


def saturation(server: Server, key: str, bodies: list[bytes], duration: float, workers: int) -> Phase:
    """Closed loop: ``workers`` clients back to back until ``duration`` or the bodies run out."""
    phase = Phase(f"saturation, {workers} clients")
    drive(phase, server, [request_bytes(b, key) for b in bodies], workers, duration=duration)
    return phase


# ----------------------------------------------------------------------------- report

def _per_submission(summary: dict[str, Any], key: str) -> str:
    seconds = summary.get(key)
    return "-" if seconds is None or not summary["ok"] else f"{seconds * 1000 / summary['ok']:.2f} ms"


def markdown(machine: dict[str, Any], phases: list[dict[str, Any]], verdict: str) -> str:
    lines = [f"Machine: {machine['cpus']} CPUs, {machine['platform']}, Python {machine['python']}; "
             f"serving {machine['served']}; load average before {machine['load_before']}; {machine['when']}; yardstick (bench_assess's "
             f"pure-Python loop, lower is faster) {machine['yardstick_before_ms']} ms before, "
             f"{machine.get('yardstick_after_ms', '-')} ms after", "",
             "| phase | ok | errors | submissions/s | p50 ms | p90 ms | p99 ms | max ms | server CPU s | client CPU s |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for p in phases:
        lines.append(f"| {p['phase']} | {p['ok']} | {p['errors']} | {p['per_s']} | {p['p50_ms']} | {p['p90_ms']} | "
                     f"{p['p99_ms']} | {p['max_ms']} | {p['server_cpu_s']} | {p['client_cpu_s']} |")
    lines += ["", verdict]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rate", type=float, default=TARGET_RATE, help="submissions per second in phase (a) (default 200)")
    p.add_argument("--duration", type=float, default=20.0, help="seconds per phase (default 20, at most 120)")
    p.add_argument("--concurrency", type=int, default=16, help="client connections (default 16)")
    p.add_argument("--max-requests", type=int, default=20_000, help="submissions in all (default 20000)")
    p.add_argument("--skip-saturation", action="store_true", help="run phase (a) only")
    p.add_argument("--rev", metavar="REV", help="serve a committed revision (git archive, unpacked under bench/out/) "
                                                "instead of this checkout, to compare two side by side")
    args = p.parse_args(argv)
    if not (0 < args.duration <= 120) or args.rate <= 0 or not (1 <= args.concurrency <= 64) or args.max_requests < 1:
        p.error("need 0 < --duration <= 120, --rate > 0, 1 <= --concurrency <= 64, --max-requests >= 1")

    OUT.mkdir(parents=True, exist_ok=True)
    db = OUT / "bench-serve.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    sys.path.insert(0, str(REPO / "src"))
    from triage.log.store import DecisionLog
    from triage.server.auth import key_hash, key_prefix, new_api_key
    from triage.server.tables import ServerTables

    key = new_api_key()
    log = DecisionLog(db)
    ServerTables(log).add_key("bench", key_hash(key), key_prefix(key))
    log.close()

    fixed_n = min(args.max_requests, int(args.rate * args.duration))
    sat_n = 0 if args.skip_saturation else max(0, args.max_requests - fixed_n - 50)
    print(f"generating {50 + fixed_n + sat_n} representations (seed {SEED})...", file=sys.stderr)
    bodies = cases(50 + fixed_n + sat_n)
    machine = {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
               "load_before": round(os.getloadavg()[0], 2), "yardstick_before_ms": round(calibration_ms(sys.executable)),
               "when": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}

    src, commit = None, None
    if args.rev:
        root, commit = snapshot(args.rev, BENCH / "out")
        src = root / "src"
    machine["served"] = f"revision {commit}" if commit else "this checkout"
    server = Server(db, free_port(), src)
    phases: list[Phase] = []
    try:
        server.wait_ready()
        warm = fixed_rate(server, key, bodies[:50], 50, 1, 4)  # compile paths, fill caches
        if warm.errors:
            raise BenchFailure(f"warm-up requests failed: {warm.errors[:3]}")
        print(f"(a) {fixed_n} submissions at {args.rate:g}/s...", file=sys.stderr)
        phases.append(fixed_rate(server, key, bodies[50:50 + fixed_n], args.rate, args.duration, args.concurrency))
        if sat_n:
            print(f"(b) saturation with {args.concurrency} clients for {args.duration:g} s...", file=sys.stderr)
            phases.append(saturation(server, key, bodies[50 + fixed_n:], args.duration, args.concurrency))
    except BenchFailure as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        server.stop()

    machine["yardstick_after_ms"] = round(calibration_ms(sys.executable))
    with sqlite3.connect(db) as conn:
        logged = int(conn.execute("SELECT count(*) FROM decisions").fetchone()[0])
    expected = 50 + sum(ph.ok for ph in phases)
    summaries = [ph.summary() for ph in phases]
    a = summaries[0]
    met = a["per_s"] >= TARGET_RATE * 0.98 and a["p99_ms"] < TARGET_P99_MS and not a["errors"]
    verdict = (f"Target ({TARGET_RATE:g}/s at p99 < {TARGET_P99_MS:g} ms, phase a): "
               f"{'MET' if met else 'MISSED'} - {a['per_s']}/s, p99 {a['p99_ms']} ms. "
               f"Log rows: {logged} (expected {expected}).")
    saturation_met = None
    if len(summaries) > 1:
        b = summaries[1]
        saturation_met = b["per_s"] >= SATURATION_RATE and b["p99_ms"] < SATURATION_P99_MS and not b["errors"]
        verdict += (f"\nSaturation target ({SATURATION_RATE:g}/s at p99 < {SATURATION_P99_MS:g} ms, phase b): "
                    f"{'MET' if saturation_met else 'MISSED'} - {b['per_s']}/s, p99 {b['p99_ms']} ms, "
                    f"server CPU {_per_submission(b, 'server_cpu_s')} and client CPU "
                    f"{_per_submission(b, 'client_cpu_s')} a submission.")
    print(markdown(machine, summaries, verdict))
    (BENCH / "out" / "serve-results.json").write_text(json.dumps(
        {"machine": machine, "phases": summaries, "target_met": met, "saturation_target_met": saturation_met,
         "log_rows": logged, "expected_rows": expected},
        indent=2) + "\n")
    failed = any(ph.errors for ph in phases) or logged != expected
    if failed:
        print("FAILED: " + ("request errors" if any(ph.errors for ph in phases) else "row count is wrong"), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
