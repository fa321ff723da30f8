"""`carbon trace`: the emission lines of one ledger record, read back from a published output
set with their full provenance (factor, source, GWP, conversion, ledger file and row).

A Parquet run writes its lines normalised: emission_lines.parquet (or the folder emission_lines/
of a Dask run) holds each line's ledger row and numbers and a `line_key`; line_keys.parquet holds
what every line of a key shares. One join restores the full line. A CSV run's
emission_lines.csv already holds full lines.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv
import pyarrow.dataset

from carbon.calculate import LINE_COLUMNS, joined
from carbon.errors import CarbonError, LedgerError, Problem

# The number columns of a full emission line, with their types (every other column is text, even
# when it looks like a number: a factor set version 2026.2, a Scope 3 category 1, a factor value
# as printed, 0.7120). Typed, never inferred: pyarrow guesses from the first block.
NUMERIC_COLUMNS = {
    "year": pa.int64(),
    "scope": pa.int64(),
    "ledger_row": pa.int64(),
    "factor_data_year": pa.int64(),
    "quantity": pa.float64(),
    "quantity_canonical": pa.float64(),
    "gwp": pa.float64(),
    "applied_share": pa.float64(),
    "emissions_t_gas": pa.float64(),
    "tco2e": pa.float64(),
}


def _lines_file(out: Path) -> Path:
    for name in ("emission_lines.parquet", "emission_lines", "emission_lines.csv"):
        if (out / name).exists():
            return out / name
    raise LedgerError(
        [
            Problem(
                str(out),
                None,
                None,
                None,
                "a published inventory (emission_lines.csv, emission_lines.parquet or emission_lines/): "
                "run `carbon inventory --out` with this folder first",
            )
        ]
    )


def _matching(dataset: pyarrow.dataset.Dataset, record_id: str) -> pa.Table:
    """The lines whose record id is `record_id` (ids are compared as the ledger reader trims them;
    in a CSV an id that begins like a formula was written with an apostrophe in front)."""
    column = pc.field("record_id")
    return dataset.to_table(filter=(column == record_id) | (column == "'" + record_id))


def _published_run(out: Path) -> Path:
    """The run folder `latest` points at, resolved once: lines and keys come from one run even
    when another run publishes meanwhile."""
    latest = out / "latest"
    return latest.resolve() if latest.is_symlink() and latest.resolve().is_dir() else out


def record_lines(out: Path, record_id: str) -> pd.DataFrame:
    """The full emission lines (LINE_COLUMNS and line_key where there is one) of one record."""
    out = _published_run(out)
    path = _lines_file(out)
    if path.suffix == ".csv":
        types = {n: NUMERIC_COLUMNS.get(n, pa.string()) for n in LINE_COLUMNS}
        convert = pyarrow.csv.ConvertOptions(column_types=types, strings_can_be_null=False)
        dataset = pyarrow.dataset.dataset(path, format=pyarrow.dataset.CsvFileFormat(convert_options=convert))
        lines = _matching(dataset, record_id).to_pandas()[LINE_COLUMNS]
        return lines.assign(record_id=record_id)
    keys_path = out / "line_keys.parquet"
    if not keys_path.is_file():
        raise LedgerError(
            [Problem(str(out), None, None, None, f"line_keys.parquet beside {path.name} (run incomplete)")]
        )
    lines = _matching(pyarrow.dataset.dataset(path, format="parquet"), record_id).to_pandas()
    keys = pd.read_parquet(keys_path)
    full = joined(lines, keys)
    unknown = ~lines["line_key"].isin(keys["line_key"])
    if unknown.any():
        raise CarbonError(f"{path}: {int(unknown.sum())} lines refer to line keys not in {keys_path}")
    return full.assign(
        line_key=lines["line_key"].to_numpy(), factor_published=full["factor_published"].astype(str)
    )


def as_records(lines: pd.DataFrame) -> list[dict]:
    """Lines as JSON-ready records: Python numbers at full precision, text as text."""
    return [
        {name: value.item() if hasattr(value, "item") else value for name, value in row.items()}
        for row in lines.astype(object).to_dict(orient="records")
    ]
