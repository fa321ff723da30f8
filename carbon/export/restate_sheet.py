"""The restatement as a sheet of the auditor workbook (`carbon restate --format xlsx`): the
computed series are formulas over the Summary, the percentages, verdicts and restated series
formulas over the triggers' differences, so a spreadsheet recomputes the verdict."""

from __future__ import annotations

from collections.abc import Callable

from xlsxwriter.utility import xl_col_to_name

from carbon.export.cells import Formula, Sheet, SummaryCells
from carbon.restate import Restatement

TONNES_SHOWN = "#,##0.00####"


def write_restatement(sheet: Sheet, outcome: Restatement, cells: SummaryCells) -> None:
    years = [s.year for s in outcome.series]
    bold = sheet.format(bold=True)
    # Rows 1-4: the policy; B2 the threshold, B4 the base year's threshold figures (a formula).
    sheet.put(1, 1, "Base year", bold)
    sheet.put(1, 2, outcome.base_year)
    sheet.put(2, 1, "Threshold (% of the base year)", bold)
    sheet.put(2, 2, outcome.threshold_pct)
    sheet.put(3, 1, "Figures", bold)
    sheet.put(3, 2, " + ".join(outcome.threshold_of))
    sheet.put(4, 1, "Base-year figures (tCO2e)", bold)
    sheet.put(
        4,
        2,
        cells.total(outcome.threshold_of, outcome.base_year, False, outcome.base_year_value),
        sheet.format(TONNES_SHOWN),
    )
    first = 7  # the triggers' header row
    headers = [
        "Trigger",
        "Kind",
        "Date",
        *map(str, years),
        "% alone",
        "Significant",
        "% together",
        "Together significant",
    ]
    for column, header in enumerate(headers, start=1):
        sheet.put(first, column, header, bold)
    base_column = xl_col_to_name(3)  # the base year's difference (column D)
    pct, together = len(years) + 4, len(years) + 6
    for r, trigger in enumerate(outcome.triggers, start=first + 1):
        sheet.put(r, 1, trigger.name)
        sheet.put(r, 2, trigger.kind)
        sheet.put(r, 3, trigger.date)
        for c, difference in enumerate(trigger.differences, start=4):
            sheet.put(r, c, difference.tco2e, sheet.format(TONNES_SHOWN))
        sheet.put(r, pct, Formula(f"={base_column}{r}/$B$4*100", trigger.base_year_pct), sheet.format("0.00"))
        sheet.put(r, pct + 1, Formula(f"=ABS({xl_col_to_name(pct - 1)}{r})>=$B$2", trigger.significant))
        running = f"=SUM(${base_column}${first + 1}:{base_column}{r})/$B$4*100"
        sheet.put(r, together, Formula(running, trigger.cumulative_pct), sheet.format("0.00"))
        counted = "TRUE" if outcome.cumulative else "FALSE"
        verdict = f"=AND({counted},ABS({xl_col_to_name(together - 1)}{r})>=$B$2)"
        sheet.put(r, together + 1, Formula(verdict, trigger.cumulative_significant))
    last_trigger = first + len(outcome.triggers)
    start = last_trigger + 3
    for column, header in enumerate(["Year", "Computed today", "Restated", "Printed", "Printed in"], start=1):
        sheet.put(start, column, header, bold)
    structural = [t.kind != "method_change" for t in outcome.triggers]
    for r, (year, row) in enumerate(zip(years, outcome.series, strict=True), start=start + 1):
        column = xl_col_to_name(3 + years.index(year))
        sheet.put(r, 1, year)
        sheet.put(
            r, 2, cells.total(outcome.threshold_of, year, False, row.computed), sheet.format(TONNES_SHOWN)
        )
        added = [f"{column}{first + 1 + i}" for i, counts in enumerate(structural) if counts]
        text = f"=B{r}" + "".join(f"+{cell}" for cell in added)  # today's run has today's methods
        sheet.put(r, 3, Formula(text, row.restated), sheet.format(TONNES_SHOWN))
        sheet.put(r, 4, row.printed, sheet.format(TONNES_SHOWN))
        sheet.put(r, 5, row.printed_source or "")
    sheet.ws.set_column(0, 0, 45)
    sheet.ws.set_column(1, len(headers), 16)


def restatement_sheet(
    outcome: Restatement,
) -> Callable[[Callable[[str], Sheet], dict[str, int], list[int]], None]:
    def write(sheet: Callable[[str], Sheet], index: dict[str, int], years: list[int]) -> None:
        write_restatement(sheet("Restatement"), outcome, SummaryCells(index, years))

    return write
