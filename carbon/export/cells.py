"""Cells and sheets of the auditor workbook: formulas with their cached values, shared cell
formats, and a worksheet addressed with 1-based rows and columns. Every sheet writer (the
workbook's own, the HKEX pack's, the restatement's, the uncertainty's) writes through these.

Safety: text from inputs is always written as a string (never through a type-guessing write),
and text that begins with = + - @ tab or CR also carries Excel's quote prefix.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import NamedTuple

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

RISKY_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
NOT_AVAILABLE = "n/a"
TONNES = "#,##0.000000"
FACTOR = "0.000000000"
COUNT = "#,##0"
ROW_NUMBER = "0"


class Formula(NamedTuple):
    """A formula we wrote (as opposed to input text that happens to start with '='), with the
    value it computes, stored as the cell's cached result."""

    text: str
    value: float | str | bool  # a bool is stored as a boolean result (TRUE/FALSE)


# ---------------------------------------------------------------- cells and sheets


class Formats:
    """The workbook's cell formats: XlsxWriter formats belong to one workbook and are shared by
    every cell that looks the same, never made per cell."""

    def __init__(self, book: xlsxwriter.Workbook):
        self._book = book
        self._by_properties: dict[tuple, Format] = {}
        self._properties: dict[int, dict] = {}  # id(format) -> its properties

    def get(self, number_format: str | None = None, **style) -> Format | None:
        properties = dict(style, num_format=number_format) if number_format else style
        if not properties:
            return None
        key = tuple(sorted(properties.items()))
        if key not in self._by_properties:
            made = self._book.add_format(properties)
            self._by_properties[key], self._properties[id(made)] = made, properties
        return self._by_properties[key]

    def quoted(self, cell_format: Format | None) -> Format:
        """The same look plus Excel's quote prefix, which keeps '=...' text when the cell is edited."""
        properties = self._properties.get(id(cell_format), {}) if cell_format is not None else {}
        return self.get(**dict(properties, quote_prefix=True))


# Functions of every Excel version: XlsxWriter never adds an _xlfn. prefix to them.
CLASSIC_FUNCTIONS = frozenset({"ABS", "AND", "COUNTIFS", "IF", "ISNUMBER", "SUM", "SUMIFS"})
FUNCTION_CALL = re.compile(r"([A-Z][A-Z0-9.]*)\(")


class PlainFormulaWorksheet(Worksheet):
    """XlsxWriter runs about 30 regular-expression passes over every formula to prefix newer
    functions (FILTER, XLOOKUP ...): two thirds of writing a 100,000-row workbook. A formula
    that calls only classic functions needs none of them, so it is written as it is; any other
    goes through XlsxWriter's own preparation."""

    def _prepare_formula(self, formula: str, expand_future_functions: bool = False) -> str:
        if set(FUNCTION_CALL.findall(formula)) <= CLASSIC_FUNCTIONS:
            return formula.removeprefix("=")
        return super()._prepare_formula(formula, expand_future_functions)


