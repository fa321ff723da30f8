"""The chunked run of a large Parquet ledger: the engine's steps over chunks of rows, with
bounded memory and the same results as the in-memory run.

A first pass reads only the instrument totals, when the ledger holds certificates or green
power (an instrument in one chunk covers electricity in another). The main pass scans each
chunk, adds it to the plan, and, while the plan has found no problem, computes its lines
(written to the output set's emission_lines.parquet) and keeps only their aggregates. At the
end the plan checks the whole ledger and raises every problem; the output set then publishes
nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet

from carbon import readers
from carbon.calculate import LineKeyUnion, no_coverage
from carbon.engine import (
    InventoryRequest,
    Plan,
    Totals,
    compute,
    finish,
    open_context,
    scan,
)
from carbon.grouped import GroupedResult, combine_groups, grouped_result, row_groups
from carbon.ledger import categorical_columns
from carbon.models.inventory import Inventory
from carbon.models.vocabulary import vocabulary
from carbon.outputs import HashingFile, OutputSet, to_json, write_atomically, write_line_keys

# Rows per chunk. On the 10M-row benchmark ledger (row groups of 250,000): 250,000 rows 16.5 s and
# 535 MB, 500,000 rows 14.6 s and 738 MB, 1M rows 13.8 s and 1.2 GB (above the 1 GB aimed at).
CHUNK_ROWS = 500_000
FOLD_PARTS = 16  # chunks' aggregates kept before they are added up into one
TRIM_SLACK = 64 << 20  # bytes the process may grow beyond its first chunks before memory is trimmed
STRING_DICTIONARY = pa.dictionary(pa.int32(), pa.string())
T = TypeVar("T")


def chunks(source: readers.LedgerSource, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """Frames of about `chunk_rows` rows: batches (a Parquet file's are at most a row group) are
    joined up to that size, since each chunk's pandas work has a fixed cost. The batches are
    read one ahead on a thread (5% of a 10M-row run; reading whole frames ahead gained nothing,
    as making a frame holds the GIL, and cost 80 MB)."""
    return readers.frames_of(read_ahead(source.batches(chunk_rows), "ledger-reader"), chunk_rows, source.file)


def read_ahead(items: Iterator[T], name: str) -> Iterator[T]:
    """`items`, each made on a thread of its own one item ahead of the consumer: Parquet
    decoding (and CSV parsing) runs without the GIL, so the next chunk is read on the second
    core while this one is validated and computed. At most one item waits: memory stays flat.
    An error of the reader is raised in the consumer's thread, where the item would have come."""
    ready: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()
    end = object()

    def hand_over(item: object, error: BaseException | None) -> bool:
        while not stop.is_set():  # the consumer may have stopped: never block for good
            try:
                ready.put((item, error), timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not hand_over(item, None):
                    return
            hand_over(end, None)
        except BaseException as error:  # noqa: BLE001 - raised again in the consumer's thread
            hand_over(end, error)

    thread = threading.Thread(target=produce, name=name, daemon=True)
    thread.start()
    try:
        while True:
            item, error = ready.get()
            if error is not None:
                raise error
            if item is end:
                return
            yield item
    finally:
        stop.set()
        thread.join()


def has_instruments(source: readers.LedgerSource) -> bool:
    """Whether any row is a certificate or green power; read batch by batch, and on a dictionary
    column decided by its few distinct values."""
    kinds = pa.array(list(vocabulary().instruments))

    def instruments(values: pa.Array) -> pa.Array:  # values are trimmed as the ledger reader does
        return pc.is_in(pc.utf8_trim_whitespace(values.cast(pa.string())), kinds)

    for batch in source.batches(1 << 20, columns=["activity"]):
        activity = batch.column(0)
        if pa.types.is_dictionary(activity.type):
            codes = pa.array(np.flatnonzero(instruments(activity.dictionary).to_numpy(False)), pa.int64())
            if len(codes) and pc.any(pc.is_in(activity.indices.cast(pa.int64()), codes)).as_py():
                return True
        elif pc.any(instruments(activity)).as_py():
            return True
    return False


def lines_table(lines: pd.DataFrame) -> pa.Table:
    """A chunk's lines as Arrow, in the schema every chunk shares: categorical columns as
    dictionary<int32, string> (pandas picks int8 or int16 codes by the number of categories)
    and other text as string. Text of distinct values per row (record ids) is not
    dictionary-encoded: building a dictionary of 500,000 distinct ids per chunk took 6% of a
    run, for nothing."""
    table = pa.Table.from_pandas(lines, preserve_index=False)
    columns = [
        column.cast(STRING_DICTIONARY)
        if pa.types.is_dictionary(column.type)
        else column.cast(pa.string())
        if pa.types.is_large_string(column.type)
        else column
        for column in table.columns
    ]
    return pa.table(columns, names=table.column_names)


def _libc_malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc (macOS, musl): nothing to trim
        return None


MALLOC_TRIM = _libc_malloc_trim()


def return_freed_memory() -> None:
    """Give the memory finished chunks freed back to the system. Without this, glibc and
    Arrow's pool keep it for reuse, and pieces of each chunk's frames leave the process larger
    after every chunk: the peak grew with the ledger."""
    pa.default_memory_pool().release_unused()
    if MALLOC_TRIM is not None:
        MALLOC_TRIM(0)


def resident_bytes() -> int | None:
    """The process's resident memory now (Linux), or None where it cannot be read."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


class MemoryKeeper:
    """Returns freed memory to the system only when the process has grown TRIM_SLACK beyond
    what it held after its first chunks. Memory given back is zeroed by the kernel when the next
    chunk touches it again: trimming after every chunk made a fifth of a 10M-row run system time.
    Where the resident size cannot be read, every chunk trims."""

    SETTLING_CHUNKS = 4  # what the process holds once chunks and writes overlap (the first holds less)

    def __init__(self) -> None:
        self.chunks, self.settled = 0, 0

    def after_chunk(self) -> None:
        held = resident_bytes()
        self.chunks += 1
        if held is not None and self.chunks <= self.SETTLING_CHUNKS:
            self.settled = max(self.settled, held)
        elif held is None or held > self.settled + TRIM_SLACK:
            return_freed_memory()


def parquet_options(schema: pa.Schema) -> dict:
    """How emission lines are encoded: statistics for the numeric columns only (those of text
    cost time and serve no reader); dictionaries only where values repeat (text that is a
    dictionary in Arrow, line keys; trying one on every float and record id and giving up cost a
    third of the writing); ledger rows, consecutive, as deltas. Measured on 2M lines: 0.43 s by
    default, 0.30 s so."""
    integer = [f.name for f in schema if pa.types.is_integer(f.type)]
    return {
        "write_statistics": integer + [f.name for f in schema if pa.types.is_floating(f.type)],
        "use_dictionary": [f.name for f in schema if pa.types.is_dictionary(f.type) or f.name == "line_key"],
        "column_encoding": {"ledger_row": "DELTA_BINARY_PACKED"} if "ledger_row" in integer else None,
    }


class LinesWriter:
    """emission_lines.parquet, each chunk's lines written on a second thread while the next
    chunk is validated and computed (pyarrow encodes without holding the GIL, so the two cores
    both work). At most one chunk waits to be written: memory stays flat. Encoded as
    parquet_options says."""

    def __init__(self, outputs: OutputSet, name: str):
        self.outputs, self.name = outputs, name
        self.sink = HashingFile(outputs.path(name))  # its sha256 goes to the manifest
        self.writer: pyarrow.parquet.ParquetWriter | None = None
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lines-writer")
        self.pending: Future | None = None

    def write(self, lines: pd.DataFrame) -> None:
        """Hand one chunk's lines to the writer's thread (after the chunk before is written).
        The frame is not changed afterwards: the thread converts it to Arrow itself."""
        self._wait()
        self.pending = self.pool.submit(self._write, lines)

    def _write(self, lines: pd.DataFrame) -> None:
        table = lines_table(lines)
        if self.writer is None:
            options = parquet_options(table.schema)
            self.writer = pyarrow.parquet.ParquetWriter(
                pa.PythonFile(self.sink, mode="w"), table.schema, **options
            )
        self.writer.write_table(table.cast(self.writer.schema))

    def _wait(self) -> None:
        if self.pending is not None:
            pending, self.pending = self.pending, None
            pending.result()  # a write error is raised here, in the run's thread

    def __enter__(self) -> LinesWriter:
        return self

    def __exit__(self, kind: object, *error: object) -> None:
        try:
            self._wait()
        except Exception:
            if kind is None:  # else the run's own error (a ledger problem) is the one to report
                raise
        finally:
            self._close(quietly=kind is not None)
        if kind is None and self.writer is not None:
            self.outputs.record_sha256(self.name, self.sink.hexdigest())

    def _close(self, quietly: bool) -> None:
        """The writer's thread finishes first: after a Ctrl-C in _wait it may still be writing,
        and closing the file under it crashed the process. `quietly` (the run has failed): an
        error of closing (the footer on a full disk) does not replace the run's own."""
        self.pool.shutdown(wait=True)
        try:
            try:
                if self.writer is not None:
                    self.writer.close()
            finally:
                self.sink.close()
        except Exception:
            if not quietly:
                raise


class ChunkedRun(NamedTuple):
    inventory: Inventory
    warnings: list[str]
    grouped: GroupedResult | None  # for the workbook, when asked for


def run_inventory_chunked(
    request: InventoryRequest,
    outputs: OutputSet,
    progress: Callable[[str], None] = lambda stage: None,
    chunk_rows: int = CHUNK_ROWS,
    groups: bool = False,
) -> ChunkedRun:
    """The inventory of a Parquet or CSV ledger in chunks: emission_lines.parquet, line_keys.parquet
    and inventory.json are written into the output set (published by the caller). With
    `groups`, also the ledger's rows summed per group (carbon/grouped.py) for the workbook."""
    context = open_context(request)
    plan = Plan(context)
    source = readers.ledger_source(
        Path(request.ledger), readers.table_schema("ledger"), categorical_columns()
    )
    total_rows = source.count_rows()
    of_total = f" of {total_rows:,}" if total_rows is not None else ""
    if has_instruments(source):
        progress("instrument coverage: first pass")
        for frame in chunks(source, chunk_rows):
            plan.add_coverage(scan(frame, context).coverage)
    coverage = plan.coverage if plan.coverage is not None else no_coverage()  # no coverage work
    parts: list[Totals] = []
    keys = LineKeyUnion()
    group_parts: list[pd.DataFrame] = []
    done, memory = 0, MemoryKeeper()
    with LinesWriter(outputs, "emission_lines.parquet") as writer:
        for frame in chunks(source, chunk_rows):
            progress(f"chunk at row {done + 1:,}{of_total}: validating, computing, writing")
            scanned = scan(frame, context, coverage=False)  # the first pass has the totals
            plan.add(scanned)
            done += len(frame)
            if not plan.clean or scanned.rows is None or scanned.rows.empty:
                continue  # keep validating the rest; nothing will be published
            computed = compute(scanned.rows, plan, coverage)
            writer.write(computed.lines.lines)
            # Only the aggregates are kept: the lines are on disk (a slice of them would keep the
            # whole chunk's frame alive, and memory would grow with the ledger).
            parts.append(computed.totals.keep(keys))
            if len(parts) == FOLD_PARTS:
                parts = [Totals.folded(parts)]
            if groups:
                group_parts.append(row_groups(computed.lines))
            memory.after_chunk()
        # The whole-ledger checks run while the writer finishes the last chunk's lines.
        source.finish()  # rows the reader could not split into the header's columns
        plan.check(source.ids_at)
    progress("aggregating")
    document, warnings = finish(plan, parts)
    write_line_keys(outputs, keys.table)
    write_atomically(
        outputs.path("inventory.json"), lambda stream: stream.write(to_json(document).encode("utf-8"))
    )
    if not groups:
        return ChunkedRun(document, warnings, None)
    assert context.organisation is not None  # check() has refused a bad organisation file
    line_files = {name: outputs.sha256(name) for name in ("emission_lines.parquet", "line_keys.parquet")}
    grouped = grouped_result(
        document,
        warnings,
        combine_groups(group_parts),
        keys.table,
        context.organisation,
        context.factor_set,
        request,
        line_files,
    )
    return ChunkedRun(document, warnings, grouped)
