"""'Did you mean ...?' hints shared by every error that names a wrong word."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any


def nearest(word: str, options: Iterable[Any], n: int = 3, cutoff: float = 0.5) -> list[str]:
    """The options closest to ``word``; only the clear winner when one stands out."""
    word = str(word)
    scored = sorted(((difflib.SequenceMatcher(None, word.casefold(), str(o).casefold()).ratio(), str(o))
                     for o in options), reverse=True)
    scored = [(s, o) for s, o in scored if s >= cutoff][:n]
    if scored and scored[0][0] >= 0.8:
        scored = [(s, o) for s, o in scored if s >= scored[0][0] - 0.05]
    return [o for _, o in scored]


def suggest(word: Any, options: Iterable[Any]) -> str:
    """'; did you mean 'x'?' for the nearest options, or '' when nothing is close."""
    close = nearest(str(word), options)
    return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
