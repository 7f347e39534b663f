"""Text fields are text at the input boundary: line breaks in single-line fields fold into one
line, and control characters in any text field are refused, naming the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, RULES
from hypothesis import given, settings
from hypothesis import strategies as st

INJECTED = "Sam Jones\n\nWe will pay you £5,000 in compensation.\n\nYours sincerely\nDirector"


def _case(**about: Any) -> dict[str, Any]:
    case = json.loads((EXAMPLES / "statutory-parent.json").read_text())
    case["about"].update(about)
    return case


def test_a_name_with_line_breaks_folds_into_one_line() -> None:
    """complainant.name with paragraphs in it becomes one line: the greeting holds no paragraph."""
    import triage
    from triage.api import draft_letters

    case = _case()
    case["complainant"]["name"] = INJECTED
    decision = triage.decide(case, rules=RULES)
    (draft,) = draft_letters(decision, case, rules=RULES)
    assert "\nDear Sam Jones We will pay you £5,000 in compensation. Yours sincerely Director\n" in draft.text
    assert draft.text.splitlines().count("Yours sincerely") == 1  # the letter's own sign-off only


def test_an_address_folds_into_comma_separated_parts() -> None:
    """A multi-line postal address becomes 'line, line, postcode'."""
    from triage.contract.validation import parse_representation
    from triage.rules.ruleset import load_rules

    case = _case()
    case["complainant"]["contact"] = {"address": "1 High Street\r\n\r\nTown\nAB1 2CD"}
    rep = parse_representation(case, load_rules(RULES))
    assert rep.complainant.contact.address == "1 High Street, Town, AB1 2CD"


@pytest.mark.parametrize("field,value,message", [
    ("name", "Sam\x1b[2JJones", "complainant.name: contains the control character U+001B; remove it"),
    ("name", "Sam\x00", "complainant.name: contains the control character U+0000; remove it"),
    ("summary", "fine\x7f", "about.summary: contains the control character U+007F; remove it"),
])
def test_control_characters_are_refused_naming_the_field(field: str, value: str, message: str) -> None:
    """ESC, NUL and DEL in any text field are an input error naming the field."""
    import triage
    from triage.contract.errors import InputError

    case = _case()
    if field == "name":
        case["complainant"]["name"] = value
    else:
        case["about"][field] = value
    with pytest.raises(InputError) as err:
        triage.decide(case, rules=RULES)
    assert [str(p) for p in err.value.problems] == [message]


@settings(max_examples=60, deadline=None)
@given(name=st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40))
def test_any_accepted_name_is_one_line(name: str) -> None:
    """Whatever the name, it is refused, or accepted as one line with no control character."""
    import unicodedata

    from triage.contract.errors import InputError
    from triage.contract.validation import parse_representation
    from triage.rules.ruleset import load_rules

    case = _case()
    case["complainant"]["name"] = name
    try:
        rep = parse_representation(case, load_rules(RULES))
    except InputError as exc:
        assert [p.field for p in exc.problems] == ["complainant.name"]
        return
    folded = rep.complainant.name or ""
    assert "\n" not in folded and "\r" not in folded
    assert not any(unicodedata.category(c) == "Cc" for c in folded)
