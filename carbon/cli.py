"""The `carbon` command: parse options, call the library, render. No accounting logic lives here.

Exit codes: 0 success; 1 findings under --strict; 2 bad input or options (a message naming the
file, row or key and what was expected; no traceback); 3 a bug in carbon-inventory (one line;
the traceback only with --debug).
"""

from __future__ import annotations

import os
import re
import sys
import traceback
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import pandas as pd
import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from typer.core import TyperGroup

from carbon import __version__, catalog
from carbon.bridge import bridge
from carbon.disclose import HkexPack, hkex_pack, load_organisation_files
from carbon.engine import InventoryRequest, InventoryResult, org_paths, run_inventory
from carbon.errors import CarbonError, OutputError
from carbon.export.pack import pack_html, pack_markdown
from carbon.factors import load_factor_set, resolve_factor_set
from carbon.models.files import published_schema
from carbon.models.inventory import inventory_schema
from carbon.models.uncertainty import MAX_DRAWS, MAX_SEED, MIN_DRAWS
from carbon.models.vocabulary import use_vocabulary
from carbon.outputs import to_csv, to_json, write_atomically
from carbon.paths import inputs_root, user_guide
from carbon.periods import FIRST_YEAR, LAST_YEAR
from carbon.reconcile import (
    findings_frame,
    reconcile_if_published,
    reconcile_organisation,
)
from carbon.reconcile.template import write_template
from carbon.report import (
    bridge_frame,
    diff_frame,
    factor_frame,
    hkex_frame,
    impact_frame,
    pathway_frame,
    render_bridge,
    render_diff,
    render_hkex,
    render_impact,
    render_lines,
    render_pathway,
    render_reconciliation,
    render_restatement,
    render_rows,
    render_scenario,
    render_sets,
    render_table,
    restatement_frame,
    scenario_frame,
    sets_frame,
    summary_frame,
)
from carbon.run import run_and_publish, workbook_view
from carbon.scenario import (
    load_scenario_file,
    parse_set_options,
    run_pathway,
    run_scenario,
    valid_levers_text,
)
from carbon.suggest import did_you_mean
from carbon.trace import as_records, record_lines

README = "README.md, printed by `carbon guide`"
EXIT_BAD_INPUT, EXIT_BUG = 2, 3

if TYPE_CHECKING:
    from carbon.export.excel import ExtraSheets


# Narrower than this (COLUMNS=0, say) no table is readable: render for a standard terminal.
MIN_WIDTH = 20


def _console(stderr: bool = False) -> Console:
    # Made per call so the terminal width (or COLUMNS) is read when output happens.
    console = Console(stderr=stderr)
    return console if console.width >= MIN_WIDTH else Console(stderr=stderr, width=80)


def _framework_exits() -> tuple[type[BaseException], ...]:
    """The command-line framework's own ways out (help, usage errors, --version): not ours to
    catch. typer >= 0.29 carries its own copy of click; older versions use click itself."""
    exits: set[type[BaseException]] = {typer.Exit, typer.Abort, getattr(typer, "TyperException", typer.Exit)}
    try:
        import click
    except ImportError:
        return tuple(exits)
    return tuple(exits | {click.exceptions.Exit, click.exceptions.Abort, click.ClickException})


_FRAMEWORK_EXITS = _framework_exits()


class GuardedGroup(TyperGroup):
    """Every command runs inside this: bad input is exit 2 with a message, a bug exit 3 with one
    line (the traceback with --debug or CARBON_DEBUG=1), never a bare traceback."""

    def invoke(self, ctx):  # type: ignore[no-untyped-def]
        try:
            outcome = super().invoke(ctx)
            sys.stdout.flush()  # a closed pipe shows here, inside the handler, not at exit
            return outcome
        except _FRAMEWORK_EXITS:
            raise
        except CarbonError as error:
            _fail(str(error))
        except BrokenPipeError:  # `carbon ... | head`: the reader left; nothing more to say
            try:  # the interpreter flushes stdout again at exit: point it at /dev/null first
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            except (OSError, ValueError):  # not a real file (a test runner's capture)
                pass
            raise typer.Exit(0) from None
        except KeyboardInterrupt:
            _console(stderr=True).print(
                "interrupted: outputs are as they were unless the run had already published", highlight=False
            )
            raise typer.Exit(130) from None
        except OSError as error:  # the environment, not the inputs' content: disk full, permissions
            _fail(f"cannot read or write {error.filename or 'a stream'}: {error.strerror or error}")
        except Exception as error:  # noqa: BLE001 - the last resort: anything else is our bug
            if ctx.params.get("debug") or os.environ.get("CARBON_DEBUG"):
                traceback.print_exc()
            detail = str(error).splitlines()[0][:200] if str(error) else ""
            _console(stderr=True).print(
                f"internal error: {error.__class__.__name__}{': ' + detail if detail else ''} - this is a "
                f"bug in "
                f"carbon-inventory {__version__}, not in your input; run again with `carbon --debug ...` "
                f"for the "
                "traceback and report it",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )
            raise typer.Exit(EXIT_BUG) from None


