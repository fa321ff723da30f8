"""Base-year recalculation (carbon restate): structural changes pro rata, significance alone and
together, method changes against the factors of the day, corrected errors; bad policies exit 2
naming the key. Hand-checkable: every expected figure is written out from the Qfin inventory."""

import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml

from carbon.engine import InventoryRequest, run_inventory
from carbon.errors import InputFileError
from carbon.restate import days_fraction, load_policy, restate
from tests.conftest import AS_OF, qfin_ledger_copy

QFIN = Path(__file__).resolve().parents[2] / "inputs" / "qfin"


@pytest.fixture(scope="module")
def org(tmp_path_factory):
    return qfin_ledger_copy(tmp_path_factory.mktemp("org"))


@pytest.fixture(scope="module")
def base(org):
    """Qfin's Scope 1 + Scope 2 (location-based) per year, as the engine computes them today."""
    run = run_inventory(InventoryRequest(org / "activity.csv", org / "organisation.csv", "qfin", as_of=AS_OF))
    return {y.year: y.scope1 + y.scope2_location for y in run.inventory.years}


def request(org):
    return InventoryRequest(org / "activity.csv", org / "organisation.csv", "qfin", as_of=AS_OF)


def policy(org, events, cumulative=False, percent=5):
    data = {"base_year": 2021, "threshold": {"percent": percent}, "cumulative": cumulative, "events": events}
    path = org / "policy.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return load_policy(path), path


def acquisition(name, day, scope1):
    return {"kind": "acquisition", "name": name, "date": day, "entity": {"emissions": {"scope1": scope1}}}


def test_an_acquisition_above_the_threshold_restates_the_base_year_pro_rata(org, base):
    entity = 0.10 * base[2021]  # 10% of the base year: above 5%
    outcome = restate(request(org), *policy(org, [acquisition("Big Co", date(2023, 7, 1), entity)]))
    (trigger,) = outcome.triggers
    by_year = {d.year: d.tco2e for d in trigger.differences}
    assert by_year[2021] == by_year[2022] == entity  # owned all year had it been in the boundary
    assert by_year[2023] == pytest.approx(entity * 181 / 365, rel=1e-12)  # 1 January to 30 June
    assert by_year[2024] == by_year[2025] == 0.0  # already in the inventory
    assert trigger.base_year_pct == pytest.approx(10.0) and trigger.significant and outcome.restate_base_year
    for year in outcome.series:
        assert year.restated == pytest.approx(year.computed + by_year[year.year], rel=1e-12)


def test_an_acquisition_in_the_base_year_counts_its_part_before_the_date(org, base):
    entity = 0.30 * base[2021]
    outcome = restate(request(org), *policy(org, [acquisition("Early Co", date(2021, 4, 1), entity)]))
    assert days_fraction(date(2021, 4, 1)) == 90 / 365
    assert outcome.triggers[0].base_year_pct == pytest.approx(30.0 * 90 / 365)  # 7.40%: significant
    assert outcome.restate_base_year


def test_one_below_the_threshold_does_not_restate(org, base):
    outcome = restate(
        request(org), *policy(org, [acquisition("Small Co", date(2024, 1, 1), 0.02 * base[2021])])
    )
    assert not outcome.triggers[0].significant and not outcome.restate_base_year
    assert "below the 5% threshold" in outcome.reason


@pytest.mark.parametrize(("cumulative", "restated"), [(True, True), (False, False)])
def test_small_changes_add_up_past_the_threshold_only_when_counted_together(org, base, cumulative, restated):
    events = [acquisition(f"Co {n}", date(2022 + n, 3, 1), 0.02 * base[2021]) for n in range(3)]
    outcome = restate(request(org), *policy(org, events, cumulative=cumulative))
    assert not any(t.significant for t in outcome.triggers)
    assert outcome.triggers[-1].cumulative_pct == pytest.approx(6.0)
    assert outcome.restate_base_year is restated


def test_a_divestment_and_a_corrected_error(org, base):
    events = [
        {
            "kind": "divestment",
            "name": "Sold Co",
            "date": date(2022, 1, 1),
            "entity": {"emissions": {"scope2_location": 0.01 * base[2021]}},
        },
        {
            "kind": "error_correction",
            "name": "Meter error",
            "date": date(2025, 3, 1),
            "year": 2021,
            "difference": {"scope1": 0.05 * base[2021]},
        },
    ]
    outcome = restate(request(org), *policy(org, events))
    divested, corrected = outcome.triggers
    assert {d.year: d.tco2e for d in divested.differences}[2021] == -0.01 * base[2021]
    assert {d.year: d.tco2e for d in divested.differences}[2022] == 0.0  # 1 January: nothing before it
    assert corrected.significant and corrected.base_year_pct == pytest.approx(5.0)


