"""`carbon restate` through typer's runner: the bundled Qfin policy, and bad policies (exit 2
naming the file and key)."""

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from carbon.cli import app

QFIN = Path(__file__).resolve().parents[2] / "inputs" / "qfin"
runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, list(args), env={"COLUMNS": "200"})


def test_qfin_policy_restates_nothing_below_the_threshold():
    done = invoke("restate", "--as-of", "2026-06-30")
    assert done.exit_code == 0, done.output
    assert "Verdict: no base-year restatement: below the 5% threshold together" in done.output
    outcome = json.loads(invoke("restate", "--as-of", "2026-06-30", "--format", "json").output)
    (trigger,) = outcome["triggers"]
    by_year = {d["year"]: d["tco2e"] for d in trigger["differences"]}
    # The 2023 grid factor (0.5306, published January 2026) lowers 2023 on; 2021 is unchanged.
    assert by_year[2021] == 0.0 and by_year[2023] < 0 and outcome["restate_base_year"] is False
    assert [y["year"] for y in outcome["series"]] == [2021, 2022, 2023, 2024, 2025]


def test_bad_policies_exit_2_naming_the_key(tmp_path):
    org = tmp_path / "org"
    org.mkdir()
    for name in ("activity.csv", "organisation.csv"):
        shutil.copy(QFIN / name, org)
    absent = invoke("restate", "--org", str(org), "--as-of", "2026-06-30")
    assert absent.exit_code == 2 and "policy.yaml" in absent.output
    text = (QFIN / "policy.yaml").read_text().replace("base_year: 2021", "base_year: 2019")
    (org / "policy.yaml").write_text(text)
    early = invoke("restate", "--org", str(org), "--as-of", "2026-06-30")
    assert early.exit_code == 2 and "key 'base_year'" in early.output and "2021, 2022" in early.output
    (org / "policy.yaml").write_text((QFIN / "policy.yaml").read_text().replace("percent: 5", "percent: 120"))
    high = invoke("restate", "--org", str(org), "--as-of", "2026-06-30")
    assert high.exit_code == 2 and "threshold.percent" in high.output and "Traceback" not in high.output


def test_xlsx_restatement_is_a_sheet_of_the_auditor_workbook(tmp_path):
    import openpyxl

    path = tmp_path / "restate.xlsx"
    done = invoke("restate", "--as-of", "2026-06-30", "--format", "xlsx", "--out", str(path))
    assert done.exit_code == 0, done.output
    sheet = openpyxl.load_workbook(path)["Restatement"]
    assert sheet["B4"].value == "=Summary!$B$2+Summary!$C$2"  # 2021 Scope 1 + Scope 2 (location)
    no_out = invoke("restate", "--as-of", "2026-06-30", "--format", "xlsx")
    assert no_out.exit_code == 2 and "--out FILE.xlsx" in no_out.output
    stray = invoke("restate", "--as-of", "2026-06-30", "--out", str(tmp_path / "x.xlsx"))
    assert stray.exit_code == 2 and "--out takes --format xlsx" in stray.output
