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
