"""The catalogue of bad inputs: every case must exit with its code (2 for bad input or options),
say where the problem is (file and row or column, or key path) and what was expected, never show
a traceback, and leave the outputs of the previous run byte-identical.

Each case breaks the small valid organisation of conftest.py in one way.
"""

from __future__ import annotations

import gzip
import io
import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from carbon.cli import app
from tests.adversarial.conftest import (
    LEDGER,
    ORGANISATION,
    PUBLISHED,
    SCENARIO,
    Workspace,
    rehash,
    snapshot,
)

HEADER = LEDGER.splitlines()[0]
ORG_HEADER = ORGANISATION.splitlines()[0]
INVENTORY = ["inventory", "--org", "{org}", "--out", "{out}", "--as-of", "2026-06-30", "--quiet"]
WITH_FACTORS = [*INVENTORY, "--factors", "{fs}"]
RECONCILE = ["reconcile", "--org", "{org}", "--as-of", "2026-06-30"]
SCENARIO_RUN = ["scenario", "run", "{org}/scenarios/s.yaml", "--org", "{org}", "--as-of", "2026-06-30"]
PATHWAY = [
    "scenario",
    "pathway",
    "{org}/scenarios/s.yaml",
    "--to",
    "2030",
    "--org",
    "{org}",
    "--as-of",
    "2026-06-30",
]

Change = str | bytes | None | Callable[[Workspace], None]


@dataclass(frozen=True)
class Case:
    id: str
    files: dict[str, Change] = field(default_factory=dict)  # path under the workspace -> new content
    args: list[str] = field(default_factory=lambda: list(INVENTORY))
    says: tuple[str, ...] = ()
    code: int = 2


def ledger(*lines: str, header: str = HEADER) -> dict[str, Change]:
    return {"org/activity.csv": "\n".join([header, *lines]) + "\n"}


def extra(line: str) -> dict[str, Change]:
    """The valid ledger plus one row, which becomes row 6."""
    return {"org/activity.csv": LEDGER + line + "\n"}


def cell(column: str, value: str, line: int = 1) -> dict[str, Change]:
    """The valid ledger with one cell of data line `line` (1 = row 2) replaced."""
    rows = [r.split(",") for r in LEDGER.strip().splitlines()]
    rows[line][rows[0].index(column)] = value
    return {"org/activity.csv": "\n".join(",".join(r) for r in rows) + "\n"}


def organisation(*lines: str, header: str = ORG_HEADER) -> dict[str, Change]:
    return {"org/organisation.csv": "\n".join([header, *lines]) + "\n"}


def scenario(text: str | bytes) -> dict[str, Change]:
    return {"org/scenarios/s.yaml": text}


def published(text: str | bytes) -> dict[str, Change]:
    return {"org/published/report.yaml": text}


def factor_table(name: str, edit: Callable[[str], str], rehashed: bool = True) -> dict[str, Change]:
    def change(space: Workspace) -> None:
        path = space.factors / name
        path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
        if rehashed:
            rehash(space.factors)

    return {f"factors/{name}": change}


def manifest(edit: Callable[[str], str]) -> dict[str, Change]:
    def change(space: Workspace) -> None:
        path = space.factors / "manifest.yaml"
        path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")

    return {"factors/manifest.yaml": change}


def parquet(table: pa.Table | Callable[[], bytes], name: str = "activity.parquet") -> dict[str, Change]:
    def change(space: Workspace) -> None:
        (space.org / "activity.csv").unlink()
        target = space.org / name
        if callable(table):
            target.write_bytes(table())
        else:
            pq.write_table(table, target)

    return {"org/activity.csv": change}


def good_table() -> pa.Table:
    import pandas as pd

    frame = pd.read_csv(io.StringIO(LEDGER), dtype=str, keep_default_na=False)
    frame["year"] = frame["year"].astype("int64")
    frame["quantity"] = frame["quantity"].astype(float)
    return pa.Table.from_pandas(frame, preserve_index=False)


def with_column(name: str, values: list) -> pa.Table:
    table = good_table()
    return table.set_column(table.schema.get_field_index(name), name, pa.array(values))


def truncated_parquet() -> bytes:
    buffer = io.BytesIO()
    pq.write_table(good_table(), buffer)
    return buffer.getvalue()[:-30]


def xlsx_bytes(rows: list[list]) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def as_xlsx(data: bytes | Callable[[], bytes]) -> dict[str, Change]:
    def change(space: Workspace) -> None:
        (space.org / "activity.csv").unlink()
        (space.org / "activity.xlsx").write_bytes(data() if callable(data) else data)

    return {"org/activity.csv": change}


def folder_ledger(files: dict[str, bytes]) -> dict[str, Change]:
    def change(space: Workspace) -> None:
        folder = space.root / "ledger-folder"
        folder.mkdir()
        for name, content in files.items():
            (folder / name).write_bytes(content)

    return {"ledger-folder": change}


FOLDER_ARGS = [
    "inventory",
    "--ledger",
    "{tmp}/ledger-folder",
    "--organisation",
    "{organisation}",
    "--out",
    "{out}",
    "--as-of",
    "2026-06-30",
    "--quiet",
]


def laughs(levels: int = 9) -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, levels):
        previous, name = chr(ord("a") + level - 1), chr(ord("a") + level)
        lines.append(f"{name}: &{name} [" + ",".join(f"*{previous}" for _ in range(9)) + "]")
    return "\n".join(lines) + "\n"


ROW = "e9,2024,HQ,CN-SH,electricity,10,MWh,,,meter"
BAD_ROW = "activity.csv, row 6"
QUANTITY = "a plain number"


