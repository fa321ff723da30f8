"""The `carbon` command: parse options, call the library, render. No accounting logic lives here."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from carbon import __version__
from carbon.errors import CarbonError
from carbon.paths import inputs_root
from carbon import catalog
from carbon.pipeline import InventoryRequest, org_paths, run_inventory
from carbon.bridge import bridge
from carbon.export.excel import export_xlsx
from carbon.reconcile import findings_frame, reconcile_if_published, reconcile_organisation
from carbon.report import (render_bridge, render_diff, render_impact, render_pathway, render_reconciliation, render_scenario,
                           render_sets, render_table, summary_frame, to_csv, to_json, write_outputs)
from carbon.distributed import run_inventory_dask
from carbon.streaming import run_inventory_chunked
from carbon.scenario import load_scenario_file, parse_set_options, run_pathway, run_scenario, valid_levers_text

app = typer.Typer(
    help=(
        "GHG and resource inventory from an activity ledger and cited, versioned emission factors.\n\n"
        "Example: carbon inventory                      (the bundled Qfin example, 2021-2025)\n\n"
        "Example: carbon inventory --format json > inventory.json"
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


def _console(stderr: bool = False) -> Console:
    # Made per call so the terminal width (or COLUMNS) is read when output happens.
    return Console(stderr=stderr)


class OutputFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


class Engine(str, Enum):
    pandas = "pandas"
    dask = "dask"


class GwpSet(str, Enum):
    AR4 = "AR4"
    AR5 = "AR5"
    AR6 = "AR6"


def _version(value: bool) -> None:
    if value:
        _console().print(f"carbon-inventory {__version__}")
        raise typer.Exit()


@app.callback()
def main(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")] = False) -> None:
    """GHG and resource inventory from an activity ledger and cited, versioned emission factors."""


def _fail(message: str) -> None:
    _console(stderr=True).print(f"error: {message}", highlight=False, markup=False, soft_wrap=True)
    raise typer.Exit(code=2)


def _parse_date(text: str | None) -> date:
    if text is None:
        return date.today()
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        _fail(f"--as-of {text!r}: expected a date as YYYY-MM-DD, e.g. 2025-03-31")


def _inputs(org: Path | None, ledger: Path | None, organisation: Path | None) -> tuple[Path, Path, str]:
    if (ledger is None) != (organisation is None):
        _fail("--ledger and --organisation go together: give both, or neither and use --org DIR")
    if ledger is not None:
        if org is not None:
            _fail("give either --org DIR or --ledger FILE --organisation FILE, not both")
        return ledger, organisation, ledger.stem if ledger.stem != "activity" else ledger.parent.name
    org = org or inputs_root() / "qfin"
    if not org.is_dir():
        _fail(f"--org {org}: not a folder (expected a folder holding activity.csv and organisation.csv)")
    activity_file, organisation_file = org_paths(org)
    return activity_file, organisation_file, org.name


# Options shared by every command that runs an inventory.
OrgOption = Annotated[Optional[Path], typer.Option(
    help="Organisation folder with activity.csv|.xlsx and organisation.csv|.xlsx. Default: the bundled inputs/qfin.")]
LedgerOption = Annotated[Optional[Path], typer.Option(help="Activity ledger file (.csv or .xlsx); use with --organisation instead of --org.")]
OrganisationOption = Annotated[Optional[Path], typer.Option(help="Organisation metrics file (.csv or .xlsx): employees, revenue per year.")]
GwpOption = Annotated[GwpSet, typer.Option(help="GWP set for per-gas factors (100-year).")]
FactorsOption = Annotated[Optional[str], typer.Option(
    help="Factor set: NAME[@VERSION] from factors/, or a folder with manifest.yaml. Default: the latest china-corporate.")]
AsOfOption = Annotated[Optional[str], typer.Option(
    "--as-of", help="Use only factors published on or before this date (YYYY-MM-DD). Default: today.")]


@contextmanager
def _progress(quiet: bool):
    """A spinner with the current stage on stderr, only for a person at a terminal."""
    if quiet or not sys.stdout.isatty():
        yield lambda stage: None
        return
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=_console(stderr=True),
                  transient=True) as bar:
        task = bar.add_task("starting")
        yield lambda stage: bar.update(task, description=stage)


def _check_xlsx_name(option: str, path: Path) -> None:
    if path.suffix.lower() != ".xlsx":
        _fail(f"{option} {path}: expected a file name ending in .xlsx")


def _write_inventory_outputs(out_dir: Path, result, ledger_file: Path, xlsx: Path | None) -> list[Path]:
    try:
        # A Parquet ledger gets Parquet emission lines: millions of lines write in seconds, not minutes.
        lines_format = "parquet" if ledger_file.suffix.lower() == ".parquet" or ledger_file.is_dir() else "csv"
        written = write_outputs(out_dir, result.document, result.lines, lines_format)
        if xlsx is not None:
            written.append(_run_or_fail(export_xlsx, result, xlsx, _run_or_fail(reconcile_if_published, result)))
    except OSError as error:
        _fail(f"cannot write outputs: {error}")
    return written


@app.command()
def inventory(
    org: OrgOption = None,
    ledger: LedgerOption = None,
    organisation: OrganisationOption = None,
    factors: FactorsOption = None,
    gwp: GwpOption = GwpSet.AR6,
    as_of: AsOfOption = None,
    output_format: Annotated[OutputFormat, typer.Option("--format", help="table: readable; json: the DESIGN.md contract on stdout; csv: one row per year on stdout.")] = OutputFormat.table,
    out: Annotated[Optional[Path], typer.Option(help="Folder for emission_lines.csv and inventory.json. Default: outputs/<organisation>.")] = None,
    xlsx: Annotated[Optional[Path], typer.Option(help="Also write the auditor workbook (live formulas) to this .xlsx file; see `carbon export xlsx`.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress display (it is also off when stdout is not a terminal).")] = False,
    engine: Annotated[Engine, typer.Option(help="pandas (default; Parquet ledgers run in chunks) or dask (a partitioned Parquet ledger on a Dask cluster).")] = Engine.pandas,
    scheduler: Annotated[Optional[str], typer.Option(help="With --engine dask: a running scheduler, e.g. tcp://10.0.0.5:8786. Default: a local cluster.")] = None,
) -> None:
    """Compute Scope 1/2/3, energy, water, waste and intensities per year.

    Writes every emission line (traceable to its ledger row and factor source) to
    OUT/emission_lines.csv and the summary to OUT/inventory.json. Bad input exits 2 with
    every problem listed, and writes nothing.

    Examples:

      carbon inventory

      carbon inventory --org inputs/illustrative-sites --gwp AR5

      carbon inventory --ledger my/activity.xlsx --organisation my/organisation.csv --as-of 2025-03-31 --format json
    """
    if xlsx is not None:
        _check_xlsx_name("--xlsx", xlsx)
    ledger_file, organisation_file, name = _inputs(org, ledger, organisation)
    request = InventoryRequest(ledger=ledger_file, organisation=organisation_file, organisation_name=name,
                               factors=factors, gwp=gwp.value, as_of=_parse_date(as_of))
    out_dir = out or Path("outputs") / name
    parquet = ledger_file.suffix.lower() == ".parquet" or ledger_file.is_dir()
    if engine is Engine.dask and (not parquet or xlsx is not None):
        _fail("--engine dask reads a Parquet ledger (a file or a folder of .parquet files) and writes no workbook")
    chunked = xlsx is None and parquet
    with _progress(quiet) as progress:
        try:
            if engine is Engine.dask:
                document, warnings, written = run_inventory_dask(request, out_dir, scheduler, progress)
            elif chunked:  # large Parquet ledgers: bounded memory, lines streamed to emission_lines.parquet
                document, warnings, written = run_inventory_chunked(request, out_dir, progress)
            else:
                result = run_inventory(request, progress)
                document, warnings = result.document, result.warnings
                progress("writing outputs")
                written = _write_inventory_outputs(out_dir, result, ledger_file, xlsx)
        except CarbonError as error:
            _fail(str(error))
        except OSError as error:
            _fail(f"cannot write outputs: {error}")
    for warning in warnings:
        _console(stderr=True).print(f"warning: {warning}", highlight=False, markup=False)
    if output_format is OutputFormat.json:
        sys.stdout.write(to_json(document))
    elif output_format is OutputFormat.csv:
        sys.stdout.write(to_csv(summary_frame(document)))
    else:
        console = _console()
        render_table(document, console)
        console.print(f"Wrote the emission lines to {written[0]} and the summary to {written[1]}"
                      + (f"; the auditor workbook to {written[2]}" if xlsx is not None else ""), highlight=False)


@app.command("reconcile")
def reconcile_command(
    org: OrgOption = None,
    factors: FactorsOption = None,
    as_of: AsOfOption = None,
    output_format: Annotated[OutputFormat, typer.Option("--format", help="table: flagged findings by document; json: every check; csv: one row per check.")] = OutputFormat.table,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 when any finding is inconsistent (for CI of a report draft).")] = False,
) -> None:
    """Check every figure printed in the organisation's published reports (ORG/published/*.yaml).

    Checks sums and per-employee ratios inside each table (rounding-aware: a figure printed
    with k decimals stands for +-0.5 x 10^-k), the same figure printed in several places,
    ill-formed numbers, printed activity and headcount against the engine's inventory,
    implied emission factors, and boundary changes between years. Verdicts: consistent,
    rounding_method (fits only if truncated), inconsistent, note.

    Examples:

      carbon reconcile

      carbon reconcile --format json > findings.json

      carbon reconcile --strict          (exit 1 if anything is inconsistent)
    """
    ledger_file, organisation_file, name = _inputs(org, None, None)
    request = InventoryRequest(ledger=ledger_file, organisation=organisation_file, organisation_name=name,
                               factors=factors, as_of=_parse_date(as_of))
    report = _run_or_fail(reconcile_organisation, ledger_file.parent, request)
    if output_format is OutputFormat.json:
        _print_json(report)
    elif output_format is OutputFormat.csv:
        sys.stdout.write(to_csv(findings_frame(report)))
    else:
        render_reconciliation(report, _console())
    if strict and any(f["severity"] == "inconsistent" for f in report["findings"]):
        raise typer.Exit(code=1)


export_app = typer.Typer(
    help="Export an inventory for people outside the engine.\n\nExample: carbon export xlsx --out qfin.xlsx",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(export_app, name="export")


@export_app.command("xlsx")
def export_xlsx_command(
    out: Annotated[Path, typer.Option(help="The .xlsx file to write (written to a temporary file, then renamed).")],
    org: OrgOption = None,
    ledger: LedgerOption = None,
    organisation: OrganisationOption = None,
    factors: FactorsOption = None,
    gwp: GwpOption = GwpSet.AR6,
    as_of: AsOfOption = None,
) -> None:
    """Write the auditor workbook: live formulas recompute every figure from activity rows and factors.

    Sheets: Cover (inputs, versions, sha256, notes), Activity, Organisation, Factors (with
    sources), GWP, Calculation (one formula row per emission line), Summary (SUMIFS and
    ratios; defined names such as scope1_2025), Reconciliation (when ORG/published exists),
    Charts. The same inputs and --as-of give a byte-identical file.

    Examples:

      carbon export xlsx --out qfin.xlsx

      carbon export xlsx --org inputs/illustrative-sites --gwp AR5 --as-of 2025-12-31 --out sites.xlsx
    """
    _check_xlsx_name("--out", out)
    ledger_file, organisation_file, name = _inputs(org, ledger, organisation)
    request = InventoryRequest(ledger=ledger_file, organisation=organisation_file, organisation_name=name,
                               factors=factors, gwp=gwp.value, as_of=_parse_date(as_of))
    result = _run_or_fail(run_inventory, request)
    try:
        path = _run_or_fail(export_xlsx, result, out, _run_or_fail(reconcile_if_published, result))
    except OSError as error:
        _fail(f"cannot write {out}: {error}")
    _console().print(f"Wrote the auditor workbook to {path}", highlight=False)


scenario_app = typer.Typer(
    help=("What-if scenarios and pathways on a base year.\n\n"
          "Example: carbon scenario run --set electricity.green_share=0.3\n\n"
          "Example: carbon scenario pathway inputs/qfin/scenarios/pathway-2030.yaml --to 2030"),
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(scenario_app, name="scenario")
SetOption = Annotated[Optional[list[str]], typer.Option("--set", help="LEVER=VALUE, repeatable; applied after the file's levers, in order.")]


def _base_result(org: Path | None, factors: str | None, gwp: GwpSet, as_of: str | None):
    ledger_file, organisation_file, name = _inputs(org, None, None)
    request = InventoryRequest(ledger=ledger_file, organisation=organisation_file, organisation_name=name,
                               factors=factors, gwp=gwp.value, as_of=_parse_date(as_of))
    return _run_or_fail(run_inventory, request)


@scenario_app.command("run")
def scenario_run(
    file: Annotated[Optional[Path], typer.Argument(help="Scenario YAML (base_year, levers). Optional when --set is given.")] = None,
    set_: SetOption = None,
    base_year: Annotated[Optional[int], typer.Option(help="Base year. Default: the file's base_year, else the latest ledger year.")] = None,
    org: OrgOption = None,
    factors: FactorsOption = None,
    gwp: GwpOption = GwpSet.AR6,
    as_of: AsOfOption = None,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Apply levers to a base year and compare every KPI; each lever's contribution in order.

    Levers: electricity.green_share, electricity.scale, gasoline.scale, fleet.electrify_share
    (with fleet.efficiency_ratio), water.scale, waste.scale, waste.route, headcount.scale,
    revenue.scale, grid_factor.scale, factors.vintage, scope3.<category>.scale. An unknown
    lever or a value out of range exits 2 with the list of levers and ranges.

    Examples:

      carbon scenario run --set electricity.green_share=0.3

      carbon scenario run inputs/qfin/scenarios/fleet-electrification.yaml --format json

      carbon scenario run --set headcount.scale=1.1 --set grid_factor.scale=0.95 --base-year 2024
    """
    scenario = _run_or_fail(load_scenario_file, file) if file else {"levers": []}
    levers = scenario["levers"] + _run_or_fail(parse_set_options, set_ or [])
    if not levers:
        _fail("no levers: give a scenario FILE or --set LEVER=VALUE\n" + valid_levers_text())
    result = _base_result(org, factors, gwp, as_of)
    year = base_year or scenario.get("base_year") or int(result.rows["year"].max())
    outcome = _run_or_fail(run_scenario, result, levers, int(year))
    _print_json(outcome) if output_format is OutputFormat.json else render_scenario(outcome, _console())


