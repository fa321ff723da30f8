"""Fuzzing the ledger, organisation and published-table loaders: whatever a file holds, the
loader returns rows and located problems, or raises a CarbonError; any other exception is a crash.

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


# ---------------------------------------------------------------- published tables

PUBLISHED_EXAMPLES = max(1, FUZZ_EXAMPLES // 5)  # each example reconciles a whole folder
KPIS = st.sampled_from(
    ["ghg.total", "ghg.scope1", "ghg.scope2", "ghg.scope2.location", "ghg.scope2.market", "ghg.scope3",
     "ghg.scope3.cat6", "ghg.per_employee", "ghg.net", "ghg.removals", "energy.total", "energy.electricity",
     "energy.gasoline", "energy.per_m2", "water.total", "employees.total", "revenue.total", "ghg.per_revenue",
     "ghg.scope1.stationary", "ghg.scope1.fuel", "waste.total", "air.nox", "ghg.totl", "__class__"]
)  # fmt: skip
UNITS = st.sampled_from(
    ["tCO2e", "t", "kg", "kgCO2e/employee", "MWh", "'000 kWh", "kWh", "GJ", "m3", "person", "%",
     "tCO2e/£m", "kWh/m²", "million HKD", "t**1e9", "inf kWh", "", "度", "MT CO2e", "kWh/(kWh)"]
)  # fmt: skip
PRINTED = st.one_of(
    st.sampled_from(
        [
            "0",
            "0.00",
            "-5",
            "(3.2)",
            "1,234.5",
            "1,559,45",
            "N/A",
            "<0.01",
            "▲2.5%",
            "1e308",
            "9" * 40,
            "0.0000001",
            "(3.2)%",
            "7,512¹",
            "",
        ]
    ),  # fmt: skip
    st.floats(-1e6, 1e6, allow_nan=False).map(lambda v: f"{v:,.2f}"),
    st.text(max_size=10),
)
PERIODS = st.one_of(
    st.integers(1985, 2105),
    st.sampled_from(["FY2023/24", "FY24", "year ended 31 March 2024", "2024年", "113年度", "next spring"]),
)


def figure() -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries(
        {"kpi": KPIS, "printed": PRINTED, "unit": UNITS, "section": st.sampled_from(["t", "c"])},
        optional={
            "year": st.integers(2020, 2024),
            "period": PERIODS,
            "region": st.sampled_from(["", "UK", "HK", "Mainland China"]),
            "change_from": PERIODS,
            "restated": st.booleans(),
        },
    )


@settings(SETTINGS, max_examples=PUBLISHED_EXAMPLES)
@given(
    figures=st.lists(figure(), min_size=1, max_size=12),
    stated=st.lists(
        st.fixed_dictionaries(
            {"emissions": KPIS, "activity": KPIS, "printed": PRINTED, "unit": UNITS},
            optional={"year": st.integers(2020, 2024), "region": st.sampled_from(["", "UK"])},
        ),
        max_size=3,
    ),
    grid=st.lists(st.sampled_from(["HK", "HK-CLP", "UK", "CN", "TW", "XX"]), max_size=2),
)
def test_published_tables_never_crash_reconcile(figures, stated, grid):
    """Whatever a published-table file holds, reconcile returns findings with finite numbers or
    raises a CarbonError (exit 2): no other exception, no warning."""
    import warnings

    import yaml

    from carbon.reconcile import load_published, reconcile

    document = {"id": "fuzz", "title": "Fuzz report", "grid_regions": grid}
    data = {"document": document, "figures": figures, **({"stated_factors": stated} if stated else {})}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            try:
                report = reconcile(load_published(Path(folder)), None)
            except CarbonError:
                return
    for finding in report.findings:
        assert finding.expected is None or all(abs(v) < float("inf") for v in finding.expected), finding
        assert "nan" not in finding.message.lower().split(), finding


# Well-formed files with arbitrary numbers: every check of reconcile runs on them.
VALID_UNITS = {
    "ghg.total": ["tCO2e", "t", "kgCO2e", "MT CO2e"], "ghg.scope1": ["tCO2e"],
    "ghg.scope2": ["tCO2e", "tCO2"],
    "ghg.scope2.location": ["tCO2e"], "ghg.scope2.market": ["tCO2e"], "ghg.scope3": ["tCO2e"],
    "ghg.scope3.cat6": ["tCO2e"], "ghg.net": ["tCO2e"], "ghg.removals": ["tCO2e"],
    "ghg.scope1.stationary": ["tCO2e"], "ghg.scope1.mobile": ["tCO2e"], "ghg.scope1.fuel": ["tCO2e"],
    "ghg.per_employee": ["tCO2e/employee", "kgCO2e per employee"], "ghg.per_revenue": ["tCO2e/£m"],
    "energy.total": ["MWh", "'000 kWh", "GJ"], "energy.electricity": ["kWh", "MWh", "度"],
    "energy.gasoline": ["MWh"], "energy.diesel": ["GJ"], "energy.per_m2": ["kWh/m²"],
    "water.total": ["m3", "t"], "employees.total": ["person"], "revenue.total": ["£m"],
    "floor_area.total": ["m2", "sq ft"], "waste.total": ["t", "kg"], "air.nox": ["kg"],
}  # fmt: skip


def valid_figure() -> st.SearchStrategy[dict]:
    def build(kpi: str) -> st.SearchStrategy[dict]:
        level = st.fixed_dictionaries(
            {
                "kpi": st.just(kpi), "year": st.integers(2021, 2024),
                "unit": st.sampled_from(VALID_UNITS[kpi]),
                "printed": st.one_of(
                    st.integers(0, 10**7).map(lambda v: f"{v:,}"),
                    st.floats(0, 1e5, allow_nan=False).map(lambda v: f"{v:,.2f}"),
                    st.sampled_from(["0", "0.00", "(5.0)", "N/A", "1,559,45"]),
                ),
                "section": st.sampled_from(["t", "c"]),
            },
            optional={"region": st.sampled_from(["", "UK", "Rest of world"]), "restated": st.booleans()},
        )  # fmt: skip
        change = st.fixed_dictionaries(
            {
                "kpi": st.just(kpi), "year": st.integers(2022, 2024), "change_from": st.integers(2021, 2023),
                "unit": st.just("%"),
                "printed": st.floats(-150, 150, allow_nan=False).map(lambda v: f"{v:+.1f}%"),
            }
        )  # fmt: skip
        return st.one_of(level, level, level, change)

    return st.sampled_from(sorted(VALID_UNITS)).flatmap(build)


@settings(SETTINGS, max_examples=PUBLISHED_EXAMPLES)
@given(
    figures=st.lists(valid_figure(), min_size=2, max_size=30),
    grid=st.lists(st.sampled_from(["HK", "HK-CLP", "UK", "CN", "TW", "XX"]), max_size=2),
)
def test_well_formed_tables_with_any_numbers_reconcile(figures, grid):
    """Well-formed published tables with arbitrary numbers are reconciled (not refused), with
    finite intervals and no warning; only a duplicate-free, readable table is required."""
    import warnings

    import yaml

    from carbon.reconcile import load_published, reconcile

    data = {"document": {"id": "fuzz", "title": "Fuzz report", "grid_regions": grid}, "figures": figures}
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "fuzz.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            report = reconcile(load_published(Path(folder)), None)
    assert report.checked == len(figures)
    for finding in report.findings:
        assert finding.expected is None or all(abs(v) < float("inf") for v in finding.expected), finding
