"""The `carbon` command through typer's runner, and once as a real process."""

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from carbon.cli import app
from tests.conftest import LEDGER_HEADER, write_csv

runner = CliRunner()


def invoke(*args):
    # A wide terminal so table headers are not wrapped across lines.
    return runner.invoke(app, list(args), env={"COLUMNS": "200"})


def test_help_teaches_with_examples():
    top = invoke("--help")
    assert top.exit_code == 0 and "inventory" in top.output and "Example" in top.output
    sub = invoke("inventory", "--help")
    assert sub.exit_code == 0
    for needle in ("--org", "--ledger", "--factors", "--gwp", "--as-of", "--format", "--out", "Examples"):
        assert needle in sub.output


def test_default_run_prints_table_and_writes_outputs(tmp_path):
    result = invoke("inventory", "--out", str(tmp_path / "out"), "--as-of", "2026-06-30")
    assert result.exit_code == 0, result.output
    for needle in ("2021", "2025", "Scope 1", "Method notes", "china-corporate@2026.1"):
        assert needle in result.output
    assert (tmp_path / "out" / "emission_lines.csv").is_file()
    written = json.loads((tmp_path / "out" / "inventory.json").read_text())
    assert [y["year"] for y in written["years"]] == [2021, 2022, 2023, 2024, 2025]


def test_json_format_is_only_json(tmp_path):
    result = invoke("inventory", "--format", "json", "--out", str(tmp_path), "--as-of", "2026-06-30")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["gwp"] == "AR6" and document["as_of"] == "2026-06-30"


def test_csv_format_one_row_per_year(tmp_path):
    result = invoke("inventory", "--format", "csv", "--out", str(tmp_path), "--gwp", "AR5")
    lines = result.stdout.strip().splitlines()
    assert result.exit_code == 0 and len(lines) == 6 and "intensity.tco2e_per_employee" in lines[0]


def test_bad_ledger_exits_2_without_traceback_and_writes_nothing(tmp_path):
    ledger = write_csv(
        tmp_path / "a.csv",
        LEDGER_HEADER,
        [
            ["w1", 2024, "HQ", "CN-SH", "water", 500, "kWh", "", "", "bill"],
            ["g1", 2024, "HQ", "CN-SH", "gasoline", -20, "L", "", "", "card"],
        ],
    )
    organisation = write_csv(
        tmp_path / "o.csv",
        ["year", "metric", "value", "unit", "source"],
        [[2024, "employees", 5, "person", "x"]],
    )
    out = tmp_path / "out"
    assert (
        invoke("inventory", "--out", str(out), "--as-of", "2026-06-30").exit_code == 0
    )  # a previous, good run
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    result = invoke(
        "inventory", "--ledger", str(ledger), "--organisation", str(organisation), "--out", str(out)
    )
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "row 2, column 'unit': found 'kWh'" in result.output
    assert "row 3, column 'quantity': found '-20'" in result.output
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert len(list((out / "runs").iterdir())) == 1


def test_a_foreign_file_under_an_output_name_is_refused_not_replaced(tmp_path):
    out = tmp_path / "out"
    (out / "runs" / "2023-q4").mkdir(parents=True)
    (out / "runs" / "2023-q4" / "results.txt").write_text("precious")
    assert invoke("inventory", "--out", str(out), "--as-of", "2026-06-30").exit_code == 0
    assert (out / "runs" / "2023-q4" / "results.txt").read_text() == "precious"  # not ours: never removed
    (out / "latest").unlink()
    (out / "inventory.json").unlink()
    (out / "inventory.json").write_text("{}")
    refused = invoke("inventory", "--out", str(out), "--as-of", "2026-06-30")
    assert refused.exit_code == 2 and "holds inventory.json" in refused.output
    assert (out / "inventory.json").read_text() == "{}"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--ledger", "x.csv"], "--ledger and --organisation go together"),
        (["--org", "/no/such/folder"], "not a folder"),
        (["--as-of", "31/03/2025"], "YYYY-MM-DD"),
        (["--factors", "nope@1"], "factor set 'nope@1' not found"),
    ],
)
def test_bad_options_exit_2(args, message, tmp_path):
    result = invoke("inventory", "--out", str(tmp_path), *args)
    assert result.exit_code == 2 and message in result.output


