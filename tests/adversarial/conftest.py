"""A small, valid organisation (ledger, organisation file, published tables, scenario) and a copy
of the bundled factor set, which each bad-input case then breaks in one way."""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from carbon.cli import app
from carbon.factors import resolve_factor_set

LEDGER = """record_id,year,site,region,activity,quantity,unit,waste_type,route,source
e1,2024,HQ,CN-SH,electricity,1000,kWh,,,meter
g1,2024,HQ,CN-SH,gasoline,100,L,,,fuel card
w1,2024,HQ,CN-SH,water,50,m**3,,,bill
x1,2024,HQ,CN-SH,waste,2,t,non_hazardous,,hauler
"""
ORGANISATION = """year,metric,value,unit,source
2024,employees,10,person,HR
2024,revenue,5,million * RMB,annual report
"""
PUBLISHED = """document:
  id: report-2024
  title: Fixture report 2024
figures:
- {kpi: energy.electricity, year: 2024, printed: '1.00', unit: MWh, section: statistical table, locator: p. 1}
- {kpi: employees.total, year: 2024, printed: '10', unit: person, section: statistical table, locator: p. 1}
"""
SCENARIO = """name: fixture
base_year: 2024
levers:
  electricity.green_share: 0.5
pathway:
  rates: {electricity: 0.02}
  target: {type: absolute_reduction, metric: total_market, reduction: 0.3}
"""


def snapshot(folder: Path) -> dict[str, object]:
    """Every file (bytes) and link (target) under `folder`, to compare before and after a run."""
    if not folder.exists():
        return {}
    state: dict[str, object] = {}
    for path in sorted(folder.rglob("*")):
        key = str(path.relative_to(folder))
        if path.is_symlink():
            state[key] = ("link", os.readlink(path))
        elif path.is_file():
            state[key] = path.read_bytes()
        else:
            state[key] = "dir"
    return state


def rehash(factor_folder: Path) -> None:
    """After changing a table on purpose, make the manifest's sha256 match (to get past the
    tamper check and test what comes after it)."""
    manifest_path = factor_folder / "manifest.yaml"
    manifest = yaml.safe_load(manifest_path.read_text(encoding="utf-8"))
    for entry in manifest["tables"]:
        path = factor_folder / entry["file"]
        if path.is_file():
            entry["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    manifest_path.write_text(yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False), encoding="utf-8")


@dataclass
class Workspace:
    root: Path
    org: Path = field(init=False)
    out: Path = field(init=False)
    factors: Path = field(init=False)

    def __post_init__(self) -> None:
        self.org, self.out, self.factors = self.root / "org", self.root / "out", self.root / "factors"

    def placeholders(self) -> dict[str, str]:
        return {
            "org": str(self.org),
            "out": str(self.out),
            "fs": str(self.factors),
            "tmp": str(self.root),
            "ledger": str(self.org / "activity.csv"),
            "organisation": str(self.org / "organisation.csv"),
        }


@pytest.fixture(scope="session")
def pristine(tmp_path_factory) -> Path:
    """The valid workspace with the outputs of one successful run in out/."""
    root = tmp_path_factory.mktemp("pristine")
    space = Workspace(root)
    (space.org / "published").mkdir(parents=True)
    (space.org / "scenarios").mkdir()
    (space.org / "activity.csv").write_text(LEDGER, encoding="utf-8")
    (space.org / "organisation.csv").write_text(ORGANISATION, encoding="utf-8")
    (space.org / "published" / "report.yaml").write_text(PUBLISHED, encoding="utf-8")
    (space.org / "scenarios" / "s.yaml").write_text(SCENARIO, encoding="utf-8")
    shutil.copytree(resolve_factor_set("china-corporate@2026.1"), space.factors)
    result = CliRunner().invoke(
        app,
        ["inventory", "--org", str(space.org), "--out", str(space.out), "--as-of", "2026-06-30", "--quiet"],
    )
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture
def workspace(pristine, tmp_path) -> Workspace:
    root = tmp_path / "w"
    shutil.copytree(pristine, root, symlinks=True)
    return Workspace(root)
