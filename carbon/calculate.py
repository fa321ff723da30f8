"""Stage 3: quantity x factor x GWP -> emission lines, one per ledger row and factor component.

Everything here is column arithmetic on whole DataFrames: a merge to attach factors, one
multiply for the gas mass, one for CO2e.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from carbon.errors import FactorSetError
from carbon.factors import FACTOR_ATTRIBUTES, GLOBAL_REGION, KEY, FactorSet
from carbon.models.vocabulary import vocabulary
from carbon.units import conversion_factor, has_dimension

LINE_COLUMNS = [
    "record_id",
    "year",
    "site",
    "region",
    "activity",
    *FACTOR_ATTRIBUTES,
    "scope",
    "category",
    "method",
    "gas",
    "quantity",
    "unit",
    "quantity_canonical",
    "canonical_unit",
    "conversion",
    "factor_id",
    "factor_value",
    "factor_unit",
    "factor_region",
    "factor_data_year",
    "factor_published",
    "factor_confidence",
    "factor_source_id",
    "factor_source",
    "selection_note",
    "gwp_set",
    "gwp",
    "gwp_basis",
    "applied_share",
    "emissions_t_gas",
    "tco2e",
    "factor_set",
    "factor_set_version",
    "source",
    "ledger_file",
    "ledger_row",
]


# Factor-table columns renamed on the emission line so they cannot clash with ledger columns.
FACTOR_RENAMES = {
    "value": "factor_value",
    "unit": "factor_unit",
    "data_year": "factor_data_year",
    "published": "factor_published",
    "confidence": "factor_confidence",
    "source_id": "factor_source_id",
}


def _fuel_properties(
    factor_set: FactorSet, fuel: str, name: str, dimension: str | None = None
) -> list[pd.Series]:
    """The fuel's properties called `name` (e.g. every 'ncv'), those of one unit dimension if given."""
    table = factor_set.fuel_properties
    match = table[(table["fuel"] == fuel) & (table["property"] == name)]
    return [
        row for _, row in match.iterrows() if dimension is None or has_dimension(str(row["unit"]), dimension)
    ]


def _describe(row: pd.Series) -> str:
    return (
        f"{row['property']} {row['value']:g} {row['unit']} "
        f"({row['property_id']}, confidence: {row['confidence']})"
    )


def energy_path(factor_set: FactorSet, fuel: str, basis_unit: str, canonical: str) -> tuple[float, str]:
    """Multiplier from one basis unit (t or m**3) of a fuel to its canonical energy unit, and
    the conversion in words. A net calorific value in the basis's own dimension is used
    directly; otherwise the density bridges mass and volume."""
    per_mass = _fuel_properties(factor_set, fuel, "ncv", "[energy] / [mass]")
    per_volume = _fuel_properties(factor_set, fuel, "ncv", "[energy] / [volume]")
    density = _fuel_properties(factor_set, fuel, "density", "[mass] / [volume]")
    direct, other = (per_volume, per_mass) if basis_unit == "m**3" else (per_mass, per_volume)
    if direct:
        ncv = direct[0]
        return float(ncv["value"]) * conversion_factor(
            f"({ncv['unit']}) * {basis_unit}", canonical
        ), f"x {_describe(ncv)}"
    if other and density:
        ncv, rho = other[0], density[0]
        t_per_m3 = float(rho["value"]) * conversion_factor(f"({rho['unit']}) * m**3", "t")
        through = t_per_m3 if basis_unit == "m**3" else 1 / t_per_m3
        other_basis = "t" if basis_unit == "m**3" else "m**3"
        multiplier = (
            through * float(ncv["value"]) * conversion_factor(f"({ncv['unit']}) * {other_basis}", canonical)
        )
        return (
            multiplier,
            f"x {_describe(rho) if basis_unit == 'm**3' else '1 / ' + _describe(rho)} x {_describe(ncv)}",
        )
    wanted = (
        "a net calorific value per volume, or per mass with a density"
        if basis_unit == "m**3"
        else "a net calorific value per mass, or per volume with a density"
    )
    raise FactorSetError(
        f"{factor_set.label}: fuel_properties has no way to convert '{fuel}' given in {basis_unit} to "
        f"{canonical}: expected {wanted}"
    )


