"""Helpers and fixtures shared by the `triage serve` tests (this module holds no tests).

A fresh log per test holding one API key ("eform") and one manager ("Jo Manager"), the app
built on it, a TestClient, and HTML checks for the accessibility basics.
"""

from __future__ import annotations

import copy
import json
import re
import sqlite3
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, RULES

PASSWORD = "correct horse battery"
USER = "Jo Manager"


@dataclass
class Site:
    db: Path
    key: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


def add_key(db: Path, name: str) -> str:
    from triage.log.store import DecisionLog
    from triage.server.auth import key_hash, key_prefix, new_api_key
    from triage.server.tables import ServerTables

    key = new_api_key()
    log = DecisionLog(db)
    ServerTables(log).add_key(name, key_hash(key), key_prefix(key))
    log.close()
    return key


def add_user(db: Path, name: str = USER, password: str = PASSWORD) -> None:
    from triage.log.store import DecisionLog
    from triage.server.auth import hash_password
    from triage.server.tables import ServerTables

    log = DecisionLog(db)
    ServerTables(log).add_user(name, hash_password(password))
    log.close()


def example(name: str = "statutory-parent", **changes: Any) -> dict[str, Any]:
    """An example case with top-level fields changed."""
    case = copy.deepcopy(json.loads((EXAMPLES / f"{name}.json").read_text()))
    case.update(changes)
    return case


def rows(db: Path, table: str = "decisions") -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


@pytest.fixture
def site(tmp_path: Path) -> Site:
    db = tmp_path / "log.db"
    key = add_key(db, "eform")
    add_user(db)
    return Site(db, key)


@pytest.fixture
def app(site: Site) -> Any:
    from triage.server import create_app

    return create_app(site.db, RULES, secret_key="test-secret")


@pytest.fixture
def client(app: Any) -> Any:
    from starlette.testclient import TestClient

    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c


def csrf_token(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF token in the page"
    return m.group(1)


def sign_in(client: Any, name: str = USER, password: str = PASSWORD, next_: str = "/decisions") -> Any:
    page = client.get("/signin")
    return client.post("/signin", data={"username": name, "password": password, "next": next_,
                                        "csrf_token": csrf_token(page.text)})


class Structure(HTMLParser):
    """What an accessibility check needs from a page: headings, labels, controls, tables."""

    def __init__(self) -> None:
        super().__init__()
        self.lang: str | None = None
        self.h1 = 0
        self.label_for: set[str] = set()
        self.controls: list[tuple[str, dict[str, str | None]]] = []
        self.head_th: list[dict[str, str | None]] = []
        self.body_th: list[dict[str, str | None]] = []
        self.tables = 0
        self.captions = 0
        self.ids: list[str] = []
        self.skip_link = False
        self._section = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(str(a["id"]))
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "h1":
            self.h1 += 1
        elif tag == "label" and a.get("for"):
            self.label_for.add(str(a["for"]))
        elif tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit"):
            self.controls.append((tag, a))
        elif tag == "table":
            self.tables += 1
        elif tag == "caption":
            self.captions += 1
        elif tag in ("thead", "tbody"):
            self._section = tag
        elif tag == "th":
            (self.head_th if self._section == "thead" else self.body_th).append(a)
        elif tag == "a" and a.get("href") == "#main":
            self.skip_link = True


def check_accessible(html: str) -> Structure:
    """The basics every page must have; returns the parsed structure for further checks."""
    s = Structure()
    s.feed(html)
    assert s.lang == "en-GB"
    assert s.h1 == 1, "one h1 per page"
    assert s.skip_link, "a skip link to the main content"
    for tag, attrs in s.controls:
        assert attrs.get("id") in s.label_for, f"{tag} {attrs.get('name')!r} has no <label for>"
    assert all(th.get("scope") == "col" for th in s.head_th), "header cells need scope=col"
    assert all(th.get("scope") in ("row", "rowgroup") for th in s.body_th), "row headers need scope=row"
    assert s.captions == s.tables, "every table has a caption"
    assert len(s.ids) == len(set(s.ids)), f"duplicate ids: {sorted(i for i in s.ids if s.ids.count(i) > 1)}"
    return s
