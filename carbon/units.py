"""The one pint registry, unit parsing with clear refusals, and array-friendly conversion.

Definitions live in carbon/data/units.txt. Each distinct unit string is parsed once (cached);
magnitudes are converted by multiplying whole columns with the resulting scalar.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import cast

import pint

from carbon.errors import UnitError
from carbon.models.vocabulary import vocabulary
from carbon.paths import DATA_DIR
from carbon.suggest import did_you_mean

REGISTRY: pint.UnitRegistry = pint.UnitRegistry()
REGISTRY.load_definitions(str(DATA_DIR / "units.txt"))


_WORD = re.compile(r"[A-Za-z_]+")
# Unit strings are short; a long or deeply nested one is an attack on the parser, not a unit.
MAX_UNIT_LENGTH = 60
MAX_NESTING = 4
# ASCII letters, digits, spaces, the operators pint reads, and the superscripts and signs
# that utility bills print (m², m³, µ, the middle dot of kW·h).
_ALLOWED = re.compile(r"^[A-Za-z0-9_ .*/^()\-²³µ·]+$")
# Exponents are the only numbers a unit may hold: m**3, m^3, kWh**-1.
_EXPONENT = re.compile(r"(\*\*|\^)\s*\(?\s*-?\d+\s*\)?")
_STANDALONE_NUMBER = re.compile(r"(?<![A-Za-z_\d])[-+]?(\d|\.\d)")
EXAMPLES = "a unit such as MWh, kWh, thousand kWh, GJ, L, m**3, kg, t"


def _refuse_shape(text: str) -> None:
    """Refuse what is not a unit before pint's parser sees it."""
    if len(text) > MAX_UNIT_LENGTH:
        raise UnitError(f"a unit of at most {MAX_UNIT_LENGTH} characters, such as MWh")
    if not _ALLOWED.match(text):
        raise UnitError(f"{EXAMPLES} (letters, digits, spaces and * / ^ ( ) only)")
    depth = deepest = 0
    for character in text:
        depth += (character == "(") - (character == ")")
        deepest = max(deepest, depth)
        if depth < 0:
            break
    if depth != 0:
        raise UnitError(f"{EXAMPLES} (its parentheses do not match)")
    if deepest > MAX_NESTING:
        raise UnitError(f"{EXAMPLES} (at most {MAX_NESTING} nested parentheses)")
    if _STANDALONE_NUMBER.search(_EXPONENT.sub("", text)):
        raise UnitError(
            "a unit without a number in it: put the number in the quantity column "
            "(a scale may be written as a word: 'thousand kWh')"
        )


@lru_cache(maxsize=4096)
def parse_unit(text: str) -> pint.Quantity:
    """Parse a unit string such as 'MWh', 'thousand kWh', 'm**3' or 'm³'; refuse ambiguous ones.

    Every failure, including those inside pint's tokenizer, is a UnitError saying what is
    expected (with a 'did you mean' where a known unit is close)."""
    text = str(text).strip()
    if not text:
        raise UnitError(f"{EXAMPLES} (the unit is empty)")
    banned = vocabulary().banned_units
    for word in _WORD.findall(text):
        if word.lower() in banned:
            raise UnitError(banned[word.lower()])
    _refuse_shape(text)
    suspicious = vocabulary().suspicious_units
    if text in suspicious:
        raise UnitError(
            f"{EXAMPLES}: '{text}' parses but is almost always a slip (did you mean '{suspicious[text]}'?); "
            "write the unit you meant"
        )
    try:
        quantity = REGISTRY.parse_expression(text)
    except Exception as exc:  # noqa: BLE001 - any failure of pint's parser on user text is a bad unit
        raise UnitError(
            f"{EXAMPLES}; pint does not understand it ({_reason(exc)})"
            f"{did_you_mean(text, vocabulary().unit_examples)}"
        ) from None
    if not isinstance(quantity, pint.Quantity):
        raise UnitError(f"{EXAMPLES}; this is a bare number or a ratio without dimension")
    _refuse_odd_numbers(quantity)
    try:
        dimensionless = quantity.dimensionless
    except ArithmeticError as exc:  # overflow inside pint's root-unit factors
        raise UnitError(f"{EXAMPLES} ({_reason(exc)})") from None
    if dimensionless:
        raise UnitError(f"{EXAMPLES}; this is a bare number or a ratio without dimension")
    _refuse_number_words(quantity)
    # A leading number word ("thousand kWh") is a scale factor folded into the unit.
    return REGISTRY.Quantity(quantity.magnitude, quantity.units)


