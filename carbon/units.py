"""The one pint registry, unit parsing with clear refusals, and array-friendly conversion.

Definitions live in carbon/data/units.txt. Each distinct unit string is parsed once (cached);
magnitudes are converted by multiplying whole columns with the resulting scalar.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pint

from carbon.errors import UnitError
from carbon.paths import DATA_DIR, data_file

REGISTRY = pint.UnitRegistry()
REGISTRY.load_definitions(str(DATA_DIR / "units.txt"))


def vocabulary() -> dict:
    return data_file("vocabulary.yaml")


_WORD = re.compile(r"[A-Za-z_]+")


@lru_cache(maxsize=4096)
def parse_unit(text: str) -> pint.Unit:
    """Parse a unit string such as 'MWh', 'thousand kWh', 'm**3' or 'm³'; refuse ambiguous ones."""
    text = str(text).strip()
    if not text:
        raise UnitError("empty unit: expected a unit such as MWh, kWh, L, t, m**3")
    banned = vocabulary()["banned_units"]
    for word in _WORD.findall(text):
        if word.lower() in banned:
            raise UnitError(banned[word.lower()])
    try:
        quantity = REGISTRY.parse_expression(text)
    except (pint.errors.PintError, AttributeError, TypeError, SyntaxError, ValueError) as exc:
        raise UnitError(f"'{text}' is not a unit pint understands ({exc.__class__.__name__})") from None
    if not isinstance(quantity, pint.Quantity) or quantity.dimensionless:
        raise UnitError(f"'{text}' is a bare number, not a unit")
    # A leading number word ("thousand kWh") is a scale factor folded into the unit.
    return REGISTRY.Quantity(quantity.magnitude, quantity.units)


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
        return float((source / target).to("dimensionless").magnitude)
    except pint.errors.DimensionalityError:
        raise UnitError(
            f"cannot convert '{from_unit}' ({source.dimensionality}) to '{to_unit}' ({target.dimensionality})"
        ) from None


def has_dimension(unit: str, dimension: str) -> bool:
    """True when `unit` has the pint dimension `dimension` (e.g. '[energy]', '[volume]')."""
    return parse_unit(unit).check(dimension)
