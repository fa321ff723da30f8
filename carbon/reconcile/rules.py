"""The reconciliation's data: the KPI catalogue (carbon/data/kpis.yaml) and the identity rules
(carbon/data/identities.yaml), as typed models loaded once; and the unit of a printed figure,
checked against its KPI's dimension."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

import pint
from pydantic import Field, model_validator

from carbon.errors import UnitError
from carbon.models.files import Strict, Text
from carbon.models.loading import validate
from carbon.models.vocabulary import vocabulary
from carbon.paths import DATA_DIR, data_file
from carbon.units import parse_unit


class Equivalent(Strict):
    from_: Text = Field(alias="from")
    to: Text
    note: Text


class Family(Strict):
    unit: Text
    also: list[str] = Field(default_factory=list)
    equivalents: list[Equivalent] = Field(default_factory=list)
    exact: bool = False
    prefix: str | None = None
    keys: list[str] = Field(min_length=1)


class Intensity(Strict):
    denominator: Text
    organisation_metric: Text


class Catalogue(Strict):
    families: dict[str, Family]
    intensities: dict[str, Intensity]
    template: list[str] = Field(min_length=1)


class SumRule(Strict):
    total: Text
    # A part is a key, or a list of alternative keys (the first printed one that fits is named).
    parts: list[str | list[str]] = Field(min_length=1)
    subtract: list[str] = Field(default_factory=list)
    # Keys that need not be printed for the rule to run; "all": every part and subtrahend.
    optional: list[str] | Literal["all"] = Field(default_factory=list)
    min_parts: int = Field(default=0, ge=0)
    # A breakdown of the total into lines, one of several (Scope 1 by source or by fuel): the rule
    # is left out where the table prints another line under this prefix, i.e. another breakdown.
    breakdown: str | None = None
    label: Text

    @model_validator(mode="after")
    def _all_optional(self) -> SumRule:
        if self.optional == "all":
            object.__setattr__(self, "optional", sorted(self.keys() - {self.total}))
        return self

    def keys(self) -> set[str]:
        return {
            self.total,
            *self.subtract,
            *(k for p in self.parts for k in ([p] if isinstance(p, str) else p)),
        }


class ImpliedFactorRule(Strict):
    activity: list[str] = Field(min_length=1)
    emissions: list[str] = Field(min_length=1)
    source_lines: list[str] = Field(default_factory=list)
    others: list[str] = Field(default_factory=list)
    factor_activity: Text
    # Grid electricity: official series by region and year exist (the reference series are
    # compared, and an implied factor outside every one of them is inconsistent).
    grid: bool = False


class Identities(Strict):
    sums: list[SumRule]
    engine: dict[str, str]
    implied_factors: list[ImpliedFactorRule]
    exact_units: list[str]
    transcribed: list[str]
    not_figures: list[str]
    unit_aliases: dict[str, str]

    @model_validator(mode="after")
    def _keys_are_known(self) -> Identities:
        used = {k for rule in self.sums for k in (*rule.keys(), *rule.optional)} | set(self.engine)
        used |= {
            k for r in self.implied_factors for k in (*r.activity, *r.emissions, *r.others, *r.source_lines)
        }
        unknown = sorted(k for k in used if kpi_spec(k) is None)
        if unknown:
            raise ValueError(f"identity rules name keys that kpis.yaml does not list: {', '.join(unknown)}")
        activities = vocabulary().activities
        strangers = sorted(
            r.factor_activity for r in self.implied_factors if r.factor_activity not in activities
        )
        if strangers:
            raise ValueError(
                f"implied_factors name activities the vocabulary does not have: {', '.join(strangers)}"
            )
        return self


@cache
def catalogue() -> Catalogue:
    return validate(data_file("kpis.yaml"), Catalogue, str(DATA_DIR / "kpis.yaml"))


@cache
def identities() -> Identities:
    return validate(data_file("identities.yaml"), Identities, str(DATA_DIR / "identities.yaml"))


@cache
def catalogue_keys() -> dict[str, Family]:
    return {key: family for family in catalogue().families.values() for key in family.keys}


@dataclass(frozen=True)
class KpiSpec:
    """What a KPI key means: its family (units) and, for an intensity, its numerator and
    denominator keys."""

    key: str
    family: Family
    numerator: str | None = None
    denominator: str | None = None
    suffix: str | None = None


def kpi_spec(key: str) -> KpiSpec | None:
    """The spec of a key, or None when the catalogue does not know it."""
    keys = catalogue_keys()
    if key in keys:
        return KpiSpec(key, keys[key])
    for family in catalogue().families.values():
        if family.prefix and key.startswith(family.prefix) and len(key) > len(family.prefix):
            return KpiSpec(key, family)
    stem, _, suffix = key.rpartition(".")
    intensity = catalogue().intensities.get(suffix)
    if intensity is None or not stem:
        return None
    numerator = stem if stem in keys else f"{stem}.total"
    if numerator not in keys:
        return None
    return KpiSpec(key, keys[numerator], numerator, intensity.denominator, suffix)


def known_examples() -> list[str]:
    """Keys for a 'did you mean': every listed key and its intensities."""
    keys = list(catalogue_keys())
    return keys + [f"{k}.{s}" for k in keys for s in catalogue().intensities]


# ---------------------------------------------------------------- units of printed figures

_PER = re.compile(r"\s+per\s+", re.IGNORECASE)
_CO2E = re.compile(r"\b(k?g|t|kt|Mt|tonnes?)\s*CO[2₂]\s*-?\s*e(q)?\b", re.IGNORECASE)
_CO2 = re.compile(r"\b(k?g|t|tonnes?)\s+CO[2₂](?![\w-])", re.IGNORECASE)
_MASS_PREFIX = {"kg": "kg", "g": "g", "t": "t", "kt": "kt", "mt": "Mt", "tonne": "t", "tonnes": "t"}


def normalise_unit(text: str) -> str:
    """A unit as reports print it ('kgCO2e per employee', "tCO2e/'000 kWh", 'tonnes CO2e/£m')
    in the registry's terms ('kgCO2e / (employee)')."""
    text = " ".join(text.replace("₂", "2").replace("³", "**3").replace("²", "**2").split())
    for alias in sorted(identities().unit_aliases, key=len, reverse=True):
        text = text.replace(alias, f" {identities().unit_aliases[alias]} ")
    text = _CO2E.sub(lambda m: f"{_MASS_PREFIX.get(m.group(1).lower(), m.group(1))}CO2e", text)
    text = _CO2.sub(lambda m: f"{_MASS_PREFIX.get(m.group(1).lower(), m.group(1))}CO2", text)
    text = _PER.sub(" / ", " ".join(text.split()))
    numerator, slash, denominator = text.partition("/")
    return f"{numerator.strip()} / ({denominator.strip()})" if slash else text.strip()


