"""Rendering results: terminal tables, JSON, CSV; and writing output files atomically."""

from __future__ import annotations

import io
import json
import os
import tempfile
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.table import Table

from carbon.units import vocabulary


def _fmt(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def _emissions_table(document: dict) -> Table:
    table = Table(title=f"GHG inventory, {document['organisation']} (tCO2e, GWP {document['gwp']})", title_justify="left")
    for name in ("Year", "Scope 1", "Scope 2 location", "Scope 2 market", "Scope 3", "Total (location)", "Total (market)",
                 "tCO2e / employee", "tCO2e / RMB m"):
        table.add_column(name, justify="right")
    for year in document["years"]:
        intensity = year["intensity"]
        table.add_row(str(year["year"]), _fmt(year["scope1"]), _fmt(year["scope2_location"]), _fmt(year["scope2_market"]),
                      _fmt(year["scope3"]), _fmt(year["total_location"]), _fmt(year["total_market"]),
                      _fmt(intensity["tco2e_per_employee"], 3), _fmt(intensity["tco2e_per_rmb_million"], 4))
    return table


def _scope3_table(document: dict) -> Table:
    labels = vocabulary()["scope3_categories"]
    categories = sorted({c for y in document["years"] for c in y["scope3_by_category"]}, key=int)
    table = Table(title="Scope 3 by category (tCO2e)", title_justify="left")
    table.add_column("Year", justify="right")
    for category in categories:
        table.add_column(f"{category}. {labels.get(category, '')}", justify="right")
    for year in document["years"]:
        table.add_row(str(year["year"]), *(_fmt(year["scope3_by_category"].get(c, 0.0)) for c in categories))
    return table


def _resources_table(document: dict) -> Table:
    table = Table(title="Resources and headcount", title_justify="left")
    for name in ("Year", "Energy MWh", "Electricity MWh", "Gasoline MWh", "Water m3", "Hazardous waste t",
                 "Non-hazardous waste t", "Employees", "Revenue RMB m", "MWh / employee", "m3 / employee"):
        table.add_column(name, justify="right")
    for year in document["years"]:
        energy, intensity = year["energy_mwh"], year["intensity"]
        table.add_row(str(year["year"]), _fmt(energy["total"]), _fmt(energy.get("electricity")), _fmt(energy.get("gasoline")),
                      _fmt(year["water_m3"]), _fmt(year["waste_t"]["hazardous"]), _fmt(year["waste_t"]["non_hazardous"]),
                      _fmt(year["employees"], 0), _fmt(year["revenue_rmb_million"], 1),
                      _fmt(intensity["energy_mwh_per_employee"], 3), _fmt(intensity["water_m3_per_employee"], 2))
    return table


def render_table(document: dict, console: Console) -> None:
    console.print(_emissions_table(document))
    if any(y["scope3_by_category"] for y in document["years"]):
        console.print(_scope3_table(document))
    console.print(_resources_table(document))
    console.print("[bold]Method notes[/bold]")
    for note in document["notes"]:
        console.print(f"  - {note}", highlight=False, soft_wrap=True)


def summary_frame(document: dict) -> pd.DataFrame:
    """One row per year, nested fields flattened with dots (energy_mwh.total, intensity.tco2e_per_employee)."""
    return pd.json_normalize(document["years"], sep=".")


def to_json(document: dict) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def to_csv(frame: pd.DataFrame) -> str:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()


def write_atomically(path: Path, text: str) -> None:
    """Write to a temporary file beside `path`, then rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_outputs(out_dir: Path, document: dict, lines: pd.DataFrame) -> list[Path]:
    """emission_lines.csv (one row per line, traceable) and inventory.json (the contract)."""
    lines_text, json_text = to_csv(lines), to_json(document)  # render both before touching the disk
    written = [out_dir / "emission_lines.csv", out_dir / "inventory.json"]
    write_atomically(written[0], lines_text)
    write_atomically(written[1], json_text)
    return written
