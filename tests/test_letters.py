"""Draft letters: every decision gets one, the text is pinned by golden files, complainants'
text is data, and templates are checked before they reach a family."""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, ROOT, RULES

GOLDEN = Path(__file__).parent / "golden" / "letters"
NOW = datetime(2025, 11, 10, 9, 30, tzinfo=timezone.utc)
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def _drafts(name: str, rules: Any) -> list[Any]:
    import triage
    from triage.api import draft_letters

    raw = json.loads((EXAMPLES / name).read_text())
    decision = triage.decide(raw, rules=rules, now=NOW)
    return draft_letters(decision, raw, rules=rules)


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.json")))
def test_golden_letters(name: str, rules: Any) -> None:
    """Each example's drafts match the golden files (regenerate only on purpose: UPDATE_GOLDEN=1)."""
    drafts = _drafts(name, rules)
    assert drafts, f"{name} produced no letter"
    for draft in drafts:
        path = GOLDEN / f"{name.removesuffix('.json')}--{draft.template}.txt"
        if UPDATE:
            path.write_text(draft.text)
        assert path.exists(), f"no golden file {path.name}: run UPDATE_GOLDEN=1 pytest tests/test_letters.py"
        assert draft.text == path.read_text(), f"{path.name} differs from the golden file"


def test_every_decision_kind_has_a_letter(rules: Any) -> None:
    """Every disposition and reason the scenarios reach yields at least one draft."""
    from triage.rules.checks import _sample_decisions

    seen = set()
    for _, decision in _sample_decisions(rules):
        assert decision["letters"], (decision["representation_type"], decision["disposition"], decision["reason"])
        seen.add((decision["disposition"], decision["reason"]))
    assert {d for d, _ in seen} == {"accepted", "refused", "deferred", "officer_decision_required",
                                    "information_requested", "redirected"}


def test_every_refusal_reason_has_a_letter(rules: Any) -> None:
    """Each reason of CONTRACT section 2 has its own refusal letter chosen by a rule."""
    from triage.contract import vocab

    chosen = {r.then["letters"] for r in rules.rules if r.id.startswith("letter.refusal.")}
    for reason in vocab.REASONS:
        template = "refusal_no_consent" if reason == "not_in_best_interest_or_no_consent" else f"refusal_{reason}"
        assert template in chosen and (ROOT / "templates" / "letters" / f"{template}.txt.j2").exists(), reason


def test_deadlines_written_as_dates(rules: Any) -> None:
    """Acknowledgements give the response date in words, e.g. 'Friday 28 March 2025'."""
    (draft,) = _drafts("statutory-parent.json", rules)
    assert "Friday 28 March 2025" in draft.text and "Friday 11 April 2025" in draft.text


def test_child_letters_offer_advocacy_and_are_simpler(rules: Any) -> None:
    """A young person's letter offers an advocate with contact details and reads more easily."""
    from triage.letters.book import letter_body, reading_ease

    (child,) = [d for d in _drafts("young-person-advocacy.json", rules) if d.audience == "complainant"]
    (adult,) = _drafts("statutory-parent.json", rules)
    assert "advocate" in child.text and "0808 000 0000" in child.text
    assert reading_ease(letter_body(child.text)) > reading_ease(letter_body(adult.text)) + 10


def test_readability_simple_wording_is_easier_for_every_template(rules: Any) -> None:
    """For every complainant template the simple wording scores higher Flesch reading ease."""
    from triage.rules.checks import readability

    rows = readability(rules)
    assert rows
    for template, standard, simple in rows:
        assert simple is not None and standard is not None and simple > standard, template


def test_missing_outcome_is_asked_for(rules: Any) -> None:
    """Where the desired outcome is missing, the acknowledgement asks for it."""
    (draft,) = _drafts("missing-desired-outcome.json", rules)
    (pinned,) = [d for d in _drafts("statutory-parent.json", rules)]
    asks = ("let us know what outcome you are seeking", "tell us what you would like to happen")
    assert any(a in draft.text.lower() for a in asks)
    assert not any(a in pinned.text.lower() for a in asks)