@dataclass(frozen=True)
class FigureUnit:
    """A printed unit resolved for one KPI: the factor from the printed unit to the KPI's own unit
    (`base`, e.g. tCO2e per person) and the note of any equivalence it relied on."""

    scale: float
    base: str
    note: str = ""


def _quantity(text: str) -> pint.Quantity:
    return parse_unit(normalise_unit(text))


def _candidates(spec: KpiSpec) -> list[str]:
    """The units the KPI's figures are compared in: the family's units, over the denominator's."""
    numerators = [spec.family.unit, *spec.family.also]
    if not spec.denominator:
        return numerators
    denominator = catalogue_keys()[spec.denominator]
    return [f"{n} / ({d})" for n in numerators for d in [denominator.unit, *denominator.also]]


def _equivalents(quantity: pint.Quantity, spec: KpiSpec) -> list[tuple[pint.Quantity, str]]:
    """The quantity as printed, then under each of its family's documented equivalences."""
    return [(quantity, "")] + [
        (quantity * _quantity(e.to) / _quantity(e.from_), e.note) for e in spec.family.equivalents
    ]


def _finite_scale(quantity: pint.Quantity) -> float:
    scale = float((quantity).to("dimensionless").magnitude)
    if not math.isfinite(scale) or scale <= 0:
        raise UnitError(f"a unit that converts by a finite positive factor, not {scale}")
    return scale


def example_unit(spec: KpiSpec) -> str:
    """The unit a KPI is compared in, as a reader writes it (tCO2e per person)."""
    return unit_label(_candidates(spec)[0])


def figure_unit(unit: str, spec: KpiSpec) -> FigureUnit:
    """Resolve `unit` for the KPI `spec` into the KPI's own unit (tCO2e, MWh, tCO2e / person):
    the scale from the printed unit, and the note of any equivalence it relied on.
    UnitError says which dimension the KPI needs."""
    if unit.strip() == "%":
        return FigureUnit(0.01, "%")
    printed = _quantity(unit)
    targets = [(text, _quantity(text)) for text in _candidates(spec)]
    for quantity, note in _equivalents(printed, spec):
        for text, target in targets:
            if quantity.dimensionality == target.dimensionality:
                return FigureUnit(_finite_scale(quantity / target), unit_label(text), note)
    example = unit_label(targets[0][0])
    raise UnitError(
        f"a unit of the dimension of {example} for {spec.key} (e.g. '{example}'); "
        f"'{unit}' is {printed.dimensionality}"
    )


def unit_label(unit: str) -> str:
    """'tCO2e / (million * GBP)' as a reader writes it: 'tCO2e per million GBP'."""
    numerator, _, denominator = unit.partition(" / (")
    text = f"{numerator} per {denominator.rstrip(')')}" if denominator else numerator
    return " ".join(text.replace("**", "").replace("*", " ").split())


def factor_scale(unit: str, emissions: KpiSpec, activity: KpiSpec) -> float:
    """The scale from a stated factor's unit (kgCO2e/kWh) to the emissions KPI's unit per the
    activity KPI's unit (tCO2e per MWh); the emissions family's equivalences apply (a CO2-only
    factor)."""
    printed = _quantity(unit)
    target = _quantity(emissions.family.unit) / _quantity(activity.family.unit)
    for quantity, _ in _equivalents(printed, emissions):
        if quantity.dimensionality == target.dimensionality:
            return _finite_scale(quantity / target)
    example = f"{emissions.family.unit}/{activity.family.unit}"
    raise UnitError(
        f"a factor unit of the dimension of {example} (e.g. 'kgCO2e/kWh') for {emissions.key} over "
        f"{activity.key}; '{unit}' is {printed.dimensionality}"
    )
