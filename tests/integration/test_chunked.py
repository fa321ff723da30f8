"""The chunked path for large Parquet ledgers against the simple in-memory path, on small ledgers
split into tiny chunks (so every chunk boundary case occurs): same inventory, same notes, same
lines, same validation errors."""

import tempfile
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carbon.calculate import LINE_COLUMNS, joined
from carbon.engine import InventoryRequest, run_inventory
from carbon.errors import LedgerError
from carbon.outputs import OutputSet
from carbon.streaming import run_inventory_chunked
from tests.conftest import AS_OF, LEDGER_HEADER, write_csv
from tests.integration.test_parquet import to_parquet

ROWS = st.sampled_from(
    [
        ("electricity", "kWh", "", "", "CN-SH"),
        ("electricity", "MWh", "", "", "CN"),
        ("electricity", "thousand kWh", "", "", "CN-HA"),
        ("gasoline", "L", "", "", "CN-BJ"),
        ("gasoline", "MWh", "", "", "CN"),
        ("water", "t", "", "", "CN"),
        ("waste", "kg", "paper_board", "recycling", "CN-SH"),
        ("waste", "t", "non_hazardous", "", "CN"),
        ("green_certificate", "MWh", "", "", "CN"),
    ]
)
LEDGERS = st.lists(
    st.tuples(ROWS, st.one_of(st.just(0.0), st.floats(1e-6, 1e5)), st.sampled_from([2022, 2024, 2025])),
    min_size=1,
    max_size=15,
)


def write_ledger(folder: Path, rows, duplicate_first: bool = False) -> tuple[Path, Path]:
    records = [
        [f"r{i}", year, "site", region, activity, repr(quantity), unit, waste_type, route, "generated"]
        for i, ((activity, unit, waste_type, route, region), quantity, year) in enumerate(rows)
    ]
    if duplicate_first and len(records) > 1:
        records[-1][0] = records[0][0]
    csv_path = write_csv(
        folder / "a.csv",
        LEDGER_HEADER + ["instrument"],
        [r + [f"GEC-{r[0]}" if r[4] == "green_certificate" else ""] for r in records],
    )
    organisation = write_csv(
        folder / "o.csv",
        ["year", "metric", "value", "unit", "source"],
        [[y, "employees", 10, "person", "x"] for y in (2022, 2024, 2025)],
    )
    return to_parquet(
        csv_path, folder / "a.parquet", categorical=("region", "activity", "unit", "waste_type", "route")
    ), organisation


