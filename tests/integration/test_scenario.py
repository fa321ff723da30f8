"""Levers, pathways and the year-over-year bridge, on hand-checkable inputs and the bundled data."""

import json
import math

import pandas as pd
import pytest
from typer.testing import CliRunner

from carbon.bridge import BOUNDARY_DRIVER, FACTOR_DRIVER, _decompose, bridge
from carbon.cli import app
from carbon.errors import ScenarioError
from carbon.paths import inputs_root
from carbon.scenario import parse_lever, parse_set_options, run_pathway, run_scenario
from tests.conftest import run

REL = 1e-12


@pytest.fixture(scope="module")
def qfin():
    folder = inputs_root() / "qfin"
    return run(folder / "activity.csv", folder / "organisation.csv")


def test_green_share_on_2025_scales_market_scope2_only(qfin):
    out = run_scenario(qfin, [parse_lever("electricity.green_share", 0.3)], 2025)
    base, scenario = out["base"], out["scenario"]
    # no instruments in the Qfin ledger: 30% of 1,575.04 MWh covered at 0, the rest at 0.6096
    assert scenario["scope2_market"] == pytest.approx(base["scope2_market"] * 0.7, rel=REL)
    assert scenario["scope2_market"] == pytest.approx(1575.04 * 0.7 * 0.6096, rel=REL)
    assert scenario["scope2_location"] == base["scope2_location"]


def test_headcount_scales_intensity_not_totals(qfin):
    out = run_scenario(qfin, [parse_lever("headcount.scale", 1.1)], 2025)
    base, scenario = out["base"], out["scenario"]
    assert scenario["intensity"]["tco2e_per_employee"] == pytest.approx(
        base["intensity"]["tco2e_per_employee"] / 1.1, rel=REL
    )
    for key in ("scope1", "scope2_location", "scope2_market", "scope3", "total_location", "total_market"):
        assert scenario[key] == base[key]


def test_contributions_sum_to_the_change(qfin):
    levers = parse_set_options(
        [
            "electricity.green_share=0.3",
            "fleet.electrify_share=0.5",
            "fleet.efficiency_ratio=0.3",
            "waste.route=combustion",
            "headcount.scale=1.1",
            "grid_factor.scale=0.9",
            "factors.vintage=2022",
            "scope3.5.scale=0.8",
            "water.scale=0.9",
            "gasoline.scale=1.2",
        ]
    )
    out = run_scenario(qfin, levers, 2025)
    assert [c["lever"] for c in out["contributions"]] == [
        lever.name for lever in levers if lever.name != "fleet.efficiency_ratio"
    ]
    for key in ("total_location", "total_market", "intensity.tco2e_per_employee"):
        parts = math.fsum(c["changes"][key] for c in out["contributions"])
        # each contribution is a difference of consecutive states, so they telescope to the change
        assert parts == pytest.approx(out["comparison"][key]["delta"], rel=1e-12, abs=1e-12)


def test_fleet_electrification_by_hand(qfin):
    out = run_scenario(
        qfin, parse_set_options(["fleet.electrify_share=0.5", "fleet.efficiency_ratio=0.3"]), 2025
    )
    base, scenario = out["base"], out["scenario"]
    # half of 56.30 MWh gasoline removed; 56.30 x 0.5 x 0.3 = 8.445 MWh electricity added at 0.5306 (location)
    assert scenario["energy_mwh"]["gasoline"] == pytest.approx(28.15, rel=REL)
    assert scenario["energy_mwh"]["electricity"] == pytest.approx(1575.04 + 8.445, rel=REL)
    assert scenario["scope1"] == pytest.approx(base["scope1"] / 2, rel=REL)
    assert scenario["scope2_location"] - base["scope2_location"] == pytest.approx(8.445 * 0.5306, rel=1e-9)


def test_grid_factor_and_vintage_levers(qfin):
    out = run_scenario(qfin, [parse_lever("grid_factor.scale", 0.5)], 2025)
    assert out["scenario"]["scope2_location"] == pytest.approx(out["base"]["scope2_location"] * 0.5, rel=REL)
    out = run_scenario(qfin, [parse_lever("factors.vintage", 2022)], 2025)
    assert out["scenario"]["scope2_location"] == pytest.approx(
        1575.04 * 0.5366, rel=REL
    )  # MEE/NBS 2022 national


@pytest.mark.parametrize(
    "option, message",
    [
        ("foo.bar=1", "unknown lever 'foo.bar'"),
        ("electricity.green_share=1.5", "out of range"),
        ("headcount.scale=abc", "expected a number"),
        ("waste.route=sea", "route 'sea' is not one of"),
        ("scope3.9.scale=1", "unknown lever"),
        ("electricity.green_share", "expected LEVER=VALUE"),
    ],
)
def test_invalid_levers(option, message):
    with pytest.raises(ScenarioError, match=message):
        parse_set_options([option])


def test_electrification_needs_a_stated_ratio(qfin):
    with pytest.raises(ScenarioError, match="needs fleet.efficiency_ratio"):
        run_scenario(qfin, [parse_lever("fleet.electrify_share", 0.5)], 2025)


