"""`--engine dask`: the chunked inventory over a partitioned Parquet ledger, on Dask.

Partitions are runs of row groups of the ledger's Parquet files (a file, or a folder of files
in name order) of about a chunk's rows; row numbers are global, so messages are the same as
the pandas engine's. Each partition is read and validated once, on a worker, by the engine's
steps (carbon/engine.py):

- scan and compute: the partition's facts (problems, record-id hashes, keys), factors selected
  for its own keys (selection is per key, so a worker chooses what the whole run would), and,
  when the partition is clean, its emission lines written to emission_lines/part-NNNNN.parquet
  and their aggregates;
- on the client the plan takes every partition's facts: record ids and certificate claims
  across partitions, missing factors. Any problem stops the run, and the lines written so far
  are discarded with the output set; otherwise the client finishes the inventory from the
  aggregates, as every run does.

Instrument coverage needs the totals of the whole ledger before any line: a ledger with
certificates or green power gets a first pass for those totals (as the chunked run does).

A LocalCluster (2 worker processes) is started unless `scheduler` names a running Dask
scheduler (e.g. tcp://10.0.0.5:8786); its workers need carbon-inventory installed and read
access to the ledger path and the output folder.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from pathlib import Path
from typing import NamedTuple

import pandas as pd
import pyarrow as pa
import pyarrow.parquet

from carbon import readers
from carbon.calculate import LineKeyUnion, no_coverage
from carbon.engine import (
    Context,
    InventoryRequest,
    Plan,
    Scanned,
    Totals,
    compute,
    finish,
    open_context,
    scan,
)
from carbon.errors import CarbonError, LedgerError, Problem
from carbon.models.inventory import Inventory
from carbon.outputs import HashingFile, OutputSet, to_json, write_atomically, write_line_keys
from carbon.readers import arrow_to_frame
from carbon.streaming import has_instruments, lines_table, parquet_options

# Rows per Dask partition: a task per 250,000-row group spent more on tasks than on rows.
PARTITION_ROWS = 1_000_000


def partitions(path: Path, rows: int = PARTITION_ROWS) -> list[tuple[str, tuple[int, ...], int]]:
    """(file, row groups, first row number) for runs of consecutive row groups of one file of
    about `rows` rows (a task per row group of 250,000 rows spent more on tasks than on rows),
    rows numbered across files. The files were opened and checked by readers.open_parquet."""
    parts, first_row = [], 2
    for file in readers.parquet_files(Path(path)):
        metadata = pyarrow.parquet.ParquetFile(file).metadata
        groups: list[int] = []
        start = first_row
        for group in range(metadata.num_row_groups):
            groups.append(group)
            first_row += metadata.row_group(group).num_rows
            if first_row - start >= rows:
                parts.append((str(file), tuple(groups), start))
                groups, start = [], first_row
        if groups:
            parts.append((str(file), tuple(groups), start))
    return parts


def _read(part: tuple[str, tuple[int, ...], int]) -> pd.DataFrame:
    file, groups, first_row = part
    try:
        arrow = pyarrow.parquet.ParquetFile(file, pre_buffer=False).read_row_groups(list(groups))
    except Exception as error:  # noqa: BLE001 - a corrupt page in a file whose footer reads
        raise LedgerError(
            [Problem(file, None, None, None, f"a readable Parquet file ({str(error)[:160]})")]
        ) from None
    return arrow_to_frame(arrow, first_row, file)


def coverage_partition(part, context: Context) -> pd.DataFrame | None:
    """First pass of a ledger with instruments: the partition's instrument and use totals."""
    return scan(_read(part), context).coverage


class Partition(NamedTuple):
    """What a worker returns of a partition: its facts for the plan and, when it was clean, its
    lines' aggregates, and the sha256 of its lines file as written (for the manifest)."""

    scanned: Scanned
    totals: Totals | None
    sha256: str | None


LINES_DIR = "emission_lines"


def part_file(index: int) -> str:
    return f"part-{index:05d}.parquet"


def scan_and_compute_partition(
    part, index: int, context: Context, coverage: pd.DataFrame, lines_dir: str
) -> Partition:
    """On a worker: the partition's facts for the plan and, if it is clean, its lines written to
    lines_dir/part-NNNNN.parquet and their aggregates."""
    scanned = scan(_read(part), context, coverage=False)
    local = Plan(context)
    local.add(scanned)
    if not local.clean or scanned.rows is None or scanned.rows.empty:
        return Partition(scanned.without_rows(), None, None)  # the client's plan names the problems
    computed = compute(scanned.rows, local, coverage)
    table = lines_table(computed.lines.lines)
    sink = HashingFile(Path(lines_dir) / part_file(index))
    try:
        pyarrow.parquet.write_table(table, pa.PythonFile(sink, mode="w"), **parquet_options(table.schema))
    finally:
        sink.close()
    return Partition(scanned.without_rows(), computed.totals, sink.hexdigest())


