"""Every bad-input case of the core-engine issue, on tiny inline ledgers."""

from datetime import date

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carbon.errors import LedgerError
from carbon.ledger import load_ledger, load_organisation
from tests.conftest import LEDGER_HEADER, run, write_csv

GOOD = ["e1", 2024, "HQ", "CN-SH", "electricity", 1000, "kWh", "", "", "meter"]


def problems_of(rows, tmp_path, header=LEDGER_HEADER):
    ledger, problems = load_ledger(write_csv(tmp_path / "activity.csv", header, rows))
    return problems


def only(problems):
    assert len(problems) == 1, problems
    return problems[0]


def test_good_row_has_no_problems_and_converts(tmp_path):
    ledger, problems = load_ledger(write_csv(tmp_path / "a.csv", LEDGER_HEADER, [GOOD]))
    assert problems == []
    assert ledger.rows["basis_quantity"].tolist() == [1.0]  # 1000 kWh = 1 MWh
    assert ledger.rows["ledger_row"].tolist() == [2]


def test_missing_column(tmp_path):
    header = [c for c in LEDGER_HEADER if c != "unit"]
    problem = only(
        problems_of([[v for c, v in zip(LEDGER_HEADER, GOOD, strict=True) if c != "unit"]], tmp_path, header)
    )
    assert (problem.row, problem.column) == (1, "unit")
    assert "a column named 'unit'" in problem.expected


def test_unknown_activity(tmp_path):
    problem = only(problems_of([GOOD[:4] + ["steam", 5, "GJ", "", "", "x"]], tmp_path))
    assert (problem.row, problem.column, problem.value) == (2, "activity", "steam")
    assert "electricity" in problem.expected


def test_unparsable_unit(tmp_path):
    problem = only(problems_of([GOOD[:6] + ["kWhh", "", "", "x"]], tmp_path))
    assert (problem.column, problem.value) == ("unit", "kWhh")


def test_wrong_dimension_kwh_for_water(tmp_path):
    problem = only(problems_of([["w1", 2024, "HQ", "CN-SH", "water", 500, "kWh", "", "", "bill"]], tmp_path))
    assert (problem.row, problem.column, problem.value) == (2, "unit", "kWh")
    assert "volume unit" in problem.expected and "'water'" in problem.expected


@pytest.mark.parametrize(
    "quantity, expected",
    [
        (-5, "zero or more"),
        ("abc", "plain number"),
        ("1,838.00", "no thousands separators"),
        ("inf", "plain number"),
    ],
)
def test_bad_quantity(tmp_path, quantity, expected):
    problem = only(problems_of([GOOD[:5] + [quantity] + GOOD[6:]], tmp_path))
    assert problem.column == "quantity" and expected in problem.expected


def test_duplicate_record_id_names_first_row(tmp_path):
    problem = only(problems_of([GOOD, GOOD], tmp_path))
    assert (problem.row, problem.column, problem.value) == (3, "record_id", "e1")
    assert "already used on row 2" in problem.expected


def test_all_problems_in_one_pass(tmp_path):
    rows = [
        GOOD,
        ["w1", 2024, "HQ", "CN-SH", "water", 500, "kWh", "", "", "bill"],
        ["g1", 2024, "HQ", "CN-SH", "gasoline", -20, "L", "", "", "card"],
        ["x1", 2024, "HQ", "CN-SH", "waste", 1, "tons", "paper_board", "", "x"],
    ]
    problems = problems_of(rows, tmp_path)
    assert {(p.row, p.column) for p in problems} == {(3, "unit"), (4, "quantity"), (5, "unit")}


def test_period_columns_give_the_year_and_must_not_span_years(tmp_path):
    header = ["record_id", "period_start", "period_end", "region", "activity", "quantity", "unit", "source"]
    ledger, problems = load_ledger(
        write_csv(
            tmp_path / "a.csv",
            header,
            [
                ["m1", "2024-01-01", "2024-01-31", "CN-SH", "electricity", 10, "MWh", "x"],
                ["m2", "2024-12-01", "2025-01-31", "CN-SH", "electricity", 10, "MWh", "x"],
                ["m3", "2024-13-01", "2024-12-31", "CN-SH", "electricity", 10, "MWh", "x"],
            ],
        )
    )
    assert {(p.row, p.column) for p in problems} == {(3, "period_end"), (4, "period_start")}
    assert ledger.rows["year"].tolist() == [2024]


def test_water_in_tonnes_uses_the_named_conversion(tmp_path):
    ledger, problems = load_ledger(
        write_csv(
            tmp_path / "a.csv", LEDGER_HEADER, [["w1", 2024, "HQ", "CN", "water", 2.5, "t", "", "", "x"]]
        )
    )
    assert problems == []
    assert ledger.rows["basis_quantity"].tolist() == [2.5]  # 2.5 t -> 2.5 m3 at 1 t/m3
    assert "named conversion water_t_per_m3" in ledger.rows["conversion"].iloc[0]


def test_xlsx_ledger_is_accepted(tmp_path):
    path = tmp_path / "a.xlsx"
    pd.DataFrame([GOOD], columns=LEDGER_HEADER).to_excel(path, index=False)
    ledger, problems = load_ledger(path)
    assert problems == [] and ledger.rows["basis_quantity"].tolist() == [1.0]


