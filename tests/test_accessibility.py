"""A report fit to publish (WCAG 2.2 AA, which UK public-sector publications must meet): axe-core
in headless Chromium finds no WCAG 2.2 A/AA violation in the annual report (both bases, and
suppressed for publication), the Complaint Handling Code report, or the managers' pages
(the learning register among them); chart text meets 4.5:1; printed to A4 the report is not
clipped and every table's caption is on the page of its first row.

The browser tests are skipped only when Chromium, chromedriver, pdftotext or axe-core is not
installed (.ci/run installs them: Debian's chromium, chromium-driver and poppler-utils, and
`npm ci --prefix tests/browser` for axe-core)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import RULES
from test_server_browser import CHROMIUM, DRIVER, browser  # noqa: F401
from test_server_support import PASSWORD, USER, add_user

# AXE_CORE_JS, else the copy .ci/run installs (tests/browser, pinned), else one installed in the project folder
AXE = next((p for p in (Path(os.environ.get("AXE_CORE_JS") or "/nonexistent"),
                        Path(__file__).parent / "browser" / "node_modules" / "axe-core" / "axe.min.js",
                        Path(__file__).parents[1] / "node_modules" / "axe-core" / "axe.min.js") if p.is_file()),
           Path(__file__).parent / "browser" / "node_modules" / "axe-core" / "axe.min.js")
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
needs_browser = pytest.mark.skipif(not (CHROMIUM and DRIVER and AXE.is_file()),
                                   reason="Chromium, chromedriver and axe-core (npm ci --prefix tests/browser) are needed")


def test_chart_text_meets_4_5_to_1_on_every_colour() -> None:
    """Every colour a chart segment can have carries its percentage in black or white at 4.5:1 or more."""
    from triage.report.charts import PALETTE, contrast, ink

    assert {colour: round(contrast(colour, ink(colour)), 2) >= 4.5 for colour in PALETTE} == {c: True for c in PALETTE}
    assert ink("#E69F00") == "#000000" and ink("#0072B2") == "#ffffff"
    assert round(contrast("#ffffff", "#000000"), 1) == 21.0


def _axe(driver: Any) -> list[str]:
    """The WCAG 2.2 A/AA violations axe-core finds on the page loaded, one line each."""
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    driver.set_script_timeout(60)
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}}).then(r => done(r.violations))"
        ".catch(e => done([{id: 'axe-error', help: String(e), nodes: []}]));", WCAG)
    return [f"{v['id']}: {v['help']} ({'; '.join(n['target'][0] for n in v['nodes'][:3] if n.get('target'))})"
            for v in result]


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The report fixture's log, and every HTML document the reports make from it."""
    import test_report

    from triage import report
    from triage.log.store import DecisionLog
    from triage.report import chc_formats, code
    from triage.rules.ruleset import load_rules

    out = tmp_path_factory.mktemp("documents")
    db = out / "log.db"
    test_report._build(db)
    log, rules = DecisionLog(db), load_rules(RULES)
    docs = {"db": db}
    for name, kwargs in (("received", {}), ("resolved", {"basis": "resolved"}), ("suppressed", {"suppress_below": 5})):
        docs[name] = report.write(report.build(log, rules, year="2024-25", **kwargs), "html", out / f"{name}.html", rules)
    docs["code"] = chc_formats.write(code.build(log, rules, "2024-25"), "html", out / "code.html", rules)
    return docs


@needs_browser
@pytest.mark.parametrize("name", ["received", "resolved", "suppressed", "code"])
def test_every_report_format_has_no_wcag_violation(documents: dict[str, Path], browser: Any, name: str) -> None:
    """axe-core: no WCAG 2.2 A/AA violation in the printable report (each basis, suppressed) or the Code report."""
    browser.get(documents[name].as_uri())
    assert browser.find_elements("css selector", "main"), "the content is in a <main>"
    assert _axe(browser) == []


