"""`--engine dask`: the chunked inventory over a partitioned Parquet ledger, on Dask.

Partitions are the row groups of the ledger's Parquet files (a file, or a folder of files in
name order); row numbers are global, so messages are the same as the pandas engine's. Two
map steps run on the workers with the same per-chunk functions as the chunked pandas path:

1. scan:    validate, hash record ids, collect distinct keys and instrument coverage;
   then on the client: record-id duplicates across partitions, one factor selection for all
   keys, missing factors, coverage totals. Any problem stops here; nothing is written.
2. compute: emission lines per partition, written to emission_lines/part-NNNNN.parquet, and
   their aggregates; the client combines the aggregates exactly as the pandas path does.

A LocalCluster (2 worker processes) is started unless `scheduler` names a running Dask
scheduler (e.g. tcp://10.0.0.5:8786); its workers need carbon-inventory installed and read
access to the ledger path and the output folder.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet

from carbon import readers
from carbon.calculate import coverage_totals, emission_lines, fuel_to_energy
from carbon.errors import CarbonError, FactorNotFound, LedgerError, Problem
from carbon.factors import (
    KEY,
    FactorSet,
    key_stats,
    load_factor_set,
    missing_factor_problems,
    resolve_factor_set,
    select_factors,
)
from carbon.inventory import aggregate_lines, aggregate_rows
from carbon.ledger import (
    instrument_claims,
    load_organisation,
    repeated_claims,
    validate_table,
)
from carbon.outputs import OutputSet, to_json, write_atomically
from carbon.pipeline import InventoryRequest
from carbon.readers import arrow_to_frame
from carbon.streaming import _duplicate_problems, _same_schema, assign_key_ids, finish


def partitions(path: Path) -> list[tuple[str, int, int]]:
    """(file, row group, first row number) for every row group, rows numbered across files.
    The files were opened and checked by readers.open_parquet first."""
    parts, first_row = [], 2
    for file in readers.parquet_files(Path(path)):
        metadata = pyarrow.parquet.ParquetFile(file).metadata
        for group in range(metadata.num_row_groups):
            parts.append((str(file), group, first_row))
            first_row += metadata.row_group(group).num_rows
    return parts


def _read(part: tuple[str, int, int]) -> pd.DataFrame:
    file, group, first_row = part
    try:
        arrow = pyarrow.parquet.ParquetFile(file).read_row_group(group)
    except Exception as error:  # noqa: BLE001 - a corrupt page in a file whose footer reads
        raise LedgerError([Problem(file, None, None, None, f"a readable Parquet file ({str(error)[:160]})")]) from None
    return arrow_to_frame(arrow, first_row, file)


def scan_partition(part, label: str, factor_set: FactorSet) -> dict:
    frame = _read(part)
    ledger, problems = validate_table(frame, label, check_record_ids=False)
    scan = {"problems": problems, "hashes": pd.util.hash_pandas_object(frame["record_id"], index=False).to_numpy(),
            "claims": instrument_claims(frame),
            "rows": frame["_row"].to_numpy(), "keys": None, "coverage": None, "years": set()}
    if ledger is not None and not ledger.rows.empty:
        rows = fuel_to_energy(ledger.rows, factor_set)
        scan.update(keys=key_stats(rows), coverage=coverage_totals(rows, factor_set),
                    years={int(y) for y in rows["year"].unique()})
    return scan


def compute_partition(part, index: int, label: str, factor_set: FactorSet, keys: pd.DataFrame, selected: pd.DataFrame,
                      coverage: pd.DataFrame, gwp: str, lines_dir: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    ledger, _ = validate_table(_read(part), label, check_record_ids=False)
    if ledger is None or ledger.rows.empty:
        return pd.DataFrame(), pd.DataFrame()
    rows = assign_key_ids(fuel_to_energy(ledger.rows, factor_set), keys)
    lines = emission_lines(rows, selected, factor_set, gwp, coverage)
    table = _same_schema(pa.Table.from_pandas(lines, preserve_index=False))
    pyarrow.parquet.write_table(table, Path(lines_dir) / f"part-{index:05d}.parquet")
    return aggregate_lines(lines), aggregate_rows(rows)


# Seconds to wait for a scheduler given with --scheduler before saying it cannot be reached.
CONNECT_TIMEOUT = 10


def _client(scheduler: str | None):
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise CarbonError("--engine dask needs Dask: pip install 'carbon-inventory[dask]' (dask[distributed])") from None
    if scheduler:
        if "://" not in scheduler or not scheduler.split("://", 1)[1]:
            raise CarbonError(f"--scheduler {scheduler!r}: expected a scheduler address such as tcp://10.0.0.5:8786")
        try:
            return Client(scheduler, timeout=CONNECT_TIMEOUT), None
        except Exception as error:  # noqa: BLE001 - any connection failure: the scheduler cannot be reached
            raise CarbonError(f"--scheduler {scheduler}: cannot reach the Dask scheduler within {CONNECT_TIMEOUT} s "
                              f"({error.__class__.__name__}: {str(error)[:160]}); is it running, and is the address right?") from None
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    return Client(cluster), cluster


def run_inventory_dask(request: InventoryRequest, outputs: OutputSet, scheduler: str | None = None,
                       progress: Callable[[str], None] = lambda stage: None) -> tuple[dict, list[str]]:
    """The inventory on Dask: emission_lines/ (one Parquet file per partition) and inventory.json
    are written into the output set (published by the caller)."""
    label = str(request.ledger)
    factor_set = load_factor_set(resolve_factor_set(request.factors, as_of=request.as_of))
    organisation, problems = load_organisation(request.organisation)
    dataset = readers.open_parquet(Path(request.ledger), readers.table_schema("ledger"))
    parts = partitions(request.ledger)
    progress(f"starting Dask ({scheduler or 'local cluster'}) for {len(parts)} partitions")
    client, cluster = _client(scheduler)
    try:
        shared = client.scatter(factor_set, broadcast=True)
        progress(f"scanning {len(parts)} partitions")
        scans = client.gather(client.map(scan_partition, parts, label=label, factor_set=shared, pure=False))
        problems += [p for scan in scans for p in scan["problems"]]
        if scans:
            problems += _duplicate_problems(dataset, label, [s["hashes"] for s in scans], [s["rows"] for s in scans])
            problems += repeated_claims(pd.concat([s["claims"] for s in scans], ignore_index=True), label)
        found = [s["keys"] for s in scans if s["keys"] is not None]
        keys = (pd.concat(found).groupby(KEY, sort=False).agg(first_row=("first_row", "min"), rows=("rows", "sum")).reset_index()
                if found else pd.DataFrame(columns=[*KEY, "first_row", "rows"]))
        keys["key_id"] = np.arange(len(keys))
        selected, missing = select_factors(keys[[*KEY, "key_id"]], factor_set, request.as_of)
        missing_problems = missing_factor_problems({m["key_id"]: m for m in missing}, keys, label)
        if not found and not problems:
            problems.append(Problem(label, None, None, None, "at least one activity row"))
        if problems:
            raise LedgerError(problems + missing_problems, "The inputs have problems; nothing was written")
        if missing_problems:
            raise FactorNotFound(missing_problems, "No emission factor for some ledger rows; nothing was written")
        coverage = pd.concat([s["coverage"] for s in scans if s["coverage"] is not None]).groupby(
            ["year", "market", "covered"], as_index=False)[["demand", "supply"]].sum()
        lines_dir = outputs.path("emission_lines")
        lines_dir.mkdir()
        progress(f"computing {len(parts)} partitions")
        shared_keys, shared_selected = client.scatter(keys[[*KEY, "key_id"]], broadcast=True), client.scatter(selected, broadcast=True)
        results = client.gather(client.map(compute_partition, parts, range(len(parts)), label=label, factor_set=shared,
                                           keys=shared_keys, selected=shared_selected, coverage=coverage, gwp=request.gwp,
                                           lines_dir=str(lines_dir), pure=False))
        progress("aggregating")
        line_parts = [lines for lines, _ in results if not lines.empty]
        row_parts = [rows for _, rows in results if not rows.empty]
        years = set().union(*(s["years"] for s in scans))
        document, warnings = finish(request, factor_set, organisation, line_parts, row_parts, years)
        write_atomically(outputs.path("inventory.json"), lambda stream: stream.write(to_json(document).encode("utf-8")))
        return document, warnings
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
