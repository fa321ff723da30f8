"""The Uncertainty sheet of the auditor workbook: the error propagation of carbon/uncertainty.py
as formulas, so a spreadsheet recomputes every interval from the Calculation sheet.

Three tables, top to bottom:
- Figures: per figure and year, the value, the 95% half-width = SQRT of the sum of its terms,
  the interval, the Monte Carlo bounds of the run (values: a spreadsheet does not redraw them)
  and the share of measured data;
- Terms: per figure, year and shared error (a quantity group Qn or a factor Fn), the tCO2e the
  error scales (SUMPRODUCT over the sources) and its term (half-width x tCO2e)^2;
- Sources: per year, scope, method, activity, factor, gas and data-quality class, the tCO2e
  (SUMIFS over the Calculation sheet) and the cited half-widths.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from xlsxwriter.utility import xl_col_to_name

from carbon.export.cells import NOT_AVAILABLE, Formula, Sheet, SummaryCells
from carbon.models.inventory import FigureUncertainty, Inventory
from carbon.models.uncertainty import Figure, UncertaintyRules
from carbon.uncertainty import SHARED_ERRORS, SharedError, Sources, columns, exposure

TONNES_SHOWN = "#,##0.00####"
PERCENT = "0.00"
SOURCE_HEADERS = [
    "Source",
    "Year",
    "Scope",
    "Method",
    "Activity",
    "Factor",
    "Gas",
    "Data-quality class",
    "Factor grade",
    "tCO2e",
    "tCO2e before instruments",
    "Quantity half-width %",
    "Factor half-width %",
    "GWP half-width %",
    "Quantity error",
    "Factor error",
    "GWP error",
    "Measured (1/0)",
]
# Per shared error: the Sources column of its half-width and of the tCO2e it scales.
ERROR_COLUMNS = {
    "quantity": ("L", "tCO2e before instruments"),
    "factor": ("M", "tCO2e"),
    "gwp": ("N", "tCO2e"),
}
ERROR_GROUPS = {"quantity": "Quantity error", "factor": "Factor error", "gwp": "GWP error"}
TERM_HEADERS = ["Figure", "Year", "Error", "Kind", "Half-width %", "tCO2e it scales", "Term (tCO2e^2)"]
FIGURE_HEADERS = [
    "Figure",
    "Year",
    "Value",
    "Summary",
    "Half-width (95%)",
    "Half-width %",
    "Low",
    "High",
    "Monte Carlo low",
    "Monte Carlo high",
    "Monte Carlo half-width %",
    "Measured share",
]


@dataclass(frozen=True)
class Ranges:
    """Absolute ranges of the Sources table's columns (by header) and the Terms table's."""

    sources: dict[str, str]
    terms: dict[str, str]


def _ranges(headers: list[str], first: int, last: int) -> dict[str, str]:
    return {
        h: f"${xl_col_to_name(i)}${first}:${xl_col_to_name(i)}${max(last, first)}"
        for i, h in enumerate(headers)
    }


def _condition(figure: Figure, year: int, ranges: dict[str, str]) -> str:
    """1 for the sources of a figure in a year, 0 for the others (its parts do not overlap)."""
    parts = [
        f"({ranges['Scope']}={p.scope})" + (f'*({ranges["Method"]}="{p.method}")' if p.method else "")
        for p in figure.parts
    ]
    return f"({ranges['Year']}={year})*({'+'.join(parts)})"


def _header(sheet: Sheet, row: int, headers: list[str]) -> None:
    bold = sheet.format(bold=True)
    for column, header in enumerate(headers, start=1):
        sheet.put(row, column, header, bold)


def _sources(sheet: Sheet, frame: pd.DataFrame, first: int, calculation: dict[str, str]) -> None:
    """The Sources table from row `first` (its header one row above): each source's tCO2e summed
    over the Calculation lines that carry its id (no text criteria: ids and names may hold
    characters SUMIFS reads as wildcards)."""
    tonnes, percent = sheet.format(TONNES_SHOWN), sheet.format(PERCENT)
    by_source = calculation["uncertainty source"]
    for i, source in enumerate(frame.itertuples(index=False)):
        r = first + i
        before = f"IF(J{r}>0,SUMIFS({calculation['tCO2e before instruments']},{by_source},A{r}),0)"
        cells: list[object] = [
            source_id(i),
            source.year,
            source.scope,
            source.method,
            source.activity,
            source.factor_id,
            source.gas,
            source.quality_class,
            source.grade,
            Formula(f"=SUMIFS({calculation['emissions (tCO2e)']},{by_source},A{r})", source.tco2e),
            Formula(f"={before}", source.exposed_tco2e),
            source.quantity_half_width * 100,
            source.factor_half_width * 100,
            source.gwp_half_width * 100,
            *(f"{e.label}{getattr(source, e.group) + 1}" for e in SHARED_ERRORS),
            1 if source.measured else 0,
        ]
        for column, value in enumerate(cells, start=1):
            sheet.put(
                r, column, value, tonnes if column in (10, 11) else percent if 12 <= column <= 14 else None
            )


def source_id(position: int) -> str:
    """The id of a source in the workbook (S1, S2 ...), also on its Calculation lines."""
    return f"S{position + 1}"


@dataclass(frozen=True)
class Term:
    figure: Figure
    year: int
    error: SharedError
    group: int  # the error's group (0-based)
    source: int  # the first source (0-based) sharing the error
    half_width: float
    exposed: float

    @property
    def name(self) -> str:
        return f"{self.error.label}{self.group + 1}"


def _terms(frame: pd.DataFrame, rules: UncertaintyRules) -> list[Term]:
    """Every (figure, year, shared error) whose error scales some of the figure's tCO2e."""
    cols = columns(frame, rules)
    figures = {f.key: f for f in rules.figures}
    terms = []
    for error in SHARED_ERRORS:
        codes = frame[error.group].to_numpy()
        half = frame[error.half_width].to_numpy()
        first = {int(code): int(np.flatnonzero(codes == code)[0]) for code in np.unique(codes)}
        exposed = exposure(frame, cols.matrix, error)
        for i, (key, year) in enumerate(cols.keys):
            member = cols.matrix[:, i] > 0
            for code in np.unique(codes[member]):
                source = first[int(code)]
                terms.append(
                    Term(
                        figures[key],
                        year,
                        error,
                        int(code),
                        source,
                        float(half[source]),
                        float(exposed[code, i]),
                    )
                )
    order, kinds = list(figures), [e.kind for e in SHARED_ERRORS]
    return sorted(
        terms, key=lambda t: (t.year, order.index(t.figure.key), kinds.index(t.error.kind), t.group)
    )


