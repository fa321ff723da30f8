"""The one engine: every inventory run is four steps over chunks of the ledger.

- scan:    read and validate one chunk (whatever its size), convert units; per-chunk facts the
           whole-ledger checks need (record-id hashes, certificate claims, keys, instrument totals).
- plan:    the whole-ledger checks (record ids, certificate claims, instrument coverage) and
           factor selection per distinct key. The one place that raises input problems.
- compute: emission lines and their aggregates for one chunk.
- finish:  the inventory from the aggregates of every chunk.

The in-memory run (`run_inventory`) is one chunk; the chunked run (streaming.py) and the Dask
run (distributed.py) apply the same functions to many.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import NoReturn, Protocol

import numpy as np
import pandas as pd

from carbon import readers
from carbon.calculate import (
    LineKeyMemo,
    LineKeyUnion,
    Lines,
    coverage_totals,
    fuel_to_energy,
    gwp_values,
    joined,
    normalised_lines,
)
from carbon.errors import FactorNotFound, LedgerError, Problem
from carbon.factors import (
    KEY,
    FactorSet,
    key_stats,
    load_factor_set,
    missing_factor_problems,
    resolve_factor_set,
    select_factors,
)
from carbon.inventory import (
    LINE_GROUP,
    LINE_SUMS,
    ROW_GROUP,
    ROW_SUMS,
    combine,
    employees_by_year,
    inventory_document,
    line_totals,
    method_notes,
    row_totals,
    year_summaries,
)
from carbon.ledger import (
    Organisation,
    headcount_warnings,
    instrument_claims,
    load_organisation,
    repeated_claims,
    validate_table,
)
from carbon.models.inventory import Inventory
from carbon.models.uncertainty import unlisted_qualities
from carbon.record_ids import RecordIdHashes, duplicate_ids, id_hashes
from carbon.uncertainty import assess

COVERAGE_KEY = ["year", "market", "covered"]


@dataclass(frozen=True)
class InventoryRequest:
    ledger: Path
    organisation: Path
    organisation_name: str
    factors: str | None = None
    gwp: str = "AR6"
    as_of: date = field(default_factory=date.today)
    draws: int | None = None  # Monte Carlo draws for the intervals (None: the data file's; 0: none)
    seed: int | None = None  # their seed (None: the data file's)


@dataclass(frozen=True)
class InventoryResult:
    inventory: Inventory  # the contract (carbon/models/inventory.py)
    normalised: Lines  # the emission lines as written: per line, and per line key
    warnings: list[str]
    rows: pd.DataFrame  # validated ledger rows with canonical quantities (for the workbook)
    organisation: Organisation
    factor_set: FactorSet
    request: InventoryRequest

    @cached_property
    def lines(self) -> pd.DataFrame:
        """The full emission lines (LINE_COLUMNS), joined once when first asked for."""
        return joined(self.normalised.lines, self.normalised.keys)


class RunResult(Protocol):
    """What the workbook and reconciliation read of a run: an InventoryResult (every line), or
    a large ledger's GroupedResult (carbon/grouped.py: a row per group of ledger rows)."""

    @property
    def inventory(self) -> Inventory: ...
    @property
    def lines(self) -> pd.DataFrame: ...
    @property
    def rows(self) -> pd.DataFrame: ...
    @property
    def organisation(self) -> Organisation: ...
    @property
    def factor_set(self) -> FactorSet: ...
    @property
    def request(self) -> InventoryRequest: ...


def is_parquet(ledger: Path) -> bool:
    return Path(ledger).suffix.lower() == ".parquet" or Path(ledger).is_dir()


def org_paths(org_dir: Path) -> tuple[Path, Path]:
    """The ledger and organisation files of an organisation folder: activity.csv, .xlsx or
    .parquet and organisation.csv or .xlsx. Two candidates for one file is ambiguous: refused."""

    def pick(stem: str, suffixes: tuple[str, ...]) -> Path:
        found = [org_dir / f"{stem}{suffix}" for suffix in suffixes if (org_dir / f"{stem}{suffix}").exists()]
        if len(found) > 1:
            raise LedgerError(
                [
                    Problem(
                        str(org_dir),
                        None,
                        None,
                        ", ".join(p.name for p in found),
                        f"one {stem} file: keep one, or name it with --ledger/--organisation",
                    )
                ]
            )
        return found[0] if found else org_dir / f"{stem}.csv"

    return pick("activity", (".csv", ".xlsx", ".parquet")), pick("organisation", (".csv", ".xlsx"))


# ---------------------------------------------------------------- context


