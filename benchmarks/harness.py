"""Scale benchmark: the engine end to end against a NumPy floor and a per-record baseline.

    python benchmarks/harness.py                      # N = 1e5, 1e6, 1e7
    python benchmarks/harness.py --sizes 1e5 1e6      # a quicker run

For each N (ledgers from benchmarks/generate.py, cached in benchmarks/data/):
- engine:   `carbon inventory --ledger ledger.parquet --format json` as a whole process (read,
            validate, convert, match factors, compute, aggregate, write outputs); wall time,
            rows/s and peak memory (max RSS of the process);
- floor:    NumPy on the same file: read the needed columns, integer codes for (activity,
            region, year, unit, waste type, route), one factor lookup by array indexing, one
            multiply, bincount per year; timed from the read to the result (no interpreter start);
- baseline: a Python loop building a pint Quantity per row and multiplying by its factor,
            timed on a sample and extrapolated to N.
It prints a table with the ratios engine/floor and baseline/engine and writes
benchmarks/results.json. It asserts nothing: it reports.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from generate import write as generate_ledger  # noqa: E402

AS_OF = "2026-06-30"
CHILD = (
    "import json, resource, subprocess, sys, time; start = time.perf_counter(); "
    "done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True); "
    "seconds = time.perf_counter() - start; "
    "print(json.dumps({'seconds': seconds, 'rc': done.returncode, 'stderr': done.stderr[-2000:], "
    "'peak_mb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))"
)


def measure(argv: list[str]) -> dict:
    """Run a command in a fresh process; wall seconds and its peak resident memory."""
    out = subprocess.run([sys.executable, "-c", CHILD, *argv], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def ledger_for(rows: int, data: Path) -> Path:
    path = data / f"ledger-{rows:.0e}.parquet".replace("+0", "")
    if not path.is_file():
        print(f"generating {rows:,} rows -> {path}", flush=True)
        generate_ledger(rows, path)
    return path


# ---------------------------------------------------------------- NumPy floor

KEY = ["activity", "region", "year", "unit", "waste_type", "route"]


def factor_lookup(ledger: Path) -> dict:
    """tCO2e (location view) per unit of quantity for every key combination in the ledger,
    computed by the engine itself on a one-row-per-combination ledger."""
    import pyarrow.parquet as pq

    from carbon.engine import InventoryRequest, run_inventory

    combos = (
        pq.read_table(ledger, columns=KEY).to_pandas().astype(str).drop_duplicates().reset_index(drop=True)
    )
    with tempfile.TemporaryDirectory() as folder:
        small = combos.assign(record_id=[f"c{i}" for i in range(len(combos))], quantity=1.0, source="lookup")
        small.to_csv(Path(folder) / "activity.csv", index=False)
        result = run_inventory(
            InventoryRequest(
                Path(folder) / "activity.csv",
                ledger.parent / "organisation.csv",
                "lookup",
                as_of=date.fromisoformat(AS_OF),
            )
        )
    lines = result.lines[(result.lines["scope"] != 2) | (result.lines["method"] == "location")]
    per_record = lines.groupby(lines["record_id"].astype(str))["tco2e"].sum()
    return {tuple(row[k] for k in KEY): float(per_record[f"c{i}"]) for i, row in combos.iterrows()}


def numpy_floor(ledger: Path, lookup: dict) -> dict:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    start = time.perf_counter()
    table = pq.read_table(ledger, columns=[*KEY, "quantity"]).unify_dictionaries()
    codes, dictionaries = [], []
    for column in KEY:
        array = table[column].combine_chunks()
        if pa.types.is_dictionary(array.type):
            codes.append(array.indices.to_numpy(zero_copy_only=False).astype(np.intp))
            dictionaries.append([str(v) for v in array.dictionary.to_pylist()])
        else:  # year: integer codes from the distinct values
            values = array.to_numpy()
            distinct, inverse = np.unique(values, return_inverse=True)
            codes.append(inverse)
            dictionaries.append([str(v) for v in distinct])
    shape = tuple(len(d) for d in dictionaries)
    factors = np.zeros(shape)
    for key, value in lookup.items():  # a few hundred entries: the factor table
        factors[tuple(d.index(k) for d, k in zip(dictionaries, key, strict=True))] = value
    quantity = table["quantity"].to_numpy()
    emissions = quantity * factors[tuple(codes)]
    totals = np.bincount(codes[2], weights=emissions, minlength=shape[2])
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "totals": dict(zip(dictionaries[2], totals.tolist(), strict=True))}


# ---------------------------------------------------------------- per-record baseline


def per_record_baseline(ledger: Path, lookup: dict, rows: int, sample: int) -> dict:
    import pyarrow.parquet as pq

    from carbon.units import REGISTRY

    frame = (
        pq.read_table(ledger, columns=[*KEY, "quantity"])
        .slice(0, sample)
        .to_pandas()
        .astype({c: str for c in KEY})
    )
    records = list(frame.itertuples(index=False))
    start = time.perf_counter()
    total = 0.0
    for record in records:  # the way a per-record engine works: unit objects per row
        quantity = REGISTRY.Quantity(record.quantity, record.unit)
        factor = REGISTRY.Quantity(lookup[tuple(getattr(record, k) for k in KEY)], f"tCO2e/({record.unit})")
        total += (quantity * factor).to("tCO2e").magnitude
    seconds = time.perf_counter() - start
    return {"sample_rows": len(records), "sample_seconds": seconds, "seconds": seconds / len(records) * rows}


# ---------------------------------------------------------------- run


def run(sizes: list[int], data: Path, sample: int) -> list[dict]:
    results = []
    startup = measure([sys.executable, "-c", "import carbon.cli"])["seconds"]
    for rows in sizes:
        ledger = ledger_for(rows, data)
        with tempfile.TemporaryDirectory() as out:
            engine = measure(
                [
                    sys.executable,
                    "-m",
                    "carbon",
                    "inventory",
                    "--ledger",
                    str(ledger),
                    "--organisation",
                    str(ledger.parent / "organisation.csv"),
                    "--as-of",
                    AS_OF,
                    "--format",
                    "json",
                    "--out",
                    out,
                    "--quiet",
                ]
            )
            if engine["rc"] != 0:
                raise SystemExit(f"engine failed on {ledger}: {engine['stderr']}")
            inventory = json.loads((Path(out) / "inventory.json").read_text())
        lookup = factor_lookup(ledger)
        floor = numpy_floor(ledger, lookup)
        # The floor must compute the same thing: its per-year totals against the engine's total_location.
        agreement = max(
            abs(floor["totals"][str(y["year"])] - y["total_location"]) / y["total_location"]
            for y in inventory["years"]
        )
        baseline = per_record_baseline(ledger, lookup, rows, sample)
        results.append(
            {
                "rows": rows,
                "engine_seconds": engine["seconds"],
                "engine_rows_per_second": rows / engine["seconds"],
                "engine_peak_mb": engine["peak_mb"],
                "interpreter_and_import_seconds": startup,
                "floor_seconds": floor["seconds"],
                "baseline_seconds_extrapolated": baseline["seconds"],
                "baseline_sample_rows": baseline["sample_rows"],
                "floor_vs_engine_max_relative_difference": agreement,
                "engine_over_floor": engine["seconds"] / floor["seconds"],
                "baseline_over_engine": baseline["seconds"] / engine["seconds"],
            }
        )
        print_row(results[-1])
    return results


def print_row(r: dict) -> None:
    print(
        f"{r['rows']:>12,}  engine {r['engine_seconds']:8.2f} s ({r['engine_rows_per_second']:>11,.0f} "
        f"rows/s, peak {r['engine_peak_mb']:7,.0f} MB)"
        f"  floor {r['floor_seconds']:6.2f} s  baseline {r['baseline_seconds_extrapolated']:9.1f} s"
        f"  engine/floor {r['engine_over_floor']:5.1f}x  baseline/engine {r['baseline_over_engine']:6.1f}x"
        f"  (floor totals agree to {r['floor_vs_engine_max_relative_difference']:.1e})",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Scale benchmark (see module docstring).")
    parser.add_argument("--sizes", nargs="+", type=float, default=[1e5, 1e6, 1e7])
    parser.add_argument("--sample", type=int, default=20_000, help="rows timed for the per-record baseline")
    parser.add_argument("--data", type=Path, default=HERE / "data")
    arguments = parser.parse_args()
    print(
        f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}; as of "
        f"{AS_OF}",
        flush=True,
    )
    results = run([int(n) for n in arguments.sizes], arguments.data, arguments.sample)
    (HERE / "results.json").write_text(json.dumps({"results": results}, indent=2) + "\n")
    print(
        f"targets at 10M rows: engine within 3x the floor, >= 100x the baseline, peak memory < 4,096 MB; "
        f"interpreter start and imports take {results[0]['interpreter_and_import_seconds']:.2f} s of every "
        f"engine run"
    )


if __name__ == "__main__":
    main()
