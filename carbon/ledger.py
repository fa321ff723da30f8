"""Stage 1: read the activity ledger and organisation metrics, validate, convert units.

Validation collects every problem in one pass (file, row, column, value, what was expected)
instead of stopping at the first. Checks are column-wise masks; Python touches only the bad
rows (to word the messages) and the distinct unit strings (parsed once each).

Row numbers are spreadsheet row numbers: the header is row 1, the first data row is row 2.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from carbon import readers
from carbon.codes import constant_category, is_in, sorted_distinct
from carbon.errors import LedgerError, Problem, UnitError
from carbon.models.uncertainty import quality_classes
from carbon.models.vocabulary import vocabulary
from carbon.periods import FIRST_YEAR, LAST_YEAR
from carbon.suggest import did_you_mean
from carbon.units import conversion_factor, has_dimension, parse_unit

MAX_ROWS_PER_CHECK = readers.MAX_ROWS_PER_CHECK
# A real ledger has a handful of units; thousands of distinct ones is not a ledger (and each
# distinct unit costs a parse).
MAX_DISTINCT_UNITS = 500
# Distinct bad values that get their own message (with a "did you mean"); the rest are counted.
MAX_DISTINCT_MESSAGES = 20

# Ledger rows in these dimensions stay in these units until the factor set's fuel properties
# (density, net calorific value) take them to energy; see calculate.fuel_to_energy.
BASIS_UNITS = {"[mass]": "t", "[volume]": "m**3"}

# Few distinct values over many rows: kept categorical, so merges, group-bys and string
# checks work on the distinct values and memory stays small on large ledgers.
TEXT_COLUMNS = [
    "site",
    "region",
    "activity",
    "unit",
    "source",
    "data_quality",
    "basis_unit",
    "conversion",
    "ledger_file",
]


def categorical_columns() -> list[str]:
    return [*TEXT_COLUMNS, *vocabulary().attributes]


@dataclass(frozen=True)
class Ledger:
    """Validated activity rows with canonical quantities, plus what the user should know."""

    rows: pd.DataFrame
    file: str
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Organisation:
    """Per-year metrics in canonical units: employees (person), revenue (RMB million), floor area (m**2)."""

    metrics: pd.DataFrame  # index: year; columns: employees, revenue, floor_area
    file: str


class Findings:
    """Problems found so far, and which rows they make unusable."""

    def __init__(self, table: pd.DataFrame, file: str):
        self.table, self.file = table, file
        self.problems: list[Problem] = []
        self.bad = pd.Series(False, index=table.index)

    def flag(self, mask: pd.Series, column: str, expected: str) -> None:
        mask = mask.fillna(True).astype(bool)
        if not mask.any():  # the usual case: no row to select, name or mark
            return
        self.bad |= mask
        self.problems += readers.problems_at(self.table, mask, column, expected, self.file)

    def flag_values(self, column: str, candidates: pd.Series, allowed: list[str], what: str) -> None:
        """Rows whose `column` is not in `allowed` (among `candidates`), one message per distinct
        value with the nearest allowed name."""
        values = self.table[column]
        bad = candidates & ~is_in(values, allowed)
        if not bad.any():
            return
        distinct = pd.unique(values[bad].astype(str))
        listing = ", ".join(allowed)
        for value in distinct[:MAX_DISTINCT_MESSAGES]:
            self.flag(bad & (values == value), column, f"{what}: {listing}{did_you_mean(value, allowed)}")
        if len(distinct) > MAX_DISTINCT_MESSAGES:
            rest = bad & ~is_in(values, distinct[:MAX_DISTINCT_MESSAGES])
            self.flag(rest, column, f"{what}: {listing}")


def _as_number(column: pd.Series) -> pd.Series:
    if column.dtype.kind in "iuf":
        return column.astype("float64")
    return pd.to_numeric(column.astype(str), errors="coerce").astype("float64")


def _not_a_year(year: pd.Series) -> pd.Series:
    return year.isna() | (np.trunc(year) != year) | (year < FIRST_YEAR) | (year > LAST_YEAR)


def _check_text(found: Findings, schema) -> None:
    """Required text present, and no control characters in any text column."""
    for column in schema.non_empty:
        if column in found.table.columns and found.table[column].dtype.kind not in "iuf":
            found.flag(found.table[column] == "", column, f"a non-empty {column.replace('_', ' ')}")
    text_columns = [c for c in found.table.columns if c not in ("_row", *schema.numeric)]
    problems, bad = readers.control_character_problems(found.table, text_columns, found.file)
    found.problems += problems
    found.bad |= bad


# ---------------------------------------------------------------- ledger checks


def _check_years(found: Findings) -> pd.Series:
    """Reporting year from `year`, or from `period_start`/`period_end` within one calendar year."""
    table = found.table
    has_periods = {"period_start", "period_end"} <= set(table.columns)
    if "year" in table.columns and (not has_periods or (table["year"] != "").any()):
        year = _as_number(table["year"])
        found.flag(
            _not_a_year(year), "year", f"a reporting year from {FIRST_YEAR} to {LAST_YEAR}, such as 2024"
        )
        if has_periods:  # both given: they must agree, or one of them is wrong
            start = pd.to_datetime(table["period_start"], format="%Y-%m-%d", errors="coerce")
            found.flag(
                start.notna() & year.notna() & (start.dt.year != year),
                "period_start",
                "a period inside the row's reporting year (column 'year' says another year)",
            )
        return year
    if has_periods:
        start = pd.to_datetime(table["period_start"], format="%Y-%m-%d", errors="coerce")
        end = pd.to_datetime(table["period_end"], format="%Y-%m-%d", errors="coerce")
        found.flag(start.isna(), "period_start", "a date as YYYY-MM-DD")
        found.flag(end.isna(), "period_end", "a date as YYYY-MM-DD")
        both = start.notna() & end.notna()
        found.flag(both & (end < start), "period_end", "a date on or after period_start")
        found.flag(
            both & (end >= start) & (start.dt.year != end.dt.year),
            "period_end",
            "a date in the same calendar year as period_start (split rows that span two reporting years)",
        )
        year = start.dt.year.astype("float64")
        found.flag(
            start.notna() & _not_a_year(year),
            "period_start",
            f"a date in a year from {FIRST_YEAR} to {LAST_YEAR}",
        )
        return year
    found.problems.append(
        Problem(found.file, 1, "year", None, "a 'year' column, or 'period_start' and 'period_end' columns")
    )
    found.bad[:] = True
    return pd.Series(np.nan, index=table.index)


def _check_record_ids(found: Findings) -> None:
    table = found.table
    ids = table["record_id"].astype(str)
    repeated = ids.duplicated(keep="first") & (ids != "")
    if not repeated.any():
        return
    first_row = table["_row"].groupby(ids.to_numpy(), sort=False).transform("min")
    found.bad |= repeated
    hits = table.loc[repeated, ["_row"]].assign(id=ids[repeated], first=first_row[repeated])
    for row, value, first in hits.head(MAX_ROWS_PER_CHECK).itertuples(index=False):
        found.problems.append(
            Problem(
                found.file,
                int(row),
                "record_id",
                value,
                f"a unique record id (already used on row {int(first)})",
            )
        )
    if len(hits) > MAX_ROWS_PER_CHECK:
        found.problems.append(
            Problem(
                found.file,
                None,
                "record_id",
                None,
                f"unique record ids (and {len(hits) - MAX_ROWS_PER_CHECK} more repeated rows)",
            )
        )


def _check_quantity(found: Findings) -> pd.Series:
    quantity = _as_number(found.table["quantity"])
    not_number = quantity.isna() | ~np.isfinite(quantity.fillna(0))
    found.flag(not_number, "quantity", "a plain number such as 1559.45 (no thousands separators)")
    found.flag(
        ~not_number & (quantity < 0),
        "quantity",
        "a quantity of zero or more (record reversals as a corrected row, not a negative one)",
    )
    return quantity


def _check_magnitude(found: Findings, basis_quantity: pd.Series, schema) -> None:
    """Quantities beyond any real inventory, or so small that they can only be a slip of units or
    digits (and would overflow ratios downstream), are refused."""
    high, low = schema.max_canonical_quantity, schema.min_canonical_quantity
    size = basis_quantity.abs()
    found.flag(
        np.isfinite(size) & (size >= high),
        "quantity",
        f"less than {high:.0e} in the activity's canonical unit (MWh, t, m**3): "
        "check the digits and the unit",
    )
    found.flag(
        (size > 0) & (size < low),
        "quantity",
        f"zero, or at least {low:.0e} in the activity's canonical unit (MWh, t, m**3): check the digits and "
        f"the unit",
    )


def _unit_plan(activity: str, unit: str) -> dict:
    """How one (activity, unit) pair reaches canonical units, or why it cannot."""
    spec = vocabulary().activity(activity)
    names = vocabulary().dimensions
    try:
        accepted = [dim for dim in spec.accepts if has_dimension(unit, dim)]
    except UnitError as exc:
        return {"error": str(exc)}
    if not accepted:
        wanted = " or ".join(names[d] for d in spec.accepts)
        return {"error": f"{wanted} for activity '{activity}'"}
    for refused, why in spec.refused_units.items():
        if parse_unit(unit) == parse_unit(refused):
            return {"error": f"another unit for activity '{activity}': {why}"}
    canonical = spec.canonical_unit
    dimension = accepted[0]
    if has_dimension(canonical, dimension):
        factor = conversion_factor(unit, canonical)
        return {
            "factor": factor,
            "basis_unit": canonical,
            "canonical": True,
            "conversion": f"{unit} -> {canonical} (x{factor:g})",
        }
    if spec.mass_conversion and dimension == "[mass]":
        named = vocabulary().named_conversions[spec.mass_conversion]
        density = named.value * conversion_factor(named.unit, f"t/{canonical}")
        factor = conversion_factor(unit, "t") / density
        return {
            "factor": factor,
            "basis_unit": canonical,
            "canonical": True,
            "conversion": f"{unit} -> {canonical} via named conversion {spec.mass_conversion} "
            f"({named.value:g} {named.unit})",
        }
    basis = BASIS_UNITS.get(dimension)
    if basis is None or not spec.fuel:
        return {
            "error": f"a unit of {canonical}'s dimension: the vocabulary gives '{activity}' no conversion "
            f"from {dimension}"
        }
    factor = conversion_factor(unit, basis)
    return {
        "factor": factor,
        "basis_unit": basis,
        "canonical": False,
        "conversion": f"{unit} -> {basis} (x{factor:g}), then fuel properties to {canonical}",
    }


@dataclass(frozen=True)
class UnitPlans:
    """The conversion plan of each distinct (activity, unit) pair, and each row's pair (`slot`,
    -1 where a row has none). Per-row columns are taken from the few plans by code."""

    plans: pd.DataFrame
    slot: np.ndarray

    def number(self, column: str) -> np.ndarray:
        values = np.append(self.plans[column].to_numpy(dtype="float64", na_value=np.nan), np.nan)
        return values[self.slot]  # slot -1 takes the appended NaN

    def flag(self, column: str) -> np.ndarray:
        return np.append(self.plans[column].eq(True).to_numpy(dtype=bool), False)[self.slot]

    def category(self, column: str) -> pd.Categorical:
        codes, texts = pd.factorize(self.plans[column])
        return pd.Categorical.from_codes(np.append(codes, -1)[self.slot], categories=texts)


def _check_units(found: Findings, known_activity: pd.Series) -> UnitPlans:
    """Parse each distinct (activity, unit) once; return the plans and each row's plan.
    The pairs are found and mapped back on integer codes, not by merging text per row."""
    table = found.table
    known = (known_activity & (table["unit"] != "")).to_numpy(dtype=bool)  # empty: reported once
    activity_codes, activities = pd.factorize(table["activity"])
    unit_codes, units = pd.factorize(table["unit"])
    pair = activity_codes.astype(np.int64) * max(len(units), 1) + unit_codes
    distinct, known_slot = sorted_distinct(pair[known], max(len(activities), 1) * max(len(units), 1))
    if len(distinct) > MAX_DISTINCT_UNITS:
        found.problems.append(
            Problem(
                found.file,
                None,
                "unit",
                None,
                f"at most {MAX_DISTINCT_UNITS} distinct units per "
                f"activity (found {len(distinct):,}): is the unit column holding something else?",
            )
        )
        found.bad[:] = True
        distinct = distinct[:0]
    names = [(str(activities[c // len(units)]), str(units[c % len(units)])) for c in distinct]
    plans = pd.DataFrame(
        [{"activity": a, "unit": u, **_unit_plan(a, u)} for a, u in names],
        columns=["activity", "unit", "factor", "basis_unit", "canonical", "conversion", "error"],
    )
    slot = np.full(len(table), -1, dtype=np.int64)  # -1: no plan (unknown activity, empty unit)
    if len(distinct):  # every known row's pair is among them
        slot[known] = known_slot
    for index in np.flatnonzero(plans["error"].notna().to_numpy()):
        in_pair = pd.Series(slot == index, index=table.index)
        found.flag(in_pair, "unit", plans["error"].iloc[index])
    return UnitPlans(plans, slot)


def _check_attributes(found: Findings) -> None:
    """Attribute columns as the vocabulary says: only on the activities that have them (a value
    elsewhere is a misplaced cell, never silently ignored), present where required, one of the
    listed values (or a year) where the attribute lists them, and the default where empty."""
    table = found.table
    vocab = vocabulary()
    known = is_in(table["activity"], vocab.activities)
    for name, attribute in vocab.attributes.items():
        owners = [a for a, spec in vocab.activities.items() if name in spec.attributes]
        required = [a for a in owners if vocab.activity(a).attributes[name] == "required"]
        # Compared as it is: a categorical column compares its codes, not a million strings.
        value = table[name]
        mine = is_in(table["activity"], owners)
        found.flag(
            known & ~mine & (value != ""),
            name,
            f"an empty cell: {name} applies to {' and '.join(owners)} rows only",
        )
        what = (
            f": one of {', '.join(attribute.values)}"
            if attribute.values
            else (f" ({attribute.description})" if attribute.description else "")
        )
        found.flag(
            is_in(table["activity"], required) & (value == ""),
            name,
            f"a value in {name} on {' and '.join(required)} rows{what}",
        )
        if attribute.values is not None:
            found.flag_values(name, mine & (value != ""), list(attribute.values), "one of")
        given = mine & (value != "")
        if attribute.year and given.any():
            number = _as_number(table.loc[given, name])
            found.flag(
                given & (number.isna() | (number % 1 != 0)).reindex(table.index, fill_value=False),
                name,
                "a year such as 2024 (or empty)",
            )
        if attribute.default:
            table[name] = _with_categories(table[name], [attribute.default]).where(
                ~mine | (value != ""), attribute.default
            )


def instrument_claims(table: pd.DataFrame) -> pd.DataFrame:
    """(activity, instrument, row) of every claim of an instrument that may be claimed once
    (vocabulary: unique_instrument); a chunked run collects these across chunks."""
    kinds = [a for a, spec in vocabulary().activities.items() if spec.unique_instrument]
    if "instrument" not in table or "activity" not in table:
        return pd.DataFrame({"activity": [], "instrument": [], "row": []})
    claims = table[is_in(table["activity"], kinds) & (table["instrument"] != "")]
    return pd.DataFrame(
        {
            "activity": claims["activity"].astype(str).to_numpy(),
            "instrument": claims["instrument"].astype(str).to_numpy(),
            "row": claims["_row" if "_row" in claims else "ledger_row"].to_numpy(),
        }
    )


def repeated_claims(claims: pd.DataFrame, file: str) -> list[Problem]:
    """The second and later claims of the same certificate: it would count twice."""
    claims = claims.sort_values("row", kind="stable")
    first = claims.groupby(["activity", "instrument"])["row"].transform("min")
    later = (claims["row"] != first).to_numpy()
    repeated = claims[later].assign(first=first.to_numpy()[later])
    return [
        Problem(
            file,
            int(row),
            "instrument",
            value,
            f"a {kind} id claimed once (already claimed on row {int(earlier)})",
        )
        for kind, value, row, earlier in repeated.head(MAX_ROWS_PER_CHECK).itertuples(index=False)
    ]


def _with_categories(column: pd.Series, values: list[str]) -> pd.Series:
    """A categorical column that can also hold `values` (plain columns are returned as they are)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        missing = [v for v in values if v not in column.cat.categories]
        return column.cat.add_categories(missing) if missing else column
    return column


