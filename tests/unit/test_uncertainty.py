"""Uncertainty of the inventory figures (carbon/uncertainty.py), checked by hand.

The two-source example: 300 tCO2e of electricity from invoices (+-5%) with a C1 factor (+-10%),
and 100 tCO2e of natural gas estimated (+-65%) with a C2+ factor (+-0%), all CO2:

    scope 1          100 +- 65                                        = [35, 165]
    scope 2 (loc.)   300 +- 300 x sqrt(0.05^2 + 0.10^2) = 33.5410     = [266.459, 333.541]
    total (loc.)     400 +- sqrt(15^2 + 30^2 + 65^2) = sqrt(5350) = 73.1437 (18.286%)
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from carbon.inventory import LINE_GROUP
from carbon.models.uncertainty import UncertaintyRules, quality_classes, uncertainty_rules
from carbon.paths import data_file
from carbon.uncertainty import assess, half_width_95
from tests.conftest import run


def lines(*sources: dict) -> pd.DataFrame:
    """Aggregated emission lines (LINE_GROUP and sums) from a few sources."""
    defaults = {name: "" for name in LINE_GROUP} | {"category": None, "factor_data_year": 2024}
    sums = {"line_count": 1, "emissions_t_gas": 0.0, "quantity_canonical": 1.0, "used_quantity": 1.0}
    frame = pd.DataFrame([defaults | sums | s for s in sources])
    return frame


ELECTRICITY = {
    "year": 2025,
    "scope": 2,
    "method": "location",
    "activity": "electricity",
    "factor_id": "grid",
    "gas": "CO2",
    "factor_confidence": "C1 (one source)",
    "quality_class": "invoiced",
    "tco2e": 300.0,
}
GAS = {
    "year": 2025,
    "scope": 1,
    "method": "",
    "activity": "natural_gas",
    "factor_id": "ipcc.gas",
    "gas": "CO2",
    "factor_confidence": "C2+",
    "quality_class": "estimated",
    "tco2e": 100.0,
}


def test_two_sources_by_hand():
    result = assess(lines(ELECTRICITY, GAS), {2025: 4}, draws=0).by_year[2025]
    scope1 = result["scope1"].propagation
    assert (scope1.low, scope1.high) == pytest.approx((35.0, 165.0))
    scope2 = result["scope2_location"].propagation
    assert scope2.high - 300 == pytest.approx(300 * math.sqrt(0.05**2 + 0.10**2))
    total = result["total_location"]
    assert total.value == pytest.approx(400.0)
    assert total.propagation.high - 400 == pytest.approx(math.sqrt(5350))
    assert total.propagation.half_width_percent == pytest.approx(math.sqrt(5350) / 4)
    assert total.monte_carlo is None  # draws=0: propagation only
    # The intensity: the same interval over 4 employees (the headcount is exact).
    intensity = result["intensity.tco2e_per_employee"]
    assert (intensity.propagation.low, intensity.propagation.high) == pytest.approx(
        ((400 - math.sqrt(5350)) / 4, (400 + math.sqrt(5350)) / 4)
    )
    # Data quality: 300 of 400 t measured (invoiced); the class names, not the ledger's spelling.
    assert total.measured_share == pytest.approx(0.75)
    assert total.data_quality == pytest.approx({"invoiced": 0.75, "estimated": 0.25})


def test_a_shared_factor_and_a_shared_quantity_count_once():
    # 200 t more electricity, estimated, on the same grid factor: the factor's error scales all
    # 500 t at once; each quantity group's error its own tonnes.
    more = ELECTRICITY | {"quality_class": "estimated", "tco2e": 200.0}
    scope2 = assess(lines(ELECTRICITY, more), {}, draws=0).by_year[2025]["scope2_location"]
    expected = math.sqrt((0.05 * 300) ** 2 + (0.65 * 200) ** 2 + (0.10 * 500) ** 2)
    assert scope2.propagation.high - 500 == pytest.approx(expected)
    # CO2 and CH4 lines of the same gas rows share the quantity's error (65% of both), while the
    # CH4 factor carries the GWP's (+-35% at 90% = 41.7% at 95%).
    # One CH4 GWP for every CH4 line, whatever its factor: 10 t from gas and 10 t from diesel.
    ch4 = GAS | {"gas": "CH4", "factor_id": "ipcc.gas.ch4", "tco2e": 10.0}
    diesel = ch4 | {"activity": "diesel", "factor_id": "ipcc.diesel.ch4", "quality_class": "metered"}
    scope1 = assess(lines(GAS, ch4, diesel), {}, draws=0).by_year[2025]["scope1"]
    gwp = 0.35 * 1.959963984540054 / 1.6448536269514722
    expected = math.sqrt((0.65 * 110) ** 2 + (0.05 * 10) ** 2 + (gwp * 20) ** 2)
    assert scope1.propagation.high - 120 == pytest.approx(expected)


def test_a_quantity_error_scales_the_tonnes_before_certificates():
    # 1,000 MWh invoiced (+-5%) at a residual factor of 0.6 t/MWh, 900 MWh of it covered by
    # certificates: 60 t market-based, but 5% more electricity is 50 MWh more, 30 t (0.05 x 600).
    market = ELECTRICITY | {
        "method": "market",
        "factor_confidence": "C2+",
        "tco2e": 60.0,
        "quantity_canonical": 1000.0,
        "used_quantity": 100.0,
    }
    covered = market | {"tco2e": 0.0, "used_quantity": 0.0, "factor_id": "all covered", "year": 2024}
    result = assess(lines(market, covered), {}, draws=20_000, seed=3).by_year
    figure = result[2025]["scope2_market"]
    assert figure.propagation.high - 60 == pytest.approx(0.05 * 600)
    assert (figure.monte_carlo.high - figure.monte_carlo.low) / 2 == pytest.approx(30, rel=0.05)
    # Every MWh covered: no tonnes and, to first order, none that a small error adds.
    assert result[2024]["scope2_market"].propagation.high == 0.0


def test_monte_carlo_agrees_with_propagation_and_repeats_with_its_seed():
    rules = uncertainty_rules()
    sources = lines(ELECTRICITY, GAS, ELECTRICITY | {"year": 2024})
    first = assess(sources, {}, draws=10_000, seed=7).by_year
    again = assess(sources, {}, draws=10_000, seed=7).by_year
    other = assess(sources, {}, draws=10_000, seed=8).by_year
    for year, figures in first.items():
        for key, figure in figures.items():
            assert figure.monte_carlo == again[year][key].monte_carlo  # the seed repeats it exactly
            propagated = figure.propagation.high - figure.value
            simulated = (figure.monte_carlo.high - figure.monte_carlo.low) / 2
            assert abs(simulated - propagated) <= rules.monte_carlo.agreement_percent / 100 * propagated
    assert first[2025]["total_location"].monte_carlo != other[2025]["total_location"].monte_carlo


def test_qfin_intervals_hold_the_inventory_figures_and_the_methods_agree(qfin_result):
    rules = uncertainty_rules()
    for year in qfin_result.inventory.years:
        figures = year.model_dump()
        for key, figure in year.uncertainty.items():
            value = figures["intensity"][key.split(".")[1]] if key.startswith("intensity.") else figures[key]
            assert figure.value == pytest.approx(value, rel=1e-12)  # the figures mean what the inventory says
            assert figure.propagation.low <= value <= figure.propagation.high
            assert figure.monte_carlo is not None
            assert figure.monte_carlo.half_width_percent == pytest.approx(
                figure.propagation.half_width_percent, rel=rules.monte_carlo.agreement_percent / 100
            )
        # Qfin's rows are keyed from its printed reports: the 'reported' class, none measured.
        assert year.uncertainty["total_location"].data_quality == pytest.approx({"reported": 1.0})
        assert year.uncertainty["total_location"].measured_share == 0.0


def test_an_unlisted_data_quality_is_named_with_a_suggestion(make_org):
    ledger, organisation = make_org(
        [["r1", 2025, "HQ", "CN", "electricity", 100, "MWh", "", "", "bill"]], employees={2025: 10}
    )
    text = ledger.read_text().splitlines()
    ledger.write_text("\n".join([text[0] + ",data_quality", text[1] + ",invoicd"]) + "\n", encoding="utf-8")
    result = run(ledger, organisation, draws=0)
    notes = [n for n in result.inventory.notes if "invoicd" in n]
    assert len(notes) == 1
    assert "(1 rows)" in notes[0] and "counted as unlisted (+-65%)" in notes[0]
    assert "did you mean 'invoiced'?" in notes[0]
    assert result.inventory.years[0].uncertainty["scope2_location"].data_quality == {"unlisted": 1.0}


def test_free_text_data_quality_is_named_at_most_twenty_times_and_keys_stay_few(make_org):
    rows = [[f"r{i}", 2025, "HQ", "CN", "electricity", 10, "MWh", "", "", "bill"] for i in range(300)]
    ledger, organisation = make_org(rows, employees={2025: 10})
    text = ledger.read_text().splitlines()
    body = [line + f",read by clerk {i}" for i, line in enumerate(text[1:])]
    ledger.write_text("\n".join([text[0] + ",data_quality", *body]) + "\n", encoding="utf-8")
    result = run(ledger, organisation, draws=0)
    notes = [n for n in result.inventory.notes if "data_quality" in n]
    assert len(notes) == 21 and notes[-1].startswith("Uncertainty: 280 more rows")
    assert len(result.normalised.keys) == 2  # one row key (the class): a location and a market line


def test_quality_classes_read_spellings_and_blanks():
    raw = pd.Series(["Invoice", " utility-bill ", "", "Estimated", "METERED", "n/a", "typo"])
    expected = ["invoiced", "invoiced", "unspecified", "estimated", "metered", "unspecified", "unlisted"]
    assert list(quality_classes(raw)) == expected


def test_gwp_half_width_is_widened_from_90_to_95_percent():
    assert half_width_95(uncertainty_rules().gwp) == pytest.approx(0.4170, abs=1e-4)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["activity_data"][0].update(source="nowhere"), "source nowhere is not among"),
        (lambda d: d["figures"][4]["parts"].append({"scope": 1}), "parts overlap in scope 1"),
        (lambda d: d["activity_data"][1]["matches"].append("Metered"), "listed in two classes"),
        (lambda d: d["factors"][0].update(half_width_percent=90), "less than or equal to 80"),
        (lambda d: d.update(unmatched_quality="nothing"), "unmatched_quality: one of"),
    ],
)
def test_bad_rules_are_refused(change, message):
    import copy

    data = copy.deepcopy(data_file("uncertainty.yaml"))
    change(data)
    with pytest.raises(ValidationError, match=message):
        UncertaintyRules.model_validate(data)


def test_factor_grades_are_read_from_the_start_of_the_confidence_text():
    rules = uncertainty_rules()
    assert rules.factor_grade("C1* (supported)").grade == "C1*"
    assert rules.factor_grade("C1 (FACTORS.md section 9)").grade == "C1"
    assert rules.factor_grade("C2+").grade == "C2+"
    assert rules.factor_grade("C2 (one secondary copy)").grade == "C2"
    assert rules.factor_grade("low (not confirmed)").grade == "low"
    assert rules.factor_grade("C12") is None
    assert rules.factor_grade("") is None


source_tonnes = st.lists(st.floats(min_value=0.0, max_value=1e6), min_size=1, max_size=6)


@settings(max_examples=60, deadline=None)
@given(source_tonnes, st.floats(min_value=0.01, max_value=1e3))
def test_intervals_scale_with_the_tonnes_and_the_total_is_no_wider_than_its_parts(tonnes, scale):
    qualities = ["metered", "estimated", "reported", "invoiced", "unspecified", "spend_based"]
    sources = [
        (ELECTRICITY if i % 2 else GAS)
        | {"tco2e": t, "quality_class": qualities[i], "factor_id": f"f{i % 3}", "activity": f"a{i}"}
        for i, t in enumerate(tonnes)
    ]
    base = assess(lines(*sources), {}, draws=0).by_year[2025]
    scaled = assess(lines(*[s | {"tco2e": s["tco2e"] * scale} for s in sources]), {}, draws=0).by_year[2025]
    for key, figure in base.items():
        half = figure.propagation.high - figure.value
        assert scaled[key].propagation.high - scaled[key].value == pytest.approx(
            half * scale, rel=1e-9, abs=1e-9
        )
        assert np.isfinite(half) and half >= 0
    parts = sum(base[k].propagation.high - base[k].value for k in ("scope1", "scope2_location"))
    total = base["total_location"]
    assert total.propagation.high - total.value <= parts * (1 + 1e-12) + 1e-9
