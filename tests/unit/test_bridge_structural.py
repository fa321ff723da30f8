"""The bridge's split of structural change (acquisitions, divestments from the organisation's
base-year policy) from performance. Hand-checked on Qfin with given entity emissions: an entity
counts in a year for the part of the year it was inside the boundary, pro rata by days."""

import pytest
import yaml
from typer.testing import CliRunner

from carbon.bridge import bridge
from carbon.cli import app
from carbon.engine import InventoryRequest, run_inventory
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