@dataclass(frozen=True)
class Context:
    """What every step needs besides the ledger: the request, the factor set and the organisation."""

    request: InventoryRequest
    factor_set: FactorSet
    organisation: Organisation | None
    organisation_problems: list[Problem]

    @property
    def file(self) -> str:
        return str(self.request.ledger)


def open_context(request: InventoryRequest) -> Context:
    """The factor set released by the as-of date (or the one asked for), its GWP set, and the
    organisation file. A bad factor set or GWP set stops here, before any ledger row is read."""
    factor_set = load_factor_set(resolve_factor_set(request.factors, as_of=request.as_of))
    gwp_values(factor_set, request.gwp)
    organisation, problems = load_organisation(request.organisation)
    return Context(request, factor_set, organisation, problems)


# ---------------------------------------------------------------- scan


@dataclass
class Scanned:
    """One validated chunk, and what the whole-ledger checks need from it."""

    rows: pd.DataFrame | None  # validated rows in canonical units (None when the header is wrong)
    problems: list[Problem]
    hashes: np.ndarray  # 64-bit hash of each row's record id
    row_numbers: np.ndarray
    claims: pd.DataFrame  # claims of certificates that may be claimed once
    keys: pd.DataFrame | None  # distinct factor keys, with first row and row count
    coverage: pd.DataFrame | None  # electricity and instrument MWh per year and market
    years: set[int]
    unlisted_qualities: dict[str, int] = field(default_factory=dict)  # rows per unlisted data_quality

    def without_rows(self) -> Scanned:
        """The facts alone (a Dask worker returns these, not the rows)."""
        return Scanned(
            None,
            self.problems,
            self.hashes,
            self.row_numbers,
            self.claims,
            self.keys,
            self.coverage,
            self.years,
            self.unlisted_qualities,
        )


def scan(frame: pd.DataFrame, context: Context, coverage: bool = True) -> Scanned:
    """Validate one chunk (row numbers are the file's) and convert it to canonical units.
    `coverage=False` skips the instrument totals, for a pass that has them already."""
    hashes = id_hashes(frame["record_id"]) if "record_id" in frame else np.zeros(len(frame), dtype=np.uint64)
    ledger, problems = validate_table(
        frame, context.file, check_record_ids=False
    )  # ids: across chunks, in plan
    scanned = Scanned(
        rows=None,
        problems=problems,
        hashes=hashes,
        row_numbers=frame["_row"].to_numpy(),
        claims=instrument_claims(frame),
        keys=None,
        coverage=None,
        years=set(),
    )
    if ledger is None:
        return scanned
    rows = fuel_to_energy(ledger.rows, context.factor_set)
    scanned.rows = rows
    scanned.unlisted_qualities = unlisted_qualities(rows["data_quality"])
    if not rows.empty:
        scanned.keys = key_stats(rows)
        scanned.coverage = coverage_totals(rows, context.factor_set) if coverage else None
        scanned.years = {int(y) for y in rows["year"].unique()}
    return scanned


# ---------------------------------------------------------------- plan


