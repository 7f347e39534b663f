"""Rules as data: loading validates every rule and fails with the file, rule id and a fix."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from conftest import RULES, copy_rules
from conftest import edit as _edit


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    return copy_rules(tmp_path)


def _check(run: Any, rules_dir: Path) -> Any:
    return run(f"--rules={rules_dir}", "rules", "check")


def test_project_rules_check_clean(run: Any) -> None:
    """The shipped rules load, and the only unreachable outcomes are the documented ones."""
    r = run("rules", "check")
    assert r.code == 0, r.err
    assert " rules in 6 phases: OK (0 warnings; ruleset sha256:" in r.out


def test_unknown_fact_is_reported_with_suggestion(run: Any, rules_copy: Path) -> None:
    """A typo in a fact name names the file, the rule and the nearest fact."""
    _edit(rules_copy / "30-who.yaml", "complainant.relationship: care_leaver", "complainant.relationshp: care_leaver")
    r = _check(run, rules_copy)
    assert r.code == 1
    assert "30-who.yaml, rule who.care_leaver: when: unknown fact 'complainant.relationshp'; did you mean " \
           "'complainant.relationship'?" in r.err


def test_unknown_value_is_reported(run: Any, rules_copy: Path) -> None:
    """A value outside a fact's vocabulary is an error with the nearest value."""
    _edit(rules_copy / "30-who.yaml", "complainant.relationship: foster_carer}", "complainant.relationship: fostercarer}")
    r = _check(run, rules_copy)
    assert "rule who.foster_carer: when: complainant.relationship has no value 'fostercarer'; did you mean 'foster_carer'?" in r.err


def test_duplicate_rule_id(run: Any, rules_copy: Path) -> None:
    """Two rules with one id are reported."""
    _edit(rules_copy / "30-who.yaml", "id: who.foster_carer", "id: who.parent")
    r = _check(run, rules_copy)
    assert "30-who.yaml, rule who.parent: duplicate rule id (also in rules/30-who.yaml)" in r.err


def test_missing_citation(run: Any, rules_copy: Path) -> None:
    """Every rule must cite its authority."""
    _edit(rules_copy / "30-who.yaml", '    citation: "Children Act 1989 s.26(3)(d)"\n', "")
    r = _check(run, rules_copy)
    assert "rule who.foster_carer: every rule needs a `citation` (its authority)" in r.err


def test_unknown_conclusion_and_flag(run: Any, rules_copy: Path) -> None:
    """Conclusions and flags must be known; the nearest is suggested."""
    _edit(rules_copy / "30-who.yaml", "then: {standing: eligible, flags: consent_not_confirmed}",
          "then: {standin: eligible, flags: consent_not_confirm}")
    r = _check(run, rules_copy)
    assert "rule who.representative.consent_unknown: then.flags: unknown value 'consent_not_confirm'; " \
           "did you mean 'consent_not_confirmed'? (see rules/flags.yaml)" in r.err
    assert "rule who.representative.consent_unknown: then: unknown conclusion 'standin'; did you mean 'standing'?" in r.err


def test_decision_fact_from_later_phase_is_rejected(run: Any, rules_copy: Path) -> None:
    """A rule may only test conclusions drawn by earlier phases."""
    _edit(rules_copy / "20-scope.yaml", "when: {about.concerns_adult_treatment: true}",
          "when: {about.concerns_adult_treatment: true, decision.standing: eligible}")
    r = _check(run, rules_copy)
    assert "rule scope.adult_treatment: when: decision.standing is not concluded by any earlier phase" in r.err


def test_invalid_yaml_names_line(run: Any, rules_copy: Path) -> None:
    """A YAML syntax error names the file and the line."""
    (rules_copy / "30-who.yaml").write_text("phase: who\nrules:\n  - id: [unclosed\n")
    r = _check(run, rules_copy)
    assert r.code == 1 and "30-who.yaml: not valid YAML at line" in r.err


