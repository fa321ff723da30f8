"""Stage 3: quantity x factor x GWP -> emission lines, one per ledger row and factor component.

The factor work is done once per line key (a distinct row key with one factor component); the
rows get their lines by repeat and take, and the numbers are column arithmetic: one multiply
for the gas mass, one for CO2e.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from carbon.codes import distinct_rows
from carbon.errors import FactorSetError
from carbon.factors import COMPONENT, FACTOR_ATTRIBUTES, GLOBAL_REGION, KEY, FactorSet
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
    "quality_class",
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
    rows = factor_set.fuel_property_rows.get((fuel, name), [])
    return [row for row in rows if dimension is None or has_dimension(str(row["unit"]), dimension)]


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
    net calorific value (and density where needed), as the factor set's fuel_properties give.
    Worked out once per distinct (activity, basis unit, conversion), taken to the rows by code."""
    activities = vocabulary().activities
    plan_columns = ["activity", "basis_unit", "is_canonical", "conversion"]
    code, first = distinct_rows(rows, plan_columns)
    multipliers, conversions, canonical_units = [], [], []
    for activity, basis_unit, is_canonical, conversion in (
        rows[plan_columns].iloc[first].itertuples(index=False)
    ):
        spec = activities.get(str(activity))
        multiplier, words = 1.0, str(conversion)
        if spec is not None and spec.fuel and not is_canonical:
            multiplier, path = energy_path(factor_set, spec.fuel, str(basis_unit), spec.canonical_unit)
            words = words.replace(", then fuel properties to", ",") + " " + path
        elif not is_canonical:
            multiplier = np.nan  # no way to the canonical unit (the ledger check has refused such rows)
        multipliers.append(multiplier)
        conversions.append(words)
        canonical_units.append(spec.canonical_unit if spec is not None else None)
    # quantity_canonical = quantity x canonical_multiplier: one multiplier per row, so a
    # spreadsheet can show the conversion as a single multiplication.
    multiplier = rows["basis_multiplier"].to_numpy() * np.array(multipliers, dtype="float64")[code]
    multiplier = np.where(rows["is_canonical"].to_numpy(), rows["basis_multiplier"].to_numpy(), multiplier)
    return rows.assign(
        conversion=_categorical(conversions, code),
        canonical_multiplier=multiplier,
        canonical_unit=_categorical(canonical_units, code),
        quantity_canonical=rows["quantity"].to_numpy() * multiplier,
    )


def _categorical(per_code: list, code: np.ndarray) -> pd.Categorical:
    """A categorical column from one value per distinct code (None: missing)."""
    codes, texts = pd.factorize(pd.Series(per_code, dtype="object"))
    return pd.Categorical.from_codes(codes[code], categories=texts)


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


# ---------------------------------------------------------------- emission lines, normalised

# A row key: what is the same for many ledger rows and decides their lines (the factor key and
# the unit conversion). A line key: a row key with one factor component. The numbers of a line
# are its row's quantities times its line key's factor, share and GWP. The data-quality class
# does not change a line's numbers but its uncertainty (carbon/uncertainty.py), so it is kept
# per key (the class, not the row's text: free text would make a key per row).
ROW_KEY = [*KEY, "unit", "canonical_unit", "canonical_multiplier", "conversion", "quality_class"]
# Per line: where it came from and its numbers (emission_lines.parquet).
LINE_ROW_COLUMNS = [
    "ledger_file",
    "ledger_row",
    "record_id",
    "site",
    "source",
    "line_key",
    "quantity",
    "quantity_canonical",
    "applied_share",
    "emissions_t_gas",
    "tco2e",
]
# Per line key: everything the same for every line of that key (line_keys.parquet).
LINE_KEY_COLUMNS = [
    "line_key",
    *[c for c in LINE_COLUMNS if c not in LINE_ROW_COLUMNS],
    "canonical_multiplier",
    "value_canonical",
    "applied_share",  # also on each line (the same for every line of a key)
]


@dataclass(frozen=True)
class Lines:
    """Emission lines, normalised: one row per line with its ledger row and numbers (`lines`),
    one per line key with the factor and everything else its lines share (`keys`). `joined`
    restores the full emission line."""

    lines: pd.DataFrame  # LINE_ROW_COLUMNS
    keys: pd.DataFrame  # LINE_KEY_COLUMNS
    line_index: np.ndarray  # each line's position in `keys`
    row_keys: pd.DataFrame  # the distinct row keys of the rows (ROW_KEY)
    row_index: np.ndarray  # each ledger row's position in `row_keys`
    rows: pd.DataFrame  # the ledger rows the lines came from


def line_key_ids(keys: pd.DataFrame) -> np.ndarray:
    """A 64-bit id of each line key from what defines it (row key and factor component): the
    same in every chunk and on every Dask worker, so lines written apart share one key table
    (pandas' keyed SipHash of the values as text; a collision is caught by union_line_keys)."""
    defining = keys[[*ROW_KEY, "factor_id", *COMPONENT]].astype(str)
    return pd.util.hash_pandas_object(defining, index=False).to_numpy().view(np.int64)


