"""Chunked inventory for large Parquet ledgers: bounded memory, the same results as in memory.

The ledger is read one chunk of rows at a time. Each chunk is validated (row numbers are the
file's), converted, matched against factors (cached by key: the distinct keys are few),
computed, written to the emission-lines Parquet file and reduced to aggregates; only the
aggregates are kept. Checks that need the whole ledger are done across chunks: record-id
uniqueness (64-bit hashes, values re-read only when a duplicate is found) and instrument
coverage (a light first pass, only when the ledger holds certificates or green power).

Nothing is published unless every chunk passes: lines go to a temporary file, renamed at the
end; a problem anywhere deletes it and raises with every problem found.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset
import pyarrow.parquet

from carbon import readers
from carbon.calculate import coverage_totals, emission_lines, fuel_to_energy
from carbon.errors import FactorNotFound, LedgerError, Problem
from carbon.factors import (
    KEY,
    key_stats,
    load_factor_set,
    missing_factor_problems,
    resolve_factor_set,
    select_factors,
)
from carbon.inventory import (
    LINE_GROUP,
    LINE_SUMS,
    ROW_GROUP,
    ROW_SUMS,
    aggregate_lines,
    aggregate_rows,
    combine,
    inventory_document,
    method_notes,
    year_summaries,
)
from carbon.ledger import (
    headcount_warnings,
    instrument_claims,
    load_organisation,
    repeated_claims,
    validate_table,
)
from carbon.outputs import OutputSet, to_json, write_atomically
from carbon.pipeline import InventoryRequest
from carbon.readers import MAX_ROWS_PER_CHECK, arrow_to_frame
from carbon.units import vocabulary

CHUNK_ROWS = 1_000_000


def _chunks(dataset: pyarrow.dataset.Dataset, file: str, chunk_rows: int) -> Iterator[pd.DataFrame]:
    first_row = 2
    for batch in readers.parquet_batches(dataset, file, chunk_rows):
        if batch.num_rows:
            yield arrow_to_frame(pa.Table.from_batches([batch]), first_row, file)
            first_row += batch.num_rows


def _has_instruments(dataset: pyarrow.dataset.Dataset, file: str) -> bool:
    kinds = [a for a, spec in vocabulary()["activities"].items() if "instrument_for" in spec]
    try:
        activity = dataset.to_table(columns=["activity"])["activity"]
    except Exception as error:  # noqa: BLE001 - a corrupt page in a file whose footer reads
        raise LedgerError([Problem(file, None, "activity", None, f"a readable Parquet column ({str(error)[:160]})")]) from None
    return bool(pa.compute.any(pa.compute.is_in(activity.cast(pa.string()), pa.array(kinds))).as_py())


class _KeyCache:
    """Factor selection per distinct key, done once per key across all chunks."""

    def __init__(self, factor_set, as_of):
        self.factor_set, self.as_of = factor_set, as_of
        self.keys = pd.DataFrame(columns=[*KEY, "key_id"])
        self.selected: list[pd.DataFrame] = []
        self.missing: dict[int, dict] = {}
        self.stats: list[pd.DataFrame] = []  # key_stats of every chunk, for messages

    def attach(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Select factors for keys never seen before, then give every row its global key id."""
        stats = key_stats(rows)
        self.add(stats[KEY])
        self.stats.append(stats)
        return assign_key_ids(rows, self.keys)

    def missing_problems(self, file: str) -> list[Problem]:
        if not self.missing:
            return []
        stats = pd.concat(self.stats).groupby(KEY, sort=False).agg(first_row=("first_row", "min"), rows=("rows", "sum")).reset_index()
        return missing_factor_problems(self.missing, stats.merge(self.keys, on=KEY), file)

    def add(self, keys: pd.DataFrame) -> None:
        known = keys.merge(self.keys, on=KEY, how="left")
        new = known[known["key_id"].isna()][KEY].drop_duplicates()
        if not new.empty:
            new = new.assign(key_id=np.arange(len(self.keys), len(self.keys) + len(new)))
            selected, missing = select_factors(new, self.factor_set, self.as_of)
            self.selected.append(selected)
            self.missing.update({m["key_id"]: m for m in missing})
            self.keys = pd.concat([self.keys, new], ignore_index=True)

    @property
    def all_selected(self) -> pd.DataFrame:
        return pd.concat(self.selected, ignore_index=True) if self.selected else pd.DataFrame()


STRING_DICTIONARY = pa.dictionary(pa.int32(), pa.string())


def _same_schema(table: pa.Table) -> pa.Table:
    """Text columns as dictionary<int32, string> in every chunk (pandas picks int8 or int16
    codes by the number of categories), so all chunks share one Parquet schema."""
    columns = [column.cast(STRING_DICTIONARY) if pa.types.is_dictionary(column.type) or pa.types.is_string(column.type)
               or pa.types.is_large_string(column.type) else column for column in table.columns]
    return pa.table(columns, names=table.column_names)


def _duplicate_problems(dataset: pyarrow.dataset.Dataset, file: str, hashes: list[np.ndarray],
                        row_numbers: list[np.ndarray]) -> list[Problem]:
    all_hashes, all_rows = np.concatenate(hashes), np.concatenate(row_numbers)
    order = np.argsort(all_hashes, kind="stable")
    sorted_hashes = all_hashes[order]
    repeated = sorted_hashes[1:] == sorted_hashes[:-1]
    if not repeated.any():
        return []
    # Only rows whose hash occurs more than once are looked at, in row order.
    candidates = np.isin(all_hashes, sorted_hashes[1:][repeated])
    rows_to_check = np.sort(all_rows[candidates])
    # Re-read the ids (only now, on the error path) to name the values and confirm real duplicates.
    ids = dataset.to_table(columns=["record_id"])["record_id"]
    problems, first_row_of = [], {}
    for row in rows_to_check:
        value = str(ids[int(row) - 2].as_py()).strip()
        if value in first_row_of:
            problems.append(Problem(file, int(row), "record_id", value, f"a unique record id (already used on row {first_row_of[value]})"))
        else:
            first_row_of[value] = int(row)
    return problems[:MAX_ROWS_PER_CHECK]


