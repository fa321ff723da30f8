"""Fuzzing the ledger and organisation loaders: whatever a file holds, the loader returns rows
and located problems, or raises a CarbonError; any other exception is a crash.

CI runs FUZZ_EXAMPLES examples per loader (CARBON_FUZZ_EXAMPLES overrides it: the README reports
a run of 20,000). The generated files mix valid cells with hostile ones: odd units, numbers
beyond float range, control characters, unicode, ragged rows, duplicate or misspelt columns.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carbon.engine import InventoryRequest, run_inventory
from carbon.errors import CarbonError, Problem
from carbon.ledger import load_ledger, load_organisation
from tests.conftest import AS_OF, LEDGER_HEADER

FUZZ_EXAMPLES = int(os.environ.get("CARBON_FUZZ_EXAMPLES", "2000"))
SETTINGS = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    derandomize=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# The required columns first (the fuzz keeps them in place for some files), then the optional ones.
LEDGER_COLUMNS = [*LEDGER_HEADER, "period_start", "period_end", "instrument", "vintage", "data_quality"]
HOSTILE_TEXT = st.sampled_from(
    [
        "",
        " ",
        "=1+1",
        "@SUM(A1)",
        "-2",
        "+3",
        "\t",
        "\x07",
        "\x1b[2J",
        "\x00",
        "nan",
        "NaN",
        "inf",
        "-inf",
        "1e308",
        "1e400",
        "-0",
        "0x1F",
        "1_000",
        "1,000.5",
        "９９",
        "٣",
        "ℵ",
        "𝔘𝔫𝔦𝔱",
        "kWh/0",
        "10**400 kWh",
        "(" * 50,
        ")",
        "kwh",
        "MWh MWh",
        "t/m**3",
        "m³",
        "m²",
        "µg",
        "kW·h",
        "thousand kWh",
        "ton",
        "short_ton",
        "degC",
        "%",
        "1/h",
        "kWh**-1",
        "m**3**3",
        "__class__",
        "CN-SH",
        "CN",
        "GLOBAL",
        "waste",
        "electricity",
        "gasoline",
        "water",
        "green_certificate",
        "hazardous",
        "landfill",
        "2024",
        "2024-01-01",
        "2024-13-45",
        "1989",
        "2101",
        "0",
        "1",
        "50",
        '"quoted, comma"',
        "a\nb",
        "é",
        "Straße",
    ]
)
CELL = st.one_of(
    HOSTILE_TEXT,
    st.text(max_size=12),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**20), 10**20).map(str),
)
HEADER = st.one_of(
    st.just(LEDGER_COLUMNS[:10]),
    st.permutations(LEDGER_COLUMNS[:10]).map(list),
    st.lists(
        st.one_of(
            st.sampled_from(LEDGER_COLUMNS),
            st.sampled_from([" unit", "Unit", "sit", "", "quantity "]),
            st.text(max_size=8),
        ),
        min_size=1,
        max_size=14,
    ),
)


def _csv_cell(value: str) -> str:
    if any(c in value for c in ',"\n\r'):
        return '"' + value.replace('"', '""') + '"'
    return value


@st.composite
def csv_files(draw) -> bytes:
    header = draw(HEADER)
    rows = draw(
        st.lists(st.lists(CELL, min_size=max(0, len(header) - 2), max_size=len(header) + 1), max_size=6)
    )
    text = "\n".join(",".join(_csv_cell(c) for c in line) for line in [header, *rows]) + "\n"
    data = (
        text.encode("utf-8", errors="surrogatepass")
        if draw(st.booleans())
        else text.encode("utf-8", "replace")
    )
    if draw(st.integers(0, 9)) == 0:
        data += draw(st.binary(max_size=16))  # trailing bytes that may not be UTF-8
    return data


def _load(loader, data: bytes, suffix: str = ".csv"):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz{suffix}"
        path.write_bytes(data)
        try:
            result, problems = loader(path)
        except CarbonError:
            return
        assert all(isinstance(p, Problem) for p in problems)
        if result is not None and hasattr(result, "rows") and not problems:
            assert result.rows["quantity"].map(lambda q: q == q and abs(q) != float("inf")).all()


@SETTINGS
@given(csv_files())
def test_ledger_loader_never_crashes(data):
    _load(load_ledger, data)


ORGANISATION_CELLS = st.one_of(
    HOSTILE_TEXT,
    st.sampled_from(
        [
            "employees",
            "revenue",
            "floor_area",
            "person",
            "million * RMB",
            "thousand RMB",
            "m**2",
            "RMB",
            "employes",
        ]
    ),
    CELL,
)


@st.composite
def organisation_files(draw) -> bytes:
    header = draw(
        st.one_of(
            st.just(["year", "metric", "value", "unit", "source"]),
            st.lists(
                st.sampled_from(["year", "metric", "value", "unit", "source", "note", " value"]),
                min_size=1,
                max_size=6,
            ),
        )
    )
    rows = draw(
        st.lists(st.lists(ORGANISATION_CELLS, min_size=len(header), max_size=len(header)), max_size=5)
    )
    text = "\n".join(",".join(_csv_cell(c) for c in line) for line in [header, *rows]) + "\n"
    return text.encode("utf-8", "replace")


@SETTINGS
@given(organisation_files())
def test_organisation_loader_never_crashes(data):
    _load(load_organisation, data)


GOOD_ORGANISATION = b"year,metric,value,unit,source\n2024,employees,10,person,HR\n"


@settings(
    max_examples=max(50, FUZZ_EXAMPLES // 10), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(csv_files())
def test_a_whole_inventory_run_never_crashes(data):
    """The same files through the whole in-memory run (factor matching, lines, summaries)."""
    with tempfile.TemporaryDirectory() as folder:
        ledger, organisation = Path(folder) / "a.csv", Path(folder) / "o.csv"
        ledger.write_bytes(data)
        organisation.write_bytes(GOOD_ORGANISATION)
        try:
            result = run_inventory(InventoryRequest(ledger, organisation, "fuzz", as_of=AS_OF))
        except CarbonError:
            return
        for year in result.inventory.model_dump()["years"]:
            assert abs(year["total_location"]) < float("inf")
