"""Aggregates of emission lines and activity rows, and the per-year inventory built from them
(the contract of carbon/models/inventory.py).

Location- and market-based Scope 2 are kept apart and never summed together; each total
uses exactly one of them. Which activities count as energy, and which resource figures the
contract has, is the vocabulary's to say.
"""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pandas as pd

from carbon.calculate import Lines
from carbon.errors import CarbonError
from carbon.factors import FACTOR_ATTRIBUTES, FactorSet
from carbon.ledger import Organisation
from carbon.models.inventory import FactorSetRef, FigureUncertainty, Inventory, InventoryYear, inventory_model
from carbon.models.vocabulary import vocabulary
from carbon.units import conversion_factor, has_dimension


def _sum_by_year(frame: pd.DataFrame, mask: pd.Series, years: list[int], column: str = "tco2e") -> pd.Series:
    return frame.loc[mask].groupby("year")[column].sum().reindex(years, fill_value=0.0).astype("float64")


def energy_mwh_multiplier(rows: pd.DataFrame) -> pd.Series:
    """Per row, the multiplier from `quantity` to MWh of energy used (0 for non-energy rows).

    Rows given in an energy unit convert straight to MWh (69.92 MWh stays exactly 69.92, so the
    totals equal the printed tables); fuel given by volume or mass goes via its canonical energy
    unit. Activities without an `energy` key (instruments, resources) are not energy used: 0.
    """
    activities = vocabulary().activities
    energy_activities = {a: activities[a].canonical_unit for a in vocabulary().energy_keys}
    units = rows["unit"].astype("category")  # map the distinct units, not every row
    per_unit = {
        u: conversion_factor(str(u), "MWh")
        if str(u).strip() and has_dimension(str(u), "[energy]")
        else np.nan
        for u in units.cat.categories
    }
    direct = units.map(per_unit).astype("float64")
    to_mwh = {a: conversion_factor(unit, "MWh") for a, unit in energy_activities.items()}
    via_canonical = rows["canonical_multiplier"] * rows["activity"].astype("category").map(to_mwh).astype(
        "float64"
    )
    multiplier = direct.where(direct.notna(), via_canonical)
    return multiplier.where(rows["activity"].isin(list(energy_activities)), 0.0).astype("float64")


def _energy_mwh(rows: pd.DataFrame, years: list[int]) -> dict[str, pd.Series]:
    """Energy used per energy key of the vocabulary, in MWh."""
    frame = pd.DataFrame({"year": rows["year"], "energy_mwh": rows["quantity"] * energy_mwh_multiplier(rows)})
    by_key: dict[str, list[str]] = {}
    for activity, key in vocabulary().energy_keys.items():
        by_key.setdefault(key, []).append(activity)
    return {
        key: _sum_by_year(frame, rows["activity"].isin(members), years, "energy_mwh")
        for key, members in by_key.items()
    }


def _ratio(numerator: float, denominator: float | None) -> float | None:
    if denominator is None or not np.isfinite(denominator) or denominator == 0:
        return None
    return float(numerator / denominator)


def employees_by_year(organisation: Organisation, years: list[int]) -> dict[int, float | None]:
    return {year: _metric(organisation, year, "employees") for year in years}


def _metric(organisation: Organisation, year: int, name: str) -> float | None:
    if year not in organisation.metrics.index:
        return None
    value = organisation.metrics.at[year, name]
    return None if pd.isna(value) else float(value)


# Summaries are computed from aggregates: emission lines and ledger rows grouped by what the
# summary and the method notes need, with sums and counts. The in-memory run aggregates its
# lines; a chunked run adds up per-chunk aggregates (combine); both then share this code.
LINE_GROUP = [
    "year",
    "scope",
    "category",
    "method",
    "gas",
    "activity",
    "factor_id",
    "factor_region",
    "factor_data_year",
    "selection_note",
    "gwp_basis",
    "factor_confidence",
    "quality_class",
]
LINE_SUMS = ["tco2e", "emissions_t_gas", "quantity_canonical", "used_quantity", "line_count"]
ROW_GROUP = ["year", "activity", *FACTOR_ATTRIBUTES, "unit", "canonical_multiplier", "conversion_flag"]
ROW_SUMS = ["quantity", "quantity_canonical", "row_count"]


# The conversion steps a reader must be told about: a density (mass and volume of a fuel) and a
# named conversion of the vocabulary, each with its source id and confidence as the text says.
NOTED_STEP = re.compile(r"(density [^)]*\)|named conversion \S+ \([^)]*\))")


