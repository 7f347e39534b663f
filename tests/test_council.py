"""A council folder layered over the shipped rules: init, settings, taxonomy, details, hash,
scenarios; and read-only commands that refuse a log that does not exist."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, RULES, log_rows

from triage.contract.shipped import templates_dir
from triage.rules.ruleset import _Loader_, load_rules, shipped_layer

RECEIPT = ("corporate:\n  stage1: {respond: 10, extension: 10, from: receipt}\n"
           "  stage2: {respond: 20, extension: 20, from: receipt}\n")


@pytest.fixture()
def council(tmp_path: Path) -> Path:
    folder = tmp_path / "council"
    shutil.copytree(templates_dir("council"), folder)
    return folder


def test_init_writes_a_commented_council_folder(run: Any, tmp_path: Path) -> None:
    """`triage init DIR` writes the five files of the skeleton and says what to do next."""
    r = run("init", str(tmp_path / "new" / "council"))
    assert r.code == 0
    folder = tmp_path / "new" / "council"
    assert r.out.splitlines()[:5] == [f"wrote {folder / p}" for p in (
        "council.yaml", "scenarios/council.yaml", "settings.yaml", "taxonomy.yaml", "templates/letters/README.txt")]
    assert (folder / "settings.yaml").read_text() == (templates_dir("council") / "settings.yaml").read_text()
    assert run(f"--council={folder}", "rules", "check").code == 0
    again = run("init", "--json", str(tmp_path / "other"))
    assert again.json() == {"council": str(tmp_path / "other"), "files": [
        str(tmp_path / "other" / p) for p in ("council.yaml", "scenarios/council.yaml", "settings.yaml",
                                             "taxonomy.yaml", "templates/letters/README.txt")]}


def test_init_never_overwrites(run: Any, council: Path) -> None:
    """An existing, non-empty folder is refused (exit 2) and left as it was."""
    (council / "settings.yaml").write_text("# mine\n")
    r = run("init", str(council))
    assert (r.code, r.err) == (2, f"error: {council} already exists and is not empty; give a new folder "
                                  "(an existing council folder is never overwritten)\n")
    assert (council / "settings.yaml").read_text() == "# mine\n"


def test_a_council_setting_replaces_the_shipped_one_only(council: Path) -> None:
    """Keys set in the council's settings.yaml win; every other key keeps the shipped value."""
    (council / "settings.yaml").write_text(RECEIPT)
    rules = _Loader_(RULES, council).load()
    shipped = _Loader_(RULES, None).load()
    assert rules.settings["corporate"]["stage1"] == {**shipped.settings["corporate"]["stage1"],
                                                     "respond": 10, "extension": 10, "from": "receipt"}
    assert rules.settings["statutory"] == shipped.settings["statutory"]
    assert rules.setting_sources["corporate.stage1.from"] == str(council / "settings.yaml")
    assert rules.setting_sources["corporate.stage1.acknowledge"] == str(RULES / "settings.yaml")


def test_the_council_deadlines_and_letters_apply(run: Any, council: Path, tmp_path: Path) -> None:
    """With the council folder, a corporate complaint runs 10/20 from receipt and its letter carries
    the council's name; the same case on the shipped settings runs from the acknowledgement."""
    (council / "settings.yaml").write_text(RECEIPT)
    text = (council / "council.yaml").read_text().replace("Example County Council", "Hampshire County Council")
    (council / "council.yaml").write_text(text)
    r = run(f"--council={council}", "assess", "--json", str(EXAMPLES / "corporate-sen.json"),
            "--letters", str(tmp_path / "drafts"))
    assert r.code == 0, r.err
    assert json.loads(r.out)["deadlines"] == {"acknowledge_by": "2025-05-19", "respond_by": "2025-05-27",
                                              "respond_by_latest": "2025-06-10"}
    letter = (tmp_path / "drafts" / "CS-2025-00142-ack_corporate_stage1.txt").read_text()
    assert "Hampshire County Council" in letter and "Example County" not in letter
    shipped = run(f"--db={tmp_path / 'shipped.db'}", "assess", "--json", str(EXAMPLES / "corporate-sen.json"),
                  use_db=False)
    assert json.loads(shipped.out)["deadlines"]["respond_by"] == "2025-06-03"


