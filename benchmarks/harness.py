"""Scale benchmark: the engine end to end against a NumPy floor and a per-record baseline.

    python benchmarks/harness.py                           # N = 1e5, 1e6, 1e7, 3e7; prints only
    python benchmarks/harness.py --sizes 1e5 1e6 --dask    # quicker, and the Dask engine beside
    python benchmarks/harness.py --save                    # also rewrite benchmarks/results.json

For each N (ledgers from benchmarks/generate.py, cached in benchmarks/data/ or --data):
- engine:   `carbon inventory --ledger ledger.parquet --format json` as a whole process (read,
            validate, convert, match factors, compute, aggregate, write outputs);
- dask:     the same with `--engine dask` (LocalCluster of 2 workers), with --dask;
- floor:    benchmarks/floor.py as a whole process: read the needed columns, dictionary codes,
            one factor lookup by array indexing, one multiply, bincount per year;
- baseline: a Python loop building a pint Quantity per row and multiplying by its factor,
            timed on a sample and extrapolated to N.
Engine, Dask and floor are timed the same way: whole processes, interpreter start included,
run --repeat times (default 3) in alternating order, paired in one run; the median wall time,
the median CPU time (user + system of the process and its children) and the peak resident
memory are reported. The floor's per-year totals must equal the engine's. It prints the ratios
and the targets met or not; it asserts nothing and rewrites no tracked file unless --save.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from generate import write as generate_ledger  # noqa: E402

AS_OF = "2026-06-30"
# Runs the command in a fresh process of its own, so that RUSAGE_CHILDREN covers that command
# (and its children, such as Dask workers) and nothing else.
CHILD = (
    "import json, resource, subprocess, sys, time; start = time.perf_counter(); "
    "done = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True); "
    "seconds = time.perf_counter() - start; used = resource.getrusage(resource.RUSAGE_CHILDREN); "
    "print(json.dumps({'seconds': seconds, 'cpu_seconds': used.ru_utime + used.ru_stime, "
    "'rc': done.returncode, 'stdout': done.stdout[-100000:], 'stderr': done.stderr[-2000:], "
    "'peak_mb': used.ru_maxrss / 1024}))"
)


def measure(argv: list[str]) -> dict:
    """Run a command as a whole process: wall and CPU seconds, peak resident memory, its stdout."""
    out = subprocess.run([sys.executable, "-c", CHILD, *argv], capture_output=True, text=True, check=True)
    measured = json.loads(out.stdout)
    if measured["rc"] != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {measured['stderr']}")
    return measured


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

# The targets of the scale issue, at 10M rows (and 30M for flat memory).
TARGET_OVER_FLOOR = 3.0
TARGET_OVER_BASELINE = 100.0
TARGET_PEAK_MB = 1024.0
TARGET_FLAT = 0.10


def engine_command(ledger: Path, out: str, *extra: str) -> list[str]:
    return [
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
        *extra,
    ]


def summary(runs: list[dict]) -> dict:
    return {
        "seconds": statistics.median(r["seconds"] for r in runs),
        "cpu_seconds": statistics.median(r["cpu_seconds"] for r in runs),
        "peak_mb": max(r["peak_mb"] for r in runs),
        "all_seconds": [round(r["seconds"], 3) for r in runs],
    }


def relative_difference(ours: dict[str, float], theirs: dict[str, float]) -> float:
    return max(abs(theirs[year] - value) / value for year, value in ours.items())


def location_totals(out: Path) -> dict[str, float]:
    inventory = json.loads((out / "inventory.json").read_text())
    return {str(y["year"]): y["total_location"] for y in inventory["years"]}


def time_size(ledger: Path, factors: dict, repeat: int, with_dask: bool) -> dict:
    """Engine, floor (and Dask) on one ledger, `repeat` times each, in alternating order."""
    with tempfile.TemporaryDirectory() as folder:
        lookup = Path(folder) / "lookup.json"
        lookup.write_text(json.dumps({"|".join(k): v for k, v in factors.items()}))
        commands = {
            "engine": engine_command(ledger, f"{folder}/out"),
            "floor": [sys.executable, str(HERE / "floor.py"), str(ledger), str(lookup)],
        }
        if with_dask:
            commands["dask"] = engine_command(ledger, f"{folder}/dask", "--engine", "dask")
        runs: dict[str, list[dict]] = {name: [] for name in commands}
        for attempt in range(repeat):
            order = list(commands) if attempt % 2 == 0 else list(reversed(commands))
            for name in order:
                runs[name].append(measure(commands[name]))
        engine_totals = location_totals(Path(folder) / "out")
        dask_totals = location_totals(Path(folder) / "dask") if with_dask else None
    result: dict[str, Any] = {name: summary(r) for name, r in runs.items()}
    floor_totals = json.loads(runs["floor"][-1]["stdout"])["totals"]
    result["floor_vs_engine_max_relative_difference"] = relative_difference(engine_totals, floor_totals)
    if dask_totals is not None:
        result["dask_vs_engine_max_relative_difference"] = relative_difference(engine_totals, dask_totals)
    return result


def run(sizes: list[int], data: Path, sample: int, repeat: int, with_dask: bool) -> list[dict]:
    results = []
    for rows in sizes:
        ledger = ledger_for(rows, data)
        factors = factor_lookup(ledger)
        result = {"rows": rows, **time_size(ledger, factors, repeat, with_dask)}
        baseline = per_record_baseline(ledger, factors, rows, sample)
        engine, floor = result["engine"], result["floor"]
        result.update(
            {
                "engine_rows_per_second": rows / engine["seconds"],
                "baseline_seconds_extrapolated": baseline["seconds"],
                "baseline_sample_rows": baseline["sample_rows"],
                "engine_over_floor": engine["seconds"] / floor["seconds"],
                "engine_over_floor_cpu": engine["cpu_seconds"] / floor["cpu_seconds"],
                "baseline_over_engine": baseline["seconds"] / engine["seconds"],
            }
        )
        if with_dask:
            result["dask_over_engine"] = result["dask"]["seconds"] / engine["seconds"]
        results.append(result)
        print_row(result)
    return results


def print_row(r: dict) -> None:
    engine, floor = r["engine"], r["floor"]
    dask = (
        f"  dask {r['dask']['seconds']:7.2f} s ({r['dask_over_engine']:.2f}x engine)" if "dask" in r else ""
    )
    print(
        f"{r['rows']:>12,}  engine {engine['seconds']:7.2f} s (cpu {engine['cpu_seconds']:7.2f} s, "
        f"peak {engine['peak_mb']:6,.0f} MB)"
        f"  floor {floor['seconds']:6.2f} s (cpu {floor['cpu_seconds']:6.2f} s)"
        f"  engine/floor {r['engine_over_floor']:5.1f}x (cpu {r['engine_over_floor_cpu']:5.1f}x)"
        f"  baseline/engine {r['baseline_over_engine']:6.1f}x{dask}"
        f"  (floor totals agree to {r['floor_vs_engine_max_relative_difference']:.1e})",
        flush=True,
    )


def verdict(met: bool, text: str) -> str:
    return f"  {'met    ' if met else 'NOT met'}  {text}"


def print_targets(results: list[dict]) -> None:
    """The targets at the largest size of at least 10M rows timed (and flat memory from 10M up)."""
    at = {r["rows"]: r for r in results}
    if 10_000_000 not in at:
        print("targets: time 1e7 rows (and 3e7 for flat memory) to check them")
        return
    r = at[10_000_000]
    lines = [
        verdict(
            r["engine_over_floor"] <= TARGET_OVER_FLOOR,
            f"engine within {TARGET_OVER_FLOOR:g}x the floor at 10M: {r['engine_over_floor']:.1f}x wall, "
            f"{r['engine_over_floor_cpu']:.1f}x CPU",
        ),
        verdict(
            r["baseline_over_engine"] >= TARGET_OVER_BASELINE,
            f"at least {TARGET_OVER_BASELINE:g}x the per-record baseline at 10M: "
            f"{r['baseline_over_engine']:.1f}x",
        ),
        verdict(
            r["engine"]["peak_mb"] <= TARGET_PEAK_MB,
            f"peak memory at most {TARGET_PEAK_MB:,.0f} MB at 10M: {r['engine']['peak_mb']:,.0f} MB",
        ),
    ]
    if 30_000_000 in at:
        growth = at[30_000_000]["engine"]["peak_mb"] / r["engine"]["peak_mb"] - 1
        lines.append(verdict(growth <= TARGET_FLAT, f"flat memory, 30M within 10% of 10M: {growth:+.0%}"))
    if "dask" in r:
        slower = r["dask_over_engine"]
        lines.append(verdict(slower <= 1.0, f"Dask (2 local workers) no slower at 10M: {slower:.2f}x"))
    print("targets:\n" + "\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description="Scale benchmark (see module docstring).")
    parser.add_argument("--sizes", nargs="+", type=float, default=[1e5, 1e6, 1e7, 3e7])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each command per size (median)")
    parser.add_argument("--dask", action="store_true", help="also time --engine dask")
    parser.add_argument("--sample", type=int, default=20_000, help="rows timed for the per-record baseline")
    parser.add_argument("--data", type=Path, default=HERE / "data")
    parser.add_argument("--save", action="store_true", help="write benchmarks/results.json")
    arguments = parser.parse_args()
    machine = f"{platform.processor() or platform.machine()}, Python {platform.python_version()}"
    print(f"machine: {machine}; as of {AS_OF}; median of {arguments.repeat}", flush=True)
    results = run(
        [int(n) for n in arguments.sizes], arguments.data, arguments.sample, arguments.repeat, arguments.dask
    )
    print_targets(results)
    if arguments.save:
        document = {"date": date.today().isoformat(), "machine": machine, "results": results}
        (HERE / "results.json").write_text(json.dumps(document, indent=2) + "\n")
        print(f"wrote {HERE / 'results.json'}")


if __name__ == "__main__":
    main()