def test_tampered_factor_set_exits_2(tmp_path):
    import shutil

    from carbon.factors import resolve_factor_set

    copy = tmp_path / "set"
    shutil.copytree(resolve_factor_set("china-corporate"), copy)
    (copy / "gwp.csv").write_text((copy / "gwp.csv").read_text().replace("AR6,N2O,273", "AR6,N2O,274"))
    result = invoke("inventory", "--factors", str(copy), "--out", str(tmp_path / "out"))
    assert result.exit_code == 2 and "gwp.csv" in result.output and "sha256" in result.output
    assert not (tmp_path / "out").exists()


def test_real_process_end_to_end(tmp_path):
    """The installed entry point as a user runs it: a separate process, JSON on stdout."""
    completed = subprocess.run(
        [sys.executable, "-m", "carbon", "inventory", "--format", "json", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert completed.returncode == 0, completed.stderr
    document = json.loads(completed.stdout)
    assert document["organisation"] == "qfin" and len(document["years"]) == 5
    assert (tmp_path / "emission_lines.csv").is_file()


def test_outputs_have_ordinary_permissions(tmp_path):
    import os
    import stat

    invoke("inventory", "--out", str(tmp_path))
    mask = os.umask(0)
    os.umask(mask)
    for name in ("emission_lines.csv", "inventory.json"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o666 & ~mask
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def _ledger_row_of(record_id: str) -> int:
    """The row number (header = 1) of a record in the bundled Qfin ledger."""
    import csv

    from carbon.paths import inputs_root

    with open(inputs_root() / "qfin" / "activity.csv", encoding="utf-8") as stream:
        rows = enumerate(csv.DictReader(stream), start=2)
        return next(n for n, row in rows if row["record_id"] == record_id)


def test_trace_prints_a_records_lines_with_their_provenance(tmp_path):
    out = tmp_path / "out"
    assert invoke("inventory", "--out", str(out), "--as-of", "2026-06-30", "--format", "json").exit_code == 0
    result = invoke("trace", "qfin-2024-electricity", "--out", str(out), "--format", "json")
    assert result.exit_code == 0, result.output
    lines = {line["method"]: line for line in json.loads(result.output)}
    assert set(lines) == {"location", "market"}
    location = lines["location"]
    assert location["ledger_row"] == _ledger_row_of("qfin-2024-electricity")
    assert location["factor_id"] == "mee.elec.cn.2023.location" and location["factor_source_id"] == "S3"
    assert location["tco2e"] == pytest.approx(1559.45 * 0.5306, rel=1e-12)  # MWh x t/MWh
    table = invoke("trace", "qfin-2024-electricity", "--out", str(out))
    assert table.exit_code == 0 and "line 2 of 2" in table.output and "factor_source" in table.output


def test_trace_reads_the_normalised_parquet_lines_as_the_csv(tmp_path):
    from carbon.paths import inputs_root
    from tests.integration.test_parquet import to_parquet

    qfin = inputs_root() / "qfin"
    ledger = to_parquet(qfin / "activity.csv", tmp_path / "activity.parquet")
    csv_out, parquet_out = tmp_path / "csv", tmp_path / "parquet"
    common = ("--organisation", str(qfin / "organisation.csv"), "--as-of", "2026-06-30", "--format", "json")
    for source, out in ((qfin / "activity.csv", csv_out), (ledger, parquet_out)):
        assert invoke("inventory", "--ledger", str(source), "--out", str(out), *common).exit_code == 0
    assert (parquet_out / "line_keys.parquet").is_file()
    for record in ("qfin-2024-gasoline", "qfin-2025-waste-hazardous"):
        from_csv, from_parquet = (
            json.loads(invoke("trace", record, "--out", str(out), "--format", "json").output)
            for out in (csv_out, parquet_out)
        )
        assert len(from_parquet) == len(from_csv) > 0
        for a, b in zip(from_parquet, from_csv, strict=True):
            assert a.pop("ledger_file").endswith(".parquet") and b.pop("ledger_file").endswith(".csv")
            assert isinstance(a.pop("line_key"), int)
            assert a == b


def test_trace_of_an_unknown_record_or_folder_exits_2(tmp_path):
    out = tmp_path / "out"
    assert invoke("inventory", "--out", str(out), "--as-of", "2026-06-30", "--format", "json").exit_code == 0
    unknown = invoke("trace", "qfin-2024-electricty", "--out", str(out))
    assert unknown.exit_code == 2 and "qfin-2024-electricty" in unknown.output
    assert "Traceback" not in unknown.output
    nowhere = invoke("trace", "qfin-2024-electricity", "--out", str(tmp_path / "none"))
    assert nowhere.exit_code == 2 and "carbon inventory" in nowhere.output


def test_trace_reads_a_csv_of_lines_whose_numbers_change_type_after_the_first_block(tmp_path):
    # 1,500 electricity rows (whole-number quantities, GWP 1, share 1) fill pyarrow's first
    # 1 MB block of emission_lines.csv; the gasoline lines after it have decimal GWPs. A
    # formula-like record id is written with an apostrophe, and found by the id as given.
    rows = [[f"e{i}", 2024, "s", "CN", "electricity", 1200, "MWh", "", "", "x"] for i in range(1500)]
    rows += [[f"g{i}", 2024, "s", "CN", "gasoline", 12.5, "L", "", "", "x"] for i in range(10)]
    rows += [["=A1", 2024, "s", "CN", "electricity", 5, "MWh", "", "", "x"]]
    org = tmp_path / "org"
    org.mkdir()
    write_csv(org / "activity.csv", LEDGER_HEADER, rows)
    metrics = [[2024, "employees", 10, "person", "x"]]
    write_csv(org / "organisation.csv", ["year", "metric", "value", "unit", "source"], metrics)
    out = str(tmp_path / "out")
    ran = invoke("inventory", "--org", str(org), "--out", out, "--as-of", "2026-06-30", "--format", "json")
    assert ran.exit_code == 0, ran.output
    gasoline = invoke("trace", "g3", "--out", out, "--format", "json")
    assert gasoline.exit_code == 0, gasoline.output
    assert {line["gas"] for line in json.loads(gasoline.output)} == {"CO2", "CH4_fossil", "N2O"}
    formula = invoke("trace", "=A1", "--out", out, "--format", "json")
    assert formula.exit_code == 0 and {line["record_id"] for line in json.loads(formula.output)} == {"=A1"}


def test_reconcile_init_writes_a_template_that_must_be_filled_in(tmp_path):
    runner = CliRunner()
    org = tmp_path / "acme"
    org.mkdir()
    made = runner.invoke(app, ["reconcile", "init", "--org", str(org), "--year", "2024", "--year", "2023"])
    assert made.exit_code == 0, made.output
    template = org / "published" / "esg-report.yaml"
    text = template.read_text(encoding="utf-8")
    assert "kpi: ghg.scope1" in text and "period: FY2023/24" in text  # the comment teaches fiscal years
    before = template.read_bytes()
    again = runner.invoke(app, ["reconcile", "init", "--org", str(org), "--year", "2024"])
    assert again.exit_code == 2 and "already exists" in again.output and template.read_bytes() == before
    # the untouched template is refused, entry by entry, until each figure is filled in or deleted
    checked = runner.invoke(app, ["reconcile", "--org", str(org)])
    assert (
        checked.exit_code == 2 and "figures[1].printed" in checked.output and "fill it in" in checked.output
    )
    # filled in (printed tables alone, no ledger): reconciled
    lines = [
        line.replace("printed: ''", "printed: '10'") if "printed" in line else line
        for line in text.splitlines()
    ]
    template.write_text("\n".join(lines) + "\n", encoding="utf-8")
    filled = runner.invoke(app, ["reconcile", "--org", str(org), "--format", "json"])
    assert filled.exit_code == 0, filled.output
    assert json.loads(filled.stdout)["checked"] == 30


def test_reconcile_init_refuses_bad_options(tmp_path):
    runner = CliRunner()
    assert (
        runner.invoke(app, ["reconcile", "init", "--org", str(tmp_path / "none"), "--year", "2024"]).exit_code
        == 2
    )
    bad_year = runner.invoke(app, ["reconcile", "init", "--org", str(tmp_path), "--year", "1800"])
    assert bad_year.exit_code == 2 and "1990" in bad_year.output
    bad_id = runner.invoke(
        app, ["reconcile", "init", "--org", str(tmp_path), "--year", "2024", "--document", "../x"]
    )
    assert bad_id.exit_code == 2 and not (tmp_path.parent / "x.yaml").exists()
