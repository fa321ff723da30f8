"""Reading one printed figure of the table (a row of published.py's frame): its interval, the
verdict of an expected interval against it, and how to write a value in its printed unit."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from carbon.reconcile.findings import Severity
from carbon.reconcile.intervals import EPS, Interval, truncation_interval


@dataclass(frozen=True)
class Denominator:
    """A denominator from the organisation file: exact, in its KPI's unit (a unit_label: "m2")."""

    value: Interval
    unit: str


# (denominator KPI, year in which the period ends) -> the organisation file's value
Denominators = dict[tuple[str, int], Denominator]


# What a rounding_method verdict means, in every message that gives one.
HALF_DOWN = "fits only if truncated or rounded half down"


def interval(row: pd.Series) -> Interval:
    return Interval(row["low"], row["high"])


def levels(table: pd.DataFrame) -> pd.DataFrame:
    """Readable figures that are levels (not printed year-on-year changes)."""
    return table[table["readable"] & (table["change_from"] == "")]


def common(intervals: list[Interval]) -> Interval | None:
    """The values every interval allows, or None when they do not all meet."""
    result: Interval | None = intervals[0]
    for other in intervals[1:]:
        result = result.intersection(other) if result is not None else None
    return result


def is_point(interval_: Interval) -> bool:
    return interval_.high - interval_.low <= EPS * max(1.0, abs(interval_.low), abs(interval_.high))


def one_point_fit(expected: Interval, printed: Interval, value: float) -> bool:
    """They meet at a single point that only rounding half down explains. Rounding half up
    (away from zero) maps [v - h, v + h) onto v: the upper end of a positive printing belongs to
    the next value, and so does the lower end of an expected interval built from rounded figures
    (its end stands for inputs that were each exactly on a boundary)."""
    meet = expected.intersection(printed)
    if meet is None or not is_point(meet) or is_point(printed):
        return False  # an exact printing (a headcount) equal to the expected value fits exactly
    if not is_point(expected):
        return True  # both were rounded: one side sits exactly on a half
    end = printed.high if value >= 0 else printed.low
    return abs(meet.low - end) <= EPS * max(1.0, abs(end))


def verdict(expected: Interval, printed: pd.Series) -> Severity:
    """consistent / rounding_method / inconsistent for a printed figure against an expected interval.
    rounding_method: it fits only if the publisher truncated, or rounded half down."""
    if expected.overlaps(interval(printed)):
        one_point = one_point_fit(expected, interval(printed), float(printed["value"]))
        return "rounding_method" if one_point else "consistent"
    truncated = truncation_interval(printed["value"], printed["decimals"], printed["exact"])
    if expected.overlaps(truncated.scaled(printed["scale"])):
        return "rounding_method"
    return "inconsistent"


def fmt(value: float, decimals: int = 2) -> str:
    return f"{value:,.{decimals}f}"


def in_unit_of(value: float, row: pd.Series, extra: int = 0) -> str:
    """A value of the row's KPI unit written in the row's printed unit and precision."""
    decimals = 0 if row["exact"] else int(row["decimals"]) + extra
    return fmt(value / row["scale"], decimals)


def span(expected: Interval, row: pd.Series) -> str:
    return f"{in_unit_of(expected.low, row, 1)} to {in_unit_of(expected.high, row, 1)}"


def shown(row: pd.Series, unit_of: pd.Series | None = None) -> str:
    """The printed string, with its unit when it differs from the figure it is compared with."""
    if unit_of is not None and row["unit"].strip() != unit_of["unit"].strip():
        return f"{row['printed']} {row['unit']}"
    return str(row["printed"])
