"""The bridge's split of structural change (acquisitions, divestments from the organisation's
base-year policy) from performance. Hand-checked on Qfin with given entity emissions: an entity
counts in a year for the part of the year it was inside the boundary, pro rata by days."""

import shutil

import pytest
import yaml
from typer.testing import CliRunner

from carbon.bridge import bridge
from carbon.cli import app
from carbon.engine import InventoryRequest, run_inventory
from carbon.errors import InputFileError
from carbon.paths import inputs_root
from carbon.restate import load_policy
from tests.conftest import AS_OF, qfin_ledger_copy


@pytest.fixture(scope="module")
def org(tmp_path_factory):
    return qfin_ledger_copy(tmp_path_factory.mktemp("bridge-org"))


@pytest.fixture(scope="module")
def result(org):
    return run_inventory(
        InventoryRequest(org / "activity.csv", org / "organisation.csv", "qfin", as_of=AS_OF)
    )


QFIN_POLICY = inputs_root() / "qfin" / "policy.yaml"
EVENTS = [
    {
        "kind": "acquisition",
        "name": "North Co",
        "date": "2024-07-01",
        "entity": {"emissions": {"scope1": 100}},
    },
    {
        "kind": "divestment",
        "name": "South Co",
        "date": "2025-04-01",
        "entity": {"emissions": {"scope2_location": 50, "scope2_market": 60}},
    },
    {"kind": "method_change", "name": "New factors", "date": "2026-01-31", "as_of_before": "2025-05-31"},
]


def write_policy(org, events=EVENTS):
    path = org / "policy.yaml"
    path.write_text(yaml.safe_dump({"base_year": 2021, "threshold": {"percent": 5}, "events": events}))
    return load_policy(path), path


def parts(document):
    return {p["event"]: p["value"] for p in document["structural"]["parts"]}


def test_structural_change_is_the_entities_emissions_inside_the_boundary_each_year(org, result):
    document = bridge(result, 2024, 2025, "location", write_policy(org))
    # North Co: inside 184 of 2024's 366 days, all of 2025.
    assert parts(document)["North Co"] == pytest.approx(100 - 100 * 184 / 366, rel=1e-12)
    # South Co: inside all of 2024, the 90 days of 2025 before 1 April.
    assert parts(document)["South Co"] == pytest.approx(50 * 90 / 365 - 50, rel=1e-12)
    assert "New factors" not in parts(document)  # a method change is not structural
    structural = sum(parts(document).values())
    assert document["structural"]["total"] == pytest.approx(structural, rel=1e-12)
    assert document["performance"] == pytest.approx(document["change"] - structural, rel=1e-12)


def test_the_view_chooses_the_scope_2_figure_and_years_outside_the_events_get_nothing(org, result):
    market = bridge(result, 2024, 2025, "market", write_policy(org))
    assert parts(market)["South Co"] == pytest.approx(60 * 90 / 365 - 60, rel=1e-12)
    before = bridge(result, 2022, 2023, "location", write_policy(org))
    assert parts(before) == {"North Co": 0.0, "South Co": 0.0}
    assert before["performance"] == pytest.approx(before["change"])


def test_without_a_policy_there_is_no_split(result):
    assert "structural" not in bridge(result, 2024, 2025, "location")


def test_cli_reads_the_organisations_policy(org):
    write_policy(org)
    out = CliRunner().invoke(app, ["bridge", "2024", "2025", "--org", str(org), "--as-of", AS_OF.isoformat()])
    assert out.exit_code == 0, out.output
    assert "North Co" in out.output and "performance" in out.output
    bad = [{"kind": "acquisition", "name": "X", "date": "2024-07-01", "entity": {"emissions": {"scope9": 1}}}]
    write_policy(org, bad)
    out = CliRunner().invoke(app, ["bridge", "2024", "2025", "--org", str(org), "--as-of", AS_OF.isoformat()])
    assert out.exit_code == 2 and "events[1].entity.emissions" in out.output


def test_an_entity_inside_or_outside_the_boundary_in_both_years_moves_nothing(org, result):
    events = [
        {
            "kind": "acquisition",
            "name": "Old Co",
            "date": "2022-01-01",
            "entity": {"emissions": {"scope1": 70}},
        },
        {
            "kind": "divestment",
            "name": "Later Co",
            "date": "2026-01-01",
            "entity": {"emissions": {"scope1": 40}},
        },
    ]
    document = bridge(result, 2023, 2024, "location", write_policy(org, events))
    assert parts(document) == {"Old Co": 0.0, "Later Co": 0.0}  # their own change is performance


def test_an_entity_ledger_is_read_for_the_year_of_the_event_only(org, result):
    # The acquired entity's own ledger has its year of acquisition only: 100 MWh of electricity in
    # 2022 at the 2022 national grid factor, 0.5366 t/MWh, is 53.66 t.
    (org / "entity.csv").write_text(
        "record_id,year,site,region,activity,quantity,unit,source\n"
        "e-2022,2022,Target,CN,electricity,100,MWh,entity accounts\n",
        encoding="utf-8",
    )
    events = [
        {"kind": "acquisition", "name": "Led Co", "date": "2022-07-01", "entity": {"ledger": "entity.csv"}}
    ]
    policy = write_policy(org, events)
    # 1 July 2022: outside for the 181 days before, inside for all of 2023.
    assert parts(bridge(result, 2022, 2023, "location", policy))["Led Co"] == pytest.approx(
        53.66 * 181 / 365, rel=1e-9
    )
    assert parts(bridge(result, 2024, 2025, "location", policy))["Led Co"] == 0.0  # no later year needed


def test_given_totals_count_and_a_scope_2_of_the_other_view_is_refused(org, result):
    events = [
        {
            "kind": "acquisition",
            "name": "T",
            "date": "2025-01-01",
            "entity": {"emissions": {"total_location": 80}},
        }
    ]
    assert parts(bridge(result, 2024, 2025, "location", write_policy(org, events)))["T"] == pytest.approx(80)
    events[0]["entity"] = {"emissions": {"scope2_location": 80}}
    with pytest.raises(InputFileError) as error:
        bridge(result, 2024, 2025, "market", write_policy(org, events))
    assert "events[1].entity.emissions" in str(error.value.problems[0])
    assert "scope2_market or total_market" in str(error.value.problems[0])


def test_an_entity_larger_than_the_organisation_is_refused(org, result):
    events = [
        {"kind": "divestment", "name": "Huge", "date": "2025-03-01", "entity": {"emissions": {"scope1": 1e6}}}
    ]
    with pytest.raises(InputFileError) as error:
        bridge(result, 2024, 2025, "location", write_policy(org, events))
    assert "an entity within the organisation" in str(error.value.problems[0])


def test_events_the_bridge_does_not_use_are_not_its_to_check(org):
    # Qfin's own policy has a method change dated January 2026: a bridge computed as of June 2025
    # does not use it, and runs.
    shutil.copy(QFIN_POLICY, org / "policy.yaml")
    out = CliRunner().invoke(app, ["bridge", "2023", "2024", "--org", str(org), "--as-of", "2025-06-01"])
    assert out.exit_code == 0, out.output
