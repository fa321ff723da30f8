"""The auditor workbook: every figure recomputed by live formulas from activity rows and factors.

Sheets: Cover, Activity, Organisation, Factors, GWP, Calculation, Summary, Reconciliation
(when the organisation has published tables), Charts. Calculation and Summary hold formulas
only; the inputs they reference (Activity, Organisation, Factors, GWP) hold values. Every
headline figure has a defined name `<key>_<year>` (e.g. scope1_2025).

Safety: text from inputs that begins with = + - or @ is written as text, never as a formula.
Determinism: no wall-clock timestamps; the same inputs and --as-of give identical bytes.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from datetime import datetime
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName

from carbon import __version__
from carbon.calculate import gwp_values
from carbon.inventory import energy_mwh_multiplier
from carbon.pipeline import InventoryResult
from carbon.report import write_atomically
from carbon.units import conversion_factor, vocabulary

RISKY_PREFIXES = ("=", "+", "-", "@")
BOLD = Font(bold=True)
TONNES = "#,##0.000000"
FACTOR = "0.000000000"
# Headline figures with defined names, and the Summary column each lives in (filled in below).
NAMED_KEYS = ["scope1", "scope2_location", "scope2_market", "scope3", "total_location", "total_market",
              "tco2e_per_employee", "energy_mwh", "water_m3"]


# ---------------------------------------------------------------- cell helpers

def put(ws, row: int, column: int, value, number_format: str | None = None):
    """Write one cell. Strings from inputs never become formulas; formulas are passed as Formula."""
    cell = ws.cell(row=row, column=column)
    if isinstance(value, Formula):
        cell.value = value.text
    elif isinstance(value, str):
        cell.value = value
        if value.startswith(RISKY_PREFIXES):
            cell.data_type = "s"       # openpyxl would otherwise store "=..." as a formula
            cell.quotePrefix = True    # and Excel/LibreOffice keep it text when edited
    elif value is None or (isinstance(value, float) and pd.isna(value)):
        cell.value = None
    else:
        cell.value = value.item() if hasattr(value, "item") else value
    if number_format:
        cell.number_format = number_format
    return cell


class Formula:
    """A formula we wrote (as opposed to text that happens to start with '=')."""

    def __init__(self, text: str):
        self.text = text


def table(ws, headers: list[str], rows, formats: dict[int, str] | None = None, widths: dict[int, int] | None = None) -> int:
    """Header row (bold, frozen, filtered) and data rows; returns the last row number."""
    for column, header in enumerate(headers, start=1):
        put(ws, 1, column, header).font = BOLD
    last = 1
    for r, values in enumerate(rows, start=2):
        for column, value in enumerate(values, start=1):
            put(ws, r, column, value, (formats or {}).get(column))
        last = r
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{max(last, 2)}"
    for column, header in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(column)].width = (widths or {}).get(column, max(12, min(45, len(header) + 2)))
    return last


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _rng(sheet: str, column: str, last: int) -> str:
    return f"{sheet}!${column}$2:${column}${max(last, 2)}"


# ---------------------------------------------------------------- sheets

ACTIVITY_HEADERS = ["record_id", "year", "site", "region", "activity", "waste_type", "route", "instrument",
                    "quantity", "unit", "canonical multiplier", "quantity (canonical)", "canonical unit",
                    "MWh multiplier", "energy (MWh)", "KPI class", "conversion", "source", "data_quality",
                    "ledger file", "ledger row"]


def _kpi_class(rows: pd.DataFrame) -> pd.Series:
    hazard = rows["waste_type"].astype(str).map({k: v["hazard_class"] for k, v in vocabulary()["waste_types"].items()})
    return hazard.where(rows["activity"] == "waste", rows["activity"].astype(str))


def write_activity(ws, rows: pd.DataFrame) -> dict[str, int]:
    """The ledger rows as given plus the conversion as a multiplication; returns record_id -> sheet row."""
    rows = rows.sort_values(["year", "ledger_row"], kind="stable")
    mwh = energy_mwh_multiplier(rows)
    kpi = _kpi_class(rows)
    data = []
    for i, row in enumerate(rows.itertuples(index=False), start=2):
        data.append([row.record_id, row.year, row.site, row.region, row.activity, row.waste_type, row.route, row.instrument,
                     row.quantity, row.unit, row.canonical_multiplier, Formula(f"=I{i}*K{i}"), row.canonical_unit,
                     mwh.iloc[i - 2], Formula(f"=I{i}*N{i}"), kpi.iloc[i - 2], row.conversion, row.source, row.data_quality,
                     row.ledger_file, row.ledger_row])
    table(ws, ACTIVITY_HEADERS, data, {9: "#,##0.######", 11: "0.000000000###", 12: "#,##0.000000", 14: "0.000000000###", 15: "#,##0.000"},
          {1: 28, 3: 30, 17: 50, 18: 60})
    return {record_id: i for i, record_id in enumerate(rows["record_id"], start=2)}


def write_organisation(ws, result: InventoryResult) -> int:
    metrics = result.organisation.metrics
    years = sorted(int(y) for y in result.rows["year"].unique())
    data = [[y, *(None if y not in metrics.index or pd.isna(metrics.at[y, m]) else float(metrics.at[y, m])
                 for m in ("employees", "revenue", "floor_area"))] for y in years]
    return table(ws, ["year", "employees (person)", "revenue (RMB million)", "floor area (m2)"], data, {3: "#,##0.000"})


def write_factors(ws, result: InventoryResult) -> dict[str, int]:
    """Every factor used, with its conversion to t of gas per canonical unit as a multiplication."""
    factor_set = result.factor_set
    used = factor_set.factors[factor_set.factors["factor_id"].isin(set(result.lines["factor_id"]))].sort_values("factor_id")
    sources = factor_set.manifest["sources"]
    canonical = {a: s["canonical_unit"] for a, s in vocabulary()["activities"].items()}
    data = []
    for i, f in enumerate(used.itertuples(index=False), start=2):
        gas_mass = vocabulary()["gases"][f.gas]
        target = f"{gas_mass}/({canonical[f.activity]})"
        source = sources[f.source_id]
        data.append([f.factor_id, f.activity, f.region, f.data_year, f.gas, float(f.value), f.unit, conversion_factor(f.unit, target),
                     Formula(f"=F{i}*H{i}"), f"{gas_mass} per {canonical[f.activity]}", f.scope, f.category, f.method,
                     f.published.isoformat(), f.confidence, f.source_id, f"{source['publisher']}: {source['title']}",
                     source.get("url", ""), source.get("locator", ""), f.gwp_basis, f.notes])
    table(ws, ["factor_id", "activity", "region", "data year", "gas", "value (as published)", "unit", "unit multiplier",
               "value (t gas per canonical unit)", "canonical unit", "scope", "category", "method", "published", "confidence",
               "source_id", "source", "URL", "table/page", "gwp_basis", "notes"],
          data, {6: "0.0000####", 8: "0.000000000###", 9: FACTOR}, {1: 44, 17: 60, 18: 40, 19: 40, 21: 60})
    return {factor_id: i for i, factor_id in enumerate(used["factor_id"], start=2)}


def write_gwp(ws, result: InventoryResult, gwp_set: str) -> dict[str, int]:
    values = gwp_values(result.factor_set, gwp_set)
    table_rows = result.factor_set.gwp[result.factor_set.gwp["gwp_set"] == gwp_set]
    data = [[g.gas, values[g.gas], gwp_set, g.source_id, g.notes] for g in table_rows.itertuples(index=False)]
    table(ws, ["gas", f"GWP-100 ({gwp_set})", "GWP set", "source_id", "notes"], data, widths={5: 70})
    return {gas: i for i, gas in enumerate(table_rows["gas"], start=2)}


CALCULATION_HEADERS = ["line", "record_id", "year", "activity", "scope", "category", "method", "gas", "factor_id",
                       "quantity (canonical)", "canonical unit", "factor (t gas per canonical unit)", "applied share",
                       "GWP", "emissions (t gas)", "emissions (tCO2e)", "Activity row", "selection note"]


def write_calculation(ws, lines: pd.DataFrame, activity_row: dict, factor_row: dict, gwp_row: dict) -> int:
    data = []
    for i, line in enumerate(lines.itertuples(index=False), start=2):
        a, f = activity_row[line.record_id], factor_row[line.factor_id]
        # CO2e factors already carry their GWP basis: the GWP column is 1 for them.
        gwp = 1 if line.gas == "CO2e" else Formula(f"=GWP!$B${gwp_row[line.gas]}")
        category = int(line.category) if str(line.category).isdigit() else None
        data.append([i - 1, line.record_id, line.year, line.activity, line.scope, category, line.method, line.gas, line.factor_id,
                     Formula(f"=Activity!$L${a}"), line.canonical_unit, Formula(f"=Factors!$I${f}"), line.applied_share, gwp,
                     Formula(f"=J{i}*L{i}*M{i}"), Formula(f"=O{i}*N{i}"), a, line.selection_note])
    return table(ws, CALCULATION_HEADERS, data, {10: "#,##0.000000", 12: FACTOR, 13: "0.000000", 15: TONNES, 16: TONNES},
                 {2: 28, 9: 44, 18: 50})


def write_summary(ws, years: list[int], categories: list[str], last_calc: int, last_activity: int, last_org: int) -> dict[str, str]:
    """Per-year KPIs as SUMIFS and ratios over Calculation, Activity and Organisation; returns key -> column letter."""
    calc = lambda column: _rng("Calculation", column, last_calc)  # noqa: E731 - tiny local shorthand
    act = lambda column: _rng("Activity", column, last_activity)  # noqa: E731
    org = lambda column: _rng("Organisation", column, last_org)  # noqa: E731
    labels = vocabulary()["scope3_categories"]
    columns = [("year", "Year", None)]
    columns += [("scope1", "Scope 1 (tCO2e)", lambda r: f"=SUMIFS({calc('P')},{calc('C')},$A{r},{calc('E')},1)"),
                ("scope2_location", "Scope 2 location (tCO2e)", lambda r: f'=SUMIFS({calc("P")},{calc("C")},$A{r},{calc("E")},2,{calc("G")},"location")'),
                ("scope2_market", "Scope 2 market (tCO2e)", lambda r: f'=SUMIFS({calc("P")},{calc("C")},$A{r},{calc("E")},2,{calc("G")},"market")'),
                ("scope3", "Scope 3 (tCO2e)", lambda r: f"=SUMIFS({calc('P')},{calc('C')},$A{r},{calc('E')},3)")]
    for category in categories:
        columns.append((f"scope3_cat{category}", f"Scope 3 cat. {category} {labels.get(category, '')} (tCO2e)",
                        lambda r, c=category: f"=SUMIFS({calc('P')},{calc('C')},$A{r},{calc('E')},3,{calc('F')},{c})"))
    columns += [("total_location", "Total location (tCO2e)", lambda r: f"=B{r}+C{r}+E{r}"),
                ("total_market", "Total market (tCO2e)", lambda r: f"=B{r}+D{r}+E{r}"),
                ("energy_mwh", "Energy (MWh)", lambda r: f"=SUMIFS({act('O')},{act('B')},$A{r})"),
                ("electricity_mwh", "Electricity (MWh)", lambda r: f'=SUMIFS({act("O")},{act("B")},$A{r},{act("E")},"electricity")'),
                ("gasoline_mwh", "Gasoline (MWh)", lambda r: f'=SUMIFS({act("O")},{act("B")},$A{r},{act("E")},"gasoline")'),
                ("water_m3", "Water (m3)", lambda r: f'=SUMIFS({act("L")},{act("B")},$A{r},{act("P")},"water")'),
                ("waste_hazardous_t", "Hazardous waste (t)", lambda r: f'=SUMIFS({act("L")},{act("B")},$A{r},{act("P")},"hazardous")'),
                ("waste_non_hazardous_t", "Non-hazardous waste (t)", lambda r: f'=SUMIFS({act("L")},{act("B")},$A{r},{act("P")},"non_hazardous")'),
                ("employees", "Employees (person)", lambda r: f"=SUMIFS({org('B')},{org('A')},$A{r})"),
                ("revenue", "Revenue (RMB million)", lambda r: f"=SUMIFS({org('C')},{org('A')},$A{r})")]
    letter = {key: get_column_letter(i) for i, (key, _, _) in enumerate(columns, start=1)}
    ratio = lambda num, den: lambda r: f'=IF({letter[den]}{r}>0,{letter[num]}{r}/{letter[den]}{r},"n/a")'  # noqa: E731
    columns += [("tco2e_per_employee", "tCO2e per employee (location)", ratio("total_location", "employees")),
                ("tco2e_per_employee_market", "tCO2e per employee (market)", ratio("total_market", "employees")),
                ("energy_mwh_per_employee", "MWh per employee", ratio("energy_mwh", "employees")),
                ("water_m3_per_employee", "m3 per employee", ratio("water_m3", "employees")),
                ("waste_t_per_employee", "waste t per employee",
                 lambda r: f'=IF({letter["employees"]}{r}>0,({letter["waste_hazardous_t"]}{r}+{letter["waste_non_hazardous_t"]}{r})/{letter["employees"]}{r},"n/a")'),
                ("tco2e_per_rmb_million", "tCO2e per RMB million", ratio("total_location", "revenue"))]
    letter = {key: get_column_letter(i) for i, (key, _, _) in enumerate(columns, start=1)}
    data = [[year if build is None else Formula(build(r)) for _, _, build in columns] for r, year in enumerate(years, start=2)]
    table(ws, [header for _, header, _ in columns], data, {i: ("0" if i == 1 else "#,##0.000000") for i in range(1, len(columns) + 1)},
          {i: 18 for i in range(2, len(columns) + 1)})
    return letter


def write_reconciliation(ws, report: dict) -> None:
    data = []
    for f in report["findings"]:
        expected = f["expected"] or [None, None]
        cells = "; ".join(f"{c['document']} / {c['section']} / {c['locator']}: {c['printed']}" for c in f["documents"])
        data.append([f["severity"], f["kind"], f["year"], f["kpi"], f["printed"], expected[0], expected[1], f["message"], cells])
    table(ws, ["verdict", "check", "year", "kpi", "printed", "expected low", "expected high", "finding", "cells involved"], data,
          {6: "#,##0.######", 7: "#,##0.######"}, {8: 90, 9: 90})


def write_charts(ws, summary_title: str, years: int, letter: dict[str, str]) -> None:
    from openpyxl.utils import column_index_from_string as index

    put(ws, 1, 1, "Charts read the Summary sheet; they recalculate with it.")
    bars = BarChart()
    bars.type, bars.grouping, bars.overlap = "col", "stacked", 100
    bars.title, bars.y_axis.title = "Emissions by scope (location-based, tCO2e)", "tCO2e"
    for key in ("scope1", "scope2_location", "scope3"):
        column = index(letter[key])
        bars.add_data(Reference(ws.parent[summary_title], min_col=column, min_row=1, max_row=years + 1), titles_from_data=True)
    bars.set_categories(Reference(ws.parent[summary_title], min_col=1, min_row=2, max_row=years + 1))
    bars.width, bars.height = 18, 9
    bars.y_axis.number_format = "#,##0"
    bars.x_axis.delete = bars.y_axis.delete = False  # openpyxl hides axes in Excel unless told otherwise
    ws.add_chart(bars, "A3")
    line = LineChart()
    line.title, line.y_axis.title = "Intensity (tCO2e per employee, location-based)", "tCO2e / employee"
    column = index(letter["tco2e_per_employee"])
    line.add_data(Reference(ws.parent[summary_title], min_col=column, min_row=1, max_row=years + 1), titles_from_data=True)
    line.set_categories(Reference(ws.parent[summary_title], min_col=1, min_row=2, max_row=years + 1))
    line.width, line.height = 18, 9
    line.y_axis.number_format = "0.00"
    line.x_axis.delete = line.y_axis.delete = False
    for series in line.series:
        series.smooth = False  # yearly points: straight segments, no invented curve
    ws.add_chart(line, "A23")


def write_cover(ws, result: InventoryResult, report: dict | None) -> None:
    document, request, factor_set = result.document, result.request, result.factor_set
    rows = [("Organisation", document["organisation"]),
            ("Reporting years", ", ".join(str(y["year"]) for y in document["years"])),
            ("Factor set", factor_set.label),
            ("GWP set", f"{document['gwp']} (100-year)"),
            ("As of (factors published on or before)", document["as_of"]),
            ("Engine", f"carbon-inventory {__version__}"),
            ("Ledger file", f"{request.ledger} (sha256 {_sha256(request.ledger)})"),
            ("Organisation file", f"{request.organisation} (sha256 {_sha256(request.organisation)})")]
    rows += [(f"Factor table {e['file']}", f"sha256 {e['sha256']}") for e in factor_set.manifest["tables"]]
    rows += [("How to trace a figure",
              "Summary (formulas) -> Calculation rows of that year and scope -> Activity row (column 'Activity row') and "
              "Factors row (factor_id) -> the factor's source, URL and table/page."),
             ("Methodology", "GHG Protocol, operational control. Scope 2 location: MEE/NBS grid factor (province -> grid region -> "
              "national); market: instruments at their factor, remainder at the national factor excluding market-traded non-fossil "
              "power. Scope 1 gasoline: IPCC 2006. Scope 3: DESNZ water and waste proxies. Intensities: year-end employees; revenue "
              "in RMB million.")]
    if report is not None:
        counts = {s: sum(f["severity"] == s for f in report["findings"]) for s in ("inconsistent", "rounding_method", "note")}
        rows.append(("Reconciliation", f"{report['checked']} printed figures checked: {counts['inconsistent']} inconsistent, "
                                       f"{counts['rounding_method']} rounding_method, {counts['note']} notes (sheet Reconciliation)"))
    rows += [("Note", note) for note in document["notes"]]
    put(ws, 1, 1, "carbon-inventory auditor workbook").font = Font(bold=True, size=14)
    put(ws, 2, 1, "Item").font = BOLD
    put(ws, 2, 2, "Value").font = BOLD
    for r, (item, value) in enumerate(rows, start=3):
        put(ws, r, 1, item)
        put(ws, r, 2, value)
    ws.column_dimensions["A"].width = 40
    ws.column_dimensions["B"].width = 140


# ---------------------------------------------------------------- workbook

def build_workbook(result: InventoryResult, report: dict | None = None) -> Workbook:
    workbook = Workbook()
    cover = workbook.active
    cover.title = "Cover"
    activity_row = write_activity(workbook.create_sheet("Activity"), result.rows)
    last_org = write_organisation(workbook.create_sheet("Organisation"), result)
    factor_row = write_factors(workbook.create_sheet("Factors"), result)
    gwp_row = write_gwp(workbook.create_sheet("GWP"), result, result.document["gwp"])
    last_calc = write_calculation(workbook.create_sheet("Calculation"), result.lines, activity_row, factor_row, gwp_row)
    years = [y["year"] for y in result.document["years"]]
    categories = sorted({c for y in result.document["years"] for c in y["scope3_by_category"]}, key=int)
    letter = write_summary(workbook.create_sheet("Summary"), years, categories, last_calc, len(activity_row) + 1, last_org)
    if report is not None:
        write_reconciliation(workbook.create_sheet("Reconciliation"), report)
    write_charts(workbook.create_sheet("Charts"), "Summary", len(years), letter)
    write_cover(cover, result, report)
    for r, year in enumerate(years, start=2):
        for key in NAMED_KEYS:
            name = f"{key}_{year}"
            workbook.defined_names[name] = DefinedName(name, attr_text=f"Summary!${letter[key]}${r}")
    return workbook


def _deterministic(xlsx: bytes, stamp: datetime) -> bytes:
    """The same workbook bytes for the same inputs: fixed document dates and zip entry times."""
    moment = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    source = zipfile.ZipFile(io.BytesIO(xlsx))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*", lambda m: m.group(1) + moment.encode(), data)
            info = zipfile.ZipInfo(item.filename, date_time=stamp.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, data)
    return output.getvalue()


def export_xlsx(result: InventoryResult, path: Path, report: dict | None = None) -> Path:
    """Build the workbook and write it atomically to `path`."""
    workbook = build_workbook(result, report)
    workbook.properties.creator = f"carbon-inventory {__version__}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    stamp = datetime.combine(result.request.as_of, datetime.min.time())
    payload = _deterministic(buffer.getvalue(), max(stamp, datetime(1980, 1, 1)))
    write_atomically(Path(path), lambda stream: stream.write(payload))
    return Path(path)