class Plan:
    """Whole-ledger checks and factor selection, fed chunk by chunk; `check` raises every input
    problem of the run at once (the only place that does)."""

    def __init__(self, context: Context):
        self.context = context
        self.problems: list[Problem] = list(context.organisation_problems)
        self.hashes = RecordIdHashes()
        self.row_numbers = RowNumbers()
        self.claims: list[pd.DataFrame] = []
        self.coverage_parts: list[pd.DataFrame] = []
        self.years: set[int] = set()
        self.keys = pd.DataFrame(
            {k: pd.Series(dtype="int64" if k == "year" else "object") for k in KEY}
        ).assign(key_id=pd.Series(dtype="int64"))
        self.stats: list[pd.DataFrame] = []
        self.selected_parts: list[pd.DataFrame] = []
        self.missing: dict[int, dict] = {}
        self.line_key_memo = LineKeyMemo()  # of the selection above, for every chunk's lines
        self.unlisted_qualities: Counter[str] = Counter()

    def add(self, scanned: Scanned) -> None:
        """Take in one chunk's facts; factors are selected for keys not seen before."""
        self.problems += scanned.problems
        self.hashes.add(scanned.hashes)
        self.row_numbers.add(scanned.row_numbers)
        self.claims.append(scanned.claims)
        self.years |= scanned.years
        self.unlisted_qualities.update(scanned.unlisted_qualities)
        if scanned.coverage is not None:
            self.coverage_parts.append(scanned.coverage)
        if scanned.keys is not None:
            self.stats.append(scanned.keys)
            self._select(scanned.keys[KEY])

    def add_coverage(self, totals: pd.DataFrame | None) -> None:
        """A first pass of a chunked run: a chunk's instrument totals (needed before any line)."""
        if totals is not None:
            self.coverage_parts.append(totals)

    def _select(self, keys: pd.DataFrame) -> None:
        known = keys.merge(self.keys, on=KEY, how="left")
        new = known[known["key_id"].isna()][KEY].drop_duplicates()
        if new.empty:
            return
        new = new.assign(key_id=np.arange(len(self.keys), len(self.keys) + len(new)))
        selected, missing = select_factors(new, self.context.factor_set, self.context.request.as_of)
        self.selected_parts.append(selected)
        self.missing.update({m["key_id"]: m for m in missing})
        self.keys = pd.concat([self.keys, new], ignore_index=True)

    @property
    def selected(self) -> pd.DataFrame:
        return pd.concat(self.selected_parts, ignore_index=True) if self.selected_parts else pd.DataFrame()

    @property
    def coverage(self) -> pd.DataFrame | None:
        """Instrument coverage totals of the whole ledger (None when no chunk had any)."""
        if not self.coverage_parts:
            return None
        return (
            pd.concat(self.coverage_parts).groupby(COVERAGE_KEY, as_index=False)[["demand", "supply"]].sum()
        )

    @property
    def clean(self) -> bool:
        """No problem so far: lines computed now can be kept."""
        return not self.problems and not self.missing

    def check(self, ids_at: Callable[[np.ndarray], list[str]]) -> None:
        """Raise every input problem of the run: each chunk's, repeated record ids and
        certificate claims across chunks, missing factors. `ids_at` reads the record ids of
        given row numbers (only called when two hashes collide)."""
        file = self.context.file
        problems = list(self.problems)
        try:
            problems += duplicate_ids(self.hashes, self.row_numbers.at, ids_at, file)
        finally:
            self.hashes.close()  # the spilled hashes' files
        if self.claims:
            problems += repeated_claims(pd.concat(self.claims, ignore_index=True), file)
        if len(self.row_numbers) == 0 and not problems:
            problems.append(Problem(file, None, None, None, "at least one activity row below the header"))
        missing = self.missing_problems()
        if problems:
            raise LedgerError(problems + missing, "The inputs have problems; nothing was written")
        if missing:
            raise FactorNotFound(missing, "No emission factor for some ledger rows; nothing was written")

    def refuse(self, problems: list[Problem]) -> NoReturn:
        """The ledger cannot be read at all: its problems, with the organisation file's."""
        raise LedgerError(self.problems + problems, "The inputs have problems; nothing was written")

    def missing_problems(self) -> list[Problem]:
        if not self.missing:
            return []
        stats = (
            pd.concat(self.stats)
            .groupby(KEY, sort=False)
            .agg(first_row=("first_row", "min"), rows=("rows", "sum"))
        )
        return missing_factor_problems(
            self.missing, stats.reset_index().merge(self.keys, on=KEY), self.context.file
        )


class RowNumbers:
    """The ledger row number of every row seen, in order. A chunk of consecutive rows (every
    chunk of a Parquet ledger) is kept as a range, not as 8 bytes a row: memory stays flat."""

    def __init__(self) -> None:
        self.parts: list[range | np.ndarray] = []

    def add(self, rows: np.ndarray) -> None:
        consecutive = len(rows) > 0 and bool(np.all(np.diff(rows) == 1))
        self.parts.append(range(int(rows[0]), int(rows[-1]) + 1) if consecutive else rows)

    def __len__(self) -> int:
        return sum(len(part) for part in self.parts)

    def at(self, positions: np.ndarray) -> np.ndarray:
        """The row numbers at `positions` (0-based, over every row seen in order)."""
        starts = np.cumsum([0] + [len(part) for part in self.parts])
        found = np.zeros(len(positions), dtype=np.int64)
        for part, start, end in zip(self.parts, starts[:-1], starts[1:], strict=True):
            inside = (positions >= start) & (positions < end)
            offset = positions[inside] - start
            found[inside] = offset + part.start if isinstance(part, range) else part[offset]
        return found


def ids_in(frame: pd.DataFrame) -> Callable[[np.ndarray], list[str]]:
    """Record ids of given rows of an in-memory frame."""
    position = pd.Series(np.arange(len(frame)), index=frame["_row"].to_numpy())
    return lambda rows: [str(v).strip() for v in frame["record_id"].to_numpy()[position.loc[rows].to_numpy()]]


# ---------------------------------------------------------------- compute and finish