CONTEXT = {"help_option_names": ["-h", "--help"]}
app = typer.Typer(
    cls=GuardedGroup,
    help=(
        "GHG and resource inventory from an activity ledger and cited, versioned emission factors.\n\n"
        "Example: carbon inventory                      (the bundled Qfin example, 2021-2025)\n\n"
        "Example: carbon inventory --format json > inventory.json\n\n"
        "Example: carbon vocab activities               (what a ledger may say)\n\n"
        f"Exit codes: 0 success, 1 findings under --strict, 2 bad input or options, 3 a bug. Guide: {README}"
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    context_settings=CONTEXT,
)


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
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the traceback of an internal error (exit 3).")
    ] = False,
    vocabulary_file: Annotated[
        Optional[Path],
        typer.Option(
            "--vocabulary",
            help="A vocabulary file (YAML) whose activities, attributes and resources extend the bundled "
            "ones: a new activity is a data change (README: adding an activity).",
        ),
    ] = None,
) -> None:
    # No docstring: it would replace the app's help text (examples, exit codes, the guide).
    _usable_streams()
    if vocabulary_file is not None:
        use_vocabulary(vocabulary_file)  # a malformed file is refused here, before any command runs


def _usable_streams() -> None:
    """Output that cannot be encoded (an ASCII terminal, Chinese factor titles) is escaped, not
    a crash; a closed stdout (`>&-`) discards output instead of failing."""
    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    for stream in (sys.stdout, sys.stderr):
        if stream is not None and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")


def _fail(message: str) -> None:
    _console(stderr=True).print(f"error: {message}", highlight=False, markup=False, soft_wrap=True)
    raise typer.Exit(code=EXIT_BAD_INPUT)


def _parse_date(text: str | None) -> date:
    """--as-of: a date as YYYY-MM-DD, not after today (factors cannot be published in the future)."""
    if text is None:
        return date.today()
    try:
        parsed = datetime.strptime(text.strip(), "%Y-%m-%d").date()
    except ValueError:
        _fail(f"--as-of {text!r}: expected a date as YYYY-MM-DD, e.g. 2025-03-31")
    if parsed > date.today():
        _fail(
            f"--as-of {text}: expected a date not after today ({date.today().isoformat()}): "
            "no factor can have been published after today"
        )
    return parsed


def _inputs(org: Path | None, ledger: Path | None, organisation: Path | None) -> tuple[Path, Path, str]:
    if (ledger is None) != (organisation is None):
        _fail("--ledger and --organisation go together: give both, or neither and use --org DIR")
    if ledger is not None and organisation is not None:
        if org is not None:
            _fail("give either --org DIR or --ledger FILE --organisation FILE, not both")
        return ledger, organisation, ledger.stem if ledger.stem != "activity" else ledger.parent.name
    org = org or inputs_root() / "qfin"
    if not org.is_dir():
        _fail(f"--org {org}: not a folder (expected a folder holding activity.csv and organisation.csv)")
    activity_file, organisation_file = org_paths(org)
    return activity_file, organisation_file, org.name


def _request(
    org: Path | None,
    ledger: Path | None,
    organisation: Path | None,
    factors: str | None,
    gwp: GwpSet,
    as_of: str | None,
) -> InventoryRequest:
    ledger_file, organisation_file, name = _inputs(org, ledger, organisation)
    return InventoryRequest(
        ledger=ledger_file,
        organisation=organisation_file,
        organisation_name=name,
        factors=factors,
        gwp=gwp.value,
        as_of=_parse_date(as_of),
    )


# Options shared by every command that runs an inventory.
OrgOption = Annotated[
    Optional[Path],
    typer.Option(
        help="Organisation folder with activity.csv|.xlsx|.parquet and organisation.csv|.xlsx. Default: the "
        "bundled inputs/qfin."
    ),
]
LedgerOption = Annotated[
    Optional[Path],
    typer.Option(
        help="Activity ledger file (.csv, .xlsx, .parquet or a folder of .parquet files); use with "
        "--organisation instead of --org."
    ),
]
OrganisationOption = Annotated[
    Optional[Path],
    typer.Option(help="Organisation metrics file (.csv or .xlsx): employees, revenue per year."),
]
GwpOption = Annotated[GwpSet, typer.Option(help="GWP set for per-gas factors (100-year).")]
FactorsOption = Annotated[
    Optional[str],
    typer.Option(
        help="Factor set: NAME[@VERSION] from factors/, or a folder with manifest.yaml. "
        "Default: the latest china-corporate version released by --as-of."
    ),
]
AsOfOption = Annotated[
    Optional[str],
    typer.Option(
        "--as-of",
        help="Use only factors published on or before this date (YYYY-MM-DD, not after today), and by "
        "default the factor-set version released by then. Default: today.",
    ),
]
FormatOption = Annotated[
    OutputFormat, typer.Option("--format", help="table (readable), json, or csv (one row per figure).")
]


