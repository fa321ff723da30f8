"""Seeded generator of realistic activity ledgers for the scale benchmarks.

    python benchmarks/generate.py 1000000 benchmarks/data/ledger-1e6.parquet

N rows over 2021-2025; 200 sites spread over ten provinces; electricity, gasoline, water,
waste; mixed units (kWh, MWh, thousand kWh, L, kg, m**3, t); waste types and routes that the
bundled factor set covers. String columns are dictionary-encoded (categorical), as a
production export would be. Also writes organisation.csv (employees per year) beside it.
The same N and seed give the same file.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

PROVINCES = ["CN-SH", "CN-BJ", "CN-HA", "CN-GD", "CN-JS", "CN-ZJ", "CN-SC", "CN-HB", "CN-SD", "CN-FJ"]
# activity: (share of rows, [(unit, typical magnitude)])
ACTIVITIES = {
    "electricity": (0.40, [("kWh", 40_000.0), ("MWh", 40.0), ("thousand kWh", 40.0)]),
    "gasoline": (0.20, [("L", 300.0), ("kg", 220.0)]),
    "water": (0.20, [("m**3", 1_500.0), ("t", 1_500.0)]),
    "waste": (0.20, [("t", 2.0), ("kg", 2_000.0)]),
}
WASTE = [
    ("paper_board", "recycling"),
    ("paper_board", "landfill"),
    ("commercial_industrial", "landfill"),
    ("commercial_industrial", "combustion"),
    ("batteries", "recycling"),
    ("weee_small", "recycling"),
    ("toner_cartridges", "recycling"),
]
YEARS = np.arange(2021, 2026)


def dictionary(codes: np.ndarray, values: list[str]) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), pa.array(values, pa.string()))


def generate(n: int, seed: int = 20261122) -> pa.Table:
    rng = np.random.default_rng(seed)
    names = list(ACTIVITIES)
    activity = rng.choice(len(names), size=n, p=[ACTIVITIES[a][0] for a in names])
    site = rng.integers(0, 200, size=n)
    site_province = np.arange(200) % len(PROVINCES)
    units, unit_code, magnitude = [], np.zeros(n, dtype=np.int32), np.zeros(n)
    for index, name in enumerate(names):
        rows = np.flatnonzero(activity == index)
        options = ACTIVITIES[name][1]
        pick = rng.integers(0, len(options), size=rows.size)
        for option, (unit, typical) in enumerate(options):
            if unit not in units:
                units.append(unit)
            chosen = rows[pick == option]
            unit_code[chosen] = units.index(unit)
            magnitude[chosen] = typical
    quantity = np.round(magnitude * rng.lognormal(0.0, 0.5, size=n), 3)
    is_waste = activity == names.index("waste")
    waste_pick = rng.integers(0, len(WASTE), size=n)
    waste_types = sorted({w for w, _ in WASTE}) + [""]
    routes = sorted({r for _, r in WASTE}) + [""]
    waste_type = np.where(
        is_waste, [waste_types.index(WASTE[i][0]) for i in waste_pick], len(waste_types) - 1
    )
    route = np.where(is_waste, [routes.index(WASTE[i][1]) for i in waste_pick], len(routes) - 1)
    return pa.table(
        {
            "record_id": pa.array(np.char.add("r", np.arange(n).astype(str))),
            "year": pa.array(YEARS[rng.integers(0, len(YEARS), size=n)].astype(np.int16)),
            "site": dictionary(site, [f"site-{i:03d}" for i in range(200)]),
            "region": dictionary(site_province[site], PROVINCES),
            "activity": dictionary(activity, names),
            "quantity": pa.array(quantity),
            "unit": dictionary(unit_code, units),
            "waste_type": dictionary(waste_type, waste_types),
            "route": dictionary(route, routes),
            "source": dictionary(np.zeros(n, dtype=np.int32), ["benchmark generator (synthetic)"]),
            "data_quality": dictionary(np.zeros(n, dtype=np.int32), ["synthetic"]),
        }
    )


def write(n: int, path: Path, seed: int = 20261122) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(generate(n, seed), path, row_group_size=250_000)  # row groups are the Dask partitions
    organisation = path.parent / "organisation.csv"
    organisation.write_text(
        "year,metric,value,unit,source\n"
        + "".join(
            f"{y},employees,{20_000 + 500 * i},person,benchmark generator (synthetic)\n"
            for i, y in enumerate(YEARS)
        )
    )
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", type=float, help="number of rows, e.g. 1e6")
    parser.add_argument("path", type=Path, help="output .parquet file")
    parser.add_argument("--seed", type=int, default=20261122)
    arguments = parser.parse_args()
    print(write(int(arguments.rows), arguments.path, arguments.seed))
