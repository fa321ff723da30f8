"""Checks of printed figures against the engine's inventory of the organisation's ledger, and
against factors the document states (implied factors against published series: implied.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from carbon.engine import RunResult
from carbon.inventory import energy_mwh_multiplier
from carbon.models.inventory import InventoryYear
from carbon.models.vocabulary import vocabulary
from carbon.reconcile.figures import HALF_DOWN, fmt, in_unit_of, interval, levels, shown, span, verdict
from carbon.reconcile.findings import Finding, finding
from carbon.reconcile.intervals import Interval, decimals_of
from carbon.reconcile.published import Factor
from carbon.reconcile.rules import identities

# ---------------------------------------------------------------- the engine's inventory


def _engine_value(year: InventoryYear, path: str) -> float | None:
    """A figure of the inventory year by its dotted path (energy_mwh.total, waste_t.hazardous)."""
    first, *rest = path.split(".")
    value = getattr(year, first)
    for part in rest:
        value = value.get(part) if isinstance(value, dict) else getattr(value, part)
    return value


def _path_rows(rows: pd.DataFrame, path: str, year: int) -> tuple[pd.DataFrame, pd.Series]:
    """The ledger rows behind an inventory figure, and each row's multiplier into its unit."""
    resource, _, key = path.partition(".")
    same_year = rows[rows["year"] == year]
    if resource == "energy_mwh":
        keys = vocabulary().energy_keys
        members = [a for a, k in keys.items() if key in ("total", k)]
        chosen = same_year[same_year["activity"].isin(members)]
        return chosen, energy_mwh_multiplier(chosen)
    spec = vocabulary().resources.get(resource)
    if spec is None or "canonical_multiplier" not in rows:
        return same_year.iloc[0:0], pd.Series(dtype="float64")
    chosen = same_year[same_year["activity"].isin(spec.activities)]
    if spec.split is not None and key in spec.split.classes and spec.split.attribute in chosen:
        values = vocabulary().attributes[spec.split.attribute].values or {}
        classes = {name: value.class_ for name, value in values.items()}
        chosen = chosen[chosen[spec.split.attribute].astype(str).map(classes) == key]
    return chosen, chosen["canonical_multiplier"].astype("float64")


def ledger_precision(result: RunResult, path: str, year: int, printed_half: float) -> float:
    """Half a unit of the last digit of every ledger row transcribed from print (data_quality
    one of identities.yaml's `transcribed`), summed in the figure's unit: the engine's value is
    no more exact than the printed figures it was keyed from. A row is taken as known to the
    digits it is written with, and at least to the compared figure's precision `printed_half`
    (half its last unit, in the KPI's unit: a float has lost the trailing zeros of '1,558.00')."""
    rows = result.rows
    if "data_quality" not in rows or "quantity" not in rows:
        return 0.0
    chosen, multiplier = _path_rows(rows, path, year)
    transcribed = chosen["data_quality"].astype(str).str.strip().str.lower().isin(identities().transcribed)
    if not transcribed.any():
        return 0.0
    quantities = chosen.loc[transcribed, "quantity"].astype("float64")
    own = 0.5 * 10.0 ** -quantities.map(decimals_of).to_numpy() * multiplier[transcribed].to_numpy()
    return float(np.sum(np.minimum(own, printed_half)))


def check_engine(table: pd.DataFrame, result: RunResult) -> list[Finding]:
    """Printed activity totals and headcounts against the engine's inventory of the same calendar
    year (whole organisation only)."""
    findings = []
    years = {y.year: y for y in result.inventory.years}
    usable = levels(table)
    usable = usable[usable["calendar"] & (usable["region"] == "")]
    for kpi, path in identities().engine.items():
        for _, row in usable[usable["kpi"] == kpi].iterrows():
            if row["year"] not in years:
                continue
            engine = _engine_value(years[row["year"]], path)
            if engine is None:
                continue
            slack = (
                0.0
                if row["exact"]
                else ledger_precision(
                    result, path, int(row["year"]), 0.5 * 10.0 ** -int(row["decimals"]) * row["scale"]
                )
            )
            engine_interval = Interval(engine - slack, engine + slack)
            ok = engine_interval.overlaps(interval(row))
            value = in_unit_of(engine, row, 2)
            plus_minus = fmt(slack / row["scale"], int(row["decimals"]) + 3)
            precision = f" (+-{plus_minus} from ledger rows transcribed from print)"
            message = f"the engine's {path} for {row['year']} is {value}{precision if slack else ''}, " + (
                "within the printed precision" if ok else f"but the report prints {row['printed']}"
            )
            findings.append(
                finding(
                    "engine", "consistent" if ok else "inconsistent", row, [row], engine_interval, message
                )
            )
    return findings


