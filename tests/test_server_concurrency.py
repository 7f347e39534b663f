"""`triage serve` under concurrent load: a real uvicorn server on 127.0.0.1, 8 clients x 100
submissions (some retried under an Idempotency-Key) while a reader polls; every decision is
logged exactly once, nothing fails, and the log's hash chain is intact."""

from __future__ import annotations

import http.client
import json
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from conftest import RULES
from test_server_support import add_key, example

CLIENTS = 8
PER_CLIENT = 100


class Client:
    """One keep-alive HTTP connection, as an eForm backend worker holds."""

    def __init__(self, url: str, key: str) -> None:
        parts = urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        self.key = key

    def request(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, Any, dict[str, str]]:
        data = json.dumps(body).encode() if body is not None else None
        self.conn.request(method, path, body=data, headers={"Authorization": f"Bearer {self.key}",
                                                           "Content-Type": "application/json", **(headers or {})})
        response = self.conn.getresponse()
        payload = json.loads(response.read())
        return response.status, payload, {k.lower(): v for k, v in response.getheaders()}

    def close(self) -> None:
        self.conn.close()


def test_concurrent_submissions_are_each_logged_exactly_once(tmp_path: Path) -> None:
    """8 clients x 100 submissions against uvicorn: 800 decisions, each logged once, no error, chain intact."""
    from triage.log.store import DecisionLog
    from triage.server import create_app
    from triage.server.runner import BackgroundServer

    db = tmp_path / "log.db"
    key = add_key(db, "eform")
    app = create_app(db, RULES, secret_key="s")
    results: dict[str, dict[str, Any]] = {}
    failures: list[str] = []
    lock = threading.Lock()
    writers_done = threading.Event()
    reads = [0]

    def submit(server_url: str, client_no: int) -> None:
        client = Client(server_url, key)
        try:
            for n in range(PER_CLIENT):
                reference = f"LOAD-{client_no}-{n:03d}"
                case = example(reference=reference)
                headers = {"Idempotency-Key": f"{reference}-try"} if n % 10 == 0 else {}
                status, decision, _ = client.request("POST", "/v1/assess", case, headers)
                if status != 200:
                    failures.append(f"{reference}: {status} {decision}")
                    continue
                if headers:  # the eForm backend retries: the same decision must come back
                    status, again, response_headers = client.request("POST", "/v1/assess", case, headers)
                    if status != 200 or again != decision or response_headers.get("idempotent-replayed") != "true":
                        failures.append(f"{reference} retry: {status} {again}")
                with lock:
                    results[reference] = decision
        except Exception as exc:  # a dropped connection or a crash is a failure, not a hang
            failures.append(f"client {client_no}: {exc!r}")
        finally:
            client.close()

    def read(server_url: str) -> None:
        client = Client(server_url, key)
        try:
            while not writers_done.is_set():
                for path in ("/v1/due?today=2025-04-01", "/v1/cases/LOAD-0-000"):
                    status, body, _ = client.request("GET", path)
                    if status not in (200, 404):
                        failures.append(f"GET {path}: {status} {body}")
                    reads[0] += 1
        except Exception as exc:
            failures.append(f"reader: {exc!r}")
        finally:
            client.close()

    with BackgroundServer(app) as server:
        writers = [threading.Thread(target=submit, args=(server.url, c)) for c in range(CLIENTS)]
        reader = threading.Thread(target=read, args=(server.url,))
        reader.start()
        for t in writers:
            t.start()
        for t in writers:
            t.join(timeout=300)
        writers_done.set()
        reader.join(timeout=60)

    assert failures == []
    assert len(results) == CLIENTS * PER_CLIENT
    ids = [d["decision_id"] for d in results.values()]
    assert len(set(ids)) == CLIENTS * PER_CLIENT, "every submission got its own decision"
    assert all(d["disposition"] == "accepted" for d in results.values())
    log = DecisionLog(db)
    assert log.count() == CLIENTS * PER_CLIENT
    counts = {r["reference"]: r["n"] for r in log.query("SELECT reference, count(*) AS n FROM decisions GROUP BY reference")}
    assert sorted(counts) == sorted(results) and set(counts.values()) == {1}
    assert sorted(ids) == [f"d-{n:06d}" for n in range(1, CLIENTS * PER_CLIENT + 1)]
    assert log.verify() == []
    assert reads[0] > 0
