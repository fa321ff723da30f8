"""The auditor workbook: recalculated by a real spreadsheet engine (LibreOffice), compared with the engine,
and read as stored (cached formula values) by readers that do not recalculate.

Tolerance: relative 1e-9. LibreOffice sums in a different order than pandas and prints
doubles with 15 significant digits into the saved file, so agreement to ~1e-13 is expected;
1e-9 leaves room without letting any real formula error (which would be >> 1e-6) through.
"""

import dataclasses
import hashlib
import os
import re
import shutil
import subprocess
import zipfile

import openpyxl
import pandas as pd
import pytest

from carbon.engine import InventoryRequest
from carbon.errors import CarbonError
from carbon.export import excel
from carbon.export.excel import activity_column, export_xlsx, named_keys
from carbon.paths import inputs_root
from carbon.reconcile import reconcile_if_published
from tests.conftest import AS_OF, LEDGER_HEADER, run, write_csv

REL = 1e-9


def soffice() -> str:
    path = shutil.which("soffice") or shutil.which("libreoffice")
    if path is None:
        message = "LibreOffice (soffice) is not installed: .ci/run installs libreoffice-calc-nogui"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI must run the real recalculation, never skip it
        pytest.skip(message)
    return path


# LibreOffice's default for .xlsx is "never recalculate on load": it would show the values we
# cached. OOXMLRecalcMode 0 makes it recalculate every formula from the cells it references.
ALWAYS_RECALCULATE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def recalculate(path, tmp_path):
    """Open the workbook in headless LibreOffice, which recalculates every formula, and save it back."""
    out = tmp_path / "recalculated"
    profile = tmp_path / "lo-profile"
    (profile / "user").mkdir(parents=True, exist_ok=True)
    (profile / "user" / "registrymodifications.xcu").write_text(ALWAYS_RECALCULATE, encoding="utf-8")
    completed = subprocess.run(
        [
            soffice(),
            "--headless",
            "--norestore",
            f"-env:UserInstallation=file://{profile}",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(out),
            str(path),
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert completed.returncode == 0, completed.stderr
    recalculated = out / path.name
    assert recalculated.is_file(), (
        f"LibreOffice did not write {recalculated}: {completed.stdout} {completed.stderr}"
    )
    return openpyxl.load_workbook(recalculated, data_only=True)


def zero_cached_values(path, target):
    """A copy of the workbook whose stored formula results are all 0, so none can be read back."""
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename.startswith("xl/worksheets/sheet"):
                data = re.sub(rb"(</f><v>)[^<]*(</v>)", rb"\g<1>0\2", data)
            copy.writestr(info, data)


@pytest.fixture(scope="module")
def qfin(tmp_path_factory):
    folder = tmp_path_factory.mktemp("xlsx")
    qfin = inputs_root() / "qfin"
    result = run(qfin / "activity.csv", qfin / "organisation.csv")
    path = export_xlsx(result, folder / "qfin.xlsx", reconcile_if_published(result))
    return result, path, folder


@pytest.fixture(scope="module")
def recalculated(qfin):
    """The qfin workbook after LibreOffice recalculated it (data_only: LibreOffice's values)."""
    _, path, folder = qfin
    return recalculate(path, folder)


def named(workbook, name):
    sheet, reference = next(iter(workbook.defined_names[name].destinations))
    return workbook[sheet][reference.replace("$", "")].value


def engine_values(result, year):
    """The engine's value for every named key of one year (a split resource as name_class)."""
    engine = next(y for y in result.inventory.model_dump()["years"] if y["year"] == year)
    split = {
        f"{name}_{part}": value
        for name, parts in engine.items()
        if isinstance(parts, dict) and name != "intensity"
        for part, value in parts.items()
    }
    return dict(
        engine,
        **split,
        tco2e_per_employee=engine["intensity"]["tco2e_per_employee"],
        energy_mwh=engine["energy_mwh"]["total"],
    )


def assert_same_value(stored, expected, where):
    if isinstance(expected, str) or expected is None:
        assert stored == expected, where
    else:
        assert isinstance(stored, (int, float)), f"{where}: {stored!r}"
        assert stored == pytest.approx(expected, rel=REL, abs=1e-15), where


def test_libreoffice_recalculates_every_defined_name_to_the_engine_values(qfin, recalculated):
    result, _, _ = qfin
    compared = 0
    for year in range(2021, 2026):
        values = engine_values(result, year)
        for key in named_keys():
            assert named(recalculated, f"{key}_{year}") == pytest.approx(values[key], rel=REL), (
                f"{key}_{year}"
            )
            compared += 1
    assert compared == 5 * 11  # 8 headline keys, water_m3 and waste_t by its two classes, 2021-2025


def test_libreoffice_recalculates_rather_than_reading_the_stored_values(qfin, tmp_path):
    # Every stored formula value zeroed: LibreOffice must still give the engine's figures.
    result, path, _ = qfin
    zeroed = tmp_path / "zeroed.xlsx"
    zero_cached_values(path, zeroed)
    assert named(openpyxl.load_workbook(zeroed, data_only=True), "scope1_2024") == 0
    assert named(recalculate(zeroed, tmp_path), "scope1_2024") == pytest.approx(
        engine_values(result, 2024)["scope1"], rel=REL
    )


def test_libreoffice_recalculates_every_calculation_cell(qfin, recalculated):
    result, _, _ = qfin
    sheet = recalculated["Calculation"]
    lines = result.lines
    assert sheet.max_row - 1 == len(lines)
    for r, line in enumerate(lines.itertuples(index=False), start=2):
        assert sheet[f"J{r}"].value == pytest.approx(line.quantity_canonical, rel=REL)
        assert sheet[f"O{r}"].value == pytest.approx(line.emissions_t_gas, rel=REL, abs=1e-15)
        assert sheet[f"P{r}"].value == pytest.approx(line.tco2e, rel=REL, abs=1e-15)


def test_calculation_and_summary_are_formulas(qfin):
    _, path, _ = qfin
    workbook = openpyxl.load_workbook(path)
    calculation, summary = workbook["Calculation"], workbook["Summary"]
    for r in range(2, calculation.max_row + 1):
        for column in "JLOP":
            assert str(calculation[f"{column}{r}"].value).startswith("="), f"Calculation!{column}{r}"
    for row in summary.iter_rows(min_row=2, min_col=2):
        assert all(str(cell.value).startswith("=") for cell in row)
    assert {"Cover", "Activity", "Factors", "Calculation", "Summary", "Reconciliation", "Charts"} <= set(
        workbook.sheetnames
    )
    assert len(workbook["Charts"]._charts) == 2


def test_reconciliation_sheet_has_a_row_per_finding_with_its_period(qfin):
    _, path, _ = qfin
    sheet = openpyxl.load_workbook(path)["Reconciliation"]
    header = [cell.value for cell in sheet[1]]
    assert header[:7] == ["verdict", "check", "year", "period", "region", "kpi", "printed"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    report = reconcile_if_published(qfin[0])
    assert len(rows) == len(report.findings)
    assert {(r[1], r[3], r[5], r[6]) for r in rows} == {
        (f.kind, f.period, f.kpi, f.printed) for f in report.findings
    }


def test_charts_are_stacked_columns_and_a_straight_line_with_visible_axes(qfin):
    _, path, _ = qfin
    with zipfile.ZipFile(path) as archive:
        charts = [
            archive.read(n).decode() for n in sorted(archive.namelist()) if n.startswith("xl/charts/chart")
        ]
    bars, line = charts
    assert (
        '<c:grouping val="stacked"/>' in bars
        and '<c:overlap val="100"/>' in bars
        and bars.count("<c:ser>") == 3
    )
    assert "<c:lineChart>" in line and '<c:smooth val="1"/>' not in line
    assert all("Summary!" in chart and '<c:delete val="1"/>' not in chart for chart in charts)


def test_same_inputs_give_an_identical_workbook(qfin, tmp_path):
    result, path, _ = qfin
    again = export_xlsx(result, tmp_path / "again.xlsx", reconcile_if_published(result))
    assert again.read_bytes() == path.read_bytes()
    # Nothing from the clock: document dates are the as-of date, zip entry times one fixed value.
    with zipfile.ZipFile(path) as archive:
        assert len({info.date_time for info in archive.infolist()}) == 1
        core = archive.read("docProps/core.xml").decode()
    assert (
        re.findall(r"<dcterms:(?:created|modified)[^>]*>([^<]*)<", core)
        == [f"{AS_OF.isoformat()}T00:00:00Z"] * 2
    )


def test_text_that_looks_like_a_formula_stays_text(make_org, tmp_path):
    rows = [
        [
            "=cmd|'/c calc'!A1",
            2024,
            '=HYPERLINK("http://x")',
            "CN",
            "electricity",
            10,
            "MWh",
            "",
            "",
            "@SUM(1+1)",
        ],
        ["r2", 2024, "+site", "CN", "electricity", 5, "MWh", "", "", "-source"],
    ]
    result = run(*make_org(rows, employees={2024: 10}))
    path = export_xlsx(result, tmp_path / "injection.xlsx")
    with zipfile.ZipFile(path) as archive:
        sheets = [
            archive.read(name).decode() for name in archive.namelist() if name.startswith("xl/worksheets/")
        ]
    formulas = [f for sheet in sheets for f in re.findall(r"<f>(.*?)</f>", sheet)]
    assert formulas and not any(
        needle in f for f in formulas for needle in ("HYPERLINK", "cmd|", "SUM(1+1)", "site", "source")
    )
    workbook = openpyxl.load_workbook(path)
    injected = {"=cmd|'/c calc'!A1", '=HYPERLINK("http://x")', "@SUM(1+1)", "+site", "-source"}
    cells = [c for row in workbook["Activity"].iter_rows(min_row=2) for c in row if c.value in injected]
    assert {c.value for c in cells} == injected
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)
    recalculated = recalculate(path, tmp_path)["Activity"]
    assert (
        recalculated["C2"].value == '=HYPERLINK("http://x")'
    )  # still the text after a spreadsheet engine opened it


def test_written_atomically_and_failed_runs_leave_the_old_file(qfin, tmp_path):
    from typer.testing import CliRunner

    from carbon.cli import app

    target = tmp_path / "book.xlsx"
    target.write_bytes(b"previous")
    bad = write_csv(
        tmp_path / "a.csv", LEDGER_HEADER, [["w1", 2024, "HQ", "CN", "water", 5, "kWh", "", "", "x"]]
    )
    organisation = write_csv(
        tmp_path / "o.csv",
        ["year", "metric", "value", "unit", "source"],
        [[2024, "employees", 1, "person", "x"]],
    )
    result = CliRunner().invoke(
        app,
        ["export", "xlsx", "--ledger", str(bad), "--organisation", str(organisation), "--out", str(target)],
    )
    assert result.exit_code == 2 and target.read_bytes() == b"previous"
    good = CliRunner().invoke(app, ["export", "xlsx", "--out", str(target)])
    assert good.exit_code == 0 and zipfile.is_zipfile(target)
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    assert CliRunner().invoke(app, ["export", "xlsx", "--out", str(tmp_path / "book.csv")]).exit_code == 2


# ---------------------------------------------------------------- cached values: readers not recalculating


def formula_cells(workbook, sheet):
    """(coordinate, formula) of every formula cell of a sheet."""
    return [
        (c.coordinate, c.value)
        for row in workbook[sheet].iter_rows()
        for c in row
        if isinstance(c.value, str) and c.data_type == "f"
    ]


def test_every_formula_has_its_value_stored_and_the_names_read_as_the_engine_without_recalculation(qfin):
    result, path, _ = qfin
    formulas, stored = openpyxl.load_workbook(path), openpyxl.load_workbook(path, data_only=True)
    counted = 0
    for sheet in formulas.sheetnames:
        for coordinate, formula in formula_cells(formulas, sheet):
            assert stored[sheet][coordinate].value is not None, (
                f"{sheet}!{coordinate} {formula} has no cached value"
            )
            counted += 1
    assert counted >= 2 * len(result.rows) + 4 * len(result.lines) + 5 * 22  # Activity, Calculation, Summary
    for year in range(2021, 2026):
        values = engine_values(result, year)
        for key in named_keys():
            assert_same_value(named(stored, f"{key}_{year}"), values[key], f"{key}_{year}")
    # keep_default_na=False: pandas would otherwise read the "n/a" of a missing revenue as NaN
    summary = pd.read_excel(path, sheet_name="Summary", keep_default_na=False).set_index("Year")
    assert not (summary == "").any().any() and (summary["tCO2e per RMB million"] == "n/a").sum() == 3
    for year in range(2021, 2026):
        assert summary.at[year, "Scope 1 (tCO2e)"] == pytest.approx(
            engine_values(result, year)["scope1"], rel=REL
        )
    calculation = pd.read_excel(path, sheet_name="Calculation")
    assert calculation["emissions (tCO2e)"].tolist() == pytest.approx(result.lines["tco2e"].tolist(), rel=REL)


def test_stored_values_equal_what_libreoffice_computes(qfin, recalculated):
    _, path, _ = qfin
    formulas, stored = openpyxl.load_workbook(path), openpyxl.load_workbook(path, data_only=True)
    compared = 0
    for sheet in ("Summary", "Calculation", "Activity", "Factors"):
        for coordinate, formula in formula_cells(formulas, sheet):
            where = f"{sheet}!{coordinate} {formula}"
            assert_same_value(stored[sheet][coordinate].value, recalculated[sheet][coordinate].value, where)
            compared += 1
    assert compared > 200


@pytest.fixture
def gaps(make_org, tmp_path):
    """2023 has a headcount but no revenue; 2024 revenue but no headcount; 2025 both."""
    rows = [[f"e{y}", y, "HQ", "CN", "electricity", 100, "MWh", "", "", "meter"] for y in (2023, 2024, 2025)]
    result = run(*make_org(rows, employees={2023: 40, 2025: 50}, revenue={2024: 12.5, 2025: 20.0}))
    return result, export_xlsx(result, tmp_path / "gaps.xlsx")


PER_EMPLOYEE = [
    "tCO2e per employee (location)",
    "tCO2e per employee (market)",
    "MWh per employee",
    "Water (m3) per employee",
    "Waste (t) per employee",
]


def summary_by_year(workbook):
    sheet = workbook["Summary"]
    headers = [c.value for c in sheet[1]]
    return {
        row[0]: dict(zip(headers, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)
    }


def assert_gaps_say_na(summary, result):
    engine = {y["year"]: y for y in result.inventory.model_dump()["years"]}
    assert engine[2023]["revenue_rmb_million"] is None and engine[2024]["employees"] is None
    assert summary[2023]["Revenue (RMB million)"] == "n/a"
    assert summary[2023]["tCO2e per RMB million"] == "n/a"
    assert summary[2023]["Employees (person)"] == 40
    assert summary[2023]["tCO2e per employee (location)"] == pytest.approx(
        engine[2023]["intensity"]["tco2e_per_employee"], rel=REL
    )
    assert summary[2024]["Employees (person)"] == "n/a"
    assert all(summary[2024][header] == "n/a" for header in PER_EMPLOYEE)
    assert summary[2024]["Revenue (RMB million)"] == 12.5
    assert summary[2024]["tCO2e per RMB million"] == pytest.approx(
        engine[2024]["intensity"]["tco2e_per_rmb_million"], rel=REL
    )
    assert not any(value == "n/a" for value in summary[2025].values())


def test_missing_revenue_or_headcount_shows_na_not_zero(gaps):
    result, path = gaps
    assert_gaps_say_na(summary_by_year(openpyxl.load_workbook(path, data_only=True)), result)
    frame = pd.read_excel(path, sheet_name="Summary", keep_default_na=False).set_index("Year")
    assert frame.at[2023, "Revenue (RMB million)"] == "n/a" and frame.at[2024, "Employees (person)"] == "n/a"


def test_missing_revenue_or_headcount_shows_na_after_libreoffice_recalculates(gaps, tmp_path):
    result, path = gaps
    assert_gaps_say_na(summary_by_year(recalculate(path, tmp_path)), result)


def test_headcounts_have_an_integer_format(qfin):
    _, path, _ = qfin
    workbook = openpyxl.load_workbook(path)
    summary, organisation = workbook["Summary"], workbook["Organisation"]
    column = next(c.column_letter for c in summary[1] if c.value == "Employees (person)")
    cells = [summary[f"{column}{r}"] for r in range(2, summary.max_row + 1)]
    cells += [organisation[f"B{r}"] for r in range(2, organisation.max_row + 1)]
    assert cells and all(c.number_format == "#,##0" for c in cells)
    assert organisation["B2"].value == 2129


def cover_items(workbook):
    return [(row[0], row[1]) for row in workbook["Cover"].iter_rows(min_row=3, values_only=True)]


def test_paths_are_shown_relative_to_the_organisation_folder(qfin):
    result, path, _ = qfin
    workbook = openpyxl.load_workbook(path)
    items = cover_items(workbook)
    ledger, organisation = result.request.ledger, result.request.organisation
    assert (
        "Ledger file",
        f"activity.csv (sha256 {hashlib.sha256(ledger.read_bytes()).hexdigest()})",
    ) in items
    assert (
        "Organisation file",
        f"organisation.csv (sha256 {hashlib.sha256(organisation.read_bytes()).hexdigest()})",
    ) in items
    activity, column = workbook["Activity"], activity_column("ledger file")
    assert activity[f"{column}1"].value == "ledger file"
    assert {activity[f"{column}{r}"].value for r in range(2, activity.max_row + 1)} == {"activity.csv"}
    folder = str(ledger.parent.absolute())
    for sheet in ("Cover", "Activity"):
        text = [c.value for row in workbook[sheet].iter_rows() for c in row if isinstance(c.value, str)]
        assert not any(folder in t or "site-packages" in t for t in text), sheet


def test_a_parquet_ledger_folder_lists_each_file_relative_to_the_organisation_folder(tmp_path):
    qfin = inputs_root() / "qfin"
    (tmp_path / "activity").mkdir()
    table = pd.read_csv(qfin / "activity.csv", dtype=str, keep_default_na=False)
    table.to_parquet(tmp_path / "activity" / "part-0.parquet", index=False)
    shutil.copy(qfin / "organisation.csv", tmp_path / "organisation.csv")
    result = run(tmp_path / "activity", tmp_path / "organisation.csv")
    path = export_xlsx(result, tmp_path / "out" / "book.xlsx")
    items = cover_items(openpyxl.load_workbook(path))
    digest = hashlib.sha256((tmp_path / "activity" / "part-0.parquet").read_bytes()).hexdigest()
    assert ("Ledger file", f"activity/part-0.parquet (sha256 {digest})") in items


def test_every_sheet_prints_a4_landscape_one_page_wide_with_its_header_on_every_page(qfin):
    _, path, _ = qfin
    workbook = openpyxl.load_workbook(path)
    assert len(workbook.sheetnames) == 10
    for sheet in workbook:
        setup = sheet.page_setup
        assert setup.orientation == "landscape" and setup.paperSize == 9, sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        assert setup.fitToWidth in (None, 1) and setup.fitToHeight == 0, sheet.title  # absent means 1
        assert sheet.print_title_rows is not None and sheet.print_title_rows.startswith("$1:"), sheet.title
    assert (
        workbook["Calculation"].print_title_rows == "$1:$1" and workbook["Cover"].print_title_rows == "$1:$2"
    )
    assert (
        workbook["Calculation"].freeze_panes == "A2" and workbook["Calculation"].auto_filter.ref == "A1:T46"
    )


def test_control_characters_in_text_do_not_break_the_export(qfin_result, tmp_path):
    # The engine may refuse control characters at input; the writer must not depend on that.
    rows = qfin_result.rows.copy()
    rows["site"] = rows["site"].astype(str).where(rows.index != rows.index[0], "a\x07b")
    inventory = qfin_result.inventory.model_copy(
        update={"organisation": "org\x01", "notes": [*qfin_result.inventory.notes, "bell\x07"]}
    )
    result = dataclasses.replace(qfin_result, rows=rows, inventory=inventory)
    path = export_xlsx(result, tmp_path / "control.xlsx")
    with zipfile.ZipFile(path) as archive:
        strings = archive.read("xl/sharedStrings.xml").decode()
    # Stored with OOXML's _xHHHH_ escape (Excel shows the character; openpyxl returns the escape as is).
    assert "a_x0007_b" in strings and "org_x0001_" in strings and "bell_x0007_" in strings
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", strings)
    workbook = openpyxl.load_workbook(path)  # well-formed XML
    assert workbook["Cover"]["B3"].value == "org_x0001_"


def test_a_ledger_too_large_for_excel_is_refused_before_anything_is_written(qfin, tmp_path, monkeypatch):
    result, _, _ = qfin
    monkeypatch.setattr(excel, "EXCEL_MAX_ROWS", 30)  # qfin: 25 ledger rows, 45 emission lines
    target = tmp_path / "big.xlsx"
    with pytest.raises(CarbonError) as raised:
        export_xlsx(result, target)
    message = str(raised.value)
    assert "45 emission lines" in message and "30 rows" in message and "cannot hold this ledger" in message
    assert list(tmp_path.iterdir()) == []
    from typer.testing import CliRunner

    from carbon.cli import app

    refused = CliRunner().invoke(app, ["export", "xlsx", "--out", str(target)])
    assert refused.exit_code == 2 and "cannot hold this ledger" in refused.output
    assert list(tmp_path.iterdir()) == []


# A ledger of repeated rows: 12 electricity rows in two groups (two sites), gasoline in litres,
# waste by type and route, and a certificate, over two years.
GROUPED_ROWS = [
    *[(("electricity", "kWh", "", "", "CN-SH"), 1000.0 + i, 2024) for i in range(8)],
    *[(("electricity", "kWh", "", "", "CN-SH"), 2000.0 + i, 2025) for i in range(4)],
    *[(("gasoline", "L", "", "", "CN-BJ"), 50.5 * (i + 1), 2024) for i in range(5)],
    *[(("waste", "kg", "paper_board", "recycling", "CN-SH"), 12.25 * (i + 1), 2025) for i in range(3)],
    (("green_certificate", "MWh", "", "", "CN"), 3.0, 2024),
]


def _as_xlsx(csv_path, xlsx_path):
    frame = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    book = openpyxl.Workbook()
    book.active.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        book.active.append(list(row))
    book.save(xlsx_path)
    return xlsx_path


# Parquet and CSV ledgers above the limit run chunked and collect the groups chunk by chunk; an
# XLSX ledger runs in memory and is grouped at the end.
@pytest.mark.parametrize("ledger_format", ["parquet", "csv", "xlsx"])
def test_a_large_ledgers_workbook_works_on_groups_and_recalculates_to_the_engine(
    tmp_path, monkeypatch, ledger_format
):
    from carbon import run as run_module
    from carbon.run import run_and_publish
    from tests.integration.test_chunked import write_ledger

    monkeypatch.setattr(run_module, "LARGE_LEDGER_ROWS", 5)  # 21 rows: above it, grouped
    ledger, organisation = write_ledger(tmp_path, GROUPED_ROWS)
    if ledger_format != "parquet":
        ledger = tmp_path / "a.csv"
    if ledger_format == "xlsx":
        ledger = _as_xlsx(ledger, tmp_path / "a.xlsx")
    request = InventoryRequest(ledger, organisation, "fixture", as_of=AS_OF)
    book = tmp_path / "book.xlsx"
    published = run_and_publish(request, tmp_path / "out", xlsx=book)
    assert published.engine == ("in-memory" if ledger_format == "xlsx" else "chunked")
    workbook = openpyxl.load_workbook(book)
    activity = list(workbook["Activity"].iter_rows(min_row=2, values_only=True))
    headers = [c.value for c in workbook["Activity"][1]]
    # One Activity row per (year, region, activity, attributes, unit) here: 5 groups, not 21 rows.
    assert len(activity) == 5
    quantity, source = headers.index("quantity"), headers.index("source")
    first_group = activity[0]
    assert first_group[quantity] == pytest.approx(sum(1000.0 + i for i in range(8)), rel=1e-15)
    assert first_group[source] == "sum of 8 ledger rows (first: row 2)"
    calculation_headers = [c.value for c in workbook["Calculation"][1]]
    assert calculation_headers[-1] == "line_key"
    cover = dict(cover_items(workbook))
    assert "Grouped workbook" in cover and "Line file emission_lines.parquet" in cover
    # Every format publishes the normalised lines the Calculation sheet's line_key refers to.
    lines = pd.read_parquet(tmp_path / "out" / "emission_lines.parquet")
    keys = pd.read_parquet(tmp_path / "out" / "line_keys.parquet")
    calculation_keys = {
        int(row[-1]) for row in workbook["Calculation"].iter_rows(min_row=2, values_only=True)
    }
    assert calculation_keys == set(lines["line_key"]) == set(keys["line_key"])
    recalculated = recalculate(book, tmp_path)
    document = published.inventory.model_dump()
    for year in (2024, 2025):
        engine = next(y for y in document["years"] if y["year"] == year)
        for key in ("scope1", "scope2_location", "scope2_market", "scope3", "total_location"):
            assert named(recalculated, f"{key}_{year}") == pytest.approx(engine[key], rel=REL, abs=1e-12), key
