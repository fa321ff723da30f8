"""Shared fixtures: tiny ledgers written inline, so every expected number can be checked on paper."""

from __future__ import annotations

import csv
import hashlib
import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml

from carbon.engine import InventoryRequest, run_inventory
from carbon.factors import FACTOR_COLUMNS, OPTIONAL_FACTOR_COLUMNS, resolve_factor_set
from carbon.paths import inputs_root

LEDGER_HEADER = [
    "record_id",
    "year",
    "site",
    "region",
    "activity",
    "quantity",
    "unit",
    "waste_type",
    "route",
    "source",
]
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

    def _make(
        rows: list[list], employees: dict[int, int] | None = None, revenue: dict[int, float] | None = None
    ):
        ledger = write_csv(tmp_path / "activity.csv", LEDGER_HEADER, rows)
        metrics = [[y, "employees", n, "person", "fixture"] for y, n in (employees or {}).items()]
        metrics += [[y, "revenue", v, "million * RMB", "fixture"] for y, v in (revenue or {}).items()]
        organisation = write_csv(
            tmp_path / "organisation.csv", ["year", "metric", "value", "unit", "source"], metrics
        )
        return ledger, organisation

    return _make


def run(ledger: Path, organisation: Path, **options):
    options.setdefault("as_of", AS_OF)
    return run_inventory(
        InventoryRequest(ledger=ledger, organisation=organisation, organisation_name="fixture", **options)
    )


@pytest.fixture(scope="session")
def qfin_result():
    qfin = inputs_root() / "qfin"
    return run_inventory(
        InventoryRequest(
            ledger=qfin / "activity.csv",
            organisation=qfin / "organisation.csv",
            organisation_name="qfin",
            as_of=AS_OF,
        )
    )


def qfin_ledger_copy(folder: Path) -> Path:
    """The bundled Qfin ledger and organisation file copied into `folder` (for tests that put a
    policy or other files beside them)."""
    for name in ("activity.csv", "organisation.csv"):
        shutil.copy(inputs_root() / "qfin" / name, folder)
    return folder


def by_year(document: dict) -> dict[int, dict]:
    return {y["year"]: y for y in document["years"]}


def make_factor_set(folder: Path, factor_rows: list[str], version: str = "1", name: str = "mini") -> Path:
    """A factor set folder from CSV lines (in FACTOR_COLUMNS order, without the optional ones)
    plus the bundled regions, GWP
    and fuel tables, with a manifest whose hashes match. Every row cites source 'S'."""
    folder.mkdir(parents=True)
    header = [
        c for c in FACTOR_COLUMNS if c not in OPTIONAL_FACTOR_COLUMNS
    ]  # the rows predate the optional columns
    (folder / "f.csv").write_text(",".join(header) + "\n" + "\n".join(factor_rows) + "\n", encoding="utf-8")
    bundled = resolve_factor_set("china-corporate@2026.1")
    for table in ("regions.csv", "gwp.csv", "fuel_properties.csv"):
        shutil.copy(bundled / table, folder / table)
    source = {"publisher": "test", "title": "fixture", "published": "2026-01-01", "url": "", "locator": "n/a"}
    manifest = {
        "name": name,
        "version": version,
        "released": "2026-01-01",
        "sources": {sid: dict(source) for sid in ("S", "S1-MAP", "S9", "S14", "S18")},
        "tables": [
            {"file": f, "kind": k, "sha256": hashlib.sha256((folder / f).read_bytes()).hexdigest()}
            for f, k in [
                ("f.csv", "factors"),
                ("regions.csv", "regions"),
                ("gwp.csv", "gwp"),
                ("fuel_properties.csv", "fuel_properties"),
            ]
        ],
    }
    (folder / "manifest.yaml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
    return folder