@dataclass(frozen=True)
class Totals:
    """A chunk's aggregates: all that `finish` needs, and all a chunked run keeps of a chunk
    (with its line keys, for line_keys.parquet)."""

    line_totals: pd.DataFrame
    row_totals: pd.DataFrame
    line_keys: pd.DataFrame

    def keep(self, keys: LineKeyUnion) -> Totals:
        """What a run keeps of a chunk: its line keys go into the run's union, the rest stays."""
        keys.add(self.line_keys)
        # A copy: an empty slice is a view that kept the chunk's whole key table alive.
        return replace(self, line_keys=self.line_keys.iloc[:0].copy())

    @staticmethod
    def folded(parts: list[Totals]) -> Totals:
        """Several chunks' aggregates added up into one (their line keys are in the run's union).
        A chunked run folds its parts as it goes: each chunk's small frames, kept to the end,
        pinned pages of the allocators and memory grew with the ledger."""
        return Totals(
            combine([p.line_totals for p in parts], LINE_GROUP, LINE_SUMS),
            combine([p.row_totals for p in parts], ROW_GROUP, ROW_SUMS),
            parts[0].line_keys.iloc[:0].copy(),
        )


@dataclass(frozen=True)
class Computed:
    lines: Lines
    totals: Totals


def compute(rows: pd.DataFrame, plan: Plan, coverage: pd.DataFrame | None) -> Computed:
    """Emission lines of one chunk (the plan has selected the factors of its keys) and their
    aggregates."""
    context = plan.context
    memo = plan.line_key_memo if coverage is not None else None  # a run's coverage: fixed
    lines = normalised_lines(
        rows, plan.keys, plan.selected, context.factor_set, context.request.gwp, coverage, memo
    )
    return Computed(lines, Totals(line_totals(lines), row_totals(lines), lines.keys))


def finish(plan: Plan, parts: list[Totals]) -> tuple[Inventory, list[str]]:
    """The inventory and warnings from the aggregates of every chunk."""
    context, request = plan.context, plan.context.request
    totals = Totals.folded(parts)
    lines, rows = totals.line_totals, totals.row_totals
    assert context.organisation is not None  # check() has refused a bad organisation file
    warnings = headcount_warnings(plan.years, context.organisation)
    employees = employees_by_year(context.organisation, sorted(plan.years))
    assessment = assess(lines, employees, plan.unlisted_qualities, request.draws, request.seed)
    notes = (
        method_notes(lines, rows, context.factor_set, request.gwp, request.as_of)
        + assessment.notes
        + warnings
    )
    document = inventory_document(
        request.organisation_name,
        request.gwp,
        request.as_of,
        context.factor_set,
        year_summaries(lines, rows, context.organisation, assessment.by_year),
        notes,
    )
    return document, warnings


# ---------------------------------------------------------------- the in-memory run: one chunk


def _silent(stage: str) -> None:
    """Default progress reporter: says nothing."""


def run_inventory(request: InventoryRequest, progress: Callable[[str], None] = _silent) -> InventoryResult:
    """The whole inventory in memory (one chunk); `progress` is told each stage as it starts."""
    progress("loading factor set")
    context = open_context(request)
    plan = Plan(context)
    progress(f"reading and validating {request.ledger}")
    try:
        frame = readers.read_table(Path(request.ledger), readers.table_schema("ledger"))
    except LedgerError as error:
        plan.refuse(error.problems)
    scanned = scan(frame, context)
    progress(f"matching factors for {len(scanned.row_numbers):,} rows")
    plan.add(scanned)
    plan.check(ids_in(frame))
    assert scanned.rows is not None
    rows = scanned.rows
    progress(f"computing emission lines for {len(rows):,} rows")
    computed = compute(rows, plan, plan.coverage)
    progress(f"aggregating {len(computed.lines.lines):,} emission lines")
    document, warnings = finish(plan, [computed.totals])
    assert context.organisation is not None
    return InventoryResult(
        inventory=document,
        normalised=computed.lines,
        warnings=warnings,
        rows=rows,
        organisation=context.organisation,
        factor_set=context.factor_set,
        request=request,
    )


def lines_for(
    rows: pd.DataFrame, factor_set: FactorSet, gwp: str, as_of: date
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Emission lines for rows already validated (a scenario's changed rows), full (joined).
    Raises FactorNotFound for rows whose key has no factor."""
    keys = key_stats(rows)
    keys = keys.assign(key_id=np.arange(len(keys)))
    selected, missing = select_factors(keys[[*KEY, "key_id"]], factor_set, as_of)
    if missing:
        raise FactorNotFound(
            missing_factor_problems(
                {m["key_id"]: m for m in missing}, keys, str(rows["ledger_file"].iloc[0])
            ),
            "No emission factor for some rows",
        )
    computed = normalised_lines(rows, keys, selected, factor_set, gwp)
    return rows, joined(computed.lines, computed.keys)