def _term_rows(
    sheet: Sheet, terms: list[Term], first: int, first_source: int, sources: dict[str, str]
) -> None:
    tonnes, percent = sheet.format(TONNES_SHOWN), sheet.format(PERCENT)
    for i, term in enumerate(terms):
        r = first + i
        half_column, scaled = ERROR_COLUMNS[term.error.kind]
        group = sources[ERROR_GROUPS[term.error.kind]]
        condition = _condition(term.figure, term.year, sources)
        exposed = f'=SUMPRODUCT({condition}*({group}="{term.name}")*{sources[scaled]})'
        half_width = f"=${half_column}${first_source + term.source}"
        sheet.put(r, 1, term.figure.key)
        sheet.put(r, 2, term.year)
        sheet.put(r, 3, term.name)
        sheet.put(r, 4, term.error.kind)
        sheet.put(r, 5, Formula(half_width, term.half_width * 100), percent)
        sheet.put(r, 6, Formula(exposed, term.exposed), tonnes)
        sheet.put(r, 7, Formula(f"=(E{r}/100*F{r})^2", (term.half_width * term.exposed) ** 2), tonnes)


def _figure_rows(
    sheet: Sheet,
    inventory: Inventory,
    rules: UncertaintyRules,
    first: int,
    ranges: Ranges,
    cells: SummaryCells,
) -> None:
    sources, terms = ranges.sources, ranges.terms
    r = first
    for year in inventory.years:
        totals: dict[str, int] = {}  # figure key -> its row, for the intensities below
        for figure in rules.figures:
            found = year.uncertainty.get(figure.key)
            if found is None or not cells.has(figure.key):  # a figure the Summary has no column for
                continue
            condition = _condition(figure, year.year, sources)
            value = Formula(f"=SUMPRODUCT({condition}*{sources['tCO2e']})", found.value)
            root = f"=SQRT(SUMIFS({terms['Term (tCO2e^2)']},{terms['Figure']},A{r},{terms['Year']},B{r}))"
            measured = Formula(
                f"=IF(C{r}>0,SUMPRODUCT({condition}*{sources['Measured (1/0)']}*{sources['tCO2e']})/C{r},"
                f'"{NOT_AVAILABLE}")',
                NOT_AVAILABLE if found.measured_share is None else found.measured_share,
            )
            summary = cells.ref(figure.key, year.year)
            half = Formula(root, found.propagation.high - found.value)
            _figure_row(sheet, r, figure.key, year.year, value, summary, half, found, measured)
            totals[figure.key] = r
            r += 1
        for figure in rules.figures:
            key = f"intensity.{figure.per_employee}"
            found = year.uncertainty.get(key)
            if found is None or figure.key not in totals or not cells.has(key):
                continue
            people = cells.ref("employees", year.year)
            value = Formula(f"={cells.ref(key, year.year)}", found.value)
            per_employee = Formula(f"=E{totals[figure.key]}/{people}", found.propagation.high - found.value)
            share = NOT_AVAILABLE if found.measured_share is None else found.measured_share
            measured = Formula(f"=L{totals[figure.key]}", share)
            _figure_row(
                sheet, r, key, year.year, value, cells.ref(key, year.year), per_employee, found, measured
            )
            r += 1