CASES = [
    # ---------------------------------------------------------------- ledger: header
    Case(
        "missing-column",
        ledger("e1,2024,HQ,CN-SH,electricity,1000,,,meter", header=HEADER.replace(",unit", "")),
        says=("row 1, column 'unit'", "a column named 'unit'"),
    ),
    Case(
        "typo-optional-column-sit",
        ledger("e1,2024,HQ,CN-SH,electricity,1000,kWh,,,meter", header=HEADER.replace("site", "sit")),
        says=("column 'sit'", "did you mean 'site'"),
    ),
    Case(
        "unknown-column",
        ledger("e1,2024,HQ,CN-SH,electricity,1000,kWh,,,meter,x", header=HEADER + ",comment"),
        says=("column 'comment'", "only known columns"),
    ),
    Case(
        "capitalised-column",
        ledger(
            "e1,2024,HQ,CN-SH,electricity,1000,kWh,,,meter", header=HEADER.replace("quantity", "Quantity")
        ),
        says=("column 'Quantity'", "did you mean 'quantity'"),
    ),
    Case(
        "duplicate-quantity-columns-differ",
        ledger("e1,2024,HQ,CN-SH,electricity,1000,kWh,,,meter,5", header=HEADER + ",quantity"),
        says=("column 'quantity'", "appears 2 times"),
    ),
    Case(
        "duplicate-identical-columns",
        ledger("e1,2024,HQ,CN-SH,electricity,1000,kWh,,,meter,meter", header=HEADER + ",source"),
        says=("column 'source'", "appears 2 times"),
    ),
    Case(
        "leading-space-unit-beside-unit",
        ledger("e1,2024,HQ,CN-SH,electricity,1000,kWh,,,meter,MWh", header=HEADER + ", unit"),
        says=("column 'unit'", "appears 2 times"),
    ),
    Case(
        "semicolon-delimited",
        {"org/activity.csv": LEDGER.replace(",", ";")},
        says=("activity.csv, row 1", "semicolons"),
    ),
    Case(
        "tab-delimited", {"org/activity.csv": LEDGER.replace(",", "\t")}, says=("activity.csv, row 1", "tabs")
    ),
    Case(
        "no-year-columns",
        ledger("e1,HQ,CN-SH,electricity,1000,kWh,,,meter", header=HEADER.replace("year,", "")),
        says=("column 'year'", "year or period_start/period_end"),
    ),
    Case(
        "half-a-period",
        ledger(
            "e1,2024-01-01,HQ,CN-SH,electricity,1000,kWh,,,meter",
            header=HEADER.replace("year", "period_start"),
        ),
        says=("column 'year'",),
    ),
    Case(
        "named-value-column-without-header",
        ledger("e1,2024,HQ,CN-SH,electricity,1000,kWh,,,meter,stray", header=HEADER + ","),
        says=("activity.csv, row 1", "a name in every header cell"),
    ),
    # ---------------------------------------------------------------- ledger: file
    Case("empty-file", {"org/activity.csv": ""}, says=("activity.csv", "the file is empty")),
    Case("whitespace-only-file", {"org/activity.csv": "  \n\n"}, says=("activity.csv", "the file is empty")),
    Case(
        "header-only", {"org/activity.csv": HEADER + "\n"}, says=("activity.csv", "at least one activity row")
    ),
    Case(
        "binary-garbage",
        {"org/activity.csv": bytes(range(256)) * 4},
        says=("activity.csv, row 1", "control characters"),
    ),
    Case(
        "latin-1-byte-in-source",
        {"org/activity.csv": LEDGER.encode() + b"e9,2024,HQ,CN-SH,electricity,10,MWh,,,Stra\xdfe\n"},
        says=("activity.csv, row 6", "UTF-8"),
    ),
    Case("utf-16-file", {"org/activity.csv": LEDGER.encode("utf-16")}, says=("activity.csv", "UTF-8")),
    Case(
        "ragged-row-cut-after-unit",
        extra("e9,2024,HQ,CN-SH,electricity,10,MWh"),
        says=(BAD_ROW, "10 values", "has 7"),
    ),
    Case("ragged-row-too-long", extra(ROW + ",extra,more"), says=(BAD_ROW, "10 values", "has 12")),
    Case(
        "nul-byte-in-site",
        extra("e9,2024,H\x00Q,CN-SH,electricity,10,MWh,,,meter"),
        says=(BAD_ROW, "column 'site'", "control characters"),
    ),
    Case(
        "bell-in-source",
        extra("e9,2024,HQ,CN-SH,electricity,10,MWh,,,meter\x07"),
        says=(BAD_ROW, "column 'source'", "control characters"),
    ),
    Case(
        "escape-in-site",
        extra("e9,2024,\x1b[31mHQ,CN-SH,electricity,10,MWh,,,meter"),
        says=(BAD_ROW, "column 'site'", "control characters"),
    ),
    Case("missing-ledger-file", {"org/activity.csv": None}, says=("activity.csv", "an existing")),
    Case(
        "ledger-is-a-text-file",
        {"org/notes.txt": "x"},
        args=[
            "inventory",
            "--ledger",
            "{org}/notes.txt",
            "--organisation",
            "{organisation}",
            "--out",
            "{out}",
            "--quiet",
        ],
        says=("notes.txt", ".csv, .xlsx or .parquet"),
    ),
    Case(
        "ledger-without-suffix",
        {"org/ledger": LEDGER},
        args=[
            "inventory",
            "--ledger",
            "{org}/ledger",
            "--organisation",
            "{organisation}",
            "--out",
            "{out}",
            "--quiet",
        ],
        says=("ledger", "(no suffix)"),
    ),
    Case(
        "gzip-renamed-csv",
        {"org/activity.csv": gzip.compress(LEDGER.encode())},
        says=("activity.csv", "UTF-8"),
    ),
    # ---------------------------------------------------------------- ledger: record ids, years, text
    Case(
        "empty-record-id", cell("record_id", ""), says=("row 2, column 'record_id'", "a non-empty record id")
    ),
    Case(
        "duplicate-record-id",
        extra("e1,2024,HQ,CN-SH,electricity,10,MWh,,,meter"),
        says=(BAD_ROW, "already used on row 2"),
    ),
    Case("year-zero", cell("year", "0"), says=("row 2, column 'year'", "reporting year")),
    Case("year-1989", cell("year", "1989"), says=("row 2, column 'year'",)),
    Case("year-2101", cell("year", "2101"), says=("row 2, column 'year'",)),
    Case("fractional-year", cell("year", "2024.5"), says=("row 2, column 'year'",)),
    Case("year-text", cell("year", "FY24"), says=("row 2, column 'year'",)),
    Case("year-empty", cell("year", ""), says=("row 2, column 'year'",)),
    Case("year-huge", cell("year", "1e309"), says=("row 2, column 'year'",)),
    Case(
        "period-bad-date",
        ledger(
            "e1,2024-13-01,2024-12-31,HQ,CN-SH,electricity,1000,kWh,,,meter",
            header=HEADER.replace("year", "period_start,period_end"),
        ),
        says=("row 2, column 'period_start'", "YYYY-MM-DD"),
    ),
    Case(
        "period-end-before-start",
        ledger(
            "e1,2024-06-01,2024-01-31,HQ,CN-SH,electricity,1000,kWh,,,meter",
            header=HEADER.replace("year", "period_start,period_end"),
        ),
        says=("row 2, column 'period_end'", "on or after period_start"),
    ),
    Case(
        "period-spanning-years",
        ledger(
            "e1,2024-06-01,2025-01-31,HQ,CN-SH,electricity,1000,kWh,,,meter",
            header=HEADER.replace("year", "period_start,period_end"),
        ),
        says=("row 2, column 'period_end'", "same calendar year"),
    ),
    Case("empty-source", cell("source", ""), says=("row 2, column 'source'", "a non-empty source")),
    Case("whitespace-source", cell("source", "   "), says=("row 2, column 'source'", "a non-empty source")),
    Case("empty-region", cell("region", ""), says=("row 2, column 'region'", "a non-empty region")),
    Case("unknown-region", cell("region", "CN-XX"), says=("row 2, column 'region'", "regions.csv")),
    Case(
        "lowercase-region", cell("region", "cn-sh"), says=("row 2, column 'region'", "did you mean 'CN-SH'")
    ),
    Case("empty-activity", cell("activity", ""), says=("row 2, column 'activity'", "a non-empty activity")),
    Case(
        "misspelt-activity",
        cell("activity", "electricty"),
        says=("row 2, column 'activity'", "did you mean 'electricity'"),
    ),
    Case(
        "capitalised-activity",
        cell("activity", "Electricity"),
        says=("row 2, column 'activity'", "did you mean 'electricity'"),
    ),
    Case("unknown-activity", cell("activity", "steam"), says=("row 2, column 'activity'", "one of")),
    # ---------------------------------------------------------------- ledger: quantities
    Case("negative-quantity", cell("quantity", "-20"), says=("row 2, column 'quantity'", "zero or more")),
    Case("quantity-text", cell("quantity", "abc"), says=("row 2, column 'quantity'", QUANTITY)),
    Case(
        "quantity-thousands-separator",
        {"org/activity.csv": LEDGER.replace("1000,kWh", '"1,000",kWh')},
        says=("row 2, column 'quantity'", "no thousands separators"),
    ),
    Case("quantity-inf", cell("quantity", "inf"), says=("row 2, column 'quantity'", QUANTITY)),
    Case("quantity-minus-inf", cell("quantity", "-inf"), says=("row 2, column 'quantity'", QUANTITY)),
    Case("quantity-nan", cell("quantity", "nan"), says=("row 2, column 'quantity'", QUANTITY)),
    Case("quantity-1e308", cell("quantity", "1e308"), says=("row 2, column 'quantity'", "less than 1e+15")),
    Case("quantity-1e400", cell("quantity", "1e400"), says=("row 2, column 'quantity'", QUANTITY)),
    Case(
        "quantity-1e15-mwh",
        extra("e9,2024,HQ,CN-SH,electricity,1e15,MWh,,,meter"),
        says=(BAD_ROW, "less than 1e+15"),
    ),
    Case("quantity-huge-digits", cell("quantity", "9" * 400), says=("row 2, column 'quantity'",)),
    Case("quantity-empty", cell("quantity", ""), says=("row 2, column 'quantity'", QUANTITY)),
    Case("quantity-hex", cell("quantity", "0x10"), says=("row 2, column 'quantity'", QUANTITY)),
    Case("quantity-true", cell("quantity", "true"), says=("row 2, column 'quantity'", QUANTITY)),
    Case("quantity-with-unit", cell("quantity", "1000kWh"), says=("row 2, column 'quantity'", QUANTITY)),
    Case("quantity-percent", cell("quantity", "50%"), says=("row 2, column 'quantity'", QUANTITY)),
    # ---------------------------------------------------------------- ledger: units
    Case("unit-empty", cell("unit", ""), says=("row 2, column 'unit'", "a non-empty unit")),
    Case("unit-lowercase-kwh", cell("unit", "kwh"), says=("row 2, column 'unit'", "did you mean 'kWh'")),
    Case("unit-typo", cell("unit", "kWhh"), says=("row 2, column 'unit'", "pint does not understand")),
    Case("unit-negative-number", cell("unit", "-1 MWh"), says=("row 2, column 'unit'", "without a number")),
    Case("unit-zero-number", cell("unit", "0 kWh"), says=("row 2, column 'unit'", "without a number")),
    Case("unit-1e308", cell("unit", "1e308 MWh"), says=("row 2, column 'unit'", "without a number")),
    Case("unit-10-pow-400", cell("unit", "10**400 kWh"), says=("row 2, column 'unit'", "without a number")),
    Case("unit-division-by-zero", cell("unit", "kWh/0"), says=("row 2, column 'unit'", "without a number")),
    Case(
        "unit-deep-parentheses",
        cell("unit", "(" * 3000 + "kWh" + ")" * 3000),
        says=("row 2, column 'unit'", "at most 60"),
    ),
    Case(
        "unit-nested-parentheses",
        cell("unit", "((((((kWh))))))"),
        says=("row 2, column 'unit'", "nested parentheses"),
    ),
    Case(
        "unit-unbalanced-parentheses",
        cell("unit", "(kWh"),
        says=("row 2, column 'unit'", "parentheses do not match"),
    ),
    Case("unit-cyrillic", cell("unit", "кВт·ч"), says=("row 2, column 'unit'", "letters, digits")),
    Case("unit-python-expression", cell("unit", "__import__('os')"), says=("row 2, column 'unit'",)),
    Case(
        "unit-ton-banned",
        extra("x9,2024,HQ,CN-SH,waste,2,ton,non_hazardous,,hauler"),
        says=(BAD_ROW, "'ton' is ambiguous"),
    ),
    Case(
        "unit-tons-banned",
        extra("x9,2024,HQ,CN-SH,waste,2,tons,non_hazardous,,hauler"),
        says=(BAD_ROW, "'tons' is ambiguous"),
    ),
    Case("unit-power-not-energy", cell("unit", "kW"), says=("row 2, column 'unit'", "an energy unit")),
    Case(
        "unit-kwh-for-water",
        extra("w9,2024,HQ,CN-SH,water,5,kWh,,,bill"),
        says=(BAD_ROW, "column 'unit'", "for activity 'water'"),
    ),
    Case(
        "unit-length-for-water", extra("w9,2024,HQ,CN-SH,water,5,m,,,bill"), says=(BAD_ROW, "column 'unit'")
    ),
    Case("unit-percent", cell("unit", "%"), says=("row 2, column 'unit'",)),
    Case("unit-bare-word-thousand", cell("unit", "thousand"), says=("row 2, column 'unit'", "bare number")),
    Case("unit-degC", cell("unit", "degC"), says=("row 2, column 'unit'",)),
    Case("unit-semicolon", cell("unit", "kWh;rm"), says=("row 2, column 'unit'",)),
    Case("unit-mass-for-electricity", cell("unit", "kg"), says=("row 2, column 'unit'", "an energy unit")),
    Case("unit-reciprocal", cell("unit", "1/kWh"), says=("row 2, column 'unit'", "without a number")),
    Case("unit-exponent-fraction", cell("unit", "kWh**0.5"), says=("row 2, column 'unit'",)),
    # ---------------------------------------------------------------- ledger: waste and instruments
    Case(
        "waste-without-type",
        extra("x9,2024,HQ,CN-SH,waste,2,t,,,hauler"),
        says=(BAD_ROW, "column 'waste_type'", "a value in waste_type on waste rows: one of hazardous"),
    ),
    Case(
        "waste-type-typo",
        extra("x9,2024,HQ,CN-SH,waste,2,t,non-hazardous,,hauler"),
        says=(BAD_ROW, "column 'waste_type'", "did you mean 'non_hazardous'"),
    ),
    Case(
        "waste-route-typo",
        extra("x9,2024,HQ,CN-SH,waste,2,t,paper_board,recycle,hauler"),
        says=(BAD_ROW, "column 'route'", "did you mean 'recycling'"),
    ),
    Case(
        "waste-route-without-factor",
        extra("x9,2024,HQ,CN-SH,waste,2,t,batteries,composting,hauler"),
        says=(BAD_ROW, "column 'route'", "for batteries, route"),
    ),
    Case(
        "certificate-without-instrument",
        extra("c9,2024,HQ,CN,green_certificate,5,MWh,,,registry"),
        says=(
            BAD_ROW,
            "column 'instrument'",
            "a value in instrument on green_certificate and green_power rows",
        ),
    ),
    Case(
        "certificate-bad-vintage",
        {
            "org/activity.csv": LEDGER.replace(
                "waste_type,route,source", "waste_type,route,source,instrument,vintage"
            )
            .replace("meter\n", "meter,,\n")
            .replace("card\n", "card,,\n")
            .replace("bill\n", "bill,,\n")
            .replace("hauler\n", "hauler,,\n")
            + "c9,2024,HQ,CN,green_certificate,5,MWh,,,registry,GEC-1,20x4\n"
        },
        says=(BAD_ROW, "column 'vintage'", "a year such as 2024"),
    ),
    Case(
        "gasoline-region-unknown-province",
        extra("g9,2024,HQ,CN-ZZ,gasoline,5,L,,,card"),
        says=(BAD_ROW, "column 'region'"),
    ),
    Case(
        "no-factor-published-by-as-of",
        args=[*INVENTORY[:-3], "--as-of", "2020-01-01", "--quiet"],
        says=("row 2, column 'region'", "an emission factor", "published on or before 2020-01-01"),
    ),
    # ---------------------------------------------------------------- ledger: XLSX
    Case("xlsx-csv-renamed", as_xlsx(LEDGER.encode()), says=("activity.xlsx", "a readable .xlsx workbook")),
    Case("xlsx-empty-file", as_xlsx(b""), says=("activity.xlsx", "a readable .xlsx workbook")),
    Case(
        "xlsx-truncated",
        as_xlsx(lambda: xlsx_bytes([HEADER.split(",")])[:200]),
        says=("activity.xlsx", "a readable .xlsx workbook"),
    ),
    Case(
        "xlsx-zip-without-workbook",
        as_xlsx(lambda: _zip({"hello.txt": b"hi"})),
        says=("activity.xlsx", "a readable .xlsx workbook"),
    ),
    Case("xlsx-empty-sheet", as_xlsx(lambda: xlsx_bytes([])), says=("activity.xlsx", "a header row")),
    Case(
        "xlsx-bad-quantity-keeps-sheet-row",
        as_xlsx(
            lambda: xlsx_bytes(
                [
                    HEADER.split(","),
                    [],
                    ["e1", 2024, "HQ", "CN-SH", "electricity", "lots", "kWh", None, None, "meter"],
                ]
            )
        ),
        says=("activity.xlsx, row 3, column 'quantity'", QUANTITY),
    ),
    Case(
        "xlsx-duplicate-columns",
        as_xlsx(
            lambda: xlsx_bytes(
                [
                    HEADER.split(",") + ["quantity"],
                    ["e1", 2024, "HQ", "CN-SH", "electricity", 1, "kWh", None, None, "m", 2],
                ]
            )
        ),
        says=("activity.xlsx", "column 'quantity'", "appears 2 times"),
    ),
    Case(
        "xlsx-value-beyond-header",
        as_xlsx(
            lambda: xlsx_bytes(
                [
                    HEADER.split(","),
                    ["e1", 2024, "HQ", "CN-SH", "electricity", 1, "kWh", None, None, "m", "x"],
                ]
            )
        ),
        says=("activity.xlsx, row 2", "values only under named header cells"),
    ),
    Case(
        "xlsx-boolean-quantity",
        as_xlsx(
            lambda: xlsx_bytes(
                [HEADER.split(","), ["e1", 2024, "HQ", "CN-SH", "electricity", True, "kWh", None, None, "m"]]
            )
        ),
        says=("activity.xlsx, row 2, column 'quantity'", QUANTITY),
    ),
    # ---------------------------------------------------------------- ledger: Parquet
    Case(
        "parquet-fake",
        parquet(lambda: b"PAR1 not really PAR1"),
        says=("activity.parquet", "a readable Parquet file"),
    ),
    Case(
        "parquet-truncated", parquet(truncated_parquet), says=("activity.parquet", "a readable Parquet file")
    ),
    Case("parquet-empty-file", parquet(lambda: b""), says=("activity.parquet", "a readable Parquet file")),
    Case(
        "parquet-zero-rows",
        parquet(lambda: _parquet_bytes(good_table().slice(0, 0))),
        says=("activity.parquet", "at least one activity row"),
    ),
    Case(
        "parquet-boolean-quantity",
        parquet(with_column("quantity", [True, False, True, True])),
        says=("activity.parquet, row 2, column 'quantity'", QUANTITY),
    ),
    Case(
        "parquet-duplicate-column-names",
        parquet(
            lambda: _parquet_bytes(
                pa.table(
                    [good_table()["quantity"]] + good_table().columns,
                    names=["quantity"] + good_table().column_names,
                )
            )
        ),
        says=("activity.parquet", "column 'quantity'", "appears 2 times"),
    ),
    Case(
        "parquet-unknown-column",
        parquet(good_table().append_column("sit", pa.array(["a"] * 4))),
        says=("activity.parquet", "column 'sit'", "did you mean 'site'"),
    ),
    Case(
        "parquet-null-source",
        parquet(with_column("source", [None, "a", "b", "c"])),
        says=("activity.parquet, row 2, column 'source'", "a non-empty source"),
    ),
    Case(
        "parquet-nan-quantity",
        parquet(with_column("quantity", [float("nan"), 1.0, 2.0, 3.0])),
        says=("activity.parquet, row 2, column 'quantity'", QUANTITY),
    ),
    Case(
        "parquet-inf-quantity",
        parquet(with_column("quantity", [float("inf"), 1.0, 2.0, 3.0])),
        says=("activity.parquet, row 2, column 'quantity'", QUANTITY),
    ),
    Case(
        "parquet-missing-file",
        {"org/activity.csv": None},
        args=[
            "inventory",
            "--ledger",
            "{org}/gone.parquet",
            "--organisation",
            "{organisation}",
            "--out",
            "{out}",
            "--quiet",
        ],
        says=("gone.parquet", "an existing"),
    ),
    Case("parquet-folder-empty", folder_ledger({}), args=FOLDER_ARGS, says=("ledger-folder", "has none")),
    Case(
        "parquet-folder-of-csv",
        folder_ledger({"a.csv": LEDGER.encode()}),
        args=FOLDER_ARGS,
        says=("ledger-folder", "has none"),
    ),
    Case(
        "parquet-folder-one-corrupt",
        folder_ledger({"a.parquet": b"", "b.parquet": b"junk"}),
        args=FOLDER_ARGS,
        says=("a readable Parquet file",),
    ),
    Case(
        "parquet-folder-different-columns",
        folder_ledger({"a.parquet": b"", "b.parquet": b""})
        | {
            "ledger-folder/a.parquet": lambda s: pq.write_table(
                good_table(), s.root / "ledger-folder" / "a.parquet"
            ),
            "ledger-folder/b.parquet": lambda s: pq.write_table(
                good_table().drop_columns(["site"]), s.root / "ledger-folder" / "b.parquet"
            ),
        },
        args=FOLDER_ARGS,
        says=("b.parquet", "the same columns as a.parquet"),
    ),
    Case(
        "parquet-folder-dask-zero-rows",
        folder_ledger({})
        | {
            "ledger-folder/a.parquet": lambda s: pq.write_table(
                good_table().slice(0, 0), s.root / "ledger-folder" / "a.parquet"
            )
        },
        args=[*FOLDER_ARGS, "--engine", "dask"],
        says=("ledger-folder", "at least one activity row"),
    ),
    # ---------------------------------------------------------------- organisation
    Case(
        "org-missing-column",
        organisation("2024,employees,10,person", header="year,metric,value,unit"),
        says=("organisation.csv, row 1, column 'source'",),
    ),
    Case(
        "org-unknown-column",
        organisation("2024,employees,10,person,HR,x", header=ORG_HEADER + ",note"),
        says=("organisation.csv", "column 'note'"),
    ),
    Case(
        "org-employees-inf",
        organisation("2024,employees,inf,person,HR"),
        says=("organisation.csv, row 2, column 'value'", "finite"),
    ),
    Case(
        "org-employees-zero",
        organisation("2024,employees,0,person,HR"),
        says=("organisation.csv, row 2, column 'value'", "from 1"),
    ),
    Case(
        "org-employees-negative",
        organisation("2024,employees,-5,person,HR"),
        says=("organisation.csv, row 2, column 'value'",),
    ),
    Case(
        "org-employees-absurd",
        organisation("2024,employees,1e12,person,HR"),
        says=("organisation.csv, row 2, column 'value'",),
    ),
    Case(
        "org-year-zero",
        organisation("0,employees,10,person,HR"),
        says=("organisation.csv, row 2, column 'year'",),
    ),
    Case(
        "org-year-text",
        organisation("FY2024,employees,10,person,HR"),
        says=("organisation.csv, row 2, column 'year'",),
    ),
    Case(
        "org-metric-typo",
        organisation("2024,employes,10,person,HR"),
        says=("organisation.csv, row 2, column 'metric'", "did you mean 'employees'"),
    ),
    Case(
        "org-revenue-in-persons",
        organisation("2024,revenue,10,person,AR"),
        says=("organisation.csv, row 2, column 'unit'", "renminbi"),
    ),
    Case(
        "org-unit-garbage",
        organisation("2024,employees,10,pers))on,HR"),
        says=("organisation.csv, row 2, column 'unit'",),
    ),
    Case(
        "org-duplicate-metric",
        organisation("2024,employees,10,person,HR", "2024,employees,11,person,HR"),
        says=("organisation.csv, row 3, column 'metric'", "one value per (year, metric)"),
    ),
    Case(
        "org-value-text",
        organisation("2024,employees,ten,person,HR"),
        says=("organisation.csv, row 2, column 'value'",),
    ),
    Case(
        "org-empty-source",
        organisation("2024,employees,10,person,"),
        says=("organisation.csv, row 2, column 'source'",),
    ),
    Case(
        "org-control-character",
        organisation("2024,employees,10,person,H\x1bR"),
        says=("organisation.csv, row 2, column 'source'", "control characters"),
    ),
    Case("org-empty-file", {"org/organisation.csv": ""}, says=("organisation.csv", "the file is empty")),
    Case("org-missing-file", {"org/organisation.csv": None}, says=("organisation.csv", "an existing")),
    Case(
        "org-not-utf8",
        {"org/organisation.csv": ORGANISATION.encode() + b"2023,employees,9,person,H\xe9R\n"},
        says=("organisation.csv, row 4", "UTF-8"),
    ),
    Case("org-ragged-row", organisation("2024,employees,10"), says=("organisation.csv, row 2", "5 values")),
    Case(
        "org-revenue-negative",
        organisation("2024,revenue,-1,million * RMB,AR"),
        says=("organisation.csv, row 2, column 'value'",),
    ),
    # ---------------------------------------------------------------- factor sets
    Case(
        "factors-value-inf",
        factor_table("gasoline_ipcc2006.csv", lambda t: t.replace(",69300,", ",inf,")),
        args=WITH_FACTORS,
        says=("gasoline_ipcc2006.csv", "column 'value'", "a finite number"),
    ),
    Case(
        "factors-negative-value",
        factor_table("gasoline_ipcc2006.csv", lambda t: t.replace(",69300,", ",-69300,")),
        args=WITH_FACTORS,
        says=("gasoline_ipcc2006.csv", "column 'value'", "zero or more"),
    ),
    Case(
        "factors-value-text",
        factor_table("gasoline_ipcc2006.csv", lambda t: t.replace(",69300,", ",lots,")),
        args=WITH_FACTORS,
        says=("gasoline_ipcc2006.csv", "column 'value'", "a number"),
    ),
    Case(
        "factors-gwp-zero",
        factor_table("gwp.csv", lambda t: t.replace("AR6,N2O,273", "AR6,N2O,0")),
        args=WITH_FACTORS,
        says=("gwp.csv", "column 'value'", "a positive number"),
    ),
    Case(
        "factors-non-utf8-rehashed",
        {"factors/water_desnz.csv": lambda s: _append_bytes(s.factors / "water_desnz.csv", b"# caf\xe9\n")},
        args=WITH_FACTORS,
        says=("water_desnz.csv", "UTF-8"),
    ),
    Case(
        "factors-empty-table-rehashed",
        {"factors/water_desnz.csv": lambda s: _write_and_rehash(s, "water_desnz.csv", b"")},
        args=WITH_FACTORS,
        says=("water_desnz.csv", "the file is empty"),
    ),
    Case(
        "factors-tampered",
        factor_table("gwp.csv", lambda t: t.replace("AR6,N2O,273", "AR6,N2O,274"), rehashed=False),
        args=WITH_FACTORS,
        says=("gwp.csv", "sha256"),
    ),
    Case(
        "factors-unknown-column",
        factor_table("gwp.csv", lambda t: t.replace("notes", "notes,extra", 1)),
        args=WITH_FACTORS,
        says=("gwp.csv", "column 'extra'", "only known columns"),
    ),
    Case(
        "factors-ragged-row",
        factor_table("fuel_properties.csv", lambda t: t + "x,gasoline,ncv\n"),
        args=WITH_FACTORS,
        says=("fuel_properties.csv, row 4", "8 values, one per header column (this row has 3)"),
    ),
    Case(
        "factors-region-cycle",
        factor_table(
            "regions.csv",
            lambda t: t.replace(
                "CN,national,China (national grid),全国,GLOBAL",
                "CN,national,China (national grid),全国,CN-GRID-EAST",
            ),
        ),
        args=WITH_FACTORS,
        says=("regions.csv", "column 'parent'", "cycle"),
    ),
    Case(
        "factors-unknown-gas",
        factor_table("gasoline_ipcc2006.csv", lambda t: t.replace(",N2O,", ",NO2,")),
        args=WITH_FACTORS,
        says=("gasoline_ipcc2006.csv", "column 'gas'", "one of"),
    ),
    Case(
        "factors-bad-unit",
        factor_table("gasoline_ipcc2006.csv", lambda t: t.replace("kgCO2/TJ", "kgCO2/m")),
        args=WITH_FACTORS,
        says=("gasoline_ipcc2006.csv", "column 'unit'"),
    ),
    Case(
        "factors-duplicate-id",
        factor_table("water_desnz.csv", lambda t: t + t.splitlines()[1] + "\n"),
        args=WITH_FACTORS,
        says=("water_desnz.csv", "column 'factor_id'", "used only once"),
    ),
    Case(
        "manifest-syntax-error",
        manifest(lambda t: t + "\ntables: [unclosed\n"),
        args=WITH_FACTORS,
        says=("manifest.yaml", "valid YAML", "line"),
    ),
    Case(
        "manifest-is-a-list",
        manifest(lambda t: "- a\n- b\n"),
        args=WITH_FACTORS,
        says=("manifest.yaml", "a mapping"),
    ),
    Case(
        "manifest-is-a-scalar",
        manifest(lambda t: "just text\n"),
        args=WITH_FACTORS,
        says=("manifest.yaml", "a mapping"),
    ),
    Case(
        "manifest-missing-name",
        manifest(lambda t: t.replace("name: china-corporate\n", "")),
        args=WITH_FACTORS,
        says=("manifest.yaml", "key 'name'", "present"),
    ),
    Case(
        "manifest-bad-released",
        manifest(lambda t: t.replace('released: "2026-01-15"', "released: soon")),
        args=WITH_FACTORS,
        says=("manifest.yaml", "key 'released'"),
    ),
    Case(
        "manifest-unknown-key",
        manifest(lambda t: t.replace("default_gwp:", "defualt_gwp:")),
        args=WITH_FACTORS,
        says=("manifest.yaml", "key 'defualt_gwp'", "did you mean 'default_gwp'"),
    ),
    Case(
        "manifest-path-traversal",
        manifest(lambda t: t.replace("file: gwp.csv", "file: ../../../../etc/passwd")),
        args=WITH_FACTORS,
        says=("manifest.yaml", "key 'tables[6].file'", "inside the factor set's folder"),
    ),
    Case(
        "manifest-absolute-path",
        manifest(lambda t: t.replace("file: gwp.csv", "file: /etc/hosts.csv")),
        args=WITH_FACTORS,
        says=("manifest.yaml", "inside the factor set's folder"),
    ),
    Case(
        "manifest-billion-laughs",
        manifest(lambda t: t + laughs()),
        args=WITH_FACTORS,
        says=("manifest.yaml", "aliases"),
    ),
    Case(
        "manifest-python-tag",
        manifest(lambda t: t + "evil: !!python/object/apply:os.system ['echo hi']\n"),
        args=WITH_FACTORS,
        says=("manifest.yaml", "valid YAML"),
    ),
    Case(
        "manifest-duplicate-key",
        manifest(lambda t: t + "name: other\n"),
        args=WITH_FACTORS,
        says=("manifest.yaml", "duplicate key"),
    ),
    Case(
        "manifest-not-utf8",
        {
            "factors/manifest.yaml": lambda s: _append_bytes(
                s.factors / "manifest.yaml", b"# \xff\n", rehashed=False
            )
        },
        args=WITH_FACTORS,
        says=("manifest.yaml", "UTF-8"),
    ),
    Case(
        "manifest-bad-sha",
        manifest(lambda t: t.replace("sha256: a029e0dc", "sha256: zz29e0dc")),
        args=WITH_FACTORS,
        says=("manifest.yaml", "64 lowercase hexadecimal digits"),
    ),
    Case(
        "manifest-unknown-kind",
        manifest(lambda t: t.replace("kind: gwp", "kind: gwps")),
        args=WITH_FACTORS,
        says=("manifest.yaml", "key 'tables[6].kind'"),
    ),
    Case(
        "manifest-source-without-title",
        manifest(lambda t: t.replace('    title: "GHG Protocol Scope 2 Guidance', '    titel: "GHG')),
        args=WITH_FACTORS,
        says=("manifest.yaml", "sources.S19.title"),
    ),
    Case(
        "factors-folder-without-manifest",
        {"factors/manifest.yaml": None},
        args=WITH_FACTORS,
        says=("--factors", "a folder holding manifest.yaml"),
    ),
    Case(
        "factors-unknown-set",
        args=[*INVENTORY, "--factors", "china-corprate"],
        says=("not found", "did you mean 'china-corporate'"),
    ),
    Case(
        "factors-unknown-version",
        args=[*INVENTORY, "--factors", "china-corporate@2026.9"],
        says=("no version '2026.9'",),
    ),
    Case(
        "factors-path-is-missing",
        args=[*INVENTORY, "--factors", "{tmp}/nowhere/"],
        says=("--factors", "manifest.yaml"),
    ),
    # ---------------------------------------------------------------- scenarios and pathways
    Case(
        "scenario-syntax-error",
        scenario("levers: [unclosed\n"),
        args=SCENARIO_RUN,
        says=("s.yaml", "valid YAML"),
    ),
    Case("scenario-is-a-list", scenario("- a\n"), args=SCENARIO_RUN, says=("s.yaml", "a mapping")),
    Case("scenario-is-a-scalar", scenario("42\n"), args=SCENARIO_RUN, says=("s.yaml", "a mapping")),
    Case("scenario-empty", scenario(""), args=SCENARIO_RUN, says=("s.yaml", "an empty file")),
    Case(
        "scenario-base-year-text",
        scenario(SCENARIO.replace("base_year: 2024", "base_year: abc")),
        args=SCENARIO_RUN,
        says=("s.yaml", "key 'base_year'", "integer"),
    ),
    Case(
        "scenario-base-year-zero",
        scenario(SCENARIO.replace("base_year: 2024", "base_year: 0")),
        args=SCENARIO_RUN,
        says=("s.yaml", "key 'base_year'", "1990"),
    ),
    Case(
        "scenario-base-year-not-in-ledger",
        scenario(SCENARIO.replace("base_year: 2024", "base_year: 2020")),
        args=SCENARIO_RUN,
        says=("base year 2020 is not in the ledger",),
    ),
    Case(
        "scenario-lever-true",
        scenario(SCENARIO.replace("green_share: 0.5", "green_share: true")),
        args=SCENARIO_RUN,
        says=("s.yaml", "key 'levers.electricity.green_share'", "boolean"),
    ),
    Case(
        "scenario-lever-yes",
        scenario(SCENARIO.replace("green_share: 0.5", "green_share: yes")),
        args=SCENARIO_RUN,
        says=("s.yaml", "boolean"),
    ),
    Case(
        "scenario-lever-text",
        scenario(SCENARIO.replace("green_share: 0.5", "green_share: abc")),
        args=SCENARIO_RUN,
        says=("s.yaml", "levers", "expected a number"),
    ),
    Case(
        "scenario-lever-out-of-range",
        scenario(SCENARIO.replace("green_share: 0.5", "green_share: 1.5")),
        args=SCENARIO_RUN,
        says=("s.yaml", "out of range"),
    ),
    Case(
        "scenario-lever-nan",
        scenario(SCENARIO.replace("green_share: 0.5", "green_share: .nan")),
        args=SCENARIO_RUN,
        says=("s.yaml", "key 'levers.electricity.green_share'"),
    ),
    Case(
        "scenario-lever-inf",
        scenario(SCENARIO.replace("green_share: 0.5", "green_share: .inf")),
        args=SCENARIO_RUN,
        says=("s.yaml", "key 'levers.electricity.green_share'"),
    ),
    Case(
        "scenario-unknown-lever",
        scenario(SCENARIO.replace("electricity.green_share", "electricity.greenshare")),
        args=SCENARIO_RUN,
        says=("s.yaml", "unknown lever", "did you mean 'electricity.green_share'"),
    ),
    Case(
        "scenario-unknown-key",
        scenario(SCENARIO + "leverz: {}\n"),
        args=SCENARIO_RUN,
        says=("s.yaml", "key 'leverz'", "did you mean 'levers'"),
    ),
    Case(
        "scenario-levers-a-list",
        scenario(SCENARIO.replace("  electricity.green_share: 0.5", "  - electricity.green_share")),
        args=SCENARIO_RUN,
        says=("s.yaml", "key 'levers'"),
    ),
    Case(
        "scenario-not-utf8",
        scenario(SCENARIO.encode() + b"# \xff\n"),
        args=SCENARIO_RUN,
        says=("s.yaml", "UTF-8"),
    ),
    Case(
        "scenario-billion-laughs",
        scenario(SCENARIO + laughs()),
        args=SCENARIO_RUN,
        says=("s.yaml", "aliases"),
    ),
    Case(
        "scenario-python-tag",
        scenario(SCENARIO + "x: !!python/object/apply:os.system ['echo hi']\n"),
        args=SCENARIO_RUN,
        says=("s.yaml", "valid YAML"),
    ),
    Case(
        "scenario-too-large",
        scenario("# " + "x" * 2_100_000 + "\n"),
        args=SCENARIO_RUN,
        says=("s.yaml", "at most 2,000,000 bytes"),
    ),
    Case(
        "scenario-missing-file",
        args=["scenario", "run", "{org}/scenarios/none.yaml", "--org", "{org}"],
        says=("none.yaml", "an existing"),
    ),
    Case(
        "scenario-set-without-equals",
        args=["scenario", "run", "--set", "electricity.green_share", "--org", "{org}"],
        says=("expected LEVER=VALUE",),
    ),
    Case(
        "scenario-set-unknown-lever",
        args=["scenario", "run", "--set", "electricty.scale=2", "--org", "{org}"],
        says=("unknown lever", "did you mean 'electricity.scale'"),
    ),
    Case(
        "scenario-set-true",
        args=["scenario", "run", "--set", "electricity.scale=true", "--org", "{org}"],
        says=("expected a number",),
    ),
    Case(
        "scenario-set-route-unknown",
        args=["scenario", "run", "--set", "waste.route=moon", "--org", "{org}"],
        says=("route 'moon'",),
    ),
    Case("scenario-no-levers", args=["scenario", "run", "--org", "{org}"], says=("no levers",)),
    Case(
        "pathway-to-100000",
        args=[*PATHWAY[:3], "--to", "100000", *PATHWAY[5:]],
        says=("--to 100000", "not after 2100"),
    ),
    Case(
        "pathway-to-before-base",
        args=[*PATHWAY[:3], "--to", "2000", *PATHWAY[5:]],
        says=("--to 2000", "after the base year"),
    ),
    Case(
        "pathway-rate-text",
        scenario(SCENARIO.replace("electricity: 0.02", "electricity: abc")),
        args=PATHWAY,
        says=("s.yaml", "key 'pathway.rates.electricity'", "number"),
    ),
    Case(
        "pathway-rate-unknown",
        scenario(SCENARIO.replace("rates: {electricity", "rates: {coal")),
        args=PATHWAY,
        says=("pathway rates coal unknown",),
    ),
    Case(
        "pathway-reduction-two",
        scenario(SCENARIO.replace("reduction: 0.3", "reduction: 2")),
        args=PATHWAY,
        says=("s.yaml", "key 'pathway.target.reduction'"),
    ),
    Case(
        "pathway-target-type-unknown",
        scenario(SCENARIO.replace("type: absolute_reduction", "type: net_zero")),
        args=PATHWAY,
        says=("s.yaml", "key 'pathway.target.type'"),
    ),
    Case(
        "pathway-target-metric-unknown",
        scenario(SCENARIO.replace("metric: total_market", "metric: total_markets")),
        args=PATHWAY,
        says=("target metric", "did you mean 'total_market'"),
    ),
    Case(
        "pathway-target-without-reduction",
        scenario(SCENARIO.replace(", reduction: 0.3", "")),
        args=PATHWAY,
        says=("needs reduction",),
    ),
    Case(
        "pathway-ramp-year-text",
        scenario(SCENARIO.replace("  target:", "  ramps: {electricity.green_share: {soon: 0.5}}\n  target:")),
        args=PATHWAY,
        says=("s.yaml", "pathway.ramps"),
    ),
    Case(
        "pathway-ramp-unknown-lever",
        scenario(SCENARIO.replace("  target:", "  ramps: {coal.scale: {2030: 0.5}}\n  target:")),
        args=PATHWAY,
        says=("unknown lever 'coal.scale'",),
    ),
    # ---------------------------------------------------------------- published tables
    Case(
        "published-syntax-error",
        published("figures: [\n"),
        args=RECONCILE,
        says=("report.yaml", "valid YAML"),
    ),
    Case(
        "published-no-document",
        published(PUBLISHED.replace("document:\n  id: report-2024\n  title: Fixture report 2024\n", "")),
        args=RECONCILE,
        says=("report.yaml", "key 'document'", "present"),
    ),
    Case(
        "published-document-without-id",
        published(PUBLISHED.replace("  id: report-2024\n", "")),
        args=RECONCILE,
        says=("report.yaml", "key 'document.id'"),
    ),
    Case(
        "published-figures-not-a-list",
        published(PUBLISHED.split("figures:")[0] + "figures: 3\n"),
        args=RECONCILE,
        says=("report.yaml", "key 'figures'"),
    ),
    Case(
        "published-printed-unquoted",
        published(PUBLISHED.replace("printed: '1.00'", "printed: 1.00")),
        args=RECONCILE,
        says=("report.yaml", "key 'figures[1].printed'", "in quotes"),
    ),
    Case(
        "published-unknown-kpi",
        published(PUBLISHED.replace("kpi: energy.electricity", "kpi: energy.electricty")),
        args=RECONCILE,
        says=("report.yaml", "figures[1].kpi", "did you mean 'energy.electricity'"),
    ),
    Case(
        "published-year-text",
        published(PUBLISHED.replace("year: 2024, printed: '1.00'", "year: last, printed: '1.00'")),
        args=RECONCILE,
        says=("report.yaml", "key 'figures[1].year'"),
    ),
    Case(
        "published-unknown-key",
        published(PUBLISHED.replace("locator: p. 1}", "locator: p. 1, pge: 3}", 1)),
        args=RECONCILE,
        says=("report.yaml", "figures[1].pge", "did you mean 'page'"),
    ),
    Case(
        "published-unit-of-the-wrong-dimension",
        published(PUBLISHED.replace("printed: '1.00', unit: MWh", "printed: '1.00', unit: tCO2e", 1)),
        args=RECONCILE,
        says=("report.yaml", "figures[1].unit", "MWh"),
    ),
    Case(
        "published-unit-pint-cannot-read",
        published(PUBLISHED.replace("printed: '1.00', unit: MWh", "printed: '1.00', unit: bananas", 1)),
        args=RECONCILE,
        says=("report.yaml", "figures[1].unit"),
    ),
    Case(
        "published-period-unreadable",
        published(
            PUBLISHED.replace("year: 2024, printed: '1.00'", "period: 'next spring', printed: '1.00'", 1)
        ),
        args=RECONCILE,
        says=("report.yaml", "figures[1].period", "FY2023/24"),
    ),
    Case(
        "published-fiscal-year-in-year",
        published(PUBLISHED.replace("year: 2024, printed: '1.00'", "year: FY2023/24, printed: '1.00'", 1)),
        args=RECONCILE,
        says=("report.yaml", "figures[1].year", "period: FY2023/24"),
    ),
    Case(
        "published-empty-printed",
        published(PUBLISHED.replace("printed: '1.00'", "printed: ''", 1)),
        args=RECONCILE,
        says=("report.yaml", "figures[1].printed", "fill it in or delete it"),
    ),
    Case(
        "published-percent-without-change-from",
        published(PUBLISHED.replace("printed: '1.00', unit: MWh", "printed: '5%', unit: '%'", 1)),
        args=RECONCILE,
        says=("report.yaml", "figures[1]", "change_from"),
    ),
    Case(
        "published-stated-factor-wrong-unit",
        published(
            PUBLISHED
            + "stated_factors:\n"
            + "- {emissions: ghg.scope2, activity: energy.electricity, printed: '0.5', unit: kWh}\n"
        ),
        args=RECONCILE,
        says=("report.yaml", "stated_factors[1].unit", "kgCO2e/kWh"),
    ),
    Case(
        "published-duplicate-document-id",
        {
            "org/published/report.yaml": PUBLISHED,
            "org/published/report-copy.yaml": PUBLISHED,
        },
        args=RECONCILE,
        says=("report", "document.id", "report-2024"),
    ),
    Case(
        "published-billion-laughs",
        published(PUBLISHED + laughs()),
        args=RECONCILE,
        says=("report.yaml", "aliases"),
    ),
    Case(
        "published-not-utf8",
        published(PUBLISHED.encode() + b"# \xff\n"),
        args=RECONCILE,
        says=("report.yaml", "UTF-8"),
    ),
    Case(
        "published-python-tag",
        published(PUBLISHED + "x: !!python/object/apply:os.system ['echo hi']\n"),
        args=RECONCILE,
        says=("report.yaml", "valid YAML"),
    ),
    Case("published-empty", published(""), args=RECONCILE, says=("report.yaml", "an empty file")),
    Case(
        "published-zero-headcount",
        published(
            PUBLISHED.replace("printed: '10'", "printed: '0'")
            + "- {kpi: energy.electricity.per_employee, year: 2024, printed: '0.10', unit: MWh/employee, "
            "section: statistical table, locator: p. 1}\n"
        ),
        args=RECONCILE,
        code=0,
        says=(),
    ),
    Case(
        "published-folder-missing",
        {"org/published/report.yaml": None},
        args=RECONCILE,
        says=("published", "no published tables"),
    ),
    # ---------------------------------------------------------------- options
    Case(
        "as-of-future",
        args=[*INVENTORY[:-3], "--as-of", "2999-01-01"],
        says=("--as-of 2999-01-01", "not after today"),
    ),
    Case("as-of-format", args=[*INVENTORY[:-3], "--as-of", "31/03/2025"], says=("--as-of", "YYYY-MM-DD")),
    Case(
        "as-of-impossible-date",
        args=[*INVENTORY[:-3], "--as-of", "2025-02-30"],
        says=("--as-of", "YYYY-MM-DD"),
    ),
    Case("gwp-unknown", args=[*INVENTORY, "--gwp", "AR7"], says=("AR7",)),
    Case("format-unknown", args=[*INVENTORY, "--format", "xml"], says=("xml",)),
    Case("engine-unknown", args=[*INVENTORY, "--engine", "spark"], says=("spark",)),
    Case(
        "scheduler-without-dask",
        args=[*INVENTORY, "--scheduler", "tcp://127.0.0.1:1"],
        says=("--scheduler goes with --engine dask",),
    ),
    Case(
        "dask-with-csv-ledger",
        args=[*INVENTORY, "--engine", "dask"],
        says=("--engine dask reads a Parquet ledger",),
    ),
    Case(
        "dask-scheduler-not-a-url",
        parquet(good_table()),
        args=[*INVENTORY, "--engine", "dask", "--scheduler", "not a url"],
        says=("--scheduler 'not a url'", "tcp://"),
    ),
    Case("xlsx-wrong-suffix", args=[*INVENTORY, "--xlsx", "{tmp}/book.csv"], says=("--xlsx", ".xlsx")),
    Case(
        "out-is-a-file",
        {"blocker": "x"},
        args=[*INVENTORY[:3], "--out", "{tmp}/blocker", "--quiet"],
        says=("blocker", "cannot write outputs"),
    ),
    Case(
        "org-and-ledger-both",
        args=["inventory", "--org", "{org}", "--ledger", "{ledger}", "--organisation", "{organisation}"],
        says=("not both",),
    ),
    Case("ledger-without-organisation", args=["inventory", "--ledger", "{ledger}"], says=("go together",)),
    Case("org-folder-missing", args=["inventory", "--org", "{tmp}/nope"], says=("not a folder",)),
    Case(
        "bridge-year-missing",
        args=["bridge", "2020", "2024", "--org", "{org}", "--as-of", "2026-06-30"],
        says=("year 2020",),
    ),
    Case(
        "bridge-view-unknown",
        args=["bridge", "2024", "2024", "--view", "both", "--org", "{org}"],
        says=("both",),
    ),
    Case(
        "bridge-year-text",
        args=["bridge", "last", "2024", "--org", "{org}"],
        says=("Invalid value for 'FROM'",),
    ),
    Case(
        "factors-show-typo",
        args=["factors", "show", "mee.elec.cn-sh.2023.locaton"],
        says=("did you mean 'mee.elec.cn-sh.2023.location'",),
    ),
    Case(
        "factors-diff-unknown",
        args=["factors", "diff", "china-corporate@2025.1", "china-corporate@2030.1"],
        says=("no version '2030.1'",),
    ),
    Case(
        "factors-impact-no-earlier",
        args=["factors", "impact", "china-corporate@2025.1", "--org", "{org}"],
        says=("no earlier version",),
    ),
    Case("vocab-unknown-topic", args=["vocab", "colours"], says=("colours",)),
    Case(
        "export-xlsx-wrong-suffix",
        args=["export", "xlsx", "--org", "{org}", "--out", "{tmp}/book.txt"],
        says=("--out", ".xlsx"),
    ),
    Case(
        "export-xlsx-into-missing-folder-file",
        {"blocker": "x"},
        args=[
            "export",
            "xlsx",
            "--org",
            "{org}",
            "--out",
            "{tmp}/blocker/book.xlsx",
            "--as-of",
            "2026-06-30",
        ],
        says=("cannot write",),
    ),
    Case("reconcile-strict-clean", args=[*RECONCILE, "--strict"], code=0),
]


