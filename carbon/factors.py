"""Stage 2: load a versioned factor set, verify it, and select one factor per ledger key.

A factor set is `factors/<name>/<version>/manifest.yaml` plus CSV tables whose sha256 the
manifest pins. Selection runs on the *distinct* (activity, region, year, attributes)
keys of the ledger, never row by row, and its result is merged back onto the rows.

Selection rules (each choice is recorded on the selected row and summarised in results):
- only factors published on or before the as-of date are eligible;
- region: the most specific region in the chain province -> grid region -> national -> GLOBAL
  that has an eligible factor (the chain comes from the set's regions.csv);
- vintage: the latest data_year not after the reporting year; when none exists, the earliest
  later data_year, reported as a vintage fallback.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from carbon.codes import distinct_rows
from carbon.errors import FactorSetError, InputFileError, Problem, UnitError
from carbon.models.files import FactorManifest, ManifestTable
from carbon.models.loading import load_model
from carbon.models.vocabulary import vocabulary
from carbon.paths import factors_root, file_sha256
from carbon.periods import FIRST_YEAR, LAST_YEAR
from carbon.readers import MAX_ROWS_PER_CHECK
from carbon.suggest import did_you_mean
from carbon.units import conversion_factor

# Attribute columns a factor row may be specific to (a ledger row's attributes of the same names
# select it). `kind` is the general one: the kind of use, substance or journey.
FACTOR_ATTRIBUTES = ["waste_type", "route", "kind"]
FACTOR_COLUMNS = [
    "factor_id",
    "activity",
    "region",
    "data_year",
    "gas",
    "value",
    "unit",
    "scope",
    "category",
    "method",
    *FACTOR_ATTRIBUTES,
    "source_id",
    "published",
    "gwp_basis",
    "confidence",
    "notes",
]
# Columns a factor table may leave out (tables released before the column existed).
OPTIONAL_FACTOR_COLUMNS = {"kind"}
TABLE_COLUMNS = {
    "factors": FACTOR_COLUMNS,
    "gwp": ["gwp_set", "gas", "value", "source_id", "confidence", "notes"],
    "fuel_properties": [
        "property_id",
        "fuel",
        "property",
        "value",
        "unit",
        "source_id",
        "confidence",
        "notes",
    ],
    "regions": ["region", "level", "name", "name_zh", "parent", "source_id", "confidence", "notes"],
}
GLOBAL_REGION = "GLOBAL"
# A factor line is one of these per ledger row: a fuel gives CO2, CH4 and N2O lines; an activity
# may give two Scope 3 categories (supply and treatment), or location- and market-based Scope 2.
COMPONENT = ["scope", "category", "method", "gas"]
KEY = ["activity", "region", "year", *FACTOR_ATTRIBUTES]
# A vintage more than this many years older than the reporting year earns a "stale factor" caveat.
STALE_AFTER_YEARS = 2
# What makes two factor rows compete for the same ledger row: at most one may exist.
SELECTION_KEY = ["activity", "region", "data_year", *FACTOR_ATTRIBUTES, *COMPONENT]


@dataclass(frozen=True)
class FactorSet:
    name: str
    version: str
    path: Path
    manifest: dict
    factors: pd.DataFrame
    gwp: pd.DataFrame
    fuel_properties: pd.DataFrame
    regions: pd.DataFrame

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}"

    @cached_property
    def fuel_property_rows(self) -> dict[tuple[str, str], list[pd.Series]]:
        """fuel_properties by (fuel, property), in file order: looked up for every chunk of a run."""
        grouped = self.fuel_properties.groupby(["fuel", "property"], sort=False)
        return {(str(fuel), str(name)): [row for _, row in rows.iterrows()] for (fuel, name), rows in grouped}

    def source_title(self, source_id: str) -> str:
        source = self.manifest["sources"].get(source_id, {})
        return f"{source.get('publisher', '?')}: {source.get('title', '?')}"


# ---------------------------------------------------------------- locating and loading


def _version_key(version: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in version.replace("-", ".").split("."))


def available_sets(root: Path | None = None) -> dict[str, list[str]]:
    """{set name: [versions, oldest first]} for every manifest under the factors folder."""
    root = root or factors_root()
    found: dict[str, list[str]] = {}
    for manifest in sorted(root.glob("*/*/manifest.yaml")):
        found.setdefault(manifest.parent.parent.name, []).append(manifest.parent.name)
    return {name: sorted(versions, key=_version_key) for name, versions in found.items()}


def release_dates(name: str) -> dict[str, date]:
    """{version: released} of a bundled set (versions whose manifest cannot be read are left out)."""
    dates = {}
    for version in available_sets().get(name, []):
        try:
            dates[version] = _manifest(factors_root() / name / version / "manifest.yaml").released
        except FactorSetError:
            continue
    return dates


def resolve_factor_set(
    spec: str | None, default_name: str = "china-corporate", as_of: date | None = None
) -> Path:
    """A folder path, or NAME[@VERSION] under the bundled factors folder.

    Without a version: the latest version released on or before `as_of` (today when not
    given), so `--as-of 2025-03-31` reproduces the release a team had then. When no version
    was released by then, the earliest one (its factors still filtered by publication date;
    the method notes say so)."""
    spec = spec or default_name
    as_path = Path(spec)
    if (as_path / "manifest.yaml").is_file():
        return as_path
    if as_path.is_dir() or "/" in spec or "\\" in spec:
        raise FactorSetError(
            f"--factors {spec}: expected a folder holding manifest.yaml, or NAME[@VERSION] "
            f"such as {default_name}@{(available_sets().get(default_name) or ['VERSION'])[-1]}"
        )
    name, _, version = spec.partition("@")
    sets = available_sets()
    if name not in sets:
        known = ", ".join(f"{n} ({', '.join(v)})" for n, v in sets.items()) or "none"
        raise FactorSetError(
            f"factor set '{spec}' not found: expected a folder with manifest.yaml or one of: {known}"
            f"{did_you_mean(name, sets)}"
        )
    if version and version not in sets[name]:
        raise FactorSetError(
            f"factor set '{name}' has no version '{version}': available {', '.join(sets[name])}"
            f"{did_you_mean(version, sets[name])}"
        )
    if not version:
        released = release_dates(name)
        by_then = [v for v in sets[name] if v in released and released[v] <= (as_of or date.today())]
        version = by_then[-1] if by_then else sets[name][0]
    return factors_root() / name / version


def _hash_mismatches(folder: Path, entries: list[dict]) -> list[str]:
    """Every listed file that is missing or whose sha256 differs from the manifest."""
    mismatches = []
    for entry in entries:
        path = folder / entry["file"]
        if not path.is_file():
            mismatches.append(f"{path}: listed in manifest.yaml but missing")
        elif (actual := file_sha256(path)) != entry.get("sha256"):
            mismatches.append(
                f"{path}: sha256 does not match manifest.yaml (manifest {entry.get('sha256')}, file {actual})"
            )
    return mismatches


def _rows_where(table: pd.DataFrame, mask: pd.Series, column: str, expected: str) -> list[Problem]:
    return [
        Problem(file, int(line), column, value, expected)
        for file, line, value in table.loc[mask, ["_file", "_line", column]].itertuples(index=False)
    ]


def _table_problems(kind: str, table: pd.DataFrame, file: str, sources: dict) -> list[Problem]:
    """Column and per-row checks of one table (cross-table checks come later)."""
    expected = TABLE_COLUMNS[kind]
    columns = [c for c in table.columns if not c.startswith("_")]
    problems = [
        Problem(file, 1, c, None, f"only known columns ({', '.join(expected)})")
        for c in columns
        if c not in expected
    ]
    problems += [
        Problem(file, 1, c, None, f"a column '{c}'")
        for c in expected
        if c not in columns and not (kind == "factors" and c in OPTIONAL_FACTOR_COLUMNS)
    ]
    if problems:
        return problems
    for column in expected:
        if column not in table.columns:
            table[column] = ""  # an optional column the table predates
    if kind != "regions":
        problems += _rows_where(
            table,
            ~table["source_id"].isin(list(sources)),
            "source_id",
            "a source_id listed under sources in manifest.yaml (every value needs a citation)",
        )
    if "value" in table:
        problems += _rows_where(
            table, pd.to_numeric(table["value"], errors="coerce").isna(), "value", "a number"
        )
    if kind == "factors":
        year = pd.to_numeric(table["data_year"], errors="coerce")
        problems += _rows_where(
            table,
            year.isna() | (year % 1 != 0) | (year < FIRST_YEAR) | (year > LAST_YEAR),
            "data_year",
            f"a year from {FIRST_YEAR} to {LAST_YEAR}",
        )
        published = pd.to_datetime(table["published"], format="%Y-%m-%d", errors="coerce")
        problems += _rows_where(
            table, published.isna(), "published", "the date the value became public, YYYY-MM-DD"
        )
        problems += _rows_where(table, ~table["scope"].isin(["1", "2", "3"]), "scope", "1, 2 or 3")
        problems += _rows_where(
            table, ~table["method"].isin(["", "location", "market"]), "method", "empty, location or market"
        )
        problems += _rows_where(
            table, table["confidence"] == "", "confidence", "a confidence note (e.g. C2+, C1, C1*, D)"
        )
    return problems


def _cross_table_problems(factors: pd.DataFrame, gwp: pd.DataFrame, regions: pd.DataFrame) -> list[Problem]:
    problems = _rows_where(
        factors, factors["factor_id"].duplicated(keep=False), "factor_id", "a factor_id used only once"
    )
    problems += _rows_where(
        factors,
        factors.duplicated(SELECTION_KEY, keep=False),
        "factor_id",
        "one factor per (" + ", ".join(SELECTION_KEY) + "): another row has the same key",
    )
    problems += _rows_where(
        factors, ~factors["region"].isin(regions["region"]), "region", "a region listed in regions.csv"
    )
    problems += _rows_where(
        gwp, gwp.duplicated(["gwp_set", "gas"], keep=False), "gas", "one value per (gwp_set, gas)"
    )
    problems += _rows_where(
        regions,
        (regions["parent"] != "") & ~regions["parent"].isin(regions["region"]),
        "parent",
        "a parent that is itself listed in regions.csv",
    )
    return problems + _region_cycles(regions)


def _region_cycles(regions: pd.DataFrame) -> list[Problem]:
    """A region whose parent chain comes back to itself would make every fallback loop."""
    parent = dict(zip(regions["region"], regions["parent"], strict=True))
    problems = []
    for region, first_parent, file, line in zip(
        regions["region"], regions["parent"], regions["_file"], regions["_line"], strict=True
    ):
        seen, current = [region], first_parent
        while current and current in parent and current not in seen:
            seen.append(current)
            current = parent[current]
        if current == region:
            chain = " -> ".join([*seen, current])
            problems.append(
                Problem(
                    file,
                    int(line),
                    "parent",
                    first_parent,
                    f"a parent chain that ends without returning to a region (cycle: {chain})",
                )
            )
    return problems


def _canonical_factor_values(factors: pd.DataFrame) -> tuple[pd.Series, list[Problem]]:
    """Each factor value in t<gas> per canonical activity unit (e.g. kgCO2/kWh -> tCO2/MWh)."""
    vocab = vocabulary()
    problems: list[Problem] = []
    multiplier = pd.Series(np.nan, index=factors.index)
    for (activity, gas, unit), index in factors.groupby(["activity", "gas", "unit"]).groups.items():
        first = factors.loc[index[0]]
        if gas not in vocab.gases:
            problems.append(
                Problem(
                    first["_file"],
                    int(first["_line"]),
                    "gas",
                    gas,
                    f"one of {', '.join(vocab.gases)}{did_you_mean(gas, vocab.gases)}",
                )
            )
            continue
        if activity not in vocab.activities:
            problems.append(
                Problem(
                    first["_file"],
                    int(first["_line"]),
                    "activity",
                    activity,
                    f"an activity of the vocabulary, one of {', '.join(vocab.activities)}",
                )
            )
            continue
        target = f"{vocab.gases[gas]}/({vocab.activity(activity).canonical_unit})"
        try:
            multiplier[index] = conversion_factor(unit, target)
        except UnitError as exc:
            problems.append(
                Problem(
                    first["_file"],
                    int(first["_line"]),
                    "unit",
                    unit,
                    f"a unit convertible to {target} ({exc})",
                )
            )
    return factors["value"].astype("float64") * multiplier, problems


# A factor table is a few thousand rows; anything much larger is not a factor table.
MAX_TABLE_BYTES = 50_000_000


def _manifest(path: Path) -> FactorManifest:
    try:
        return load_model(path, FactorManifest, "factor-set manifest")
    except InputFileError as error:
        raise FactorSetError(str(error)) from None


def _table_path(folder: Path, entry: ManifestTable) -> Path:
    """The table's file, which must stay inside the set's folder (symlinks included)."""
    path = (folder / entry.file).resolve()
    if not path.is_relative_to(folder.resolve()):
        raise FactorSetError(
            f"{folder / 'manifest.yaml'}, key 'tables': found {entry.file!r}; "
            "expected a file inside the factor set's folder"
        )
    return path


def _read_factor_table(path: Path, kind: str) -> tuple[pd.DataFrame | None, list[Problem]]:
    """One CSV table as text, or the problem that keeps it from being read."""
    file = str(path)
    if path.stat().st_size > MAX_TABLE_BYTES:
        return None, [Problem(file, None, None, None, f"a table of at most {MAX_TABLE_BYTES:,} bytes")]
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        return None, [Problem(file, line, None, repr(data[error.start : error.start + 4]), "UTF-8 text")]
    if not text.strip():
        return None, [Problem(file, 1, None, None, "a header row naming the columns (the file is empty)")]
    if text.count('"') % 2:  # an unclosed quote would swallow every row after it into one value
        return None, [
            Problem(
                file,
                None,
                None,
                None,
                "every quote closed: a quote opens and never closes, so the rows "
                "after it would be read as one value",
            )
        ]
    try:
        records = list(csv.reader(io.StringIO(text)))  # a few thousand rows: exact field counts per row
    except csv.Error as error:
        return None, [Problem(file, None, None, None, f"a readable CSV table ({error})")]
    header = [c.strip() for c in records[0]]
    body = [(line, row) for line, row in enumerate(records[1:], start=2) if row]
    ragged = [(line, len(row)) for line, row in body if len(row) != len(header)]
    if ragged:  # the header's own problems first: an extra header name makes every row look short
        columns = _table_problems(kind, pd.DataFrame(columns=[*header, "_file", "_line"]), file, {})
        return None, columns + [
            Problem(
                file, line, None, None, f"{len(header)} values, one per header column (this row has {count})"
            )
            for line, count in ragged[:MAX_ROWS_PER_CHECK]
        ]
    table = pd.DataFrame([[v.strip() for v in row] for _, row in body], columns=header, dtype=str)
    table["_file"] = file
    table["_line"] = np.array([line for line, _ in body], dtype=np.int64)
    return table, []


def _value_problems(kind: str, table: pd.DataFrame, entry: ManifestTable) -> list[Problem]:
    """Values must be finite; factors may be negative only where the manifest names why."""
    if "value" not in table:
        return []
    value = pd.to_numeric(table["value"], errors="coerce")
    problems = _rows_where(table, value.notna() & ~np.isfinite(value), "value", "a finite number")
    if kind == "factors" and entry.negative_values_reason is None:
        problems += _rows_where(
            table,
            value < 0,
            "value",
            "a value of zero or more (a table of negative factors, "
            "such as removals, says why in the manifest: negative_values_reason)",
        )
    elif kind in ("gwp", "fuel_properties"):
        problems += _rows_where(table, value <= 0, "value", "a positive number")
    return problems


def load_factor_set(folder: Path) -> FactorSet:
    """Load and verify a factor set folder.

    The manifest must follow its model (table files inside the folder, sha256 of each);
    files whose sha256 differs are refused first (all of them named); then every schema
    problem in every table is collected and reported together.
    """
    folder = Path(folder)
    manifest_path = folder / "manifest.yaml"
    if not manifest_path.is_file():
        raise FactorSetError(f"{folder}: no manifest.yaml")
    model = _manifest(manifest_path)
    manifest = model.model_dump(mode="json")
    entries = model.tables
    missing_kinds = [kind for kind in TABLE_COLUMNS if kind not in {e.kind for e in entries}]
    if missing_kinds:
        raise FactorSetError(
            f"{manifest_path}: "
            + "; ".join(f"no table of kind {k}" for k in missing_kinds)
            + f" (kinds: {', '.join(TABLE_COLUMNS)})"
        )
    paths = [_table_path(folder, entry) for entry in entries]
    mismatches = _hash_mismatches(folder, manifest["tables"])
    if mismatches:
        raise FactorSetError(
            "\n".join(mismatches)
            + "\nA table was changed after the set was released: restore it, or publish a new version."
        )
    sources = manifest["sources"]
    tables: dict[str, list[pd.DataFrame]] = {kind: [] for kind in TABLE_COLUMNS}
    problems: list[Problem] = []
    for entry, path in zip(entries, paths, strict=True):
        table, read_problems = _read_factor_table(path, entry.kind)
        problems += read_problems
        if table is None:
            continue
        problems += _table_problems(entry.kind, table, str(path), sources)
        if not any(p.row == 1 for p in problems):
            problems += _value_problems(entry.kind, table, entry)
        table["vintaged"] = entry.vintaged
        tables[entry.kind].append(table)
    unreadable = len([p for p in problems if p.row in (None, 1)]) > 0
    empty = [kind for kind, parts in tables.items() if not parts]
    if unreadable or empty:  # wrong columns or unreadable files: row checks would only add noise
        raise _schema_error(
            problems
            + [
                Problem(str(manifest_path), None, None, None, f"a readable table of kind {k}")
                for k in empty
                if not problems
            ]
        )
    factors, gwp, fuel, regions = (
        pd.concat(tables[k], ignore_index=True) for k in ("factors", "gwp", "fuel_properties", "regions")
    )
    problems += _cross_table_problems(factors, gwp, regions)
    factors["data_year"] = pd.to_numeric(factors["data_year"], errors="coerce").fillna(0).astype("int64")
    factors["scope"] = pd.to_numeric(factors["scope"], errors="coerce").fillna(0).astype("int64")
    factors["published"] = pd.to_datetime(factors["published"], format="%Y-%m-%d", errors="coerce").dt.date
    factors["value"] = factors["value"].where(pd.to_numeric(factors["value"], errors="coerce").notna(), "nan")
    factors["value_canonical"], unit_problems = _canonical_factor_values(factors)
    problems += unit_problems
    if problems:
        raise _schema_error(problems)
    gwp["value"] = gwp["value"].astype("float64")
    fuel["value"] = fuel["value"].astype("float64")
    return FactorSet(
        name=model.name,
        version=model.version,
        path=folder,
        manifest=manifest,
        factors=factors,
        gwp=gwp,
        fuel_properties=fuel,
        regions=regions,
    )


def _schema_error(problems: list[Problem]) -> FactorSetError:
    return FactorSetError(
        f"the factor set breaks its schema ({len(problems)} problems):\n"
        + "\n".join(f"  - {p}" for p in problems)
    )


# ---------------------------------------------------------------- selection


def region_chains(regions: pd.DataFrame, wanted: list[str]) -> pd.DataFrame:
    """(region, candidate, rank) rows: each wanted region, then its parents, ending at GLOBAL."""
    parent = dict(zip(regions["region"], regions["parent"], strict=True))
    rows = []
    for region in wanted:
        if region not in parent:
            continue
        candidate, rank = region, 0
        while candidate and rank < 10:
            rows.append((region, candidate, rank))
            candidate, rank = parent.get(candidate, ""), rank + 1
    return pd.DataFrame(rows, columns=["region", "candidate", "rank"])


def _selection_notes(selected: pd.DataFrame, factor_set: FactorSet) -> list[str]:
    """Say when a choice was a fallback or is stale, rather than the set's design.

    A less specific region counts as a fallback only when the set has factors for that
    activity and method at the ledger region's level (provincial grid factors, say). IPCC
    fuel defaults being GLOBAL, or market-based grid factors being national, is the design.
    """
    level = dict(zip(factor_set.regions["region"], factor_set.regions["level"], strict=True))
    factors = factor_set.factors
    covered = set(zip(factors["activity"], factors["method"], factors["region"].map(level), strict=True))
    notes = []
    for row in selected.itertuples(index=False):
        parts = []
        if row.region_rank > 0 and (row.activity, row.method, level.get(row.region)) in covered:
            parts.append(f"region fallback {row.region} -> {row.factor_region}")
        if row.data_year > row.year:
            parts.append(
                f"vintage {row.data_year} is after reporting year {row.year} (no earlier vintage published)"
            )
        elif row.vintaged and row.year - row.data_year > STALE_AFTER_YEARS:
            parts.append(
                f"stale factor: data year {row.data_year} lags reporting year {row.year} by "
                f"{row.year - row.data_year} years"
            )
        notes.append("; ".join(parts))
    return notes


def select_factors(keys: pd.DataFrame, factor_set: FactorSet, as_of: date) -> tuple[pd.DataFrame, list[dict]]:
    """Choose factors for each distinct key.

    `keys` has the KEY columns plus `key_id`. Returns (selected rows: key_id + factor columns,
    list of unmatched keys with what was tried).
    """
    factors = factor_set.factors
    eligible = factors[factors["published"] <= as_of]
    chains = region_chains(factor_set.regions, sorted(keys["region"].unique()))
    candidates = (
        keys.merge(chains, on="region")
        .merge(
            eligible.rename(columns={"region": "factor_region"}),
            left_on=["activity", "candidate", *FACTOR_ATTRIBUTES],
            right_on=["activity", "factor_region", *FACTOR_ATTRIBUTES],
        )
        .rename(columns={"rank": "region_rank"})
    )
    # Most specific region first, then the latest vintage not after the reporting year,
    # then (only if none) the earliest later vintage.
    not_after = candidates["data_year"] <= candidates["year"]
    candidates["vintage_order"] = np.where(
        not_after,
        candidates["year"] - candidates["data_year"],
        10_000 + candidates["data_year"] - candidates["year"],
    )
    candidates = candidates.sort_values(["key_id", *COMPONENT, "region_rank", "vintage_order"], kind="stable")
    selected = candidates.drop_duplicates(["key_id", *COMPONENT], keep="first").copy()
    # Keep only components from the best region: a national factor must not mix with a provincial one.
    best_rank = selected.groupby(["key_id", "method"])["region_rank"].transform("min")
    selected = selected[selected["region_rank"] == best_rank]
    selected["selection_note"] = _selection_notes(selected, factor_set)
    return selected, _unmatched(keys, selected, chains, factor_set, as_of)


def _unmatched(
    keys: pd.DataFrame, selected: pd.DataFrame, chains: pd.DataFrame, factor_set: FactorSet, as_of: date
) -> list[dict]:
    """Keys with no factor at all, or missing a required Scope 2 method; each says which column
    to blame (region, or the attribute combination no factor has) and what would work."""
    activities = vocabulary().activities
    regions = list(factor_set.regions["region"])
    missing = []
    methods_found = selected.groupby("key_id")["method"].agg(set).to_dict()
    for key in keys.itertuples(index=False):
        found = methods_found.get(key.key_id)
        required = set(activities[key.activity].required_methods)
        if found is not None and required <= found:
            continue
        if key.region not in set(regions):
            missing.append(
                {
                    "key_id": key.key_id,
                    "column": "region",
                    "value": key.region,
                    "expected": f"a region listed in {factor_set.label} regions.csv, such as CN, CN-SH, "
                    f"CN-BJ, CN-HA"
                    f"{did_you_mean(key.region, regions)} (see `carbon vocab regions`)",
                }
            )
            continue
        unknown = _attributes_without_factor(key, factor_set)
        if unknown is not None:
            missing.append({"key_id": key.key_id, **unknown})
            continue
        tried = " -> ".join(chains.loc[chains["region"] == key.region, "candidate"])
        lacking = f"{' and '.join(sorted(required - (found or set())))}-based " if found else ""
        values = [getattr(key, a) for a in FACTOR_ATTRIBUTES if getattr(key, a)]
        detail = f" ({', '.join(values)})" if values else ""
        missing.append(
            {
                "key_id": key.key_id,
                "column": "region",
                "value": key.region,
                "expected": f"an emission factor: no {lacking}{key.activity}{detail} factor for {key.year} "
                f"in "
                f"{factor_set.label} after trying regions {tried}, any data year, published on or "
                f"before {as_of.isoformat()}",
            }
        )
    return missing


def _attributes_without_factor(key, factor_set: FactorSet) -> dict | None:
    """When no factor of the activity has the key's attribute values (any region or year), the
    last of those attributes is to blame; the message lists the values that have one."""
    attributes = [a for a in FACTOR_ATTRIBUTES if getattr(key, a)]
    if not attributes:
        return None
    factors = factor_set.factors
    combos = factors.loc[factors["activity"] == key.activity, attributes].drop_duplicates()
    values = [getattr(key, a) for a in attributes]
    if ((combos == values).all(axis=1)).any():
        return None
    *leading, last = attributes
    options = combos[(combos[leading] == values[:-1]).all(axis=1)] if leading else combos
    offered = " or ".join(sorted(options[last].astype(str))) or "(none)"
    prefix = f"for {' / '.join(values[:-1])}, " if leading else ""
    return {
        "column": last,
        "value": " / ".join(values),
        "expected": f"a {' and '.join(attributes)} with a factor in {factor_set.label}: {prefix}{last} "
        f"{offered} "
        "(see `carbon vocab attributes`)",
    }


def key_stats(rows: pd.DataFrame) -> pd.DataFrame:
    """Per distinct key of `rows` (in order of first appearance): the first ledger row, the
    number of rows and the key's values (the region is named in messages)."""
    code, first = distinct_rows(rows, KEY)
    first_row = np.full(len(first), np.iinfo(np.int64).max)
    np.minimum.at(first_row, code, rows["ledger_row"].to_numpy(dtype=np.int64))
    stats = rows[KEY].iloc[first].reset_index(drop=True)
    stats = stats.astype({k: "object" for k in KEY if k != "year"})
    return stats.assign(first_row=first_row, rows=np.bincount(code, minlength=len(first)))


def missing_factor_problems(missing: dict[int, dict], stats: pd.DataFrame, file: str) -> list[Problem]:
    """One Problem per key without a factor, at its first ledger row. `missing` maps key ids to
    _unmatched entries; `stats` is key_stats output with a key_id column."""
    by_id = stats.set_index("key_id")
    problems = []
    for key_id, entry in missing.items():
        first_row, count = by_id.at[key_id, "first_row"], by_id.at[key_id, "rows"]
        also = f" ({count - 1} more rows with the same key)" if count > 1 else ""
        problems.append(
            Problem(file, int(first_row), entry["column"], str(entry["value"]), entry["expected"] + also)
        )
    return problems