def test_a_method_change_is_todays_figure_less_the_figure_of_the_day(org, base):
    events = [
        {
            "kind": "method_change",
            "name": "2023 vintages",
            "date": date(2026, 1, 15),
            "as_of_before": date(2025, 6, 30),
        }
    ]
    outcome = restate(request(org), *policy(org, events))
    before_run = run_inventory(
        InventoryRequest(org / "activity.csv", org / "organisation.csv", "q", as_of=date(2025, 6, 30))
    )
    before = {y.year: y.scope1 + y.scope2_location for y in before_run.inventory.years}
    for difference in outcome.triggers[0].differences:
        assert difference.tco2e == pytest.approx(base[difference.year] - before[difference.year], abs=1e-9)
    assert all(s.restated == s.computed for s in outcome.series)  # today's run has today's factors
    # The 2023 grid factor (0.5306, January 2026) changed 2023 on; the base year is as it was.
    assert outcome.triggers[0].differences[0].tco2e == 0.0 and outcome.triggers[0].differences[2].tco2e < 0


def test_factors_that_cannot_compute_the_ledger_are_named(org):
    events = [
        {"kind": "method_change", "name": "old", "date": date(2024, 1, 1), "as_of_before": date(2023, 5, 31)}
    ]
    with pytest.raises(InputFileError) as error:
        restate(request(org), *policy(org, events))
    assert "events[1].as_of_before" in str(error.value) and "2023-05-31" in str(error.value)


def test_an_entity_ledger_gives_the_entitys_figures_per_year(org):
    ledger = org / "acquired.csv"
    rows = ["record_id,year,site,region,activity,quantity,unit,source"]
    rows += [f"A{y},{y},Acquired office,CN-SH,electricity,100,MWh,test" for y in range(2021, 2026)]
    ledger.write_text("\n".join(rows) + "\n", encoding="utf-8")
    events = [
        {
            "kind": "acquisition",
            "name": "Ledger Co",
            "date": date(2023, 1, 1),
            "entity": {"ledger": "acquired.csv"},
        }
    ]
    outcome = restate(request(org), *policy(org, events))
    own = run_inventory(InventoryRequest(ledger, org / "organisation.csv", "a", as_of=AS_OF)).inventory.years
    expected = {y.year: y.scope1 + y.scope2_location for y in own}
    by_year = {d.year: d.tco2e for d in outcome.triggers[0].differences}
    assert by_year[2021] == expected[2021] and by_year[2022] == expected[2022] and by_year[2023] == 0.0


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda d: d.update({"base_year": 2019}), "base_year"),
        (lambda d: d["events"][0].pop("date"), "date"),
        (lambda d: d["threshold"].update({"percent": 150}), "threshold.percent"),
        (lambda d: d["threshold"].update({"percent": 0}), "threshold.percent"),
        (lambda d: d["threshold"].update({"of": ["scope_1"]}), "did you mean 'scope1'"),
        (lambda d: d["events"][0].update({"kind": "merger"}), "events[1]"),
        (lambda d: d["events"][0]["entity"].update({"ledger": "x.csv"}), "either emissions"),
    ],
)
def test_bad_policies_name_the_key(org, change, named):
    data = {"base_year": 2021, "threshold": {"percent": 5}, "events": [acquisition("Co", "2023-07-01", 1.0)]}
    change(data)
    path = org / "policy.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(InputFileError) as error:
        restate(request(org), load_policy(path), path)
    assert "policy.yaml" in str(error.value) and named in str(error.value), str(error.value)


def test_an_entity_ledger_needs_only_the_years_before_the_change(org):
    ledger = org / "acquired-late.csv"
    rows = ["record_id,year,site,region,activity,quantity,unit,source"]
    rows += [f"B{y},{y},Acquired office,CN-SH,electricity,50,MWh,test" for y in (2021, 2022)]
    ledger.write_text("\n".join(rows) + "\n", encoding="utf-8")
    joined = {
        "kind": "acquisition",
        "name": "Late Co",
        "date": date(2023, 1, 1),
        "entity": {"ledger": ledger.name},
    }
    outcome = restate(request(org), *policy(org, [joined]))  # 2023 on: nothing to add, no rows needed
    assert [d.tco2e > 0 for d in outcome.triggers[0].differences] == [True, True, False, False, False]
    joined["date"] = date(2023, 7, 1)  # now half of 2023 is before it: 2023 rows are needed
    with pytest.raises(InputFileError) as error:
        restate(request(org), *policy(org, [joined]))
    assert "events[1].entity.ledger" in str(error.value) and "2023" in str(error.value)


