"""Helpers for tests that run `triage serve` as a real process: a free port, waiting until it
answers, and a small client that signs in and keeps the session cookie by hand (so a Secure
cookie behind a TLS proxy can be sent over plain HTTP in the test)."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

PAGES = ("/decisions", "/due", "/report", "/report?year=2024-25", "/report/printable?year=2024-25")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Client:
    """GET and POST against one server, keeping the session cookie."""

    def __init__(self, base: str, headers: dict[str, str] | None = None) -> None:
        self.base = base
        self.headers = dict(headers or {})
        self.cookie: str | None = None
        self.opener = urllib.request.build_opener(_NoRedirect)

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, str, Any]:
        all_headers = {**self.headers, **(headers or {})}
        if self.cookie:
            all_headers["Cookie"] = self.cookie
        req = urllib.request.Request(self.base + path, data=body, method=method, headers=all_headers)
        try:
            with self.opener.open(req, timeout=60) as resp:
                status, text, head = resp.status, resp.read().decode(), resp.headers
        except urllib.error.HTTPError as exc:
            status, text, head = exc.code, exc.read().decode(), exc.headers
        for value in head.get_all("set-cookie") or []:
            self.cookie = value.split(";", 1)[0]
        return status, text, head

    def get(self, path: str) -> tuple[int, str, Any]:
        return self.request("GET", path)

    def post_json(self, path: str, payload: Any, key: str) -> tuple[int, Any]:
        status, text, _ = self.request("POST", path, json.dumps(payload).encode(),
                                       {"Content-Type": "application/json", "Authorization": f"Bearer {key}"})
        return status, json.loads(text)

    def sign_in(self, name: str, password: str) -> int:
        _, page, _ = self.get("/signin")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token, page
        form = urllib.parse.urlencode({"csrf_token": token.group(1), "next": "/decisions", "username": name,
                                       "password": password}).encode()
        status, _, _ = self.request("POST", "/signin", form, {"Content-Type": "application/x-www-form-urlencoded"})
        return status


def wait_until_up(proc: subprocess.Popen[Any], base: str, timeout: float = 60) -> None:
    """Wait for /healthz to answer 200; fail with the server's output if it exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"the server exited with {proc.returncode}:\n{out}\n{err}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("the server did not answer /healthz in time")


def stop(proc: subprocess.Popen[Any]) -> tuple[int, str, str]:
    """SIGTERM, as systemd stops a unit; the exit status and the output."""
    proc.terminate()
    try:
        out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    return proc.returncode, out, err