@needs_browser
def test_the_managers_pages_have_no_wcag_violation(documents: dict[str, Path], browser: Any, tmp_path: Path) -> None:
    """axe-core on every managers' page, the learning register and the printable report included."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select, WebDriverWait

    from triage.server import create_app
    from triage.server.runner import BackgroundServer

    import sqlite3

    db = tmp_path / "log.db"
    with sqlite3.connect(documents["db"]) as source, sqlite3.connect(db) as copy:
        source.backup(copy)  # the log is in WAL mode: copying its file alone could miss the latest records
    add_user(db)
    with BackgroundServer(create_app(db, RULES, secret_key="axe-test")) as server:
        browser.get(server.url + "/signin")
        assert _axe(browser) == [], "/signin"
        browser.find_element(By.ID, "username").send_keys(USER)
        browser.find_element(By.ID, "password").send_keys(PASSWORD + Keys.ENTER)
        browser.find_element(By.TAG_NAME, "h1")
        # the register is reached from the main navigation, and its filters work from the keyboard
        browser.find_element(By.LINK_TEXT, "Learning register").click()
        WebDriverWait(browser, 15).until(lambda d: d.find_element(By.TAG_NAME, "h1").text == "Learning register")
        Select(browser.find_element(By.ID, "status")).select_by_value("overdue")
        browser.find_element(By.ID, "year").send_keys("2024-25" + Keys.ENTER)
        WebDriverWait(browser, 15).until(lambda d: "status=overdue" in d.current_url)
        caption = browser.find_element(By.TAG_NAME, "caption").text
        assert caption.startswith("1 action, overdue first"), caption
        assert "B1-R3: Review similar cases" in browser.find_element(By.CSS_SELECTOR, "table.data").text
        for path in ("/decisions", "/cases/B1", "/cases/A1", "/due", "/actions", "/actions?status=completed",
                     "/actions?service=Casst", "/report?year=2024-25", "/report/printable?year=2024-25"):
            browser.get(server.url + path)
            assert _axe(browser) == [], path


PDF_TOOLS = CHROMIUM and shutil.which("pdftotext") and shutil.which("pdfinfo")


@pytest.mark.skipif(not PDF_TOOLS, reason="Chromium and pdftotext (poppler-utils) are needed")
def test_printed_to_a4_nothing_is_cut_and_captions_stay_with_their_tables(documents: dict[str, Path],
                                                                           tmp_path: Path) -> None:
    """Headless Chromium prints the report to A4: the page count, the contents numbers whole, the charts
    heading on the page of its first chart, and every table's caption on the page of its first row."""
    pdf = tmp_path / "report.pdf"
    subprocess.run([str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                    f"--user-data-dir={tmp_path / 'profile'}", f"--print-to-pdf={pdf}", documents["received"].as_uri()],
                   check=True, capture_output=True, timeout=120)
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    assert re.search(r"Page size:\s+594.96 x 841.92 pts \(A4\)", info)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    pages = text.split("\f")[:-1]
    assert len(pages) == 17
    contents = pages[0]
    for n in range(1, 26):
        assert re.search(rf"(^|\s){n}\. \S", contents), f"contents number {n}. is cut"
    charts = next(p for p in pages if re.search(r"^\s*Charts\s*$", p, re.M))
    assert "Representation mix by year" in charts
    first = [p for p in pages if "Headline figures 2024/25" in p][0]
    for label in ("Representations", "Corporate complaints", "Social care complaints escalated"):
        assert label in first
    from triage import report as report_module
    from triage.log.store import DecisionLog
    from triage.rules.ruleset import load_rules

    data = report_module.build(DecisionLog(documents["db"]), load_rules(RULES), year="2024-25")
    for number, table in enumerate(data["tables"], start=1):
        caption = f"Table {number}: {table['title']}"
        first_row = table["rows"][0]
        group = first_row["group"] if first_row["group"] not in (None, first_row["label"]) else None
        on = [i for i, p in enumerate(pages) if caption in " ".join(p.split())]
        assert len(on) >= 1, f"{caption!r} not found"
        page = " ".join(pages[on[-1]].split())
        after = page[page.index(caption) + len(caption):]
        assert (group or first_row["label"]) in after, f"{caption!r}: its first row is not on its page"
