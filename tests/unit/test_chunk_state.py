"""What a chunked run keeps of each chunk for the whole-ledger checks: row numbers as ranges,
duplicate ids found from hashes (spilled to disk in buckets beyond a size), and the instrument
check on a Parquet ledger read lazily."""

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carbon import outputs as outputs_module
from carbon import readers, streaming
from carbon.engine import RowNumbers
from carbon.outputs import OutputSet
from carbon.paths import file_sha256
from carbon.record_ids import RecordIdHashes, duplicate_ids, id_hashes
from carbon.streaming import has_instruments


def test_row_numbers_keep_consecutive_chunks_as_ranges_and_map_positions_back():
    rows = RowNumbers()
    rows.add(np.arange(2, 6))  # rows 2-5: a range
    rows.add(np.array([9, 7, 12]))  # not consecutive: kept as given
    rows.add(np.arange(20, 23))  # rows 20-22
    assert [type(p).__name__ for p in rows.parts] == ["range", "ndarray", "range"]
    # positions 0..9 over all rows seen: 2 3 4 5 | 9 7 12 | 20 21 22
    assert rows.at(np.array([0, 3, 4, 5, 6, 9])).tolist() == [2, 5, 9, 7, 12, 22]


def test_duplicate_ids_name_the_later_rows_only():
    ids = ["a", "b", "a", "c", "b", "a"]
    hashes = RecordIdHashes()
    hashes.add(np.array([hash(i) for i in ids], dtype=np.int64).view(np.uint64))
    rows = RowNumbers()
    rows.add(np.arange(2, 5))
    rows.add(np.arange(10, 13))  # the ledger rows: 2 3 4 10 11 12
    row_of = dict(zip([2, 3, 4, 10, 11, 12], ids, strict=True))
    problems = duplicate_ids(hashes, rows.at, lambda found: [row_of[int(r)] for r in found], "ledger.parquet")
    assert [(p.row, p.value) for p in problems] == [(4, "a"), (11, "b"), (12, "a")]
    assert "already used on row 2" in problems[0].expected


@settings(max_examples=200, deadline=None)
@given(
    chunks=st.lists(st.lists(st.integers(0, 40), max_size=30), max_size=8),
    spill_bytes=st.sampled_from([8, 64, 1 << 30]),
)
def test_spilled_hashes_find_the_same_repeats_as_one_sort_in_memory(chunks, spill_bytes):
    """Small values make repeats likely; the top bits are spread so that every bucket is used
    (a repeat must be found within its bucket, whichever bucket it is)."""
    spread = [(np.array(c, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)) for c in chunks]
    hashes = RecordIdHashes(spill_bytes=spill_bytes)
    for chunk in spread:
        hashes.add(chunk)
    everything = np.concatenate(spread) if spread else np.empty(0, np.uint64)
    values, counts = np.unique(everything, return_counts=True)
    expected = np.flatnonzero(np.isin(everything, values[counts > 1]))
    try:
        assert hashes.repeated_positions().tolist() == expected.tolist()
        assert len(hashes) == len(everything)
    finally:
        hashes.close()


@settings(max_examples=300, deadline=None)
@given(ids=st.lists(st.text(max_size=12), max_size=40), cut=st.integers(0, 40))
def test_id_hashes_depend_on_the_text_alone(ids, cut):
    """Equal ids hash equal wherever they are (in a chunk, in a slice, as str, object or
    category); different ids of a small sample do not collide."""
    import pandas as pd

    as_str = pd.Series(ids, dtype="str")
    hashes = id_hashes(as_str)
    by_text = dict(zip(ids, hashes.tolist(), strict=True))
    assert len(set(by_text.values())) == len(by_text)  # one hash per distinct id
    assert [by_text[i] for i in ids] == hashes.tolist()
    assert id_hashes(pd.Series(ids, dtype=object)).tolist() == hashes.tolist()
    assert id_hashes(pd.Series(ids, dtype="category")).tolist() == hashes.tolist()
    tail = as_str.iloc[cut:]  # a slice: its bytes start inside the buffer
    assert id_hashes(tail).tolist() == hashes[cut:].tolist()
    import carbon.record_ids as record_ids

    saved, record_ids.SLICE_BYTES = record_ids.SLICE_BYTES, 5  # text hashed a few bytes at a time
    try:
        assert id_hashes(as_str).tolist() == hashes.tolist()
    finally:
        record_ids.SLICE_BYTES = saved


def test_a_missing_id_hashes_as_the_empty_one_in_every_kind_of_column():
    import pandas as pd

    empty = id_hashes(pd.Series([""], dtype="str"))[0]
    for dtype in ("str", "object", "category"):
        assert id_hashes(pd.Series(["a", None, "b"], dtype=dtype))[1] == empty, dtype