# Found by an independent bad-input hunt on the first version of this catalogue.
CASES += [
    Case(
        "unclosed-quote-swallows-rows",
        {"org/activity.csv": LEDGER.replace("meter\n", '"meter\n')},
        says=("activity.csv, row 2", "quote opened here never closes"),
    ),
    Case(
        "unclosed-quote-organisation",
        organisation('2024,employees,10,person,"HR', "2024,revenue,5,million * RMB,AR"),
        says=("organisation.csv, row 2", "never closes"),
    ),
    Case(
        "unclosed-quote-factor-table",
        factor_table("water_desnz.csv", lambda t: t.replace('"', "", 1)),
        args=WITH_FACTORS,
        says=("water_desnz.csv", "a quote opens and never closes"),
    ),
    Case(
        "line-break-inside-a-value",
        extra('e9,2024,HQ,CN-SH,electricity,10,MWh,,,"two\nlines"'),
        says=(BAD_ROW, "column 'source'", "on one line"),
    ),
    Case("cr-only-line-endings-are-fine", {"org/activity.csv": LEDGER.replace("\n", "\r")}, code=0),
    Case("crlf-line-endings-are-fine", {"org/activity.csv": LEDGER.replace("\n", "\r\n")}, code=0),
    Case(
        "fifo-as-ledger",
        {
            "org/activity.csv": lambda s: (
                (s.org / "activity.csv").unlink() or os.mkfifo(s.org / "activity.csv")
            )
        },
        says=("activity.csv", "a regular"),
    ),
    Case(
        "both-csv-and-xlsx-ledgers",
        {
            "org/activity.xlsx": lambda s: (s.org / "activity.xlsx").write_bytes(
                xlsx_bytes([HEADER.split(",")])
            )
        },
        says=("activity.csv, activity.xlsx", "one activity file"),
    ),
    Case(
        "out-holds-a-foreign-inventory",
        {
            "out/latest": lambda s: (s.out / "latest").unlink(),
            "out/inventory.json": lambda s: _replace_link(s.out / "inventory.json", b"{}"),
        },
        says=("holds", "inventory.json", "did not publish"),
    ),
    Case(
        "xlsx-target-is-a-folder",
        {"book.xlsx/keep": "x"},
        args=[*INVENTORY, "--xlsx", "{tmp}/book.xlsx"],
        says=("book.xlsx", "folder", "nothing was written"),
    ),
    Case(
        "yaml-integer-of-5000-digits",
        scenario(SCENARIO.replace("base_year: 2024", "base_year: " + "9" * 5000)),
        args=SCENARIO_RUN,
        says=("s.yaml", "valid YAML values"),
    ),
    Case(
        "yaml-nested-5000-deep",
        scenario("x: " + "[" * 5000 + "]" * 5000 + "\n"),
        args=SCENARIO_RUN,
        says=("s.yaml", "nested"),
    ),
    Case(
        "published-nested-5000-deep",
        published("document: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n"),
        args=RECONCILE,
        says=("report.yaml", "nested"),
    ),
    Case(
        "parquet-binary-not-utf8",
        parquet(good_table().set_column(9, "source", pa.array([b"a\xff", b"b", b"c", b"d"], pa.binary()))),
        says=("activity.parquet", "column 'source'", "UTF-8"),
    ),
    Case(
        "revenue-1e-320",
        organisation("2024,employees,10,person,HR", "2024,revenue,1e-320,million * RMB,AR"),
        says=("organisation.csv, row 3, column 'value'", "revenue value from 1e-06"),
    ),
    Case(
        "quantity-denormal",
        cell("quantity", "1e-320"),
        says=("row 2, column 'quantity'", "zero, or at least 1e-09"),
    ),
    Case(
        "quantity-tiny-unit",
        cell("unit", "nWh"),
        says=("row 2, column 'quantity'", "zero, or at least 1e-09"),
    ),
    Case(
        "period-before-1990",
        ledger(
            "e1,1989-12-31,1989-12-31,HQ,CN-SH,electricity,1000,kWh,,,meter",
            header=HEADER.replace("year", "period_start,period_end"),
        ),
        says=("row 2, column 'period_start'", "1990"),
    ),
    Case(
        "year-and-period-disagree",
        ledger(
            "e1,2024,2023-01-01,2023-12-31,HQ,CN-SH,electricity,1000,kWh,,,meter",
            header=HEADER.replace("year", "year,period_start,period_end"),
        ),
        says=("row 2, column 'period_start'", "column 'year' says another year"),
    ),
    Case(
        "certificate-claimed-twice",
        extra("c8,2024,HQ,CN,green_certificate,5,MWh,,,registry")
        | {
            "org/activity.csv": LEDGER.replace(",source", ",source,instrument")
            .replace("meter\n", "meter,\n")
            .replace("card\n", "card,\n")
            .replace("bill\n", "bill,\n")
            .replace("hauler\n", "hauler,\n")
            + "c8,2024,HQ,CN,green_certificate,5,MWh,,,r,GEC-1\n"
            + "c9,2024,HQ,CN,green_certificate,5,MWh,,,r,GEC-1\n"
        },
        says=("row 7, column 'instrument'", "already claimed on row 6"),
    ),
    Case(
        "instrument-on-an-electricity-row",
        {
            "org/activity.csv": LEDGER.replace(",source", ",source,instrument")
            .replace("meter\n", "meter,GEC-9\n")
            .replace("card\n", "card,\n")
            .replace("bill\n", "bill,\n")
            .replace("hauler\n", "hauler,\n")
        },
        says=("row 2, column 'instrument'", "green_certificate and green_power rows only"),
    ),
    Case(
        "waste-type-on-an-electricity-row",
        cell("waste_type", "paper_board"),
        says=("row 2, column 'waste_type'", "waste rows only"),
    ),
    Case(
        "route-on-a-water-row",
        cell("route", "landfill", line=3),
        says=("row 4, column 'route'", "waste rows only"),
    ),
    Case("unit-pi-kwh", cell("unit", "pi kWh"), says=("row 2, column 'unit'", "'pi' is a number")),
    Case(
        "unit-percent-times-kwh",
        cell("unit", "percent*kWh"),
        says=("row 2, column 'unit'", "'percent' is a number"),
    ),
    Case(
        "unit-thousand-thousand",
        cell("unit", "thousand thousand kWh"),
        says=("row 2, column 'unit'", "at most one scale word"),
    ),
    Case(
        "unit-milliwatt-hour-slip", cell("unit", "mWh"), says=("row 2, column 'unit'", "did you mean 'MWh'")
    ),
    Case(
        "org-revenue-pi-rmb",
        organisation("2024,employees,10,person,HR", "2024,revenue,5,pi*RMB,AR"),
        says=("organisation.csv, row 3, column 'unit'", "'pi' is a number"),
    ),
    Case(
        "a-thousand-distinct-bad-units",
        {
            "org/activity.csv": LEDGER
            + "".join(f"e{i}x,2024,HQ,CN-SH,electricity,1,kWh{i}x,,,meter\n" for i in range(1000))
        },
        says=("at most 500 distinct units",),
    ),
    Case(
        "many-unknown-regions-capped",
        {
            "org/activity.csv": LEDGER
            + "".join(f"r{i},2024,HQ,XX-{i},electricity,1,kWh,,,meter\n" for i in range(300))
        },
        says=("more problems",),
    ),
    Case(
        "scenario-with-2000-unknown-keys",
        scenario(SCENARIO + "".join(f"k{i}: 1\n" for i in range(2000))),
        args=SCENARIO_RUN,
        says=("s.yaml", "more problems"),
    ),
    Case(
        "published-6000-figures",
        published(
            PUBLISHED
            + "".join(
                "- {kpi: employees.total, year: 2024, printed: '10', unit: person, section: s, locator: x}\n"
                for _ in range(6000)
            )
        ),
        args=RECONCILE,
        says=("report.yaml", "key 'figures'", "at most 5000"),
    ),
    Case(
        "sixty-set-levers",
        args=[
            "scenario",
            "run",
            *[a for _ in range(60) for a in ("--set", "electricity.scale=1")],
            "--org",
            "{org}",
            "--as-of",
            "2026-06-30",
        ],
        says=("at most 50 levers",),
    ),
    Case(
        "pathway-rate-compounds-out-of-range",
        scenario(SCENARIO.replace("electricity: 0.02", "electricity: 0.5")),
        args=PATHWAY,
        says=("pathway.rates.electricity = 0.5 compounds", "by 2030"),
    ),
    Case(
        "pathway-ramp-of-a-route",
        scenario(
            SCENARIO.replace(
                "  target:", "  ramps: {waste.route: {2025: landfill, 2030: combustion}}\n  target:"
            )
        ),
        args=PATHWAY,
        says=("pathway.ramps.waste.route",),
    ),
    Case(
        "pathway-ramp-text-value",
        scenario(
            SCENARIO.replace(
                "  target:", "  ramps: {electricity.green_share: {2025: abc, 2030: 0.5}}\n  target:"
            )
        ),
        args=PATHWAY,
        says=("pathway.ramps.electricity.green_share.2025",),
    ),
    Case(
        "pathway-ramp-needs-its-ratio",
        scenario(
            SCENARIO.replace("  target:", "  ramps: {fleet.electrify_share: {2025: 0, 2030: 0.5}}\n  target:")
        ),
        args=PATHWAY,
        says=("needs fleet.efficiency_ratio",),
    ),
    Case(
        "lever-route-without-factor-blames-the-lever",
        args=["scenario", "run", "--set", "waste.route=recycling", "--org", "{org}", "--as-of", "2026-06-30"],
        says=("lever waste.route=recycling", "route"),
    ),
    Case(
        "manifest-source-misspelt-key",
        manifest(lambda t: t.replace('    read_via: "FACTORS.md S14', '    readvia: "FACTORS.md S14')),
        args=WITH_FACTORS,
        says=("manifest.yaml", "readvia", "did you mean 'read_via'"),
    ),
    Case(
        "manifest-table-listed-twice",
        manifest(
            lambda t: t.replace(
                "tables:\n", "tables:\n  - {file: regions.csv, kind: regions, sha256: '" + "0" * 64 + "'}\n"
            )
        ),
        args=WITH_FACTORS,
        says=("manifest.yaml", "regions.csv is listed more than once"),
    ),
    Case(
        "set-underscore-number",
        args=["scenario", "run", "--set", "electricity.scale=1_0", "--org", "{org}"],
        says=("such as 0.3",),
    ),
    Case(
        "set-fullwidth-digit",
        args=["scenario", "run", "--set", "electricity.scale=２", "--org", "{org}"],
        says=("such as 0.3",),
    ),
    Case(
        "scenario-lever-number-as-text",
        scenario(SCENARIO.replace("green_share: 0.5", "green_share: '0.5'")),
        args=SCENARIO_RUN,
        says=("s.yaml", "not the text '0.5'"),
    ),
    Case("base-year-zero-option", args=[*SCENARIO_RUN, "--base-year", "0"], says=("--base-year",)),
]


