"""The HTML drafts in a real browser: headless Chromium loads each example's drafts and axe-core
checks them against WCAG 2.2 A and AA (zero violations), and the page prints on A4.

Skipped when Chromium, its driver or axe-core is not installed (`apt-get install chromium
chromium-driver`; axe-core from `npm ci --prefix tests/browser`, or AXE_CORE_JS=path)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, ROOT
from test_server_browser import CHROMIUM, DRIVER, browser  # noqa: F401 (the fixture)

# AXE_CORE_JS, else the copy .ci/run installs (tests/browser, pinned), else one in the project folder
AXE = next((p for p in (Path(os.environ.get("AXE_CORE_JS") or "/nonexistent"),
                        ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js",
                        ROOT / "node_modules" / "axe-core" / "axe.min.js") if p.is_file()),
           ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js")
WCAG22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]

pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER and AXE.is_file()),
                                reason="needs Chromium, chromedriver and axe-core (npm install --no-save axe-core)")


def axe_violations(driver: Any) -> list[dict[str, Any]]:
    """Run axe-core on the loaded page for WCAG 2.0-2.2 A and AA; return its violations."""
    driver.execute_script(AXE.read_text())
    driver.set_script_timeout(60)
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}}).then(r => done(r.violations));",
        WCAG22_AA)
    return [{"id": v["id"], "nodes": [n["target"] for n in v["nodes"]]} for v in result]


def test_every_html_draft_passes_axe_wcag22_aa(browser: Any, tmp_path: Path) -> None:  # noqa: F811
    """Each example's HTML drafts (letters and internal notes) have no WCAG 2.2 A/AA violations."""
    from datetime import datetime, timezone

    import triage
    from triage.api import draft_letters

    rules = triage.load_rules(ROOT / "rules")
    now = datetime(2025, 11, 10, 9, 30, tzinfo=timezone.utc)
    checked = 0
    for example in sorted(EXAMPLES.glob("*.json")):
        raw = json.loads(example.read_text())
        for draft in draft_letters(triage.decide(raw, rules=rules, now=now), raw, rules=rules):
            page = tmp_path / f"{example.stem}-{draft.template}.html"
            page.write_text(draft.html, encoding="utf-8")
            browser.get(page.as_uri())
            assert axe_violations(browser) == [], page.name
            checked += 1
    assert checked >= 25


def test_html_draft_prints_on_a4(browser: Any, tmp_path: Path) -> None:  # noqa: F811
    """Chromium prints the court-matter refusal's HTML draft as A4 pages (595 x 842 points)."""
    import base64
    import re

    import triage
    from triage.api import draft_letters

    raw = json.loads((EXAMPLES / "refused-court-matter.json").read_text())
    rules = triage.load_rules(ROOT / "rules")
    (draft,) = draft_letters(triage.decide(raw, rules=rules), raw, rules=rules)
    page = tmp_path / "letter.html"
    page.write_text(draft.html, encoding="utf-8")
    browser.get(page.as_uri())
    pdf = base64.b64decode(browser.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True})["data"])
    boxes = set(re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf))
    assert {(round(float(w)), round(float(h))) for w, h in boxes} == {(595, 842)}
