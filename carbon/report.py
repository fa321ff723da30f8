"""Rendering results for people: terminal tables (JSON and CSV live in carbon/outputs.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from carbon.export.pack import NUMERIC, facts, sections
from carbon.models.inventory import FigureUncertainty, Inventory
from carbon.models.uncertainty import uncertainty_rules
from carbon.models.vocabulary import vocabulary

if TYPE_CHECKING:
    from carbon.disclose import HkexPack, Printed
    from carbon.reconcile.findings import Finding, Reconciliation
    from carbon.restate import Restatement


def _fmt(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


class Grid:
    """A table of figures that never cuts a figure: number columns keep their full width and,
    when the terminal is too narrow, the table is printed in parts that each repeat the
    first column. Text columns (labels, messages) are left-aligned and wrap instead."""

    def __init__(self, title: str, headers: list[str], text: tuple[int, ...] = ()):
        self.title, self.headers, self.text = title, headers, set(text)
        self.rows: list[list[str]] = []

    def add_row(self, *cells: str) -> None:
        self.rows.append([str(c) for c in cells])

    def width(self, column: int, wrap: bool = True) -> int:
        """What a column needs: its longest figure and its header's longest word (`wrap`) or
        longest line; text columns a readable minimum."""
        pieces = self.headers[column].split() if wrap else self.headers[column].split("\n")
        header = max((len(p) for p in pieces), default=0)
        if column in self.text:
            return max(header, min(24, max((len(r[column]) for r in self.rows), default=0)))
        return max([header, *(len(r[column]) for r in self.rows)])

    def needed(self, columns: list[int], wrap: bool = True) -> int:
        """Characters a table of these columns needs: the box edges, each column's width, and
        padding plus a separator (3 characters) between neighbouring columns."""
        return 2 + sum(self.width(i, wrap) for i in columns) + 3 * (len(columns) - 1)

    def parts(self, available: int) -> list[list[int]]:
        """Column groups that fit `available` characters, each starting with the first column."""
        groups, current = [], [0]
        for column in range(1, len(self.headers)):
            if self.needed([*current, column]) > available and len(current) > 1:
                groups.append(current)
                current = [0]
            current.append(column)
        return [*groups, current]

    def table(self, columns: list[int], available: int) -> Table:
        # No vertical rules and headers that wrap keep tables inside an 80-column terminal. Widths
        # are fixed here, not left to rich, whose squeezing can cut the last column short.
        wrap = self.needed(columns, wrap=False) > available
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
        for i in columns:
            if i in self.text:
                table.add_column(
                    self.headers[i], justify="left", overflow="fold", ratio=1 if i == columns[-1] else None
                )
            else:  # every figure whole; only the header may wrap, at its spaces
                table.add_column(self.headers[i], justify="right", overflow="fold", width=self.width(i, wrap))
        for row in self.rows:  # as plain text: brackets in a site name or a reason are not markup
            table.add_row(*(Text(row[i]) for i in columns))
        return table


def show(grid: Grid, console: Console) -> None:
    """The grid, in parts when the terminal is too narrow; titles are printed above each part
    (a title inside a narrow part would wrap)."""
    parts = grid.parts(console.width)
    for number, columns in enumerate(parts, start=1):
        title = grid.title if len(parts) == 1 else f"{grid.title} (part {number} of {len(parts)})"
        console.print(title, highlight=False, markup=False, soft_wrap=True)
        console.print(grid.table(columns, console.width))


def _table(title: str, headers: list[str], text: tuple[int, ...] = ()) -> Grid:
    return Grid(title, headers, text)


def _emissions_table(inventory: Inventory) -> Grid:
    table = _table(
        f"Emissions, {inventory.organisation} (tCO2e, GWP {inventory.gwp})",
        [
            "Year",
            "Scope 1",
            "Scope 2\nlocation",
            "Scope 2\nmarket",
            "Scope 3",
            "Total\nlocation",
            "Total\nmarket",
        ],
    )
    for year in inventory.years:
        table.add_row(
            str(year.year),
            _fmt(year.scope1),
            _fmt(year.scope2_location),
            _fmt(year.scope2_market),
            _fmt(year.scope3),
            _fmt(year.total_location),
            _fmt(year.total_market),
        )
    return table


def _scope3_table(inventory: Inventory) -> Grid:
    labels = vocabulary().scope3_categories
    categories = sorted({c for y in inventory.years for c in y.scope3_by_category}, key=int)
    table = _table(
        "Scope 3 by category (tCO2e)", ["Year", *(f"{c}. {labels.get(c, '')}" for c in categories)]
    )
    for year in inventory.years:
        table.add_row(str(year.year), *(_fmt(year.scope3_by_category.get(c, 0.0)) for c in categories))
    return table


def _intensity_table(inventory: Inventory) -> Grid:
    resources = vocabulary().resources
    table = _table(
        "Intensities",
        [
            "Year",
            "tCO2e/emp.\nlocation",
            "tCO2e/emp.\nmarket",
            "tCO2e per\nRMB million",
            "MWh per\nemployee",
            *(f"{r.label}\nper employee" for r in resources.values()),
        ],
    )
    for year in inventory.years:
        intensity = year.intensity
        table.add_row(
            str(year.year),
            _fmt(intensity.tco2e_per_employee, 3),
            _fmt(intensity.tco2e_per_employee_market, 3),
            _fmt(intensity.tco2e_per_rmb_million, 4),
            _fmt(intensity.energy_mwh_per_employee, 3),
            *(_fmt(getattr(intensity, r.per_employee), 3) for r in resources.values()),
        )
    return table


def _energy_table(inventory: Inventory) -> Grid:
    # Only the energy kinds used in some year: the JSON keeps every key (zeros included).
    labels = {
        key: label
        for key, label in vocabulary().energy_labels().items()
        if any(year.energy_mwh.get(key) for year in inventory.years)
    }
    table = _table("Energy (MWh)", ["Year", *labels.values(), "Total"])
    for year in inventory.years:
        table.add_row(
            str(year.year), *(_fmt(year.energy_mwh.get(k)) for k in labels), _fmt(year.energy_mwh["total"])
        )
    return table


def _resources_table(inventory: Inventory) -> Grid:
    columns: list[tuple[str, str, str | None]] = []  # (header, resource, class of a split one)
    for name, resource in vocabulary().resources.items():
        if resource.split is None:
            columns.append((resource.label, name, None))
        else:
            columns += [(f"{resource.label}\n{c.replace('_', '-')}", name, c) for c in resource.split.classes]
    table = _table(
        "Resources and headcount", ["Year", *(h for h, _, _ in columns), "Employees", "Revenue\nRMB million"]
    )
    for year in inventory.years:
        figures = [
            getattr(year, name) if part is None else getattr(year, name).get(part)
            for _, name, part in columns
        ]
        table.add_row(
            str(year.year),
            *(_fmt(value) for value in figures),
            _fmt(year.employees, 0),
            _fmt(year.revenue_rmb_million, 1),
        )
    return table


def _uncertainty_table(inventory: Inventory) -> Grid:
    """Per year and figure, the half-width of each method's 95% interval, and how much of the
    total rests on measured data."""
    figures = [f for f in uncertainty_rules().figures if any(f.key in y.uncertainty for y in inventory.years)]
    simulated = any(f.monte_carlo for y in inventory.years for f in y.uncertainty.values())
    table = _table(
        "Uncertainty: 95% half-width, % (" + ("propagation/Monte Carlo)" if simulated else "propagation)"),
        ["Year", *(f.label for f in figures), "Measured share %"],
    )

    def cell(figure: FigureUncertainty | None) -> str:
        if figure is None or figure.propagation.half_width_percent is None:
            return "n/a"
        simulated = figure.monte_carlo.half_width_percent if figure.monte_carlo else None
        shown = f"{figure.propagation.half_width_percent:.1f}"
        return shown + (f"/{simulated:.1f}" if simulated is not None else "")

    for year in inventory.years:
        total = year.uncertainty.get("total_location")
        measured = None if total is None or total.measured_share is None else total.measured_share * 100
        table.add_row(
            str(year.year), *(cell(year.uncertainty.get(f.key)) for f in figures), _fmt(measured, 1)
        )
    return table


def render_table(inventory: Inventory, console: Console) -> None:
    show(_emissions_table(inventory), console)
    if any(y.scope3_by_category for y in inventory.years):
        show(_scope3_table(inventory), console)
    if any(y.uncertainty for y in inventory.years):
        show(_uncertainty_table(inventory), console)
    show(_intensity_table(inventory), console)
    show(_energy_table(inventory), console)
    show(_resources_table(inventory), console)
    console.print("[bold]Method notes[/bold]")
    for note in inventory.notes:
        console.print(f"  - {note}", highlight=False, soft_wrap=True)


def render_sets(sets: list[dict], console: Console) -> None:
    table = _table(
        "Factor sets", ["Set", "Version", "Released", "Factors", "Data years", "Published", "Sources"]
    )
    for entry in sets:
        table.add_row(
            entry["name"],
            entry["version"],
            entry["released"],
            str(entry["factors"]),
            "-".join(map(str, entry["data_years"])),
            " to ".join(entry["published"]),
            str(entry["sources"]),
        )
    show(table, console)


def render_diff(difference: dict, console: Console) -> None:
    console.print(
        f"{difference['from']} -> {difference['to']}: {len(difference['added'])} added, "
        f"{len(difference['removed'])} removed, "
        f"{len(difference['changed'])} changed, {difference['unchanged']} unchanged",
        highlight=False,
    )
    for title, entries in (("Added", difference["added"]), ("Removed", difference["removed"])):
        if entries:
            table = _table(title, ["factor_id", "Data year", "Value", "Unit", "Source"], text=(0,))
            for entry in entries:
                table.add_row(
                    entry["factor_id"],
                    str(entry["data_year"]),
                    f"{entry['value']:g}",
                    entry["unit"],
                    entry["source_id"],
                )
            show(table, console)
    if difference["changed"]:
        table = _table("Changed", ["factor_id", "Field", "From", "To", "Value change"], text=(0, 1, 2, 3))
        for entry in difference["changed"]:
            pct = entry.get("change_pct")
            for field in entry["fields"]:
                table.add_row(
                    entry["factor_id"],
                    field,
                    str(entry["from"][field]),
                    str(entry["to"][field]),
                    "" if field != "value" else ("n/a" if pct is None else f"{pct:+.2f}%"),
                )
        show(table, console)


def render_impact(result: dict, console: Console) -> None:
    table = _table(
        f"Impact of {result['candidate']} against {result['baseline']} ({result['organisation']}, GWP "
        f"{result['gwp']}, as of {result['as_of']})",
        ["Year", "KPI", "Baseline", "Candidate", "Change", "Change %"],
        text=(1,),
    )
    for year in result["years"]:
        for key, kpi in year["kpis"].items():
            digits = 4 if "per_employee" in key else 2
            pct = "n/a" if kpi["change_pct"] is None else f"{kpi['change_pct']:+.2f}%"
            change = "n/a" if kpi["change"] is None else f"{kpi['change']:+,.{digits}f}"
            table.add_row(
                str(year["year"]),
                key,
                _fmt(kpi["baseline"], digits),
                _fmt(kpi["candidate"], digits),
                change,
                pct,
            )
    show(table, console)


def render_reconciliation(report: Reconciliation, console: Console) -> None:
    """Flagged findings grouped by document (findings spanning documents grouped together)."""
    groups: dict[str, list[Finding]] = {}
    for finding in report.findings:
        if finding.severity == "consistent":
            continue
        documents = sorted({c.document for c in finding.documents})
        groups.setdefault(" + ".join(documents), []).append(finding)
    for group, findings in groups.items():
        table = _table(f"{group}", ["Verdict", "Period", "KPI", "Printed", "Finding"], text=(0, 1, 2, 3, 4))
        for finding in findings:
            kpi = f"{finding.kpi} ({finding.region})" if finding.region else finding.kpi
            table.add_row(finding.severity, finding.period, kpi, finding.printed, finding.message)
        show(table, console)
    console.print(
        f"{report.checked} printed figures checked; {len(report.findings)} checks: "
        f"{report.count('inconsistent')} inconsistent, "
        f"{report.count('rounding_method')} consistent only if truncated or rounded half down "
        f"(rounding_method), {report.count('note')} notes, "
        f"{report.count('consistent')} consistent (rounding explains any difference; not listed above).",
        highlight=False,
    )


SCENARIO_KPIS = [
    "scope1",
    "scope2_location",
    "scope2_market",
    "scope3",
    "total_location",
    "total_market",
    "energy_mwh.total",
    "water_m3",
    "employees",
    "intensity.tco2e_per_employee",
    "intensity.tco2e_per_employee_market",
    "intensity.tco2e_per_rmb_million",
]


def _signed(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:+,.{digits}f}"


def render_scenario(result: dict, console: Console) -> None:
    levers = ", ".join(f"{lever['lever']}={lever['value']}" for lever in result["levers"]) or "none"
    table = _table(
        f"Scenario on base year {result['base_year']}: {levers}",
        ["KPI", "Base", "Scenario", "Change", "Change %"],
        text=(0,),
    )
    for key in SCENARIO_KPIS:
        row = result["comparison"].get(key)
        if row is None:
            continue
        digits = 4 if "intensity" in key else 2
        pct = "n/a" if row["pct"] is None else f"{row['pct']:+.2f}%"
        table.add_row(
            key, _fmt(row["base"], digits), _fmt(row["scenario"], digits), _signed(row["delta"], digits), pct
        )
    show(table, console)
    if result["contributions"]:
        steps = _table(
            "Contribution of each lever, in the order applied (sums to the change)",
            ["Lever", "Value", "Total location", "Total market", "tCO2e/employee"],
            text=(0, 1),
        )
        for step in result["contributions"]:
            changes = step["changes"]
            steps.add_row(
                step["lever"],
                str(step["value"]),
                _signed(changes.get("total_location")),
                _signed(changes.get("total_market")),
                _signed(changes.get("intensity.tco2e_per_employee"), 4),
            )
        show(steps, console)


def render_pathway(result: dict, console: Console) -> None:
    metric = result["metric"]
    extra = (
        [] if metric in ("total_location", "total_market") else [metric]
    )  # totals already have their own columns
    table = _table(
        f"Pathway {result['base_year']}-{result['to']} (target on {metric})",
        ["Year", "Total location", "Total market", *extra, "Target", "Gap", "Met"],
    )
    digits = 4 if "intensity" in metric else 2
    for year in result["years"]:
        table.add_row(
            str(year["year"]),
            _fmt(year["total_location"]),
            _fmt(year["total_market"]),
            *[_fmt(year[metric], digits) for _ in extra],
            _fmt(year["target"], digits),
            _signed(year["gap"], digits),
            "yes" if year["met"] else "no",
        )
    show(table, console)
    if result["target_value"] is None:
        console.print("No target given: projection only.")
    elif result["first_year_met"]:
        console.print(f"Target met first in {result['first_year_met']}.", highlight=False)
    else:
        console.print(f"Target not met by {result['to']}.", highlight=False)


def render_bridge(result: dict, console: Console) -> None:
    blocks = [(result, 2)] + ([(result["intensity"], 5)] if result.get("intensity") else [])
    for block, digits in blocks:
        title = f"{block['kpi']}: {result['from']} -> {result['to']}"
        table = _table(title, ["Driver", "Contribution"], text=(0,))
        for part in block["parts"]:
            table.add_row(part["driver"], _signed(part["value"], digits))
        table.add_row("change", _signed(block["change"], digits))
        show(table, console)
    if "structural" in result:
        table = _table(f"{result['kpi']}: structural change and performance", ["Part", "tCO2e"], text=(0,))
        for part in result["structural"]["parts"]:
            table.add_row(f"{part['kind']}: {part['event']} ({part['date']})", _signed(part["value"], 2))
        table.add_row("structural change", _signed(result["structural"]["total"], 2))
        table.add_row("performance (the rest)", _signed(result["performance"], 2))
        table.add_row("change", _signed(result["change"], 2))
        show(table, console)


def summary_frame(inventory: Inventory) -> pd.DataFrame:
    """One row per year, nested fields flattened with dots (energy_mwh.total,
    intensity.tco2e_per_employee)."""
    return pd.json_normalize([year.model_dump() for year in inventory.years], sep=".")


# ---------------------------------------------------------------- CSV shapes (one row per figure)


def sets_frame(sets: list[dict]) -> pd.DataFrame:
    rows = [
        {
            **entry,
            "activities": " ".join(entry["activities"]),
            "data_years": "-".join(map(str, entry["data_years"])),
            "published": " to ".join(entry["published"]),
        }
        for entry in sets
    ]
    return pd.DataFrame(rows)


def factor_frame(details: dict) -> pd.DataFrame:
    rows = [{"field": k, "value": v} for k, v in details.items() if k != "source"]
    rows += [{"field": f"source.{k}", "value": v} for k, v in details["source"].items()]
    return pd.DataFrame(rows, columns=["field", "value"])


def diff_frame(difference: dict) -> pd.DataFrame:
    rows = [
        {
            "status": status,
            "factor_id": e["factor_id"],
            "field": "value",
            "from": None if status == "added" else e["value"],
            "to": e["value"] if status == "added" else None,
            "change_pct": None,
        }
        for status in ("added", "removed")
        for e in difference[status]
    ]
    rows += [
        {
            "status": "changed",
            "factor_id": e["factor_id"],
            "field": f,
            "from": e["from"][f],
            "to": e["to"][f],
            "change_pct": e.get("change_pct") if f == "value" else None,
        }
        for e in difference["changed"]
        for f in e["fields"]
    ]
    return pd.DataFrame(rows, columns=["status", "factor_id", "field", "from", "to", "change_pct"])


def impact_frame(result: dict) -> pd.DataFrame:
    return pd.DataFrame(
        [{"year": y["year"], "kpi": k, **v} for y in result["years"] for k, v in y["kpis"].items()],
        columns=["year", "kpi", "baseline", "candidate", "change", "change_pct"],
    )


def scenario_frame(result: dict) -> pd.DataFrame:
    return pd.DataFrame(
        [{"kpi": k, **v} for k, v in result["comparison"].items()],
        columns=["kpi", "base", "scenario", "delta", "pct"],
    )


def pathway_frame(result: dict) -> pd.DataFrame:
    return pd.DataFrame(result["years"])


def bridge_frame(result: dict) -> pd.DataFrame:
    rows = [{"kpi": result["kpi"], "driver": p["driver"], "value": p["value"]} for p in result["parts"]]
    rows.append({"kpi": result["kpi"], "driver": "change", "value": result["change"]})
    if "structural" in result:
        rows += [
            {"kpi": result["kpi"], "driver": f"structural: {p['kind']}: {p['event']}", "value": p["value"]}
            for p in result["structural"]["parts"]
        ]
        rows.append({"kpi": result["kpi"], "driver": "performance", "value": result["performance"]})
    if result.get("intensity"):
        block = result["intensity"]
        rows += [{"kpi": block["kpi"], "driver": p["driver"], "value": p["value"]} for p in block["parts"]]
        rows.append({"kpi": block["kpi"], "driver": "change", "value": block["change"]})
    return pd.DataFrame(rows, columns=["kpi", "driver", "value"])


def render_rows(title: str, rows: list[dict], console: Console) -> None:
    """Any list of records as a table (text columns wrap, numbers never do)."""
    if not rows:
        console.print(f"{title}: none", highlight=False)
        return
    headers = list(rows[0])
    text = tuple(i for i, h in enumerate(headers) if not all(isinstance(r[h], (int, float)) for r in rows))
    grid = Grid(title, headers, text)
    for row in rows:
        grid.add_row(*("" if row[h] is None else row[h] for h in headers))
    show(grid, console)


# How `carbon trace` groups a line's fields: where it came from, the quantity, the factor (every
# field not named here, in the line's order), the result.
TRACE_GROUPS = {
    "ledger": ["record_id", "ledger_file", "ledger_row", "site", "year", "region", "activity", "source"],
    "quantity": ["quantity", "unit", "conversion", "quantity_canonical", "canonical_unit"],
    "result": ["gwp_set", "gwp", "gwp_basis", "applied_share", "emissions_t_gas", "tco2e", "line_key"],
}


def _trace_fields(line: dict) -> list[tuple[str, str]]:
    named = {name for names in TRACE_GROUPS.values() for name in names}
    factor = [name for name in line if name not in named]
    groups = {**dict(list(TRACE_GROUPS.items())[:2]), "factor": factor, "result": TRACE_GROUPS["result"]}
    return [(group, name) for group, names in groups.items() for name in names if name in line]


def render_lines(lines: list[dict], console: Console) -> None:
    """Each emission line as a block of fields (a line has ~40: too wide for one table row)."""
    for number, line in enumerate(lines, start=1):
        console.print(f"line {number} of {len(lines)}", style="bold", highlight=False)
        for group, name in _trace_fields(line):
            if line[name] not in (None, ""):
                console.print(f"  {group:>8}  {name:<20} {line[name]}", highlight=False, markup=False)


# ---------------------------------------------------------------- HKEX disclosure pack


def render_hkex(pack: HkexPack, console: Console) -> None:
    """The pack's sections (the same rows as the Markdown and HTML), one table each."""
    console.print(f"HKEX disclosure pack: {pack.organisation}, {pack.year}", highlight=False)
    for section in sections(pack):
        numeric = {i for i, header in enumerate(section.headers) if header in NUMERIC}
        text = tuple(i for i in range(len(section.headers)) if i not in numeric)
        table = _table(section.title, section.headers, text=text)
        for row in section.rows:
            table.add_row(*row)
        show(table, console)
    for line in facts(pack):
        console.print(line, highlight=False)


