"""One call that runs an inventory on the engine that fits the ledger and publishes its outputs
as a set (carbon/outputs.py). The CLI builds the request and calls this; the choice of engine
lives here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from carbon import readers
from carbon.calculate import union_line_keys
from carbon.engine import InventoryRequest, InventoryResult, RunResult, is_parquet, run_inventory
from carbon.errors import CarbonError
from carbon.grouped import LARGE_LEDGER_ROWS, GroupedResult, combine_groups, grouped_result, row_groups
from carbon.models.inventory import Inventory
from carbon.outputs import (
    OutputSet,
    to_json,
    write_atomically,
    write_line_keys,
    write_lines_csv,
    write_lines_parquet,
)

if TYPE_CHECKING:
    from carbon.reconcile import Reconciliation

ENGINES = ("pandas", "dask")
WORKBOOK = "workbook.xlsx"


@dataclass(frozen=True)
class Published:
    inventory: Inventory
    warnings: list[str]
    files: dict[str, Path]  # output name -> its path under the output folder
    workbook: Path | None = None
    engine: str = "in-memory"  # which run drove the engine's steps: in-memory, chunked or dask


def _silent(stage: str) -> None:
    """Default progress reporter: says nothing."""


def check_engine_options(
    request: InventoryRequest, engine: str, scheduler: str | None, xlsx: Path | None
) -> None:
    if engine not in ENGINES:
        raise CarbonError(f"--engine {engine!r}: expected one of {', '.join(ENGINES)}")
    if scheduler is not None and engine != "dask":
        raise CarbonError("--scheduler goes with --engine dask: add --engine dask, or drop --scheduler")
    if engine == "dask" and (not is_parquet(request.ledger) or xlsx is not None):
        raise CarbonError(
            "--engine dask reads a Parquet ledger (a file or a folder of .parquet files) and writes no "
            "workbook"
        )
    if xlsx is not None and Path(xlsx).suffix.lower() != ".xlsx":
        raise CarbonError(f"--xlsx {xlsx}: expected a file name ending in .xlsx")


def run_and_publish(
    request: InventoryRequest,
    out_dir: Path,
    engine: str = "pandas",
    scheduler: str | None = None,
    xlsx: Path | None = None,
    progress: Callable[[str], None] = _silent,
) -> Published:
    """Compute the inventory and publish emission lines, inventory.json (and the workbook) as one set.

    Parquet ledgers and large CSV ledgers run in chunks (bounded memory; see runs_chunked);
    `engine='dask'` maps the same steps over Parquet partitions. The
    output set is held for the whole run, so a second run into the same folder is refused."""
    check_engine_options(request, engine, scheduler, xlsx)
    with OutputSet(out_dir) as outputs:
        if engine == "dask":
            from carbon.distributed import run_inventory_dask

            document, warnings = run_inventory_dask(request, outputs, scheduler, progress)
            driver = "dask"
        elif runs_chunked(request, xlsx is not None):
            from carbon.streaming import run_inventory_chunked

            document, warnings, grouped = run_inventory_chunked(
                request, outputs, progress, groups=xlsx is not None
            )
            if grouped is not None:
                progress("writing the grouped workbook")
                write_workbook(outputs, grouped)
            driver = "chunked"
        else:
            result = run_inventory(request, progress)
            report = None
            if xlsx is not None:
                from carbon.reconcile import reconcile_if_published

                report = reconcile_if_published(result)
            progress("writing outputs")
            write_in_memory_outputs(outputs, result, report, xlsx is not None)
            document, warnings = result.inventory, result.warnings
            driver = "in-memory"
        progress("publishing outputs")
        files = outputs.commit({WORKBOOK: Path(xlsx)} if xlsx is not None else None)
    return Published(document, warnings, files, Path(xlsx) if xlsx is not None else None, driver)


def write_in_memory_outputs(
    outputs: OutputSet, result: InventoryResult, report: Reconciliation | None, workbook: bool
) -> None:
    """A Parquet ledger, and any ledger above LARGE_LEDGER_ROWS, gets Parquet emission lines,
    normalised as the chunked run writes them (emission_lines.parquet and line_keys.parquet:
    the grouped workbook refers to them by line_key); others one CSV of full lines."""
    parquet = is_parquet(result.request.ledger) or len(result.rows) > LARGE_LEDGER_ROWS
    if parquet:
        write_atomically(
            outputs.path("emission_lines.parquet"),
            lambda stream: write_lines_parquet(result.normalised.lines, stream),
        )
        write_line_keys(outputs, union_line_keys([result.normalised.keys]))
    else:
        write_atomically(
            outputs.path("emission_lines.csv"), lambda stream: write_lines_csv(result.lines, stream)
        )
    write_atomically(
        outputs.path("inventory.json"), lambda stream: stream.write(to_json(result.inventory).encode("utf-8"))
    )
    if workbook:
        from carbon.export.excel import export_xlsx

        names = ("emission_lines.parquet", "line_keys.parquet") if parquet else ("emission_lines.csv",)
        view = workbook_view(result, lambda: {name: outputs.sha256(name) for name in names})
        export_xlsx(view, outputs.path(WORKBOOK), report)  # groups reconcile as the rows do


def runs_chunked(request: InventoryRequest, workbook: bool) -> bool:
    """Parquet ledgers run in chunks, unless a small one needs a workbook with a row per ledger
    row; CSV ledgers above LARGE_LEDGER_ROWS too (their lines then go to Parquet: a CSV of
    millions of 37-column lines would take longer to write than the inventory to compute)."""
    ledger = Path(request.ledger)
    if is_parquet(ledger):
        if not workbook:
            return True
        rows = readers.ParquetSource(ledger, readers.table_schema("ledger")).count_rows()
        return rows is None or rows > LARGE_LEDGER_ROWS
    if ledger.suffix.lower() == ".csv" and ledger.is_file():
        return readers.csv_rows_at_most(ledger) - 1 > LARGE_LEDGER_ROWS  # the header is a line
    return False


def workbook_view(result: InventoryResult, line_files: Callable[[], dict[str, str]]) -> RunResult:
    """What the workbook shows of an in-memory run: every row, or above LARGE_LEDGER_ROWS rows
    the groups (carbon/grouped.py); `line_files` gives the sha256 of the published line files."""
    if len(result.rows) <= LARGE_LEDGER_ROWS:
        return result
    lines = result.normalised
    return grouped_result(
        result.inventory,
        result.warnings,
        combine_groups([row_groups(lines)]),
        union_line_keys([lines.keys]),
        result.organisation,
        result.factor_set,
        result.request,
        line_files(),
    )


def write_workbook(outputs: OutputSet, grouped: GroupedResult) -> None:
    """A large ledger's workbook (a row per group), with the reconciliation when there is one."""
    from carbon.export.excel import export_xlsx
    from carbon.reconcile import reconcile_if_published

    export_xlsx(grouped, outputs.path(WORKBOOK), reconcile_if_published(grouped))
