"""The production set-up of deploy/: the service started exactly as the systemd unit starts it."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from serving import PAGES, Client, free_port, stop, wait_until_up

ROOT = Path(__file__).resolve().parents[1]
UNIT = ROOT / "deploy" / "triage.service"
EXAMPLE = ROOT / "examples" / "statutory-parent.json"
TRIAGE = str(Path(sys.executable).parent / "triage")


def _unit(tmp: Path, port: int) -> tuple[list[str], dict[str, str]]:
    """The unit's ExecStart and Environment, with its documented paths moved under ``tmp``."""
    moves = {"/opt/triage/venv/bin/triage": TRIAGE, "/etc/triage": str(tmp / "etc"),
             "/var/lib/triage": str(tmp / "lib"), "/var/cache/triage": str(tmp / "cache"),
             "--port 8000": f"--port {port}"}
    env: dict[str, str] = {}
    command: list[str] = []
    for line in UNIT.read_text().splitlines():
        for old, new in moves.items():
            line = line.replace(old, new)
        if line.startswith("Environment="):
            key, _, value = line.removeprefix("Environment=").partition("=")
            env[key] = value
        elif line.startswith("ExecStart="):
            command = shlex.split(line.removeprefix("ExecStart="))
    return command, env


def _setup(tmp: Path, env: dict[str, str], key: str) -> dict[str, str]:
    """What deploy/README.md has the administrator do before starting the unit."""
    (tmp / "lib").mkdir()
    (tmp / "etc").mkdir()
    full = {"PATH": os.environ["PATH"], "HOME": str(tmp), **env}
    run = lambda *args: subprocess.run([TRIAGE, *args], env=full, cwd=tmp, capture_output=True, text=True)  # noqa: E731
    assert run("init", env["TRIAGE_COUNCIL"]).returncode == 0
    Path(env["TRIAGE_SECRET_KEY_FILE"]).write_text(key + "\n")
    return full


@pytest.fixture()
def unit(tmp_path: Path) -> Any:
    port = free_port()
    command, env = _unit(tmp_path, port)
    return tmp_path, port, command, env


def test_the_unit_runs_the_service_behind_a_proxy_with_a_json_request_log(unit: Any) -> None:
    """ExecStart with the unit's environment serves the API and every page on the council folder,
    trusts the proxy's forwarded address, marks the cookie Secure, logs one JSON line per request
    (no query string) and stops cleanly on SIGTERM."""
    tmp, port, command, env = unit
    full = _setup(tmp, env, "k" * 10 + "Zq8#xW2!pL0@rT5$yU7%iO9^aS4&dF6*")
    keys = subprocess.run([TRIAGE, "keys", "add", "eform"], env=full, cwd=tmp, capture_output=True, text=True)
    api_key = keys.stdout.strip()
    from triage.log.store import DecisionLog
    from triage.server.auth import hash_password
    from triage.server.tables import ServerTables

    ServerTables(DecisionLog(env["TRIAGE_DB"])).add_user("a.manager", hash_password("a long password 1"))

    proc = subprocess.Popen(command, env=full, cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(proc, base)
        client = Client(base, {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"})
        status, decision = client.post_json("/v1/assess", json.loads(EXAMPLE.read_text()), api_key)
        assert (status, decision["disposition"], decision["deadlines"]["respond_by"]) == (200, "accepted", "2025-03-28")
        status, _, head = client.get("/signin")
        assert status == 200 and "; secure" in head["set-cookie"].lower()
        assert client.sign_in("a.manager", "a long password 1") == 303
        for page in (*PAGES, "/cases/CS-2025-00017", "/decisions?q=Sam+Jones"):
            status, html, _ = client.get(page)
            assert status == 200, (page, html[:300])
        assert "Example County Council" in client.get("/cases/CS-2025-00017/letters/ack_statutory_stage1")[1]
    finally:
        code, out, err = stop(proc)
    # uvicorn shuts down, then ends by the signal it caught; systemd counts SIGTERM as a clean stop.
    assert code in (0, -15) and "Application shutdown complete." in err, err
    log = [json.loads(line) for line in out.splitlines()]
    assess = next(e for e in log if e["path"] == "/v1/assess")
    assert {k: assess[k] for k in ("remote", "method", "status", "api_key")} == \
        {"remote": "203.0.113.7", "method": "POST", "status": 200, "api_key": "eform"}
    assert [e["path"] for e in log if e["path"].startswith("/decisions")] == ["/decisions", "/decisions"]
    assert f"council folder {env['TRIAGE_COUNCIL']}" in err


@pytest.mark.parametrize("key", ["changeme", "short-key-1234", "a" * 40])
def test_the_unit_refuses_a_short_or_placeholder_key(unit: Any, key: str) -> None:
    """A session key that is short, a placeholder or not random stops the service at once (exit 2)."""
    tmp, _, command, env = unit
    full = _setup(tmp, env, key)
    r = subprocess.run(command, env=full, cwd=tmp, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert r.stderr.startswith(f"error: the session key file {env['TRIAGE_SECRET_KEY_FILE']} is too weak ")
    assert "use at least 32 random characters" in r.stderr


def test_a_missing_key_file_is_named(unit: Any) -> None:
    """A key file that does not exist is named, with the command that makes one."""
    tmp, _, command, env = unit
    full = _setup(tmp, env, "x")
    os.remove(env["TRIAGE_SECRET_KEY_FILE"])
    r = subprocess.run(command, env=full, cwd=tmp, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert r.stderr.startswith(f"error: cannot read the session key file {env['TRIAGE_SECRET_KEY_FILE']}: "
                               "No such file or directory; create it with: python3 -c")
