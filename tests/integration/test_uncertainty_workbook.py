"""The Uncertainty sheet: LibreOffice recalculates every figure's value, half-width and interval
from the Calculation sheet (every cached value zeroed first) to the inventory's own (1e-9, as
the workbook's other recalculation tests). The ledger mixes data-quality classes and gases, so
quantity groups, shared factors and the GWP all enter the formulas."""

import pytest

from carbon.engine import InventoryRequest, run_inventory
from carbon.export.excel import export_xlsx
from tests.conftest import AS_OF, LEDGER_HEADER, write_csv
from tests.integration.test_excel import REL, recalculate, zero_cached_values

ROWS = [
    ["e1", 2024, "HQ", "CN", "electricity", 1000, "MWh", "", "", "bill", "invoiced"],
    ["e2", 2024, "Lab", "CN", "electricity", 400, "MWh", "", "", "estimate", "estimated"],
    ["e3", 2025, "HQ", "CN", "electricity", 1100, "MWh", "", "", "meter", "metered"],
    ["g1", 2024, "HQ", "CN", "gasoline", 50, "MWh", "", "", "fuel card", "invoiced"],
    ["g2", 2025, "HQ", "CN", "gasoline", 60, "MWh", "", "", "fuel card", ""],
    ["w1", 2025, "HQ", "CN", "water", 5000, "m**3", "", "", "bill", "Invoice"],
]


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("uncertainty-xlsx")
    ledger = write_csv(folder / "activity.csv", [*LEDGER_HEADER, "data_quality"], ROWS)
    organisation = write_csv(
        folder / "organisation.csv",
        ["year", "metric", "value", "unit", "source"],
        [[2024, "employees", 40, "person", "t"], [2025, "employees", 50, "person", "t"]],
    )
    result = run_inventory(InventoryRequest(ledger, organisation, "mixed", as_of=AS_OF))
    path = export_xlsx(result, folder / "mixed.xlsx")
    zeroed = folder / "zeroed" / "mixed.xlsx"
    zeroed.parent.mkdir()
    zero_cached_values(path, zeroed)
    return result.inventory, recalculate(zeroed, folder)


def figure_rows(sheet) -> dict[tuple[str, int], list]:
    rows = {}
    started = False
    for row in sheet.iter_rows(values_only=True):
        if row[0] == "Figure" and row[2] == "Value":
            started = True
            continue
        if started:
            if row[0] is None:
                break
            rows[(row[0], int(row[1]))] = list(row)
    return rows


def test_every_interval_recalculates_to_the_inventory(recalculated):
    inventory, book = recalculated
    rows = figure_rows(book["Uncertainty"])
    compared = 0
    for year in inventory.years:
        for key, figure in year.uncertainty.items():
            _, _, value, summary, half, percent, low, high, *_ = rows[(key, year.year)]
            assert value == pytest.approx(figure.value, rel=REL)
            assert summary == pytest.approx(figure.value, rel=REL)
            assert half == pytest.approx(figure.propagation.high - figure.value, rel=REL)
            if figure.value > 0:
                assert percent == pytest.approx(figure.propagation.half_width_percent, rel=REL)
            else:  # no tonnes (no Scope 3 in 2024): no percentage
                assert percent == "n/a" and figure.propagation.half_width_percent is None
            assert (low, high) == pytest.approx((figure.propagation.low, figure.propagation.high), rel=REL)
            compared += 1
    assert compared == len(rows) == sum(len(y.uncertainty) for y in inventory.years) >= 14


def test_the_sheet_has_quantity_factor_and_gwp_errors(recalculated):
    inventory, book = recalculated
    values = list(book["Uncertainty"].iter_rows(values_only=True))
    errors = {row[2] for row in values if row[0] in ("scope1", "scope2_location") and isinstance(row[2], str)}
    assert {e[0] for e in errors} == {"Q", "F", "G"}  # gasoline's CH4 and N2O bring the GWP errors
    sources = [
        row for row in values if isinstance(row[0], str) and row[0][:1] == "S" and row[0][1:].isdigit()
    ]
    # Gasoline's CH4 and N2O lines carry the GWP's 41.7%; CO2 none.
    gwp = {row[6]: row[13] for row in sources}
    assert gwp["CO2"] == 0 and gwp["N2O"] == pytest.approx(41.70, abs=0.01)
    # The blank data quality of g2 is 'unspecified'; 'Invoice' is 'invoiced'.
    assert {"invoiced", "estimated", "metered", "unspecified"} <= {row[7] for row in sources}
    assert inventory.years[1].uncertainty["scope1"].data_quality == {"unspecified": 1.0}
    # Every source's tonnes come back from the Calculation lines that carry its id.
    assert sum(row[9] for row in sources) == pytest.approx(
        sum(y.total_location + y.scope2_market for y in inventory.years),
        rel=REL,  # both Scope 2 views
    )
