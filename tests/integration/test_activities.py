"""Golden tests for the activities of factor set china-corporate@2026.2: one ledger row each,
the arithmetic written out from the cited factors (factors/china-corporate/2026.2), so every
expected figure can be checked on paper. Tolerance: 1e-12 relative (floating-point only)."""

from __future__ import annotations

from datetime import date

import pytest

from carbon.engine import InventoryRequest, run_inventory
from carbon.errors import FactorNotFound, LedgerError
from carbon.paths import inputs_root
from tests.conftest import write_csv

HEADER = ["record_id", "year", "site", "region", "activity", "kind", "quantity", "unit", "source"]
FACTORS = "china-corporate@2026.2"
AS_OF = date(2026, 11, 23)  # the release date of 2026.2
REL = 1e-12
GWP_AR6 = {"CH4_fossil": 29.8, "N2O": 273, "HFC-32": 771, "HFC-125": 3740, "HFC-134a": 1530}


def one_row(tmp_path, activity, quantity, unit, kind="", region="CN", year=2024, gwp="AR6"):
    tmp_path.mkdir(parents=True, exist_ok=True)
    ledger = write_csv(
        tmp_path / "activity.csv",
        HEADER,
        [["r1", year, "HQ", region, activity, kind, quantity, unit, "fixture"]],
    )
    organisation = write_csv(
        tmp_path / "organisation.csv",
        ["year", "metric", "value", "unit", "source"],
        [[year, "employees", 10, "person", "fixture"]],
    )
    result = run_inventory(
        InventoryRequest(ledger, organisation, "fixture", factors=FACTORS, gwp=gwp, as_of=AS_OF)
    )
    return result, result.inventory.years[0]


def by_gas(result) -> dict[str, float]:
    """tCO2e of each gas's line."""
    return {
        str(gas): float(t) for gas, t in result.lines.groupby("gas", observed=True)["tco2e"].sum().items()
    }


def test_natural_gas_by_volume(tmp_path):
    result, year = one_row(tmp_path, "natural_gas", 1000, "m**3")
    tj = 1000 * 38.931 / 1e6  # NCV 38.931 MJ/Nm3 (GB/T 32151.34-2024: 389.31 GJ/10^4 Nm3)
    co2 = tj * 56_100 / 1000  # IPCC 2006 Table 1.4: 56,100 kg CO2/TJ
    ch4 = tj * 5 / 1000 * GWP_AR6["CH4_fossil"]  # Table 2.4 commercial: 5 kg CH4/TJ
    n2o = tj * 0.1 / 1000 * GWP_AR6["N2O"]  # Table 2.4 commercial: 0.1 kg N2O/TJ
    assert by_gas(result) == pytest.approx({"CO2": co2, "CH4_fossil": ch4, "N2O": n2o}, rel=REL)
    assert year.scope1 == pytest.approx(2.1840291 + 0.005800719 + 0.0010628163, rel=1e-9)  # = 2.190892635 t
    assert year.energy_mwh["natural_gas"] == pytest.approx(tj / 0.0036, rel=REL)  # 10.81416667 MWh


def test_diesel_in_litres_stationary_and_mobile(tmp_path):
    tj = (
        1000 / 1000 * 0.832361 * 43.0 / 1000
    )  # 1,000 L x 832.361 kg/m3 (DESNZ 2025) x 43.0 TJ/Gg (IPCC Table 1.2)
    generator, year = one_row(tmp_path / "s", "diesel", 1000, "L", kind="stationary")
    assert by_gas(generator) == pytest.approx(
        {
            "CO2": tj * 74_100 / 1000,  # Table 1.4
            "CH4_fossil": tj * 10 / 1000 * 29.8,  # Table 2.4 commercial
            "N2O": tj * 0.6 / 1000 * 273,
        },
        rel=REL,
    )  # Table 2.4 commercial
    assert year.scope1 == pytest.approx(2.668680379, rel=1e-9)
    vehicle, year = one_row(tmp_path / "m", "diesel", 1000, "L", kind="mobile")
    assert by_gas(vehicle) == pytest.approx(
        {
            "CO2": tj * 74_100 / 1000,  # Table 3.2.1
            "CH4_fossil": tj * 3.9 / 1000 * 29.8,  # Table 3.2.2
            "N2O": tj * 3.9 / 1000 * 273,
        },
        rel=REL,
    )  # Table 3.2.2
    assert year.scope1 == pytest.approx(2.694418779, rel=1e-9)


def test_lpg_by_mass(tmp_path):
    result, year = one_row(tmp_path, "lpg", 100, "kg")
    tj = 0.1 / 1000 * 47.3  # 100 kg = 0.0001 Gg x 47.3 TJ/Gg = 0.00473 TJ
    assert by_gas(result) == pytest.approx(
        {"CO2": tj * 63_100 / 1000, "CH4_fossil": tj * 5 / 1000 * 29.8, "N2O": tj * 0.1 / 1000 * 273}, rel=REL
    )
    assert year.scope1 == pytest.approx(0.298463 + 0.00070477 + 0.000129129, rel=1e-9)


