"""What a new user expects of the command line: -h, --format csv wherever it is offered, tables
that never cut a figure, 'did you mean', a vocabulary listing, help that points at the guide,
exit 3 (one line) for a bug, and CSV outputs that a spreadsheet cannot run as formulas."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import socket
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from carbon import cli
from carbon.cli import app
from tests.conftest import LEDGER_HEADER, write_csv

runner = CliRunner()
AS_OF = ["--as-of", "2026-06-30"]


def invoke(*args, columns: int = 200):
    return runner.invoke(app, list(args), env={"COLUMNS": str(columns)})


COMMANDS = [
    ["inventory"],
    ["reconcile"],
    ["export"],
    ["export", "xlsx"],
    ["scenario"],
    ["scenario", "run"],
    ["scenario", "pathway"],
    ["bridge"],
    ["factors"],
    ["factors", "list"],
    ["factors", "show"],
    ["factors", "diff"],
    ["factors", "impact"],
    ["vocab"],
    ["guide"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_dash_h_is_help_and_help_teaches_by_example(command):
    result = invoke(*command, "-h")
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output and "Example" in result.output
    assert "DESIGN.md" not in result.output and "FACTORS.md" not in result.output


def test_top_help_points_at_the_guide_and_the_exit_codes():
    words = " ".join(invoke("-h").output.split())
    assert "carbon guide" in words and "3 a bug" in words
    guide = invoke("guide")
    assert guide.exit_code == 0 and "## Quickstart" in guide.output


def parsed_csv(text: str) -> list[dict]:
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows, text
    return rows


@pytest.mark.parametrize(
    "args",
    [
        ["inventory", *AS_OF],
        ["reconcile", *AS_OF],
        ["scenario", "run", "--set", "electricity.green_share=0.3", *AS_OF],
        ["scenario", "pathway", "inputs/qfin/scenarios/pathway-2030.yaml", "--to", "2028", *AS_OF],
        ["bridge", "2024", "2025", *AS_OF],
        ["factors", "list"],
        ["factors", "list", "--ids"],
        ["factors", "show", "mee.elec.cn-sh.2023.location"],
        ["factors", "diff", "china-corporate@2025.1", "china-corporate@2026.1"],
        ["factors", "impact", "china-corporate@2026.1", *AS_OF],
        ["vocab", "attributes"],
        ["vocab", "regions"],
    ],
    ids=lambda args: " ".join(args[:2]),
)
def test_every_command_that_offers_csv_writes_csv(args, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path) if args[0] == "inventory" else None
    from carbon.paths import bundled_root

    args = [str(bundled_root() / a) if a.endswith(".yaml") else a for a in args]
    result = invoke(*args, "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = parsed_csv(result.stdout)
    assert len(rows[0]) >= 2


def test_tables_never_cut_a_figure_in_80_columns(make_org, tmp_path):
    """Seven-digit totals (a large company) in an 80-column terminal: every figure whole."""
    ledger, organisation = make_org(
        [
            ["e1", 2024, "HQ", "CN", "electricity", 3_500_000, "MWh", "", "", "meter"],
            ["g1", 2024, "HQ", "CN", "gasoline", 9_000_000, "L", "", "", "card"],
        ],
        employees={2024: 12345},
    )
    args = [
        "inventory",
        "--ledger",
        str(ledger),
        "--organisation",
        str(organisation),
        "--out",
        str(tmp_path / "out"),
        *AS_OF,
    ]
    table = invoke(*args, columns=80)
    assert table.exit_code == 0, table.output
    year = json.loads(invoke(*args, "--format", "json").stdout)["years"][0]
    for value in (
        year["scope1"],
        year["scope2_location"],
        year["scope2_market"],
        year["total_location"],
        year["total_market"],
    ):
        assert f"{value:,.2f}" in table.output
    assert "…" not in table.output
    tables = [line for line in table.output.splitlines() if not line.startswith(("  - ", "Published"))]
    assert max(len(line) for line in tables) <= 80


@pytest.mark.parametrize(
    "topic, needle",
    [
        ("activities", "electricity"),
        ("units", "kWh"),
        ("metrics", "employees"),
        ("regions", "CN-GRID-EAST"),
        ("attributes", "paper_board"),
        ("levers", "electricity.green_share"),
        ("factors", "mee.elec.cn-sh.2023.location"),
    ],
)
def test_vocab_lists_what_inputs_may_say(topic, needle):
    result = invoke("vocab", topic, "--format", "json")
    assert result.exit_code == 0, result.output
    assert needle in json.dumps(json.loads(result.stdout)["rows"])


def test_vocab_attributes_lists_only_combinations_with_a_factor():
    rows = json.loads(invoke("vocab", "attributes", "--format", "json").stdout)["rows"]
    pairs = {(r["waste_type"], r["route"]) for r in rows}
    assert ("batteries", "recycling") in pairs and ("batteries", "composting") not in pairs


def test_as_of_chooses_and_names_the_release_of_that_date(tmp_path):
    early = json.loads(
        invoke("inventory", "--as-of", "2025-03-31", "--format", "json", "--out", str(tmp_path / "a")).stdout
    )
    late = json.loads(invoke("inventory", *AS_OF, "--format", "json", "--out", str(tmp_path / "b")).stdout)
    assert early["factor_sets"] == [{"name": "china-corporate", "version": "2025.1"}]
    assert late["factor_sets"] == [{"name": "china-corporate", "version": "2026.1"}]
    before_any = json.loads(
        invoke("inventory", "--as-of", "2024-12-31", "--format", "json", "--out", str(tmp_path / "c")).stdout
    )
    assert any("released on 2025-01-15, after the as-of date" in note for note in before_any["notes"])


def test_csv_outputs_neutralise_formula_prefixes(make_org, tmp_path):
    """OWASP CSV injection: text starting with = + - @ tab or CR is written with a leading apostrophe."""
    ledger, organisation = make_org(
        [
            [
                '=HYPERLINK("http://x")',
                2024,
                "@SUM(A1)",
                "CN",
                "electricity",
                1,
                "MWh",
                "",
                "",
                "+cmd|' /C calc'!A0",
            ],
            ["-2", 2024, "+HQ", "CN", "electricity", 1, "MWh", "", "", "ok"],
        ],
        employees={2024: 1},
    )
    out = tmp_path / "out"
    result = invoke(
        "inventory", "--ledger", str(ledger), "--organisation", str(organisation), "--out", str(out), *AS_OF
    )
    assert result.exit_code == 0, result.output
    rows = parsed_csv((out / "emission_lines.csv").read_text())
    risky = re.compile(r"^[=+\-@\t\r]")
    for row in rows:
        for column in ("record_id", "site", "source"):
            assert not risky.match(row[column]), (column, row[column])
    assert {r["record_id"] for r in rows} == {'\'=HYPERLINK("http://x")', "'-2"}
    assert {r["site"] for r in rows} == {"'@SUM(A1)", "'+HQ"}


def test_a_bug_is_exit_3_in_one_line_and_the_traceback_only_with_debug(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(cli.catalog, "list_sets", broken)
    quiet = invoke("factors", "list")
    assert quiet.exit_code == 3
    assert quiet.output.count("\n") == 1 and "internal error: RuntimeError: simulated bug" in quiet.output
    assert "Traceback" not in quiet.output
    loud = invoke("--debug", "factors", "list")
    assert loud.exit_code == 3 and "Traceback" in loud.output


def test_unreachable_scheduler_is_a_clear_error(tmp_path):
    pytest.importorskip("distributed")
    import pyarrow as pa
    import pyarrow.parquet as pq

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    pq.write_table(
        pa.table(
            {
                "record_id": ["e1"],
                "year": [2024],
                "region": ["CN"],
                "activity": ["electricity"],
                "quantity": [1.0],
                "unit": ["MWh"],
                "source": ["x"],
            }
        ),
        tmp_path / "l.parquet",
    )
    organisation = write_csv(
        tmp_path / "o.csv",
        ["year", "metric", "value", "unit", "source"],
        [[2024, "employees", 1, "person", "x"]],
    )
    monkey_timeout = 2
    cli_module = __import__("carbon.distributed", fromlist=["CONNECT_TIMEOUT"])
    original, cli_module.CONNECT_TIMEOUT = cli_module.CONNECT_TIMEOUT, monkey_timeout
    try:
        result = invoke(
            "inventory",
            "--ledger",
            str(tmp_path / "l.parquet"),
            "--organisation",
            str(organisation),
            "--engine",
            "dask",
            "--scheduler",
            f"tcp://127.0.0.1:{port}",
            "--out",
            str(tmp_path / "out"),
            *AS_OF,
        )
    finally:
        cli_module.CONNECT_TIMEOUT = original
    assert result.exit_code == 2, result.output
    assert f"--scheduler tcp://127.0.0.1:{port}: cannot reach the Dask scheduler" in result.output
    assert not (tmp_path / "out").exists()


def test_header_typo_gets_a_suggestion_not_silence(tmp_path):
    ledger = write_csv(
        tmp_path / "a.csv",
        [("sit" if c == "site" else c) for c in LEDGER_HEADER],
        [["e1", 2024, "HQ", "CN", "electricity", 1, "MWh", "", "", "m"]],
    )
    organisation = write_csv(
        tmp_path / "o.csv",
        ["year", "metric", "value", "unit", "source"],
        [[2024, "employees", 1, "person", "x"]],
    )
    result = invoke(
        "inventory",
        "--ledger",
        str(ledger),
        "--organisation",
        str(organisation),
        "--out",
        str(tmp_path / "o"),
    )
    assert result.exit_code == 2 and "did you mean 'site'" in result.output


def _carbon(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "carbon", *args], capture_output=True, timeout=300, **kwargs)


def test_a_reader_closing_the_pipe_early_ends_the_run_quietly(monkeypatch):
    """`carbon ... | head -1`: writing to the closed pipe fails; that is exit 0 and no message
    (the pipe's end is simulated: how soon a reader closes it depends on the platform)."""

    def closed_pipe(*args, **kwargs):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(cli.catalog, "list_sets", closed_pipe)
    result = invoke("factors", "list")
    assert result.exit_code == 0 and result.output == ""


def test_closed_stdout_ascii_terminal_and_zero_columns_are_not_crashes(tmp_path):
    closed = subprocess.run(
        f"{sys.executable} -m carbon factors list >&-", shell=True, capture_output=True, timeout=300
    )
    assert closed.returncode == 0, closed.stderr
    ascii_terminal = _carbon(
        "factors", "show", "mee.elec.cn-sh.2023.location", env={**os.environ, "PYTHONIOENCODING": "ascii"}
    )
    assert ascii_terminal.returncode == 0 and b"\\u516c" in ascii_terminal.stdout  # escaped, not a crash
    narrow = _carbon("factors", "list", env={**os.environ, "COLUMNS": "0"})
    assert narrow.returncode == 0 and b"china-corporate" in narrow.stdout


def test_a_second_run_into_the_same_folder_is_refused_while_the_first_holds_it(tmp_path):
    from carbon.errors import OutputError
    from carbon.outputs import OutputSet

    with OutputSet(tmp_path / "out") as first:
        first.path("inventory.json").write_text("{}")
        with (
            pytest.raises(OutputError, match="another carbon run is writing here"),
            OutputSet(tmp_path / "out"),
        ):
            pass
        first.commit()
    assert (tmp_path / "out" / "inventory.json").read_text() == "{}"
