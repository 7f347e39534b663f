"""What the project tells its users is true: the files its comments name exist."""

from __future__ import annotations

import re

from conftest import ROOT, RULES

# A file named in a comment: rules/settings.yaml, templates/letters/x.txt.j2, 70-advocacy-flags.yaml
_NAMED = re.compile(r"(?:(?:rules|templates|examples|docs|bench|src)/[\w./-]*\w|\b\d\d-[\w-]+\.yaml\b)")


def test_rules_comments_name_only_files_that_exist() -> None:
    """Every file a comment in rules/*.yaml names exists (in the checkout, or in rules/)."""
    missing = []
    for path in sorted(RULES.glob("*.yaml")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            comment = line.partition("#")[2]
            for name in _NAMED.findall(comment):
                if not ((ROOT / name).exists() or (RULES / name).exists()):
                    missing.append(f"{path.name}:{number}: {name}")
    assert missing == []
