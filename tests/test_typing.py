"""The package type-checks with mypy (STYLE.md: typed and small)."""

from __future__ import annotations

import pytest
from conftest import ROOT


def test_mypy_clean() -> None:
    """mypy finds no errors in src/triage."""
    api = pytest.importorskip("mypy.api")
    out, err, status = api.run([str(ROOT / "src" / "triage"), "--ignore-missing-imports",
                                "--cache-dir", str(ROOT / ".mypy_cache")])
    assert status == 0, out + err