def load_ledger(path: Path) -> tuple[Ledger | None, list[Problem]]:
    """Read and validate a ledger.

    Returns the usable rows (those without problems, so later stages can still check them,
    e.g. for missing factors) and every problem found. The caller must refuse to publish
    results while any problem remains.
    """
    try:
        table = readers.read_table(Path(path), readers.table_schema("ledger"))
    except LedgerError as error:
        return None, error.problems
    return validate_table(table, str(path))


def _missing_columns(table: pd.DataFrame, schema, file: str) -> list[Problem]:
    """Required columns absent from a frame (a chunk of a file whose header was checked already)."""
    present = ", ".join(c for c in table.columns if c != "_row")
    return [
        Problem(file, 1, name, None, f"a column named '{name}' in the header (found: {present})")
        for name in schema.required
        if name not in table.columns
    ]


def validate_table(
    table: pd.DataFrame, file: str, check_record_ids: bool = True
) -> tuple[Ledger | None, list[Problem]]:
    """Validate a ledger frame (a whole file, or one chunk of a large one: `_row` carries the
    file's row numbers; a chunked run checks record-id uniqueness across chunks itself)."""
    schema = readers.table_schema("ledger")
    missing = _missing_columns(table, schema, file)
    if missing:
        return None, missing
    for column in schema.optional:
        if column not in table.columns:  # empty text, as one category (not a string per row)
            table[column] = constant_category("", len(table))
    found = Findings(table, file)
    _check_text(found, schema)
    _check_attributes(found)
    activities = list(vocabulary().activities)
    known_activity = is_in(table["activity"], activities)
    year = _check_years(found)
    if check_record_ids:  # a chunked run checks ids and certificate claims across all chunks instead
        _check_record_ids(found)
        claims = repeated_claims(instrument_claims(table), file)
        found.problems += claims
        found.bad |= table["_row"].isin([p.row for p in claims])
    found.flag_values("activity", table["activity"] != "", activities, "one of")
    quantity = _check_quantity(found)
    plan = _check_units(found, known_activity)
    basis_multiplier = plan.number("factor")
    _check_magnitude(found, quantity * basis_multiplier, schema)

    rows = table.drop(columns=[c for c in ("year", "period_start", "period_end") if c in table.columns])
    rows.insert(1, "year", year)
    rows["quantity"] = quantity
    rows["basis_multiplier"] = basis_multiplier
    rows["basis_quantity"] = quantity * basis_multiplier
    rows["basis_unit"] = plan.category("basis_unit")
    rows["is_canonical"] = plan.flag("canonical")
    rows["conversion"] = plan.category("conversion")
    rows["ledger_file"] = constant_category(file, len(rows))
    rows = rows.rename(columns={"_row": "ledger_row"})
    if found.bad.any():  # the usual chunk has no bad row: no copy of every column
        rows = rows[~found.bad].copy()
    rows["year"] = rows["year"].astype("int64")
    text = [c for c in categorical_columns() if not isinstance(rows[c].dtype, pd.CategoricalDtype)]
    rows[text] = rows[text].astype("category")
    rows["quality_class"] = quality_classes(rows["data_quality"])  # what the uncertainty reads
    return Ledger(rows=rows, file=file), found.problems