def fuel_to_energy(rows: pd.DataFrame, factor_set: FactorSet) -> pd.DataFrame:
    """Fill `quantity_canonical` for every row; fuel given by mass or volume goes through its
    net calorific value (and density where needed), as the factor set's fuel_properties give."""
    rows = rows.copy()
    rows["conversion"] = rows["conversion"].astype(str)  # rewritten below for fuel rows
    # quantity_canonical = quantity x canonical_multiplier: one multiplier per row, so a
    # spreadsheet can show the conversion as a single multiplication.
    rows["canonical_multiplier"] = rows["basis_multiplier"].where(rows["is_canonical"])
    activities = vocabulary().activities
    rows["canonical_unit"] = rows["activity"].map({a: spec.canonical_unit for a, spec in activities.items()})
    for activity, spec in activities.items():
        pending = (rows["activity"] == activity) & ~rows["is_canonical"]
        if not spec.fuel or not pending.any():
            continue
        for basis_unit in rows.loc[pending, "basis_unit"].astype(str).unique():
            multiplier, words = energy_path(factor_set, spec.fuel, basis_unit, spec.canonical_unit)
            these = pending & (rows["basis_unit"] == basis_unit)
            rows.loc[these, "canonical_multiplier"] = rows.loc[these, "basis_multiplier"] * multiplier
            rows.loc[these, "conversion"] = (
                rows.loc[these, "conversion"].str.replace(", then fuel properties to", ",", regex=False)
                + " "
                + words
            )
    rows["quantity_canonical"] = rows["quantity"] * rows["canonical_multiplier"]
    rows["conversion"] = rows["conversion"].astype("category")
    rows["canonical_unit"] = rows["canonical_unit"].astype("category")
    return rows


