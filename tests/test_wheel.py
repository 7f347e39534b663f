"""The built wheel, installed in a fresh environment and run from an unrelated directory, does
what the README shows a council doing on day one, on a council folder of its own."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest
from serving import PAGES, Client, free_port, stop, wait_until_up

ROOT = Path(__file__).resolve().parents[1]
CASE = ROOT / "examples" / "corporate-sen.json"
KEY = "wheel-test-session-key-4f9c2a7e1b8d6053"


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding the wheel built from this checkout (not the checkout itself).
    Its dependencies come from this environment, added by a .pth line, so nothing is
    downloaded; pip builds the wheel with the backend pyproject.toml names."""
    tmp = tmp_path_factory.mktemp("wheel")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "TRIAGE_"))}
    shutil.rmtree(ROOT / "build", ignore_errors=True)  # setuptools' work folder: a stale file would ship
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp / "dist"), str(ROOT)],
                   check=True, capture_output=True, env=clean)
    wheel = next((tmp / "dist").glob("triage-*.whl"))
    env = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True, env=clean)
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    site = env / "lib" / version / "site-packages"
    (site / "zz_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(env / "bin" / "python"), "install", "--no-deps",
                    "-q", str(wheel)], check=True, capture_output=True, env=clean)
    return env


@pytest.fixture()
def site(venv: Path, tmp_path: Path) -> Any:
    """An unrelated working directory, a clean environment, and a runner for the installed `triage`."""
    work = tmp_path / "work"
    work.mkdir()
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path), "TRIAGE_CACHE": str(tmp_path / "cache")}

    def triage(*args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
        r = subprocess.run([str(venv / "bin" / "triage"), *args], cwd=work, env=env, capture_output=True, text=True,
                           timeout=120)
        assert r.returncode == code, (args, r.stdout, r.stderr)
        return r

    return work, env, triage


def test_the_wheel_is_imported_from_the_venv_with_its_data(venv: Path) -> None:
    """The installed package is the wheel's, and it carries the rules, scenarios and every template."""
    code = ("import triage, triage.contract.shipped as s; print(triage.__file__); "
            "print(sorted(p.name for p in s.shipped().iterdir())); print(len(list(s.rules_dir().glob('*.yaml'))), "
            "len(list((s.rules_dir() / 'scenarios').glob('*.yaml'))) > 0, "
            "[(s.templates_dir(k) / f).is_file() for k, f in [('letters', '_layout.html.j2'), "
            "('report', 'report.html.j2'), ('web', 'signin.html'), ('council', 'settings.yaml')]])")
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/")}
    out = subprocess.run([str(venv / "bin" / "python"), "-c", code], capture_output=True, text=True, cwd="/",
                         check=True, env=env).stdout.splitlines()
    assert out[0].startswith(str(venv / "lib"))
    assert out[1:] == ["['rules', 'templates']", f"{len(list((ROOT / 'rules').glob('*.yaml')))} True "
                       "[True, True, True, True]"]


def test_a_council_installs_configures_and_runs_everything(site: Any) -> None:
    """init, the council's name and corporate 10/20 from receipt, then check, test, assess with
    letters, record, due, case, letters, report and every page of serve, from an unrelated
    directory: the council's deadlines and name, never the shipped example's."""
    work, env, triage = site
    triage("init", "council")
    council = work / "council"
    text = (council / "council.yaml").read_text().replace("Example County Council", "Hampshire County Council")
    (council / "council.yaml").write_text(text)
    with (council / "settings.yaml").open("a") as f:
        f.write("corporate:\n  stage1: {respond: 10, extension: 10, from: receipt}\n"
                "  stage2: {respond: 20, extension: 20, from: receipt}\n")
    shutil.copy(CASE, work / "case.json")

    assert re.match(r"\d+ rules in \d+ phases: OK", triage("--council", "council", "rules", "check").stdout)
    tested = triage("--council", "council", "rules", "test").stdout.splitlines()
    assert tested[-1].endswith(" passed, 0 failed")
    assert tested[-2] == "council scenarios (council/scenarios, against the council's settings): 1 passed, 0 failed"

    decision = json.loads(triage("--council", "council", "assess", "case.json", "--json", "--letters", "drafts").stdout)
    assert decision["deadlines"] == {"acknowledge_by": "2025-05-19", "respond_by": "2025-05-27",
                                     "respond_by_latest": "2025-06-10"}
    letter = (work / "drafts" / "CS-2025-00142-ack_corporate_stage1.txt").read_text()
    assert "Hampshire County Council" in letter and "Example County Council" not in letter

    shipped = json.loads(triage("--db", "shipped.db", "assess", "case.json", "--json").stdout)
    assert shipped["deadlines"]["respond_by"] == "2025-06-03"  # 10 from the acknowledgement
    assert shipped["ruleset"] != decision["ruleset"]
    triage("--council", "council", "record", "CS-2025-00142", "acknowledged", "--date", "2025-05-13")
    assert "CS-2025-00142" in triage("--council", "council", "due", "--today", "2025-05-20").stdout
    assert "CS-2025-00142" in triage("--council", "council", "case", "CS-2025-00142", "--today", "2025-05-20").stdout
    triage("--council", "council", "letters", "CS-2025-00142", "--out", "again")
    assert "Hampshire County Council" in (work / "again" / "CS-2025-00142-ack_corporate_stage1.txt").read_text()
    report = json.loads(triage("--council", "council", "report", "--year", "2025-26").stdout)
    assert report["year"] == "2025/26"
    triage("--council", "council", "report", "--year", "2025-26", "--format", "html", "--out", "report.html")
    assert (work / "report.html").read_text().count("<svg") >= 1
    assert "who.parent:" in triage("rules", "show").stdout
    assert json.loads(triage("schema").stdout)["required"]
    missing = triage("--db", "typo.db", "report", code=2)
    assert missing.stderr.startswith(f"error: no decision log at typo.db: check --db or $TRIAGE_DB")

    api_key = triage("keys", "add", "eform").stdout.strip()
    subprocess.run([str(Path(env["PATH"].split(":")[0]) / "python"), "-c",
                    "from triage.log.store import DecisionLog; from triage.server.auth import hash_password; "
                    "from triage.server.tables import ServerTables; "
                    "ServerTables(DecisionLog('triage.db')).add_user('a.manager', hash_password('a long password 1'))"],
                   cwd=work, env=env, check=True)
    port = free_port()
    proc = subprocess.Popen([str(Path(env["PATH"].split(":")[0]) / "triage"), "--council", "council", "serve",
                             "--port", str(port)], cwd=work, env={**env, "TRIAGE_SECRET_KEY": KEY},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(proc, base)
        client = Client(base)
        status, body = client.post_json("/v1/assess", json.loads((work / "case.json").read_text()), api_key)
        assert (status, body["deadlines"]["respond_by"]) == (200, "2025-05-27")
        assert client.sign_in("a.manager", "a long password 1") == 303
        for page in (*PAGES, "/cases/CS-2025-00142", "/static/web.css"):
            status, html, _ = client.get(page)
            assert status == 200, (page, html[:300])
        status, html, _ = client.get("/cases/CS-2025-00142/letters/ack_corporate_stage1")
        assert status == 200 and "Hampshire County Council" in html
    finally:
        stop(proc)
    assert not os.path.exists(work / "rules") and not os.path.exists(work / "templates")
