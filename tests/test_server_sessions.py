"""Server-side sessions and sign-in throttling: signing out ends a session for every copy of its
cookie, sessions expire, sprayed guesses are throttled per client address, and a name locked by
someone else's guesses still signs in from its owner's browser or after an administrator's
unlock. Every attempt is recorded."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from conftest import RULES
from test_server_support import PASSWORD, USER, Site, app, client, csrf_token, sign_in, site  # noqa: F401


def _browser(app: Any, address: str = "198.51.100.7") -> Any:
    from starlette.testclient import TestClient

    return TestClient(app, base_url="http://127.0.0.1", client=(address, 50000))


def _outcomes(db: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(db)
    try:
        return [(r[0], r[1]) for r in conn.execute("SELECT name, outcome FROM signins ORDER BY seq")]
    finally:
        conn.close()


def test_a_cookie_copied_before_sign_out_is_dead_after_it(app: Any, site: Site) -> None:
    """After sign-out, a copy of the session cookie neither reads a page nor posts with its old token."""
    with _browser(app) as real, _browser(app, "203.0.113.9") as thief:
        assert sign_in(real).url.path == "/decisions"
        token = csrf_token(real.get("/decisions").text)
        thief.cookies.set("triage_session", real.cookies["triage_session"])
        assert thief.get("/decisions", follow_redirects=False).status_code == 200  # the copy works ... until
        assert real.post("/signout", data={"csrf_token": token}).url.path == "/signin"
        assert thief.get("/decisions", follow_redirects=False).status_code == 303
        r = thief.post("/cases/CS-2025-00017/override", data={"csrf_token": token, "field": "disposition",
                                                              "to": "refused", "reason": "x"}, follow_redirects=False)
        assert r.status_code == 401
    assert _outcomes(site.db) == [(USER, "signed_in"), (USER, "signed_out")]


def test_a_session_ends_when_it_expires(app: Any, site: Site) -> None:
    """A session past its expiry time is signed out on the server, whatever the cookie says."""
    with _browser(app) as browser:
        sign_in(browser)
        assert browser.get("/decisions", follow_redirects=False).status_code == 200
        conn = sqlite3.connect(site.db)
        conn.execute("UPDATE sessions SET expires_at = '2000-01-01T00:00:00Z'")
        conn.commit()
        conn.close()
        assert browser.get("/decisions", follow_redirects=False).status_code == 303


def test_sprayed_guesses_from_one_address_are_throttled(app: Any, site: Site) -> None:
    """One guess each at 30 names from one address: the 31st attempt from it waits (429), even for a
    real name and password; another address is unaffected."""
    with _browser(app, "192.0.2.66") as attacker, _browser(app) as real:
        for i in range(30):
            assert sign_in(attacker, f"user{i}", "guess guess guess").status_code == 401
        r = sign_in(attacker)
        assert r.status_code == 429
        assert "Too many failed sign-ins from this network address" in r.text
        assert sign_in(real).url.path == "/decisions"
    assert _outcomes(site.db)[-2:] == [(USER, "refused_address_throttled"), (USER, "signed_in")]


def test_a_locked_name_still_signs_in_from_its_owner_s_browser(app: Any, site: Site) -> None:
    """Ten wrong guesses lock a name for new browsers, but the browser its owner signed in from
    before still signs in with the right password."""
    with _browser(app) as owner, _browser(app, "192.0.2.66") as attacker, _browser(app, "192.0.2.99") as new:
        assert sign_in(owner).url.path == "/decisions"
        owner.post("/signout", data={"csrf_token": csrf_token(owner.get("/decisions").text)})
        for _ in range(10):
            assert sign_in(attacker, USER, "wrong password!").status_code == 401
        assert sign_in(attacker).status_code == 429  # the attacker, even with the password
        assert sign_in(new).status_code == 429       # a browser never used before
        assert sign_in(owner).url.path == "/decisions"
    outcomes = [o for _, o in _outcomes(site.db)]
    assert outcomes == ["signed_in", "signed_out", *["failed"] * 10, "refused_name_locked", "refused_name_locked",
                        "signed_in"]


def test_an_administrator_unlocks_a_name(app: Any, site: Site, run: Any) -> None:
    """`triage users unlock NAME` lifts the lock: the next right password signs in from anywhere."""
    with _browser(app, "192.0.2.66") as attacker, _browser(app, "192.0.2.99") as new:
        for _ in range(10):
            sign_in(attacker, USER, "wrong password!")
        assert sign_in(new).status_code == 429
        r = run(f"--db={site.db}", "users", "unlock", USER, use_db=False)
        assert (r.code, r.out) == (0, f"unlocked: {USER} (failed sign-ins before now no longer count)\n")
        assert sign_in(new).url.path == "/decisions"
    r = run(f"--db={site.db}", "users", "signins", "--limit", "3", use_db=False)
    assert [line.split()[1:3] for line in r.out.splitlines()] == [
        ["signed_in", "192.0.2.99"], ["unlocked", "administrator"], ["refused_name_locked", "192.0.2.99"]]


def test_a_password_change_ends_sessions_on_the_server(app: Any, site: Site) -> None:
    """A changed password ends the user's session rows (ended_why says why)."""
    from triage.log.store import DecisionLog
    from triage.server.auth import hash_password
    from triage.server.tables import ServerTables

    with _browser(app) as browser:
        sign_in(browser)
        ServerTables(DecisionLog(site.db)).set_password(USER, hash_password("another long password"))
        assert browser.get("/decisions", follow_redirects=False).status_code == 303
    conn = sqlite3.connect(site.db)
    assert conn.execute("SELECT ended_why FROM sessions").fetchall() == [("password changed",)]
    conn.close()