def test_unknown_setting_reference(run: Any, rules_copy: Path) -> None:
    """A `$` reference must name a list or a setting."""
    _edit(rules_copy / "50-disposition.yaml", "$statutory.request_stage2.days", "$statutory.request_stage_2.days")
    r = _check(run, rules_copy)
    assert "rule escalation.late.refused: when: $statutory.request_stage_2.days names no list and no setting" in r.err


def test_unreachable_outcome_is_a_warning(run: Any, rules_copy: Path) -> None:
    """An outcome no rule can reach is reported (and fails with --strict)."""
    text = (rules_copy / "10-representation.yaml").read_text()
    start = text.index("  - id: type.compliment")
    end = text.index("  - id: type.information_request.foi")
    (rules_copy / "10-representation.yaml").write_text(text[:start] + text[end:])
    r = _check(run, rules_copy)
    assert r.code == 0 and "warning: no rule can conclude representation_type = 'compliment'" in r.err
    assert run(f"--rules={rules_copy}", "rules", "check", "--strict").code == 1


def test_ruleset_hash_changes_with_any_rule_file(rules_copy: Path) -> None:
    """The ruleset hash covers the rules, settings and taxonomy, so decisions can be reproduced."""
    from triage.rules.ruleset import ruleset_hash

    before = ruleset_hash(rules_copy)
    _edit(rules_copy / "settings.yaml", "acknowledge: {days: 3", "acknowledge: {days: 2")
    assert ruleset_hash(rules_copy) != before


def test_settings_change_deadlines(rules_copy: Path, case: dict[str, Any]) -> None:
    """Timescales are settings: changing one in rules/ changes the deadline, no code involved."""
    import triage

    _edit(rules_copy / "settings.yaml", "acknowledge: {days: 3", "acknowledge: {days: 2")
    d = triage.decide(case, rules=rules_copy)
    assert str(d.deadlines["acknowledge_by"]) == "2025-03-18"


def test_added_bank_holiday_moves_deadline(rules_copy: Path, case: dict[str, Any]) -> None:
    """An administrator can add a newly proclaimed bank holiday in settings.yaml."""
    import triage

    _edit(rules_copy / "settings.yaml", "  add_bank_holidays: []", "  add_bank_holidays:\n    - {date: 2025-03-17, name: Proclaimed}")
    d = triage.decide(case, rules=rules_copy)
    assert str(d.deadlines["acknowledge_by"]) == "2025-03-20"


def test_next_working_day_setting(rules_copy: Path, case: dict[str, Any]) -> None:
    """A council may deem Saturday's items received on Monday (a local setting)."""
    import triage

    case["received_date"] = "2025-03-15"  # a Saturday
    assert str(triage.decide(case, rules=RULES).deadlines["respond_by"]) == "2025-03-28"
    _edit(rules_copy / "settings.yaml", "received_on_non_working_day: as_received",
          "received_on_non_working_day: next_working_day")
    assert str(triage.decide(case, rules=rules_copy).deadlines["respond_by"]) == "2025-03-31"


def test_no_ruleset_is_cached_between_runs_and_a_planted_pickle_is_never_read(
        rules_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Loading rules writes no cache file and reads none: a pickle planted where the cache was kept
    does not run; an edit to a rule file is seen at once."""
    import pickle

    from triage.rules import ruleset as module

    cache = tmp_path / "cache"
    cache.mkdir()
    monkeypatch.setenv("TRIAGE_CACHE", str(cache))

    class Boom:
        def __reduce__(self) -> Any:
            return (os.system, (f"touch {tmp_path / 'pwned'}",))

    (cache / "ruleset-planted.pickle").write_bytes(pickle.dumps(Boom()))
    first = module._load_cached(rules_copy)
    assert [p.name for p in cache.iterdir()] == ["ruleset-planted.pickle"]
    assert not (tmp_path / "pwned").exists()
    _edit(rules_copy / "30-who.yaml", "complainant.relationship: foster_carer}", "complainant.relationship: fostercarer}")
    from triage.contract.errors import RuleErrors
    with pytest.raises(RuleErrors, match="fostercarer"):
        module._load_cached(rules_copy)
    assert first.rules
