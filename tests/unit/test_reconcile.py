"""Rounding-aware reconciliation on hand-computed cases and small synthetic tables."""

import pandas as pd
import pytest
import yaml

from carbon.reconcile import (
    Interval,
    check_comparability,
    check_cross_document,
    check_engine,
    check_implied_factors,
    check_ratios,
    check_sums,
    check_well_formed,
    load_published,
    parse_printed,
    rounding_interval,
    verdict,
)
from tests.conftest import run


def printed(text, unit="t"):
    value, decimals, _ = parse_printed(text)
    interval = rounding_interval(value, decimals, unit == "person")
    return pd.Series(
        {
            "value": value,
            "decimals": decimals,
            "exact": unit == "person",
            "low": interval.low,
            "high": interval.high,
        }
    )


def test_parse_printed():
    assert parse_printed("1,620.95") == (1620.95, 2, True)
    assert parse_printed("84,240") == (84240.0, 0, True)
    assert parse_printed("1253.95") == (1253.95, 2, True)
    assert parse_printed("1,559,45") == (
        1559.45,
        2,
        False,
    )  # comma for the decimal point: read, but ill-formed
    assert parse_printed("2,179,") is None and parse_printed("n/a") is None


def test_a_sum_that_looks_one_cent_off_is_consistent():
    # 14.16 + 1,253.94 = 1,268.10, printed 1,268.11. Each part stands for +-0.005, so the sum lies in
    # [1,268.09, 1,268.11]; 1,268.11 stands for [1,268.105, 1,268.115]: they overlap -> consistent.
    parts = Interval(14.155, 14.165) + Interval(1253.935, 1253.945)
    assert parts.as_list() == pytest.approx([1268.09, 1268.11])
    assert verdict(parts, printed("1,268.11")) == "consistent"
    assert verdict(parts, printed("1,268.12")) == "inconsistent"  # 1,268.115 is beyond 1,268.11


def test_truncation_versus_rounding():
    # 1,631.34 / 3,557 = 0.45863...; with the rounding of 1,631.34 it lies in [0.458629, 0.458632]
    expected = Interval(1631.335, 1631.345) / Interval(3557, 3557)
    assert verdict(expected, printed("0.46")) == "consistent"
    assert verdict(expected, printed("0.45")) == "rounding_method"  # only a truncating publisher prints 0.45
    assert verdict(expected, printed("0.44")) == "inconsistent"


def test_integer_counts_are_exact():
    assert verdict(Interval(2184, 2184), printed("2,129", "person")) == "inconsistent"
    assert verdict(Interval(2129, 2129), printed("2,129", "person")) == "consistent"


@pytest.fixture
def published(tmp_path):
    """Write figures as one document and load them like `carbon reconcile` does."""

    def _make(*figures, document="doc"):
        folder = tmp_path / "published"
        folder.mkdir(exist_ok=True)
        rows = [
            {"kpi": k, "year": y, "printed": p, "unit": u, "section": s, "locator": f"row {i}"}
            for i, (k, y, p, u, s) in enumerate(figures)
        ]
        (folder / f"{document}.yaml").write_text(
            yaml.safe_dump({"document": {"id": document, "title": document}, "figures": rows})
        )
        return load_published(folder)

    return _make


def kinds(findings, severity):
    return [(f["kind"], f["kpi"], f["year"]) for f in findings if f["severity"] == severity]


def test_sum_check(published):
    table = published(
        ("energy.total", 2022, "1,620.95", "MWh", "t"),
        ("energy.gasoline", 2022, "62.93", "MWh", "t"),
        ("energy.electricity", 2022, "1,558.00", "MWh", "t"),
        ("energy.total", 2021, "1,907.92", "MWh", "t"),
        ("energy.gasoline", 2021, "69.92", "MWh", "t"),
        ("energy.electricity", 2021, "1,838.00", "MWh", "t"),
    )
    findings = check_sums(table)
    assert kinds(findings, "inconsistent") == [("identity_sum", "energy.total", 2022)]
    assert kinds(findings, "consistent") == [("identity_sum", "energy.total", 2021)]


