"""The HKEX disclosure pack: rules as data, the Scope 3 screening file, and figures that are the
inventory's own."""

import dataclasses
from pathlib import Path

import pytest
import yaml

from carbon.disclose import hkex_pack, hkex_rules, load_organisation_files, load_screening, requirement
from carbon.engine import InventoryRequest, run_inventory
from carbon.errors import InputFileError
from tests.conftest import AS_OF

QFIN = Path(__file__).resolve().parents[2] / "inputs" / "qfin"
SCREENING = QFIN / "scope3.yaml"


@pytest.fixture(scope="module")
def result():
    request = InventoryRequest(QFIN / "activity.csv", QFIN / "organisation.csv", "qfin", as_of=AS_OF)
    return run_inventory(request)


@pytest.fixture(scope="module")
def inventory(result):
    return result.inventory


def pack_of(result, year=2025, tier="main_board", **files):
    """The pack of the Qfin run, with some of the organisation's files replaced."""
    organisation = dataclasses.replace(load_organisation_files(QFIN), **files)
    return hkex_pack(result, organisation, year, tier, "activity.csv")


def with_screening(path):
    return {"screening": load_screening(path), "screening_file": str(path)}


def write_screening(tmp_path: Path, change) -> Path:
    """The bundled Qfin screening with `change` applied to its parsed YAML."""
    data = yaml.safe_load(SCREENING.read_text(encoding="utf-8"))
    change(data["categories"])
    path = tmp_path / "scope3.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


# FACTORS.md §6b: Scope 1 and 2 mandatory for all issuers from FY2025; Scope 3 and the rest of
# Part D comply-or-explain for Main Board issuers from FY2025, mandatory for LargeCap issuers
# from FY2026, voluntary for GEM issuers.
@pytest.mark.parametrize(
    ("key", "tier", "year", "expected"),
    [
        ("scope1", "gem", 2025, "mandatory"),
        ("scope2_market", "main_board", 2025, "mandatory"),
        ("scope1", "main_board", 2024, "voluntary"),
        ("scope3", "main_board", 2025, "comply_or_explain"),
        ("scope3", "main_board", 2027, "comply_or_explain"),
        ("scope3", "largecap", 2025, "comply_or_explain"),
        ("scope3", "largecap", 2026, "mandatory"),
        ("scope3", "gem", 2026, "voluntary"),
        ("intensity", "largecap", 2026, "mandatory"),
    ],
)
def test_requirements_follow_the_rules_file(key, tier, year, expected):
    assert requirement(hkex_rules(), key, tier, year) == expected


def test_rules_list_the_fifteen_categories():
    categories = hkex_rules().scope3_categories
    assert list(categories) == [str(n) for n in range(1, 16)]
    assert categories["5"] == "Waste generated in operations" and categories["15"] == "Investments"


def test_any_method_of_an_included_category_takes_the_ledgers_figure(tmp_path, result):
    path = write_screening(tmp_path, lambda c: c[1].update({"method": "spend_based"}))
    row = pack_of(result, **with_screening(path)).scope3[0]
    assert (row.method, row.tco2e) == ("spend_based", year_of(result, 2025).scope3_by_category["1"])


def year_of(result, year):
    return next(y for y in result.inventory.years if y.year == year)


def test_pack_figures_are_the_inventorys(result, inventory):
    pack = pack_of(result)
    year = next(y for y in inventory.years if y.year == 2025)
    values = {item.key: item.value for item in pack.items}
    assert values == {
        "scope1": year.scope1,
        "scope2_location": year.scope2_location,
        "scope2_market": year.scope2_market,
        "scope3": year.scope3,
        "intensity": year.intensity.tco2e_per_employee,
        "targets": None,  # Qfin sets no quantified target: explained in its targets.yaml
        "internal_carbon_price": None,
    }
    assert {item.key: item.status for item in pack.items if item.value is None} == {
        "targets": "explained",
        "internal_carbon_price": "explained",
    }
    assert [row.category for row in pack.scope3] == list(range(1, 16))
    included = {row.category: row.tco2e for row in pack.scope3 if row.status == "included"}
    assert included == {1: year.scope3_by_category["1"], 5: year.scope3_by_category["5"]}
    assert sum(included.values()) == pytest.approx(year.scope3, rel=1e-12)
    assert all(row.reason for row in pack.scope3 if row.status != "included")
    assert pack.strict_findings() == []


