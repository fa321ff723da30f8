"""Printed figures as intervals, and the arithmetic that carries rounding through sums and ratios.

A figure printed with k decimals stands for value +- 0.5 x 10^-k (integer counts are exact).
Intervals may hold zero or negative values (a Scope 2 of 0, a year-on-year fall, removals);
a division by an interval that holds zero has no bounded result and gives None: the check
that needed it cannot run and says so.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

# Relative slack for floating-point error when comparing interval ends (not for rounding).
EPS = 1e-9

WELL_FORMED = re.compile(r"^\d{1,3}(,\d{3})*(\.\d+)?$|^\d+(\.\d+)?$|^\.\d+$")
# A comma where the decimal point belongs, e.g. "1,559,45" for 1,559.45.
COMMA_DECIMAL = re.compile(r"^\d{1,3}(,\d{3})*,\d{2}$")
# Footnote markers printed after a figure ("7,512¹", "1,234*"): not digits of it.
FOOTNOTE = re.compile(r"\s*[\u00b9\u00b2\u00b3\u2070\u2074-\u2079*\u2020\u2021#]+$")
# A footnote number in brackets run into a figure: "1,234.5(1)" (not "(3.2)", a negative).
NOTE_NUMBER = re.compile(r"(?<=\d)\(\d{1,2}\)$")
# "184.52 (Note 3)": a note reference after the figure.
NOTE_WORD = re.compile(r"\s*\((?:note|notes|n)\s*\d+[a-z]?\)$", re.IGNORECASE)
# Thousands separated by a space or a thin space: "1 234.5".
GROUP_SPACE = re.compile(r"(?<=\d)[ \u2009\u202f](?=\d{3}(?:\D|$))")
# Changes printed with arrows: "▲2.5%", "↓3.4%".
RISE, FALL = "\u25b2\u2191\u25b4", "\u25bc\u2193\u25be"
# Signs as reports print them: -, the typographic minus and en dash, +, and (3.2) for a negative.
MINUS = ("-", "\u2212", "\u2013")


@dataclass(frozen=True)
class Interval:
    low: float
    high: float

    def __add__(self, other: Interval) -> Interval:
        return Interval(self.low + other.low, self.high + other.high)

    def __sub__(self, other: Interval) -> Interval:
        return Interval(self.low - other.high, self.high - other.low)

    def __mul__(self, other: Interval) -> Interval:
        ends = [a * b for a in (self.low, self.high) for b in (other.low, other.high)]
        return Interval(min(ends), max(ends))

    def scaled(self, factor: float) -> Interval:
        return self * Interval(factor, factor)

    def divided_by(self, other: Interval) -> Interval | None:
        """The quotient, or None when the divisor may be zero (no bounded quotient exists)."""
        if other.low <= 0 <= other.high:
            return None
        inverse = Interval(1 / other.high, 1 / other.low)
        quotient = self * inverse
        if not all(math.isfinite(v) for v in (*inverse.as_list(), *quotient.as_list())):
            return None  # a divisor so near zero that the quotient overflows
        return quotient

    def overlaps(self, other: Interval) -> bool:
        slack = EPS * max(1.0, abs(self.low), abs(self.high), abs(other.low), abs(other.high))
        return self.low <= other.high + slack and other.low <= self.high + slack

    def intersection(self, other: Interval) -> Interval | None:
        if not self.overlaps(other):
            return None
        return Interval(max(self.low, other.low), min(self.high, other.high))

    def contains(self, value: float) -> bool:
        return self.overlaps(Interval(value, value))

    @property
    def middle(self) -> float:
        return (self.low + self.high) / 2

    def as_list(self) -> list[float]:
        return [self.low, self.high]


def total(intervals: list[Interval]) -> Interval:
    result = Interval(0.0, 0.0)
    for interval in intervals:
        result = result + interval
    return result


def parse_printed(text: str, allow_percent: bool = False) -> tuple[float, int, bool] | None:
    """(value, decimals, well_formed) for a printed figure, or None when it cannot be read.

    Reads thousands separators, a sign (-, the minus sign, an en dash, +) or accounting
    parentheses for a negative, and a trailing % where the figure is a percentage."""
    text = FOOTNOTE.sub("", NOTE_NUMBER.sub("", NOTE_WORD.sub("", text.strip())))
    text = GROUP_SPACE.sub("", text)
    negative = False
    for arrows, sign in ((RISE, False), (FALL, True)):
        if text[:1] in arrows or text[-1:] in arrows:
            text = text.strip(arrows + " ")
            if sign:
                text = f"-{text}"
    if allow_percent and text.endswith("%"):
        text = text[:-1].strip()  # "(3.2)%" as well as "(3.2%)"
    if len(text) > 2 and text[0] == "(" and text[-1] == ")":
        text, negative = text[1:-1].strip(), True
    if allow_percent and text.endswith("%"):
        text = text[:-1].strip()
    if text[:1] in MINUS:
        text, negative = text[1:].strip(), not negative
    elif text[:1] == "+":
        text = text[1:].strip()
    repaired = False
    if not WELL_FORMED.match(text):
        if not COMMA_DECIMAL.match(text):
            return None
        text, repaired = text[: text.rfind(",")] + "." + text[text.rfind(",") + 1 :], True
    digits = text.replace(",", "")
    decimals = len(digits.split(".")[1]) if "." in digits else 0
    value = float(digits)
    if not math.isfinite(value):
        return None
    return (-value if negative else value), decimals, not repaired


def rounding_interval(value: float, decimals: int, exact: bool = False) -> Interval:
    half = 0 if exact else 0.5 * 10.0**-decimals
    return Interval(value - half, value + half)


def truncation_interval(value: float, decimals: int, exact: bool = False) -> Interval:
    """The values that print as `value` when the publisher cuts digits off (towards zero)."""
    unit = 0 if exact else 10.0**-decimals
    return Interval(value, value + unit) if value >= 0 else Interval(value - unit, value)


def decimals_of(value: float) -> int:
    """Decimals of the shortest text that reads back as `value` (1253.94 -> 2, 14.9 -> 1): the
    precision of a number transcribed from print, as far as the float still shows it."""
    text = repr(float(value))
    if "e" in text or "E" in text:
        mantissa, exponent = text.lower().split("e")
        places = len(mantissa.split(".")[1].rstrip("0")) if "." in mantissa else 0
        return max(0, places - int(exponent))
    fraction = text.split(".")[1] if "." in text else ""
    return len(fraction.rstrip("0"))