# ---------------------------------------------------------------- organisation


def load_organisation(path: Path) -> tuple[Organisation | None, list[Problem]]:
    """Read and validate organisation metrics; values are converted to each metric's unit and
    must lie within the metric's bounds (vocabulary.yaml)."""
    file = str(path)
    schema = readers.table_schema("organisation")
    try:
        table = readers.read_table(Path(path), schema)
    except LedgerError as error:
        return None, error.problems
    found = Findings(table, file)
    _check_text(found, schema)
    metrics = vocabulary().metrics
    names = vocabulary().dimensions
    year = _as_number(table["year"])
    found.flag(_not_a_year(year), "year", f"a year from {FIRST_YEAR} to {LAST_YEAR}")
    known = table["metric"].isin(list(metrics))
    found.flag_values("metric", table["metric"] != "", list(metrics), "one of")
    value = _as_number(table["value"])
    not_number = value.isna() | ~np.isfinite(value.fillna(0))
    found.flag(not_number, "value", "a plain finite number (no thousands separators)")
    factor = pd.Series(np.nan, index=table.index)
    for metric, unit in (
        table.loc[known & (table["unit"] != ""), ["metric", "unit"]].drop_duplicates().itertuples(index=False)
    ):
        target = metrics[metric].unit
        mask = known & (table["metric"] == metric) & (table["unit"] == unit)
        try:
            factor[mask] = conversion_factor(unit, target)
        except UnitError as error:
            wanted = next((text for dim, text in names.items() if has_dimension(target, dim)), target)
            found.flag(mask, "unit", f"{wanted} for metric '{metric}' ({error})")
    canonical = value * factor
    for metric, spec in metrics.items():
        outside = (
            known
            & (table["metric"] == metric)
            & ~not_number
            & factor.notna()
            & ((canonical < spec.min) | (canonical > spec.max))
        )
        found.flag(outside, "value", f"a {metric} value from {spec.min:g} to {spec.max:g} {spec.unit}")
    duplicated = table.duplicated(["year", "metric"], keep="first") & known
    found.flag(duplicated, "metric", "one value per (year, metric); this year and metric appear earlier")
    if found.problems:
        return None, found.problems
    table["canonical"] = canonical
    table["year"] = year.astype("int64")
    wide = table.pivot(index="year", columns="metric", values="canonical").reindex(columns=list(metrics))
    return Organisation(metrics=wide, file=file), []


def headcount_warnings(years: set[int], organisation: Organisation) -> list[str]:
    """Years with activity but no headcount: intensities become n/a (a warning, not an error)."""
    employees = organisation.metrics["employees"].dropna()
    return [
        f"{organisation.file}: no employees for year {y}: per-employee intensities for {y} are n/a"
        for y in sorted(set(years) - set(employees.index))
    ]
