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

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet

from carbon.calculate import coverage_totals, emission_lines, fuel_to_energy
from carbon.errors import CarbonError, FactorNotFound, LedgerError, Problem
from carbon.factors import KEY, FactorSet, key_stats, load_factor_set, missing_factor_problems, resolve_factor_set, select_factors
from carbon.inventory import aggregate_lines, aggregate_rows
from carbon.ledger import arrow_to_frame, load_organisation, validate_table
from carbon.pipeline import InventoryRequest
from carbon.report import publish, to_json, write_atomically
from carbon.streaming import _duplicate_problems, _same_schema, assign_key_ids, finish


def partitions(path: Path) -> list[tuple[str, int, int]]:
    """(file, row group, first row number) for every row group, rows numbered across files."""
    path = Path(path)
    files = sorted(path.glob("**/*.parquet")) if path.is_dir() else [path]
    if not files:
        raise LedgerError([Problem(str(path), None, None, None, "a Parquet file or a folder of .parquet files")])
    parts, first_row = [], 2
    for file in files:
        metadata = pyarrow.parquet.ParquetFile(file).metadata
        for group in range(metadata.num_row_groups):
            parts.append((str(file), group, first_row))
            first_row += metadata.row_group(group).num_rows
    return parts


def _read(part: tuple[str, int, int]) -> pd.DataFrame:
    file, group, first_row = part
    return arrow_to_frame(pyarrow.parquet.ParquetFile(file).read_row_group(group), first_row)


def scan_partition(part, label: str, factor_set: FactorSet) -> dict:
    frame = _read(part)
    ledger, problems = validate_table(frame, label, check_record_ids=False)
    scan = {"problems": problems, "hashes": pd.util.hash_pandas_object(frame["record_id"], index=False).to_numpy(),
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


def _client(scheduler: str | None):
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise CarbonError("--engine dask needs Dask: pip install 'carbon-inventory[dask]' (dask[distributed])") from None
    if scheduler:
        return Client(scheduler), None
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    return Client(cluster), cluster


def run_inventory_dask(request: InventoryRequest, out_dir: Path, scheduler: str | None = None,
                       progress: Callable[[str], None] = lambda stage: None) -> tuple[dict, list[str], list[Path]]:
    """The inventory on Dask; writes emission_lines/ (one Parquet file per partition) and inventory.json."""
    label = str(request.ledger)
    factor_set = load_factor_set(resolve_factor_set(request.factors))
    organisation, problems = load_organisation(request.organisation)
    parts = partitions(request.ledger)
    progress(f"starting Dask ({scheduler or 'local cluster'}) for {len(parts)} partitions")
    client, cluster = _client(scheduler)
    try:
        shared = client.scatter(factor_set, broadcast=True)
        progress(f"scanning {len(parts)} partitions")
        scans = client.gather(client.map(scan_partition, parts, label=label, factor_set=shared, pure=False))
        problems += [p for scan in scans for p in scan["problems"]]
        problems += _duplicate_problems(Path(request.ledger), label, [s["hashes"] for s in scans], [s["rows"] for s in scans])
        found = [s["keys"] for s in scans if s["keys"] is not None]
        keys = (pd.concat(found).groupby(KEY, sort=False).agg(first_row=("first_row", "min"), rows=("rows", "sum")).reset_index()
                if found else pd.DataFrame(columns=[*KEY, "first_row", "rows"]))
        keys["key_id"] = np.arange(len(keys))
        selected, missing = select_factors(keys[[*KEY, "key_id"]], factor_set, request.as_of)
        missing_problems = missing_factor_problems({m["key_id"]: m["expected"] for m in missing}, keys, label)
        if not found and not problems:
            problems.append(Problem(label, None, None, None, "at least one activity row"))
        if problems:
            raise LedgerError(problems + missing_problems, "The inputs have problems; nothing was written")
        if missing_problems:
            raise FactorNotFound(missing_problems, "No emission factor for some ledger rows; nothing was written")
        coverage = pd.concat([s["coverage"] for s in scans if s["coverage"] is not None]).groupby(
            ["year", "market", "covered"], as_index=False)[["demand", "supply"]].sum()
        out_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".emission_lines.", dir=out_dir))
        try:
            progress(f"computing {len(parts)} partitions")
            shared_keys, shared_selected = client.scatter(keys[[*KEY, "key_id"]], broadcast=True), client.scatter(selected, broadcast=True)
            results = client.gather(client.map(compute_partition, parts, range(len(parts)), label=label, factor_set=shared,
                                               keys=shared_keys, selected=shared_selected, coverage=coverage, gwp=request.gwp,
                                               lines_dir=str(staging), pure=False))
            progress("aggregating")
            line_parts = [lines for lines, _ in results if not lines.empty]
            row_parts = [rows for _, rows in results if not rows.empty]
            years = set().union(*(s["years"] for s in scans))
            document, warnings = finish(request, factor_set, organisation, line_parts, row_parts, years)
            lines_dir = out_dir / "emission_lines"
            if lines_dir.exists():
                shutil.rmtree(lines_dir)
            publish(staging, lines_dir)
        finally:
            if staging.exists():
                shutil.rmtree(staging)
        json_path = out_dir / "inventory.json"
        write_atomically(json_path, lambda stream: stream.write(to_json(document).encode("utf-8")))
        return document, warnings, [lines_dir, json_path]
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
