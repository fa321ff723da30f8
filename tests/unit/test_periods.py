"""Reporting periods as reports print them (carbon/periods.py)."""

import pytest

from carbon.periods import parse_period


@pytest.mark.parametrize(
    ("printed", "label", "end_year", "calendar"),
    [
        (2023, "2023", 2023, True),
        ("CY2023", "2023", 2023, True),
        ("year ended 31 December 2023", "2023", 2023, True),
        ("year ended 30 December 2023", "2023", 2023, True),  # a 52-week year
        ("year ended 1 January 2023", "2022", 2022, True),  # a 53-week year
        ("FY2023/24", "FY2023/24", 2024, False),
        ("FY23/24", "FY2023/24", 2024, False),
        ("2023-24", "FY2023/24", 2024, False),
        ("year ended 31 March 2024", "FY2023/24", 2024, False),
        ("12 months to 30 June 2024", "FY2023/24", 2024, False),
        ("FY98/99", "FY1998/99", 1999, False),
        ("FY2024", "FY2024", 2024, False),
    ],
)
def test_printed_periods(printed, label, end_year, calendar):
    period = parse_period(printed)
    assert (period.label, period.end_year, period.calendar) == (label, end_year, calendar)


@pytest.mark.parametrize("printed", ["FY2023/25", "year ended 31 February 2024", "next spring", "1989", True])
def test_what_is_not_a_period(printed):
    with pytest.raises(ValueError, match="FY2023/24"):
        parse_period(printed)
