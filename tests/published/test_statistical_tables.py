"""The bundled Qfin inputs against the figures printed in the ESG reports' statistical tables.

Activity quantities and headcounts must equal the printed figures exactly (tolerance 0: they
are transcriptions, not calculations). Each printed string is also looked up in the seed text
so a typo in the expectations below cannot hide a typo in the data.
"""

from pathlib import Path

import pytest

from carbon.models.vocabulary import vocabulary
from tests.conftest import by_year

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
ESG2025, ESG2024, ESG2022 = "000_8667903609597246.txt", "001_c3593812b8d8a327.txt", "002_bb17a1e7c0735892.txt"

# year: (document, printed electricity, gasoline, water, hazardous, non-hazardous, employees)
PRINTED = {
    2021: (ESG2022, "1,838.00", "69.92", "93,600.00", "0.12", "877.56", "2,129"),
    2022: (ESG2022, "1,558.00", "62.93", "84,240.00", "0.01", "462.09", "2,199"),
    2023: (ESG2024, "1,276.20", "52.20", "62,634", "0.04", "503.04", "3,121"),
    2024: (ESG2024, "1,559.45", "55.20", "70,181", "0.05", "550.52", "3,527"),
    2025: (ESG2025, "1,575.04", "56.30", "71,234", "0.05", "561.53", "3,557"),
}


def number(printed: str) -> float:
    return float(printed.replace(",", ""))


@pytest.mark.parametrize("year", sorted(PRINTED))
def test_activity_and_headcount_equal_the_printed_tables(qfin_result, year):
    _, electricity, gasoline, water, hazardous, non_hazardous, employees = PRINTED[year]
    computed = by_year(qfin_result.inventory.model_dump())[year]
    assert computed["energy_mwh"]["electricity"] == number(electricity)
    assert computed["energy_mwh"]["gasoline"] == number(gasoline)
    assert computed["water_m3"] == number(water)
    assert computed["waste_t"]["hazardous"] == number(hazardous)
    assert computed["waste_t"]["non_hazardous"] == number(non_hazardous)
    assert computed["employees"] == number(employees)


@pytest.mark.parametrize("year", sorted(PRINTED))
def test_expected_strings_occur_in_the_seed_document(year):
    if not SEEDS.is_dir():
        pytest.skip(f"seed documents not present at {SEEDS} (they live in the team's shared folder)")
    document, *printed = PRINTED[year]
    text = (SEEDS / document).read_text(encoding="utf-8")
    for figure in printed:
        assert f"\t{figure}" in text, f"{figure} not printed in {document}"


def test_revenue_equals_the_results_announcement(qfin_result):
    years = by_year(qfin_result.inventory.model_dump())
    # Statements of Operations, Total net revenue (RMB thousands): 16,290,027 and 17,165,656
    assert years[2023]["revenue_rmb_million"] == pytest.approx(16290.027, rel=1e-15)
    assert years[2024]["revenue_rmb_million"] == pytest.approx(17165.656, rel=1e-15)
    assert years[2025]["revenue_rmb_million"] is None


CONTRACT_YEAR_KEYS = {
    "year",
    "uncertainty",
    "scope1",
    "scope2_location",
    "scope2_market",
    "scope3",
    "scope3_by_category",
    "total_location",
    "total_market",
    "energy_mwh",
    "water_m3",
    "waste_t",
    "employees",
    "revenue_rmb_million",
    "intensity",
}
INTENSITY_KEYS = {
    "tco2e_per_employee",
    "tco2e_per_employee_market",
    "energy_mwh_per_employee",
    "water_m3_per_employee",
    "waste_t_per_employee",
    "tco2e_per_rmb_million",
}


def test_json_follows_the_contract(qfin_result):
    document = qfin_result.inventory.model_dump()
    assert {"organisation", "gwp", "as_of", "factor_sets", "years"} <= set(document)
    assert document["factor_sets"] == [{"name": "china-corporate", "version": "2026.1"}]
    assert [y["year"] for y in document["years"]] == [2021, 2022, 2023, 2024, 2025]
    for year in document["years"]:
        assert set(year) == CONTRACT_YEAR_KEYS
        assert set(year["intensity"]) == INTENSITY_KEYS
        # one key per energy key of the vocabulary (0 when the ledger has none), and the total
        assert set(year["energy_mwh"]) == {"total", *vocabulary().energy_keys.values()}
        assert {"electricity", "gasoline"} <= set(year["energy_mwh"])
        assert set(year["waste_t"]) == {"hazardous", "non_hazardous"}
        assert year["total_location"] == year["scope1"] + year["scope2_location"] + year["scope3"]
        assert year["intensity"]["tco2e_per_employee"] == year["total_location"] / year["employees"]


def test_every_line_traces_to_its_ledger_row_and_factor_source(qfin_result):
    import csv

    lines = qfin_result.lines
    ledger_path = Path(lines["ledger_file"].iloc[0])
    with open(ledger_path, encoding="utf-8") as handle:
        ledger_rows = {row_number: row for row_number, row in enumerate(csv.DictReader(handle), start=2)}
    from carbon.factors import load_factor_set, resolve_factor_set

    factor_set = load_factor_set(resolve_factor_set("china-corporate@2026.1"))
    factor_ids = set(factor_set.factors["factor_id"])
    for line in lines.itertuples(index=False):
        assert ledger_rows[line.ledger_row]["record_id"] == line.record_id
        assert ledger_rows[line.ledger_row]["source"] == line.source
        assert line.factor_id in factor_ids
        assert line.factor_source_id in factor_set.manifest["sources"]