NEW_SET = [*INVENTORY, "--factors", "china-corporate@2026.2"]
KIND_HEADER = HEADER + ",kind"
CASES += [
    Case(
        "unknown-refrigerant",
        {"org/activity.csv": KIND_HEADER + "\nr1,2024,HQ,CN,refrigerant,5,kg,,,log,R-999\n"},
        args=NEW_SET,
        says=("activity.csv, row 2, column 'kind'", "found 'R-999'", "kind HFC-125 or HFC-134a"),
    ),
    Case(
        "refrigerant-without-kind",
        {"org/activity.csv": KIND_HEADER + "\nr1,2024,HQ,CN,refrigerant,5,kg,,,log,\n"},
        args=NEW_SET,
        says=("activity.csv, row 2, column 'kind'", "a value in kind"),
    ),
    Case(
        "travel-without-a-distance-unit",
        {
            "org/activity.csv": KIND_HEADER
            + "\nt1,2024,HQ,CN,business_travel,900,km,,,agency,air_short_haul\n"
        },
        args=NEW_SET,
        says=("activity.csv, row 2, column 'unit'", "a distance per passenger (pkm, passenger_km)"),
    ),
    Case(
        "natural-gas-in-litres",
        {"org/activity.csv": KIND_HEADER + "\nn1,2024,HQ,CN,natural_gas,900,L,,,bill,\n"},
        args=NEW_SET,
        says=("activity.csv, row 2, column 'unit'", "litres are for liquid fuels"),
    ),
    Case(
        "vocabulary-entry-without-canonical-unit",
        {
            "vocab.yaml": "activities:\n  cooling:\n    description: x\n    accepts: ['[energy]']\n"
            "    scope: 2\n"
        },
        args=["--vocabulary", "{tmp}/vocab.yaml", *INVENTORY],
        says=("vocab.yaml", "key 'activities.cooling.canonical_unit'"),
    ),
]


