"""`carbon disclose hkex` through typer's runner: the Qfin pack, its JSON equal to the
inventory's figures, --strict, and bad input (exit 2 naming the file and key)."""

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from carbon.cli import app

QFIN = Path(__file__).resolve().parents[2] / "inputs" / "qfin"
runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, list(args), env={"COLUMNS": "200"})


def org_copy(tmp_path: Path, organisation: str | None = None, screening: str | None = None) -> Path:
    org = tmp_path / "org"
    org.mkdir()
    shutil.copy(QFIN / "activity.csv", org)
    (org / "organisation.csv").write_text(organisation or (QFIN / "organisation.csv").read_text())
    (org / "scope3.yaml").write_text(screening or (QFIN / "scope3.yaml").read_text())
    return org


def test_qfin_pack_has_every_item_and_all_fifteen_categories():
    result = invoke("disclose", "hkex", "--year", "2025", "--as-of", "2026-06-30")
    assert result.exit_code == 0, result.output
    for needle in (
        "Scope 1 GHG emissions",
        "location-based",
        "market-based",
        "mandatory",
        "comply-or-explain",
    ):
        assert needle in result.output
    for name in (
        "Purchased goods and services",
        "Capital goods",
        "Employee commuting",
        "Franchises",
        "Investments",
    ):
        assert name in result.output
    assert "not relevant" in result.output and "excluded" in result.output


def test_json_pack_equals_the_inventory_json():
    pack = json.loads(
        invoke("disclose", "hkex", "--year", "2025", "--format", "json", "--as-of", "2026-06-30").output
    )
    inventory = json.loads(invoke("inventory", "--format", "json", "--as-of", "2026-06-30").output)
    year = next(y for y in inventory["years"] if y["year"] == 2025)
    values = {item["key"]: item["value"] for item in pack["items"]}
    assert values["scope1"] == year["scope1"] and values["scope3"] == year["scope3"]
    assert values["scope2_location"] == year["scope2_location"]
    assert values["scope2_market"] == year["scope2_market"]
    assert values["intensity"] == year["intensity"]["tco2e_per_employee"]
    rows = {row["category"]: row for row in pack["scope3"]}
    assert sorted(rows) == list(range(1, 16))
    assert rows[5]["tco2e"] == year["scope3_by_category"]["5"] and rows[7]["tco2e"] is None
    assert pack["tier"] == "main_board" and pack["year"] == 2025


def test_strict_exits_1_when_a_comply_or_explain_item_is_blank(tmp_path):
    # No headcount for 2025: the intensity is blank, and it is comply-or-explain for a Main Board issuer.
    organisation = "\n".join(
        line
        for line in (QFIN / "organisation.csv").read_text().splitlines()
        if not line.startswith("2025,employees")
    )
    org = org_copy(tmp_path, organisation=organisation + "\n")
    relaxed = invoke("disclose", "hkex", "--org", str(org), "--year", "2025", "--as-of", "2026-06-30")
    assert relaxed.exit_code == 0, relaxed.output
    strict = invoke(
        "disclose", "hkex", "--org", str(org), "--year", "2025", "--strict", "--as-of", "2026-06-30"
    )
    assert strict.exit_code == 1, strict.output
    assert "GHG emissions intensity: comply-or-explain and blank" in strict.output


def test_bad_input_exits_2_naming_file_and_key(tmp_path):
    year = invoke("disclose", "hkex", "--year", "2019", "--as-of", "2026-06-30")
    assert year.exit_code == 2 and "activity.csv" in year.output and "2019" in year.output
    tier = invoke("disclose", "hkex", "--year", "2025", "--tier", "smallcap")
    assert tier.exit_code == 2 and "main_board" in tier.output
    missing = (QFIN / "scope3.yaml").read_text().replace("\n  7:\n", "\n  seven:\n")
    org = org_copy(tmp_path, screening=missing)
    result = invoke("disclose", "hkex", "--org", str(org), "--year", "2025", "--as-of", "2026-06-30")
    assert result.exit_code == 2
    assert (
        "scope3.yaml" in result.output and "key 'categories'" in result.output and "'seven'" in result.output
    )
    (org / "scope3.yaml").unlink()
    absent = invoke("disclose", "hkex", "--org", str(org), "--year", "2025", "--as-of", "2026-06-30")
    assert absent.exit_code == 2 and "scope3.yaml" in absent.output


def test_markdown_and_html_files_are_written_whole(tmp_path):
    page = tmp_path / "pack.html"
    done = invoke("disclose", "hkex", "--format", "html", "--out", str(page), "--as-of", "2026-06-30")
    assert done.exit_code == 0, done.output
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.endswith("</html>\n")
    assert [p.name for p in tmp_path.iterdir()] == ["pack.html"]  # no temporary file left beside it
    markdown = invoke("disclose", "hkex", "--format", "md", "--as-of", "2026-06-30").output
    assert markdown.startswith("# HKEX disclosure pack: qfin, 2025")  # the latest year by default
    assert "| A2.5 | Packaging material used for finished products | not material |" in markdown


def test_out_with_the_terminal_table_or_a_folder_is_refused(tmp_path):
    table = invoke("disclose", "hkex", "--out", str(tmp_path / "x.txt"), "--as-of", "2026-06-30")
    assert table.exit_code == 2 and "--out takes --format json, csv, md or html" in table.output
    folder = invoke("disclose", "hkex", "--format", "md", "--out", str(tmp_path), "--as-of", "2026-06-30")
    assert folder.exit_code == 2 and "cannot write" in folder.output and "Traceback" not in folder.output


def test_xlsx_pack_is_the_auditor_workbook_with_the_pack_sheets(tmp_path):
    import openpyxl

    path = tmp_path / "pack.xlsx"
    done = invoke("disclose", "hkex", "--format", "xlsx", "--out", str(path), "--as-of", "2026-06-30")
    assert done.exit_code == 0, done.output
    sheets = openpyxl.load_workbook(path).sheetnames
    assert {"Summary", "Calculation", "HKEX KPIs", "HKEX Part D", "HKEX Scope 3"} <= set(sheets)
    assert openpyxl.load_workbook(path)["HKEX Part D"]["C2"].value == "=Summary!$B$6"  # Scope 1, 2025
    no_out = invoke("disclose", "hkex", "--format", "xlsx", "--as-of", "2026-06-30")
    assert no_out.exit_code == 2 and "--out FILE.xlsx" in no_out.output