@contextmanager
def _progress(quiet: bool):
    """A spinner with the current stage on stderr, only for a person at a terminal."""
    if quiet or sys.stdout is None or not sys.stdout.isatty():
        yield lambda stage: None
        return
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=_console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("starting")
        yield lambda stage: bar.update(task, description=stage)


def _emit(data, output_format: OutputFormat, frame, render) -> None:
    """One result in the chosen format: JSON, CSV (formula prefixes neutralised) or a table."""
    if output_format is OutputFormat.json:
        sys.stdout.write(to_json(data))
    elif output_format is OutputFormat.csv:
        sys.stdout.write(to_csv(frame(data)))
    else:
        render(data, _console())


@app.command()
def inventory(
    org: OrgOption = None,
    ledger: LedgerOption = None,
    organisation: OrganisationOption = None,
    factors: FactorsOption = None,
    gwp: GwpOption = GwpSet.AR6,
    as_of: AsOfOption = None,
    output_format: Annotated[
        OutputFormat,
        typer.Option(
            "--format",
            help="table: readable; json: the inventory contract (README) on stdout; csv: one row per year "
            "on stdout.",
        ),
    ] = OutputFormat.table,
    out: Annotated[
        Optional[Path],
        typer.Option(
            help="Folder for the outputs (emission lines, inventory.json, manifest.json), published "
            "together. Default: outputs/<organisation>."
        ),
    ] = None,
    xlsx: Annotated[
        Optional[Path],
        typer.Option(
            help="Also write the auditor workbook (live formulas) to this .xlsx file; see `carbon export "
            "xlsx`."
        ),
    ] = None,
    quiet: Annotated[
        bool,
        typer.Option("--quiet", help="No progress display (it is also off when stdout is not a terminal)."),
    ] = False,
    engine: Annotated[
        Engine,
        typer.Option(
            help="pandas (default; Parquet ledgers run in chunks) or dask (a partitioned Parquet ledger on "
            "a Dask cluster)."
        ),
    ] = Engine.pandas,
    scheduler: Annotated[
        Optional[str],
        typer.Option(
            help="With --engine dask: a running scheduler, e.g. tcp://10.0.0.5:8786. Default: a local "
            "cluster."
        ),
    ] = None,
    draws: Annotated[
        Optional[int],
        typer.Option(
            min=0,
            max=MAX_DRAWS,
            help=f"Monte Carlo draws for the 95% intervals: 0 (error propagation only) or {MIN_DRAWS:,} to "
            f"{MAX_DRAWS:,}. Default: carbon/data/uncertainty.yaml's.",
        ),
    ] = None,
    seed: Annotated[
        Optional[int],
        typer.Option(
            min=0,
            max=MAX_SEED,
            help="Seed of the Monte Carlo draws (0 to 2^63 - 1): the same seed gives the same intervals.",
        ),
    ] = None,
) -> None:
    """Compute Scope 1/2/3, energy, resources and intensities per year, with 95% intervals.

    Publishes every emission line (traceable to its ledger row and factor source), the summary
    (inventory.json) and a manifest of both with their sha256 in OUT, as one set: a reader sees
    the previous run or this one, never a mix. Bad input exits 2 with every problem listed, and
    changes nothing.

    Each tCO2e figure and intensity gets a 95% interval, by error propagation and by a seeded
    Monte Carlo, from the data_quality of its ledger rows (metered, invoiced, estimated ...) and
    the confidence of its factors, as carbon/data/uncertainty.yaml maps and cites them.

    Examples:

      carbon inventory

      carbon inventory --org inputs/illustrative-sites --gwp AR5

      carbon inventory --ledger my/activity.xlsx --organisation my/organisation.csv --format json
    """
    if draws is not None and 0 < draws < MIN_DRAWS:
        _fail(
            f"--draws {draws}: expected 0 (error propagation only) or {MIN_DRAWS:,} to {MAX_DRAWS:,} "
            "(fewer draws cannot place the 2.5th and 97.5th percentiles)"
        )
    request = replace(_request(org, ledger, organisation, factors, gwp, as_of), draws=draws, seed=seed)
    out_dir = out or Path("outputs") / request.organisation_name
    with _progress(quiet) as progress:
        published = run_and_publish(request, out_dir, engine.value, scheduler, xlsx, progress)
    for warning in published.warnings:
        _console(stderr=True).print(f"warning: {warning}", highlight=False, markup=False)
    if output_format is OutputFormat.json:
        sys.stdout.write(to_json(published.inventory))
    elif output_format is OutputFormat.csv:
        sys.stdout.write(to_csv(summary_frame(published.inventory)))
    else:
        console = _console()
        render_table(published.inventory, console)
        lines = next(path for name, path in published.files.items() if name.startswith("emission_lines"))
        console.print(
            f"Published the emission lines ({lines}), the summary ({published.files['inventory.json']}) and "
            f"their "
            f"manifest ({published.files['manifest.json']}) as one set"
            + (f"; the auditor workbook to {published.workbook}" if published.workbook else ""),
            highlight=False,
            soft_wrap=True,
        )


