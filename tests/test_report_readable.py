"""The annual report as people read it: separators, empty years, wording, headings, labels."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, ROOT, RULES

LONG_NATURE = "SEN - Exceeded Assessment / EHCP / Annual review / phase transfer Deadline"


@pytest.fixture(scope="module")
def one_year(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A report for 2024/25 over a log with cases received only in 2024/25 (2023/24 and 2022/23 have none)."""
    import triage
    from triage import report
    from triage.log.store import DecisionLog
    from triage.rules.ruleset import load_rules

    db = tmp_path_factory.mktemp("readable") / "log.db"
    case = json.loads((EXAMPLES / "statutory-parent.json").read_text())
    triage.assess(dict(case, received_date="2024-06-03", about=dict(case["about"], grounds_arose="2024-05-01")),
                  db=db, rules=RULES)
    sen = dict(case, reference="CS-SEN", received_date="2024-07-01",
               about=dict(case["about"], service="SEN", function="sen", natures=[LONG_NATURE], grounds_arose="2024-06-01"))
    triage.assess(sen, db=db, rules=RULES)
    return report.build(DecisionLog(db), load_rules(RULES), year="2024-25")


def test_counts_have_thousands_separators() -> None:
    """People read 1,234 (and 1,234.5); suppressed counts and none stay as they are."""
    from triage.report.render import cell

    assert [cell(1234), cell(1234567), cell(999), cell(1234.5), cell(None), cell("<5"), cell("[c]")] == [
        "1,234", "1,234,567", "999", "1,234.5", "-", "<5", "[c]"]


def test_changes_in_points_and_days_are_singular_for_one() -> None:
    """A change of one point reads "+1 point"; of more, "+2 points"; days likewise."""
    from triage.report.render import _change

    assert [_change(51, 50, "points"), _change(49, 50, "points"), _change(52, 50, "points"),
            _change(11.0, 10.0, "days"), _change(12.5, 10.0, "days"), _change(5, 5, "points")] == [
        "+1 point", "-1 point", "+2 points", "+1.0 day", "+2.5 days", "no change"]


def test_years_with_no_data_are_dashes_not_zeros(one_year: dict[str, Any]) -> None:
    """A year with nothing counted shows "-" and no comparison, in the headlines and in every table."""
    from triage import report
    from triage.report.render import headlines, years_without_data

    assert years_without_data(one_year) == {"2023/24", "2022/23"}
    heads = {h["label"]: h for h in headlines(one_year)}
    assert {k: (v["value"], v["previous"], v["change"]) for k, v in heads.items()} == {
        "Representations": ("2", "-", ""),
        "Social care (statutory) complaints": ("1", "-", ""),
        "Corporate complaints": ("1", "-", ""),
        "Complaints refused or deferred": ("0", "-", ""),
        "Ombudsman referrals received": ("0", "-", ""),
        "Social care stage 1 answered within 10 working days": ("-", "-", ""),
        "Social care stage 1 average working days": ("-", "-", ""),
        "Social care stage 1 upheld or partially upheld": ("-", "-", ""),
        "Social care complaints escalated to stage 2": ("-", "-", ""),
    }
    md = report.write(one_year, "md")
    assert "| Representations | 2 | - | - |" in md
    assert "| Court Proceedings | 0 | - | - |" in md


def test_first_column_is_headed_by_what_it_holds(one_year: dict[str, Any]) -> None:
    """The first column of every table says what its rows are, in Markdown and in HTML."""
    from triage import report

    md = report.write(one_year, "md")
    assert "| Reason for refusal | 2024/25 | 2023/24 | 2022/23 |" in md
    html = report.write(one_year, "html", rules=None)
    assert '<tr><th scope="col" >Reason for refusal</th>' in html
    assert '<tr><th scope="col" rowspan="2">Nature of complaint</th>' in html
    shown = report.for_people(one_year)
    assert all(t["row_heading"] and t["row_heading"] != "Measure" for t in shown["tables"])


def test_long_labels_wrap_in_charts_and_are_never_cut(one_year: dict[str, Any]) -> None:
    """A nature label longer than the chart's label column wraps onto lines; all its words show."""
    from triage import report
    from triage.report.charts import charts

    (chart,) = [c for c in charts(one_year) if c["title"].startswith("Corporate complaints: top natures")]
    (bar,) = chart["bars"]
    assert bar["label_lines"] == ["SEN - Exceeded Assessment", "/ EHCP / Annual review /", "phase transfer Deadline"]
    html = report.write(one_year, "html")
    assert "…" not in html
    assert '<tspan x="162">SEN - Exceeded Assessment</tspan><tspan x="162" dy="13">/ EHCP / Annual review /</tspan>' in html


def test_shipped_method_labels_are_neutral_and_hampshire_is_an_example_council(tmp_path: Path) -> None:
    """The default taxonomy names no council's services; examples/councils/hampshire/ works as a council folder."""
    import triage
    from triage import report
    from triage.log.store import DecisionLog
    from triage.rules.ruleset import load_rules

    shipped = (RULES / "taxonomy.yaml").read_text()
    assert "HantsDirect" not in shipped.split("\n", 8)[-1]  # past the header that says where the lists come from
    assert load_rules(RULES).taxonomy.methods["contact_centre_email"] == "Email via contact centre"
    council = tmp_path / "councils" / "hampshire"
    shutil.copytree(RULES, council / "rules")
    shutil.copytree(ROOT / "templates", council / "templates")
    shutil.copy(ROOT / "examples" / "councils" / "hampshire" / "taxonomy.yaml", council / "rules" / "taxonomy.yaml")
    rules = load_rules(council / "rules")
    assert rules.taxonomy.methods["contact_centre_email"] == "Email via HantsDirect"
    case = json.loads((EXAMPLES / "statutory-parent.json").read_text())
    triage.assess(dict(case, received_via="contact_centre_email", received_date="2024-06-03",
                       about=dict(case["about"], grounds_arose="2024-05-01")), db=tmp_path / "h.db", rules=rules)
    built = report.build(DecisionLog(tmp_path / "h.db"), rules, year="2024-25")
    (methods,) = [t for t in built["tables"] if t["id"] == "methods"]
    assert [r["label"] for r in methods["rows"]][6:10] == ["Telephone", "Telephone via HantsDirect",
                                                            "Email via HantsDirect", "YP Complaint Form"]
    assert {r["label"]: r["counts"]["2024/25"] for r in methods["rows"]}["Email via HantsDirect"] == 1

