"""Rendering results: terminal tables, JSON, CSV; and writing output files atomically."""

from __future__ import annotations

import io
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import pandas as pd
import pyarrow
import pyarrow.csv
from rich import box
from rich.console import Console
from rich.table import Table

from carbon.units import vocabulary


def _fmt(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def _table(title: str, headers: list[str]) -> Table:
    # Two-line headers and no vertical rules keep each table inside an 80-column terminal.
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for header in headers:
        table.add_column(header, justify="right")
    return table


def _emissions_table(document: dict) -> Table:
    table = _table(f"Emissions, {document['organisation']} (tCO2e, GWP {document['gwp']})",
                   ["Year", "Scope 1", "Scope 2\nlocation", "Scope 2\nmarket", "Scope 3", "Total\nlocation", "Total\nmarket"])
    for year in document["years"]:
        table.add_row(str(year["year"]), _fmt(year["scope1"]), _fmt(year["scope2_location"]), _fmt(year["scope2_market"]),
                      _fmt(year["scope3"]), _fmt(year["total_location"]), _fmt(year["total_market"]))
    return table


def _scope3_table(document: dict) -> Table:
    labels = vocabulary()["scope3_categories"]
    categories = sorted({c for y in document["years"] for c in y["scope3_by_category"]}, key=int)
    table = _table("Scope 3 by category (tCO2e)", ["Year", *(f"{c}. {labels.get(c, '')}" for c in categories)])
    for year in document["years"]:
        table.add_row(str(year["year"]), *(_fmt(year["scope3_by_category"].get(c, 0.0)) for c in categories))
    return table


def _intensity_table(document: dict) -> Table:
    table = _table("Intensities", ["Year", "tCO2e/emp.\nlocation", "tCO2e/emp.\nmarket", "tCO2e per\nRMB million",
                                   "MWh per\nemployee", "m3 per\nemployee", "waste t per\nemployee"])
    for year in document["years"]:
        intensity = year["intensity"]
        table.add_row(str(year["year"]), _fmt(intensity["tco2e_per_employee"], 3), _fmt(intensity["tco2e_per_employee_market"], 3),
                      _fmt(intensity["tco2e_per_rmb_million"], 4), _fmt(intensity["energy_mwh_per_employee"], 3),
                      _fmt(intensity["water_m3_per_employee"], 2), _fmt(intensity["waste_t_per_employee"], 3))
    return table


def _energy_table(document: dict) -> Table:
    table = _table("Energy (MWh)", ["Year", "Electricity", "Gasoline", "Total"])
    for year in document["years"]:
        energy = year["energy_mwh"]
        table.add_row(str(year["year"]), _fmt(energy.get("electricity")), _fmt(energy.get("gasoline")), _fmt(energy["total"]))
    return table


def _resources_table(document: dict) -> Table:
    table = _table("Water, waste and headcount", ["Year", "Water\nm3", "Hazardous\nwaste t", "Non-hazardous\nwaste t",
                                                  "Employees", "Revenue\nRMB million"])
    for year in document["years"]:
        table.add_row(str(year["year"]), _fmt(year["water_m3"]), _fmt(year["waste_t"]["hazardous"]),
                      _fmt(year["waste_t"]["non_hazardous"]), _fmt(year["employees"], 0), _fmt(year["revenue_rmb_million"], 1))
    return table


def render_table(document: dict, console: Console) -> None:
    console.print(_emissions_table(document))
    if any(y["scope3_by_category"] for y in document["years"]):
        console.print(_scope3_table(document))
    console.print(_intensity_table(document))
    console.print(_energy_table(document))
    console.print(_resources_table(document))
    console.print("[bold]Method notes[/bold]")
    for note in document["notes"]:
        console.print(f"  - {note}", highlight=False, soft_wrap=True)


def render_sets(sets: list[dict], console: Console) -> None:
    table = _table("Factor sets", ["Set", "Version", "Released", "Factors", "Data years", "Published", "Sources"])
    for entry in sets:
        table.add_row(entry["name"], entry["version"], entry["released"], str(entry["factors"]),
                      "-".join(map(str, entry["data_years"])), " to ".join(entry["published"]), str(entry["sources"]))
    console.print(table)


def render_diff(difference: dict, console: Console) -> None:
    console.print(f"{difference['from']} -> {difference['to']}: {len(difference['added'])} added, {len(difference['removed'])} removed, "
                  f"{len(difference['changed'])} changed, {difference['unchanged']} unchanged", highlight=False)
    for title, entries in (("Added", difference["added"]), ("Removed", difference["removed"])):
        if entries:
            table = _table(title, ["factor_id", "Data year", "Value", "Unit", "Source"])
            for entry in entries:
                table.add_row(entry["factor_id"], str(entry["data_year"]), f"{entry['value']:g}", entry["unit"], entry["source_id"])
            table.columns[0].justify, table.columns[0].overflow = "left", "fold"
            console.print(table)
    if difference["changed"]:
        table = _table("Changed", ["factor_id", "Field", "From", "To", "Value change"])
        for entry in difference["changed"]:
            pct = entry.get("change_pct")
            for field in entry["fields"]:
                table.add_row(entry["factor_id"], field, str(entry["from"][field]), str(entry["to"][field]),
                              "" if field != "value" else ("n/a" if pct is None else f"{pct:+.2f}%"))
        table.columns[0].justify, table.columns[0].overflow = "left", "fold"
        console.print(table)


def render_impact(result: dict, console: Console) -> None:
    table = _table(f"Impact of {result['candidate']} against {result['baseline']} ({result['organisation']}, GWP {result['gwp']}, as of {result['as_of']})",
                   ["Year", "KPI", "Baseline", "Candidate", "Change", "Change %"])
    for year in result["years"]:
        for key, kpi in year["kpis"].items():
            digits = 4 if "per_employee" in key else 2
            pct = "n/a" if kpi["change_pct"] is None else f"{kpi['change_pct']:+.2f}%"
            change = "n/a" if kpi["change"] is None else f"{kpi['change']:+,.{digits}f}"
            table.add_row(str(year["year"]), key, _fmt(kpi["baseline"], digits), _fmt(kpi["candidate"], digits), change, pct)
    table.columns[1].justify = "left"
    console.print(table)


def render_reconciliation(report: dict, console: Console) -> None:
    """Flagged findings grouped by document (findings spanning documents grouped together)."""
    groups: dict[str, list[dict]] = {}
    for finding in report["findings"]:
        if finding["severity"] == "consistent":
            continue
        documents = sorted({c["document"] for c in finding["documents"]})
        groups.setdefault(" + ".join(documents), []).append(finding)
    for group, findings in groups.items():
        table = _table(f"{group}", ["Verdict", "Year", "KPI", "Printed", "Finding"])
        for finding in findings:
            table.add_row(finding["severity"], str(finding["year"]), finding["kpi"], finding["printed"], finding["message"])
        for column in table.columns:
            column.justify = "left"
        table.columns[4].ratio = 1
        console.print(table)
    counts = {s: sum(f["severity"] == s for f in report["findings"]) for s in ("inconsistent", "rounding_method", "note", "consistent")}
    console.print(f"{report['checked']} printed figures checked; {len(report['findings'])} checks: {counts['inconsistent']} inconsistent, "
                  f"{counts['rounding_method']} consistent only if truncated (rounding_method), {counts['note']} notes, "
                  f"{counts['consistent']} consistent (rounding explains any difference; not listed above).", highlight=False)


SCENARIO_KPIS = ["scope1", "scope2_location", "scope2_market", "scope3", "total_location", "total_market", "energy_mwh.total",
                 "water_m3", "employees", "intensity.tco2e_per_employee", "intensity.tco2e_per_employee_market",
                 "intensity.tco2e_per_rmb_million"]


def _signed(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:+,.{digits}f}"


def render_scenario(result: dict, console: Console) -> None:
    levers = ", ".join(f"{lever['lever']}={lever['value']}" for lever in result["levers"]) or "none"
    table = _table(f"Scenario on base year {result['base_year']}: {levers}", ["KPI", "Base", "Scenario", "Change", "Change %"])
    for key in SCENARIO_KPIS:
        row = result["comparison"].get(key)
        if row is None:
            continue
        digits = 4 if "intensity" in key else 2
        pct = "n/a" if row["pct"] is None else f"{row['pct']:+.2f}%"
        table.add_row(key, _fmt(row["base"], digits), _fmt(row["scenario"], digits), _signed(row["delta"], digits), pct)
    table.columns[0].justify = "left"
    console.print(table)
    if result["contributions"]:
        steps = _table("Contribution of each lever, in the order applied (sums to the change)",
                       ["Lever", "Value", "Total location", "Total market", "tCO2e/employee"])
        for step in result["contributions"]:
            changes = step["changes"]
            steps.add_row(step["lever"], str(step["value"]), _signed(changes.get("total_location")), _signed(changes.get("total_market")),
                          _signed(changes.get("intensity.tco2e_per_employee"), 4))
        steps.columns[0].justify = "left"
        console.print(steps)


def render_pathway(result: dict, console: Console) -> None:
    metric = result["metric"]
    extra = [] if metric in ("total_location", "total_market") else [metric]  # totals already have their own columns
    table = _table(f"Pathway {result['base_year']}-{result['to']} (target on {metric})",
                   ["Year", "Total location", "Total market", *extra, "Target", "Gap", "Met"])
    digits = 4 if "intensity" in metric else 2
    for year in result["years"]:
        table.add_row(str(year["year"]), _fmt(year["total_location"]), _fmt(year["total_market"]),
                      *[_fmt(year[metric], digits) for _ in extra], _fmt(year["target"], digits), _signed(year["gap"], digits),
                      "yes" if year["met"] else "no")
    console.print(table)
    if result["target_value"] is None:
        console.print("No target given: projection only.")
    elif result["first_year_met"]:
        console.print(f"Target met first in {result['first_year_met']}.", highlight=False)
    else:
        console.print(f"Target not met by {result['to']}.", highlight=False)


def render_bridge(result: dict, console: Console) -> None:
    for title, block, digits in ((f"{result['kpi']}: {result['from']} -> {result['to']}", result, 2),
                                 (f"{result['intensity']['kpi']}: {result['from']} -> {result['to']}", result.get("intensity"), 5)
                                 if result.get("intensity") else (None, None, 0)):
        if block is None:
            continue
        table = _table(title, ["Driver", "Contribution"])
        for part in block["parts"]:
            table.add_row(part["driver"], _signed(part["value"], digits))
        table.add_row("change", _signed(block["change"], digits))
        table.columns[0].justify = "left"
        console.print(table)


def summary_frame(document: dict) -> pd.DataFrame:
    """One row per year, nested fields flattened with dots (energy_mwh.total, intensity.tco2e_per_employee)."""
    return pd.json_normalize(document["years"], sep=".")


def to_json(document: dict) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def to_csv(frame: pd.DataFrame) -> str:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def publish(temporary: Path, path: Path) -> None:
    """Give a finished temporary file or folder the usual permissions (mkstemp/mkdtemp make it
    private) and rename it into place."""
    os.chmod(temporary, (0o777 if temporary.is_dir() else 0o666) & ~_current_umask())
    os.replace(temporary, path)


def write_atomically(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Write through `write` into a temporary file beside `path`, then rename.

    Readers never see half a file, and a failure leaves any earlier file untouched.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
        publish(Path(temporary), path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_lines_csv(lines: pd.DataFrame, stream: BinaryIO) -> None:
    # pyarrow's writer streams columns in C: an order of magnitude faster than DataFrame.to_csv
    # on millions of lines, and it never holds the whole file as one string.
    pyarrow.csv.write_csv(pyarrow.Table.from_pandas(lines, preserve_index=False), stream)


def write_lines_parquet(lines: pd.DataFrame, stream: BinaryIO) -> None:
    import pyarrow.parquet

    pyarrow.parquet.write_table(pyarrow.Table.from_pandas(lines, preserve_index=False), stream)


def write_outputs(out_dir: Path, document: dict, lines: pd.DataFrame, lines_format: str = "csv") -> list[Path]:
    """emission_lines.csv|.parquet (one row per line, traceable) and inventory.json (the contract)."""
    written = [out_dir / f"emission_lines.{lines_format}", out_dir / "inventory.json"]
    writer = write_lines_parquet if lines_format == "parquet" else write_lines_csv
    write_atomically(written[0], lambda stream: writer(lines, stream))
    write_atomically(written[1], lambda stream: stream.write(to_json(document).encode("utf-8")))
    return written
