"""--engine dask against the pandas engine on the same partitioned ledger: same totals, same errors.

A real dask.distributed LocalCluster (2 worker processes) runs in these tests.
"""

import json

import pyarrow.parquet as pq
import pytest

from carbon.distributed import partitions, run_inventory_dask
from carbon.engine import InventoryRequest, run_inventory
from carbon.errors import LedgerError
from carbon.outputs import OutputSet
from carbon.paths import file_sha256
from tests.conftest import AS_OF
from tests.integration.test_chunked import assert_same_lines, flat, write_ledger

pytest.importorskip("distributed", reason="dask[distributed] is in the test extras: pip install '.[test]'")

ROWS = [
    (("electricity", "kWh", "", "", "CN-SH"), 50_000.0, 2024),
    (("electricity", "MWh", "", "", "CN-HA"), 30.0, 2024),
    (("gasoline", "L", "", "", "CN-BJ"), 400.0, 2024),
    (("water", "t", "", "", "CN"), 900.0, 2025),
    (("waste", "kg", "paper_board", "recycling", "CN-SH"), 800.0, 2025),
    (("green_certificate", "MWh", "", "", "CN"), 20.0, 2024),
    (("electricity", "thousand kWh", "", "", "CN"), 12.0, 2025),
    (("waste", "t", "non_hazardous", "", "CN"), 3.0, 2022),
]


def partitioned(folder, rows, duplicate_first=False):
    """The ledger split over three files with row groups of two rows: six partitions."""
    ledger, organisation = write_ledger(folder, rows, duplicate_first)
    table = pq.read_table(ledger)
    parts = folder / "ledger"
    parts.mkdir()
    for index, start in enumerate(range(0, len(table), 3)):
        pq.write_table(table.slice(start, 3), parts / f"part-{index}.parquet", row_group_size=2)
    return parts, organisation, ledger


WITHOUT_INSTRUMENTS = [row for row in ROWS if row[0][0] != "green_certificate"]


@pytest.mark.parametrize("rows", [ROWS, WITHOUT_INSTRUMENTS], ids=["with-certificates", "without"])
def test_dask_equals_pandas(tmp_path, rows):
    folder, organisation, single = partitioned(tmp_path, rows)
    assert len(partitions(folder)) == 3  # files of 3, 3 and 2 (or 1) rows: one partition each
    assert len(partitions(folder, rows=2)) == 5  # row groups of 2: runs of one row group each
    request = InventoryRequest(folder, organisation, "fixture", as_of=AS_OF)
    pandas_result = run_inventory(InventoryRequest(single, organisation, "fixture", as_of=AS_OF))
    pandas_document = pandas_result.inventory.model_dump()
    with OutputSet(tmp_path / "out") as outputs:
        dask_document = run_inventory_dask(request, outputs)[0].model_dump()
        written = outputs.commit()
    assert dask_document["notes"] == pandas_document["notes"]
    for a, b in zip(dask_document["years"], pandas_document["years"], strict=True):
        for key, value in flat(b).items():
            assert flat(a)[key] == (
                pytest.approx(value, rel=1e-9, abs=1e-12) if isinstance(value, float) else value
            ), key
    # The folder of per-partition line files and the one key table the workers' keys share (the
    # ledger file is the partition's file here, the single file there; rows are numbered alike).
    assert_same_lines(
        written["emission_lines"], written["line_keys.parquet"], pandas_result.lines, ignore=("ledger_file",)
    )
    # The manifest names every partition's lines file with the sha256 its worker took as it wrote.
    manifest = json.loads(written["manifest.json"].read_text(encoding="utf-8"))
    parts = {f["path"]: f["sha256"] for f in manifest["files"] if f["path"].startswith("emission_lines/")}
    assert len(parts) == 3
    assert parts == {name: file_sha256(written["emission_lines"].parent / name) for name in parts}


def test_dask_reports_the_same_errors(tmp_path):
    rows = (
        ROWS[:2]
        + [(("water", "kWh", "", "", "CN"), 2.0, 2024), (("gasoline", "L", "", "", "CN"), -1.0, 2024)]
        + ROWS[2:4]
    )
    folder, organisation, single = partitioned(tmp_path, rows, duplicate_first=True)
    with pytest.raises(LedgerError) as pandas_error:
        run_inventory(InventoryRequest(single, organisation, "fixture", as_of=AS_OF))
    with pytest.raises(LedgerError) as dask_error, OutputSet(tmp_path / "out") as outputs:
        run_inventory_dask(InventoryRequest(folder, organisation, "fixture", as_of=AS_OF), outputs)
    where = lambda error: {(p.row, p.column) for p in error.value.problems}  # noqa: E731
    assert where(dask_error) == where(pandas_error) == {(4, "unit"), (5, "quantity"), (7, "record_id")}
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "rows, reads_per_partition",
    [(WITHOUT_INSTRUMENTS, 1), (ROWS, 2)],  # certificates need whole-ledger totals first: two passes
    ids=["without-instruments", "with-certificates"],
)
def test_each_partition_is_read_and_validated_once(tmp_path, monkeypatch, rows, reads_per_partition):
    """An in-process cluster (threads), so that the reads on the workers can be counted."""
    from distributed import Client, LocalCluster

    import carbon.distributed as distributed

    folder, organisation, _ = partitioned(tmp_path, rows)
    reads: list[tuple] = []
    read = distributed._read
    monkeypatch.setattr(distributed, "_read", lambda part: reads.append(part) or read(part))
    cluster = LocalCluster(processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None)
    monkeypatch.setattr(distributed, "_client", lambda scheduler: (Client(cluster), cluster))
    with OutputSet(tmp_path / "out") as outputs:
        run_inventory_dask(InventoryRequest(folder, organisation, "fixture", as_of=AS_OF), outputs)
    assert sorted(reads) == sorted(partitions(folder) * reads_per_partition)
