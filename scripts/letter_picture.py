"""Draw the first page of one letter as a PNG for the README: the court-matter refusal
(examples/refused-court-matter.json), signed by Jo Bloggs, as its Word file prints through
LibreOffice.

    .venv/bin/python scripts/letter_picture.py [OUT.png]    (default docs/letter-refusal.png)

Needs LibreOffice (soffice) and poppler (pdftoppm): apt-get install libreoffice-writer-nogui poppler-utils.
Nothing is logged: the decision is made with the library and the draft written to a temporary folder."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import triage
from triage.api import draft_letters, write_letters

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "refused-court-matter.json"
WHEN = datetime(2025, 6, 20, 10, 0, tzinfo=timezone.utc)  # a fixed date: the picture does not change by itself


def main(out: Path) -> int:
    soffice, pdftoppm = shutil.which("soffice") or shutil.which("libreoffice"), shutil.which("pdftoppm")
    if not soffice or not pdftoppm:
        print("needs LibreOffice and pdftoppm: apt-get install libreoffice-writer-nogui poppler-utils", file=sys.stderr)
        return 2
    rules = triage.load_rules(ROOT / "rules")
    raw = json.loads(EXAMPLE.read_text())
    decision = triage.decide(raw, rules=rules, now=WHEN)
    drafts = draft_letters(decision, raw, rules=rules, signed_by="Jo Bloggs")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (docx,) = [p for p in write_letters(drafts, work, decision.reference, rules=rules) if p.suffix == ".docx"]
        subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{work / 'profile'}", "--convert-to",
                        "pdf", "--outdir", str(work), str(docx)], check=True, capture_output=True, timeout=180)
        subprocess.run([pdftoppm, "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile",
                        str(docx.with_suffix(".pdf")), str(work / "page")], check=True, timeout=60)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(work / "page.png", out)
    print(f"written: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "letter-refusal.png"))
