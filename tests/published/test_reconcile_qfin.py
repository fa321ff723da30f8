"""End to end: `carbon reconcile` on the bundled Qfin reports.

The expected findings below were worked out by hand from the seed documents (see README,
"Findings on the bundled reports"); each is asserted with its verdict.
"""

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from carbon.cli import app
from carbon.paths import inputs_root

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
PUBLISHED = inputs_root() / "qfin" / "published"


@pytest.fixture(scope="module")
def report():
    result = CliRunner().invoke(app, ["reconcile", "--format", "json", "--as-of", "2026-06-30"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def figures():
    for path in sorted(PUBLISHED.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for figure in data["figures"]:
            yield data["document"], figure


def test_every_printed_string_occurs_in_its_seed():
    if not SEEDS.is_dir():
        pytest.skip(f"seed documents not present at {SEEDS} (they live in the team's shared folder)")
    missing = []
    for document, figure in figures():
        text = (SEEDS / document["seed"]).read_text(encoding="utf-8")
        if figure["printed"] not in text:
            missing.append(f"{document['id']} {figure['kpi']} {figure['year']}: {figure['printed']!r}")
    assert not missing, "\n".join(missing)


def test_checked_counts_every_transcribed_figure(report):
    assert report["checked"] == len(list(figures())) == 196


def found(report, severity):
    return {
        (f["kind"], f["year"], f["kpi"], f["printed"])
        for f in report["findings"]
        if f["severity"] == severity
    }


def test_known_disagreements_are_found(report):
    inconsistent = found(report, "inconsistent")
    expected = {
        ("identity_sum", 2021, "employees.total", "2,129"),  # 2,179 full-time + 5 part-time = 2,184
        ("identity_ratio", 2021, "waste.hazardous.per_employee", "0.01"),  # 0.12 / 2,129 = 0.00006
        ("identity_sum", 2022, "energy.total", "1,620.95"),  # 62.93 + 1,558.00 = 1,620.93
        ("cross_document", 2022, "energy.electricity", "1,558.00"),  # chapter prints 1,558.02
        ("cross_document", 2022, "employees.total", "2,199"),  # a chapter paragraph prints 2,183
        ("cross_document", 2022, "employees.full_time", "2,195"),  # ... and 2,179 full-time
        ("ill_formed", 2024, "energy.electricity", "1,559,45"),  # comma for the decimal point
        ("implied_factor", 2022, "ghg.scope2", "1,253.94"),  # 0.8048 tCO2/MWh: above every MEE/NBS factor
        ("implied_factor", 2023, "ghg.scope2", "1,383.61"),  # 1.0842
        ("implied_factor", 2024, "ghg.scope2", "1,684.56"),  # 1.0802
        ("implied_factor", 2025, "ghg.scope2", "1,701.41"),  # 1.0802
    }
    assert expected <= inconsistent
    assert found(report, "rounding_method") == {
        ("identity_ratio", 2025, "energy.per_employee", "0.45"),
        ("identity_ratio", 2025, "water.per_employee", "20.02"),
        # the chapter's 1253.95 and the table's 1,253.94 both fit only an unrounded 1,253.945:
        # one of them was rounded half down
        ("cross_document", 2022, "ghg.scope2", "1,253.94"),
    }
    notes = found(report, "note")
    assert ("comparability", 2025, "ghg.total", "3,594.05") in notes
    assert ("comparability", 2025, "ghg.per_employee", "1.01") in notes


def test_nothing_rounding_explains_is_flagged(report):
    consistent = found(report, "consistent")
    # 14.16 + 1,253.94 = 1,268.10 against a printed 1,268.11: rounding explains it
    assert ("identity_sum", 2022, "ghg.total", "1,268.11") in consistent
    for finding in report["findings"]:
        if (
            finding["severity"] == "inconsistent"
            and finding["expected"]
            and finding["kind"] != "implied_factor"
        ):
            low, high = finding["expected"]
            assert not (low <= float(finding["printed"].replace(",", "")) <= high), finding


def test_finding_shape(report):
    for finding in report["findings"]:
        assert set(finding) == {
            "kind",
            "severity",
            "year",
            "period",
            "region",
            "kpi",
            "documents",
            "printed",
            "expected",
            "message",
        }
        assert finding["severity"] in {"consistent", "rounding_method", "inconsistent", "note"}
        assert all({"document", "section", "locator"} <= set(cell) for cell in finding["documents"])


def test_strict_exits_1_and_csv_has_a_row_per_check():
    runner = CliRunner()
    assert runner.invoke(app, ["reconcile", "--strict", "--format", "json"]).exit_code == 1
    csv_out = runner.invoke(app, ["reconcile", "--format", "csv"])
    assert csv_out.exit_code == 0 and csv_out.stdout.splitlines()[0].startswith(
        "severity,kind,year,period,region,kpi"
    )


def test_table_groups_by_document():
    result = CliRunner().invoke(app, ["reconcile"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for heading in ("esg-2022", "esg-2024", "esg-2025", "196 printed figures checked"):
        assert heading in result.output
