"""'Did you mean ...?' for values that almost match a known name (a column, unit, region, lever)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

# Below this similarity a suggestion is more confusing than helpful.
CUTOFF = 0.6


def closest(value: str, choices: Iterable[str]) -> str | None:
    """The known name a user most likely meant: same letters in another case first, then the
    nearest spelling; None when nothing is close."""
    text = str(value).strip()
    options = [str(c) for c in choices]
    if not text or not options:
        return None
    folded = {option.casefold(): option for option in options}
    if text.casefold() in folded and folded[text.casefold()] != text:
        return folded[text.casefold()]
    match = difflib.get_close_matches(text.casefold(), list(folded), n=1, cutoff=CUTOFF)
    return folded[match[0]] if match and folded[match[0]] != text else None


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """' (did you mean 'x'?)' or '' — to append to an 'expected ...' text."""
    guess = closest(value, choices)
    return "" if guess is None else f" (did you mean '{guess}'?)"