@pytest.mark.parametrize(
    "kind, expected_kg_co2e",
    [
        ("HFC-134a", 10 * 1530),  # a pure substance at its AR6 GWP
        ("R-32", 10 * 771),  # R-32 is HFC-32
        ("R-410A", 5 * 771 + 5 * 3740),  # 50/50 HFC-32/HFC-125 by mass = 10 x 2,255.5
        ("R-407C", 2.3 * 771 + 2.5 * 3740 + 5.2 * 1530),  # 23/25/52 HFC-32/HFC-125/HFC-134a = 19,079.3
    ],
)
def test_refrigerant_leakage_as_mass_weighted_components(tmp_path, kind, expected_kg_co2e):
    result, year = one_row(tmp_path, "refrigerant", 10, "kg", kind=kind)
    assert year.scope1 == pytest.approx(expected_kg_co2e / 1000, rel=REL)
    assert set(result.lines["scope"]) == {1}


def test_refrigerant_gwp_follows_the_chosen_set(tmp_path):
    _, year = one_row(tmp_path, "refrigerant", 10, "kg", kind="R-410A", gwp="AR4")
    assert year.scope1 == pytest.approx((5 * 675 + 5 * 3500) / 1000, rel=REL)  # = 10 x 2,087.5 (AR4)


@pytest.mark.parametrize(
    "kind, factor",
    [
        ("air_long_haul", 0.15423),
        ("air_long_haul_rf", 0.26128),
        ("air_short_haul", 0.10974),
        ("rail_national", 0.03546),
    ],
)
def test_business_travel_2024(tmp_path, kind, factor):
    result, year = one_row(tmp_path, "business_travel", 10_000, "pkm", kind=kind)
    assert year.scope3 == pytest.approx(10_000 * factor / 1000, rel=REL)  # DESNZ 2024 kg CO2e per pkm
    assert year.scope3_by_category == pytest.approx({"6": 10_000 * factor / 1000}, rel=REL)
    assert set(result.lines["gwp_basis"].astype(str)) == {"AR5"}


def test_travel_in_passenger_miles_converts(tmp_path):
    _, year = one_row(tmp_path, "business_travel", 1000, "passenger * mile", kind="air_long_haul")
    assert year.scope3 == pytest.approx(1000 * 1.609344 * 0.15423 / 1000, rel=REL)


def test_purchased_heat_location_and_market(tmp_path):
    result, year = one_row(tmp_path, "purchased_heat", 100, "GJ")
    assert year.scope2_location == pytest.approx(100 * 0.11, rel=REL)  # Chinese default 0.11 tCO2/GJ
    assert year.scope2_market == pytest.approx(100 * 0.11, rel=REL)
    assert year.energy_mwh["purchased_heat"] == pytest.approx(100 / 3.6, rel=REL)


def test_the_illustrative_group_uses_every_activity(tmp_path):
    group = inputs_root() / "illustrative-group"
    result = run_inventory(
        InventoryRequest(group / "activity.csv", group / "organisation.csv", "group", as_of=AS_OF)
    )
    from carbon.models.vocabulary import vocabulary

    assert set(result.lines["activity"].astype(str)) == set(vocabulary().activities) - {"green_power"}
    assert [y.year for y in result.inventory.years] == [2023, 2024, 2025]
    assert len(set(result.rows["region"].astype(str))) >= 3 and len(set(result.rows["site"].astype(str))) == 3


@pytest.mark.parametrize(
    "activity, quantity, unit, kind, error, column, needle",
    [
        (
            "refrigerant",
            5,
            "kg",
            "R-999",
            FactorNotFound,
            "kind",
            "kind HFC-125 or HFC-134a or HFC-32 or R-32 or R-407C or R-410A",
        ),
        (
            "refrigerant",
            5,
            "kg",
            "",
            LedgerError,
            "kind",
            "a value in kind on diesel and refrigerant and business_travel rows",
        ),
        (
            "business_travel",
            500,
            "km",
            "air_short_haul",
            LedgerError,
            "unit",
            "a distance per passenger (pkm, passenger_km)",
        ),
        ("natural_gas", 500, "L", "", LedgerError, "unit", "litres are for liquid fuels"),
        ("diesel", 50, "L", "generator", FactorNotFound, "kind", "kind mobile or stationary"),
    ],
)
def test_bad_rows_of_the_new_activities(tmp_path, activity, quantity, unit, kind, error, column, needle):
    with pytest.raises(error) as raised:
        one_row(tmp_path, activity, quantity, unit, kind=kind)
    problem = raised.value.problems[0]
    assert (problem.row, problem.column) == (2, column)
    assert needle in problem.expected, problem.expected
