"""The HKEX disclosure pack as sheets of the auditor workbook (`carbon disclose hkex --format
xlsx`): every figure is a formula over the Summary sheet (which recomputes from the Calculation
and Activity rows), with the pack's value cached, so a spreadsheet recalculates the pack too."""

from __future__ import annotations

from collections.abc import Callable

from carbon.disclose import HkexPack, Printed
from carbon.export.cells import NOT_AVAILABLE, Formula, Sheet, SummaryCells
from carbon.export.pack import VERDICTS, interval_text

TONNES_SHOWN = "#,##0.00####"
SheetMaker = Callable[[str], Sheet]


def _printed(printed: Printed | None) -> list[str]:
    if printed is None:
        return ["", ""]
    return [f"{printed.printed} ({printed.document}: {printed.locator})", VERDICTS[printed.verdict]]


def write_kpis(sheet: Sheet, pack: HkexPack, cells: SummaryCells) -> None:
    rows: list[list[object]] = []
    for kpi in pack.kpis:
        if not kpi.figures:
            rows.append([kpi.key, kpi.name, kpi.status.replace("_", " "), "", "", "", kpi.text or ""])
            continue
        rows.append([kpi.key, kpi.name, "", "", "", "", ""])
        for f in kpi.figures:
            rows.append(
                ["", f.label, cells.figure(f.path, pack.year, f.value), f.unit, *_printed(f.printed), ""]
            )
    headers = ["KPI", "Figure", "Value", "Unit", "Printed in the report", "Verdict", "Statement or reason"]
    sheet.table(headers, rows, {3: TONNES_SHOWN}, {2: 45, 5: 60, 7: 90})


def write_part_d(sheet: Sheet, pack: HkexPack, cells: SummaryCells) -> None:
    rows = []
    for item in pack.items:
        value: object = item.value
        if item.path is not None:
            value = cells.figure(item.path, pack.year, item.value)
        status = [
            item.requirement.replace("_", "-"),
            value,
            item.unit,
            interval_text(item.uncertainty),
            item.status,
        ]
        rows.append([item.name, *status, *_printed(item.printed), item.note])
    headers = [
        "Item",
        "Requirement",
        "Value",
        "Unit",
        "95% interval (Uncertainty sheet)",
        "Status",
        "Printed in the report",
        "Verdict",
        "Note",
    ]
    sheet.table(headers, rows, {3: TONNES_SHOWN}, {1: 45, 5: 30, 7: 60, 9: 90})


def write_scope3(sheet: Sheet, pack: HkexPack, cells: SummaryCells) -> None:
    rows = []
    for row in pack.scope3:
        path = f"scope3_by_category.{row.category}"
        value: object = row.tco2e
        if row.tco2e is not None and cells.has(path):
            value = cells.figure(path, pack.year, row.tco2e)
        why = ": ".join(part for part in (row.method, row.reason) if part)
        estimate = "" if row.estimate_t is None else f"{row.estimate_t:g} tCO2e: {row.estimate_basis}"
        rows.append([row.category, row.name, row.status.replace("_", " "), value, why, estimate])
    headers = ["#", "Category", "Status", "tCO2e", "Method or reason", "Screening estimate"]
    sheet.table(headers, rows, {1: "0", 4: TONNES_SHOWN}, {2: 45, 5: 90, 6: 45})


def write_targets(sheet: Sheet, pack: HkexPack, cells: SummaryCells) -> None:
    rows: list[list[object]] = []
    for r, target in enumerate(pack.targets, start=2):
        base = cells.total(target.sum_of, target.base_year, target.per_employee, target.base_value)
        now = cells.total(target.sum_of, target.year, target.per_employee, target.value)
        achieved = Formula(
            f'=IF(ISNUMBER(D{r}),IF(D{r}>0,(D{r}-F{r})/D{r}*100,"{NOT_AVAILABLE}"),"{NOT_AVAILABLE}")',
            NOT_AVAILABLE if target.achieved_pct is None else target.achieved_pct,
        )
        milestones = "; ".join(f"-{m.reduction_pct:g}% by {m.year}" for m in target.milestones)
        rows.append(
            [
                target.name,
                f"{target.metric} ({target.unit}); {target.scope}",
                target.base_year,
                base,
                target.year,
                now,
                achieved,
                target.reduction_pct,
                target.target_year,
                milestones,
                target.basis,
                target.carbon_credits,
                target.source,
            ]
        )
    headers = [
        "Target",
        "Metric",
        "Base year",
        "Base value",
        "Year",
        "Value",
        "Reduced so far (%)",
        "Target reduction (%)",
        "Target year",
        "Milestones",
        "Basis",
        "Carbon credits",
        "Source",
    ]
    last = sheet.table(
        headers,
        rows,
        {3: "0", 4: TONNES_SHOWN, 5: "0", 6: TONNES_SHOWN, 7: "0.0", 9: "0"},
        {1: 30, 2: 50, 13: 60},
    )
    price = pack.carbon_price
    if price is None:
        return
    r = last + 3
    sheet.put(r - 1, 1, "Internal carbon price", sheet.format(bold=True))
    labels = [
        "Applies to",
        "tCO2e",
        f"Price ({price.currency} per tCO2e)",
        f"Shadow cost ({price.currency})",
        "Use",
        "Source",
    ]
    for column, label in enumerate(labels, start=1):
        sheet.put(r, column, label, sheet.format(bold=True))
    tco2e = cells.total(price.applies_to, pack.year, False, price.tco2e)
    values = [
        " + ".join(price.applies_to),
        tco2e,
        price.price,
        Formula(f"=B{r + 1}*C{r + 1}", price.shadow_cost),
        price.use,
        price.source,
    ]
    for column, value in enumerate(values, start=1):
        sheet.put(r + 1, column, value, sheet.format(TONNES_SHOWN) if column in (2, 3, 4) else None)


def pack_sheets(pack: HkexPack) -> Callable[[SheetMaker, dict[str, int], list[int]], None]:
    """What build_workbook calls after the Summary: the pack's sheets over its cells."""

    def write(sheet: SheetMaker, index: dict[str, int], years: list[int]) -> None:
        cells = SummaryCells(index, years)
        write_kpis(sheet("HKEX KPIs"), pack, cells)
        write_part_d(sheet("HKEX Part D"), pack, cells)
        write_scope3(sheet("HKEX Scope 3"), pack, cells)
        if pack.targets or pack.carbon_price is not None:
            write_targets(sheet("HKEX Targets"), pack, cells)

    return write