def test_injection_prints_as_typed_and_html_escapes(rules: Any) -> None:
    """Complainants' text is data: '{{ 7*7 }}' prints as typed; HTML escapes markup."""
    import triage
    from triage.api import draft_letters

    raw = json.loads((EXAMPLES / "case-concern.json").read_text())
    raw["about"]["summary"] = "{{ 7*7 }} {% for x in range(3) %}x{% endfor %} <script>alert(1)</script>"
    raw["complainant"]["name"] = "<b>{{ config }}</b>"
    decision = triage.decide(raw, rules=rules, now=NOW)
    drafts = draft_letters(decision, raw, rules=rules)
    internal = next(d for d in drafts if d.audience == "internal")
    assert "{{ 7*7 }} {% for x in range(3) %}x{% endfor %} <script>alert(1)</script>" in internal.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in internal.html and "<script>" not in internal.html
    reply = next(d for d in drafts if d.audience == "complainant")
    assert "Dear <b>{{ config }}</b>" in reply.text
    assert "Dear &lt;b&gt;{{ config }}&lt;/b&gt;" in reply.html


def test_assess_writes_letters_and_logs_them(run: Any, db: Path, tmp_path: Path) -> None:
    """`assess --letters DIR` writes .txt, .html and .docx and records each draft in the log."""
    import sqlite3

    out = tmp_path / "drafts"
    r = run("assess", str(EXAMPLES / "statutory-parent.json"), "--letters", str(out))
    assert r.code == 0, r.err
    names = sorted(p.name for p in out.iterdir())
    assert names == ["CS-2025-00017-ack_statutory_stage1.docx", "CS-2025-00017-ack_statutory_stage1.html",
                     "CS-2025-00017-ack_statutory_stage1.txt"]
    with zipfile.ZipFile(out / names[0]) as z:
        assert "Friday 28 March 2025" in z.read("word/document.xml").decode()
    html = (out / names[1]).read_text()
    assert html.startswith("<!doctype html>") and "<p>Dear Sam Jones</p>" in html
    rows = sqlite3.connect(db).execute("select decision_id, template, template_hash from letters").fetchall()
    assert [(a, b) for a, b, _ in rows] == [("d-000001", "ack_statutory_stage1")] and rows[0][2].startswith("sha256:")


def test_letters_command_rerenders_same_text(run: Any, db: Path, tmp_path: Path) -> None:
    """`triage letters REF` re-drafts from the log with the same text; --template drafts another."""
    first, second = tmp_path / "a", tmp_path / "b"
    run("assess", str(EXAMPLES / "statutory-parent.json"), "--letters", str(first))
    r = run("letters", "CS-2025-00017", "--out", str(second))
    assert r.code == 0, r.err
    name = "CS-2025-00017-ack_statutory_stage1.txt"
    assert (first / name).read_text() == (second / name).read_text()
    r = run("letters", "CS-2025-00017", "--out", str(second), "--template", "extension_notice")
    assert r.code == 0 and (second / "CS-2025-00017-extension_notice.txt").exists()
    missing = run("letters", "CS-NONE")
    assert missing.code == 2


