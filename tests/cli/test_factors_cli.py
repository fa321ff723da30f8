"""The `carbon factors` commands and the as-of acceptance example, through typer's runner."""

import json

import pytest
from typer.testing import CliRunner

from carbon.cli import app

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, list(args), env={"COLUMNS": "200"})


def inventory_json(tmp_path, *args):
    result = invoke("inventory", "--format", "json", "--out", str(tmp_path), *args)
    assert result.exit_code == 0, result.output
    return {y["year"]: y for y in json.loads(result.stdout)["years"]}, json.loads(result.stdout)["notes"]


def test_as_of_selects_the_vintage_published_by_then(tmp_path):
    """For 2024, --as-of 2025-03-31 selects the 2022 MEE/NBS factors (published Dec 2024);
    today selects 2023 (published Dec 2025); nothing else in 2024 changes."""
    early, early_notes = inventory_json(tmp_path / "a", "--as-of", "2025-03-31")
    late, late_notes = inventory_json(tmp_path / "b")
    assert early[2024]["scope2_location"] == pytest.approx(1559.45 * 0.5366, rel=1e-12)
    assert late[2024]["scope2_location"] == pytest.approx(1559.45 * 0.5306, rel=1e-12)
    for key in ("scope1", "scope3", "energy_mwh", "water_m3", "waste_t", "employees"):
        assert early[2024][key] == late[2024][key], key
    assert (
        "2024 electricity location-based: data year 2022, region CN (mee.elec.cn.2022.location)"
        in early_notes
    )
    assert (
        "2024 electricity location-based: data year 2023, region CN (mee.elec.cn.2023.location)" in late_notes
    )


def test_factors_list_json():
    result = invoke("factors", "list", "--format", "json")
    assert result.exit_code == 0
    versions = [s["version"] for s in json.loads(result.stdout)["factor_sets"]]
    assert versions == ["2025.1", "2026.1", "2026.2"]


def test_factors_show_table_and_unknown():
    result = invoke("factors", "show", "mee.elec.cn-sh.2023.location")
    assert result.exit_code == 0 and "0.5737" in result.output and "公告2025年第47号" in result.output
    missing = invoke("factors", "show", "no.such.factor")
    assert missing.exit_code == 2 and "no factor 'no.such.factor'" in missing.output


def test_factors_diff_and_impact_on_real_versions():
    diff = invoke("factors", "diff", "china-corporate@2025.1", "china-corporate@2026.1", "--format", "json")
    assert diff.exit_code == 0 and len(json.loads(diff.stdout)["added"]) == 53
    impact = invoke("factors", "impact", "china-corporate@2026.1", "--as-of", "2026-06-30")
    assert (
        impact.exit_code == 0
        and "Impact of china-corporate@2026.1 against china-corporate@2025.1" in impact.output
    )
    assert "scope2_market" in impact.output


def test_factors_help_has_examples():
    for command in (["factors", "--help"], ["factors", "diff", "--help"], ["factors", "impact", "--help"]):
        result = invoke(*command)
        assert result.exit_code == 0 and "Example" in result.output
