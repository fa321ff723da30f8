"""The auditor workbook at scale: time `carbon inventory --xlsx` and recalculate it in LibreOffice.

    python benchmarks/workbook.py                      # the 10M-row benchmark ledger
    python benchmarks/workbook.py --rows 1e6 --data /tmp/benchdata

Runs `carbon inventory --xlsx` on the seeded benchmark ledger as a whole process (wall time and
peak memory), then zeroes every cached formula value in the workbook and has headless
LibreOffice recalculate it (the helper of tests/integration/test_excel.py), and compares every
named Summary figure of every year with the engine's inventory.json. Prints the figures; asserts
nothing and writes only to a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from harness import AS_OF, ledger_for, measure  # noqa: E402

from carbon.export.excel import named_keys  # noqa: E402
from tests.integration.test_excel import named, recalculate, zero_cached_values  # noqa: E402

TARGET_SECONDS = 60
TOLERANCE = 1e-9  # as tests/integration/test_excel.py: LibreOffice sums in its own order


def engine_figures(year: dict) -> dict[str, float]:
    """The engine's value for each named key of one year (a split one as name_part), where it is a number."""
    flat = dict(year, tco2e_per_employee=year["intensity"]["tco2e_per_employee"])
    flat["energy_mwh"] = year["energy_mwh"]["total"]
    flat.update({f"waste_t_{part}": value for part, value in year["waste_t"].items()})
    return {key: flat[key] for key in named_keys() if isinstance(flat.get(key), (int, float))}


def main() -> None:
    parser = argparse.ArgumentParser(description="Auditor workbook at scale (see module docstring).")
    parser.add_argument("--rows", type=float, default=1e7)
    parser.add_argument("--data", type=Path, default=HERE / "data")
    args = parser.parse_args()
    ledger = ledger_for(int(args.rows), args.data)
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        workbook = folder / "workbook.xlsx"
        command = [sys.executable, "-m", "carbon", "inventory", "--ledger", str(ledger)]
        command += ["--organisation", str(ledger.parent / "organisation.csv"), "--as-of", AS_OF]
        command += ["--format", "json", "--quiet", "--out", str(folder / "out"), "--xlsx", str(workbook)]
        run = measure(command)
        inventory = json.loads(run["stdout"])
        zeroed = folder / "zeroed" / "workbook.xlsx"
        zeroed.parent.mkdir()
        zero_cached_values(workbook, zeroed)
        start = time.perf_counter()
        recalculated = recalculate(zeroed, folder)
        recalc_seconds = time.perf_counter() - start
        worst, compared = 0.0, 0
        for year in inventory["years"]:
            for key, expected in engine_figures(year).items():
                got = named(recalculated, f"{key}_{year['year']}")
                worst = max(worst, abs(got - expected) / max(abs(expected), 1e-300))
                compared += 1
        size_mb = workbook.stat().st_size / 1e6
    seconds, peak = run["seconds"], run["peak_mb"]
    print(f"{int(args.rows):,} rows: inventory and workbook {seconds:.1f} s wall, peak {peak:.0f} MB;")
    print(
        f"  workbook {size_mb:.1f} MB, recalculated by LibreOffice (values zeroed) in {recalc_seconds:.1f} s;"
    )
    print(f"  {compared} named figures compared with inventory.json: worst relative difference {worst:.1e}")
    print(f"  written in under {TARGET_SECONDS} s: {'met' if seconds < TARGET_SECONDS else 'NOT met'}")
    verdict = "met" if worst <= TOLERANCE else "NOT met"
    print(f"  recalculated to the engine's figures within {TOLERANCE:g}: {verdict}")


if __name__ == "__main__":
    main()