def attach_key_ids(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Give each row the integer id of its factor key (activity, region, year, attributes)."""
    rows = rows.copy()
    rows["key_id"] = rows.groupby(KEY, sort=True, observed=True).ngroup()
    keys = rows.drop_duplicates("key_id")[["key_id", *KEY]].reset_index(drop=True)
    return rows, keys


def market_of(factor_set: FactorSet) -> dict[str, str]:
    """Each region's market for contractual instruments: its last ancestor below GLOBAL (for China, CN).

    Certificates and green power trades in China are national instruments, so a certificate
    registered in CN covers use in any province.
    """
    parent = dict(zip(factor_set.regions["region"], factor_set.regions["parent"], strict=True))
    markets = {}
    for region in parent:
        market = region
        while parent.get(market) not in ("", None, GLOBAL_REGION):
            market = parent[market]
        markets[region] = market
    return markets


def _map_distinct(column: pd.Series, mapping: Callable[[str], str | None]) -> np.ndarray:
    """`mapping` of each value, called once per distinct value rather than once per row."""
    codes, distinct = pd.factorize(column)
    return np.array([mapping(str(value)) for value in distinct], dtype=object)[codes]


def _market_and_covered(frame: pd.DataFrame, factor_set: FactorSet) -> dict[str, np.ndarray]:
    """Each row's instrument market (from its region) and the activity its instruments cover.

    A region unknown to the factor set has no market (None, left out of the totals): the ledger
    check names that row, this must not fail before it."""
    markets, covers = market_of(factor_set), vocabulary().instruments
    return {
        "market": _map_distinct(frame["region"], lambda region: markets.get(region)),
        "covered": _map_distinct(frame["activity"], lambda activity: covers.get(activity, activity)),
    }


def no_coverage() -> pd.DataFrame:
    """The coverage totals of a ledger without instruments: every line applies its whole quantity."""
    return pd.DataFrame(
        {
            "year": pd.Series(dtype="int64"),
            "market": pd.Series(dtype="object"),
            "covered": pd.Series(dtype="object"),
            "demand": pd.Series(dtype="float64"),
            "supply": pd.Series(dtype="float64"),
        }
    )


def coverage_totals(rows: pd.DataFrame, factor_set: FactorSet) -> pd.DataFrame:
    """Per (year, market, covered activity): consumption `demand` and instrument `supply` (MWh).

    A chunked run adds these up over all chunks before computing any line, so an instrument in
    one chunk covers use in another exactly as in a single in-memory run.
    """
    covers = vocabulary().instruments
    covered = set(covers.values())
    relevant = rows[rows["activity"].isin(list(covers) + list(covered))]
    if relevant.empty:  # demand counts even in a chunk without instruments: totals add up across chunks
        return no_coverage()
    supplies = relevant["activity"].isin(list(covers))
    frame = pd.DataFrame(
        {
            "year": relevant["year"].to_numpy(),
            **_market_and_covered(relevant, factor_set),
            "demand": relevant["quantity_canonical"].where(~supplies, 0.0).to_numpy(),
            "supply": relevant["quantity_canonical"].where(supplies, 0.0).to_numpy(),
        }
    )
    return frame.groupby(["year", "market", "covered"], as_index=False)[["demand", "supply"]].sum()


def instrument_shares(lines: pd.DataFrame, factor_set: FactorSet, totals: pd.DataFrame) -> pd.Series:
    """The share of each line's quantity that its factor applies to (1 for most lines).

    Per (year, market, covered activity): instruments cover min(instrument MWh, consumption MWh).
    Market-based lines of a covered activity keep the uncovered share at the residual factor; instrument
    lines apply their own factor to the share of them actually used. Certificates in excess of
    consumption are therefore unused (their lines carry a share below 1) and can never make
    emissions negative.
    """
    shares = pd.Series(1.0, index=lines.index)
    if totals.empty or not (totals["supply"] > 0).any():
        return shares
    covers = vocabulary().instruments
    is_instrument = lines["activity"].isin(list(covers))
    is_market_use = (
        (lines["method"] == "market") & ~is_instrument & lines["activity"].isin(set(covers.values()))
    )
    involved = is_instrument | is_market_use
    keys = pd.DataFrame(
        {
            "year": lines.loc[involved, "year"].to_numpy(),
            **_market_and_covered(lines.loc[involved], factor_set),
        }
    )
    matched = keys.merge(totals, on=["year", "market", "covered"], how="left")
    demand = matched["demand"].astype("float64").fillna(0.0).to_numpy()
    supply = matched["supply"].astype("float64").fillna(0.0).to_numpy()
    covered = np.minimum(demand, supply)
    instrument = is_instrument[involved].to_numpy()
    used = np.divide(
        covered, supply, out=np.zeros_like(covered), where=supply > 0
    )  # share of instruments used
    uncovered = 1.0 - np.divide(
        covered, demand, out=np.zeros_like(covered), where=demand > 0
    )  # share left at the residual
    share = np.where(instrument, used, uncovered)
    shares[involved] = share
    return shares


def gwp_values(factor_set: FactorSet, gwp_set: str) -> dict[str, float]:
    table = factor_set.gwp[factor_set.gwp["gwp_set"] == gwp_set]
    if table.empty:
        sets = ", ".join(sorted(factor_set.gwp["gwp_set"].unique()))
        raise FactorSetError(f"GWP set '{gwp_set}' is not in {factor_set.label}: choose one of {sets}")
    return dict(zip(table["gas"], table["value"], strict=True))


def emission_lines(
    rows: pd.DataFrame,
    selected: pd.DataFrame,
    factor_set: FactorSet,
    gwp_set: str,
    coverage: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One line per (ledger row, selected factor component), with gas mass and CO2e in tonnes.

    `coverage` (from coverage_totals) is computed from `rows` unless a chunked run passes the
    totals of the whole ledger."""
    factor_part = selected[
        [
            "key_id",
            *FACTOR_RENAMES,
            "scope",
            "category",
            "method",
            "gas",
            "factor_id",
            "value_canonical",
            "factor_region",
            "gwp_basis",
            "selection_note",
        ]
    ].rename(columns=FACTOR_RENAMES)
    factor_part = factor_part.sort_values(["key_id", "scope", "category", "method", "gas"], kind="stable")
    for column in (
        "factor_id",
        "factor_unit",
        "factor_region",
        "factor_confidence",
        "factor_source_id",
        "gwp_basis",
        "selection_note",
        "method",
        "gas",
        "category",
    ):
        factor_part[column] = factor_part[column].astype("category")
    lines = rows.merge(factor_part, on="key_id", how="inner", sort=False)
    gwp = gwp_values(factor_set, gwp_set)
    # CO2e factors already carry their own GWP basis (e.g. DESNZ on AR5): multiply by 1.
    gas = (
        lines["gas"].astype(str) if not isinstance(lines["gas"].dtype, pd.CategoricalDtype) else lines["gas"]
    )
    lines["gwp"] = gas.map(gwp).astype("float64").where(lines["gas"] != "CO2e", 1.0)
    missing_gwp = lines["gwp"].isna()
    if missing_gwp.any():
        gases = ", ".join(sorted(lines.loc[missing_gwp, "gas"].unique()))
        raise FactorSetError(f"{factor_set.label}: GWP set {gwp_set} has no value for {gases}")
    lines["applied_share"] = instrument_shares(
        lines, factor_set, coverage_totals(rows, factor_set) if coverage is None else coverage
    )
    lines["emissions_t_gas"] = lines["quantity_canonical"] * lines["value_canonical"] * lines["applied_share"]
    lines["tco2e"] = lines["emissions_t_gas"] * lines["gwp"]
    lines["gwp_set"] = gwp_set
    titles = {sid: factor_set.source_title(sid) for sid in lines["factor_source_id"].unique()}
    lines["factor_source"] = lines["factor_source_id"].map(titles).astype("category")
    lines["factor_set"] = factor_set.name
    lines["factor_set_version"] = factor_set.version
    # The merge keeps ledger order and, within a row, the order of `selected` (sorted by
    # component), so lines are deterministic without re-sorting millions of them.
    return lines[LINE_COLUMNS].reset_index(drop=True)
