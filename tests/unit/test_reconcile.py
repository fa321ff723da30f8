"""Rounding-aware reconciliation on hand-computed cases and small synthetic tables.

Every expected verdict below is worked out by hand in the comment beside it."""

import warnings

import pytest
import yaml
from hypothesis import assume, given
from hypothesis import strategies as st

from carbon.errors import ReconcileError
from carbon.reconcile import load_published, organisation_denominators, reconcile
from carbon.reconcile.against import check_engine, check_stated_factors
from carbon.reconcile.checks import (
    check_changes,
    check_comparability,
    check_cross_document,
    check_implied_denominators,
    check_ratios,
    check_regions,
    check_sums,
    check_well_formed,
    verdict,
)
from carbon.reconcile.implied import check_implied_factors
from carbon.reconcile.intervals import Interval, decimals_of, parse_printed, rounding_interval
from tests.conftest import run


def printed(text, unit="t"):
    value, decimals, _ = parse_printed(text)
    interval = rounding_interval(value, decimals, unit == "person")
    return {
        "value": value,
        "decimals": decimals,
        "exact": unit == "person",
        "low": interval.low,
        "high": interval.high,
        "scale": 1.0,
    }


def test_parse_printed():
    assert parse_printed("1,620.95") == (1620.95, 2, True)
    assert parse_printed("84,240") == (84240.0, 0, True)
    assert parse_printed("1253.95") == (1253.95, 2, True)
    assert parse_printed("1,559,45") == (1559.45, 2, False)  # comma for the decimal point: read, ill-formed
    assert parse_printed("2,179,") is None and parse_printed("n/a") is None
    assert parse_printed("(3.2)") == (-3.2, 1, True)  # accounting negative
    assert parse_printed("\u22125.0%", allow_percent=True) == (-5.0, 1, True)
    assert parse_printed("5%") is None  # a % only where the figure is a change


def test_a_sum_that_looks_one_cent_off_is_consistent():
    # 14.16 + 1,253.94 = 1,268.10, printed 1,268.11. Each part stands for +-0.005, so the sum lies in
    # [1,268.09, 1,268.11]; 1,268.11 stands for [1,268.105, 1,268.115]: they overlap -> consistent.
    parts = Interval(14.155, 14.165) + Interval(1253.935, 1253.945)
    assert parts.as_list() == pytest.approx([1268.09, 1268.11])
    assert verdict(parts, printed("1,268.11")) == "consistent"
    assert verdict(parts, printed("1,268.12")) == "inconsistent"  # 1,268.115 is beyond 1,268.11


def test_truncation_versus_rounding():
    # 1,631.34 / 3,557 = 0.45863...; with the rounding of 1,631.34 it lies in [0.458629, 0.458632]
    expected = Interval(1631.335, 1631.345).divided_by(Interval(3557, 3557))
    assert verdict(expected, printed("0.46")) == "consistent"
    assert verdict(expected, printed("0.45")) == "rounding_method"  # only a truncating publisher prints 0.45
    assert verdict(expected, printed("0.44")) == "inconsistent"


def test_integer_counts_are_exact():
    assert verdict(Interval(2184, 2184), printed("2,129", "person")) == "inconsistent"
    assert verdict(Interval(2129, 2129), printed("2,129", "person")) == "consistent"


def test_division_by_an_interval_that_holds_zero_has_no_result():
    assert Interval(0, 0.005).divided_by(Interval(-0.005, 0.005)) is None
    # zero emissions over a positive activity: a factor between 0 and 0.005 / 99.995
    assert Interval(0, 0.005).divided_by(Interval(99.995, 100.005)).as_list() == pytest.approx(
        [0, 0.005 / 99.995]
    )


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@given(finite, finite, finite, finite, st.floats(0, 1), st.floats(0, 1))
def test_interval_arithmetic_contains_every_point_result(a, b, c, d, s, t):
    x, y = Interval(min(a, b), max(a, b)), Interval(min(c, d), max(c, d))
    px, py = x.low + s * (x.high - x.low), y.low + t * (y.high - y.low)
    assert (x + y).contains(px + py) and (x - y).contains(px - py) and (x * y).contains(px * py)
    quotient = x.divided_by(y)
    if quotient is not None:
        assume(py != 0)  # a point of a tiny interval may round to zero
        assert quotient.contains(px / py)
    else:
        assert y.low <= 0 <= y.high or abs(y.low) < 1e-300 or abs(y.high) < 1e-300


def test_decimals_of_a_transcribed_number():
    assert decimals_of(1253.94) == 2 and decimals_of(14.9) == 1 and decimals_of(1838.0) == 0
    assert decimals_of(1e-05) == 5


