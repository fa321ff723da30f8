"""Runs the stages in order: ledger -> factors -> calculate -> inventory. The CLI calls this."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from carbon.calculate import attach_key_ids, emission_lines, fuel_to_energy, gwp_values
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
    aggregate_lines,
    aggregate_rows,
    inventory_document,
    method_notes,
    year_summaries,
)
from carbon.ledger import (
    Organisation,
    headcount_warnings,
    load_ledger,
    load_organisation,
)


@dataclass(frozen=True)
class InventoryRequest:
    ledger: Path
    organisation: Path
    organisation_name: str
    factors: str | None = None
    gwp: str = "AR6"
    as_of: date = field(default_factory=date.today)


@dataclass(frozen=True)
class InventoryResult:
    document: dict
    lines: pd.DataFrame
    warnings: list[str]
    rows: pd.DataFrame  # validated ledger rows with canonical quantities (for the workbook)
    organisation: Organisation
    factor_set: FactorSet
    request: InventoryRequest


def org_paths(org_dir: Path) -> tuple[Path, Path]:
    """The ledger and organisation files of an organisation folder: activity.csv, .xlsx or
    .parquet and organisation.csv or .xlsx. Two candidates for one file is ambiguous: refused."""
    def pick(stem: str, suffixes: tuple[str, ...]) -> Path:
        found = [org_dir / f"{stem}{suffix}" for suffix in suffixes if (org_dir / f"{stem}{suffix}").exists()]
        if len(found) > 1:
            raise LedgerError([Problem(str(org_dir), None, None, ", ".join(p.name for p in found),
                                       f"one {stem} file: keep one, or name it with --ledger/--organisation")])
        return found[0] if found else org_dir / f"{stem}.csv"
    return pick("activity", (".csv", ".xlsx", ".parquet")), pick("organisation", (".csv", ".xlsx"))


def is_parquet(ledger: Path) -> bool:
    return Path(ledger).suffix.lower() == ".parquet" or Path(ledger).is_dir()


def _missing_problems(rows: pd.DataFrame, missing: list[dict]) -> list[Problem]:
    if not missing:
        return []
    unmatched = rows[rows["key_id"].isin([m["key_id"] for m in missing])]
    stats = key_stats(unmatched).merge(unmatched[[*KEY, "key_id"]].astype({k: "object" for k in KEY if k != "year"}).drop_duplicates(), on=KEY)
    return missing_factor_problems({m["key_id"]: m for m in missing}, stats, str(rows["ledger_file"].iloc[0]))


def compute_lines(rows: pd.DataFrame, factor_set: FactorSet, gwp: str, as_of: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Emission lines for validated, canonical rows: (rows with key ids, lines). Raises FactorNotFound."""
    rows, keys = attach_key_ids(rows)
    selected, missing = select_factors(keys, factor_set, as_of)
    if missing:
        raise FactorNotFound(_missing_problems(rows, missing), "No emission factor for some rows")
    return rows, emission_lines(rows, selected, factor_set, gwp)


def _silent(stage: str) -> None:
    """Default progress reporter: says nothing."""


def run_inventory(request: InventoryRequest, progress: Callable[[str], None] = _silent) -> InventoryResult:
    """The whole inventory; `progress` is told each stage as it starts (e.g. a terminal spinner)."""
    progress("loading factor set")
    factor_set = load_factor_set(resolve_factor_set(request.factors, as_of=request.as_of))
    gwp_values(factor_set, request.gwp)  # refuse an unknown GWP set before reading the ledger
    progress(f"reading and validating {request.ledger}")
    ledger, problems = load_ledger(request.ledger)
    organisation, organisation_problems = load_organisation(request.organisation)
    problems += organisation_problems
    factor_problems = []
    if ledger is not None and not ledger.rows.empty:
        progress(f"converting units of {len(ledger.rows):,} rows")
        rows, keys = attach_key_ids(fuel_to_energy(ledger.rows, factor_set))
        progress(f"matching factors for {len(keys):,} distinct keys")
        selected, missing = select_factors(keys, factor_set, request.as_of)
        factor_problems = _missing_problems(rows, missing)
    elif ledger is not None and not problems:
        problems.append(Problem(ledger.file, None, None, None, "at least one activity row below the header"))
    if problems:
        raise LedgerError(problems + factor_problems, "The inputs have problems; nothing was written")
    if factor_problems:
        raise FactorNotFound(factor_problems, "No emission factor for some ledger rows; nothing was written")
    progress(f"computing emission lines for {len(rows):,} rows")
    lines = emission_lines(rows, selected, factor_set, request.gwp)
    progress(f"aggregating {len(lines):,} emission lines")
    warnings = headcount_warnings(set(int(y) for y in rows["year"].unique()), organisation)
    lines_total, rows_total = aggregate_lines(lines), aggregate_rows(rows)
    notes = method_notes(lines_total, rows_total, factor_set, request.gwp, request.as_of) + warnings
    document = inventory_document(request.organisation_name, request.gwp, request.as_of, factor_set,
                                  year_summaries(lines_total, rows_total, organisation), notes)
    return InventoryResult(document=document, lines=lines, warnings=warnings, rows=rows, organisation=organisation,
                           factor_set=factor_set, request=request)
