"""Shared fixtures: tiny ledgers written inline, so every expected number can be checked on paper."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from carbon.paths import inputs_root
from carbon.pipeline import InventoryRequest, run_inventory

LEDGER_HEADER = ["record_id", "year", "site", "region", "activity", "quantity", "unit", "waste_type", "route", "source"]
# A fixed as-of date after every bundled publication, so results do not depend on the day tests run.
AS_OF = date(2026, 6, 30)


def write_csv(path: Path, header: list[str], rows: list[list]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def make_org(tmp_path):
    """Write a ledger and an organisation file; returns (ledger path, organisation path)."""

    def _make(rows: list[list], employees: dict[int, int] | None = None, revenue: dict[int, float] | None = None):
        ledger = write_csv(tmp_path / "activity.csv", LEDGER_HEADER, rows)
        metrics = [[y, "employees", n, "person", "fixture"] for y, n in (employees or {}).items()]
        metrics += [[y, "revenue", v, "million * RMB", "fixture"] for y, v in (revenue or {}).items()]
        organisation = write_csv(tmp_path / "organisation.csv", ["year", "metric", "value", "unit", "source"], metrics)
        return ledger, organisation

    return _make


def run(ledger: Path, organisation: Path, **options):
    options.setdefault("as_of", AS_OF)
    return run_inventory(InventoryRequest(ledger=ledger, organisation=organisation, organisation_name="fixture", **options))


@pytest.fixture(scope="session")
def qfin_result():
    qfin = inputs_root() / "qfin"
    return run_inventory(InventoryRequest(ledger=qfin / "activity.csv", organisation=qfin / "organisation.csv",
                                          organisation_name="qfin", as_of=AS_OF))


def by_year(document: dict) -> dict[int, dict]:
    return {y["year"]: y for y in document["years"]}