@scenario_app.command("pathway")
def scenario_pathway(
    file: Annotated[Path, typer.Argument(help="Scenario YAML with a pathway: rates, ramps, target.")],
    to: Annotated[int, typer.Option("--to", help="Last year of the projection.")],
    org: OrgOption = None,
    factors: FactorsOption = None,
    gwp: GwpOption = GwpSet.AR6,
    as_of: AsOfOption = None,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Project year by year from the base year under annual rates and lever ramps; compare with a target.

    Rates (annual fractions): electricity, gasoline, water, waste, grid_factor, headcount,
    revenue. Ramps: a lever's value by year, interpolated linearly. Target: absolute_reduction
    (reduction below the base year) or intensity (metric and value).

    Example: carbon scenario pathway inputs/qfin/scenarios/pathway-2030.yaml --to 2030
    """
    scenario = _run_or_fail(load_scenario_file, file)
    result = _base_result(org, factors, gwp, as_of)
    outcome = _run_or_fail(run_pathway, result, scenario, to)
    _print_json(outcome) if output_format is OutputFormat.json else render_pathway(outcome, _console())


@app.command("bridge")
def bridge_command(
    from_year: Annotated[int, typer.Argument(metavar="FROM", help="Earlier inventory year.")],
    to_year: Annotated[int, typer.Argument(metavar="TO", help="Later inventory year.")],
    view: Annotated[str, typer.Option(help="Scope 2 view: location or market.")] = "location",
    org: OrgOption = None,
    factors: FactorsOption = None,
    gwp: GwpOption = GwpSet.AR6,
    as_of: AsOfOption = None,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Why emissions changed between two years: activity per type, emission factors, headcount, boundary.

    Additive LMDI: the parts sum exactly (to floating-point precision) to the change in total
    emissions, and separately to the change in emissions per employee.

    Example: carbon bridge 2024 2025
    """
    result = _base_result(org, factors, gwp, as_of)
    outcome = _run_or_fail(bridge, result, from_year, to_year, view)
    _print_json(outcome) if output_format is OutputFormat.json else render_bridge(outcome, _console())


factors_app = typer.Typer(
    help=(
        "Inspect the versioned factor sets: list them, show one factor with its source, diff two versions, "
        "and measure what adopting a version changes.\n\n"
        "Example: carbon factors diff china-corporate@2025.1 china-corporate@2026.1"
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(factors_app, name="factors")

FormatOption = Annotated[OutputFormat, typer.Option("--format", help="table (readable) or json.")]


def _run_or_fail(function, *args):
    try:
        return function(*args)
    except CarbonError as error:
        _fail(str(error))


def _print_json(data) -> None:
    sys.stdout.write(to_json(data))


@factors_app.command("list")
def factors_list(output_format: FormatOption = OutputFormat.table) -> None:
    """List factor sets and versions with factor counts, data years and publication dates.

    Example: carbon factors list --format json
    """
    sets = _run_or_fail(catalog.list_sets)
    _print_json({"factor_sets": sets}) if output_format is OutputFormat.json else render_sets(sets, _console())


@factors_app.command("show")
def factors_show(
    factor_id: Annotated[str, typer.Argument(help="A factor_id, e.g. mee.elec.cn-sh.2023.location (see the factor_id column of emission_lines.csv).")],
    factors: Annotated[Optional[str], typer.Option(help="Look only in this set NAME[@VERSION] or folder. Default: every set, newest first.")] = None,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Show one factor: value, unit, vintage, publication date, source citation and confidence.

    Example: carbon factors show mee.elec.cn-sh.2023.location
    """
    details = _run_or_fail(catalog.show_factor, factor_id, factors)
    if output_format is OutputFormat.json:
        _print_json(details)
        return
    console = _console()
    for key, value in details.items():
        if key != "source":
            console.print(f"{key:>12}: {value}", highlight=False, markup=False)
    for key, value in details["source"].items():
        console.print(f"{'source.' + key:>16}: {value}", highlight=False, markup=False)


@factors_app.command("diff")
def factors_diff(
    old: Annotated[str, typer.Argument(help="The earlier set, NAME@VERSION or a folder.")],
    new: Annotated[str, typer.Argument(help="The later set, NAME@VERSION or a folder.")],
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Factors added, removed and changed between two versions, with the % change of each value.

    Example: carbon factors diff china-corporate@2025.1 china-corporate@2026.1
    """
    difference = _run_or_fail(catalog.diff_sets, old, new)
    _print_json(difference) if output_format is OutputFormat.json else render_diff(difference, _console())


@factors_app.command("impact")
def factors_impact(
    candidate: Annotated[str, typer.Argument(help="The version you consider adopting, NAME@VERSION or a folder.")],
    baseline: Annotated[Optional[str], typer.Option(help="The version you use now. Default: the version before CANDIDATE in the same set.")] = None,
    org: OrgOption = None,
    ledger: LedgerOption = None,
    organisation: OrganisationOption = None,
    gwp: GwpOption = GwpSet.AR6,
    as_of: AsOfOption = None,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Re-run the inventory with CANDIDATE and with the baseline; show the change per year and KPI.

    Nothing is written: this is the look before you adopt a new factor release.

    Example: carbon factors impact china-corporate@2026.1      (against 2025.1)
    """
    ledger_file, organisation_file, name = _inputs(org, ledger, organisation)
    request = InventoryRequest(ledger=ledger_file, organisation=organisation_file, organisation_name=name,
                               gwp=gwp.value, as_of=_parse_date(as_of))
    baseline = baseline or _run_or_fail(catalog.previous_version, candidate)
    result = _run_or_fail(catalog.impact, request, candidate, baseline)
    _print_json(result) if output_format is OutputFormat.json else render_impact(result, _console())


if __name__ == "__main__":  # pragma: no cover
    app()