def test_a_year_without_inventory_is_refused(result):
    with pytest.raises(InputFileError) as error:
        pack_of(result, year=2019)
    assert "activity.csv" in str(error.value) and "2019" in str(error.value)
    assert "2021, 2022, 2023, 2024, 2025" in str(error.value)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda c: c.pop(7), "missing: 7"),
        (lambda c: c[4].pop("reason"), "categories.4"),
        (lambda c: c.update({16: {"status": "not_relevant", "reason": "x"}}), "1 to 15 (found '16')"),
        (lambda c: c[2].update({"status": "included"}), "categories.2"),  # no method
        (lambda c: c[1].update({"status": "maybe"}), "categories.1.status"),
        (lambda c: c[3].update({"estimate_t": 12.0}), "estimate_basis"),
        (
            lambda c: c[3].update({"estimate_t": float("nan"), "estimate_basis": "x"}),
            "categories.3.estimate_t",
        ),
        (lambda c: c.update({True: c.pop(1)}), "found True"),  # YAML `yes:` is not category 1
        (lambda c: c.update({"5": dict(c[5])}), "category 5 is given twice"),  # `5:` and `"5":`
    ],
)
def test_bad_screening_files_name_the_key(tmp_path, change, named):
    path = write_screening(tmp_path, change)
    with pytest.raises(InputFileError) as error:
        load_screening(path)
    assert str(path) in str(error.value) and named in str(error.value)


@pytest.mark.parametrize(
    ("change", "named", "why"),
    [
        # Included from the ledger, but the ledger has no business travel.
        (lambda c: c[6].update({"status": "included", "method": "ledger"}), "categories.6", "no emissions"),
        # Supplier data must reach the ledger too: the pack holds no figure the inventory lacks.
        (
            lambda c: c[6].update({"status": "included", "method": "supplier_specific"}),
            "categories.6",
            "method 'supplier_specific'",
        ),
        # The ledger has water supply (category 1); the screening may not leave it out.
        (lambda c: c[1].update({"status": "excluded", "method": None}), "categories.1", "10.91"),
    ],
)
def test_a_screening_that_contradicts_the_ledger_is_refused(tmp_path, result, change, named, why):
    def edit(categories):
        change(categories)
        for entry in categories.values():
            if entry.get("method") is None:
                entry.pop("method", None)

    path = write_screening(tmp_path, edit)
    with pytest.raises(InputFileError) as error:
        pack_of(result, **with_screening(path))
    assert named in str(error.value) and why in str(error.value)


def test_control_characters_in_yaml_text_are_refused_by_key(tmp_path):
    # A YAML escape ("\e[31m") would reach the terminal: refused wherever it is, named by key.
    path = tmp_path / "scope3.yaml"
    path.write_text(
        SCREENING.read_text(encoding="utf-8").replace("reason: No intermediate", 'reason: "\\e[2J" #')
    )
    with pytest.raises(InputFileError) as error:
        load_screening(path)
    assert "categories.10.reason" in str(error.value) and "control characters" in str(error.value)


def test_tables_print_brackets_as_text():
    from rich.console import Console

    from carbon.report import _table, show

    grid = _table("t", ["reason"], text=(0,))
    grid.add_row("[bold red]relevant[/] but no data")
    console = Console(record=True, width=80)
    show(grid, console)
    assert "[bold red]relevant[/] but no data" in console.export_text()