def hkex_frame(pack: HkexPack) -> pd.DataFrame:
    """One row per figure: KPI figures, Part D items, Scope 3 categories, targets; values as
    the JSON has them."""

    def printed(p: Printed | None) -> dict:
        return {"printed": p.printed if p else None, "verdict": p.verdict if p else None}

    rows = [
        {
            "section": "kpi",
            "key": k.key,
            "label": f.label,
            "value": f.value,
            "unit": f.unit,
            "status": k.status,
            **printed(f.printed),
            "note": None,
        }
        for k in pack.kpis
        for f in k.figures
    ]
    rows += [
        {
            "section": "kpi",
            "key": k.key,
            "label": k.name,
            "value": None,
            "unit": None,
            "status": k.status,
            "printed": None,
            "verdict": None,
            "note": k.text,
        }
        for k in pack.kpis
        if not k.figures
    ]
    rows += [
        {
            "section": "part_d",
            "key": i.key,
            "label": i.name,
            "value": i.value,
            "unit": i.unit,
            "status": i.status,
            **printed(i.printed),
            "note": i.note,
            "low_95": i.uncertainty.propagation.low if i.uncertainty else None,
            "high_95": i.uncertainty.propagation.high if i.uncertainty else None,
        }
        for i in pack.items
    ]
    rows += [
        {
            "section": "scope3",
            "key": str(r.category),
            "label": r.name,
            "value": r.tco2e,
            "unit": "tCO2e",
            "status": r.status,
            "printed": None,
            "verdict": None,
            "note": r.reason,
        }
        for r in pack.scope3
    ]
    rows += [
        {
            "section": "target",
            "key": t.name,
            "label": t.metric,
            "value": t.value,
            "unit": t.unit,
            "status": f"{t.achieved_pct:.1f}% of {t.reduction_pct:g}%"
            if t.achieved_pct is not None
            else None,
            "printed": None,
            "verdict": None,
            "note": t.source,
        }
        for t in pack.targets
    ]
    return pd.DataFrame(rows)