def test_hashes_beyond_the_limit_go_to_bucket_files_not_memory():
    hashes = RecordIdHashes(spill_bytes=8 * 1000)
    for start in range(0, 5000, 1000):
        hashes.add(np.arange(start, start + 1000, dtype=np.uint64) << np.uint64(50))
    hashes.add(np.array([7 << 50, 4321 << 50], dtype=np.uint64))  # repeats rows 7 and 4321
    assert len(hashes.buckets) == 64 and not hashes.pending  # once spilling, every chunk is spilled
    assert hashes.repeated_positions().tolist() == [7, 4321, 5000, 5001]
    hashes.close()


def test_a_temporary_folder_without_space_is_a_clear_error(monkeypatch):
    from carbon.errors import OutputError

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("tempfile.TemporaryFile", full)
    hashes = RecordIdHashes(spill_bytes=8)
    with pytest.raises(OutputError, match="set TMPDIR to a folder with space"):
        hashes.add(np.arange(10, dtype=np.uint64))


@pytest.mark.parametrize("dictionary", [True, False])
@pytest.mark.parametrize(
    "activities, expected",
    [
        (["electricity", "water"], False),
        (["electricity", "green_certificate"], True),
        (["electricity", " green_certificate "], True),  # trimmed, as the ledger reader trims
    ],
)
def test_has_instruments(tmp_path: Path, activities, expected, dictionary):
    column = pa.array(activities * 3)
    path = tmp_path / "ledger.parquet"
    header = readers.table_schema("ledger").required
    names = [*header, "year"]
    table = pa.table({name: pa.array(["x"] * len(column)) for name in names if name != "activity"})
    table = table.append_column("activity", column.dictionary_encode() if dictionary else column)
    pq.write_table(table, path, row_group_size=2)  # several row groups and batches
    assert has_instruments(readers.ParquetSource(path, readers.table_schema("ledger"))) is expected
    # The same ledger as CSV, through the streaming CSV reader (activity dictionary-encoded).
    csv_path = tmp_path / "ledger.csv"
    pa.csv.write_csv(table.cast(pa.schema([(n, pa.string()) for n in table.column_names])), csv_path)
    source = readers.CsvSource(csv_path, readers.table_schema("ledger"), ["activity"] if dictionary else [])
    assert has_instruments(source) is expected


def test_the_lines_writer_writes_every_chunk_in_order_and_numeric_statistics_only(tmp_path, monkeypatch):
    import pandas as pd

    from carbon.streaming import LinesWriter

    chunks = [
        pd.DataFrame({"record_id": [f"r{i}" for i in range(n, n + 3)], "tco2e": [1.0 * n, 2.0, 3.0]})
        for n in (0, 3, 6)
    ]
    with OutputSet(tmp_path / "out") as outputs:
        with LinesWriter(outputs, "lines.parquet") as writer:
            for chunk in chunks:
                writer.write(chunk)
        path = outputs.path("lines.parquet")
        on_disk = file_sha256(path)
        # the sha256 taken as the lines were written is the file's, and the file is not read again
        monkeypatch.setattr(outputs_module, "file_sha256", lambda path: pytest.fail("read again"))
        assert outputs.sha256("lines.parquet") == on_disk
        written = pq.read_table(path)
        row_group = pq.ParquetFile(path).metadata.row_group(0)
    assert written.column("record_id").to_pylist() == [f"r{i}" for i in range(9)]
    assert written.column("tco2e").to_pylist() == [0.0, 2.0, 3.0, 3.0, 2.0, 3.0, 6.0, 2.0, 3.0]
    assert row_group.column(1).statistics is not None  # tco2e
    assert row_group.column(0).statistics is None  # record_id: text


def test_the_lines_writer_raises_a_failed_write_in_the_run(tmp_path, monkeypatch):
    import pandas as pd

    from carbon.streaming import LinesWriter

    def broken(self, table):
        raise OSError("disk full")

    monkeypatch.setattr(pq.ParquetWriter, "write_table", broken)
    with OutputSet(tmp_path / "out") as outputs:
        with pytest.raises(OSError, match="disk full"), LinesWriter(outputs, "lines.parquet") as writer:
            writer.write(pd.DataFrame({"tco2e": [1.0]}))
            writer.write(pd.DataFrame({"tco2e": [2.0]}))  # the first write's error surfaces here
        monkeypatch.setattr(outputs_module, "file_sha256", lambda path: "read again")
        assert outputs.sha256("lines.parquet") == "read again"  # a failed file's digest is not recorded


def test_a_run_error_inside_the_lines_writer_is_not_hidden_by_a_failed_write(tmp_path, monkeypatch):
    import pandas as pd

    from carbon.streaming import LinesWriter

    def broken(self, table):
        raise OSError("disk full")

    monkeypatch.setattr(pq.ParquetWriter, "write_table", broken)
    with OutputSet(tmp_path / "out") as outputs:
        failing = LinesWriter(outputs, "lines.parquet")
        with pytest.raises(ValueError, match="a ledger problem"), failing as writer:
            writer.write(pd.DataFrame({"tco2e": [1.0]}))
            raise ValueError("a ledger problem")


