"""`triage serve`, `triage keys` and `triage users`: the commands that set up and start the service."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from conftest import RULES


@dataclass
class Ran:
    code: int
    out: str
    err: str
    exception: BaseException | None


@pytest.fixture
def triage(tmp_path: Path) -> Any:
    """Run `triage --db DB --rules RULES ARGS` with the serve commands registered (as cli.py will)."""
    from triage.cli import cli
    from triage.cli.serve import register

    if "serve" not in cli.commands:
        register(cli)

    def _run(*args: str, input: str | None = None, db: Path | None = tmp_path / "log.db") -> Ran:
        result = CliRunner().invoke(cli, ([f"--db={db}"] if db else []) + [f"--rules={RULES}", *args], input=input)
        exc = result.exception if not isinstance(result.exception, SystemExit) else None
        code = getattr(exc, "exit_code", result.exit_code) if exc is not None else result.exit_code
        return Ran(code, result.stdout, result.stderr, exc)

    return _run


def test_the_commands_document_their_options(triage: Any) -> None:
    """`serve`, `keys` and `users` have help naming every option."""
    out = triage("serve", "--help").out
    for option in ("--host", "--port", "--db", "--https-only", "--log-level", "TRIAGE_SECRET_KEY"):
        assert option in out
    assert "127.0.0.1" in out and "8000" in out
    for group, commands in (("keys", ("add", "list", "revoke")), ("users", ("add", "list", "password", "remove"))):
        text = triage(group, "--help").out
        assert all(c in text for c in commands)


def test_keys_add_prints_the_key_once_and_stores_its_hash(triage: Any, tmp_path: Path) -> None:
    """The key goes to standard output once; the log file holds only its sha256."""
    import hashlib

    r = triage("keys", "add", "eform")
    assert r.code == 0
    key = r.out.strip()
    assert key.startswith("tri_") and len(key) > 40
    assert "shown once" in r.err
    data = (tmp_path / "log.db").read_bytes()
    assert key.encode() not in data
    listed = triage("keys", "list").out
    assert listed.startswith("eform") and key[:10] in listed and key not in listed and "live" in listed
    import sqlite3
    stored = sqlite3.connect(tmp_path / "log.db").execute("SELECT key_hash FROM api_keys").fetchone()[0]
    assert stored == hashlib.sha256(key.encode()).hexdigest()


def test_a_key_name_is_used_once(triage: Any) -> None:
    """Adding a second key with the same name is an error (exit 2) that says what to do."""
    triage("keys", "add", "eform")
    r = triage("keys", "add", "eform")
    assert r.code == 2
    assert str(r.exception) == "an API key named 'eform' already exists (in use); choose another name"
    assert triage("keys", "add", "bad name!").code == 2


def test_a_revoked_key_is_refused_by_the_api(triage: Any, tmp_path: Path) -> None:
    """`keys revoke` ends the key's access; revoking twice is an error."""
    from starlette.testclient import TestClient

    from triage.server import create_app

    key = triage("keys", "add", "eform").out.strip()
    with TestClient(create_app(tmp_path / "log.db", RULES, secret_key="s")) as client:
        assert client.get("/v1/schema", headers={"Authorization": f"Bearer {key}"}).status_code == 200
        assert triage("keys", "revoke", "eform").out == "revoked: eform\n"
        assert "revoked 20" in triage("keys", "list").out
        assert triage("keys", "revoke", "eform").code == 2
    with TestClient(create_app(tmp_path / "log.db", RULES, secret_key="s")) as client:
        assert client.get("/v1/schema", headers={"Authorization": f"Bearer {key}"}).status_code == 401


def test_users_add_prompts_twice_and_stores_a_salted_scrypt_hash(triage: Any, tmp_path: Path) -> None:
    """The password is asked twice, never echoed, and stored as scrypt with a salt."""
    import sqlite3

    r = triage("users", "add", "Jo Manager", input="correct horse battery\ncorrect horse battery\n")
    assert r.code == 0, r.err
    assert r.out == "added user: Jo Manager\n"
    assert "correct horse" not in r.out + r.err
    (stored,) = sqlite3.connect(tmp_path / "log.db").execute("SELECT password_hash FROM users").fetchone()
    assert stored.startswith("scrypt$32768$8$1$") and "correct horse" not in stored
    triage("users", "add", "Sam Other", input="correct horse battery\ncorrect horse battery\n")
    hashes = [h for (h,) in sqlite3.connect(tmp_path / "log.db").execute("SELECT password_hash FROM users")]
    assert hashes[0] != hashes[1], "salted: the same password hashes differently"


def test_a_short_or_mismatched_password_is_refused(triage: Any) -> None:
    """A password under 10 characters is refused; a mismatch is asked again."""
    r = triage("users", "add", "Jo", input="short\nshort\n")
    assert r.code == 2 and str(r.exception) == "a password needs at least 10 characters"
    r = triage("users", "add", "Jo", input="first long one\nsecond long one\nfinally right\nfinally right\n")
    assert r.code == 0 and "do not match" in r.err.lower()


