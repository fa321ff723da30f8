"""A new activity is a data change: an invented activity (district cooling, kWh of chilled water
bought, Scope 2) defined by a vocabulary file and a factor table in a temporary folder runs
through the inventory (table, JSON, CSV), the auditor workbook (recalculated in LibreOffice), a
scenario with district_cooling.scale=0.5 and the bridge, with no change to the code.

The factor values below are invented for this test (0.25 and 0.3 t CO2/MWh); they ship nowhere.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil

import openpyxl
import pytest
import yaml
from typer.testing import CliRunner

from carbon.cli import app
from carbon.factors import resolve_factor_set
from tests.conftest import write_csv
from tests.integration.test_excel import named, recalculate

VOCABULARY = """
activities:
  district_cooling:
    description: "chilled water bought from a district cooling network"
    canonical_unit: MWh
    accepts: ["[energy]"]
    scope: 2
    energy: district_cooling
    required_methods: [location, market]
"""
COOLING = """factor_id,activity,region,data_year,gas,value,unit,scope,category,method,waste_type,route,kind,source_id,published,gwp_basis,confidence,notes
test.cooling.location,district_cooling,CN,2024,CO2,0.25,kgCO2/kWh,2,,location,,,,TEST,2025-01-01,,D,invented for a test
test.cooling.market,district_cooling,CN,2024,CO2,0.3,kgCO2/kWh,2,,market,,,,TEST,2025-01-01,,D,invented for a test
"""
LEDGER = [
    ["c24", 2024, "HQ", "CN", "district_cooling", 400_000, "kWh", "meter"],
    ["c25", 2025, "HQ", "CN", "district_cooling", 500_000, "kWh", "meter"],
    ["e24", 2024, "HQ", "CN", "electricity", 100, "MWh", "meter"],
    ["e25", 2025, "HQ", "CN", "electricity", 100, "MWh", "meter"],
]


@pytest.fixture
def world(tmp_path):
    """The vocabulary file, a factor set with the cooling table, and an organisation."""
    (tmp_path / "vocabulary.yaml").write_text(VOCABULARY, encoding="utf-8")
    factors = tmp_path / "factors"
    shutil.copytree(resolve_factor_set("china-corporate@2026.2"), factors)
    (factors / "cooling.csv").write_text(COOLING, encoding="utf-8")
    manifest = yaml.safe_load((factors / "manifest.yaml").read_text(encoding="utf-8"))
    manifest["version"] = "test"
    manifest["tables"].append(
        {
            "file": "cooling.csv",
            "kind": "factors",
            "sha256": hashlib.sha256((factors / "cooling.csv").read_bytes()).hexdigest(),
        }
    )
    manifest["sources"]["TEST"] = {
        "publisher": "test",
        "title": "invented for a test",
        "published": "2025-01-01",
        "url": "",
        "locator": "n/a",
    }
    (factors / "manifest.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True), encoding="utf-8")
    org = tmp_path / "org"
    org.mkdir()
    write_csv(
        org / "activity.csv",
        ["record_id", "year", "site", "region", "activity", "quantity", "unit", "source"],
        LEDGER,
    )
    write_csv(
        org / "organisation.csv",
        ["year", "metric", "value", "unit", "source"],
        [[y, "employees", n, "person", "fixture"] for y, n in ((2024, 50), (2025, 55))],
    )
    return tmp_path


def carbon(world, *args):
    result = CliRunner().invoke(
        app,
        [*args, "--org", str(world / "org"), "--factors", str(world / "factors"), "--as-of", "2026-06-30"],
        env={"CARBON_VOCABULARY": str(world / "vocabulary.yaml"), "COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def test_inventory_table_json_and_csv(world):
    document = json.loads(carbon(world, "inventory", "--out", str(world / "out"), "--format", "json"))
    year = {y["year"]: y for y in document["years"]}
    # 400 MWh x 0.25 t/MWh (location), x 0.3 (market), plus 100 MWh of electricity at the
    # 2023 national factors.
    assert year[2024]["scope2_location"] == pytest.approx(400 * 0.25 + 100 * 0.5306, rel=1e-12)
    assert year[2024]["scope2_market"] == pytest.approx(400 * 0.3 + 100 * 0.6096, rel=1e-12)
    assert year[2024]["energy_mwh"]["district_cooling"] == 400.0
    table = carbon(world, "inventory", "--out", str(world / "out"))
    assert "District cooling" in table and "400.00" in table
    rows = list(
        csv.DictReader(
            io.StringIO(carbon(world, "inventory", "--out", str(world / "out"), "--format", "csv"))
        )
    )
    assert float(rows[0]["energy_mwh.district_cooling"]) == 400.0
    lines = list(csv.DictReader(open(world / "out" / "emission_lines.csv", encoding="utf-8")))
    assert {line["factor_id"] for line in lines if line["activity"] == "district_cooling"} == {
        "test.cooling.location",
        "test.cooling.market",
    }


def test_workbook_recalculates_with_the_new_activity(world):
    carbon(world, "export", "xlsx", "--out", str(world / "book.xlsx"))
    recalculated = recalculate(world / "book.xlsx", world)
    assert named(recalculated, "scope2_location_2024") == pytest.approx(400 * 0.25 + 100 * 0.5306, rel=1e-9)
    summary = openpyxl.load_workbook(world / "book.xlsx", data_only=True)["Summary"]
    assert "District cooling (MWh)" in [c.value for c in summary[1]]


def test_scenario_and_bridge(world):
    outcome = json.loads(
        carbon(
            world,
            "scenario",
            "run",
            "--set",
            "district_cooling.scale=0.5",
            "--base-year",
            "2025",
            "--format",
            "json",
        )
    )
    assert outcome["comparison"]["scope2_location"]["delta"] == pytest.approx(-0.5 * 500 * 0.25, rel=1e-12)
    bridge = json.loads(carbon(world, "bridge", "2024", "2025", "--format", "json"))
    drivers = {p["driver"]: p["value"] for p in bridge["parts"]}
    assert "activity: district_cooling" in drivers and drivers["activity: district_cooling"] > 0
    assert sum(drivers.values()) == pytest.approx(bridge["change"], abs=1e-9)


def test_the_vocabulary_option_and_a_malformed_entry(world, monkeypatch):
    monkeypatch.delenv("CARBON_VOCABULARY", raising=False)
    broken = world / "broken.yaml"
    broken.write_text(VOCABULARY.replace("    canonical_unit: MWh\n", ""), encoding="utf-8")
    result = CliRunner().invoke(app, ["--vocabulary", str(broken), "vocab", "activities"])
    monkeypatch.delenv("CARBON_VOCABULARY", raising=False)  # the option set it for this process
    assert result.exit_code == 2, result.output
    assert (
        "broken.yaml" in result.output and "key 'activities.district_cooling.canonical_unit'" in result.output
    )
