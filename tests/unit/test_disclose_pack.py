"""The HKEX pack's environmental KPIs, targets and internal carbon price, and the pack in every
format: figures are the inventory's own, hand-checkable, and read the same everywhere."""

import dataclasses
import json
import re
from pathlib import Path

import pytest
import yaml

from carbon.disclose import hkex_pack, load_organisation_files
from carbon.engine import InventoryRequest, run_inventory
from carbon.errors import InputFileError
from carbon.export.pack import number, pack_html, pack_markdown
from carbon.models.files import TargetsFile
from carbon.models.loading import load_model
from carbon.outputs import to_json
from carbon.report import hkex_frame
from tests.conftest import AS_OF

QFIN = Path(__file__).resolve().parents[2] / "inputs" / "qfin"

# A hand-checkable target and carbon price on the Qfin inventory: Scope 1 + 2 (location) from
# 2021 to 2025, and RMB 100 per tCO2e on Scope 1.
TARGETS = {
    "statements": {"A2.5": {"status": "not_material", "text": "No finished products."}},
    "targets": [
        {
            "name": "Operational emissions",
            "metric": {"sum_of": ["scope1", "scope2_location"]},
            "scope": "Scope 1 and 2, location-based",
            "base_year": 2021,
            "target_year": 2030,
            "reduction_pct": 50,
            "milestones": [{"year": 2025, "reduction_pct": 20}],
            "basis": "gross",
            "carbon_credits": "none planned",
            "source": "test fixture",
        }
    ],
    "internal_carbon_price": {
        "price": 100,
        "currency": "RMB",
        "applies_to": ["scope1"],
        "use": "investment appraisal",
        "source": "test fixture",
    },
}


@pytest.fixture(scope="module")
def result():
    request = InventoryRequest(QFIN / "activity.csv", QFIN / "organisation.csv", "qfin", as_of=AS_OF)
    return run_inventory(request)


def targets_file(tmp_path: Path, data: dict) -> dict:
    path = tmp_path / "targets.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return {"targets": load_model(path, TargetsFile, "HKEX targets"), "targets_file": str(path)}


def pack_of(result, year=2025, **files):
    organisation = dataclasses.replace(load_organisation_files(QFIN), **files)
    return hkex_pack(result, organisation, year, "main_board", "activity.csv")


def year_of(result, year):
    return next(y for y in result.inventory.years if y.year == year)


def figures(pack, key):
    return {f.label: f.value for f in next(k for k in pack.kpis if k.key == key).figures}


def test_kpi_figures_are_the_inventorys(result):
    pack, year = pack_of(result), year_of(result, 2025)
    assert figures(pack, "A1.2") == {
        "Scope 1": year.scope1,
        "Scope 2 (location-based)": year.scope2_location,
        "Scope 1 and 2 (location-based)": year.scope1 + year.scope2_location,
        "Scope 1 and 2 (location-based) per employee": (year.scope1 + year.scope2_location) / year.employees,
    }
    assert figures(pack, "A1.3")["Hazardous waste"] == year.waste_t["hazardous"]
    assert figures(pack, "A2.2")["Water per employee"] == year.water_m3 / year.employees
    # Energy in '000 kWh (= MWh): the types the year uses, then the total and its intensity.
    assert figures(pack, "A2.1") == {
        "Energy: electricity": year.energy_mwh["electricity"],
        "Energy: gasoline": year.energy_mwh["gasoline"],
        "Energy: total": year.energy_mwh["total"],
        "Energy: total per employee": year.energy_mwh["total"] / year.employees,
    }
    statuses = {k.key: k.status for k in pack.kpis}
    assert statuses["A1.1"] == "not_computed" and statuses["A2.5"] == "not_material"
    assert statuses["A1.5"] == "disclosed" and pack.strict_findings() == []


def test_printed_figures_and_verdicts_beside_the_engines(result):
    pack = pack_of(result)
    kpi = {f.label: f.printed for k in pack.kpis for f in k.figures}
    # Waste is keyed from the report, so it matches; Scope 1 uses other factors than Qfin's.
    assert kpi["Hazardous waste"].printed == "0.05 t" and kpi["Hazardous waste"].verdict == "consistent"
    assert kpi["Scope 1"].printed == "14.89 tCO2e" and kpi["Scope 1"].verdict == "inconsistent"
    assert kpi["Scope 1"].engine == "14.3841"  # two digits beyond the printed precision
    items = {i.key: i.printed for i in pack.items}
    assert items["scope3"].printed == "1,877.75 tCO2e" and items["scope3"].verdict == "inconsistent"
    assert items["scope2_market"] is None  # the report prints no market-based Scope 2


