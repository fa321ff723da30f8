"""Stage 3: quantity x factor x GWP -> emission lines, one per ledger row and factor component.

Everything here is column arithmetic on whole DataFrames: a merge to attach factors, one
multiply for the gas mass, one for CO2e.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from carbon.errors import FactorSetError
from carbon.factors import GLOBAL_REGION, KEY, FactorSet
from carbon.units import conversion_factor, vocabulary

LINE_COLUMNS = [
    "record_id", "year", "site", "region", "activity", "waste_type", "route",
    "scope", "category", "method", "gas",
    "quantity", "unit", "quantity_canonical", "canonical_unit", "conversion",
    "factor_id", "factor_value", "factor_unit", "factor_region", "factor_data_year", "factor_published",
    "factor_confidence", "factor_source_id", "factor_source", "selection_note",
    "gwp_set", "gwp", "gwp_basis", "applied_share", "emissions_t_gas", "tco2e",
    "factor_set", "factor_set_version", "source", "ledger_file", "ledger_row",
]


# Factor-table columns renamed on the emission line so they cannot clash with ledger columns.
FACTOR_RENAMES = {"value": "factor_value", "unit": "factor_unit", "data_year": "factor_data_year",
                  "published": "factor_published", "confidence": "factor_confidence", "source_id": "factor_source_id"}


def _fuel_property(factor_set: FactorSet, fuel: str, name: str) -> pd.Series:
    table = factor_set.fuel_properties
    match = table[(table["fuel"] == fuel) & (table["property"] == name)]
    if match.empty:
        raise FactorSetError(f"{factor_set.label}: no '{name}' for fuel '{fuel}' in fuel_properties (needed to convert mass or volume to energy)")
    return match.iloc[0]


def fuel_to_energy(rows: pd.DataFrame, factor_set: FactorSet) -> pd.DataFrame:
    """Fill `quantity_canonical` for every row; fuel given by mass or volume goes through NCV and density."""
    rows = rows.copy()
    rows["conversion"] = rows["conversion"].astype(str)  # rewritten below for fuel rows
    # quantity_canonical = quantity x canonical_multiplier: one multiplier per row, so a
    # spreadsheet can show the conversion as a single multiplication.
    rows["canonical_multiplier"] = rows["basis_multiplier"].where(rows["is_canonical"])
    rows["canonical_unit"] = rows["activity"].map({a: s["canonical_unit"] for a, s in vocabulary()["activities"].items()})
    for activity, spec in vocabulary()["activities"].items():
        pending = (rows["activity"] == activity) & ~rows["is_canonical"]
        if "fuel" not in spec or not pending.any():
            continue
        ncv = _fuel_property(factor_set, spec["fuel"], "ncv")
        tj_per_t = ncv["value"] * conversion_factor(f"({ncv['unit']}) * t", spec["canonical_unit"])
        by_volume = pending & (rows["basis_unit"] == "m**3")
        by_mass = pending & (rows["basis_unit"] == "t")
        if by_volume.any():
            density = _fuel_property(factor_set, spec["fuel"], "density")
            t_per_m3 = density["value"] * conversion_factor(f"({density['unit']}) * m**3", "t")
            rows.loc[by_volume, "canonical_multiplier"] = rows.loc[by_volume, "basis_multiplier"] * (t_per_m3 * tj_per_t)
            rows.loc[by_volume, "conversion"] = (rows.loc[by_volume, "conversion"].str.replace(", then fuel properties to", ",", regex=False)
                                                 + f" x density {density['value']:g} {density['unit']} ({density['property_id']}, confidence: {density['confidence']})"
                                                 + f" x NCV {ncv['value']:g} {ncv['unit']} ({ncv['property_id']})")
        if by_mass.any():
            rows.loc[by_mass, "canonical_multiplier"] = rows.loc[by_mass, "basis_multiplier"] * tj_per_t
            rows.loc[by_mass, "conversion"] = (rows.loc[by_mass, "conversion"].str.replace(", then fuel properties to", ",", regex=False)
                                               + f" x NCV {ncv['value']:g} {ncv['unit']} ({ncv['property_id']})")
    rows["quantity_canonical"] = rows["quantity"] * rows["canonical_multiplier"]
    rows["conversion"] = rows["conversion"].astype("category")
    rows["canonical_unit"] = rows["canonical_unit"].astype("category")
    return rows


def attach_key_ids(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Give each row the integer id of its (activity, region, year, waste_type, route) key."""
    rows = rows.copy()
    rows["key_id"] = rows.groupby(KEY, sort=True, observed=True).ngroup()
    keys = rows.drop_duplicates("key_id")[["key_id", *KEY]].reset_index(drop=True)
    return rows, keys


def market_of(factor_set: FactorSet) -> dict[str, str]:
    """Each region's electricity market: its last ancestor below GLOBAL (for China, CN).

    Certificates and green power trades in China are national instruments, so a certificate
    registered in CN covers electricity used in any province.
    """
    parent = dict(zip(factor_set.regions["region"], factor_set.regions["parent"]))
    markets = {}
    for region in parent:
        market = region
        while parent.get(market) not in ("", None, GLOBAL_REGION):
            market = parent[market]
        markets[region] = market
    return markets