def test_letters_follow_a_managers_override(run: Any, tmp_path: Path) -> None:
    """After a manager overrides the decision, `triage letters REF` drafts what the overridden
    decision calls for (the rules run again with the new values held), and says so; a refusal
    with no reason is sent back to be completed, with nothing drafted."""
    run("assess", str(EXAMPLES / "officer-sufficient-interest-grandparent.json"))
    before = run("letters", "CS-2025-00298", "--out", str(tmp_path / "before"))
    assert before.code == 0 and (tmp_path / "before" / "CS-2025-00298-ack_holding.txt").exists()
    assert run("override", "CS-2025-00298", "--field", "disposition", "--to", "refused", "--reason",
               "No involvement with the child", "--by", "A Manager").code == 0
    half = run("letters", "CS-2025-00298", "--out", str(tmp_path / "half"))
    assert half.code == 2 and "override the reason too" in half.err and not (tmp_path / "half").exists()
    assert run("override", "CS-2025-00298", "--field", "reason", "--to", "no_parental_responsibility", "--reason",
               "No parental responsibility or sufficient interest", "--by", "A Manager").code == 0
    after = run("letters", "CS-2025-00298", "--out", str(tmp_path / "after"))
    assert after.code == 0, after.err
    assert "as overridden: disposition officer_decision_required -> refused (by A Manager)" in after.err
    assert sorted(p.name for p in (tmp_path / "after").glob("*.txt")) == [
        "CS-2025-00298-refusal_no_parental_responsibility.txt"]
    text = (tmp_path / "after" / "CS-2025-00298-refusal_no_parental_responsibility.txt").read_text()
    assert "parental responsibility" in text


def test_rules_check_catches_unknown_field_in_template(run: Any, tmp_path: Path) -> None:
    """A template naming a field the case does not have fails `rules check` with its line."""
    shutil.copytree(RULES, tmp_path / "rules")
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    template = tmp_path / "templates" / "letters" / "compliment_thanks.txt.j2"
    text = template.read_text()
    template.write_text(text.replace("{% block body %}", "{% block body %}\n{{ case.complainant.nmae }}", 1))
    r = run(f"--rules={tmp_path / 'rules'}", "rules", "check")
    assert r.code == 1
    assert "compliment_thanks.txt.j2 line" in r.err and "nmae" in r.err


def _letter_scenarios() -> list[Any]:
    from triage.rules.scenarios import load_scenarios

    return [s for s in load_scenarios(RULES / "scenarios") if s.file == "85-letters.yaml"]


@pytest.mark.parametrize("scenario", _letter_scenarios(), ids=lambda s: s.name)
def test_golden_letters_for_every_template(scenario: Any, rules: Any) -> None:
    """Every template has golden drafts, including those reached only by overrides."""
    import re

    from triage.api import decider, draft_letters
    from triage.contract.validation import parse_representation

    d = decider(rules)
    rep = parse_representation(scenario.case, rules)
    decision = d.decide(rep, "CS-2025-90001", NOW, scenario.overrides)
    slug = re.sub(r"[^a-z0-9]+", "-", scenario.name.lower())[:60].strip("-")
    for draft in draft_letters(decision, rep, rules=rules):
        path = GOLDEN / f"scenario-{slug}--{draft.template}.txt"
        if UPDATE:
            path.write_text(draft.text)
        assert path.exists() and draft.text == path.read_text(), path.name


def test_golden_extension_notice(rules: Any) -> None:
    """The extension notice (drafted on request with `triage letters REF --template`) is pinned."""
    import triage
    from triage.api import draft_letters

    raw = json.loads((EXAMPLES / "statutory-parent.json").read_text())
    (draft,) = draft_letters(triage.decide(raw, rules=rules, now=NOW), raw, rules=rules, templates=["extension_notice"])
    path = GOLDEN / "statutory-parent--extension_notice.txt"
    if UPDATE:
        path.write_text(draft.text)
    assert draft.text == path.read_text()
    assert "Friday 11 April 2025" in draft.text


def test_every_template_has_a_golden_file() -> None:
    """No template goes unpinned."""
    templates = {p.name.removesuffix(".txt.j2") for p in (ROOT / "templates" / "letters").glob("[!_]*.txt.j2")}
    pinned = {p.name.split("--")[-1].removesuffix(".txt") for p in GOLDEN.glob("*.txt")}
    assert templates - pinned == set()


def test_template_titles_are_plain_text(rules: Any) -> None:
    """Titles from the templates' front matter carry no quotes or markup."""
    from triage.api import decider

    for info in decider(rules).letters.templates.values():
        assert info.title and info.title[0] not in "\"'" and info.title[-1] not in "\"'", info.id
        assert info.audience in ("complainant", "internal"), info.id