def _collect(futures: list, outputs: OutputSet) -> tuple[list[Scanned], list[Totals], LineKeyUnion]:
    """Partition results as they complete (each is released once taken in: the client never
    holds every partition's line keys at once), returned in partition order; the sha256 of each
    lines file goes to the output set."""
    from dask.distributed import as_completed

    position = {future.key: i for i, future in enumerate(futures)}
    scans: list[Scanned | None] = [None] * len(futures)
    computed: list[Totals | None] = [None] * len(futures)
    keys = LineKeyUnion()
    for future, result in as_completed(futures, with_results=True):
        i = position[future.key]
        scans[i] = result.scanned
        if result.totals is not None:
            computed[i] = result.totals.keep(keys)
        if result.sha256 is not None:
            outputs.record_sha256(f"{LINES_DIR}/{part_file(i)}", result.sha256)
        future.release()
    return [s for s in scans if s is not None], [t for t in computed if t is not None], keys


# Seconds to wait for a scheduler given with --scheduler before saying it cannot be reached.
CONNECT_TIMEOUT = 10


def _client(scheduler: str | None):
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise CarbonError(
            "--engine dask needs Dask: pip install 'carbon-inventory[dask]' (dask[distributed])"
        ) from None
    if scheduler:
        if "://" not in scheduler or not scheduler.split("://", 1)[1]:
            raise CarbonError(
                f"--scheduler {scheduler!r}: expected a scheduler address such as tcp://10.0.0.5:8786"
            )
        try:
            return Client(scheduler, timeout=CONNECT_TIMEOUT), None
        except Exception as error:  # noqa: BLE001 - any connection failure: the scheduler cannot be reached
            raise CarbonError(
                f"--scheduler {scheduler}: cannot reach the Dask scheduler within {CONNECT_TIMEOUT} s "
                f"({error.__class__.__name__}: {str(error)[:160]}); is it running, and is the address right?"
            ) from None
    import dask

    # Dask starts workers with MALLOC_TRIM_THRESHOLD_=65536: glibc then returns freed memory at
    # once and faults it back in for the next partition; on the 10M-row ledger that doubled
    # the workers' system time. Each task frees its partition's frames anyway.
    with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    return Client(cluster), cluster


def run_inventory_dask(
    request: InventoryRequest,
    outputs: OutputSet,
    scheduler: str | None = None,
    progress: Callable[[str], None] = lambda stage: None,
) -> tuple[Inventory, list[str]]:
    """The inventory on Dask: emission_lines/ (one Parquet file per partition) and inventory.json
    are written into the output set (published by the caller)."""
    context = open_context(request)
    plan = Plan(context)
    source = readers.ParquetSource(Path(request.ledger), readers.table_schema("ledger"))
    parts = partitions(request.ledger)
    progress(f"starting Dask ({scheduler or 'local cluster'}) for {len(parts)} partitions")
    # The cluster starts (about a second) while this process reads the ledger for instruments.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="dask-start") as starter:
        starting = starter.submit(_client, scheduler)
        try:
            instruments = has_instruments(source)
        except BaseException:  # a ledger that cannot be read: the cluster is stopped, then the error
            with suppress(Exception):
                _close(*starting.result())
            raise
        client, cluster = starting.result()  # a failed start is raised here
    try:
        shared = client.scatter(context, broadcast=True)
        coverage = no_coverage()
        if instruments:
            progress(f"instrument coverage: first pass over {len(parts)} partitions")
            for totals in client.gather(client.map(coverage_partition, parts, context=shared, pure=False)):
                plan.add_coverage(totals)
            coverage = plan.coverage if plan.coverage is not None else no_coverage()
        lines_dir = outputs.path(LINES_DIR)
        lines_dir.mkdir()
        progress(f"validating and computing {len(parts)} partitions")
        futures = client.map(
            scan_and_compute_partition,
            parts,
            range(len(parts)),
            context=shared,
            coverage=coverage,
            lines_dir=str(lines_dir),
            pure=False,
        )
        scans, computed, keys = _collect(futures, outputs)
        for scanned in scans:  # in partition order: row numbers and problems as the pandas engine has them
            plan.add(scanned)
        plan.check(source.ids_at)
        progress("aggregating")
        document, warnings = finish(plan, computed)
        write_line_keys(outputs, keys.table)
        write_atomically(
            outputs.path("inventory.json"), lambda stream: stream.write(to_json(document).encode("utf-8"))
        )
        return document, warnings
    finally:
        _close(client, cluster)


def _close(client, cluster) -> None:
    client.close()
    if cluster is not None:
        cluster.close()