def test_the_manifest_reads_a_file_again_when_it_changed_after_its_digest_was_recorded(tmp_path):
    with OutputSet(tmp_path / "out") as outputs:
        path = outputs.path("lines.parquet")
        path.write_bytes(b"abc")
        outputs.record_sha256("lines.parquet", "0" * 64)
        assert outputs.sha256("lines.parquet") == "0" * 64  # as recorded: not read again
        path.write_bytes(b"abcd")  # another size: the record no longer describes the file
        assert outputs.sha256("lines.parquet") == file_sha256(path)


@pytest.mark.parametrize(
    ("held_mb", "trims"),
    [
        # Four chunks settle at the most they held (500 MB); then only growth beyond 64 MB trims.
        ([400, 500, 480, 490, 520, 565, 570, 600, 530], [5, 6, 7]),
        # Where the resident size cannot be read, every chunk trims (the safe old way).
        ([None] * 5, [0, 1, 2, 3, 4]),
    ],
)
def test_memory_is_trimmed_only_when_the_process_grows(monkeypatch, held_mb, trims):
    readings = iter(held_mb)
    trimmed: list[int] = []
    keeper = streaming.MemoryKeeper()
    monkeypatch.setattr(streaming, "TRIM_SLACK", 64 << 20)
    monkeypatch.setattr(
        streaming, "resident_bytes", lambda: (lambda mb: None if mb is None else mb << 20)(next(readings))
    )
    monkeypatch.setattr(streaming, "return_freed_memory", lambda: trimmed.append(keeper.chunks - 1))
    for _ in held_mb:
        keeper.after_chunk()
    assert trimmed == trims


def test_resident_bytes_reads_this_process():
    held = streaming.resident_bytes()
    assert held is None or 10 << 20 < held < 64 << 30  # Linux: a real size; elsewhere None


def test_read_ahead_gives_every_item_in_order_and_raises_a_reader_error_where_it_occurred():
    def items():
        yield from range(5)
        raise ValueError("a corrupt row group")

    seen = []
    with pytest.raises(ValueError, match="a corrupt row group"):
        for item in streaming.read_ahead(items(), "test-reader"):
            seen.append(item)
    assert seen == [0, 1, 2, 3, 4]
    assert list(streaming.read_ahead(iter(range(1000)), "test-reader")) == list(range(1000))


def test_read_ahead_stops_its_thread_when_the_consumer_stops_early():
    import threading

    made = []

    def items():
        for i in range(1_000_000):
            made.append(i)
            yield i

    ahead = streaming.read_ahead(items(), "test-reader-stop")
    assert next(ahead) == 0
    ahead.close()  # a chunk's error ends the run's loop
    assert not any(t.name == "test-reader-stop" for t in threading.enumerate())
    assert len(made) <= 3  # one item handed over, one waiting, one being made


def test_a_parquet_dictionary_column_is_trimmed_with_missing_values_as_empty_text():
    import pandas as pd

    spaced = pa.array([" a", "a", None, "b ", "a"]).dictionary_encode()  # ' a' and 'a' trim alike
    plain = pa.array(["x", " y", "x", None, "z"]).dictionary_encode()
    full = pa.array(["p", "q", "p", "q", "p"]).dictionary_encode()  # no missing value, no ''
    frame = readers.arrow_to_frame(pa.table([spaced, plain, full], names=["s", " p ", "f"]), first_row=7)
    assert list(frame.columns) == ["s", "p", "f", "_row"]
    assert frame["s"].tolist() == ["a", "a", "", "b", "a"]
    assert frame["p"].tolist() == ["x", "y", "x", "", "z"]
    assert frame["f"].tolist() == ["p", "q", "p", "q", "p"]
    for column in ("s", "p", "f"):
        assert isinstance(frame[column].dtype, pd.CategoricalDtype)
        assert "" in frame[column].cat.categories  # a later default or blank is one category
        assert frame[column].notna().all()
    assert frame["_row"].tolist() == [7, 8, 9, 10, 11]


def test_an_interrupt_while_waiting_for_the_writer_lets_it_finish_before_the_file_closes(
    tmp_path, monkeypatch
):
    """Ctrl-C lands where the run waits for the chunk before: the writer's thread was still
    writing when the file was closed under it, and the process crashed (a segmentation fault)."""
    import os
    import signal
    import threading
    import time

    import pandas as pd

    from carbon.streaming import LinesWriter

    original = pq.ParquetWriter.write_table
    written = []

    def slow(self, table, *args, **kwargs):
        time.sleep(0.6)  # a slow disk
        original(self, table, *args, **kwargs)
        written.append(len(table))

    monkeypatch.setattr(pq.ParquetWriter, "write_table", slow)
    frame = pd.DataFrame({"tco2e": np.arange(1000, dtype=float)})
    with OutputSet(tmp_path / "out") as outputs:
        with pytest.raises(KeyboardInterrupt), LinesWriter(outputs, "lines.parquet") as writer:
            writer.write(frame)
            threading.Timer(0.2, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
            writer.write(frame)  # waits for the first write: the interrupt lands here
            pytest.fail("not interrupted")
        assert written[:1] == [1000]  # the first write finished before the file was closed
        assert pq.read_table(outputs.path("lines.parquet")).num_rows == 1000
