"""The HKEX pack as sheets of the auditor workbook: LibreOffice recalculates every pack figure
from the Summary (every cached value zeroed first) to the pack's own values (1e-9, as the
workbook's other recalculation tests)."""

import dataclasses

import pytest
import yaml

from carbon.disclose import hkex_pack, load_organisation_files
from carbon.engine import InventoryRequest, run_inventory
from carbon.export.excel import export_xlsx
from carbon.export.pack_sheets import pack_sheets
from carbon.models.files import TargetsFile
from carbon.models.loading import load_model
from carbon.paths import inputs_root
from carbon.reconcile import reconcile_if_published
from tests.conftest import AS_OF
from tests.integration.test_excel import REL, recalculate, zero_cached_values
from tests.unit.test_disclose_pack import TARGETS


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pack-xlsx")
    qfin = inputs_root() / "qfin"
    result = run_inventory(
        InventoryRequest(qfin / "activity.csv", qfin / "organisation.csv", "qfin", as_of=AS_OF)
    )
    targets = folder / "targets.yaml"
    targets.write_text(yaml.safe_dump(TARGETS), encoding="utf-8")
    files = dataclasses.replace(
        load_organisation_files(qfin),
        targets=load_model(targets, TargetsFile, "HKEX targets"),
        targets_file=str(targets),
    )
    pack = hkex_pack(result, files, 2025, "main_board", "ledger")
    path = export_xlsx(result, folder / "pack.xlsx", reconcile_if_published(result), pack_sheets(pack))
    zeroed = folder / "zeroed" / "pack.xlsx"
    zeroed.parent.mkdir()
    zero_cached_values(path, zeroed)
    return pack, recalculate(zeroed, folder)


def column(sheet, letter: str) -> list:
    return [cell.value for cell in sheet[letter][1:]]


def test_kpi_figures_recalculate_to_the_pack(recalculated):
    pack, book = recalculated
    expected = []
    for kpi in pack.kpis:  # the sheet's rows: a KPI's own row, then its figures
        expected.append(None)
        expected += [f.value for f in kpi.figures]
    values = column(book["HKEX KPIs"], "C")
    compared = 0
    for got, want in zip(values, expected, strict=True):
        if want is not None:
            assert got == pytest.approx(want, rel=REL)
            compared += 1
    assert compared == sum(f.value is not None for kpi in pack.kpis for f in kpi.figures) > 10


def test_part_d_scope3_and_targets_recalculate_to_the_pack(recalculated):
    pack, book = recalculated
    part_d = dict(zip(column(book["HKEX Part D"], "A"), column(book["HKEX Part D"], "C"), strict=True))
    for item in pack.items:
        if item.value is not None:
            assert part_d[item.name] == pytest.approx(item.value, rel=REL), item.key
    scope3 = dict(zip(column(book["HKEX Scope 3"], "A"), column(book["HKEX Scope 3"], "D"), strict=True))
    assert scope3[5] == pytest.approx(pack.scope3[4].tco2e, rel=REL) and scope3[7] is None
    sheet, (target,) = book["HKEX Targets"], pack.targets
    assert sheet["D2"].value == pytest.approx(target.base_value, rel=REL)
    assert sheet["F2"].value == pytest.approx(target.value, rel=REL)
    assert sheet["G2"].value == pytest.approx(target.achieved_pct, rel=REL)
    shadow = next(row for row in sheet.iter_rows() if row[0].value == "scope1")
    assert shadow[3].value == pytest.approx(pack.carbon_price.shadow_cost, rel=REL)
