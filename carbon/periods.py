"""Reporting periods as reports print them: a calendar year, or a fiscal year.

"2023", "CY2023" and "year ended 31 December 2023" are the calendar year 2023. "FY2023/24",
"FY2023-24", "FY23/24", "2023/24" and "year ended 31 March 2024" are the fiscal year that
ends in 2024, labelled FY2023/24; "FY2024" is a fiscal year labelled by its end year alone.
Two printings of the same period get the same label, so their figures are compared.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FIRST_YEAR, LAST_YEAR = 1990, 2100
MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for m in names
}
EXAMPLES = "a year (2023) or a fiscal year ('FY2023/24', 'year ended 31 March 2024')"

_CALENDAR = re.compile(r"^(?:CY|calendar year|year)?\s*(\d{4})$", re.IGNORECASE)
_SPLIT_YEAR = re.compile(r"^(?:FY)?\s*(\d{4}|\d{2})\s*[/\-\u2013]\s*(\d{4}|\d{2})$", re.IGNORECASE)
_FISCAL_END_YEAR = re.compile(r"^FY\s*(\d{4}|\d{2})$", re.IGNORECASE)
_YEAR_ENDED = re.compile(
    r"^(?:the\s+)?(?:financial\s+|fiscal\s+)?(?:year|12 months|twelve months|period)\s+"
    r"(?:ended|ending|to)\s+(\d{1,2})\s+([a-z]+)\s+(\d{4})$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Period:
    label: str  # "2023" or "FY2023/24"
    end_year: int
    calendar: bool


def _full_year(text: str, near: int | None = None) -> int:
    year = int(text)
    if len(text) == 2:
        century = (near // 100) * 100 if near else 2000
        year += century
        if near and year < near:
            year += 100
    return year


def _checked(period: Period) -> Period:
    if not FIRST_YEAR <= period.end_year <= LAST_YEAR:
        raise ValueError(f"{EXAMPLES}, ending from {FIRST_YEAR} to {LAST_YEAR}")
    return period


def parse_period(value: int | str) -> Period:
    """The period a printed label stands for; ValueError (with examples) when it is not one."""
    if isinstance(value, bool):
        raise ValueError(EXAMPLES)
    if isinstance(value, int):
        return _checked(Period(str(value), value, True))
    text = " ".join(str(value).replace(",", " ").split())
    if match := _CALENDAR.match(text):
        year = int(match.group(1))
        return _checked(Period(str(year), year, True))
    if match := _SPLIT_YEAR.match(text):
        start = _full_year(match.group(1))
        end = _full_year(match.group(2), near=start)
        if end != start + 1:
            raise ValueError(f"{EXAMPLES}: '{value}' does not span two consecutive years")
        return _checked(Period(f"FY{start}/{end % 100:02d}", end, False))
    if match := _FISCAL_END_YEAR.match(text):
        end = _full_year(match.group(1))
        return _checked(Period(f"FY{end}", end, False))
    if match := _YEAR_ENDED.match(text):
        day, month, end = int(match.group(1)), MONTHS.get(match.group(2).lower()), int(match.group(3))
        if month is None or not 1 <= day <= 31:
            raise ValueError(f"{EXAMPLES}: '{value}' does not name a day and month")
        if (day, month) == (31, 12):
            return _checked(Period(str(end), end, True))
        return _checked(Period(f"FY{end - 1}/{end % 100:02d}", end, False))
    raise ValueError(f"{EXAMPLES}; '{value}' is neither")
