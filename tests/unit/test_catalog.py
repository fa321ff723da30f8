"""carbon factors list / show / diff / impact as library calls."""

import pytest

from carbon import catalog
from carbon.engine import InventoryRequest
from carbon.errors import FactorSetError
from carbon.paths import inputs_root
from tests.conftest import AS_OF, make_factor_set

V1 = [
    "keep,electricity,CN,2022,CO2,0.5,kgCO2/kWh,2,,location,,,S,2024-12-26,,C1,",
    "moved,electricity,CN,2022,CO2,0.6,kgCO2/kWh,2,,market,,,S,2024-12-26,,C1,",
    "gone,electricity,CN-SH,2022,CO2,0.58,kgCO2/kWh,2,,location,,,S,2024-12-26,,C1,",
]
V2 = [
    "keep,electricity,CN,2022,CO2,0.5,kgCO2/kWh,2,,location,,,S,2024-12-26,,C1,",
    "moved,electricity,CN,2022,CO2,0.63,kgCO2/kWh,2,,market,,,S,2024-12-26,,C2+,",
    "new,electricity,CN,2023,CO2,0.53,kgCO2/kWh,2,,location,,,S,2025-12-31,,C2+,",
]


def test_diff_on_two_small_versions(tmp_path):
    old = make_factor_set(tmp_path / "mini" / "1", V1)
    new = make_factor_set(tmp_path / "mini" / "2", V2, version="2")
    difference = catalog.diff_sets(str(old), str(new))
    assert [a["factor_id"] for a in difference["added"]] == ["new"]
    assert [r["factor_id"] for r in difference["removed"]] == ["gone"]
    assert difference["unchanged"] == 1
    (changed,) = difference["changed"]
    assert changed["factor_id"] == "moved" and changed["fields"] == ["value", "confidence"]
    assert changed["change_pct"] == pytest.approx(5.0)  # 0.60 -> 0.63 is +5%


def test_diff_of_real_versions_adds_the_2023_release():
    difference = catalog.diff_sets("china-corporate@2025.1", "china-corporate@2026.1")
    added = {a["factor_id"] for a in difference["added"]}
    assert "mee.elec.cn.2023.location" in added and "mee.elec.cn.2023.market" in added
    assert (
        len([a for a in added if a.startswith("mee.elec.") and ".2023." in a]) == 39
    )  # national x2, 7 grids, 30 provinces
    assert difference["removed"] == [] and difference["changed"] == []


def test_show_gives_value_and_citation():
    details = catalog.show_factor("mee.elec.cn-ha.2022.location")
    assert details["value"] == 0.6058 and details["unit"] == "kgCO2/kWh" and details["confidence"] == "C1*"
    assert details["source"]["id"] == "S2" and "2024年第33号" in details["source"]["title"]
    with pytest.raises(FactorSetError, match="no factor 'nope'"):
        catalog.show_factor("nope")


def test_list_counts_both_versions():
    listing = {entry["version"]: entry for entry in catalog.list_sets()}
    assert listing["2025.1"]["data_years"][1] == 2024 and listing["2026.1"]["data_years"][1] == 2025
    assert listing["2026.1"]["factors"] - listing["2025.1"]["factors"] == 53


def test_impact_of_the_2023_release_on_qfin():
    qfin = inputs_root() / "qfin"
    request = InventoryRequest(qfin / "activity.csv", qfin / "organisation.csv", "qfin", as_of=AS_OF)
    result = catalog.impact(
        request, "china-corporate@2026.1", catalog.previous_version("china-corporate@2026.1")
    )
    assert result["baseline"] == "china-corporate@2025.1"
    years = {y["year"]: y["kpis"] for y in result["years"]}
    assert years[2022]["total_location"]["change"] == 0.0
    # 2024 electricity moves from the 2022 to the 2023 national factor: 1,559.45 x (0.5306 - 0.5366)
    assert years[2024]["scope2_location"]["change"] == pytest.approx(1559.45 * (0.5306 - 0.5366), rel=1e-9)
    assert years[2024]["scope2_market"]["change"] == pytest.approx(1559.45 * (0.6096 - 0.5856), rel=1e-9)


def test_previous_version_of_the_first_release_is_an_error():
    with pytest.raises(FactorSetError, match="no earlier version"):
        catalog.previous_version("china-corporate@2025.1")