def conversion_flags(conversion: pd.Series) -> pd.Series:
    """The noted conversion steps of each row's conversion text ('' for plain unit changes)."""
    values = conversion.astype("category")
    flag = {c: "; ".join(NOTED_STEP.findall(str(c))) for c in values.cat.categories}
    return values.map(flag).astype("category")


def _plain(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Categorical keys as plain values (chunks' categories differ)."""
    return frame.astype({k: "object" for k in keys if isinstance(frame[k].dtype, pd.CategoricalDtype)})


def _by_value(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Plain (non-categorical) keys in value order, so later sums add up in the same order
    whatever the input format's category codes were (CSV and Parquet give identical totals)."""
    return (
        _plain(frame, keys)
        .sort_values(keys, key=lambda column: column.astype(str), kind="stable")
        .reset_index(drop=True)
    )


def aggregate_lines(lines: pd.DataFrame) -> pd.DataFrame:
    frame = lines[LINE_GROUP + ["tco2e", "emissions_t_gas", "quantity_canonical"]].assign(
        used_quantity=lines["quantity_canonical"] * lines["applied_share"], line_count=1
    )
    return _by_value(
        frame.groupby(LINE_GROUP, observed=True, dropna=False)[LINE_SUMS].sum().reset_index(), LINE_GROUP
    )


def aggregate_rows(rows: pd.DataFrame) -> pd.DataFrame:
    frame = rows[
        [c for c in ROW_GROUP if c != "conversion_flag"] + ["quantity", "quantity_canonical"]
    ].assign(conversion_flag=conversion_flags(rows["conversion"]), row_count=1)
    return _by_value(
        frame.groupby(ROW_GROUP, observed=True, dropna=False)[ROW_SUMS].sum().reset_index(), ROW_GROUP
    )


def line_totals(computed: Lines) -> pd.DataFrame:
    """aggregate_lines of normalised lines: sums per line key by bincount, then grouped on the
    small key table."""
    index, lines = computed.line_index, computed.lines
    size = len(computed.keys)

    def total(weights: np.ndarray | None) -> np.ndarray:
        return np.bincount(index, weights=weights, minlength=size)

    sums = {
        "tco2e": total(lines["tco2e"].to_numpy()),
        "emissions_t_gas": total(lines["emissions_t_gas"].to_numpy()),
        "quantity_canonical": total(lines["quantity_canonical"].to_numpy()),
        "used_quantity": total(lines["quantity_canonical"].to_numpy() * lines["applied_share"].to_numpy()),
        "line_count": total(None).astype(np.int64),
    }
    frame = computed.keys[LINE_GROUP].assign(**sums)
    frame = frame[frame["line_count"] > 0]
    # In no particular order: `combine` puts every chunk's totals in value order before adding.
    return frame.groupby(LINE_GROUP, dropna=False, sort=False)[LINE_SUMS].sum().reset_index()


def row_totals(computed: Lines) -> pd.DataFrame:
    """aggregate_rows of the rows behind normalised lines: sums per row key by bincount."""
    index, rows = computed.row_index, computed.rows
    size = len(computed.row_keys)
    frame = computed.row_keys[[c for c in ROW_GROUP if c != "conversion_flag"]].assign(
        conversion_flag=conversion_flags(computed.row_keys["conversion"]).astype(str),
        quantity=np.bincount(index, weights=rows["quantity"].to_numpy(), minlength=size),
        quantity_canonical=np.bincount(index, weights=rows["quantity_canonical"].to_numpy(), minlength=size),
        row_count=np.bincount(index, minlength=size).astype(np.int64),
    )
    return frame.groupby(ROW_GROUP, dropna=False, sort=False)[ROW_SUMS].sum().reset_index()  # as above


def combine(parts: list[pd.DataFrame], keys: list[str], sums: list[str]) -> pd.DataFrame:
    """Add up the aggregates of several chunks, then put them in key-value order. A part has one
    row per key, so each key's sums are added in chunk order whatever order a part is in."""
    frame = pd.concat([_plain(part, keys) for part in parts], ignore_index=True)
    return _by_value(frame.groupby(keys, dropna=False, sort=False)[sums].sum().reset_index(), keys)


def year_summaries(
    lines: pd.DataFrame,
    rows: pd.DataFrame,
    organisation: Organisation,
    uncertainty: dict[int, dict[str, FigureUncertainty]] | None = None,
) -> list[InventoryYear]:
    """Per-year inventory (the contract's InventoryYear) from aggregated lines and rows, with the
    figures' intervals where given (carbon.uncertainty)."""
    vocab = vocabulary()
    _, year_model, intensity_model = inventory_model(vocab)
    years = sorted(int(y) for y in rows["year"].unique())
    scope1 = _sum_by_year(lines, lines["scope"] == 1, years)
    scope2_location = _sum_by_year(lines, (lines["scope"] == 2) & (lines["method"] == "location"), years)
    scope2_market = _sum_by_year(lines, (lines["scope"] == 2) & (lines["method"] == "market"), years)
    scope3_lines = lines[lines["scope"] == 3]
    scope3_by_category = scope3_lines.pivot_table(
        index="year", columns="category", values="tco2e", aggfunc="sum", fill_value=0.0
    )
    scope3 = _sum_by_year(lines, lines["scope"] == 3, years)
    energy = _energy_mwh(rows, years)
    resources = _resources(rows, years)

    summaries = []
    for year in years:
        total_location = scope1[year] + scope2_location[year] + scope3[year]
        total_market = scope1[year] + scope2_market[year] + scope3[year]
        employees = _metric(organisation, year, "employees")
        revenue = _metric(organisation, year, "revenue")
        energy_total = sum(series[year] for series in energy.values())
        categories = (
            scope3_by_category.loc[year] if year in scope3_by_category.index else pd.Series(dtype="float64")
        )
        figures = {
            name: (
                {part: float(s[year]) for part, s in value.items()}
                if isinstance(value, dict)
                else float(value[year])
            )
            for name, value in resources.items()
        }
        per_employee = {
            resource.per_employee: _ratio(_total(figures[name]), employees)
            for name, resource in vocab.resources.items()
        }
        values = {
            "year": year,
            "scope1": float(scope1[year]),
            "scope2_location": float(scope2_location[year]),
            "scope2_market": float(scope2_market[year]),
            "scope3": float(scope3[year]),
            "scope3_by_category": {str(c): float(v) for c, v in categories.items() if v != 0},
            "total_location": float(total_location),
            "total_market": float(total_market),
            "energy_mwh": {
                "total": float(energy_total),
                **{key: float(s[year]) for key, s in energy.items()},
            },
            **figures,
            # A whole headcount stays an integer; a scenario's scaled headcount is not rounded.
            "employees": None
            if employees is None
            else (int(employees) if float(employees).is_integer() else employees),
            "revenue_rmb_million": revenue,
            "intensity": {
                "tco2e_per_employee": _ratio(total_location, employees),
                "tco2e_per_employee_market": _ratio(total_market, employees),
                "energy_mwh_per_employee": _ratio(energy_total, employees),
                **per_employee,
                "tco2e_per_rmb_million": _ratio(total_location, revenue),
            },
        }
        _require_finite(values, f"year {year}")
        summaries.append(
            year_model.model_validate({**values, "uncertainty": (uncertainty or {}).get(year, {})})
        )
    return summaries


def _total(value: float | dict[str, float]) -> float:
    return float(sum(value.values())) if isinstance(value, dict) else float(value)


def _resources(rows: pd.DataFrame, years: list[int]) -> dict[str, pd.Series | dict[str, pd.Series]]:
    """Each resource of the vocabulary per year: canonical quantity summed, split by class where asked."""
    figures: dict[str, pd.Series | dict[str, pd.Series]] = {}
    for name, resource in vocabulary().resources.items():
        mine = rows["activity"].isin(resource.activities)
        if resource.split is None:
            figures[name] = _sum_by_year(rows, mine, years, "quantity_canonical")
            continue
        classes = (
            rows[resource.split.attribute].astype(str).map(vocabulary().classes(resource.split.attribute))
        )
        figures[name] = {
            cls: _sum_by_year(rows, mine & (classes == cls), years, "quantity_canonical")
            for cls in resource.split.classes
        }
    return figures


def _require_finite(values: dict, where: str) -> None:
    """Every published number is finite: a result that is not comes from inputs at the edge of
    their bounds (a tiny denominator, say), and is refused rather than printed as Infinity."""
    for key, value in values.items():
        if isinstance(value, dict):
            _require_finite(value, f"{where}, {key}")
        elif isinstance(value, float) and not np.isfinite(value):
            raise CarbonError(
                f"{where}, {key}: the result is not a finite number; an input quantity, factor or "
                "denominator is too large or too small to divide by"
            )


def method_notes(
    lines: pd.DataFrame, rows: pd.DataFrame, factor_set: FactorSet, gwp_set: str, as_of: date
) -> list[str]:
    """What a reader must know to reproduce the figures: factors chosen, fallbacks, caveats.

    Takes aggregated lines and rows (aggregate_lines, aggregate_rows)."""
    notes = [
        f"Factor set {factor_set.label}; GWP {gwp_set} (100-year); factors published on or before "
        f"{as_of.isoformat()}."
    ]
    released = str(factor_set.manifest.get("released") or "")
    if released and released > as_of.isoformat():
        notes.append(
            f"Factor set {factor_set.label} was released on {released}, after the as-of date, and no "
            f"earlier version "
            f"exists: only its factors published on or before {as_of.isoformat()} are used."
        )
    keys = ["year", "activity", "method", "factor_region", "factor_data_year"]
    chosen = (
        lines.groupby(keys, dropna=False, observed=True)["factor_id"]
        .agg(lambda ids: ", ".join(sorted(set(map(str, ids)))))
        .reset_index()
    )
    for row in chosen.itertuples(index=False):
        method = f" {row.method}-based" if row.method else ""
        notes.append(
            f"{row.year} {row.activity}{method}: data year {row.factor_data_year}, region "
            f"{row.factor_region} ({row.factor_id})"
        )
    fallbacks = (
        lines[lines["selection_note"] != ""]
        .groupby(["year", "activity", "selection_note"], observed=True)["line_count"]
        .sum()
    )
    for (year, activity, note), count in fallbacks.items():
        notes.append(f"Caveat, {year} {activity}: {note} ({count} lines)")
    other_basis = lines[(lines["gas"] == "CO2e") & (lines["gwp_basis"] != gwp_set)]
    for (year, basis), group in other_basis.groupby(["year", "gwp_basis"], observed=True):
        ids = ", ".join(sorted(group["factor_id"].astype(str).unique()))
        notes.append(
            f"Mixed GWP basis, {year}: {group['tco2e'].sum():.2f} tCO2e on {int(group['line_count'].sum())} "
            f"lines come from "
            f"CO2e factors on {basis}, not {gwp_set} (published in CO2e only, not re-based): {ids}"
        )
    notes += _instrument_notes(lines)
    flags = (
        rows[rows["conversion_flag"].astype(str) != ""]
        .groupby("conversion_flag", observed=True)["row_count"]
        .sum()
    )
    for flag, count in flags.items():
        notes.append(
            f"Conversion on {int(count)} ledger rows through {flag} (see the conversion column of the "
            f"emission lines)."
        )
    return notes


def _instrument_notes(lines: pd.DataFrame) -> list[str]:
    """Per year and covered activity: instrument quantity used, and any excess reported as unused."""
    instruments = vocabulary().instruments
    notes = []
    for covered in sorted(set(instruments.values())):
        kinds = [a for a, target in instruments.items() if target == covered]
        held_lines = lines[lines["activity"].isin(kinds)]
        use = lines[(lines["activity"] == covered) & (lines["method"] == "market")]
        unit = vocabulary().activity(covered).canonical_unit
        for year, group in held_lines.groupby("year"):
            held, used = group["quantity_canonical"].sum(), group["used_quantity"].sum()
            consumed = use.loc[use["year"] == year, "quantity_canonical"].sum()
            note = (
                f"Instruments, {year}: {held:,.2f} {unit} of {' / '.join(kinds)} "
                f"({int(group['line_count'].sum())} "
                f"instrument rows) cover {used:,.2f} of {consumed:,.2f} {unit} of {covered} in the "
                f"market-based total"
            )
            if held - used > 1e-9:
                note += (
                    f"; {held - used:,.2f} {unit} unused (in excess of use in the same year and market; "
                    "not carried over)"
                )
            notes.append(note)
    return notes


def inventory_document(
    organisation_name: str,
    gwp_set: str,
    as_of: date,
    factor_set: FactorSet,
    years: list[InventoryYear],
    notes: list[str],
) -> Inventory:
    """The inventory contract (`carbon inventory --format json`), with method notes."""
    inventory, _, _ = inventory_model()
    return inventory(
        organisation=organisation_name,
        gwp=gwp_set,
        as_of=as_of.isoformat(),
        factor_sets=[FactorSetRef(name=factor_set.name, version=factor_set.version)],
        years=years,
        notes=notes,
    )
