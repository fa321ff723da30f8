"""Golden numbers worked by hand, and invariants checked with hypothesis on random ledgers."""

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carbon.paths import inputs_root
from tests.conftest import LEDGER_HEADER, by_year, run, write_csv

# Relative tolerance for hand arithmetic: the engine multiplies the same decimals in a
# different order, so results agree to floating-point rounding (~1e-15), far inside 1e-12.
REL = 1e-12


def test_qfin_2024_electricity_golden(qfin_result):
    year = by_year(qfin_result.inventory.model_dump())[2024]
    # 1,559.45 MWh x 0.5306 tCO2/MWh (MEE/NBS 2023 national average: the latest data year
    # not after 2024 published before the as-of date) = 827.44417 tCO2
    assert year["scope2_location"] == pytest.approx(1559.45 * 0.5306, rel=REL)
    assert year["scope2_location"] == pytest.approx(827.44417, rel=REL)
    # market-based: 1,559.45 MWh x 0.6096 (national excluding market-traded non-fossil, 2023) = 950.64072
    assert year["scope2_market"] == pytest.approx(950.64072, rel=REL)


def test_qfin_2024_gasoline_golden(qfin_result):
    # 55.20 MWh x 0.0036 TJ/MWh = 0.19872 TJ
    # CO2: 0.19872 x 69,300 kg/TJ = 13,771.296 kg
    # CH4: 0.19872 x 3.8 kg/TJ = 0.755136 kg x 29.8 (AR6 fossil CH4) = 22.5030528 kg CO2e
    # N2O: 0.19872 x 5.7 kg/TJ = 1.132704 kg x 273 (AR6) = 309.228192 kg CO2e
    # total 14,103.0272448 kg = 14.1030272448 tCO2e
    assert by_year(qfin_result.inventory.model_dump())[2024]["scope1"] == pytest.approx(
        14.1030272448, rel=REL
    )


def test_qfin_2024_scope3_golden(qfin_result):
    year = by_year(qfin_result.inventory.model_dump())[2024]
    # water: 70,181 t = 70,181 m3 (1 t/m3) x 0.15311 kgCO2e/m3 (DESNZ 2024 supply) = 10.74541291 t
    assert year["scope3_by_category"]["1"] == pytest.approx(70181 * 0.15311 / 1000, rel=REL)
    # category 5: water treatment 70,181 x 0.18574 = 13,035.41894 kg
    #   + non-hazardous 550.52 t x 520.3342 kg/t (DESNZ 2024 C&I landfill proxy) = 286,454.383784 kg
    #   + hazardous 0.05 t x 6.41061 kg/t (DESNZ 2024 WEEE small open-loop proxy) = 0.3205305 kg
    expected_kg = 70181 * 0.18574 + 550.52 * 520.3342 + 0.05 * 6.41061
    assert year["scope3_by_category"]["5"] == pytest.approx(expected_kg / 1000, rel=REL)


def test_illustrative_sites_use_provincial_factors_and_litres():
    sites = inputs_root() / "illustrative-sites"
    result = run(sites / "activity.csv", sites / "organisation.csv")
    lines = result.lines.set_index(["record_id", "method", "gas"])
    # Shanghai, January: 57,200 kWh = 57.2 MWh x 0.5737 (MEE 2023 Shanghai) = 32.81564 tCO2
    assert lines.loc[("SH-HQ-2024-01-elec", "location", "CO2"), "tco2e"] == pytest.approx(32.81564, rel=REL)
    assert lines.loc[("SH-HQ-2024-01-elec", "location", "CO2"), "factor_id"] == "mee.elec.cn-sh.2023.location"
    # Zhengzhou uses Henan (0.5897), Beijing uses Beijing (0.5554)
    assert lines.loc[("ZZ-DC-2024-01-elec", "location", "CO2"), "factor_id"] == "mee.elec.cn-ha.2023.location"
    assert (
        lines.loc[("BJ-OFFICE-2024-01-elec", "location", "CO2"), "factor_id"]
        == "mee.elec.cn-bj.2023.location"
    )
    # 558 L x 0.743 kg/L = 414.594 kg = 0.414594 t x 44.3 TJ/Gg (= TJ/kt) = 0.0183665142 TJ
    # CO2: 0.0183665142 TJ x 69,300 kg/TJ = 1,272.79 kg
    fuel = lines.loc[("SH-HQ-2024-01-fuel", "", "CO2")]
    assert fuel["quantity_canonical"] == pytest.approx(0.558 * 0.743 * 44.3 / 1000, rel=REL)
    assert fuel["tco2e"] == pytest.approx(0.558 * 0.743 * 44.3 / 1000 * 69.3, rel=REL)
    assert "density 743" in fuel["conversion"]


