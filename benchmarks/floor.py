"""The NumPy floor: the least work that computes the benchmark ledger's totals, as its own process.

    python benchmarks/floor.py LEDGER.parquet LOOKUP.json

LOOKUP.json maps each (activity, region, year, unit, waste_type, route) combination, joined by
"|", to tCO2e per unit of quantity (the harness computes it once with the engine: the floor is
given its factor table). The floor reads the needed columns, takes dictionary codes, looks each
row's factor up by array indexing, multiplies and sums per year with bincount. It prints
{"totals": {year: tCO2e}} as JSON. The harness times it as a whole process, interpreter start
and imports included, exactly as it times the engine.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

KEY = ["activity", "region", "year", "unit", "waste_type", "route"]


def codes_of(array: pa.Array) -> tuple[np.ndarray, list[str]]:
    """Integer codes and the distinct values they index."""
    if pa.types.is_dictionary(array.type):
        return array.indices.to_numpy(zero_copy_only=False).astype(np.intp), [
            str(v) for v in array.dictionary.to_pylist()
        ]
    distinct, inverse = np.unique(array.to_numpy(), return_inverse=True)  # year: no dictionary
    return inverse, [str(v) for v in distinct]


def totals(ledger: Path, lookup: dict[str, float]) -> dict[str, float]:
    table = pq.read_table(ledger, columns=[*KEY, "quantity"]).unify_dictionaries()
    codes, dictionaries = zip(*(codes_of(table[c].combine_chunks()) for c in KEY), strict=True)
    factors = np.zeros(tuple(len(d) for d in dictionaries))
    for joined, value in lookup.items():  # a few hundred entries: the factor table
        key = joined.split("|")
        factors[tuple(d.index(k) for d, k in zip(dictionaries, key, strict=True))] = value
    emissions = table["quantity"].to_numpy() * factors[tuple(codes)]
    years = KEY.index("year")
    sums = np.bincount(codes[years], weights=emissions, minlength=len(dictionaries[years]))
    return dict(zip(dictionaries[years], sums.tolist(), strict=True))


if __name__ == "__main__":
    ledger, lookup = Path(sys.argv[1]), json.loads(Path(sys.argv[2]).read_text())
    print(json.dumps({"totals": totals(ledger, lookup)}))