def flat(document: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in document.items():
        out.update(flat(value, f"{prefix}{key}.") if isinstance(value, dict) else {f"{prefix}{key}": value})
    return out


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(LEDGERS, st.integers(1, 4), st.sampled_from(["parquet", "csv"]))
def test_chunked_equals_in_memory(rows, chunk_rows, ledger_format):
    with tempfile.TemporaryDirectory() as folder:
        ledger, organisation = write_ledger(Path(folder), rows)
        if ledger_format == "csv":  # pyarrow's streaming CSV reader on the same chunked path
            ledger = ledger.with_suffix(".csv")
        request = InventoryRequest(ledger, organisation, "fixture", as_of=AS_OF)
        simple = run_inventory(request)
        with OutputSet(Path(folder) / "out") as outputs:
            document = run_inventory_chunked(request, outputs, chunk_rows=chunk_rows)[0].model_dump()
            written = outputs.commit()
        assert document["notes"] == simple.inventory.model_dump()["notes"]
        for chunked_year, simple_year in zip(
            document["years"], simple.inventory.model_dump()["years"], strict=True
        ):
            a, b = flat(chunked_year), flat(simple_year)
            assert a.keys() == b.keys()
            for key, value in b.items():
                if isinstance(value, float):
                    # sums over chunks add in a different order: equal to rounding
                    assert a[key] == pytest.approx(value, rel=1e-12, abs=1e-12), key
                else:
                    assert a[key] == value, key
        assert_same_lines(written["emission_lines.parquet"], written["line_keys.parquet"], simple.lines)


def assert_same_lines(lines_path: Path, keys_path: Path, expected: pd.DataFrame, ignore: tuple = ()) -> None:
    """The normalised line files, joined by line_key, are the in-memory run's full lines: every
    column of every line, in the same order, numbers exactly (a line's arithmetic does not depend
    on its chunk; only an instrument's share comes from coverage totals added chunk by chunk,
    which on ledgers of hundreds of rows can differ in the last bit, not on these)."""
    lines = pq.read_table(lines_path).to_pandas()
    keys = pq.read_table(keys_path).to_pandas()
    assert keys["line_key"].is_unique and lines["line_key"].isin(keys["line_key"]).all()
    full = joined(lines, keys)
    assert list(full.columns) == LINE_COLUMNS and len(full) == len(expected)
    for column in (c for c in LINE_COLUMNS if c not in ignore):
        got, want = full[column].reset_index(drop=True), expected[column].reset_index(drop=True)
        if want.dtype.kind == "f":
            assert got.to_numpy().tolist() == want.to_numpy().tolist(), column
        else:
            assert got.astype(str).tolist() == want.astype(str).tolist(), column


def test_chunked_reports_the_same_errors_and_writes_nothing(tmp_path):
    rows = [
        (("electricity", "MWh", "", "", "CN"), 1.0, 2024),
        (("water", "kWh", "", "", "CN"), 2.0, 2024),
        (("gasoline", "L", "", "", "CN"), -1.0, 2024),
        (("electricity", "MWh", "", "", "CN-XX"), 1.0, 2024),
        (("electricity", "MWh", "", "", "CN"), 3.0, 2024),
    ]
    ledger, organisation = write_ledger(tmp_path, rows, duplicate_first=True)
    request = InventoryRequest(ledger, organisation, "fixture", as_of=AS_OF)
    with pytest.raises(LedgerError) as simple:
        run_inventory(request)
    with pytest.raises(LedgerError) as chunked, OutputSet(tmp_path / "out") as outputs:
        run_inventory_chunked(request, outputs, chunk_rows=2)
    where = lambda error: {(p.row, p.column) for p in error.value.problems}  # noqa: E731
    assert where(chunked) == where(simple) == {(3, "unit"), (4, "quantity"), (5, "region"), (6, "record_id")}
    assert not (tmp_path / "out").exists()  # the output set removed the folder it had made


def test_a_parquet_ledger_runs_chunked_unless_a_workbook_needs_every_line(tmp_path):
    from carbon.run import run_and_publish

    ledger, organisation = write_ledger(tmp_path, [(("electricity", "MWh", "", "", "CN"), 10.0, 2024)])
    request = InventoryRequest(ledger, organisation, "fixture", as_of=AS_OF)
    chunked = run_and_publish(request, tmp_path / "out")
    assert chunked.engine == "chunked"
    assert pd.read_parquet(chunked.files["emission_lines.parquet"])["tco2e"].sum() > 0
    in_memory = run_and_publish(request, tmp_path / "out2", xlsx=tmp_path / "book.xlsx")
    assert in_memory.engine == "in-memory" and (tmp_path / "book.xlsx").is_file()
    assert in_memory.inventory == chunked.inventory


def test_a_chunked_csv_ledger_reports_what_the_in_memory_read_reports(tmp_path):
    header = ",".join(LEDGER_HEADER)
    good = "r1,2024,s,CN,electricity,1,MWh,,,x"
    cases = {
        "ragged": [header, good, "r2,2024,s,CN,electricity,1,MWh,,,x,extra", good.replace("r1", "r3")],
        "unclosed quote": [header, good, 'r2,2024,s,CN,electricity,1,MWh,,,"x', good.replace("r1", "r3")],
        "bad value": [header, good, "r2,2024,s,CN,water,1,kWh,,,x"],
    }
    organisation = write_csv(tmp_path / "o.csv", ["year", "metric", "value", "unit", "source"], [])
    for name, lines in cases.items():
        ledger = tmp_path / f"{name.replace(' ', '-')}.csv"
        ledger.write_text("\n".join(lines) + "\n", encoding="utf-8")
        request = InventoryRequest(ledger, organisation, "fixture", as_of=AS_OF)
        with pytest.raises(LedgerError) as simple:
            run_inventory(request)
        with pytest.raises(LedgerError) as chunked, OutputSet(tmp_path / name) as outputs:
            run_inventory_chunked(request, outputs, chunk_rows=1)
        found = lambda error: [(p.row, p.column, p.value, p.expected) for p in error.value.problems]  # noqa: E731
        assert found(chunked) == found(simple) and found(simple), name