# Found by a hostile-input hunt (each gave a traceback or a silently wrong number before).
@pytest.mark.parametrize(
    ("change", "named"),
    [
        (
            lambda d: d["events"][0]["entity"]["emissions"].update({"scope1": 1e308}),
            "entity.emissions.scope1",
        ),
        (lambda d: d["threshold"].update({"of": ["energy_mwh.electricity"]}), "a tCO2e figure"),
        (lambda d: d["threshold"].update({"of": ["scope1", "scope1"]}), "scope1 is given twice"),
        (lambda d: d["events"][0].update({"date": 1688169600}), "not the number 1688169600"),
        (lambda d: d["events"][0].update({"date": date(2999, 1, 1)}), "events[1].acquisition.date"),
        (lambda d: d["events"][0].update({"kind": "aquisition"}), "events[1].kind"),
        (lambda d: d["events"][0].update({"kind": "aquisition"}), "did you mean 'acquisition'"),
        (lambda d: d["events"][0].pop("kind"), "events[1].kind"),
        (lambda d: d["events"][0].update({"name": "a\rb"}), "control characters"),
        (lambda d: d["events"][0].update({"name": "a\u202eb"}), "control characters"),
        (
            lambda d: d.update({"events": [acquisition(f"Co {n}", "2023-07-01", 1.0) for n in range(201)]}),
            "events",
        ),
        (
            lambda d: d["events"].append(
                {"kind": "method_change", "name": "m", "date": "2025-01-01", "years": []}
            ),
            "events[2].method_change.years",
        ),
        (
            lambda d: d["events"].append(
                {
                    "kind": "method_change",
                    "name": "m",
                    "date": "2025-01-01",
                    "as_of_before": "2025-06-30",
                    "years": [2019],
                }
            ),
            "events[2].years",
        ),
        (
            lambda d: d["events"].append(
                {"kind": "method_change", "name": "m", "date": "2025-01-01", "as_of_before": "2027-01-01"}
            ),
            "events[2].as_of_before",
        ),
        (
            lambda d: d["events"].append(
                {
                    "kind": "method_change",
                    "name": "m",
                    "date": "2025-01-01",
                    "factors_before": "china-corporate@9.9",
                }
            ),
            "events[2].factors_before",
        ),
        (
            lambda d: d["events"].append(
                {
                    "kind": "divestment",
                    "name": "Too big",
                    "date": "2022-01-01",
                    "entity": {"emissions": {"scope1": 1e6}},
                }
            ),
            "cannot have emitted more",
        ),
        (
            lambda d: d["events"][0]["entity"].update({"emissions": None, "ledger": "missing.csv"}),
            "events[1].entity.ledger",
        ),
    ],
)
def test_hostile_policies_exit_2_naming_the_key(org, change, named):
    data = {"base_year": 2021, "threshold": {"percent": 5}, "events": [acquisition("Co", "2023-07-01", 1.0)]}
    change(data)
    path = org / "policy.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InputFileError) as error:
        restate(request(org), load_policy(path), path)
    assert "policy.yaml" in str(error.value) and named in str(error.value), str(error.value)


def test_a_category_some_years_lack_counts_as_zero_there(org, base):
    events = [acquisition("Co", "2023-07-01", 1.0)]
    data = {
        "base_year": 2021,
        "threshold": {"percent": 5, "of": ["scope2_location", "scope3_by_category.6"]},
        "events": events,
    }
    path = org / "policy.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    outcome = restate(request(org), load_policy(path), path)  # Qfin has no business travel (category 6)
    run = run_inventory(request(org))
    assert outcome.base_year_value == next(y.scope2_location for y in run.inventory.years if y.year == 2021)


def test_printed_figures_come_from_the_organisation_not_the_policy_folder(org, tmp_path):
    shutil.copytree(QFIN / "published", org / "published", dirs_exist_ok=True)
    elsewhere = tmp_path / "policies" / "policy.yaml"
    elsewhere.parent.mkdir()
    elsewhere.write_text(yaml.safe_dump({"base_year": 2021, "threshold": {"percent": 5}}), encoding="utf-8")
    outcome = restate(request(org), load_policy(elsewhere), elsewhere)
    assert (
        outcome.series[0].printed == pytest.approx(1296.40) and outcome.series[0].printed_source == "esg-2022"
    )