# ---------------------------------------------------------------- factors stated in the document


def _emission_keys(key: str) -> list[str]:
    """A stated factor's emissions key, then the keys that stand for it in a table that prints
    no such row (a factor stated for Scope 2 against `ghg.scope2.location` or its electricity line),
    from identities.yaml's implied_factors."""
    others = [k for rule in identities().implied_factors if key in rule.emissions for k in rule.emissions]
    return [key, *(k for k in others if k != key)]


def check_stated_factors(table: pd.DataFrame, factors: list[Factor]) -> list[Finding]:
    """Printed activity x the factor the document states must give the printed emissions, both
    printed for the same period and region of the document (in any of its tables: HKEX reports
    print A1.2 emissions and A2.1 energy apart)."""
    findings = []
    usable = levels(table)
    for stated in factors:
        rivals = [f for f in factors if _rivals(f, stated)]
        if rivals:
            findings += _ambiguous(stated, rivals, usable)
            continue
        rows = usable[(usable["document"] == stated.document) & (usable["region"] == stated.region)]
        if stated.period is not None:
            rows = rows[rows["period"] == stated.period]
        for _, group in rows.groupby("period", sort=False):
            key = next((k for k in _emission_keys(stated.emissions) if (group["kpi"] == k).any()), None)
            a = group[group["kpi"] == stated.activity]
            if key is None or a.empty:
                continue
            e = group[group["kpi"] == key]
            same_section = e[e["section"] == a.iloc[0]["section"]]
            findings.append(
                _stated_finding(stated, (same_section if not same_section.empty else e).iloc[0], a.iloc[0])
            )
    return findings


def _rivals(one: Factor, other: Factor) -> bool:
    """Two different factors stated for the same figure, region and period."""
    same = (one.document, one.emissions, one.activity, one.region) == (
        other.document, other.emissions, other.activity, other.region
    )  # fmt: skip
    overlapping = one.period is None or other.period is None or one.period == other.period
    return same and overlapping and one.interval != other.interval


def _ambiguous(stated: Factor, rivals: list[Factor], usable: pd.DataFrame) -> list[Finding]:
    """Several factors stated for one emissions figure (CLP 0.39 and HK Electric 0.66 for a group
    total): which applies to which part is not said, so nothing is checked; a note says why."""
    rows = usable[(usable["document"] == stated.document) & (usable["kpi"] == stated.activity)]
    rows = rows[rows["region"] == stated.region]
    if rows.empty or any(r.printed < stated.printed for r in rivals):
        return []  # one note per set of rivals, on the first of them
    factors = ", ".join(sorted({stated.printed, *(r.printed for r in rivals)}))
    message = (
        f"several factors are stated for {stated.emissions} over {stated.activity} ({factors} {stated.unit}) "
        "without saying which part each applies to: give each a `region` (a regional column) to check them"
    )
    return [finding("stated_factor", "note", rows.iloc[0], [rows.iloc[0]], None, message)]


def _stated_finding(stated: Factor, e: pd.Series, a: pd.Series) -> Finding:
    expected = interval(a) * stated.interval
    severity = verdict(expected, e)
    product = a["value"] * a["scale"] * stated.interval.middle
    head = (
        f"{a['kpi']} {shown(a)} {a['unit']} x the stated factor {stated.printed} {stated.unit} = "
        f"{in_unit_of(product, e, 1)} {e['unit']}"
    )
    if severity == "consistent":
        message = f"{head}, printed {e['printed']}"
    elif severity == "rounding_method":
        message = f"{head}; {e['printed']} {HALF_DOWN}"
    else:
        message = f"{head} ({span(expected, e)} allowing for rounding), but {e['printed']} is printed"
    return finding("stated_factor", severity, e, [e, a], expected, message)
