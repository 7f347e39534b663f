"""The managers' pages in a real browser: headless Chromium (Debian's chromium and
chromium-driver, through selenium) against a real uvicorn server on 127.0.0.1 signs in,
opens a case, overrides it with a reason, and sees the override in the decision log.

Skipped only when Chromium or its driver is not installed (CI installs them:
`apt-get install -y chromium chromium-driver`).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import RULES
from test_server_support import PASSWORD, USER, add_key, add_user, example

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")

pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER),
                                reason="Chromium and chromedriver are not installed (apt-get install chromium chromium-driver)")


def _wait_for_heading(driver: Any, text: str) -> None:
    """Wait until the next page has loaded: its h1 reads ``text`` (a click returns earlier)."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 15, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: any(h.text == text for h in d.find_elements(By.TAG_NAME, "h1")))


@pytest.fixture
def browser(tmp_path: Path) -> Any:
    """Headless Chromium with a fresh profile, no network features, driven by Debian's chromedriver."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,1024"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=str(DRIVER)), options=options)
    # A form submission returns before the next page has loaded: let lookups wait for it.
    driver.implicitly_wait(10)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def test_a_manager_signs_in_overrides_a_case_and_sees_it_in_the_log(tmp_path: Path, browser: Any) -> None:
    """Sign in, open a case from the log, override its disposition with a reason, find the override in the log."""
    import http.client
    import json

    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select, WebDriverWait

    from triage.server import create_app
    from triage.server.runner import BackgroundServer

    db = tmp_path / "log.db"
    key = add_key(db, "eform")
    add_user(db)
    with BackgroundServer(create_app(db, RULES, secret_key="browser-test")) as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        conn.request("POST", "/v1/assess", body=json.dumps(example()),
                     headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
        assert conn.getresponse().status == 200
        conn.close()

        browser.get(server.url + "/decisions")
        assert browser.title == "Sign in - triage"
        browser.find_element(By.ID, "username").send_keys(USER)
        browser.find_element(By.ID, "password").send_keys(PASSWORD + Keys.ENTER)  # the keyboard submits
        _wait_for_heading(browser, "Decision log")

        browser.find_element(By.LINK_TEXT, "CS-2025-00017").click()
        _wait_for_heading(browser, "Case CS-2025-00017")
        assert "Children Act 1989 s.26(3)(b)" in browser.find_element(By.ID, "decisions").find_element(
            By.XPATH, "following-sibling::section").text

        # The reason is required: the browser itself refuses an empty one.
        Select(browser.find_element(By.ID, "field")).select_by_value("disposition")
        Select(browser.find_element(By.ID, "to")).select_by_value("refused")
        reason = browser.find_element(By.ID, "reason")
        assert reason.get_attribute("required") == "true"
        reason.send_keys("Care proceedings have started on the same matters")
        browser.find_element(By.XPATH, "//button[normalize-space()='Record the override']").click()
        WebDriverWait(browser, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, "[role=status]"))

        notice = browser.find_element(By.CSS_SELECTOR, "[role=status]").text
        assert notice == "Override recorded on d-000001: disposition accepted to refused."
        overrides = browser.find_element(By.CSS_SELECTOR, "#overrides + table").text
        assert "Care proceedings have started on the same matters" in overrides and USER in overrides

        browser.find_element(By.LINK_TEXT, "Decision log").click()
        _wait_for_heading(browser, "Decision log")
        row = browser.find_element(By.XPATH, "//tr[th[normalize-space()='d-000001']]").text
        assert "disposition: accepted → refused (by Jo Manager)" in row