@app.command("trace")
def trace_command(
    record_id: Annotated[
        str, typer.Argument(metavar="RECORD_ID", help="The record_id of a ledger row, as in the ledger.")
    ],
    org: OrgOption = None,
    out: Annotated[
        Optional[Path],
        typer.Option(help="The folder a `carbon inventory` run published. Default: outputs/<organisation>."),
    ] = None,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Show the emission lines of one ledger record, with full provenance, from a published run.

    Each line: ledger file and row, the quantity and its conversion to the canonical unit, the
    factor (id, value, unit, region, data year, publication date, confidence, source), the GWP,
    the share an instrument left, and the gas and tCO2e. Read from the run's files (a Parquet
    run's emission_lines.parquet joined with line_keys.parquet by line_key), not recomputed.

    Example: carbon trace qfin-2024-electricity
    """
    out_dir = out or Path("outputs") / _inputs(org, None, None)[2]
    lines = record_lines(out_dir, record_id.strip())
    if lines.empty:
        _fail(
            f"record_id {record_id.strip()!r}: no emission line in {out_dir} has this id; expected a "
            f"record_id of the ledger that run read (a row whose factor has no component has no line)"
        )
    records = as_records(lines)
    _emit(records, output_format, pd.DataFrame, lambda data, console: render_lines(data, console))


reconcile_app = typer.Typer(
    invoke_without_command=True,
    rich_markup_mode=None,
)
app.add_typer(reconcile_app, name="reconcile")


@reconcile_app.callback()
def reconcile_command(
    context: typer.Context,
    org: OrgOption = None,
    factors: FactorsOption = None,
    as_of: AsOfOption = None,
    output_format: Annotated[
        OutputFormat,
        typer.Option(
            "--format", help="table: flagged findings by document; json: every check; csv: one row per check."
        ),
    ] = OutputFormat.table,
    strict: Annotated[
        bool,
        typer.Option("--strict", help="Exit 1 when any finding is inconsistent (for CI of a report draft)."),
    ] = False,
) -> None:
    """Check every figure printed in the organisation's published reports (ORG/published/*.yaml).

    Every figure carries its unit and period; figures are compared after conversion, with the
    rounding interval taken in the printed unit (a figure printed with k decimals stands for
    +-0.5 x 10^-k). Checks: sums of parts and of regional columns; intensities per employee,
    m2 or revenue against their numerator and denominator (printed, from organisation.csv, or
    implied by several intensities); the same figure printed in several places; printed
    year-on-year changes; ill-formed numbers; factors stated in the document; implied grid
    factors attributed to a published series (MEE/NBS, CLP, HK Electric, Taiwan, UK DESNZ);
    printed activity and headcount against the engine's inventory when the folder has a
    ledger (printed tables alone are enough); boundary changes between years. Verdicts:
    consistent, rounding_method (fits only if truncated or rounded half down),
    inconsistent, note.

    Examples:

      carbon reconcile

      carbon reconcile --org inputs/acme --format json > findings.json

      carbon reconcile --strict          (exit 1 if anything is inconsistent)

      carbon reconcile init --org inputs/acme --year 2023 --year 2024
    """
    if context.invoked_subcommand is not None:
        return
    request = _request(org, None, None, factors, GwpSet.AR6, as_of)
    report = reconcile_organisation(Path(request.ledger).parent, request)
    _emit(report, output_format, findings_frame, render_reconciliation)
    if strict and report.count("inconsistent"):
        raise typer.Exit(code=1)


@reconcile_app.command("init")
def reconcile_init(
    org: Annotated[Path, typer.Option(help="Organisation folder; the file goes into ORG/published/.")],
    year: Annotated[
        list[int], typer.Option("--year", help="A reporting year the table prints (repeat for each column).")
    ],
    document: Annotated[
        str, typer.Option(help="Document id, also the file name: ORG/published/DOCUMENT.yaml.")
    ] = "esg-report",
    title: Annotated[str, typer.Option(help="The document's title as printed.")] = "ESG report",
) -> None:
    """Write a published-table template to fill in: the rows of a typical environmental KPI
    table for each --year, each with an empty `printed` (reconcile refuses an empty entry until
    it is filled in or deleted). An existing file is never overwritten.

    Example: carbon reconcile init --org inputs/acme --year 2023 --year 2024 --document esg-2024
    """
    if not org.is_dir():
        _fail(f"--org {org}: not a folder")
    bad = [y for y in year if not FIRST_YEAR <= y <= LAST_YEAR]
    if bad:
        _fail(f"--year {bad[0]}: expected a year from {FIRST_YEAR} to {LAST_YEAR}")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,80}", document):
        _fail(f"--document {document!r}: expected letters, digits, '-', '_' or '.' (it becomes a file name)")
    path = write_template(org / "published", document, title, sorted(set(year)))
    _console(stderr=True).print(
        f"wrote {path}: fill in each `printed`, delete what the report does not print"
    )


export_app = typer.Typer(
    help="Export an inventory for people outside the engine.\n\nExample: carbon export xlsx --out qfin.xlsx",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(export_app, name="export")


@export_app.command("xlsx")
def export_xlsx_command(
    out: Annotated[
        Path, typer.Option(help="The .xlsx file to write (written to a temporary file, then renamed).")
    ],
    org: OrgOption = None,
    ledger: LedgerOption = None,
    organisation: OrganisationOption = None,
    factors: FactorsOption = None,
    gwp: GwpOption = GwpSet.AR6,
    as_of: AsOfOption = None,
) -> None:
    """Write the auditor workbook: live formulas recompute every figure from activity rows and factors.

    Sheets: Cover (inputs, versions, sha256, notes), Activity, Organisation, Factors (with
    sources), GWP, Calculation (one formula row per emission line; above 100,000 ledger rows,
    per group of rows with one key and site: see README), Summary (SUMIFS and
    ratios; defined names such as scope1_2025), Reconciliation (when ORG/published exists),
    Charts. The same inputs and --as-of give a byte-identical file.

    Examples:

      carbon export xlsx --out qfin.xlsx

      carbon export xlsx --org inputs/illustrative-sites --gwp AR5 --as-of 2025-12-31 --out sites.xlsx
    """
    from carbon.export.excel import export_xlsx

    if out.suffix.lower() != ".xlsx":
        _fail(f"--out {out}: expected a file name ending in .xlsx")
    result = run_inventory(_request(org, ledger, organisation, factors, gwp, as_of))
    try:  # above LARGE_LEDGER_ROWS rows, grouped (no line files here: `carbon inventory` writes them)
        path = export_xlsx(workbook_view(result, lambda: {}), out, reconcile_if_published(result))
    except OSError as error:
        raise OutputError(f"cannot write {out}: {error.strerror or error}") from None
    _console().print(f"Wrote the auditor workbook to {path}", highlight=False)


scenario_app = typer.Typer(
    help=(
        "What-if scenarios and pathways on a base year.\n\n"
        "Example: carbon scenario run --set electricity.green_share=0.3\n\n"
        "Example: carbon scenario pathway inputs/qfin/scenarios/pathway-2030.yaml --to 2030\n\n"
        "Example: carbon vocab levers                  (every lever with its range)"
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(scenario_app, name="scenario")
SetOption = Annotated[
    Optional[list[str]],
    typer.Option("--set", help="LEVER=VALUE, repeatable; applied after the file's levers, in order."),
]


@scenario_app.command("run")
def scenario_run(
    file: Annotated[
        Optional[Path],
        typer.Argument(help="Scenario YAML (base_year, levers). Optional when --set is given."),
    ] = None,
    set_: SetOption = None,
    base_year: Annotated[
        Optional[int],
        typer.Option(
            min=1990, max=2100, help="Base year. Default: the file's base_year, else the latest ledger year."
        ),
    ] = None,
    org: OrgOption = None,
    factors: FactorsOption = None,
    gwp: GwpOption = GwpSet.AR6,
    as_of: AsOfOption = None,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Apply levers to a base year and compare every KPI; each lever's contribution in order.

    Levers (`carbon vocab levers` lists them with ranges): <activity>.scale for every activity,
    and electricity.green_share, fleet.electrify_share (with fleet.efficiency_ratio), routes,
    headcount.scale, revenue.scale, grid_factor.scale, factors.vintage, scope3.<category>.scale.
    An unknown lever or a value out of range exits 2 with the list of levers and ranges.

    Examples:

      carbon scenario run --set electricity.green_share=0.3

      carbon scenario run inputs/qfin/scenarios/fleet-electrification.yaml --format json

      carbon scenario run --set headcount.scale=1.1 --set grid_factor.scale=0.95 --base-year 2024
    """
    scenario = load_scenario_file(file) if file else {"levers": []}
    levers = scenario["levers"] + parse_set_options(set_ or [])
    if not levers:
        _fail("no levers: give a scenario FILE or --set LEVER=VALUE\n" + valid_levers_text())
    result = run_inventory(_request(org, None, None, factors, gwp, as_of))
    year = base_year or scenario.get("base_year") or int(result.rows["year"].max())
    outcome = run_scenario(result, levers, int(year))
    _emit(outcome, output_format, scenario_frame, render_scenario)


@scenario_app.command("pathway")
def scenario_pathway(
    file: Annotated[Path, typer.Argument(help="Scenario YAML with a pathway: rates, ramps, target.")],
    to: Annotated[
        int, typer.Option("--to", help="Last year of the projection (after the base year, at most 2100).")
    ],
    org: OrgOption = None,
    factors: FactorsOption = None,
    gwp: GwpOption = GwpSet.AR6,
    as_of: AsOfOption = None,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Project year by year from the base year under annual rates and lever ramps; compare with a target.

    Rates (annual fractions): one per activity (named after it), grid_factor, headcount,
    revenue. Ramps: a lever's value by year, interpolated linearly. Target: absolute_reduction
    (reduction below the base year) or intensity (metric and value).

    Example: carbon scenario pathway inputs/qfin/scenarios/pathway-2030.yaml --to 2030
    """
    scenario = load_scenario_file(file)
    result = run_inventory(_request(org, None, None, factors, gwp, as_of))
    outcome = run_pathway(result, scenario, to)
    _emit(outcome, output_format, pathway_frame, render_pathway)


class View(str, Enum):
    location = "location"
    market = "market"


disclose_app = typer.Typer(
    help="Disclosure packs computed from the inventory (never re-keyed).",
    no_args_is_help=True,
)
app.add_typer(disclose_app, name="disclose")


class Tier(str, Enum):
    main_board = "main_board"
    largecap = "largecap"
    gem = "gem"


class PackFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"
    md = "md"
    html = "html"
    xlsx = "xlsx"


@disclose_app.command("hkex")
def disclose_hkex(
    year: Annotated[
        int | None, typer.Option(help="Financial year of the pack (an inventory year; default: the latest).")
    ] = None,
    tier: Annotated[
        Tier,
        typer.Option(help="Issuer tier: Main Board, LargeCap (Hang Seng Composite LargeCap Index) or GEM."),
    ] = Tier.main_board,
    org: OrgOption = None,
    factors: FactorsOption = None,
    gwp: GwpOption = GwpSet.AR6,
    as_of: AsOfOption = None,
    output_format: Annotated[
        PackFormat,
        typer.Option(
            "--format",
            help="table: readable; json: the pack (README); csv: one row per figure; md: Markdown; "
            "html: one self-contained page with charts (works offline); xlsx: the auditor workbook with "
            "the pack's sheets, every figure a formula over its Summary (needs --out FILE.xlsx).",
        ),
    ] = PackFormat.table,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Write the pack to this file (replaced whole, never half-written) instead of stdout."
        ),
    ] = None,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Exit 1 when a mandatory item is blank, a comply-or-explain item has neither a "
            "value nor an explanation, or a KPI has neither a figure nor a statement.",
        ),
    ] = False,
) -> None:
    """The HKEX disclosure pack for one year: environmental KPIs A1.1-A2.5 and Appendix C2 Part D
    climate metrics (Scope 1, Scope 2 location- and market-based, Scope 3 with the status of all
    15 categories, intensity, targets, internal carbon price), each Part D item mandatory,
    comply-or-explain or voluntary for the tier and year, and beside each figure the printed
    value and the reconcile verdict where the organisation has published tables.

    Reads from the organisation's folder: scope3.yaml (required: every category included with
    its method, or excluded or not relevant with its reason), targets.yaml (KPI statements,
    targets, internal carbon price, explanations; optional) and published/ (optional).

    Example: carbon disclose hkex --year 2025 --tier main_board

    Example: carbon disclose hkex --format html --out pack.html
    """
    request = _request(org, None, None, factors, gwp, as_of)
    files = load_organisation_files(Path(request.ledger).parent)
    result = run_inventory(request)
    pack = hkex_pack(result, files, year, tier.value, str(request.ledger))
    if output_format is PackFormat.xlsx:
        from carbon.export.pack_sheets import pack_sheets

        _write_workbook(result, out, pack_sheets(pack), "the HKEX pack")
    else:
        _emit_pack(pack, output_format, out)
    findings = pack.strict_findings()
    if strict and findings:
        for finding in findings:
            _console(stderr=True).print(f"strict: {finding}", highlight=False)
        raise typer.Exit(code=1)


def _write_workbook(result: InventoryResult, out: Path | None, extra: ExtraSheets, what: str) -> None:
    """The auditor workbook plus `extra` sheets, written whole to `out`."""
    from carbon.export.excel import export_xlsx

    if out is None or out.suffix.lower() != ".xlsx":
        _fail(f"--format xlsx needs --out FILE.xlsx (found {out or 'no --out'})")
    assert out is not None
    try:
        export_xlsx(workbook_view(result, lambda: {}), out, reconcile_if_published(result), extra)
    except OSError as error:
        raise OutputError(f"cannot write {out}: {error.strerror or error}; nothing was written") from None
    _console(stderr=True).print(f"Wrote the auditor workbook with {what} to {out}", highlight=False)


def _emit_pack(pack: HkexPack, output_format: PackFormat, out: Path | None) -> None:
    if output_format is PackFormat.table:
        if out is not None:
            _fail("--out takes --format json, csv, md or html (the table is for the terminal)")
        render_hkex(pack, _console())
        return
    text = {
        PackFormat.json: lambda: to_json(pack),
        PackFormat.csv: lambda: to_csv(hkex_frame(pack)),
        PackFormat.md: lambda: pack_markdown(pack),
        PackFormat.html: lambda: pack_html(pack),
    }[output_format]()
    if out is None:
        sys.stdout.write(text)
        return
    try:
        write_atomically(out, lambda stream: stream.write(text.encode("utf-8")))
    except OSError as error:
        raise OutputError(f"cannot write {out}: {error.strerror or error}; nothing was written") from None
    _console(stderr=True).print(f"Wrote the HKEX pack to {out}", highlight=False)


class RestateFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


@app.command("restate")
def restate_command(
    org: OrgOption = None,
    policy: Annotated[
        Path | None,
        typer.Option(help="The base-year policy file. Default: policy.yaml in the organisation's folder."),
    ] = None,
    factors: FactorsOption = None,
    gwp: GwpOption = GwpSet.AR6,
    as_of: AsOfOption = None,
    output_format: Annotated[
        RestateFormat,
        typer.Option(
            "--format",
            help="table: readable; json: the restatement (README); csv: one row per trigger; xlsx: the "
            "auditor workbook with a Restatement sheet of formulas (needs --out FILE.xlsx).",
        ),
    ] = RestateFormat.table,
    out: Annotated[Path | None, typer.Option(help="The workbook to write, with --format xlsx.")] = None,
) -> None:
    """Base-year recalculation (GHG Protocol Corporate Standard, chapter 5): each recorded
    event (acquisition, divestment, change of method or factors, corrected error) as a
    difference per year in the policy's threshold figures, whether it crosses the significance
    threshold alone and (if the policy says so) together, and the restated series beside the
    computed and printed ones.

    Example: carbon restate

    Example: carbon restate --org inputs/qfin --format json
    """
    from carbon.restate import load_policy, restate

    request = _request(org, None, None, factors, gwp, as_of)
    policy_file = _policy_file(policy, request)
    result = run_inventory(request)
    outcome = restate(request, load_policy(policy_file), policy_file, result)
    if output_format is RestateFormat.xlsx:
        from carbon.export.restate_sheet import restatement_sheet

        _write_workbook(result, out, restatement_sheet(outcome), "the restatement")
    elif out is not None:
        _fail("--out takes --format xlsx (the other formats go to stdout)")
    else:
        _emit(outcome, OutputFormat(output_format.value), restatement_frame, render_restatement)


def _policy_file(given: Path | None, request: InventoryRequest) -> Path:
    """--policy, or policy.yaml beside the organisation's ledger."""
    from carbon.restate import POLICY_FILE

    return given or Path(request.ledger).parent / POLICY_FILE


@app.command("bridge")
def bridge_command(
    from_year: Annotated[int, typer.Argument(metavar="FROM", help="Earlier inventory year.")],
    to_year: Annotated[int, typer.Argument(metavar="TO", help="Later inventory year.")],
    view: Annotated[View, typer.Option(help="Scope 2 view: location or market.")] = View.location,
    org: OrgOption = None,
    factors: FactorsOption = None,
    gwp: GwpOption = GwpSet.AR6,
    as_of: AsOfOption = None,
    output_format: FormatOption = OutputFormat.table,
    policy: Annotated[
        Optional[Path],
        typer.Option(
            help="Base-year policy whose acquisitions and divestments are structural change. Default: "
            "policy.yaml of the organisation folder, when there is one."
        ),
    ] = None,
) -> None:
    """Why emissions changed between two years: activity per type, emission factors, headcount, boundary.

    Additive LMDI: the parts sum exactly (to floating-point precision) to the change in total
    emissions, and separately to the change in emissions per employee. With a base-year policy
    (see `carbon restate`), the change is also split into structural change (each acquisition
    and divestment, pro rata by days) and performance (the rest).

    Example: carbon bridge 2024 2025
    """
    from carbon.restate import load_policy

    request = _request(org, None, None, factors, gwp, as_of)
    policy_file = _policy_file(policy, request)
    if policy is not None and not policy.is_file():
        _fail(f"--policy {policy}: no such file (expected a base-year policy, see `carbon restate --help`)")
    result = run_inventory(request)
    recorded = (load_policy(policy_file), policy_file) if policy_file.is_file() else None
    outcome = bridge(result, from_year, to_year, view.value, recorded)
    _emit(outcome, output_format, bridge_frame, render_bridge)


factors_app = typer.Typer(
    help=(
        "Inspect the versioned factor sets: list them, show one factor with its source, diff two versions, "
        "and measure what adopting a version changes.\n\n"
        "Example: carbon factors diff china-corporate@2025.1 china-corporate@2026.1\n\n"
        "Example: carbon vocab factors                 (every factor id)"
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(factors_app, name="factors")


@factors_app.command("list")
def factors_list(
    ids: Annotated[
        bool,
        typer.Option(
            "--ids", help="List every factor id of the set given by --factors (default: the latest) instead."
        ),
    ] = False,
    factors: FactorsOption = None,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """List factor sets and versions with factor counts, data years and publication dates.

    Examples:

      carbon factors list --format json

      carbon factors list --ids --factors china-corporate@2025.1
    """
    if ids:
        vocab(topic=Topic.factors, factors=factors, output_format=output_format)
        return
    sets = catalog.list_sets()
    _emit(
        {"factor_sets": sets},
        output_format,
        lambda data: sets_frame(data["factor_sets"]),
        lambda data, console: render_sets(data["factor_sets"], console),
    )


@factors_app.command("show")
def factors_show(
    factor_id: Annotated[
        str,
        typer.Argument(
            help="A factor_id, e.g. mee.elec.cn-sh.2023.location (`carbon vocab factors` lists them)."
        ),
    ],
    factors: Annotated[
        Optional[str],
        typer.Option(
            help="Look only in this set NAME[@VERSION] or folder. Default: every set, newest first."
        ),
    ] = None,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Show one factor: value, unit, vintage, publication date, source citation and confidence.

    Example: carbon factors show mee.elec.cn-sh.2023.location
    """
    details = catalog.show_factor(factor_id, factors)

    def render(data: dict, console: Console) -> None:
        for key, value in data.items():
            if key != "source":
                console.print(f"{key:>12}: {value}", highlight=False, markup=False)
        for key, value in data["source"].items():
            console.print(f"{'source.' + key:>16}: {value}", highlight=False, markup=False)

    _emit(details, output_format, factor_frame, render)


@factors_app.command("diff")
def factors_diff(
    old: Annotated[str, typer.Argument(help="The earlier set, NAME@VERSION or a folder.")],
    new: Annotated[str, typer.Argument(help="The later set, NAME@VERSION or a folder.")],
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Factors added, removed and changed between two versions, with the % change of each value.

    Example: carbon factors diff china-corporate@2025.1 china-corporate@2026.1
    """
    _emit(catalog.diff_sets(old, new), output_format, diff_frame, render_diff)


@factors_app.command("impact")
def factors_impact(
    candidate: Annotated[
        str, typer.Argument(help="The version you consider adopting, NAME@VERSION or a folder.")
    ],
    baseline: Annotated[
        Optional[str],
        typer.Option(help="The version you use now. Default: the version before CANDIDATE in the same set."),
    ] = None,
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
    request = _request(org, ledger, organisation, None, gwp, as_of)
    baseline = baseline or catalog.previous_version(candidate)
    _emit(catalog.impact(request, candidate, baseline), output_format, impact_frame, render_impact)


class Topic(str, Enum):
    activities = "activities"
    units = "units"
    metrics = "metrics"
    regions = "regions"
    attributes = "attributes"
    factors = "factors"
    levers = "levers"


@app.command("vocab")
def vocab(
    topic: Annotated[Topic, typer.Argument(help="What to list.")] = Topic.activities,
    factors: FactorsOption = None,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """What inputs may say: activities and their units, unit spellings, organisation metrics,
    regions, the attribute values (waste_type and route, kind) that have factors, factor ids,
    scenario levers.

    Examples:

      carbon vocab activities

      carbon vocab attributes            (the attribute values that have a factor)

      carbon vocab regions --format csv
    """
    topic_name = topic.value if isinstance(topic, Topic) else str(topic)
    factor_set = load_factor_set(resolve_factor_set(factors))
    rows = catalog.vocabulary_listing(topic_name, factor_set)
    title = (
        f"{topic_name} ({factor_set.label})"
        if topic_name in ("regions", "attributes", "factors")
        else topic_name
    )
    _emit(
        {"topic": topic_name, "factor_set": factor_set.label, "rows": rows},
        output_format,
        lambda data: pd.DataFrame(data["rows"]),
        lambda data, console: render_rows(title, data["rows"], console),
    )


@app.command("schema")
def schema(
    what: Annotated[
        str, typer.Argument(help="The format whose JSON Schema to print: inventory or published.")
    ] = "inventory",
) -> None:
    """Print a JSON Schema: `inventory`, the inventory contract (inventory.json, --format json),
    built from the vocabulary in force; `published`, the published-table files that
    `carbon reconcile` reads (ORG/published/*.yaml).

    Example: carbon schema published > published.schema.json
    """
    schemas = {"inventory": inventory_schema, "published": published_schema}
    if what not in schemas:
        raise CarbonError(
            f"schema {what!r}: expected inventory or published{did_you_mean(what, list(schemas))}"
        )
    sys.stdout.write(schemas[what]())


@app.command("guide")
def guide() -> None:
    """Print the user guide (the README): formats, options, methodology and limits.

    Example: carbon guide | less
    """
    sys.stdout.write(user_guide())


if __name__ == "__main__":  # pragma: no cover
    app()
