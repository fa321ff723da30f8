"""Parquet ledgers: read column-wise with categoricals kept, same results as the CSV they mirror."""

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from carbon.errors import LedgerError
from carbon.ledger import load_ledger
from carbon.paths import inputs_root
from tests.conftest import run


def to_parquet(
    csv_path,
    parquet_path,
    categorical=("site", "region", "activity", "unit", "waste_type", "route", "source"),
):
    frame = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    frame["year"] = frame["year"].astype("int16")
    frame["quantity"] = frame["quantity"].astype(float)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    for column in categorical:
        table = table.set_column(
            table.schema.get_field_index(column), column, table[column].dictionary_encode()
        )
    pq.write_table(table, parquet_path)
    return parquet_path


def test_parquet_ledger_gives_the_same_inventory_as_its_csv(tmp_path):
    qfin = inputs_root() / "qfin"
    parquet = to_parquet(qfin / "activity.csv", tmp_path / "activity.parquet")
    from_csv = run(qfin / "activity.csv", qfin / "organisation.csv").inventory.model_dump()
    from_parquet = run(parquet, qfin / "organisation.csv").inventory.model_dump()
    assert from_parquet["years"] == from_csv["years"]


def test_categorical_columns_stay_categorical(tmp_path):
    parquet = to_parquet(inputs_root() / "qfin" / "activity.csv", tmp_path / "activity.parquet")
    ledger, problems = load_ledger(parquet)
    assert problems == []
    for column in ("region", "activity", "unit", "source"):
        assert isinstance(ledger.rows[column].dtype, pd.CategoricalDtype), column


def test_bad_parquet_rows_are_reported_with_row_numbers(tmp_path, make_org):
    csv_path, organisation = make_org(
        [
            ["e1", 2024, "HQ", "CN", "electricity", 10, "MWh", "", "", "x"],
            ["w1", 2024, "HQ", "CN", "water", 5, "kWh", "", "", "x"],
            ["g1", 2024, "HQ", "CN", "gasoline", -1, "L", "", "", "x"],
        ],
        employees={2024: 1},
    )
    parquet = to_parquet(csv_path, tmp_path / "bad.parquet")
    with pytest.raises(LedgerError) as raised:
        run(parquet, organisation)
    assert {(p.row, p.column) for p in raised.value.problems} == {(3, "unit"), (4, "quantity")}


def test_unreadable_parquet_is_a_clear_error(tmp_path, make_org):
    _, organisation = make_org([])
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet")
    with pytest.raises(LedgerError, match="readable Parquet"):
        run(broken, organisation)


def test_a_folder_of_parquet_files_with_different_column_types(tmp_path):
    """The files of a folder share column names, not always types: here int16 years and
    dictionary-encoded text in one file, int64 years and plain text in the other. The in-memory
    and the chunked run read both, with the rows numbered across the files."""
    from carbon.engine import InventoryRequest
    from carbon.outputs import OutputSet
    from carbon.streaming import run_inventory_chunked
    from tests.conftest import AS_OF

    qfin = inputs_root() / "qfin"
    frame = pd.read_csv(qfin / "activity.csv", dtype=str, keep_default_na=False)
    half = len(frame) // 2
    folder = tmp_path / "ledger"
    folder.mkdir()
    frame.iloc[:half].to_csv(tmp_path / "first.csv", index=False)
    to_parquet(tmp_path / "first.csv", folder / "part-1.parquet")  # int16 years, dictionaries
    second = frame.iloc[half:].assign(year=lambda f: f["year"].astype("int64"))
    second["quantity"] = second["quantity"].astype(float)
    pq.write_table(pa.Table.from_pandas(second, preserve_index=False), folder / "part-2.parquet")
    expected = run(qfin / "activity.csv", qfin / "organisation.csv").inventory.model_dump()["years"]
    assert run(folder, qfin / "organisation.csv").inventory.model_dump()["years"] == expected
    request = InventoryRequest(folder, qfin / "organisation.csv", "fixture", as_of=AS_OF)
    with OutputSet(tmp_path / "out") as outputs:
        chunked = run_inventory_chunked(request, outputs, chunk_rows=7)[0].model_dump()["years"]
        lines = pq.read_table(outputs.path("emission_lines.parquet")).column("ledger_row").to_pylist()
    totals = ["scope1", "scope2_location", "scope2_market", "scope3", "water_m3"]
    for got, want in zip(chunked, expected, strict=True):  # chunks add in another order: 1e-12
        assert [got[k] for k in totals] == pytest.approx([want[k] for k in totals], rel=1e-12)
    assert sorted(set(lines)) == list(range(2, len(frame) + 2))
