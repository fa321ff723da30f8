"""Published tables (inputs/<org>/published/*.yaml) read into one table of printed figures, each
with its period, region, unit and rounding interval in its KPI's own unit (tCO2e, MWh, m**3,
tCO2e per person ...): a figure printed in kgCO2e per employee and one in tCO2e per employee
are compared after conversion, with the rounding interval taken in the printed unit."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from carbon.errors import InputFileError, Problem, ReconcileError, UnitError
from carbon.models.files import PublishedDocument, PublishedFile, StatedFactor
from carbon.models.loading import load_model
from carbon.periods import parse_period
from carbon.reconcile.intervals import Interval, parse_printed, rounding_interval
from carbon.reconcile.rules import (
    FigureUnit,
    KpiSpec,
    example_unit,
    factor_scale,
    figure_unit,
    identities,
    known_examples,
    kpi_spec,
)
from carbon.suggest import did_you_mean

# A column or row headed "2023 (restated)" marks its figures restated, as `restated: true` does.
RESTATED = "restated"

COLUMNS = [
    "document", "title", "seed", "kpi", "period", "year", "calendar", "region", "section", "locator",
    "printed", "unit", "unit_note", "canonical_unit", "scale", "readable", "value", "decimals",
    "well_formed", "exact", "low", "high", "change_from", "coverage", "restated", "file", "key",
]  # fmt: skip


@dataclass(frozen=True)
class Factor:
    """A factor stated in a document, as an interval in t of the emissions KPI per unit of the
    activity KPI (both in their own units)."""

    document: str
    emissions: str
    activity: str
    period: str | None
    region: str
    printed: str
    unit: str
    locator: str
    interval: Interval


@dataclass
class Published:
    figures: pd.DataFrame
    documents: dict[str, PublishedDocument] = field(default_factory=dict)
    factors: list[Factor] = field(default_factory=list)


def load_published(folder: Path) -> Published:
    """Every printed figure of every document in `folder`; ReconcileError (exit 2) lists every
    problem with its file and key."""
    files = sorted(Path(folder).glob("*.yaml"))
    if not files:
        raise ReconcileError(f"{folder}: no published tables (<document>.yaml) to reconcile")
    rows: list[dict] = []
    problems: list[Problem] = []
    published = Published(pd.DataFrame())
    for path in files:
        try:
            data = load_model(path, PublishedFile, "published-table")
        except InputFileError as error:
            problems += error.problems
            continue
        if data.document.id in published.documents:
            problems.append(
                Problem(
                    str(path),
                    None,
                    None,
                    data.document.id,
                    "a document id used by no other file",
                    key="document.id",
                )
            )
            continue
        published.documents[data.document.id] = data.document
        rows += _figure_rows(path, data, problems)
        published.factors += _stated_factors(path, data, problems)
    if problems:
        raise ReconcileError("published tables have problems:\n" + "\n".join(f"  - {p}" for p in problems))
    published.figures = pd.DataFrame(rows, columns=COLUMNS)
    return published


def _spec(path: Path, key: str, kpi: str, problems: list[Problem]) -> KpiSpec | None:
    spec = kpi_spec(kpi)
    if spec is None:
        problems.append(
            Problem(
                str(path), None, None, kpi, f"a known KPI key{did_you_mean(kpi, known_examples())}", key=key
            )
        )
    return spec


def _unit(path: Path, key: str, unit: str, spec: KpiSpec, problems: list[Problem]) -> FigureUnit | None:
    try:
        return figure_unit(unit, spec)
    except UnitError as error:
        text = str(error)
        if spec.key not in text:  # pint could not read it: say what this KPI is printed in
            text = f"a unit for {spec.key} such as {example_unit(spec)}; {text}"
        problems.append(Problem(str(path), None, None, unit, text, key=key))
        return None


def _figure_rows(path: Path, data: PublishedFile, problems: list[Problem]) -> list[dict]:
    rows = []
    exact_units = set(identities().exact_units)
    for index, figure in enumerate(data.figures, start=1):
        key = f"figures[{index}]"
        spec = _spec(path, f"{key}.kpi", figure.kpi, problems)
        unit = None if spec is None else _unit(path, f"{key}.unit", figure.unit, spec, problems)
        if spec is None or unit is None:
            continue
        change = figure.change_from is not None
        parsed = parse_printed(figure.printed, allow_percent=change)
        value, decimals, well_formed = parsed if parsed else (float("nan"), 0, False)
        if change and figure.direction == "decrease" and value > 0:
            value = -value
        # A count printed whole in its own unit is exact; "2.2 thousand" or an FTE of 12.5 is rounded.
        counted = spec.family.exact or figure.unit.strip() in exact_units
        exact = counted and decimals == 0 and abs(unit.scale - 1) < 1e-12
        interval = rounding_interval(value, decimals, exact)
        scale = 100 * unit.scale if change else unit.scale  # a change is kept in per cent
        fiscal = data.document.fiscal_year_end
        period = figure.when(fiscal)
        assert period is not None  # a figure's model requires a year or a period
        rows.append(
            {
                "document": data.document.id,
                "title": data.document.title,
                "seed": data.document.seed,
                "kpi": figure.kpi,
                "period": period.label,
                "year": period.end_year,
                "calendar": period.calendar,
                "region": figure.region.strip(),
                "section": figure.section,
                "locator": figure.place,
                "printed": figure.printed,
                "unit": figure.unit,
                "unit_note": unit.note,
                "canonical_unit": "%" if change else unit.base,
                "scale": scale,
                "readable": parsed is not None,
                "value": value,
                "decimals": decimals,
                "well_formed": well_formed,
                "exact": exact,
                "low": interval.low * scale,
                "high": interval.high * scale,
                "change_from": ""
                if figure.change_from is None
                else parse_period(figure.change_from, fiscal).label,
                "coverage": figure.coverage,
                "restated": figure.restated
                or RESTATED in f"{figure.row} {figure.column} {figure.locator}".lower(),
                "file": str(path),
                "key": key,
            }
        )
    return rows


def _stated_factors(path: Path, data: PublishedFile, problems: list[Problem]) -> list[Factor]:
    factors = []
    for index, stated in enumerate(data.stated_factors, start=1):
        key = f"stated_factors[{index}]"
        emissions = _spec(path, f"{key}.emissions", stated.emissions, problems)
        activity = _spec(path, f"{key}.activity", stated.activity, problems)
        if emissions is None or activity is None:
            continue
        interval = _factor_interval(path, key, stated, emissions, activity, problems)
        if interval is None:
            continue
        when = stated.when(data.document.fiscal_year_end)
        factors.append(
            Factor(
                document=data.document.id,
                emissions=stated.emissions,
                activity=stated.activity,
                period=None if when is None else when.label,
                region=stated.region.strip(),
                printed=stated.printed,
                unit=stated.unit,
                locator=stated.place,
                interval=interval,
            )
        )
    return factors


def _factor_interval(
    path: Path, key: str, stated: StatedFactor, emissions: KpiSpec, activity: KpiSpec, problems: list[Problem]
) -> Interval | None:
    """The stated factor in the emissions KPI's unit per unit of the activity KPI."""
    parsed = parse_printed(stated.printed)
    if parsed is None:
        problems.append(
            Problem(str(path), None, None, stated.printed, "a number as printed", key=f"{key}.printed")
        )
        return None
    try:
        scale = factor_scale(stated.unit, emissions, activity)
    except UnitError as error:
        problems.append(Problem(str(path), None, None, stated.unit, str(error), key=f"{key}.unit"))
        return None
    value, decimals, _ = parsed
    return rounding_interval(value, decimals).scaled(scale)