@pytest.fixture
def published(tmp_path):
    """Write figures as one document and load them like `carbon reconcile` does. A figure is a
    tuple (kpi, year, printed, unit, section) or a dict of the file's keys."""

    def _make(*figures, document="doc", stated=(), **extra):
        folder = tmp_path / "published"
        folder.mkdir(exist_ok=True)
        rows = []
        for i, figure in enumerate(figures):
            if isinstance(figure, dict):
                rows.append({"section": "t", "locator": f"row {i}", **figure})
            else:
                k, y, p, u, s = figure
                rows.append(
                    {"kpi": k, "year": y, "printed": p, "unit": u, "section": s, "locator": f"row {i}"}
                )
        data = {"document": {"id": document, "title": document, **extra}, "figures": rows}
        if stated:
            data["stated_factors"] = list(stated)
        (folder / f"{document}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        return load_published(folder)

    return _make


def kinds(findings, severity):
    return [(f.kind, f.kpi, f.year) for f in findings if f.severity == severity]


def test_sum_check(published):
    table = published(
        ("energy.total", 2022, "1,620.95", "MWh", "t"),
        ("energy.gasoline", 2022, "62.93", "MWh", "t"),
        ("energy.electricity", 2022, "1,558.00", "MWh", "t"),
        ("energy.total", 2021, "1,907.92", "MWh", "t"),
        ("energy.gasoline", 2021, "69.92", "MWh", "t"),
        ("energy.electricity", 2021, "1,838.00", "MWh", "t"),
    ).figures
    findings = check_sums(table)
    assert kinds(findings, "inconsistent") == [("identity_sum", "energy.total", 2022)]
    assert kinds(findings, "consistent") == [("identity_sum", "energy.total", 2021)]


def test_partial_breakdown_is_not_summed(published):
    table = published(
        ("employees.total", 2022, "2,183", "person", "text"),
        ("employees.full_time", 2022, "2,179", "person", "text"),
    ).figures
    assert check_sums(table) == []


def test_parts_in_other_units_are_converted(published):
    # 1,200 GJ = 333.33 MWh of natural gas; + 666.67 MWh electricity = 1,000.00 MWh printed as '000 kWh
    table = published(
        ("energy.total", 2023, "1,000.00", "'000 kWh", "t"),
        ("energy.natural_gas", 2023, "1,200", "GJ", "t"),
        ("energy.electricity", 2023, "666,670", "kWh", "t"),
    ).figures
    (finding,) = check_sums(table)
    assert finding.severity == "consistent", finding.message


def test_total_with_market_based_scope2_names_its_basis(published):
    # 10 + 90 (market) = 100; with location-based 120 it would be 130
    table = published(
        ("ghg.total", 2023, "100", "tCO2e", "t"),
        ("ghg.scope1", 2023, "10", "tCO2e", "t"),
        ("ghg.scope2.location", 2023, "120", "tCO2e", "t"),
        ("ghg.scope2.market", 2023, "90", "tCO2e", "t"),
    ).figures
    (finding,) = [f for f in check_sums(table) if f.kpi == "ghg.total"]
    assert finding.severity == "consistent" and "ghg.scope2.market" in finding.message


def test_net_emissions_subtract_removals_and_offsets(published):
    # 1,000 - 50 - 100 = 850, printed 860
    table = published(
        ("ghg.net", 2023, "860", "tCO2e", "t"),
        ("ghg.total", 2023, "1,000", "tCO2e", "t"),
        ("ghg.removals", 2023, "50", "tCO2e", "t"),
        ("ghg.offsets", 2023, "100", "tCO2e", "t"),
    ).figures
    (finding,) = check_sums(table)
    assert finding.severity == "inconsistent" and "= 850" in finding.message


def test_scope3_categories_sum_to_scope3(published):
    # TP ICAP 2023 (helper transcription): the categories give 50,113 against a printed 50,099
    table = published(
        ("ghg.scope3", 2023, "50,099", "tCO2e", "t"),
        ("ghg.scope3.cat1", 2023, "40,000", "tCO2e", "t"),
        ("ghg.scope3.cat3", 2023, "2,258", "tCO2e", "t"),
        ("ghg.scope3.cat6", 2023, "7,855", "tCO2e", "t"),
    ).figures
    (finding,) = check_sums(table)
    assert finding.severity == "inconsistent" and "50,113" in finding.message


def test_regional_columns_sum_to_the_total(published):
    # AMER 1,278 + APAC 578 + EMEA 388 = 2,244, printed total 2,258
    table = published(
        {"kpi": "ghg.scope3.cat3", "year": 2023, "printed": "2,258", "unit": "tCO2e"},
        {"kpi": "ghg.scope3.cat3", "year": 2023, "printed": "1,278", "unit": "tCO2e", "region": "AMER"},
        {"kpi": "ghg.scope3.cat3", "year": 2023, "printed": "578", "unit": "tCO2e", "region": "APAC"},
        {"kpi": "ghg.scope3.cat3", "year": 2023, "printed": "388", "unit": "tCO2e", "region": "EMEA"},
    ).figures
    (finding,) = check_regions(table)
    assert finding.severity == "inconsistent" and "2,244" in finding.message
    assert check_cross_document(table) == []  # regions are not printings of the same figure


def test_ratio_check_uses_the_documents_headcount(published):
    table = published(
        ("waste.hazardous", 2021, "0.12", "t", "t"),
        ("waste.hazardous.per_employee", 2021, "0.01", "t/employee", "t"),
        ("employees.total", 2021, "2,129", "person", "t"),
    ).figures
    (finding,) = check_ratios(table)
    assert finding.severity == "inconsistent" and "should print as 0.00" in finding.message


def test_an_intensity_in_kg_per_employee_is_compared_in_its_own_unit(published):
    # 1,268.11 t / 2,199 = 0.5767 t = 576.7 kg per employee: 577 kgCO2e/employee is right, 0.58 t too
    table = published(
        ("ghg.total", 2022, "1,268.11", "tCO2e", "t"),
        ("ghg.per_employee", 2022, "577", "kgCO2e per employee", "t"),
        ("employees.total", 2022, "2,199", "person", "t"),
    ).figures
    (finding,) = check_ratios(table)
    assert finding.severity == "consistent", finding.message
    wrong = published(
        ("ghg.total", 2022, "1,268.11", "tCO2e", "t"),
        ("ghg.per_employee", 2022, "590", "kgCO2e/employee", "t"),
        ("employees.total", 2022, "2,199", "person", "t"),
    ).figures
    (finding,) = check_ratios(wrong)
    assert finding.severity == "inconsistent" and "should print as 577" in finding.message


def test_headcount_from_the_organisation_file(published, make_org):
    ledger, organisation = make_org([], employees={2022: 2199})
    from carbon.ledger import load_organisation

    loaded, problems = load_organisation(organisation)
    assert not problems
    table = published(
        ("ghg.total", 2022, "1,268.11", "tCO2e", "t"),
        ("ghg.per_employee", 2022, "0.61", "tCO2e/employee", "t"),
    ).figures
    assert check_ratios(table) == []  # nothing printed to divide by
    (finding,) = check_ratios(table, organisation_denominators(loaded))
    # 1,268.11 / 2,199 = 0.5767: should print as 0.58
    assert finding.severity == "inconsistent" and "organisation file" in finding.message


def test_implied_denominators_must_meet(published):
    # No headcount printed. 1,000 t (+-0.5) / 0.50 (+-0.005) = 1,979.2 to 2,021.2 employees;
    # 2,000 MWh / 1.00 = 1,989.6 to 2,010.6; 30,000 m3 / 10.00 = 2,998.4 to 3,001.6: water
    # implies another headcount.
    table = published(
        ("ghg.total", 2023, "1,000", "tCO2e", "t"),
        ("ghg.per_employee", 2023, "0.50", "tCO2e/employee", "t"),
        ("energy.total", 2023, "2,000", "MWh", "t"),
        ("energy.per_employee", 2023, "1.00", "MWh/employee", "t"),
        ("water.total", 2023, "30,000", "m3", "t"),
        ("water.per_employee", 2023, "10.00", "m3/employee", "t"),
    ).figures
    (finding,) = check_implied_denominators(table)
    assert finding.severity == "inconsistent" and finding.kpi == "water.per_employee"
    agreeing = table[~table["kpi"].str.startswith("water")]
    (finding,) = check_implied_denominators(agreeing)
    assert finding.severity == "consistent" and "1,989.6 and 2,010.6" in finding.message


def test_cross_document_and_ill_formed(published):
    published(("energy.electricity", 2024, "1,559.45", "MWh", "statistical table"), document="a")
    table = published(
        ("energy.electricity", 2024, "1,559,45", "MWh", "chapter"),
        ("water.total", 2024, "70,181", "t", "chapter"),
        document="b",
    ).figures
    assert kinds(check_well_formed(table), "inconsistent") == [("ill_formed", "energy.electricity", 2024)]
    # read as 1,559.45, the chapter figure agrees with the statistical table
    assert kinds(check_cross_document(table), "consistent") == [
        ("cross_document", "energy.electricity", 2024)
    ]


def test_cross_document_disagreement(published):
    table = published(
        ("energy.electricity", 2022, "1,558.00", "MWh", "table"),
        ("energy.electricity", 2022, "1,558.02", "MWh", "chapter"),
    ).figures
    (finding,) = check_cross_document(table)
    assert finding.severity == "inconsistent" and len(finding.documents) == 2


def test_printings_one_unit_apart_meet_only_at_a_point(published):
    # 0.47 stands for [0.465, 0.475], 0.46 for [0.455, 0.465]: only 0.465 gives both
    table = published(
        ("ghg.per_employee", 2023, "0.47", "tCO2e/employee", "table"),
        ("ghg.per_employee", 2023, "0.46", "tCO2e/employee", "chapter"),
    ).figures
    (finding,) = check_cross_document(table)
    assert finding.severity == "rounding_method" and "0.47" in finding.message and "0.46" in finding.message


def test_the_same_figure_in_two_units_and_two_spellings_of_a_fiscal_year(published):
    table = published(
        {"kpi": "energy.electricity", "period": "FY2023/24", "printed": "1,234,567", "unit": "kWh"},
        {"kpi": "energy.electricity", "period": "year ended 31 March 2024", "printed": "1,234.57",
         "unit": "MWh", "section": "chapter"},
    ).figures  # fmt: skip
    assert set(table["period"]) == {"FY2023/24"} and set(table["year"]) == {2024}
    (finding,) = check_cross_document(table)
    assert finding.severity == "consistent", finding.message


def test_year_on_year_changes(published):
    # 1,000 -> 900 is -10.0%; printed -10.0% follows from the printed figures
    def change(text, **extra):
        return {"kpi": "ghg.total", "year": 2024, "printed": text, "unit": "%", "change_from": 2023, **extra}

    base = [("ghg.total", 2023, "1,000", "tCO2e", "t"), ("ghg.total", 2024, "900", "tCO2e", "t")]
    (finding,) = check_changes(published(*base, change("-10.0%")).figures)
    assert finding.severity == "consistent" and "follows from the printed figures" in finding.message
    # printed without a sign beside the word "decrease"
    (finding,) = check_changes(published(*base, change("10.0%", direction="decrease")).figures)
    assert finding.severity == "consistent"
    (finding,) = check_changes(published(*base, change("10.0%")).figures)
    assert finding.severity == "inconsistent" and "direction: decrease" in finding.message
    # 1,000 -> 900 allows -10.06% to -9.94%: -9.95% fits only the unrounded figures
    (finding,) = check_changes(published(*base, change("-9.95%")).figures)
    assert finding.severity == "consistent" and "only from the unrounded figures" in finding.message


def test_a_factor_stated_in_the_document(published):
    # 1,000,000 kWh x 0.81 kgCO2e/kWh = 810 t; printed 810 is right, 700 is not
    stated = [{"emissions": "ghg.scope2", "activity": "energy.electricity", "printed": "0.81",
               "unit": "kg CO2e/kWh", "locator": "footnote 3"}]  # fmt: skip
    ok = published(
        ("ghg.scope2", 2023, "810", "tCO2e", "t"),
        ("energy.electricity", 2023, "1,000,000", "kWh", "t"),
        stated=stated,
    )
    (finding,) = check_stated_factors(ok.figures, ok.factors)
    assert finding.severity == "consistent", finding.message
    bad = published(
        ("ghg.scope2", 2023, "700", "tCO2e", "t"),
        ("energy.electricity", 2023, "1,000,000", "kWh", "t"),
        stated=stated,
    )
    (finding,) = check_stated_factors(bad.figures, bad.factors)
    assert finding.severity == "inconsistent" and "810" in finding.message


def test_hong_kong_grid_factor_is_attributed_without_a_ledger(published):
    # 390 t / 1,000 MWh = 0.39 kg/kWh: CLP Power Hong Kong's 2023 factor (factors/reference)
    doc = published(
        ("ghg.scope2", 2023, "390", "tCO2e", "t"), ("energy.electricity", 2023, "1,000", "MWh", "t"),
        grid_regions=["HK"],
    )  # fmt: skip
    (finding,) = check_implied_factors(doc.figures, None, doc.documents)
    assert finding.severity == "consistent" and "CLP Power Hong Kong 2023" in finding.message
    # 0.95 kg/kWh is above CLP's factors of 2020-2023 (0.37, 0.39)
    high = published(
        ("ghg.scope2", 2023, "950", "tCO2e", "t"), ("energy.electricity", 2023, "1,000", "MWh", "t"),
        grid_regions=["HK-CLP"],
    )  # fmt: skip
    (finding,) = check_implied_factors(high.figures, None, high.documents)
    assert finding.severity == "inconsistent" and "that high" in finding.message
    # for all of Hong Kong it is only a note: HK Electric has no value for 2020-2023 in the library
    unknown = published(
        ("ghg.scope2", 2023, "950", "tCO2e", "t"), ("energy.electricity", 2023, "1,000", "MWh", "t"),
        grid_regions=["HK"],
    )  # fmt: skip
    (finding,) = check_implied_factors(unknown.figures, None, unknown.documents)
    assert finding.severity == "note" and "HK-HKE has no value for 2023" in finding.message


def test_a_grid_factor_of_a_year_the_series_lacks_is_not_called_inconsistent(published):
    # 0.41205 kg/kWh in 2016: the UK series starts in 2017 -> a note, not a false alarm
    doc = published(
        ("ghg.scope2", 2016, "412.05", "tCO2e", "t"), ("energy.electricity", 2016, "1,000", "MWh", "t"),
        grid_regions=["UK"],
    )  # fmt: skip
    (finding,) = check_implied_factors(doc.figures, None, doc.documents)
    assert finding.severity == "note"


def test_years_that_match_published_factors_are_no_method_change(published):
    # UK 2019: 255.6 / 1,000 = 0.2556 (DESNZ 2019); 2022: 193.38 / 1,000 = 0.19338 (DESNZ 2022)
    doc = published(
        ("ghg.scope2", 2019, "255.60", "tCO2e", "t"), ("energy.electricity", 2019, "1,000", "MWh", "t"),
        ("ghg.scope2", 2022, "193.38", "tCO2e", "t"), ("energy.electricity", 2022, "1,000", "MWh", "t"),
        grid_regions=["UK"],
    )  # fmt: skip
    findings = check_implied_factors(doc.figures, None, doc.documents)
    assert [f.severity for f in findings] == ["consistent", "consistent"]


def test_an_implied_factor_below_every_factor_is_called_low(published):
    doc = published(
        ("ghg.scope2", 2023, "50", "tCO2e", "t"), ("energy.electricity", 2023, "1,000", "MWh", "t"),
        grid_regions=["UK"],
    )  # fmt: skip
    (finding,) = check_implied_factors(doc.figures, None, doc.documents)
    assert (
        finding.severity == "inconsistent"
        and "that low" in finding.message
        and "that high" not in finding.message
    )


def test_zero_activity_gives_no_factor_and_no_warning(published):
    doc = published(("ghg.scope2", 2023, "0", "tCO2e", "t"), ("energy.electricity", 2023, "0", "MWh", "t"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        findings = reconcile(doc, None).findings
    assert not [f for f in findings if f.kind == "implied_factor"]
    assert all("nan" not in f.message for f in findings)


def test_comparability_when_scope3_first_appears(published):
    table = published(
        ("ghg.total", 2025, "3,594.05", "tCO2e", "t"),
        ("ghg.scope1", 2025, "14.89", "tCO2e", "t"),
        ("ghg.scope2", 2025, "1,701.41", "tCO2e", "t"),
        ("ghg.scope3", 2025, "1,877.75", "tCO2e", "t"),
        ("ghg.total", 2024, "1,701.13", "tCO2e", "t"),
        ("ghg.scope1", 2024, "16.57", "tCO2e", "t"),
        ("ghg.scope2", 2024, "1,684.56", "tCO2e", "t"),
    ).figures
    (finding,) = check_comparability(table)
    assert finding.severity == "note" and finding.year == 2025 and "1,716.30" in finding.message
    assert kinds(check_sums(table), "consistent") == [
        ("identity_sum", "ghg.total", 2025),
        ("identity_sum", "ghg.total", 2024),
    ]


def test_engine_and_implied_factor(published, make_org):
    result = run(
        *make_org(
            [["e1", 2024, "HQ", "CN", "electricity", 1000, "MWh", "", "", "bill"]], employees={2024: 10}
        )
    )
    doc = published(
        ("energy.electricity", 2024, "1,000.00", "MWh", "t"),
        ("ghg.scope2", 2024, "530.60", "tCO2e", "t"),
        ("employees.total", 2024, "11", "person", "t"),
    )
    assert kinds(check_engine(doc.figures, result), "consistent") == [("engine", "energy.electricity", 2024)]
    assert kinds(check_engine(doc.figures, result), "inconsistent") == [("engine", "employees.total", 2024)]
    # 530.60 / 1,000 = 0.5306, the library's 2024 location factor (MEE/NBS 2023 national)
    assert kinds(check_implied_factors(doc.figures, result, doc.documents), "consistent") == [
        ("implied_factor", "ghg.scope2", 2024)
    ]
    doubled = published(
        ("energy.electricity", 2024, "1,000.00", "MWh", "t"),
        ("ghg.scope2", 2024, "1,080.20", "tCO2e", "t"),
    )
    assert kinds(check_implied_factors(doubled.figures, result, doubled.documents), "inconsistent") == [
        ("implied_factor", "ghg.scope2", 2024)
    ]


def test_a_year_without_ledger_lines_is_said_plainly(published, make_org):
    result = run(*make_org([["e1", 2024, "HQ", "CN", "electricity", 1000, "MWh", "", "", "bill"]]))
    doc = published(
        ("energy.electricity", 2023, "1,000.00", "MWh", "t"), ("ghg.scope2", 2023, "580.00", "tCO2e", "t")
    )
    (finding,) = check_implied_factors(doc.figures, result, doc.documents)
    assert "the library uses :" not in finding.message
    assert "the ledger has no line of this activity that year" in finding.message


def test_ledger_rows_transcribed_from_print_carry_their_rounding(published, make_org):
    # The ledger holds the printed 62.93 and 1,558.00 (data_quality: reported); their sum
    # 1,620.93 is printed 1,620.94 - consistent for the sum check (each part +-0.005), so the
    # engine, built from the same printed parts, must not call it inconsistent either.
    rows = [
        ["g", 2022, "HQ", "CN", "gasoline", 62.93, "MWh", "", "", "report", "reported"],
        ["e", 2022, "HQ", "CN", "electricity", 1558.00, "MWh", "", "", "report", "reported"],
    ]
    ledger, organisation = make_org([])
    ledger.write_text(
        "record_id,year,site,region,activity,quantity,unit,waste_type,route,source,data_quality\n"
        + "\n".join(",".join(str(v) for v in row) for row in rows)
        + "\n"
    )
    result = run(ledger, organisation)
    doc = published(
        ("energy.total", 2022, "1,620.94", "MWh", "t"),
        ("energy.gasoline", 2022, "62.93", "MWh", "t"),
        ("energy.electricity", 2022, "1,558.00", "MWh", "t"),
    )
    assert kinds(check_sums(doc.figures), "consistent") == [("identity_sum", "energy.total", 2022)]
    engine = {f.kpi: f for f in check_engine(doc.figures, result)}
    assert engine["energy.total"].severity == "consistent", engine["energy.total"].message
    assert "transcribed from print" in engine["energy.total"].message


def test_bad_published_files_name_the_file_and_key(tmp_path):
    folder = tmp_path / "published"
    folder.mkdir()
    (folder / "a.yaml").write_text("figures:\n- {kpi: ghg.total, year: 2022, printed: '1', unit: t}\n")
    (folder / "b.yaml").write_text(
        "document: {id: b, title: B}\n"
        "figures:\n"
        "- {kpi: ghg.totl, year: 2022, printed: '1', unit: t}\n"
        "- {kpi: ghg.total, year: 2022, printed: '1', unit: kWh}\n"
    )
    (folder / "c.yaml").write_text(
        "document: {id: c, title: C}\n"
        "figures:\n"
        "- {kpi: ghg.total, period: 'sometime', printed: '1', unit: t}\n"
        "- {kpi: ghg.total, year: 2022, printed: '', unit: t}\n"
    )
    with pytest.raises(ReconcileError) as error:
        load_published(folder)
    text = str(error.value)
    assert "a.yaml, key 'document'" in text
    assert "figures[1].kpi" in text and "did you mean 'ghg.total'" in text
    assert "figures[2].unit" in text and "tCO2e" in text
    assert "c.yaml, key 'figures[1].period'" in text and "FY2023/24" in text
    assert "c.yaml, key 'figures[2].printed'" in text and "fill it in or delete it" in text


def test_cells_that_are_not_figures_are_noted_not_flagged(published):
    table = published(
        ("ghg.scope3", 2023, "N/A", "tCO2e", "t"),
        ("ghg.scope1", 2023, "1,442¹", "tCO2e", "t"),  # a footnote marker run into the figure
    ).figures
    (finding,) = check_well_formed(table)
    assert finding.severity == "note" and finding.kind == "not_a_figure"
    assert table.set_index("kpi").loc["ghg.scope1", "value"] == 1442


def test_a_fiscal_year_written_as_a_year_is_refused_with_the_fix(tmp_path):
    folder = tmp_path / "published"
    folder.mkdir()
    (folder / "a.yaml").write_text(
        "document: {id: a, title: A}\nfigures:\n- {kpi: ghg.total, year: FY2023/24, printed: '1', unit: t}\n"
    )
    with pytest.raises(ReconcileError, match=r"figures\[1\].year.*period: FY2023/24"):
        load_published(folder)


def test_a_headcount_printed_in_another_document(published):
    # the ESG report prints no headcount; the annual report does: 1,000 t / 2,000 = 0.50
    published(("employees.total", 2023, "2,000", "person", "annual report"), document="annual-report")
    table = published(
        ("ghg.total", 2023, "1,000", "tCO2e", "t"),
        ("ghg.per_employee", 2023, "0.55", "tCO2e/employee", "t"),
        document="esg",
    ).figures
    (finding,) = check_ratios(table)
    assert finding.severity == "inconsistent" and "2,000 person" in finding.message
    assert {c.document for c in finding.documents} == {"esg", "annual-report"}


def test_without_a_ledger_the_factor_sets_own_factors_are_compared(published, tmp_path):
    from datetime import date

    from carbon.engine import InventoryRequest
    from carbon.reconcile import reconcile_organisation

    # 530.60 t / 1,000 MWh = 0.5306, MEE/NBS 2023 national location factor;
    # 266.76 t / 1,000 MWh of diesel (3.6 TJ) = 74.1 t CO2/TJ, IPCC 2006 diesel
    published(
        ("ghg.scope2", 2024, "530.60", "tCO2e", "t"),
        ("energy.electricity", 2024, "1,000.00", "MWh", "t"),
        ("ghg.scope1", 2024, "266.76", "tCO2e", "t"),
        ("energy.diesel", 2024, "1,000.00", "MWh", "t"),
        grid_regions=["CN"],
    )
    request = InventoryRequest(
        ledger=tmp_path / "activity.csv", organisation=tmp_path / "organisation.csv",
        organisation_name="fixture", as_of=date.today(),  # today's set (2026.2) has diesel
    )  # fmt: skip
    report = reconcile_organisation(tmp_path, request)
    implied = {f.kpi: f for f in report.findings if f.kind == "implied_factor"}
    assert (
        implied["ghg.scope2"].severity == "consistent" and "mee.elec.cn.2023" in implied["ghg.scope2"].message
    )
    assert (
        implied["ghg.scope1"].severity == "consistent" and "ipcc2006.diesel" in implied["ghg.scope1"].message
    )


def test_a_required_part_with_alternatives_must_be_printed(published):
    # Scope 2 is printed in another section: Scope 1 alone is not the Scope 1 and 2 subtotal
    table = published(
        ("ghg.scope1_2", 2023, "300", "tCO2e", "t"),
        ("ghg.scope1", 2023, "100", "tCO2e", "t"),
        ("ghg.scope2", 2023, "200", "tCO2e", "chapter"),
    ).figures
    assert check_sums(table) == []


def test_a_sum_that_meets_only_at_a_half_is_rounding_method(published):
    # 1 + 1 + 1 stands for 1.5 to 4.5; a printed total of 1 stands for 0.5 to 1.5: they meet at
    # 1.5 only, which each part (1.5 -> 2) would not have been printed as under half-up rounding
    table = published(
        ("energy.total", 2023, "1", "MWh", "t"),
        ("energy.gasoline", 2023, "1", "MWh", "t"),
        ("energy.diesel", 2023, "1", "MWh", "t"),
        ("energy.electricity", 2023, "1", "MWh", "t"),
    ).figures
    (finding,) = check_sums(table)
    assert finding.severity == "rounding_method"


def test_a_scaled_or_fractional_headcount_is_rounded_not_exact(published):
    # "2.2 thousand" employees is 2,150 to 2,250: 1,000 t / 2,249 = 0.4446 prints 0.44
    table = published(
        ("ghg.total", 2023, "1,000", "tCO2e", "t"),
        ("ghg.per_employee", 2023, "0.44", "tCO2e/employee", "t"),
        ("employees.total", 2023, "2.2", "thousand employee", "t"),
    ).figures
    (finding,) = check_ratios(table)
    assert finding.severity == "consistent", finding.message


def test_floor_area_from_the_organisation_file(published, make_org):
    from carbon.ledger import load_organisation

    ledger, organisation = make_org([])
    organisation.write_text(
        "year,metric,value,unit,source\n2023,floor_area,2000,m**2,fixture\n", encoding="utf-8"
    )
    loaded, problems = load_organisation(organisation)
    assert not problems
    # 1,000 t / 2,000 m2 = 0.50 t/m2 = 500 kg/m2, printed 9.99
    table = published(
        ("ghg.total", 2023, "1,000", "tCO2e", "t"), ("ghg.per_m2", 2023, "9.99", "kgCO2e/m2", "t")
    ).figures
    (finding,) = check_ratios(table, organisation_denominators(loaded))
    assert finding.severity == "inconsistent" and "should print as 500.00" in finding.message


def test_a_change_from_a_negative_level(published):
    # net -100 -> -50 is a rise of 50% of the size of the base: +50.0% follows
    def change(text):
        return {"kpi": "ghg.net", "year": 2024, "printed": text, "unit": "%", "change_from": 2023}

    base = [("ghg.net", 2023, "-100", "tCO2e", "t"), ("ghg.net", 2024, "-50", "tCO2e", "t")]
    (finding,) = check_changes(published(*base, change("+50.0%")).figures)
    assert finding.severity == "consistent", finding.message
    (finding,) = check_changes(published(base[1], change("+50.0%")).figures)
    assert finding.severity == "note" and "not printed" in finding.message


def test_truncated_intensities_imply_one_denominator_only_if_truncated(published):
    # 290 employees. Water 29,000.00 m3 / 100.00 pins 289.98 to 290.02. GHG 1,000.00 t / 290 =
    # 3.448, printed 3.44 (truncated; rounded it is 3.45): as a rounding, 3.44 implies 290.27 to
    # 291.12, which misses water's; as a truncation (3.44 to 3.45) it implies 289.86 to 290.70.
    table = published(
        ("ghg.total", 2023, "1,000.00", "tCO2e", "t"),
        ("ghg.per_employee", 2023, "3.44", "tCO2e/employee", "t"),
        ("water.total", 2023, "29,000.00", "m3", "t"),
        ("water.per_employee", 2023, "100.00", "m3/employee", "t"),
    ).figures
    (finding,) = check_implied_denominators(table)
    assert finding.severity == "rounding_method", finding.message


def test_comparability_with_market_based_scope2_and_a_zero_headcount(published):
    table = published(
        ("ghg.total", 2024, "300", "tCO2e", "t"),
        ("ghg.scope1", 2024, "100", "tCO2e", "t"),
        ("ghg.scope2.market", 2024, "200", "tCO2e", "t"),
        ("ghg.scope3", 2024, "50", "tCO2e", "t"),
        ("ghg.total", 2023, "250", "tCO2e", "t"),
        ("ghg.scope1", 2023, "100", "tCO2e", "t"),
        ("ghg.scope2", 2023, "150", "tCO2e", "t"),
        ("ghg.per_employee", 2024, "1.00", "tCO2e/employee", "t"),
        ("employees.total", 2024, "0", "person", "t"),
    ).figures
    notes = check_comparability(table)
    (total_note,) = [f for f in notes if f.kpi == "ghg.total"]
    assert "2024 is 300" in total_note.message  # Scope 1 + market-based Scope 2 on the 2023 boundary
    assert [f for f in notes if f.kpi == "ghg.per_employee"] == []  # no division by a zero headcount


def test_the_data_files_name_only_known_keys():
    from carbon.reconcile.rules import catalogue, identities, kpi_spec

    assert all(kpi_spec(key) is not None for key in catalogue().template)
    assert identities().sums  # Identities validates every key it names against kpis.yaml


def test_a_fuel_factor_stands_for_its_components_precision(published, tmp_path):
    from datetime import date

    from carbon.engine import InventoryRequest
    from carbon.reconcile import reconcile_organisation

    # IPCC natural gas: 56,100 kg CO2 + 5 kg CH4 x 29.8 + 0.1 kg N2O x 273 = 56,276.3 kg CO2e/TJ
    # = 0.20259 t/MWh; 2,000 MWh gives 405.19 t. A printed 336.00 (0.168 t/MWh) matches nothing,
    # although N2O's "0.1" alone stands for 0.05 to 0.15 (it is 27 of 56,276).
    published(
        ("ghg.scope1", 2024, "405.19", "tCO2e", "t"), ("energy.natural_gas", 2024, "2,000.00", "MWh", "t"),
        ("ghg.scope1", 2023, "336.00", "tCO2e", "t"), ("energy.natural_gas", 2023, "2,000.00", "MWh", "t"),
    )  # fmt: skip
    request = InventoryRequest(
        ledger=tmp_path / "activity.csv", organisation=tmp_path / "organisation.csv",
        organisation_name="fixture", as_of=date.today(),
    )  # fmt: skip
    found = {
        f.year: f for f in reconcile_organisation(tmp_path, request).findings if f.kind == "implied_factor"
    }
    assert found[2024].severity == "consistent" and "natural_gas" in found[2024].message
    assert found[2023].severity == "note"


def test_a_regional_column_without_a_series_is_a_note_not_a_false_alarm(published):
    # a HK document (CLP) with a Mainland China column: 0.5306 kg/kWh is the Mainland's factor,
    # not CLP's; the Mainland column has no series of its own here and the group total blends both
    doc = published(
        {"kpi": "ghg.scope2", "year": 2023, "printed": "530.60", "unit": "tCO2e", "region": "Mainland China"},
        {
            "kpi": "energy.electricity",
            "year": 2023,
            "printed": "1,000",
            "unit": "MWh",
            "region": "Mainland China",
        },
        {"kpi": "ghg.scope2", "year": 2023, "printed": "920.60", "unit": "tCO2e"},
        {"kpi": "energy.electricity", "year": 2023, "printed": "2,000", "unit": "MWh"},
        grid_regions=["HK-CLP"],
    )
    findings = check_implied_factors(doc.figures, None, doc.documents)
    assert [f.severity for f in findings if f.kind == "implied_factor"] and all(
        f.severity != "inconsistent" for f in findings
    )


def test_several_stated_factors_without_regions_are_not_applied_to_the_total(published):
    stated = [
        {"emissions": "ghg.scope2", "activity": "energy.electricity", "printed": p, "unit": "kgCO2e/kWh"}
        for p in ("0.39", "0.66")
    ]
    doc = published(
        ("ghg.scope2", 2023, "1,050", "tCO2e", "t"),
        ("energy.electricity", 2023, "2,000", "MWh", "t"),
        stated=stated,
    )
    (finding,) = check_stated_factors(doc.figures, doc.factors)
    assert finding.severity == "note" and "0.39, 0.66" in finding.message


def test_a_restated_figure_is_a_note(published):
    table = published(
        {"kpi": "ghg.scope1", "year": 2023, "printed": "2,030.6", "unit": "tCO2e", "section": "2023 report"},
        {"kpi": "ghg.scope1", "year": 2023, "printed": "2,026", "unit": "tCO2e", "section": "2024 report",
         "restated": True},
    ).figures  # fmt: skip
    (finding,) = check_cross_document(table)
    assert finding.severity == "note" and "restated" in finding.message


def test_arrows_notes_and_words_in_printed_cells(published):
    def change(text):
        return {"kpi": "ghg.total", "year": 2024, "printed": text, "unit": "%", "change_from": 2023}

    base = [("ghg.total", 2023, "1,000", "tCO2e", "t"), ("ghg.total", 2024, "900", "tCO2e", "t")]
    (finding,) = check_changes(published(*base, change("▼10.0%")).figures)
    assert finding.severity == "consistent"
    (finding,) = check_changes(published(*base, change("▲10.0%")).figures)
    assert finding.severity == "inconsistent"
    table = published(
        ("waste.hazardous", 2023, "<0.01", "t", "t"), ("ghg.scope1", 2023, "184.52 (Note 3)", "tCO2e", "t")
    ).figures
    (finding,) = check_well_formed(table)
    assert finding.severity == "note" and "<0.01" in finding.message


def test_net_emissions_against_a_market_based_total(published):
    # 493,434 - 120 - 5,000 = 488,314, printed 488,341
    table = published(
        ("ghg.net", 2024, "488,341", "tCO2e", "t"),
        ("ghg.total.market", 2024, "493,434", "tCO2e", "t"),
        ("ghg.removals", 2024, "120", "tCO2e", "t"),
        ("ghg.offsets", 2024, "5,000", "tCO2e", "t"),
    ).figures
    (finding,) = [f for f in check_sums(table) if f.kpi == "ghg.net"]
    assert finding.severity == "inconsistent" and "488,314" in finding.message


def test_a_column_headed_restated_and_fiscal_labels_that_do_not_meet(published):
    from carbon.reconcile import reconcile

    doc = published(
        {"kpi": "ghg.scope1", "year": 2023, "printed": "2,030.6", "unit": "tCO2e", "section": "a"},
        {"kpi": "ghg.scope1", "year": 2023, "printed": "2,026", "unit": "tCO2e", "section": "b",
         "column": "2023 (restated)"},
        {"kpi": "ghg.scope2", "period": "FY24", "printed": "469.59", "unit": "tCO2e"},
        {"kpi": "ghg.scope2", "period": "FY2023/24", "printed": "496.60", "unit": "tCO2e"},
    )  # fmt: skip
    findings = reconcile(doc, None).findings
    (restated,) = [f for f in findings if f.kind == "cross_document"]
    assert restated.severity == "note"
    (labels,) = [f for f in findings if f.kind == "period_labels"]
    assert "FY2023/24, FY2024" in labels.message and "fiscal_year_end" in labels.message