def test_users_password_list_and_remove(triage: Any) -> None:
    """A manager's password can be changed, and the manager listed and removed."""
    triage("users", "add", "Jo Manager", input="correct horse battery\n" * 2)
    assert triage("users", "add", "Jo Manager", input="x\n").code == 2
    assert triage("users", "password", "Jo Manager", input="a brand new password\n" * 2).code == 0
    assert triage("users", "list").out.startswith("Jo Manager")
    assert triage("users", "remove", "Jo Manager").out == "removed user: Jo Manager\n"
    assert triage("users", "list").out == "No users.\n"
    assert triage("users", "remove", "Jo Manager").code == 2


def test_db_may_be_given_to_the_subcommand(triage: Any, tmp_path: Path) -> None:
    """`triage keys add NAME --db PATH` writes to PATH, as `triage --db PATH keys add NAME` does."""
    other = tmp_path / "other.db"
    assert triage("keys", "add", "eform", "--db", str(other), db=None).code == 0
    assert triage("keys", "list", db=other).out.startswith("eform")
    assert triage("keys", "list").out == "No API keys.\n"


def test_serve_starts_uvicorn_on_the_log(triage: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`triage serve` builds the app on the log and runs it on the host and port given, warning about what is missing."""
    from triage.server import runner

    started: dict[str, Any] = {}
    monkeypatch.setattr(runner, "run", lambda app, host, port, log_level, forwarded_allow_ips:
                        started.update(app=app, host=host, port=port, proxies=forwarded_allow_ips))
    r = triage("serve", "--port", "8123")
    assert r.code == 0, r.err
    assert (started["host"], started["port"], started["proxies"]) == ("127.0.0.1", 8123, None)
    assert started["app"].state.backend.db_path == tmp_path / "log.db"
    assert (f"triage: serving http://127.0.0.1:8123 (log {tmp_path / 'log.db'}; shipped settings, no council folder; "
            "0 API keys, 0 users)") in r.err
    assert "warning: no API key yet" in r.err and "warning: no users yet" in r.err
    assert f"({os.environ['TRIAGE_LOG_KEY_FILE']}); every writer of this log needs the same key" in r.err


def test_serve_refuses_to_start_with_a_key_others_can_read(triage: Any, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A log key file with mode 644 stops `triage serve` at start-up (exit 1), naming the fix."""
    from triage.server import runner

    key = tmp_path / "open.key"
    key.write_text("ab" * 32 + "\n")
    key.chmod(0o644)
    monkeypatch.setenv("TRIAGE_LOG_KEY_FILE", str(key))
    monkeypatch.setattr(runner, "run", lambda *a, **k: pytest.fail("the server started"))
    r = triage("serve", "--port", "8123")
    assert r.code == 1
    assert str(r.exception) == f"the log key {key} can be read by others (mode 644); run: chmod 600 {key}"


def test_register_adds_exactly_three_commands() -> None:
    """register(cli) adds serve, keys and users to a click group and nothing else."""
    from triage.cli.serve import register

    group = click.Group()
    register(group)
    assert sorted(group.commands) == ["keys", "serve", "users"]


def test_password_stdin_reads_one_line_without_prompting(triage: Any, tmp_path: Path) -> None:
    """`users add|password --password-stdin` take the first line of standard input, asking nothing."""
    import sqlite3

    from triage.server.auth import check_password

    r = triage("users", "add", "Jo Manager", "--password-stdin", input="correct horse battery\n")
    assert (r.code, r.out, r.err) == (0, "added user: Jo Manager\n", "")
    (stored,) = sqlite3.connect(tmp_path / "log.db").execute("SELECT password_hash FROM users").fetchone()
    assert check_password("correct horse battery", stored)
    assert triage("users", "password", "Jo Manager", "--password-stdin", input="a brand new password").code == 0
    (stored,) = sqlite3.connect(tmp_path / "log.db").execute("SELECT password_hash FROM users").fetchone()
    assert check_password("a brand new password", stored)
    empty = triage("users", "add", "Sam", "--password-stdin", input="")
    assert (empty.code, str(empty.exception)) == (2, "--password-stdin: standard input is empty; pipe the password "
                                                     "in, e.g. printf '%s\\n' \"$PASSWORD\" | triage users add NAME "
                                                     "--password-stdin")
    short = triage("users", "add", "Sam", "--password-stdin", input="short\n")
    assert (short.code, str(short.exception)) == (2, "a password needs at least 10 characters")


def test_keys_and_users_print_json(triage: Any) -> None:
    """`keys add|list|revoke` and `users add|list|remove` print JSON with --json."""
    added = json.loads(triage("keys", "add", "eform", "--json").out)
    assert (set(added), added["name"], added["key"].startswith("tri_")) == ({"name", "key"}, "eform", True)
    (listed,) = json.loads(triage("keys", "list", "--json").out)
    assert (listed["name"], added["key"].startswith(listed["prefix"]), listed["revoked_at"]) == ("eform", True, None)
    assert json.loads(triage("keys", "revoke", "eform", "--json").out) == {"name": "eform", "revoked": True}
    assert json.loads(triage("users", "add", "Jo", "--password-stdin", "--json", input="correct horse battery\n").out) == {
        "name": "Jo", "added": True}
    (user,) = json.loads(triage("users", "list", "--json").out)
    assert set(user) == {"name", "created_at", "password_set_at"} and user["name"] == "Jo"
    assert json.loads(triage("users", "remove", "Jo", "--json").out) == {"name": "Jo", "removed": True}