def _replace_link(path: Path, data: bytes) -> None:
    path.unlink()
    path.write_bytes(data)


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _parquet_bytes(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def _append_bytes(path: Path, data: bytes, rehashed: bool = True) -> None:
    path.write_bytes(path.read_bytes() + data)
    if rehashed:
        rehash(path.parent)


def _write_and_rehash(space: Workspace, name: str, data: bytes) -> None:
    (space.factors / name).write_bytes(data)
    rehash(space.factors)


def apply(case: Case, space: Workspace) -> list[str]:
    for relative, change in case.files.items():
        path = space.root / relative
        if change is None:
            if path.exists():
                path.unlink()
        elif callable(change):
            change(space)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(change if isinstance(change, bytes) else change.encode("utf-8"))
    values = space.placeholders()
    return [arg.format(**values) for arg in case.args]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_is_refused_clearly_and_changes_nothing(case: Case, workspace: Workspace, monkeypatch):
    monkeypatch.delenv(
        "CARBON_VOCABULARY", raising=False
    )  # --vocabulary sets it for the process: undone after
    args = apply(case, workspace)
    before = snapshot(workspace.out)
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    output = result.output
    assert result.exit_code == case.code, f"exit {result.exit_code}:\n{output}"
    assert "Traceback" not in output and "internal error" not in output, output
    for needle in case.says:
        assert needle in output, f"{needle!r} not in:\n{output}"
    if case.code == 2:
        assert output.startswith("error: ") or "Error" in output or "Usage" in output, output
    if case.code != 0:  # a good input publishes new outputs; a refused one must change nothing
        assert snapshot(workspace.out) == before, "the previous outputs changed"


def test_the_catalogue_is_large_and_every_id_unique():
    assert len(CASES) >= 150
    assert len({case.id for case in CASES}) == len(CASES)