def _factor_components(selected: pd.DataFrame) -> pd.DataFrame:
    """The factor columns a line key carries, per key id, in component order."""
    part = selected[
        [
            "key_id",
            *FACTOR_RENAMES,
            *COMPONENT,
            "factor_id",
            "value_canonical",
            "factor_region",
            "gwp_basis",
            "selection_note",
        ]
    ].rename(columns=FACTOR_RENAMES)
    return part.sort_values(["key_id", *COMPONENT], kind="stable")


def _line_key_table(
    row_keys: pd.DataFrame,
    selected: pd.DataFrame,
    factor_set: FactorSet,
    gwp_set: str,
    coverage: pd.DataFrame,
) -> pd.DataFrame:
    """One row per (row key, factor component), sorted by row key then component, with the
    share, GWP and id of each line key."""
    table = row_keys.assign(row_key=np.arange(len(row_keys))).merge(
        _factor_components(selected), on="key_id", how="inner", sort=False
    )
    table = table.sort_values(["row_key", *COMPONENT], kind="stable").reset_index(drop=True)
    gwp = gwp_values(factor_set, gwp_set)
    # CO2e factors already carry their own GWP basis (e.g. DESNZ on AR5): multiply by 1.
    table["gwp"] = table["gas"].astype(str).map(gwp).astype("float64").where(table["gas"] != "CO2e", 1.0)
    if table["gwp"].isna().any():
        gases = ", ".join(sorted(table.loc[table["gwp"].isna(), "gas"].astype(str).unique()))
        raise FactorSetError(f"{factor_set.label}: GWP set {gwp_set} has no value for {gases}")
    table["applied_share"] = instrument_shares(table, factor_set, coverage)
    table["gwp_set"] = gwp_set
    table["factor_source"] = table["factor_source_id"].map(factor_set.source_title)
    table["factor_set"] = factor_set.name
    table["factor_set_version"] = factor_set.version
    table["line_key"] = line_key_ids(table)
    return table


def normalised_lines(
    rows: pd.DataFrame,
    keys: pd.DataFrame,
    selected: pd.DataFrame,
    factor_set: FactorSet,
    gwp_set: str,
    coverage: pd.DataFrame | None = None,
    memo: LineKeyMemo | None = None,
) -> Lines:
    """One line per (ledger row, selected factor component), with gas mass and CO2e in tonnes.

    `keys` maps the KEY columns to the key ids of `selected`. The factor work is done once per
    line key; the rows get their lines by repeat and take. `coverage` (from coverage_totals) is
    computed from `rows` unless a chunked run passes the totals of the whole ledger; it then
    also passes its `memo` of the row keys met so far."""
    row_index, first = distinct_rows(rows, ROW_KEY)
    coverage = coverage_totals(rows, factor_set) if coverage is None else coverage

    def build(found: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        row_keys = found.astype({k: "object" for k in ROW_KEY if found[k].dtype != np.float64})
        row_keys = row_keys.astype({"year": "int64"}).merge(keys[[*KEY, "key_id"]], on=KEY, how="left")
        return row_keys, _line_key_table(row_keys, selected, factor_set, gwp_set, coverage)

    found = rows[ROW_KEY].iloc[first].reset_index(drop=True)
    row_keys, table = build(found) if memo is None else memo.lookup(found, coverage, build)
    # Lines of row r: its row key's components, in order (the table is sorted by row key).
    components = np.bincount(table["row_key"].to_numpy(), minlength=len(row_keys))
    component_start = np.cumsum(components) - components
    per_row = components[row_index]
    line_row = np.repeat(np.arange(len(rows)), per_row)
    # Line i of row r is component (i - r's first line) of r's row key: i + (key start - first line).
    first_line = np.cumsum(per_row) - per_row
    line_index = np.arange(len(line_row)) + np.repeat(component_start[row_index] - first_line, per_row)
    quantity_canonical = rows["quantity_canonical"].to_numpy()[line_row]
    share = table["applied_share"].to_numpy()[line_index]
    emissions = quantity_canonical * table["value_canonical"].to_numpy()[line_index] * share
    lines = pd.DataFrame(
        {
            "ledger_file": _take(rows["ledger_file"], line_row),
            "ledger_row": rows["ledger_row"].to_numpy()[line_row],
            "record_id": _take(rows["record_id"], line_row),
            "site": _take(rows["site"], line_row),
            "source": _take(rows["source"], line_row),
            "line_key": table["line_key"].to_numpy()[line_index],
            "quantity": rows["quantity"].to_numpy()[line_row],
            "quantity_canonical": quantity_canonical,
            "applied_share": share,
            "emissions_t_gas": emissions,
            "tco2e": emissions * table["gwp"].to_numpy()[line_index],
        },
        copy=False,  # each column its own block: stacking the float columns into one copied them
    )
    return Lines(lines, table[LINE_KEY_COLUMNS], line_index, row_keys, row_index, rows)


def _take(column: pd.Series, positions: np.ndarray) -> pd.Series | np.ndarray:
    """A column's values at `positions`; a categorical keeps its categories (codes are taken)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return pd.Categorical.from_codes(column.cat.codes.to_numpy()[positions], dtype=column.dtype)
    return column.array.take(positions)


def joined(lines: pd.DataFrame, keys: pd.DataFrame) -> pd.DataFrame:
    """The full emission lines (LINE_COLUMNS): each line joined with its line key."""
    full = lines.merge(keys.drop(columns=["applied_share"], errors="ignore"), on="line_key", how="left")
    return full[LINE_COLUMNS].reset_index(drop=True)


def union_line_keys(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The line keys of every chunk, once each, by id (chunks and Dask workers share keys by
    their 64-bit ids). Two different keys with one id would misattribute lines: refused."""
    if not parts:
        return pd.DataFrame(columns=LINE_KEY_COLUMNS)
    frame = pd.concat(parts, ignore_index=True)
    categorical = [c for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)]
    frame = frame.astype({c: "object" for c in categorical})
    distinct = frame.drop_duplicates()
    if distinct["line_key"].duplicated().any():
        raise RuntimeError("two different line keys have the same 64-bit id")
    return distinct.sort_values("line_key", kind="stable").reset_index(drop=True)