def test_target_progress_and_shadow_cost_by_hand(tmp_path, result):
    pack = pack_of(result, **targets_file(tmp_path, TARGETS))
    base, now = year_of(result, 2021), year_of(result, 2025)
    (target,) = pack.targets
    assert target.base_value == base.scope1 + base.scope2_location
    assert target.value == now.scope1 + now.scope2_location
    expected = 100 * (target.base_value - target.value) / target.base_value
    assert target.achieved_pct == pytest.approx(expected, rel=1e-12)
    assert pack.carbon_price.tco2e == now.scope1
    assert pack.carbon_price.shadow_cost == pytest.approx(now.scope1 * 100, rel=1e-12)
    items = {i.key: i for i in pack.items}
    assert items["internal_carbon_price"].value == 100 and items["targets"].status == "disclosed"
    # Statements missing from this file are blank, and --strict says which.
    assert "KPI A1.5 Emission targets set and steps taken to achieve them: blank" in pack.strict_findings()


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda d: d["statements"].update({"A1.7": {"text": "x"}}), "statements.A1.7"),
        (lambda d: d.update({"explanations": {"target": "x"}}), "did you mean 'targets'"),
        (lambda d: d["targets"][0].update({"base_year": 2019}), "targets[1].base_year"),
        (lambda d: d["targets"][0]["metric"].update({"sum_of": ["scope_1"]}), "did you mean 'scope1'"),
        (lambda d: d["targets"][0].update({"target_year": 2020}), "target_year after base_year"),
        (lambda d: d["targets"][0]["milestones"][0].update({"year": 2031}), "milestone years"),
        (lambda d: d["targets"][0].update({"reduction_pct": 120}), "targets[1].reduction_pct"),
        (lambda d: d["targets"][0].update({"basis": "neutral"}), "targets[1].basis"),
        (lambda d: d["internal_carbon_price"].update({"currency": "rmb"}), "internal_carbon_price.currency"),
        (lambda d: d["internal_carbon_price"].update({"price": -1}), "internal_carbon_price.price"),
    ],
)
def test_bad_targets_files_name_the_key(tmp_path, result, change, named):
    data = json.loads(json.dumps(TARGETS))
    change(data)
    with pytest.raises(InputFileError) as error:
        pack_of(result, **targets_file(tmp_path, data))
    assert "targets.yaml" in str(error.value) and named in str(error.value)


def displayed(pack) -> list[str]:
    """Every figure of the pack as the Markdown and HTML write it."""
    values = [f.value for k in pack.kpis for f in k.figures] + [i.value for i in pack.items]
    values += [r.tco2e for r in pack.scope3] + [t.value for t in pack.targets]
    return [number(v) for v in values if v is not None]


def test_every_format_shows_the_packs_figures(tmp_path, result):
    pack = pack_of(result, **targets_file(tmp_path, TARGETS))
    markdown, page = pack_markdown(pack), pack_html(pack)
    for shown in displayed(pack):
        assert f"| {shown} |" in markdown, shown
        assert f'<td class="n">{shown}</td>' in page, shown
    # The CSV and JSON hold the same numbers, unrounded.
    frame = hkex_frame(pack)
    document = json.loads(to_json(pack))
    assert frame.loc[frame["key"] == "scope1", "value"].item() == document["items"][0]["value"]
    assert document["items"][0]["value"] == year_of(result, 2025).scope1


def test_markdown_and_html_are_deterministic_and_offline(result):
    first, second = pack_of(result), pack_of(result)
    assert pack_markdown(first) == pack_markdown(second) and pack_html(first) == pack_html(second)
    page = pack_html(first)
    assert "<script" not in page and not re.search(r"(src|href)=\"?(https?:)?//", page)
    assert page.count("<svg") == 2


def test_contractual_instruments_of_the_year_are_listed():
    from carbon.disclose import instrument_note, instruments_used

    sites = QFIN.parent / "illustrative-sites"
    run = run_inventory(
        InventoryRequest(sites / "activity.csv", sites / "organisation.csv", "s", as_of=AS_OF)
    )
    (certificate,) = instruments_used(run.rows, 2024)
    assert (
        certificate.activity == "green_certificate" and certificate.instrument == "GEC-ILLUSTRATIVE-2024-0001"
    )
    assert (certificate.quantity, certificate.unit, certificate.vintage) == (400.0, "MWh", "2024")
    assert instrument_note(run.inventory.notes, 2024).startswith(
        "Instruments, 2024: 400.00 MWh of green_certificate"
    )
    assert instruments_used(run.rows, 2023) == [] and "no contractual instruments" in instrument_note(
        [], 2023
    )


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda d: d["internal_carbon_price"].update({"price": 1e307}), "internal_carbon_price.price"),
        (
            lambda d: d["internal_carbon_price"].update({"applies_to": ["revenue_rmb_million"]}),
            "a tCO2e figure",
        ),
        (
            lambda d: d["targets"][0]["metric"].update({"sum_of": ["energy_mwh.electricity"]}),
            "a tCO2e figure",
        ),
        (lambda d: d["targets"][0]["metric"].update({"sum_of": ["scope1", "scope1"]}), "given twice"),
        (lambda d: d["statements"]["A2.5"].update({"text": "a\rb"}), "control characters"),
    ],
)
def test_hostile_targets_files_exit_2_naming_the_key(tmp_path, result, change, named):
    data = json.loads(json.dumps(TARGETS))
    change(data)
    with pytest.raises(InputFileError) as error:
        pack_of(result, **targets_file(tmp_path, data))
    assert "targets.yaml" in str(error.value) and named in str(error.value), str(error.value)


def test_a_target_on_a_category_some_years_lack(tmp_path, result):
    data = json.loads(json.dumps(TARGETS))
    data["targets"][0]["metric"]["sum_of"] = ["scope3_by_category.6"]  # no business travel in Qfin
    (target,) = pack_of(result, **targets_file(tmp_path, data)).targets
    assert (target.base_value, target.value, target.achieved_pct) == (0.0, 0.0, None)