def _figure_row(
    sheet: Sheet,
    r: int,
    key: str,
    year: int,
    value: Formula,
    summary: str,
    half: Formula,
    found: FigureUncertainty,
    measured: Formula,
) -> None:
    tonnes, percent = sheet.format(TONNES_SHOWN), sheet.format(PERCENT)
    propagated = found.propagation
    simulated = found.monte_carlo
    sheet.put(r, 1, key)
    sheet.put(r, 2, year)
    sheet.put(r, 3, value, tonnes)
    sheet.put(r, 4, Formula(f"={summary}", found.value), tonnes)
    sheet.put(r, 5, half, tonnes)
    share = NOT_AVAILABLE if propagated.half_width_percent is None else propagated.half_width_percent
    sheet.put(r, 6, Formula(f'=IF(C{r}>0,E{r}/C{r}*100,"{NOT_AVAILABLE}")', share), percent)
    sheet.put(r, 7, Formula(f"=MAX(0,C{r}-E{r})", propagated.low), tonnes)
    sheet.put(r, 8, Formula(f"=C{r}+E{r}", propagated.high), tonnes)
    if simulated is not None:
        sheet.put(r, 9, simulated.low, tonnes)
        sheet.put(r, 10, simulated.high, tonnes)
        sheet.put(r, 11, simulated.half_width_percent, percent)
    sheet.put(r, 12, measured, percent)


def write_uncertainty(
    sheet: Sheet,
    inventory: Inventory,
    sources: Sources,
    calculation: dict[str, str],
    cells: SummaryCells,
    rules: UncertaintyRules,
) -> None:
    """The sheet for a run's inventory and the sources of its emission lines (whose ids the
    Calculation sheet carries); `calculation` maps the Calculation headers to their ranges."""
    frame = sources.frame
    figure_rows = sum(len(y.uncertainty) for y in inventory.years)
    sheet.put(
        1,
        1,
        "95% intervals. Half-width = SQRT of the figure's terms (error propagation, IPCC Approach 1); "
        "Monte Carlo bounds are the run's (values). Half-widths cite carbon/data/uncertainty.yaml.",
        sheet.format(bold=True),
    )
    terms = _terms(frame, rules)
    figure_header = 3
    term_header = figure_header + figure_rows + 3
    source_header = term_header + len(terms) + 3
    first_source = source_header + 1
    source_ranges = _ranges(SOURCE_HEADERS, first_source, first_source + len(frame) - 1)
    term_ranges = _ranges(TERM_HEADERS, term_header + 1, term_header + len(terms))
    _header(sheet, figure_header, FIGURE_HEADERS)
    _figure_rows(sheet, inventory, rules, figure_header + 1, Ranges(source_ranges, term_ranges), cells)
    _header(sheet, term_header, TERM_HEADERS)
    _term_rows(sheet, terms, term_header + 1, first_source, source_ranges)
    _header(sheet, source_header, SOURCE_HEADERS)
    _sources(sheet, frame, first_source, calculation)
    sheet.ws.set_column(0, 0, 34)
    sheet.ws.set_column(1, len(SOURCE_HEADERS) - 1, 16)
    sheet.ws.freeze_panes(figure_header, 0)
    sheet.print_setup(title_rows=figure_header, gridlines=True)