def test_triage_council_in_the_environment_works_like_the_option(run: Any, council: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """TRIAGE_COUNCIL points every command at the folder, as --council does."""
    (council / "settings.yaml").write_text(RECEIPT)
    monkeypatch.setenv("TRIAGE_COUNCIL", str(council))
    r = run("rules", "settings")
    assert f"council folder:   {council}\n" in r.out
    line = next(x for x in r.out.splitlines() if x.startswith("corporate.stage1.from "))
    assert line.split() == ["corporate.stage1.from", '"receipt"', str(council / "settings.yaml")]


def test_a_missing_council_folder_is_named(run: Any, tmp_path: Path) -> None:
    """--council on a path that does not exist: exit 2, with how to make one."""
    r = run(f"--council={tmp_path / 'nope'}", "rules", "check")
    assert (r.code, r.err) == (2, f"error: no council folder at {tmp_path / 'nope'} (give --council DIR or set "
                                  "TRIAGE_COUNCIL; `triage init DIR` creates one)\n")


def test_the_hash_covers_the_council_layer(council: Path) -> None:
    """No council: the shipped hash; a council folder changes it, and so does any edit of its files."""
    shipped = _Loader_(RULES, None).load().hash
    first = _Loader_(RULES, council).load().hash
    (council / "templates" / "letters" / "extension_notice.txt.j2").write_text(
        (RULES.parent / "templates" / "letters" / "extension_notice.txt.j2").read_text() + "\n")
    second = _Loader_(RULES, council).load().hash
    assert len({shipped, first, second}) == 3
    assert shipped == load_rules(RULES).hash


def test_letter_dirs_put_the_council_first(council: Path) -> None:
    """letter_dirs: the council's templates/letters, then the shipped ones; templates_dir stays shipped."""
    rules = _Loader_(RULES, council).load()
    assert rules.letter_dirs == [council / "templates" / "letters", RULES.resolve().parent / "templates" / "letters"]
    assert rules.templates_dir == rules.letter_dirs[1] and rules.council_dir == council


def test_taxonomy_additions_and_replacements(council: Path) -> None:
    """A council label is added; the same label replaces the shipped entry; `replace` swaps a list whole."""
    (council / "taxonomy.yaml").write_text(
        "services:\n  - {label: Disability Service, function: disabled_children}\n"
        "  - {label: cast, function: family_support}\nnatures:\n  - {label: Delay}\nreplace: [natures]\n")
    rules = _Loader_(RULES, council).load()
    shipped = shipped_layer(rules)
    assert rules.taxonomy.services.get("Disability Service").function == "disabled_children"  # type: ignore[union-attr]
    assert rules.taxonomy.services.get("CAST").function == "family_support"  # type: ignore[union-attr]
    assert len(rules.taxonomy.services.labels()) == len(shipped.taxonomy.services.labels()) + 1
    assert rules.taxonomy.natures.labels() == ["Delay"]


def test_rules_test_runs_shipped_scenarios_on_shipped_settings(run: Any, council: Path) -> None:
    """Changed corporate timescales fail no shipped scenario; a council scenario runs on the council's
    settings, and its failure is reported in its own section."""
    (council / "settings.yaml").write_text(RECEIPT)
    r = run(f"--council={council}", "rules", "test")
    lines = r.out.splitlines()
    assert r.code == 0, r.out
    assert lines[-2] == f"council scenarios ({council / 'scenarios'}, against the council's settings): 1 passed, 0 failed"
    assert lines[-3].startswith("shipped scenarios (") and lines[-3].endswith(", against the shipped settings): "
                                                                              f"{int(lines[-1].split()[0]) - 1} passed, 0 failed")
    (council / "scenarios" / "deadlines.yaml").write_text(
        "scenarios:\n  - name: Corporate stage 1 from receipt\n    case: {received_date: 2025-05-12, "
        "received_via: email, complainant: {relationship: parent, has_parental_responsibility: true, "
        "contact: {email: a@example.org}}, about: {function: sen, summary: x}}\n"
        "    expect: {procedure: corporate, deadlines: {respond_by: 2025-06-03}}\n")
    r = run(f"--council={council}", "rules", "test")
    assert r.code == 1
    assert "FAIL deadlines.yaml: Corporate stage 1 from receipt" in r.out
    assert f"council scenarios ({council / 'scenarios'}, against the council's settings): 1 passed, 1 failed" in r.out


@pytest.mark.parametrize("command", [["report", "--year", "2024-25"], ["due"], ["case", "CS-1"], ["letters", "CS-1"],
                                     ["log", "list"], ["log", "show", "CS-1"], ["log", "verify"], ["log", "overrides"],
                                     ["override", "CS-1", "--field", "stage", "--to", "2", "--reason", "r", "--by", "b"]])
def test_reading_commands_refuse_a_log_that_does_not_exist(run: Any, db: Path, command: list[str]) -> None:
    """A mistyped --db is named (exit 2) and no empty log is created."""
    r = run(*command)
    assert (r.code, r.out) == (2, "")
    assert r.err == (f"error: no decision log at {db}: check --db or $TRIAGE_DB (this command only reads; a log is "
                     "created by the first `triage assess` or `triage record` that uses it)\n")
    assert not db.exists()


def test_writing_commands_create_the_log(run: Any, db: Path) -> None:
    """assess creates a log that does not exist yet, as before."""
    assert run("assess", str(EXAMPLES / "statutory-parent.json")).code == 0
    assert log_rows(db) == 1