class Sheet:
    """One worksheet addressed with 1-based rows and columns, as in the formulas."""

    def __init__(self, book: xlsxwriter.Workbook, formats: Formats, name: str):
        self.ws = book.add_worksheet(name, worksheet_class=PlainFormulaWorksheet)
        self.formats = formats

    def format(self, number_format: str | None = None, **style) -> Format | None:
        return self.formats.get(number_format, **style)

    def put(self, row: int, column: int, value, cell_format: Format | None = None) -> None:
        ws, r, c = self.ws, row - 1, column - 1
        if isinstance(value, Formula):
            cached = value.value if isinstance(value.value, (str, bool)) else float(value.value)
            if isinstance(cached, float) and not math.isfinite(cached):
                cached = "#NUM!"  # what a spreadsheet shows; "nan" would make the file unreadable
            ws.write_formula(r, c, value.text, cell_format, cached)
        elif isinstance(value, str):
            if value.startswith(RISKY_PREFIXES):
                cell_format = self.formats.quoted(cell_format)
            ws.write_string(r, c, value, cell_format)
        elif value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
            return
        elif isinstance(value, (bool, np.bool_)):
            ws.write_boolean(r, c, bool(value), cell_format)
        elif isinstance(value, (int, float, np.integer, np.floating)):
            ws.write_number(r, c, float(value), cell_format)
        else:
            ws.write_string(r, c, str(value), cell_format)

    def table(
        self,
        headers: list[str],
        rows: Iterable[list],
        number_formats: dict[int, str] | None = None,
        widths: dict[int, int] | None = None,
        **style,
    ) -> int:
        """Header row (bold, frozen, filtered, printed on every page) and data rows; returns the
        last row number. `number_formats` and `widths` are by 1-based column."""
        for column, header in enumerate(headers, start=1):
            self.put(1, column, header, self.format(bold=True))
        number_formats = number_formats or {}
        cell_formats = [
            self.format(number_formats.get(column), **style) for column in range(1, len(headers) + 1)
        ]
        last = 1
        for last, values in enumerate(rows, start=2):
            for column, value in enumerate(values, start=1):
                self.put(last, column, value, cell_formats[column - 1])
        self.ws.freeze_panes(1, 0)
        self.ws.autofilter(0, 0, max(last, 2) - 1, len(headers) - 1)
        for column, header in enumerate(headers, start=1):
            width = (widths or {}).get(column, max(12, min(45, len(header) + 2)))
            self.ws.set_column(column - 1, column - 1, width)
        self.print_setup(title_rows=1, gridlines=True)
        return last

    def print_setup(self, title_rows: int, gridlines: bool) -> None:
        """A4 landscape, one page wide and as many tall as needed, title rows on every page."""
        ws = self.ws
        ws.set_paper(9)
        ws.set_landscape()
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(0, title_rows - 1)
        ws.hide_gridlines(0 if gridlines else 1)  # 0: on screen and on paper; 1: on screen only
        ws.set_footer("&L&A&RPage &P of &N")


def column_range(sheet: str, column: str, last: int) -> str:
    return f"{sheet}!${column}$2:${column}${max(last, 2)}"


def summary_key(path: str) -> str:
    """The Summary column of an inventory figure's JSON path (energy_mwh.electricity ->
    electricity_mwh, waste_t.hazardous -> waste_t_hazardous, intensity.x -> x)."""
    group, _, part = path.partition(".")
    if not part:
        return group
    if group == "energy_mwh":
        return "energy_mwh" if part == "total" else f"{part}_mwh"
    if group == "intensity":
        return part
    if group == "scope3_by_category":
        return f"scope3_cat{part}"
    return f"{group}_{part}"


class SummaryCells:
    """Addresses of Summary cells: a column per key, a row per inventory year."""

    def __init__(self, index: dict[str, int], years: list[int]):
        self.index, self.years = index, years

    def has(self, path: str) -> bool:
        return summary_key(path) in self.index

    def ref(self, path: str, year: int) -> str:
        column = xl_col_to_name(self.index[summary_key(path)])
        return f"Summary!${column}${self.years.index(year) + 2}"

    def total(self, paths: list[str], year: int, per_employee: bool, value: float | None) -> Formula:
        """The sum of figures of one year, per employee if asked ('n/a' without a headcount)."""
        amount = "+".join(self.ref(path, year) for path in paths)
        if per_employee:
            people = self.ref("employees", year)
            na = f'"{NOT_AVAILABLE}"'  # as the Summary's own ratios: text where there is no headcount
            text = f"=IF(ISNUMBER({people}),IF({people}>0,({amount})/{people},{na}),{na})"
        else:
            text = f"={amount}"
        return Formula(text, NOT_AVAILABLE if value is None else value)

    def figure(self, path: str, year: int, value: float | None) -> Formula:
        """A pack figure by its path: "a+b", or "(a+b)/employees" for an intensity."""
        per_employee = path.endswith(")/employees")
        paths = path.removeprefix("(").removesuffix(")/employees").split("+")
        return self.total(paths, year, per_employee, value)
