"""Market-based Scope 2 with green certificates and green power trades, worked by hand.

Factors (china-corporate 2026.1, reporting year 2024 -> data year 2023):
Shanghai location 0.5737, Beijing location 0.5554, national residual (excl. market-traded
non-fossil) 0.6096 tCO2/MWh; certificates 0.
"""

import pytest

from carbon.errors import LedgerError
from tests.conftest import by_year, run

REL = 1e-12
SH = ["e-sh", 2024, "HQ", "CN-SH", "electricity", 1000, "MWh", "", "", "meter"]
BJ = ["e-bj", 2024, "BJ", "CN-BJ", "electricity", 500, "MWh", "", "", "meter"]


def certificate(record_id, mwh, year=2024, activity="green_certificate"):
    return [record_id, year, "", "CN", activity, mwh, "MWh", "", "", "GEC registry"]


def with_instrument_ids(make_org, rows):
    ledger, organisation = make_org(rows, employees={2023: 10, 2024: 10})
    # make_org writes the core columns; add instrument ids for instrument rows
    lines = ledger.read_text().splitlines()
    lines[0] += ",instrument"
    lines[1:] = [line + (",GEC-" + line.split(",")[0] if ",green_" in line else ",") for line in lines[1:]]
    ledger.write_text("\n".join(lines) + "\n")
    return ledger, organisation


def test_partial_coverage(make_org):
    result = run(*with_instrument_ids(make_org, [SH, BJ, certificate("c1", 300)]))
    year = by_year(result.inventory.model_dump())[2024]
    # location unchanged: 1000 x 0.5737 + 500 x 0.5554 = 573.7 + 277.7 = 851.4
    assert year["scope2_location"] == pytest.approx(851.4, rel=REL)
    # market: 300 of 1500 MWh covered at 0; the other 1200 MWh at 0.6096 = 731.52
    assert year["scope2_market"] == pytest.approx(1200 * 0.6096, rel=REL)
    # certificates are not energy use
    assert year["energy_mwh"]["total"] == pytest.approx(1500, rel=REL)
    assert any(
        "Instruments, 2024: 300.00 MWh" in note and "unused" not in note
        for note in result.inventory.model_dump()["notes"]
    )


def test_excess_certificates_never_go_negative_and_are_reported_unused(make_org):
    result = run(
        *with_instrument_ids(
            make_org, [SH, certificate("c1", 1200), certificate("c2", 300, activity="green_power")]
        )
    )
    year = by_year(result.inventory.model_dump())[2024]
    assert year["scope2_market"] == 0.0
    assert year["scope2_location"] == pytest.approx(573.7, rel=REL)
    lines = result.lines
    used = (lines["quantity_canonical"] * lines["applied_share"])[
        lines["activity"].isin(["green_certificate", "green_power"])
    ]
    assert used.sum() == pytest.approx(1000, rel=REL)  # 1500 MWh held, 1000 consumed
    assert any("500.00 MWh unused" in note for note in result.inventory.model_dump()["notes"])


def test_instruments_cover_only_the_same_year(make_org):
    result = run(*with_instrument_ids(make_org, [SH, certificate("c1", 400, year=2023)]))
    years = by_year(result.inventory.model_dump())
    assert years[2024]["scope2_market"] == pytest.approx(1000 * 0.6096, rel=REL)
    assert any(
        "Instruments, 2023: 400.00 MWh" in note and "400.00 MWh unused" in note
        for note in result.inventory.model_dump()["notes"]
    )


def test_instrument_row_needs_an_id(make_org):
    with pytest.raises(LedgerError, match="column 'instrument'"):
        run(*make_org([SH, certificate("c1", 300)], employees={2024: 10}))