def run_inventory_chunked(request: InventoryRequest, outputs: OutputSet, progress: Callable[[str], None] = lambda stage: None,
                          chunk_rows: int = CHUNK_ROWS) -> tuple[dict, list[str]]:
    """The inventory of a Parquet ledger in chunks: emission_lines.parquet and inventory.json
    are written into the output set (published by the caller).

    Returns (document, warnings). Raises LedgerError / FactorNotFound with every problem of
    every chunk; the caller's output set then publishes nothing.
    """
    file = str(request.ledger)
    factor_set = load_factor_set(resolve_factor_set(request.factors, as_of=request.as_of))
    organisation, problems = load_organisation(request.organisation)
    dataset = readers.open_parquet(Path(request.ledger), readers.table_schema("ledger"))
    total_rows = dataset.count_rows()
    coverage = None
    if _has_instruments(dataset, file):
        progress("instrument coverage: first pass")
        parts = []
        for frame in _chunks(dataset, file, chunk_rows):
            ledger, _ = validate_table(frame, file, check_record_ids=False)
            if ledger is not None and not ledger.rows.empty:
                parts.append(coverage_totals(fuel_to_energy(ledger.rows, factor_set), factor_set))
        coverage = (pd.concat(parts).groupby(["year", "market", "covered"], as_index=False)[["demand", "supply"]].sum()
                    if parts else None)

    cache = _KeyCache(factor_set, request.as_of)
    hashes, row_numbers, claims, line_parts, row_parts, years = [], [], [], [], [], set()
    lines_path = outputs.path("emission_lines.parquet")
    writer, done = None, 0
    for frame in _chunks(dataset, file, chunk_rows):
        progress(f"chunk at row {done + 1:,} of {total_rows:,}: validating, computing, writing")
        hashes.append(pd.util.hash_pandas_object(frame["record_id"], index=False).to_numpy())
        row_numbers.append(frame["_row"].to_numpy())
        claims.append(instrument_claims(frame))
        ledger, chunk_problems = validate_table(frame, file, check_record_ids=False)
        problems += chunk_problems
        done += len(frame)
        if ledger is None or ledger.rows.empty:
            continue
        rows = cache.attach(fuel_to_energy(ledger.rows, factor_set))
        years |= set(int(y) for y in rows["year"].unique())
        if problems or cache.missing:
            continue  # keep validating the rest, publish nothing
        lines = emission_lines(rows, cache.all_selected, factor_set, request.gwp, coverage)
        table = _same_schema(pa.Table.from_pandas(lines, preserve_index=False))
        if writer is None:
            writer = pyarrow.parquet.ParquetWriter(lines_path, table.schema)
        writer.write_table(table.cast(writer.schema))
        line_parts.append(aggregate_lines(lines))
        row_parts.append(aggregate_rows(rows))
    if writer is not None:
        writer.close()
    if hashes:
        problems += _duplicate_problems(dataset, file, hashes, row_numbers)
        problems += repeated_claims(pd.concat(claims, ignore_index=True), file)
    if done == 0 and not problems:
        problems.append(Problem(file, None, None, None, "at least one activity row"))
    if problems:
        raise LedgerError(problems + cache.missing_problems(file), "The inputs have problems; nothing was written")
    if cache.missing:
        raise FactorNotFound(cache.missing_problems(file), "No emission factor for some ledger rows; nothing was written")
    progress("aggregating")
    document, warnings = finish(request, factor_set, organisation, line_parts, row_parts, years)
    write_atomically(outputs.path("inventory.json"), lambda stream: stream.write(to_json(document).encode("utf-8")))
    return document, warnings


def finish(request: InventoryRequest, factor_set, organisation, line_parts: list[pd.DataFrame], row_parts: list[pd.DataFrame],
           years: set[int]) -> tuple[dict, list[str]]:
    """The inventory document from per-chunk (or per-partition) aggregates."""
    lines_total, rows_total = combine(line_parts, LINE_GROUP, LINE_SUMS), combine(row_parts, ROW_GROUP, ROW_SUMS)
    warnings = headcount_warnings(years, organisation)
    notes = method_notes(lines_total, rows_total, factor_set, request.gwp, request.as_of) + warnings
    document = inventory_document(request.organisation_name, request.gwp, request.as_of, factor_set,
                                  year_summaries(lines_total, rows_total, organisation), notes)
    return document, warnings


def assign_key_ids(rows: pd.DataFrame, keys: pd.DataFrame) -> pd.DataFrame:
    """Global key ids for a chunk's rows: group on categorical codes, map the few local keys."""
    local = rows.groupby(KEY, observed=True, sort=False).ngroup().to_numpy()
    distinct = rows[KEY].iloc[np.unique(local, return_index=True)[1]]
    distinct = distinct.astype({k: "object" for k in KEY if k != "year"}).reset_index(drop=True)
    known = distinct.merge(keys, on=KEY, how="left")
    return rows.assign(key_id=known["key_id"].to_numpy().astype(np.int64)[local])