def test_gwp_switch_changes_only_non_co2_gases(qfin_result, make_org):
    qfin = inputs_root() / "qfin"
    ar4 = run(qfin / "activity.csv", qfin / "organisation.csv", gwp="AR4")
    base, other = qfin_result.lines, ar4.lines
    co2 = base["gas"].isin(["CO2", "CO2e"])
    assert (base.loc[co2, "tco2e"].to_numpy() == other.loc[co2, "tco2e"].to_numpy()).all()
    assert (base.loc[~co2, "tco2e"].to_numpy() != other.loc[~co2, "tco2e"].to_numpy()).all()
    # 2024 CH4 under AR4: 0.755136 kg x 25 = 18.8784 kg
    ch4 = other[(other["year"] == 2024) & (other["gas"] == "CH4_fossil")]
    assert ch4["tco2e"].sum() == pytest.approx(0.755136 * 25 / 1000, rel=REL)


# ---------------------------------------------------------------- properties

ACTIVITY_ROWS = st.sampled_from(
    [
        ("electricity", "kWh", "", "", "CN-SH"),
        ("electricity", "MWh", "", "", "CN"),
        ("electricity", "thousand kWh", "", "", "CN-HA"),
        ("gasoline", "L", "", "", "CN-BJ"),
        ("gasoline", "MWh", "", "", "CN"),
        ("gasoline", "kg", "", "", "CN-SH"),
        ("water", "m**3", "", "", "CN-SH"),
        ("water", "t", "", "", "CN"),
        ("waste", "t", "paper_board", "recycling", "CN-SH"),
        ("waste", "kg", "non_hazardous", "", "CN"),
    ]
)
LEDGERS = st.lists(
    st.tuples(
        ACTIVITY_ROWS, st.one_of(st.just(0.0), st.floats(0.01, 1e6)), st.sampled_from([2021, 2023, 2025])
    ),
    min_size=1,
    max_size=12,
)


def run_rows(rows, scale=1.0):
    with tempfile.TemporaryDirectory() as folder:
        ledger = write_csv(
            Path(folder) / "a.csv",
            LEDGER_HEADER,
            [
                [
                    f"r{i}",
                    year,
                    "site",
                    region,
                    activity,
                    repr(quantity * scale),
                    unit,
                    waste_type,
                    route,
                    "generated",
                ]
                for i, ((activity, unit, waste_type, route, region), quantity, year) in enumerate(rows)
            ],
        )
        organisation = write_csv(
            Path(folder) / "o.csv",
            ["year", "metric", "value", "unit", "source"],
            [[y, "employees", 100, "person", "x"] for y in (2021, 2023, 2025)],
        )
        return run(ledger, organisation).inventory.model_dump()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(LEDGERS)
def test_scopes_sum_to_totals_and_intensity_is_total_over_headcount(rows):
    for year in run_rows(rows)["years"]:
        assert year["total_location"] == pytest.approx(
            year["scope1"] + year["scope2_location"] + year["scope3"], rel=1e-12, abs=1e-12
        )
        assert year["total_market"] == pytest.approx(
            year["scope1"] + year["scope2_market"] + year["scope3"], rel=1e-12, abs=1e-12
        )
        assert year["scope3"] == pytest.approx(sum(year["scope3_by_category"].values()), rel=1e-12, abs=1e-12)
        assert year["intensity"]["tco2e_per_employee"] == pytest.approx(
            year["total_location"] / 100, rel=1e-12, abs=1e-12
        )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(LEDGERS, st.floats(0.001, 1000))
def test_emissions_are_linear_in_quantity(rows, scale):
    base, scaled = run_rows(rows), run_rows(rows, scale)
    for a, b in zip(base["years"], scaled["years"], strict=True):
        for key in ("scope1", "scope2_location", "scope2_market", "scope3", "total_location", "water_m3"):
            # repr() round-trips each quantity exactly; the only error is one extra multiply per row.
            assert b[key] == pytest.approx(a[key] * scale, rel=1e-9, abs=1e-9)