def test_organisation_checks(tmp_path):
    path = write_csv(
        tmp_path / "o.csv",
        ["year", "metric", "value", "unit", "source"],
        [
            [2024, "employees", 100, "person", "x"],
            [2024, "employees", 101, "person", "x"],
            [2024, "revenue", 5, "kWh", "x"],
            [2024, "turnover", 5, "RMB", "x"],
        ],
    )
    organisation, problems = load_organisation(path)
    assert organisation is None
    assert {(p.row, p.column) for p in problems} == {(3, "metric"), (4, "unit"), (5, "metric")}


def test_revenue_converted_to_rmb_million(tmp_path):
    path = write_csv(
        tmp_path / "o.csv",
        ["year", "metric", "value", "unit", "source"],
        [[2024, "revenue", 17165656, "thousand RMB", "x"]],
    )
    organisation, problems = load_organisation(path)
    assert problems == [] and organisation.metrics.at[2024, "revenue"] == pytest.approx(17165.656)


def test_year_without_headcount_is_a_warning(make_org):
    result = run(*make_org([GOOD], employees={2023: 10}))
    assert any("no employees for year 2024" in w for w in result.warnings)
    assert result.inventory.model_dump()["years"][0]["intensity"]["tco2e_per_employee"] is None


def test_no_factor_after_fallback_lists_what_was_tried(make_org):
    with pytest.raises(LedgerError) as raised:
        run(
            *make_org([["p1", 2021, "HQ", "CN-SH", "electricity", 1, "MWh", "", "", "x"]]),
            as_of=date(2024, 1, 1),
        )
    message = str(raised.value)
    assert (
        "row 2" in message and "CN-SH -> CN-GRID-EAST -> CN -> GLOBAL" in message and "2024-01-01" in message
    )


def test_waste_route_without_a_factor_blames_the_route_and_lists_those_with_one(make_org):
    with pytest.raises(LedgerError) as raised:
        run(*make_org([["p1", 2024, "HQ", "CN-SH", "waste", 1, "t", "batteries", "composting", "x"]]))
    message = str(raised.value)
    assert "row 2, column 'route': found 'batteries / composting'" in message
    assert "for batteries, route landfill or recycling" in message


def test_unknown_region_is_reported(make_org):
    with pytest.raises(LedgerError, match=r"row 2, column 'region': found 'CN-XX'"):
        run(*make_org([GOOD[:3] + ["CN-XX"] + GOOD[4:]]))


def test_kwh_water_and_negative_quantity_both_named(make_org):
    """Acceptance: a ledger with a kWh water row and a negative quantity names both rows."""
    with pytest.raises(LedgerError) as raised:
        run(
            *make_org(
                [
                    GOOD,
                    ["w1", 2024, "HQ", "CN-SH", "water", 500, "kWh", "", "", "bill"],
                    ["g1", 2024, "HQ", "CN-SH", "gasoline", -20, "L", "", "", "card"],
                ]
            )
        )
    rows = {(p.row, p.column) for p in raised.value.problems}
    assert rows == {(3, "unit"), (4, "quantity")}


def test_empty_ledger_is_an_error_not_a_crash(make_org):
    with pytest.raises(LedgerError, match="at least one activity row"):
        run(*make_org([]))


def test_missing_factor_alone_raises_factor_not_found(make_org):
    from carbon.errors import FactorNotFound

    with pytest.raises(FactorNotFound):
        run(
            *make_org(
                [["p1", 2024, "HQ", "CN-SH", "waste", 1, "t", "batteries", "composting", "x"]],
                employees={2024: 1},
            )
        )


def test_two_blank_header_cells_are_named_not_a_crash(tmp_path):
    from carbon import readers
    from carbon.errors import LedgerError

    path = tmp_path / "a.csv"
    header = "record_id,,year,site,region,activity,quantity,unit,waste_type,route,source,"
    path.write_text(header + "\nr1,x,2024,s,CN,electricity,1,MWh,,,src,\n", encoding="utf-8")
    with pytest.raises(LedgerError) as raised:
        readers.read_table(path, readers.table_schema("ledger"))
    assert "a column has values but no name" in str(raised.value)
    path.write_text(header + "\nr1,,2024,s,CN,electricity,1,MWh,,,src,\n", encoding="utf-8")
    assert "" not in readers.read_table(path, readers.table_schema("ledger")).columns  # empty: dropped


PRINTABLE_ASCII = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
# Either side of each edge of the quick look: tab (allowed), controls, DEL, non-ASCII text.
BOUNDARY_CHARACTERS = st.sampled_from(["\t", "\n", "\x00", "\x08", "\x1f", "\x7f", "\x80", "é", "\u2028"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.one_of(PRINTABLE_ASCII, BOUNDARY_CHARACTERS)), min_size=1, max_size=8))
def test_the_quick_look_for_control_bytes_misses_none(values):
    """The byte scan that lets a text column skip the regex: printable ASCII is decided by its
    lowest and highest byte; anything else (tab, a control character, DEL, non-ASCII) by the
    table of control bytes. Checked against a plain test of every character."""
    import re

    from carbon.readers import CONTROL_CHARACTERS, _may_hold_control_bytes

    expected = any(re.search(CONTROL_CHARACTERS, value) for value in values)
    assert _may_hold_control_bytes(pd.Series(values, dtype="str")) == expected
