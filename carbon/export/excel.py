"""The auditor workbook: every figure recomputed by live formulas from activity rows and factors.

Sheets: Cover, Activity, Organisation, Factors, GWP, Calculation, Summary, Uncertainty (the
95% intervals as formulas, carbon/export/uncertainty_sheet.py), Reconciliation (when the
organisation has published tables), Charts. Calculation and Summary hold formulas
only; the inputs they reference (Activity, Organisation, Factors, GWP) hold values. Every
headline figure has a defined name `<key>_<year>` (e.g. scope1_2025).

Cached values: every formula is stored with the value it computes (worked out here from the
same numbers the cells hold), so readers that do not recalculate (pandas, openpyxl with
data_only=True, file previews) see the figures; a spreadsheet that recalculates gets the same.

Cells and sheets (formulas, formats, safe text) are carbon/export/cells.py's.
Determinism: no wall-clock timestamps; the same inputs and --as-of give identical bytes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, NamedTuple

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from carbon import __version__
from carbon.calculate import gwp_values
from carbon.engine import RunResult
from carbon.errors import CarbonError
from carbon.export.cells import (
    COUNT,
    FACTOR,
    NOT_AVAILABLE,
    ROW_NUMBER,
    TONNES,
    Formats,
    Formula,
    Sheet,
    SummaryCells,
    column_range,
)
from carbon.export.uncertainty_sheet import source_id, write_uncertainty
from carbon.grouped import GroupedResult
from carbon.inventory import energy_mwh_multiplier
from carbon.models.uncertainty import uncertainty_rules
from carbon.models.vocabulary import vocabulary
from carbon.outputs import write_atomically
from carbon.paths import file_sha256
from carbon.uncertainty import line_sources, uncertainty_sources
from carbon.units import conversion_factor

if TYPE_CHECKING:
    from carbon.reconcile.findings import Reconciliation

EXCEL_MAX_ROWS = 1_048_576
# Headline figures with defined names `<key>_<year>`, all on the Summary sheet (and the
# vocabulary's resource figures: named_keys()).
NAMED_KEYS = [
    "scope1",
    "scope2_location",
    "scope2_market",
    "scope3",
    "total_location",
    "total_market",
    "tco2e_per_employee",
    "energy_mwh",
]


def resource_columns() -> list[tuple[str, str, str]]:
    """(Summary key, header, value of the Activity sheet's resource column) of every resource
    figure of the vocabulary; a split resource has one per class (waste_t_hazardous ...)."""
    columns = []
    for name, resource in vocabulary().resources.items():
        if resource.split is None:
            columns.append((name, resource.label, name))
        else:
            columns += [
                (f"{name}_{c}", f"{resource.label}: {c.replace('_', '-')}", f"{name}.{c}")
                for c in resource.split.classes
            ]
    return columns


def named_keys() -> list[str]:
    return [*NAMED_KEYS, *(key for key, _, _ in resource_columns())]


WORKBOOK_OPTIONS = {
    "in_memory": True,  # no temporary files; the zip entries get XlsxWriter's fixed 1980-01-01 time
    # Input text must never be guessed into a formula, number or link: we call write_string for it,
    # and these switch the guessing off for any write() that slips in.
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
    "nan_inf_to_errors": True,  # a NaN shows as #NUM! rather than aborting the export
}


def _relative(path, folder: Path) -> str:
    """A path as seen from the organisation folder: no user names or site-packages in the workbook."""
    try:
        return Path(os.path.relpath(Path(path).absolute(), Path(folder).absolute())).as_posix()
    except ValueError:  # on another drive (Windows): the name alone
        return Path(path).name


def _input_files(path: Path) -> list[Path]:
    """The files of an input: the file itself, or every Parquet file of a ledger folder."""
    path = Path(path)
    return sorted(path.glob("**/*.parquet")) if path.is_dir() else [path]


def _category(value) -> int | None:
    return int(value) if str(value).isdigit() else None


# ---------------------------------------------------------------- input sheets


def activity_headers() -> list[str]:
    """The Activity sheet's columns: the ledger's (attribute columns from the vocabulary), the
    conversion as multiplications, and the energy key and resource figure each row counts towards."""
    return [
        "record_id",
        "year",
        "site",
        "region",
        "activity",
        *vocabulary().attributes,
        "quantity",
        "unit",
        "canonical multiplier",
        "quantity (canonical)",
        "canonical unit",
        "MWh multiplier",
        "energy (MWh)",
        "energy key",
        "resource",
        "conversion",
        "source",
        "data_quality",
        "ledger file",
        "ledger row",
    ]


def activity_column(name: str) -> str:
    """The Activity sheet's column letter of a header."""
    return xl_col_to_name(activity_headers().index(name))


class ActivitySheet(NamedTuple):
    row: dict[str, int]  # record_id -> sheet row
    values: pd.DataFrame  # per sheet row: year, energy key, resource, canonical, energy
    last: int


def _resource_of(rows: pd.DataFrame) -> pd.Series:
    """The resource figure each row counts towards: 'water_m3', or 'waste_t.hazardous' for a split one."""
    resource = pd.Series("", index=rows.index, dtype=object)
    for name, spec in vocabulary().resources.items():
        mine = rows["activity"].isin(spec.activities)
        if spec.split is None:
            resource[mine] = name
        else:
            classes = rows[spec.split.attribute].astype(str).map(vocabulary().classes(spec.split.attribute))
            resource[mine] = name + "." + classes[mine].astype(str)
    return resource


def write_activity(sheet: Sheet, rows: pd.DataFrame, folder: Path) -> ActivitySheet:
    """The ledger rows as given plus the conversion as a multiplication."""
    rows = rows.sort_values(["year", "ledger_row"], kind="stable").reset_index(drop=True)
    quantity = rows["quantity"].to_numpy(dtype="float64")
    mwh = energy_mwh_multiplier(rows).to_numpy(dtype="float64")
    # Cached values: the same IEEE multiplications the formulas do.
    canonical = quantity * rows["canonical_multiplier"].to_numpy(dtype="float64")
    energy = quantity * mwh
    energy_key = rows["activity"].astype(str).map(vocabulary().energy_keys).fillna("").to_numpy()
    resource = _resource_of(rows).to_numpy()
    files = rows["ledger_file"].astype(str)
    ledger_file = files.map({f: _relative(f, folder) for f in files.unique()}).to_numpy()
    attributes = list(vocabulary().attributes)
    q, k, n = (
        activity_column("quantity"),
        activity_column("canonical multiplier"),
        activity_column("MWh multiplier"),
    )

    def data():
        for i, row in enumerate(rows.to_dict("records")):
            r = i + 2
            yield [
                row["record_id"],
                row["year"],
                row["site"],
                row["region"],
                row["activity"],
                *(row[a] for a in attributes),
                row["quantity"],
                row["unit"],
                row["canonical_multiplier"],
                Formula(f"={q}{r}*{k}{r}", canonical[i]),
                row["canonical_unit"],
                mwh[i],
                Formula(f"={q}{r}*{n}{r}", energy[i]),
                energy_key[i],
                resource[i],
                row["conversion"],
                row["source"],
                row["data_quality"],
                ledger_file[i],
                row["ledger_row"],
            ]

    headers = activity_headers()
    number = {h: i for i, h in enumerate(headers, start=1)}
    last = sheet.table(
        headers,
        data(),
        {
            number["year"]: ROW_NUMBER,
            number["quantity"]: "#,##0.######",
            number["canonical multiplier"]: "0.000000000###",
            number["quantity (canonical)"]: TONNES,
            number["MWh multiplier"]: "0.000000000###",
            number["energy (MWh)"]: "#,##0.000",
            number["ledger row"]: ROW_NUMBER,
        },
        {1: 28, 3: 30, number["conversion"]: 50, number["source"]: 60, number["ledger file"]: 24},
    )
    values = pd.DataFrame(
        {
            "year": rows["year"].to_numpy(),
            "energy_key": energy_key,
            "resource": resource,
            "canonical": canonical,
            "energy": energy,
        }
    )
    sheet_row = {record_id: i for i, record_id in enumerate(rows["record_id"], start=2)}
    return ActivitySheet(sheet_row, values, last)


ORGANISATION_METRICS = ("employees", "revenue", "floor_area")


def organisation_values(result: RunResult) -> dict[int, dict[str, float | None]]:
    """Per reporting year, each metric as the Organisation sheet holds it (None: a blank cell)."""
    metrics = result.organisation.metrics
    years = sorted(int(y) for y in result.rows["year"].unique())
    return {
        y: {
            m: None if y not in metrics.index or pd.isna(metrics.at[y, m]) else float(metrics.at[y, m])
            for m in ORGANISATION_METRICS
        }
        for y in years
    }


def write_organisation(sheet: Sheet, values: dict[int, dict]) -> int:
    data = ([year, *(metrics[m] for m in ORGANISATION_METRICS)] for year, metrics in values.items())
    return sheet.table(
        ["year", "employees (person)", "revenue (RMB million)", "floor area (m2)"],
        data,
        {1: ROW_NUMBER, 2: COUNT, 3: "#,##0.000", 4: "#,##0.00"},
    )


FACTOR_HEADERS = [
    "factor_id",
    "activity",
    "region",
    "data year",
    "gas",
    "value (as published)",
    "unit",
    "unit multiplier",
    "value (t gas per canonical unit)",
    "canonical unit",
    "scope",
    "category",
    "method",
    "published",
    "confidence",
    "source_id",
    "source",
    "URL",
    "table/page",
    "gwp_basis",
    "notes",
]


def write_factors(sheet: Sheet, result: RunResult) -> dict[str, tuple[int, float]]:
    """Every factor used, with its conversion to t of gas per canonical unit as a multiplication;
    returns factor_id -> (sheet row, value in t gas per canonical unit)."""
    factor_set = result.factor_set
    used = factor_set.factors[factor_set.factors["factor_id"].isin(set(result.lines["factor_id"]))]
    sources = factor_set.manifest["sources"]
    canonical = {a: spec.canonical_unit for a, spec in vocabulary().activities.items()}
    data, found = [], {}
    for i, f in enumerate(used.sort_values("factor_id").itertuples(index=False), start=2):
        gas_mass = vocabulary().gases[f.gas]
        multiplier = conversion_factor(f.unit, f"{gas_mass}/({canonical[f.activity]})")
        value = float(f.value) * multiplier
        source = sources[f.source_id]
        found[f.factor_id] = (i, value)
        data.append(
            [
                f.factor_id,
                f.activity,
                f.region,
                f.data_year,
                f.gas,
                float(f.value),
                f.unit,
                multiplier,
                Formula(f"=F{i}*H{i}", value),
                f"{gas_mass} per {canonical[f.activity]}",
                f.scope,
                f.category,
                f.method,
                f.published.isoformat(),
                f.confidence,
                f.source_id,
                f"{source['publisher']}: {source['title']}",
                source.get("url", ""),
                source.get("locator", ""),
                f.gwp_basis,
                f.notes,
            ]
        )
    sheet.table(
        FACTOR_HEADERS,
        data,
        {4: ROW_NUMBER, 6: "0.0000####", 8: "0.000000000###", 9: FACTOR},
        {1: 44, 17: 60, 18: 40, 19: 40, 21: 60},
    )
    return found


def write_gwp(sheet: Sheet, result: RunResult, gwp_set: str) -> dict[str, tuple[int, float]]:
    """The GWP-100 values; returns gas -> (sheet row, value)."""
    values = gwp_values(result.factor_set, gwp_set)
    table_rows = result.factor_set.gwp[result.factor_set.gwp["gwp_set"] == gwp_set]
    data = [[g.gas, values[g.gas], gwp_set, g.source_id, g.notes] for g in table_rows.itertuples(index=False)]
    sheet.table(["gas", f"GWP-100 ({gwp_set})", "GWP set", "source_id", "notes"], data, widths={5: 70})
    return {gas: (i, float(values[gas])) for i, gas in enumerate(table_rows["gas"], start=2)}


# ---------------------------------------------------------------- formula sheets

CALCULATION_HEADERS = [
    "line",
    "record_id",
    "year",
    "activity",
    "scope",
    "category",
    "method",
    "gas",
    "factor_id",
    "quantity (canonical)",
    "canonical unit",
    "factor (t gas per canonical unit)",
    "applied share",
    "GWP",
    "emissions (t gas)",
    "emissions (tCO2e)",
    "Activity row",
    "selection note",
    "uncertainty source",  # the line's source on the Uncertainty sheet, which sums by it
    "tCO2e before instruments",  # quantity x factor x GWP: what a quantity error scales
]


class CalculationSheet(NamedTuple):
    values: pd.DataFrame  # per line: year, scope, method, category, tco2e (column P)
    last: int


def write_calculation(
    sheet: Sheet, lines: pd.DataFrame, activity: ActivitySheet, factors: dict, gwp: dict, sources: np.ndarray
) -> CalculationSheet:
    activity_row = lines["record_id"].map(activity.row).to_numpy(dtype="int64")
    # Cached values follow the cells: J is Activity!L, L is Factors!I, N is GWP!B (1 for CO2e
    # factors, which already carry their GWP basis); O = J*L*M and P = O*N, in the formulas' order.
    quantity = activity.values["canonical"].to_numpy()[activity_row - 2]
    factor_value = {factor_id: value for factor_id, (_row, value) in factors.items()}
    factor = lines["factor_id"].astype(str).map(factor_value).to_numpy(dtype="float64")
    gas = lines["gas"].astype(str)
    is_co2e = (gas == "CO2e").to_numpy()
    gwp_value = np.where(is_co2e, 1.0, gas.map({k: v[1] for k, v in gwp.items()}).to_numpy(dtype="float64"))
    t_gas = quantity * factor * lines["applied_share"].to_numpy(dtype="float64")
    tco2e = t_gas * gwp_value
    category = [_category(c) for c in lines["category"]]
    canonical_column = activity_column("quantity (canonical)")
    grouped = "line_key" in lines.columns  # a group's lines: traced to the line files by line_key

    def data():
        for i, line in enumerate(lines.itertuples(index=False)):
            r, a = i + 2, activity_row[i]
            gwp_cell = 1 if is_co2e[i] else Formula(f"=GWP!$B${gwp[line.gas][0]}", gwp_value[i])
            factor_cell = Formula(f"=Factors!$I${factors[line.factor_id][0]}", factor[i])
            yield [
                r - 1,
                line.record_id,
                line.year,
                line.activity,
                line.scope,
                category[i],
                line.method,
                line.gas,
                line.factor_id,
                Formula(f"=Activity!${canonical_column}${a}", quantity[i]),
                line.canonical_unit,
                factor_cell,
                line.applied_share,
                gwp_cell,
                Formula(f"=J{r}*L{r}*M{r}", t_gas[i]),
                Formula(f"=O{r}*N{r}", tco2e[i]),
                a,
                line.selection_note,
                source_id(sources[i]),
                Formula(f"=J{r}*L{r}*N{r}", quantity[i] * factor[i] * gwp_value[i]),
                *((str(line.line_key),) if grouped else ()),
            ]

    last = sheet.table(
        CALCULATION_HEADERS + (["line_key"] if grouped else []),
        data(),
        {
            1: COUNT,
            3: ROW_NUMBER,
            10: TONNES,
            12: FACTOR,
            13: "0.000000",
            15: TONNES,
            16: TONNES,
            17: ROW_NUMBER,
            20: TONNES,
        },
        {2: 28, 9: 44, 18: 50, 19: 12, 20: 16, 21: 22},
    )
    values = pd.DataFrame(
        {
            "year": lines["year"].to_numpy(),
            "scope": lines["scope"].to_numpy(),
            "method": lines["method"].astype(str).to_numpy(),
            "category": pd.array(category, dtype="Int64"),
            "tco2e": tco2e,
        }
    )
    return CalculationSheet(values, last)


class SummaryColumn(NamedTuple):
    key: str
    header: str
    formula: Callable[[int], str] | None  # Summary row -> formula (None: the year itself)
    value: Callable[[int, dict], float | str] | None  # (year, row so far) -> what the formula gives
    number_format: str = TONNES


def _sum_by_year(frame: pd.DataFrame, mask, column: str) -> Callable[[int, dict], float]:
    """What SUMIFS over these rows gives for one year (0 when no row matches)."""
    sums = frame.loc[mask].groupby("year")[column].sum()
    return lambda year, _row: float(sums.get(year, 0.0))


def _metric(values: dict[int, dict], metric: str) -> Callable[[int, dict], float | str]:
    return lambda year, _row: NOT_AVAILABLE if values[year][metric] is None else values[year][metric]


def _ratio(numerators: list[str], denominator: str) -> Callable[[int, dict], float | str]:
    """What IF(ISNUMBER(d),IF(d>0,n/d,"n/a"),"n/a") gives: n/a for a missing or zero denominator."""

    def value(_year, row):
        d = row[denominator]
        # sum() adds left to right from 0, exactly as the formula's (H+I)
        return sum(row[n] for n in numerators) / d if not isinstance(d, str) and d > 0 else NOT_AVAILABLE

    return value


def summary_columns(
    calculation: CalculationSheet,
    activity: ActivitySheet,
    organisation: dict[int, dict],
    categories: list[str],
    last_org: int,
) -> list[SummaryColumn]:
    """Per-year KPIs as SUMIFS over Calculation, Activity and Organisation, and ratios of them, each
    with the Python computation of what its formula gives."""

    def calc(column):
        return column_range("Calculation", column, calculation.last)

    def act(column):
        return column_range("Activity", column, activity.last)

    def org(column):
        return column_range("Organisation", column, last_org)

    c, a = calculation.values, activity.values

    def emissions(key, header, criteria, mask):
        return SummaryColumn(
            key,
            header,
            lambda r: f"=SUMIFS({calc('P')},{calc('C')},$A{r},{criteria})",
            _sum_by_year(c, mask, "tco2e"),
        )

    def activity_sum(key, header, column, criteria, mask):
        letter_ = activity_column(column)
        return SummaryColumn(
            key,
            header,
            lambda r: f"=SUMIFS({act(letter_)},{act('B')},$A{r}{criteria})",
            _sum_by_year(a, mask, "energy" if column == "energy (MWh)" else "canonical"),
        )

    def organisation_metric(key, header, column, metric, number_format):
        # SUMIFS over a blank cell gives 0: a year without a value must say n/a, not 0.
        def formula(r):
            return (
                f'=IF(COUNTIFS({org("A")},$A{r},{org(column)},"<>")>0,'
                f'SUMIFS({org(column)},{org("A")},$A{r}),"{NOT_AVAILABLE}")'
            )

        return SummaryColumn(key, header, formula, _metric(organisation, metric), number_format)

    scope, labels = c["scope"], vocabulary().scope3_categories
    columns = [
        SummaryColumn("year", "Year", None, None, ROW_NUMBER),
        emissions("scope1", "Scope 1 (tCO2e)", f"{calc('E')},1", scope == 1),
        emissions(
            "scope2_location",
            "Scope 2 location (tCO2e)",
            f'{calc("E")},2,{calc("G")},"location"',
            (scope == 2) & (c["method"] == "location"),
        ),
        emissions(
            "scope2_market",
            "Scope 2 market (tCO2e)",
            f'{calc("E")},2,{calc("G")},"market"',
            (scope == 2) & (c["method"] == "market"),
        ),
        emissions("scope3", "Scope 3 (tCO2e)", f"{calc('E')},3", scope == 3),
    ]
    for category in categories:
        columns.append(
            emissions(
                f"scope3_cat{category}",
                f"Scope 3 cat. {category} {labels.get(category, '')} (tCO2e)",
                f"{calc('E')},3,{calc('F')},{category}",
                (scope == 3) & (c["category"] == int(category)).fillna(False),
            )
        )
    letter = {column.key: xl_col_to_name(i) for i, column in enumerate(columns)}
    s1, s2l, s2m, s3 = (letter[k] for k in ("scope1", "scope2_location", "scope2_market", "scope3"))
    columns += [
        SummaryColumn(
            "total_location",
            "Total location (tCO2e)",
            lambda r: f"={s1}{r}+{s2l}{r}+{s3}{r}",
            lambda _y, row: row["scope1"] + row["scope2_location"] + row["scope3"],
        ),
        SummaryColumn(
            "total_market",
            "Total market (tCO2e)",
            lambda r: f"={s1}{r}+{s2m}{r}+{s3}{r}",
            lambda _y, row: row["scope1"] + row["scope2_market"] + row["scope3"],
        ),
        activity_sum("energy_mwh", "Energy (MWh)", "energy (MWh)", "", slice(None)),
    ]
    energy_key_column, resource_column = act(activity_column("energy key")), act(activity_column("resource"))
    columns += [
        activity_sum(
            f"{key}_mwh",
            f"{label} (MWh)",
            "energy (MWh)",
            f',{energy_key_column},"{key}"',
            a["energy_key"] == key,
        )
        for key, label in vocabulary().energy_labels().items()
    ]
    columns += [
        activity_sum(
            key, header, "quantity (canonical)", f',{resource_column},"{value}"', a["resource"] == value
        )
        for key, header, value in resource_columns()
    ]
    columns += [
        organisation_metric("employees", "Employees (person)", "B", "employees", COUNT),
        organisation_metric("revenue", "Revenue (RMB million)", "C", "revenue", "#,##0.000"),
    ]
    letter = {column.key: xl_col_to_name(i) for i, column in enumerate(columns)}

    def ratio(key, header, numerators, denominator):
        d = letter[denominator]

        def formula(r):
            top = "+".join(f"{letter[n]}{r}" for n in numerators)
            top = top if len(numerators) == 1 else f"({top})"
            return f'=IF(ISNUMBER({d}{r}),IF({d}{r}>0,{top}/{d}{r},"{NOT_AVAILABLE}"),"{NOT_AVAILABLE}")'

        return SummaryColumn(key, header, formula, _ratio(numerators, denominator))

    columns += [
        ratio("tco2e_per_employee", "tCO2e per employee (location)", ["total_location"], "employees"),
        ratio("tco2e_per_employee_market", "tCO2e per employee (market)", ["total_market"], "employees"),
        ratio("energy_mwh_per_employee", "MWh per employee", ["energy_mwh"], "employees"),
    ]
    for name, resource in vocabulary().resources.items():
        parts = [key for key, _, value in resource_columns() if value.split(".")[0] == name]
        columns.append(ratio(resource.per_employee, f"{resource.label} per employee", parts, "employees"))
    columns.append(ratio("tco2e_per_rmb_million", "tCO2e per RMB million", ["total_location"], "revenue"))
    return columns


def write_summary(sheet: Sheet, years: list[int], columns: list[SummaryColumn]) -> dict[str, int]:
    """One row per year; returns key -> 0-based column index."""

    def data() -> Iterator[list[object]]:
        for r, year in enumerate(years, start=2):
            row: dict[str, float | str] = {"year": year}
            cells: list[object] = [year]
            for column in columns[1:]:  # the first column is the year itself: no formula
                assert column.formula is not None and column.value is not None
                row[column.key] = column.value(year, row)
                cells.append(Formula(column.formula(r), row[column.key]))
            yield cells

    # Right-aligned, so an "n/a" lines up with the numbers above and below it.
    sheet.table(
        [column.header for column in columns],
        data(),
        {i: column.number_format for i, column in enumerate(columns, start=1)},
        {i: 18 for i in range(2, len(columns) + 1)},
        align="right",
    )
    return {column.key: i for i, column in enumerate(columns)}


def write_reconciliation(sheet: Sheet, report: Reconciliation) -> None:
    data = []
    for f in report.findings:
        expected: list[float | None] = list(f.expected) if f.expected else [None, None]
        cells = "; ".join(f"{c.document} / {c.section} / {c.locator}: {c.printed}" for c in f.documents)
        data.append(
            [f.severity, f.kind, f.year, f.period, f.region, f.kpi, f.printed, *expected, f.message, cells]
        )
    sheet.table(
        [
            "verdict",
            "check",
            "year",
            "period",
            "region",
            "kpi",
            "printed",
            "expected low",
            "expected high",
            "finding",
            "cells involved",
        ],
        data,
        {3: ROW_NUMBER, 8: "#,##0.######", 9: "#,##0.######"},
        {10: 90, 11: 90},
    )


def write_charts(book: xlsxwriter.Workbook, sheet: Sheet, years: int, index: dict[str, int]) -> None:
    """Native charts over Summary: they recalculate with it."""
    sheet.put(1, 1, "Charts read the Summary sheet; they recalculate with it.", sheet.format(bold=True))

    def series(key, **options):
        column = index[key]
        return {
            "name": ["Summary", 0, column],
            "categories": ["Summary", 1, 0, years, 0],
            "values": ["Summary", 1, column, years, column],
            **options,
        }

    bars = book.add_chart({"type": "column", "subtype": "stacked"})
    for key in ("scope1", "scope2_location", "scope3"):
        bars.add_series(series(key))
    bars.set_title({"name": "Emissions by scope (location-based, tCO2e)"})
    bars.set_y_axis({"name": "tCO2e", "num_format": "#,##0"})
    bars.set_size({"width": 680, "height": 340})
    sheet.ws.insert_chart("A3", bars)
    line = book.add_chart({"type": "line"})
    # Yearly points: straight segments, no invented curve.
    line.add_series(series("tco2e_per_employee", smooth=False, marker={"type": "circle"}))
    line.set_title({"name": "Intensity (tCO2e per employee, location-based)"})
    line.set_y_axis({"name": "tCO2e / employee", "num_format": "0.00"})
    line.set_size({"width": 680, "height": 340})
    sheet.ws.insert_chart("A23", line)
    sheet.ws.set_column(0, 0, 60)
    sheet.print_setup(title_rows=1, gridlines=False)


METHODOLOGY = (
    "GHG Protocol, operational control. Scope 2 location: the grid factor of the row's region (province -> "
    "grid region -> national); market: instruments at their factor, the remainder at the national factor "
    "excluding market-traded non-fossil power. Every factor's source is on the Factors sheet. Intensities: "
    "year-end employees; revenue in RMB million; n/a where the organisation file has no value for the year."
)
TRACING = (
    "Summary (formulas) -> Calculation rows of that year and scope -> Activity row (column 'Activity "
    "row') and Factors row (factor_id) -> the factor's source, URL and table/page."
)


GROUPED = (
    "The ledger has {rows:,} rows, more than a sheet can usefully hold: each Activity row is a group, the "
    "rows of one year, region, activity, attributes, unit and conversion at one site in one ledger file, "
    "summed (its 'source' says how many rows and the first). Each Calculation row is a group's line for "
    "one factor component, with the same formulas. To reach the ledger rows behind a Calculation row, "
    "filter the emission_lines.parquet that `carbon inventory` publishes by its line_key and the "
    "group's site (the line files' sha256 are below when the workbook was written with them)."
)


def write_cover(sheet: Sheet, result: RunResult, report: Reconciliation | None) -> None:
    inventory, request, factor_set = result.inventory, result.request, result.factor_set
    folder = Path(request.ledger).parent  # the organisation folder: paths are shown relative to it
    rows = [
        ("Organisation", inventory.organisation),
        ("Reporting years", ", ".join(str(y.year) for y in inventory.years)),
        ("Factor set", factor_set.label),
        ("GWP set", f"{inventory.gwp} (100-year)"),
        ("As of (factors published on or before)", inventory.as_of),
        ("Engine", f"carbon-inventory {__version__}"),
    ]
    rows += [
        ("Ledger file", f"{_relative(f, folder)} (sha256 {file_sha256(f)})")
        for f in _input_files(request.ledger)
    ]
    rows += [
        (
            "Organisation file",
            f"{_relative(request.organisation, folder)} (sha256 {file_sha256(request.organisation)})",
        ),
        ("File paths", "relative to the organisation folder (the folder holding the ledger)"),
    ]
    rows += [(f"Factor table {e['file']}", f"sha256 {e['sha256']}") for e in factor_set.manifest["tables"]]
    rows += [("How to trace a figure", TRACING), ("Methodology", METHODOLOGY)]
    if isinstance(result, GroupedResult):
        rows.append(("Grouped workbook", GROUPED.format(rows=int(result.rows["rows"].sum()))))
        rows += [(f"Line file {name}", f"sha256 {digest}") for name, digest in result.line_files.items()]
    if report is not None:
        counts = {s: report.count(s) for s in ("inconsistent", "rounding_method", "note")}
        rows.append(
            (
                "Reconciliation",
                (
                    f"{report.checked} printed figures checked: "
                    f"{counts['inconsistent']} inconsistent, {counts['rounding_method']} "
                    f"rounding_method, {counts['note']} notes (sheet Reconciliation)"
                ),
            )
        )
    rows += [("Note", note) for note in inventory.notes]
    sheet.put(1, 1, "carbon-inventory auditor workbook", sheet.format(bold=True, font_size=14))
    sheet.put(2, 1, "Item", sheet.format(bold=True))
    sheet.put(2, 2, "Value", sheet.format(bold=True))
    item, value = sheet.format(valign="top"), sheet.format(valign="top", text_wrap=True)  # long notes wrap
    for r, (name, text) in enumerate(rows, start=3):
        sheet.put(r, 1, name, item)
        sheet.put(r, 2, text, value)
    sheet.ws.set_column(0, 0, 40)
    sheet.ws.set_column(1, 1, 120)
    sheet.print_setup(title_rows=2, gridlines=False)


# ---------------------------------------------------------------- workbook


def check_size(result: RunResult) -> None:
    """Refuse, before anything is written, a workbook Excel could not open (grouped workbooks
    have a row per group: this holds unless a ledger has a million distinct groups)."""
    for sheet, count, what in (
        ("Activity", len(result.rows), "ledger rows"),
        ("Calculation", len(result.lines), "emission lines"),
    ):
        if count + 1 > EXCEL_MAX_ROWS:
            raise CarbonError(
                f"The auditor workbook cannot hold this ledger: the {sheet} sheet would "
                f"need {count:,} {what} plus a header row, but Excel allows at most {EXCEL_MAX_ROWS:,} rows "
                "per sheet. Without the workbook, the emission lines file and inventory.json hold every "
                "figure."
            )


# Sheets another stage adds after the Summary (the HKEX pack): given a sheet maker, the Summary's
# column per key and the years of its rows.
ExtraSheets = Callable[[Callable[[str], "Sheet"], dict[str, int], list[int]], None]


def build_workbook(
    result: RunResult,
    target: BinaryIO | str | Path,
    report: Reconciliation | None = None,
    extra: ExtraSheets | None = None,
) -> None:
    """Write the workbook to `target` (a binary stream or a file name), with `extra` sheets."""
    check_size(result)
    book = xlsxwriter.Workbook(target, WORKBOOK_OPTIONS)
    # Document dates are the as-of date, not the clock: the same inputs give the same bytes.
    book.set_properties(
        {
            "title": f"{result.inventory.organisation} GHG inventory: auditor workbook",
            "author": f"carbon-inventory {__version__}",
            "created": datetime.combine(result.request.as_of, datetime.min.time()),
        }
    )
    formats = Formats(book)

    def sheet(name: str) -> Sheet:
        return Sheet(book, formats, name)

    cover = sheet("Cover")  # the first tab, filled last
    activity = write_activity(sheet("Activity"), result.rows, Path(result.request.ledger).parent)
    organisation = organisation_values(result)
    last_org = write_organisation(sheet("Organisation"), organisation)
    factors = write_factors(sheet("Factors"), result)
    gwp = write_gwp(sheet("GWP"), result, result.inventory.gwp)
    rules = uncertainty_rules()
    sources = uncertainty_sources(result.lines, rules)
    lines_source = line_sources(result.lines, sources)
    calculation = write_calculation(sheet("Calculation"), result.lines, activity, factors, gwp, lines_source)
    years = [y.year for y in result.inventory.years]
    categories = sorted({c for y in result.inventory.years for c in y.scope3_by_category}, key=int)
    index = write_summary(
        sheet("Summary"), years, summary_columns(calculation, activity, organisation, categories, last_org)
    )
    if any(year.uncertainty for year in result.inventory.years):
        ranges = {
            header: column_range("Calculation", xl_col_to_name(i), calculation.last)
            for i, header in enumerate(CALCULATION_HEADERS)
        }
        cells = SummaryCells(index, years)
        write_uncertainty(sheet("Uncertainty"), result.inventory, sources, ranges, cells, rules)
    if report is not None:
        write_reconciliation(sheet("Reconciliation"), report)
    if extra is not None:
        extra(sheet, index, years)
    write_charts(book, sheet("Charts"), len(years), index)
    write_cover(cover, result, report)
    for r, year in enumerate(years, start=2):
        for key in named_keys():
            book.define_name(f"{key}_{year}", f"=Summary!${xl_col_to_name(index[key])}${r}")
    book.close()


def export_xlsx(
    result: RunResult, path: Path, report: Reconciliation | None = None, extra: ExtraSheets | None = None
) -> Path:
    """Build the workbook and write it atomically to `path`."""
    check_size(result)  # before the temporary file exists
    write_atomically(Path(path), lambda stream: build_workbook(result, stream, report, extra))
    return Path(path)