def test_unknown_lever_exits_2_listing_valid_levers():
    result = CliRunner().invoke(app, ["scenario", "run", "--set", "electricity.colour=green"])
    assert result.exit_code == 2
    for lever in ("electricity.green_share", "headcount.scale", "factors.vintage", "scope3.<category>.scale"):
        assert lever in result.output


def test_pathway_arithmetic(qfin):
    scenario = {
        "base_year": 2025,
        "levers": [],
        "pathway": {
            "rates": {"grid_factor": -0.1},
            "target": {"type": "absolute_reduction", "metric": "scope2_location", "reduction": 0.15},
        },
    }
    out = run_pathway(qfin, scenario, 2028)
    values = [y["scope2_location"] for y in out["years"]]
    base = values[0]
    # grid factor -10% a year: 2026 = base x 0.9, 2027 = x 0.81; the target (85% of base) is first met in 2027
    assert values[1] == pytest.approx(base * 0.9, rel=REL) and values[2] == pytest.approx(
        base * 0.81, rel=REL
    )
    assert out["target_value"] == pytest.approx(base * 0.85, rel=REL)
    assert out["first_year_met"] == 2027
    assert out["years"][1]["gap"] == pytest.approx(base * 0.9 - base * 0.85, rel=1e-9)


def test_pathway_ramp_and_intensity_target(qfin):
    scenario = {
        "base_year": 2025,
        "levers": [],
        "pathway": {
            "ramps": {"electricity.green_share": {2025: 0.0, 2027: 1.0}},
            "target": {"type": "intensity", "metric": "intensity.tco2e_per_employee_market", "value": 0.01},
        },
    }
    out = run_pathway(qfin, scenario, 2027)
    market = [y["intensity.tco2e_per_employee_market"] for y in out["years"]]
    assert market[0] > market[1] > market[2] and out["first_year_met"] is None  # Scope 1 and 3 remain


def test_bridge_parts_sum_to_the_change(qfin):
    out = bridge(qfin, 2024, 2025)
    drivers = {p["driver"] for p in out["parts"]}
    assert {"activity: electricity", FACTOR_DRIVER, BOUNDARY_DRIVER} <= drivers
    assert math.fsum(p["value"] for p in out["parts"]) == pytest.approx(out["change"], rel=1e-12)
    intensity = out["intensity"]
    assert math.fsum(p["value"] for p in intensity["parts"]) == pytest.approx(intensity["change"], rel=1e-12)
    assert "headcount" in {p["driver"] for p in intensity["parts"]}


def segments(rows):
    return pd.DataFrame(rows, columns=["segment", "segment_activity", "tco2e", "activity"]).set_index(
        "segment"
    )


def test_lmdi_by_hand_with_new_and_zero_segments():
    before = segments(
        [
            ("electricity", "electricity", 100.0, 200.0),
            ("gasoline", "gasoline", 10.0, 1.0),
            ("water", "water", 5.0, 50.0),
        ]
    )
    after = segments(
        [
            ("electricity", "electricity", 120.0, 200.0),
            ("gasoline", "gasoline", 0.0, 1.0),
            ("waste", "waste", 7.0, 3.0),
        ]
    )
    parts, change = _decompose(before, after)
    # electricity: same activity, factor 0.5 -> 0.6: all +20 is factor; gasoline factor -> 0: -10 factor;
    # water dropped (-5) and waste added (+7): boundary +2
    assert parts["activity: electricity"] == pytest.approx(0.0, abs=1e-12)
    assert parts[FACTOR_DRIVER] == pytest.approx(20 - 10, rel=REL)
    assert parts[BOUNDARY_DRIVER] == pytest.approx(2.0, rel=REL)
    assert math.fsum(parts.values()) == pytest.approx(change, rel=REL) and change == pytest.approx(12.0)


def test_lmdi_activity_and_factor_split():
    before = segments([("electricity", "electricity", 100.0, 200.0)])
    after = segments([("electricity", "electricity", 132.0, 240.0)])  # activity x1.2, factor x1.1
    parts, change = _decompose(before, after)
    weight = (132 - 100) / math.log(132 / 100)
    assert parts["activity: electricity"] == pytest.approx(weight * math.log(1.2), rel=REL)
    assert parts[FACTOR_DRIVER] == pytest.approx(weight * math.log(1.1), rel=REL)
    assert parts["activity: electricity"] + parts[FACTOR_DRIVER] == pytest.approx(32.0, rel=REL)


def test_cli_scenario_json_shape_and_bridge_json():
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "scenario",
            "run",
            str(inputs_root() / "qfin" / "scenarios" / "green-power-30.yaml"),
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert {"base", "scenario", "levers", "contributions"} <= set(document)
    assert {"scope1", "scope2_location", "scope2_market", "total_location", "intensity"} <= set(
        document["scenario"]
    )
    bridged = json.loads(runner.invoke(app, ["bridge", "2024", "2025", "--format", "json"]).stdout)
    assert {"from", "to", "change", "parts"} <= set(bridged) and bridged["from"] == 2024
    pathway = runner.invoke(
        app,
        [
            "scenario",
            "pathway",
            str(inputs_root() / "qfin" / "scenarios" / "pathway-2030.yaml"),
            "--to",
            "2030",
        ],
        env={"COLUMNS": "150"},
    )
    assert pathway.exit_code == 0 and "Target met first in" in pathway.output