def render_restatement(outcome: Restatement, console: Console) -> None:
    """The triggers (difference per year, % of the base year alone and together) and the series."""
    of = " + ".join(outcome.threshold_of)
    years = [d.year for d in outcome.triggers[0].differences] if outcome.triggers else []
    title = (
        f"Base-year {outcome.base_year} triggers, {of} (tCO2e); threshold {outcome.threshold_pct:g}% of "
        f"{outcome.base_year_value:,.2f} (* significant)"
    )
    table = _table(
        title, ["Trigger", "Kind", "Date", *map(str, years), "% alone", "% together"], text=(0, 1, 2)
    )
    for t in outcome.triggers:
        alone = f"{t.base_year_pct:+.2f}{' *' if t.significant else ''}"
        together = f"{t.cumulative_pct:+.2f}{' *' if t.cumulative_significant else ''}"
        cells = [_signed(d.tco2e, 2) for d in t.differences]
        table.add_row(t.name, t.kind.replace("_", " "), t.date, *cells, alone, together)
    show(table, console)
    series = _table(
        f"{of} per year (tCO2e)", ["Year", "Computed today", "Restated", "Printed", "Printed in"], text=(4,)
    )
    for y in outcome.series:
        printed = "" if y.printed is None else f"{y.printed:,.2f}"
        series.add_row(
            str(y.year), f"{y.computed:,.2f}", f"{y.restated:,.2f}", printed, y.printed_source or ""
        )
    show(series, console)
    verdict = "restate the base year" if outcome.restate_base_year else "no base-year restatement"
    console.print(f"Verdict: {verdict}: {outcome.reason}", highlight=False)


def restatement_frame(outcome: Restatement) -> pd.DataFrame:
    """One row per trigger: its difference per year as columns, and its verdicts."""
    rows = [
        {
            "trigger": t.name,
            "kind": t.kind,
            "date": t.date,
            **{str(d.year): d.tco2e for d in t.differences},
            "base_year_pct": t.base_year_pct,
            "significant": t.significant,
            "cumulative_pct": t.cumulative_pct,
            "cumulative_significant": t.cumulative_significant,
        }
        for t in outcome.triggers
    ]
    return pd.DataFrame(rows)
