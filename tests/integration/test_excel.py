"""The auditor workbook: recalculated by a real spreadsheet engine (LibreOffice), compared with the engine.

Tolerance: relative 1e-9. LibreOffice sums in a different order than pandas and prints
doubles with 15 significant digits into the saved file, so agreement to ~1e-13 is expected;
1e-9 leaves room without letting any real formula error (which would be >> 1e-6) through.
"""

import os
import re
import shutil
import subprocess
import zipfile

import openpyxl
import pytest

from carbon.export.excel import NAMED_KEYS, export_xlsx
from carbon.paths import inputs_root
from carbon.reconcile import reconcile_if_published
from tests.conftest import LEDGER_HEADER, run, write_csv

REL = 1e-9


def soffice() -> str:
    path = shutil.which("soffice") or shutil.which("libreoffice")
    if path is None:
        message = "LibreOffice (soffice) is not installed: .ci/run installs libreoffice-calc-nogui"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI must run the real recalculation, never skip it
        pytest.skip(message)
    return path


def recalculate(path, tmp_path):
    """Open the workbook in headless LibreOffice, which recalculates every formula, and save it back."""
    out = tmp_path / "recalculated"
    completed = subprocess.run([soffice(), "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path}/lo-profile",
                                "--convert-to", "xlsx", "--outdir", str(out), str(path)], capture_output=True, text=True, timeout=180)
    assert completed.returncode == 0, completed.stderr
    recalculated = out / path.name
    assert recalculated.is_file(), f"LibreOffice did not write {recalculated}: {completed.stdout} {completed.stderr}"
    return openpyxl.load_workbook(recalculated, data_only=True)


@pytest.fixture(scope="module")
def qfin(tmp_path_factory):
    folder = tmp_path_factory.mktemp("xlsx")
    qfin = inputs_root() / "qfin"
    result = run(qfin / "activity.csv", qfin / "organisation.csv")
    path = export_xlsx(result, folder / "qfin.xlsx", reconcile_if_published(result))
    return result, path, folder


def named(workbook, name):
    sheet, reference = next(iter(workbook.defined_names[name].destinations))
    return workbook[sheet][reference.replace("$", "")].value


def test_libreoffice_recalculates_every_defined_name_to_the_engine_values(qfin):
    result, path, folder = qfin
    workbook = recalculate(path, folder)
    engine = {y["year"]: y for y in result.document["years"]}
    compared = 0
    for year in range(2021, 2026):
        values = dict(engine[year], tco2e_per_employee=engine[year]["intensity"]["tco2e_per_employee"],
                      energy_mwh=engine[year]["energy_mwh"]["total"])
        for key in NAMED_KEYS:
            assert named(workbook, f"{key}_{year}") == pytest.approx(values[key], rel=REL), f"{key}_{year}"
            compared += 1
    assert compared == 45


def test_libreoffice_recalculates_every_calculation_cell(qfin):
    result, path, folder = qfin
    sheet = recalculate(path, folder)["Calculation"]
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
    assert {"Cover", "Activity", "Factors", "Calculation", "Summary", "Reconciliation", "Charts"} <= set(workbook.sheetnames)
    assert len(workbook["Charts"]._charts) == 2


def test_same_inputs_give_an_identical_workbook(qfin, tmp_path):
    result, path, _ = qfin
    again = export_xlsx(result, tmp_path / "again.xlsx", reconcile_if_published(result))
    assert again.read_bytes() == path.read_bytes()


def test_text_that_looks_like_a_formula_stays_text(make_org, tmp_path):
    rows = [["=cmd|'/c calc'!A1", 2024, "=HYPERLINK(\"http://x\")", "CN", "electricity", 10, "MWh", "", "", "@SUM(1+1)"],
            ["r2", 2024, "+site", "CN", "electricity", 5, "MWh", "", "", "-source"]]
    result = run(*make_org(rows, employees={2024: 10}))
    path = export_xlsx(result, tmp_path / "injection.xlsx")
    with zipfile.ZipFile(path) as archive:
        sheets = [archive.read(name).decode() for name in archive.namelist() if name.startswith("xl/worksheets/")]
    formulas = [f for sheet in sheets for f in re.findall(r"<f>(.*?)</f>", sheet)]
    assert formulas and not any(needle in f for f in formulas for needle in ("HYPERLINK", "cmd|", "SUM(1+1)", "site", "source"))
    workbook = openpyxl.load_workbook(path)
    injected = {"=cmd|'/c calc'!A1", '=HYPERLINK("http://x")', "@SUM(1+1)", "+site", "-source"}
    cells = [c for row in workbook["Activity"].iter_rows(min_row=2) for c in row if c.value in injected]
    assert {c.value for c in cells} == injected
    assert all(c.data_type == "s" for c in cells)
    recalculated = recalculate(path, tmp_path)["Activity"]
    assert recalculated["C2"].value == '=HYPERLINK("http://x")'  # still the text after a spreadsheet engine opened it


def test_written_atomically_and_failed_runs_leave_the_old_file(qfin, tmp_path):
    from typer.testing import CliRunner

    from carbon.cli import app

    target = tmp_path / "book.xlsx"
    target.write_bytes(b"previous")
    bad = write_csv(tmp_path / "a.csv", LEDGER_HEADER, [["w1", 2024, "HQ", "CN", "water", 5, "kWh", "", "", "x"]])
    organisation = write_csv(tmp_path / "o.csv", ["year", "metric", "value", "unit", "source"], [[2024, "employees", 1, "person", "x"]])
    result = CliRunner().invoke(app, ["export", "xlsx", "--ledger", str(bad), "--organisation", str(organisation), "--out", str(target)])
    assert result.exit_code == 2 and target.read_bytes() == b"previous"
    good = CliRunner().invoke(app, ["export", "xlsx", "--out", str(target)])
    assert good.exit_code == 0 and zipfile.is_zipfile(target)
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    assert CliRunner().invoke(app, ["export", "xlsx", "--out", str(tmp_path / "book.csv")]).exit_code == 2