def coverage_totals(rows: pd.DataFrame, factor_set: FactorSet) -> pd.DataFrame:
    """Per (year, market, covered activity): consumption `demand` and instrument `supply` (MWh).

    A chunked run adds these up over all chunks before computing any line, so an instrument in
    one chunk covers electricity in another exactly as in a single in-memory run.
    """
    covers = {a: spec["instrument_for"] for a, spec in vocabulary()["activities"].items() if "instrument_for" in spec}
    covered = set(covers.values())
    relevant = rows[rows["activity"].isin(list(covers) + list(covered))]
    if relevant.empty:  # demand counts even in a chunk without instruments: totals add up across chunks
        return pd.DataFrame({"year": pd.Series(dtype="int64"), "market": pd.Series(dtype="object"),
                             "covered": pd.Series(dtype="object"), "demand": pd.Series(dtype="float64"),
                             "supply": pd.Series(dtype="float64")})
    activity = relevant["activity"].astype(str)
    frame = pd.DataFrame({
        "year": relevant["year"].to_numpy(),
        "market": relevant["region"].astype(str).map(market_of(factor_set)).to_numpy(),
        "covered": activity.map(lambda a: covers.get(a, a)).to_numpy(),
        "demand": relevant["quantity_canonical"].where(~activity.isin(list(covers)), 0.0).to_numpy(),
        "supply": relevant["quantity_canonical"].where(activity.isin(list(covers)), 0.0).to_numpy(),
    })
    return frame.groupby(["year", "market", "covered"], as_index=False)[["demand", "supply"]].sum()


def instrument_shares(lines: pd.DataFrame, factor_set: FactorSet, totals: pd.DataFrame) -> pd.Series:
    """The share of each line's quantity that its factor applies to (1 for most lines).

    Per (year, market, covered activity): instruments cover min(instrument MWh, consumption MWh).
    Market-based electricity lines keep the uncovered share at the residual factor; instrument
    lines apply their own factor to the share of them actually used. Certificates in excess of
    consumption are therefore unused (their lines carry a share below 1) and can never make
    emissions negative.
    """
    shares = pd.Series(1.0, index=lines.index)
    if totals.empty or not (totals["supply"] > 0).any():
        return shares
    covers = {a: spec["instrument_for"] for a, spec in vocabulary()["activities"].items() if "instrument_for" in spec}
    is_instrument = lines["activity"].isin(list(covers))
    is_market_use = (lines["method"] == "market") & ~is_instrument & lines["activity"].isin(set(covers.values()))
    involved = is_instrument | is_market_use
    keys = pd.DataFrame({"year": lines.loc[involved, "year"].to_numpy(),
                         "market": lines.loc[involved, "region"].astype(str).map(market_of(factor_set)).to_numpy(),
                         "covered": lines.loc[involved, "activity"].astype(str).map(lambda a: covers.get(a, a)).to_numpy()})
    matched = keys.merge(totals, on=["year", "market", "covered"], how="left")
    demand = matched["demand"].astype("float64").fillna(0.0).to_numpy()
    supply = matched["supply"].astype("float64").fillna(0.0).to_numpy()
    covered = np.minimum(demand, supply)
    instrument = is_instrument[involved].to_numpy()
    used = np.divide(covered, supply, out=np.zeros_like(covered), where=supply > 0)            # share of instruments used
    uncovered = 1.0 - np.divide(covered, demand, out=np.zeros_like(covered), where=demand > 0)  # share left at the residual
    share = np.where(instrument, used, uncovered)
    shares[involved] = share
    return shares


def gwp_values(factor_set: FactorSet, gwp_set: str) -> dict[str, float]:
    table = factor_set.gwp[factor_set.gwp["gwp_set"] == gwp_set]
    if table.empty:
        sets = ", ".join(sorted(factor_set.gwp["gwp_set"].unique()))
        raise FactorSetError(f"GWP set '{gwp_set}' is not in {factor_set.label}: choose one of {sets}")
    return dict(zip(table["gas"], table["value"]))


def emission_lines(rows: pd.DataFrame, selected: pd.DataFrame, factor_set: FactorSet, gwp_set: str,
                   coverage: pd.DataFrame | None = None) -> pd.DataFrame:
    """One line per (ledger row, selected factor component), with gas mass and CO2e in tonnes.

    `coverage` (from coverage_totals) is computed from `rows` unless a chunked run passes the
    totals of the whole ledger."""
    factor_part = selected[["key_id", *FACTOR_RENAMES, "scope", "category", "method", "gas", "factor_id",
                            "value_canonical", "factor_region", "gwp_basis", "selection_note"]].rename(columns=FACTOR_RENAMES)
    factor_part = factor_part.sort_values(["key_id", "scope", "category", "method", "gas"], kind="stable")
    for column in ("factor_id", "factor_unit", "factor_region", "factor_confidence", "factor_source_id", "gwp_basis",
                   "selection_note", "method", "gas", "category"):
        factor_part[column] = factor_part[column].astype("category")
    lines = rows.merge(factor_part, on="key_id", how="inner", sort=False)
    gwp = gwp_values(factor_set, gwp_set)
    # CO2e factors already carry their own GWP basis (e.g. DESNZ on AR5): multiply by 1.
    gas = lines["gas"].astype(str) if not isinstance(lines["gas"].dtype, pd.CategoricalDtype) else lines["gas"]
    lines["gwp"] = gas.map(gwp).astype("float64").where(lines["gas"] != "CO2e", 1.0)
    missing_gwp = lines["gwp"].isna()
    if missing_gwp.any():
        gases = ", ".join(sorted(lines.loc[missing_gwp, "gas"].unique()))
        raise FactorSetError(f"{factor_set.label}: GWP set {gwp_set} has no value for {gases}")
    lines["applied_share"] = instrument_shares(lines, factor_set, coverage_totals(rows, factor_set) if coverage is None else coverage)
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