# Exponents of real units are small integers (m**3, s**-2); 't**1e9' overflows pint.
MAX_EXPONENT = 6


def _refuse_odd_numbers(quantity: pint.Quantity) -> None:
    """'inf kWh' and 'nan kWh' parse as numbers times a unit; huge exponents overflow later."""
    if not math.isfinite(float(cast(float, quantity.magnitude))):
        raise UnitError(f"{EXAMPLES}; a unit without a number in it ('{quantity.magnitude}' is not a unit)")
    for exponent in quantity.units._units.values():
        power = float(cast(float, exponent))
        if not math.isfinite(power) or abs(power) > MAX_EXPONENT:
            raise UnitError(f"{EXAMPLES}; exponents are small whole numbers (m**3), not {exponent}")


def _refuse_number_words(quantity: pint.Quantity) -> None:
    """Numbers hidden in unit words (pi, percent, ppm, dozen) are refused like digits; one scale
    word ('thousand kWh') is how reports print units and is allowed."""
    allowed = set(vocabulary().scale_words)
    scales = 0
    for name, exponent in quantity.units._units.items():
        if not REGISTRY.Unit(name).dimensionless:
            continue
        if name not in allowed:
            raise UnitError(
                f"a unit without a number word in it ('{name}' is a number): put the number in the quantity "
                f"column"
            )
        scales += abs(int(cast(float, exponent)))
    if scales > 1:
        raise UnitError("a unit with at most one scale word ('thousand kWh', not 'thousand thousand kWh')")


def _reason(error: Exception) -> str:
    text = str(error).splitlines()[0] if str(error) else error.__class__.__name__
    return text if len(text) < 100 else error.__class__.__name__


def dimensionality(text: str) -> str:
    """The dimension of a unit string as pint writes it, e.g. '[length] ** 3'."""
    return str(parse_unit(text).dimensionality)


@lru_cache(maxsize=4096)
def conversion_factor(from_unit: str, to_unit: str) -> float:
    """The scalar that converts magnitudes in `from_unit` into `to_unit`.

    Raises UnitError when the two units have different dimensions.
    """
    source = parse_unit(from_unit)
    target = parse_unit(to_unit)
    try:
        factor = float((source / target).to("dimensionless").magnitude)
    except pint.errors.DimensionalityError:
        raise UnitError(
            f"cannot convert '{from_unit}' ({source.dimensionality}) to '{to_unit}' ({target.dimensionality})"
        ) from None
    except Exception as exc:  # noqa: BLE001 - offset units (degC) and overflow inside pint
        raise UnitError(f"cannot convert '{from_unit}' to '{to_unit}' ({_reason(exc)})") from None
    if not math.isfinite(factor) or factor <= 0:
        raise UnitError(
            f"cannot convert '{from_unit}' to '{to_unit}': the factor {factor} is not a positive number"
        )
    return factor


def has_dimension(unit: str, dimension: str) -> bool:
    """True when `unit` has the pint dimension `dimension` (e.g. '[energy]', '[volume]')."""
    try:
        return bool(parse_unit(unit).check(dimension))
    except UnitError:
        raise
    except Exception as exc:  # noqa: BLE001 - pint's dimension check on an odd but parsed unit
        raise UnitError(f"{EXAMPLES} ({_reason(exc)})") from None
