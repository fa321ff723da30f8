"""The restatement as a sheet of the auditor workbook: LibreOffice recalculates the base-year
figures, each trigger's percentages and verdicts and the restated series from the Summary and
the differences (every cached value zeroed first), to the restatement's own values (1e-9)."""

import shutil
from datetime import date

import pytest
import yaml

from carbon.engine import InventoryRequest, run_inventory
from carbon.export.excel import export_xlsx
from carbon.export.restate_sheet import restatement_sheet
from carbon.paths import inputs_root
from carbon.restate import load_policy, restate
from tests.conftest import AS_OF
from tests.integration.test_excel import REL, recalculate, zero_cached_values


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory):
    org = tmp_path_factory.mktemp("restate-xlsx")
    for name in ("activity.csv", "organisation.csv"):
        shutil.copy(inputs_root() / "qfin" / name, org)
    policy = {
        "base_year": 2021,
        "threshold": {"percent": 5},
        "cumulative": True,
        "events": [
            {
                "kind": "acquisition",
                "name": "Big Co",
                "date": date(2023, 7, 1),
                "entity": {"emissions": {"scope1": 80.0}},
            },
            {
                "kind": "error_correction",
                "name": "Meter",
                "date": date(2024, 2, 1),
                "year": 2022,
                "difference": {"scope2_location": -12.5},
            },
            {
                "kind": "method_change",
                "name": "Grid 2023",
                "date": date(2026, 1, 31),
                "as_of_before": date(2025, 5, 31),
            },
        ],
    }
    (org / "policy.yaml").write_text(yaml.safe_dump(policy), encoding="utf-8")
    request = InventoryRequest(org / "activity.csv", org / "organisation.csv", "qfin", as_of=AS_OF)
    result = run_inventory(request)
    outcome = restate(request, load_policy(org / "policy.yaml"), org / "policy.yaml", result)
    path = export_xlsx(result, org / "restate.xlsx", None, restatement_sheet(outcome))
    zeroed = org / "zeroed" / "restate.xlsx"
    zeroed.parent.mkdir()
    zero_cached_values(path, zeroed)
    return outcome, recalculate(zeroed, org)["Restatement"]


def test_triggers_recalculate_to_the_restatement(recalculated):
    outcome, sheet = recalculated
    assert sheet["B4"].value == pytest.approx(outcome.base_year_value, rel=REL)
    for r, trigger in enumerate(outcome.triggers, start=8):
        row = [cell.value for cell in sheet[r]]
        assert row[0] == trigger.name
        assert row[8] == pytest.approx(trigger.base_year_pct, rel=REL, abs=1e-12)
        assert row[9] is trigger.significant and row[11] is trigger.cumulative_significant
        assert row[10] == pytest.approx(trigger.cumulative_pct, rel=REL, abs=1e-12)
    assert outcome.triggers[0].significant  # 80 t is 7.7% of the 2021 base


def test_the_restated_series_recalculates(recalculated):
    outcome, sheet = recalculated
    start = next(r for r in range(1, 40) if sheet.cell(r, 1).value == "Year") + 1
    for r, year in enumerate(outcome.series, start=start):
        assert sheet.cell(r, 1).value == year.year
        assert sheet.cell(r, 2).value == pytest.approx(year.computed, rel=REL)
        assert sheet.cell(r, 3).value == pytest.approx(year.restated, rel=REL)
    assert outcome.series[1].restated != outcome.series[1].computed  # the correction and the acquisition