def test_partial_breakdown_is_not_summed(published):
    table = published(
        ("employees.total", 2022, "2,183", "person", "text"),
        ("employees.full_time", 2022, "2,179", "person", "text"),
    )
    assert check_sums(table) == []


def test_ratio_check_uses_the_documents_headcount(published):
    table = published(
        ("waste.hazardous", 2021, "0.12", "t", "t"),
        ("waste.hazardous.per_employee", 2021, "0.01", "t/employee", "t"),
        ("employees.total", 2021, "2,129", "person", "t"),
    )
    (finding,) = check_ratios(table)
    assert finding["severity"] == "inconsistent" and "should print as 0.00" in finding["message"]


def test_cross_document_and_ill_formed(published):
    published(("energy.electricity", 2024, "1,559.45", "MWh", "statistical table"), document="a")
    table = published(
        ("energy.electricity", 2024, "1,559,45", "MWh", "chapter"),
        ("water.total", 2024, "70,181", "t", "chapter"),
        document="b",
    )
    assert kinds(check_well_formed(table), "inconsistent") == [("ill_formed", "energy.electricity", 2024)]
    # read as 1,559.45, the chapter figure agrees with the statistical table
    assert kinds(check_cross_document(table), "consistent") == [
        ("cross_document", "energy.electricity", 2024)
    ]


def test_cross_document_disagreement(published):
    table = published(
        ("energy.electricity", 2022, "1,558.00", "MWh", "table"),
        ("energy.electricity", 2022, "1,558.02", "MWh", "chapter"),
    )
    (finding,) = check_cross_document(table)
    assert finding["severity"] == "inconsistent" and len(finding["documents"]) == 2


def test_comparability_when_scope3_first_appears(published):
    table = published(
        ("ghg.total", 2025, "3,594.05", "tCO2e", "t"),
        ("ghg.scope1", 2025, "14.89", "tCO2e", "t"),
        ("ghg.scope2", 2025, "1,701.41", "tCO2e", "t"),
        ("ghg.scope3", 2025, "1,877.75", "tCO2e", "t"),
        ("ghg.total", 2024, "1,701.13", "tCO2e", "t"),
        ("ghg.scope1", 2024, "16.57", "tCO2e", "t"),
        ("ghg.scope2", 2024, "1,684.56", "tCO2e", "t"),
    )
    (finding,) = check_comparability(table)
    assert finding["severity"] == "note" and finding["year"] == 2025 and "1,716.30" in finding["message"]
    assert kinds(check_sums(table), "consistent") == [
        ("identity_sum", "ghg.total", 2024),
        ("identity_sum", "ghg.total", 2025),
    ]


def test_engine_and_implied_factor(published, make_org):
    result = run(
        *make_org(
            [["e1", 2024, "HQ", "CN", "electricity", 1000, "MWh", "", "", "bill"]], employees={2024: 10}
        )
    )
    table = published(
        ("energy.electricity", 2024, "1,000.00", "MWh", "t"),
        ("ghg.scope2", 2024, "530.60", "tCO2e", "t"),
        ("employees.total", 2024, "11", "person", "t"),
    )
    assert kinds(check_engine(table, result), "consistent") == [("engine", "energy.electricity", 2024)]
    assert kinds(check_engine(table, result), "inconsistent") == [("engine", "employees.total", 2024)]
    # 530.60 / 1,000 = 0.5306, the library's 2024 location factor (MEE/NBS 2023 national)
    assert kinds(check_implied_factors(table, result, {"electricity": (0.1, 0.8)}), "consistent") == [
        ("implied_factor", "ghg.scope2", 2024)
    ]
    doubled = published(
        ("energy.electricity", 2024, "1,000.00", "MWh", "t"),
        ("ghg.scope2", 2024, "1,080.20", "tCO2e", "t"),
        document="doc",
    )
    assert kinds(check_implied_factors(doubled, result, {"electricity": (0.1, 0.8)}), "inconsistent") == [
        ("implied_factor", "ghg.scope2", 2024)
    ]