class LineKeyMemo:
    """The row keys and line keys a chunked run has built so far, so that a chunk builds only
    those of row keys it is the first to meet (most chunks meet the same ones: building them
    for every chunk took a sixth of the time of the lines). A line key depends on its row key and
    on what one run holds fixed: the factor set, GWP set, selected factors and the coverage
    totals; a different coverage table starts the memo afresh."""

    def __init__(self) -> None:
        self._start_afresh(None)

    def _start_afresh(self, coverage: pd.DataFrame | None) -> None:
        self.coverage = coverage
        self.number: dict[tuple, int] = {}  # a row key, as text, -> its place in row_keys
        self.row_keys = pd.DataFrame()  # every row key met, with its key id
        self.table = pd.DataFrame()  # their line keys, by row key (`row_key`: its place)
        self.start = np.zeros(0, dtype=np.int64)  # each row key's first line key in `table`
        self.count = np.zeros(0, dtype=np.int64)  # and how many it has

    def lookup(
        self,
        found: pd.DataFrame,
        coverage: pd.DataFrame,
        build: Callable[[pd.DataFrame], tuple[pd.DataFrame, pd.DataFrame]],
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The row keys `found` (ROW_KEY columns) with their key ids, and their line-key table
        sorted by row key as `build` makes it; `build` is called for the new ones only."""
        if coverage is not self.coverage:
            self._start_afresh(coverage)
        # Column by column: a frame's cell-by-cell text took a twentieth of a chunk's lines.
        names = list(zip(*(found[column].astype(str).tolist() for column in found.columns), strict=True))
        new = [i for i, name in enumerate(names) if name not in self.number]
        if new:
            self._add([names[i] for i in new], *build(found.iloc[new].reset_index(drop=True)))
        numbers = np.array([self.number[name] for name in names], dtype=np.int64)
        counts = self.count[numbers]
        first_line = np.cumsum(counts) - counts
        positions = np.arange(counts.sum()) + np.repeat(self.start[numbers] - first_line, counts)
        table = self.table.iloc[positions].reset_index(drop=True)
        table["row_key"] = np.repeat(np.arange(len(numbers)), counts)
        return self.row_keys.iloc[numbers].reset_index(drop=True), table

    def _add(self, names: list[tuple], row_keys: pd.DataFrame, table: pd.DataFrame) -> None:
        counts = np.bincount(table["row_key"].to_numpy(), minlength=len(names))
        base = len(self.row_keys)
        self.start = np.concatenate([self.start, len(self.table) + np.cumsum(counts) - counts])
        self.count = np.concatenate([self.count, counts])
        table = table.assign(row_key=table["row_key"].to_numpy() + base)
        self.row_keys = pd.concat([self.row_keys, row_keys], ignore_index=True) if base else row_keys
        self.table = pd.concat([self.table, table], ignore_index=True) if len(self.table) else table
        self.number.update({name: base + i for i, name in enumerate(names)})


class LineKeyUnion:
    """The line keys of a run, gathered chunk by chunk into one table. Each chunk's key table
    mostly repeats the keys of earlier chunks: keeping them all grew memory with the ledger."""

    def __init__(self) -> None:
        self.table = union_line_keys([])

    def add(self, keys: pd.DataFrame) -> None:
        """Keys not in the table yet are added (a chunk's keys are mostly known: an id is a
        64-bit hash of what defines the key, so a known id is a known key but with a chance of
        about 2**-64 per pair of keys; union_line_keys refuses two keys with one id in a chunk)."""
        new = keys[~np.isin(keys["line_key"].to_numpy(), self.table["line_key"].to_numpy())]
        if len(new):
            self.table = union_line_keys([self.table, new] if len(self.table) else [new])
