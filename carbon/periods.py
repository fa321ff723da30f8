"""Reporting periods as reports print them: a calendar year, or a fiscal year.

"2023", "CY2023" and "year ended 31 December 2023" are the calendar year 2023. "FY2023/24",
"FY2023-24", "FY23/24", "2023/24" and "year ended 31 March 2024" are the fiscal year that
ends in 2024, labelled FY2023/24; "FY2024" is a fiscal year labelled by its end year alone.
Two printings of the same period get the same label, so their figures are compared.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

# Reporting and data years the engine accepts anywhere (DESIGN.md: documented bounds).
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

_CALENDAR = re.compile(r"^(?:CY|calendar year|year)?\s*(\d{4})\s*(?:年度|年)?$", re.IGNORECASE)
# Taiwan's Minguo years: 民國113年 is 2024.
_MINGUO = re.compile(r"^(?:民國\s*(\d{2,3})\s*(?:年度|年)?|(\d{2,3})\s*(?:年度|年))$")
MINGUO_OFFSET = 1911
_SPLIT_YEAR = re.compile(
    r"^(?:FY|financial year|fiscal year)?\s*(\d{4}|\d{2})\s*[/\-\u2013]\s*(\d{4}|\d{2})$", re.IGNORECASE
)
_FISCAL_END_YEAR = re.compile(r"^(?:FY|financial year|fiscal year)\s*(\d{4}|\d{2})$", re.IGNORECASE)
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\s+(\d{4})"
_YEAR_ENDED = re.compile(
    r"^(?:the\s+)?(?:financial\s+|fiscal\s+)?(?:year|12 months|twelve months|period|5[23] weeks)\s+"
    rf"(?:ended|ending|to)\s+{_DAY}$",
    re.IGNORECASE,
)
# "1 April 2023 - 31 March 2024": the end date decides.
_DATE_RANGE = re.compile(rf"^{_DAY}\s*(?:-|\u2013|\u2014|to)\s*{_DAY}$", re.IGNORECASE)


@dataclass(frozen=True)
class Period:
    label: str  # "2023" or "FY2023/24"
    end_year: int
    calendar: bool


def _full_year(text: str, near: int | None = None) -> int:
    """'24' -> 2024, '98' -> 1998 (two digits above 50 are the 1900s); the second year of
    'FY2099/00' follows the first."""
    year = int(text)
    if len(text) == 2:
        year += (near // 100) * 100 if near else (1900 if year > 50 else 2000)
        if near and year < near:
            year += 100
    return year


def _checked(period: Period) -> Period:
    if not FIRST_YEAR <= period.end_year <= LAST_YEAR:
        raise ValueError(f"{EXAMPLES}, ending from {FIRST_YEAR} to {LAST_YEAR}")
    return period


def parse_period(value: int | str, fiscal_year_end: str | None = None) -> Period:
    """The period a printed label stands for; ValueError (with examples) when it is not one.
    `fiscal_year_end` ("31 March"), the document's, turns "FY2024" into the year it names."""
    if isinstance(value, bool):
        raise ValueError(EXAMPLES)
    if isinstance(value, int):
        return _checked(Period(str(value), value, True))
    text = " ".join(str(value).replace(",", " ").split())
    if match := _CALENDAR.match(text):
        year = int(match.group(1))
        return _checked(Period(str(year), year, True))
    if match := _MINGUO.match(text):
        year = int(match.group(1) or match.group(2)) + MINGUO_OFFSET
        return _checked(Period(str(year), year, True))
    if match := _SPLIT_YEAR.match(text):
        start = _full_year(match.group(1))
        end = _full_year(match.group(2), near=start)
        if end != start + 1:
            raise ValueError(f"{EXAMPLES}: '{value}' does not span two consecutive years")
        return _checked(Period(f"FY{start}/{end % 100:02d}", end, False))
    if match := _FISCAL_END_YEAR.match(text):
        end = _full_year(match.group(1))
        if fiscal_year_end:
            return _checked(_year_ended(_date(f"{fiscal_year_end} {end}", value)))
        return _checked(Period(f"FY{end}", end, False))
    if match := _YEAR_ENDED.match(text):
        return _checked(_year_ended(_date(" ".join(match.groups()), value)))
    if match := _DATE_RANGE.match(text):
        return _checked(_year_ended(_date(" ".join(match.groups()[3:]), value)))
    raise ValueError(f"{EXAMPLES}; '{value}' is neither")


def _date(text: str, value: object) -> date:
    """'31 March 2024' as a date; ValueError naming the printed `value` when it is none."""
    parts = text.split()
    day, month = (
        (int(parts[0].rstrip("stndrh")) if parts[0][:1].isdigit() else 0),
        MONTHS.get(parts[1].lower()),
    )
    try:
        return date(int(parts[2]), month or 0, day)
    except (ValueError, IndexError):
        raise ValueError(f"{EXAMPLES}: '{value}' does not name a day of the year") from None


def fiscal_year_end_ok(text: str) -> str:
    """A document's fiscal year end, '31 March': refused unless it names a day and month."""
    try:
        _date(f"{text} 2023", text)
    except ValueError:
        raise ValueError(f"a day and month such as '31 March', not '{text}'") from None
    return text


def _year_ended(ended: date) -> Period:
    """A year that ends within a week of 31 December is that calendar year (52/53-week years
    end on the last Saturday of December or the first days of January)."""
    nearest = {12: ended.year, 1: ended.year - 1}.get(ended.month)
    if nearest is not None and abs((ended - date(nearest, 12, 31)).days) <= 7:
        return Period(str(nearest), nearest, True)
    return Period(f"FY{ended.year - 1}/{ended.year % 100:02d}", ended.year, False)
