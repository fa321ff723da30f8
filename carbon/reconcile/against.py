"""Checks of printed figures against something outside the tables: the engine's inventory of
the organisation's ledger, factors the document states, and published factor series (the
factor set's grid factors and the reference series of Hong Kong, Taiwan and the UK).

Each works without a ledger where it can (`result` is None): reconciling printed tables alone
is a valid use."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
from pydantic import Field

from carbon.engine import RunResult
from carbon.factors import FactorSet
from carbon.inventory import energy_mwh_multiplier
from carbon.models.files import PublishedDocument, Strict, Text
from carbon.models.inventory import InventoryYear
from carbon.models.vocabulary import vocabulary
from carbon.paths import factors_root
from carbon.reconcile.checks import fmt, in_unit_of, interval, levels, shown, verdict
from carbon.reconcile.findings import Finding, Severity, finding
from carbon.reconcile.intervals import Interval, decimals_of
from carbon.reconcile.published import Factor
from carbon.reconcile.rules import ImpliedFactorRule, identities
from carbon.units import conversion_factor

GROUP = ["document", "section", "period", "region"]


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


def ledger_precision(result: RunResult, path: str, year: int, printed_decimals: int) -> float:
    """Half a unit of the last digit of every ledger row transcribed from print (data_quality
    one of identities.yaml's `transcribed`), summed in the figure's unit: the engine's value is
    no more exact than the printed figures it was keyed from. A row is taken as known to the
    digits it is written with, and at least to the compared figure's precision (a float has
    lost the trailing zeros of '1,558.00')."""
    rows = result.rows
    if "data_quality" not in rows or "quantity" not in rows:
        return 0.0
    chosen, multiplier = _path_rows(rows, path, year)
    transcribed = chosen["data_quality"].astype(str).str.strip().str.lower().isin(identities().transcribed)
    if not transcribed.any():
        return 0.0
    quantities = chosen.loc[transcribed, "quantity"].astype("float64")
    decimals = np.maximum(quantities.map(decimals_of).to_numpy(), printed_decimals)
    return float(np.sum(0.5 * 10.0**-decimals * multiplier[transcribed].to_numpy()))


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
                else ledger_precision(result, path, int(row["year"]), int(row["decimals"]))
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


# ---------------------------------------------------------------- factor series


class SeriesRow(Strict):
    series_id: Text
    region: Text
    publisher: Text
    data_year: int = Field(ge=1990, le=2100)
    value: float = Field(gt=0, lt=10)
    unit: Text
    gas: Text
    basis: str
    source: Text
    locator: str
    confidence: Text
    notes: str = ""


@dataclass(frozen=True)
class GridFactor:
    """A grid factor in t per MWh of electricity, wherever it comes from."""

    label: str
    region: str
    year: int
    value: float


@cache
def reference_series() -> tuple[GridFactor, ...]:
    """factors/reference/grid_series.csv (Hong Kong, Taiwan, UK), validated row by row."""
    with open(factors_root() / "reference" / "grid_series.csv", encoding="utf-8", newline="") as handle:
        rows = [SeriesRow.model_validate(r) for r in csv.DictReader(handle)]
    return tuple(
        GridFactor(
            f"{r.publisher} {r.data_year} ({r.value} {r.unit}, {r.confidence})",
            r.region,
            r.data_year,
            r.value * conversion_factor(r.unit.replace("CO2e", "").replace("CO2", ""), "t/MWh"),
        )
        for r in rows
    )


def factor_set_series(factor_set: FactorSet | None, activity: str) -> list[GridFactor]:
    """The factor set's own CO2 and CO2e factors of `activity`, in t per MWh."""
    if factor_set is None or activity not in vocabulary().activities:
        return []
    factors = factor_set.factors
    rows = factors[(factors["activity"] == activity) & factors["gas"].isin(["CO2", "CO2e"])]
    if rows.empty:
        return []
    unit = vocabulary().activities[activity].canonical_unit
    per_mwh = conversion_factor("MWh", unit)
    return [
        GridFactor(
            f"{r.factor_id} ({r.value} {r.unit})",
            str(r.region),
            int(r.data_year),
            float(r.value_canonical) * per_mwh,
        )
        for r in rows.itertuples()
    ]


def _in_regions(region: str, wanted: set[str]) -> bool:
    """A factor of `region` serves the wanted regions: itself, a sub-region (CN-BJ of CN,
    HK-CLP of HK), or a GLOBAL default."""
    return not wanted or region == "GLOBAL" or any(region == w or region.startswith(f"{w}-") for w in wanted)


def _library_factors(result: RunResult, activity: str, year: int) -> dict[str, float]:
    """Effective factor per method the engine used: tCO2e per MWh of the activity."""
    lines = result.lines[(result.lines["activity"] == activity) & (result.lines["year"] == year)]
    factors = {}
    for method, group in lines.groupby("method"):
        canonical = group.drop_duplicates("record_id")["quantity_canonical"].sum()
        mwh = canonical * conversion_factor(str(group["canonical_unit"].iloc[0]), "MWh")
        if mwh:
            factors[str(method)] = float(group["tco2e"].sum() / mwh)
    return factors


def _sole_source(
    result: RunResult | None, rule: ImpliedFactorRule, emissions: str, group: pd.DataFrame
) -> bool:
    """An implied factor means something only when the emissions are the activity's own: a
    source line, or a scope total of which the activity is all (per the ledger when there is
    one, else per the document: no other source line of the scope printed above zero)."""
    if emissions in rule.source_lines:
        return True
    year = int(group["year"].iloc[0])
    if result is not None and bool(group["calendar"].iloc[0]):
        spec = vocabulary().activities[rule.factor_activity]
        lines = result.lines[(result.lines["year"] == year) & (result.lines["scope"] == spec.scope)]
        if not lines.empty:
            covered = {
                rule.factor_activity,
                *(a for a, t in vocabulary().instruments.items() if t == rule.factor_activity),
            }
            return set(lines["activity"].astype(str)) <= covered
    others = group[group["kpi"].isin(rule.others)]
    return bool((others["high"] <= 0).all())


@dataclass(frozen=True)
class Implied:
    """Printed emissions over printed activity, as an interval in t per MWh."""

    emissions: pd.Series
    activity: pd.Series
    interval: Interval


def check_implied_factors(
    table: pd.DataFrame,
    result: RunResult | None,
    documents: dict[str, PublishedDocument],
    factor_set: FactorSet | None = None,
) -> list[Finding]:
    """Printed emissions / printed activity, as an interval: reproduced by the library's factor
    for the year, attributed to a published series and year, or (for grid electricity, where
    official series exist) found outside every factor of the document's regions. `factor_set`:
    the set whose factors are compared (default: the run's)."""
    findings = []
    usable = levels(table)
    factor_set = factor_set or (result.factor_set if result is not None else None)
    for rule in identities().implied_factors:
        candidates = [*factor_set_series(factor_set, rule.factor_activity), *_reference(rule)]
        implied_by_region: dict[str, dict[str, tuple[int, Interval]]] = {}
        # Within a document, period and region: a SECR table prints emissions and energy as two tables.
        for _, group in usable.groupby(["document", "period", "region"], sort=False):
            activity_kpi = next((k for k in rule.activity if (group["kpi"] == k).any()), None)
            activity = group[group["kpi"] == activity_kpi]
            emissions_kpi = next((k for k in rule.emissions if (group["kpi"] == k).any()), None)
            if (
                activity.empty
                or emissions_kpi is None
                or not _sole_source(result, rule, emissions_kpi, group)
            ):
                continue
            e, a = group[group["kpi"] == emissions_kpi].iloc[0], activity.iloc[0]
            if a["low"] <= 0:
                continue  # zero activity printed: no factor is implied
            implied = interval(e).divided_by(interval(a))
            if implied is None:
                continue
            by_period = implied_by_region.setdefault(str(e["region"]), {})
            by_period.setdefault(str(e["period"]), (int(e["year"]), implied))
            document = documents[str(e["document"])]
            findings.append(_implied_finding(rule, Implied(e, a, implied), result, document, candidates))
        for region, by_period in implied_by_region.items():
            findings += _drift(rule, usable[usable["region"] == region], by_period)
    return findings


def _implied_finding(
    rule: ImpliedFactorRule,
    found: Implied,
    result: RunResult | None,
    document: PublishedDocument,
    candidates: list[GridFactor],
) -> Finding:
    e, a, implied = found.emissions, found.activity, found.interval
    ratio = e["value"] * e["scale"] / (a["value"] * a["scale"])
    text = (
        f"{e['kpi']} {shown(e)} / {a['kpi']} {shown(a)} implies {ratio:.4f} t/MWh (kg/kWh) "
        f"(between {implied.low:.5f} and {implied.high:.5f} allowing for rounding)"
    )
    library = _library_factors(result, rule.factor_activity, int(e["year"])) if result is not None else {}
    if any(implied.contains(v) for v in library.values()):
        listing = ", ".join(f"{m or 'default'} {v:.4f}" for m, v in library.items())
        return finding(
            "implied_factor",
            "consistent",
            e,
            [e, a],
            implied,
            f"{text}; the library's factor ({listing}) reproduces it",
        )
    wanted = _regions_of(e, document, result, rule, candidates)
    series = [s for s in candidates if _in_regions(s.region, wanted)]
    matches = [s for s in series if implied.contains(s.value)]
    uses = _uses(library, result)
    where = f" of {', '.join(sorted(wanted))}" if wanted else ""
    if matches:
        names = "; ".join(s.label for s in matches[:4]) + (
            f" and {len(matches) - 4} more" if len(matches) > 4 else ""
        )
        severity: Severity = "note" if library else "consistent"
        return finding("implied_factor", severity, e, [e, a], implied, f"{text}; it matches {names}{uses}")
    if not series:
        message = f"{text}; no {rule.factor_activity} factor series{where} to compare with{uses}"
        return finding("implied_factor", "note", e, [e, a], implied, message)
    low, high = min(s.value for s in series), max(s.value for s in series)
    if rule.factor_activity == "electricity" and wanted and not implied.overlaps(Interval(low, high)):
        direction = "high" if implied.low > high else "low"
        message = (
            f"{text}{uses}; no {rule.factor_activity} factor of any year, region or method{where} "
            f"({low:.4f} to {high:.4f}) is that {direction}: the printed figure does not follow from the "
            "official factors"
        )
        return finding("implied_factor", "inconsistent", e, [e, a], implied, message)
    message = (
        f"{text}{uses}; it matches no published factor{where} of any year: the report's factor or method "
        "differs and is not disclosed"
    )
    return finding("implied_factor", "note", e, [e, a], implied, message)


def _regions_of(
    row: pd.Series,
    document: PublishedDocument,
    result: RunResult | None,
    rule: ImpliedFactorRule,
    candidates: list[GridFactor],
) -> set[str]:
    """The grid regions a printed figure's factor should come from: its regional column when a
    series exists for it (UK), else the document's grid_regions, else the ledger's regions.
    Empty when unknown: every series is compared, and nothing is called inconsistent."""
    region = str(row["region"])
    if region and any(_in_regions(c.region, {region}) and c.region != "GLOBAL" for c in candidates):
        return {region}
    return set(document.grid_regions) or _ledger_regions(result, rule.factor_activity)


def _reference(rule: ImpliedFactorRule) -> tuple[GridFactor, ...]:
    return reference_series() if rule.factor_activity == "electricity" else ()


def _uses(library: dict[str, float], result: RunResult | None) -> str:
    if result is None:
        return ""
    if not library:
        return "; the ledger has no line of this activity that year"
    return "; the library uses " + ", ".join(f"{m or 'default'} {v:.4f}" for m, v in library.items())


def _ledger_regions(result: RunResult | None, activity: str) -> set[str]:
    if result is None:
        return set()
    lines = result.lines[result.lines["activity"] == activity]
    return set(lines["region"].astype(str))


def _drift(
    rule: ImpliedFactorRule, usable: pd.DataFrame, implied: dict[str, tuple[int, Interval]]
) -> list[Finding]:
    """The implied factor moving far more across years than published factors do: a method change."""
    if len(implied) < 2:
        return []
    lows = {p: i.low for p, (_, i) in implied.items()}
    first, last = min(lows, key=lambda p: lows[p]), max(lows, key=lambda p: lows[p])
    if lows[last] <= 1.1 * implied[first][1].high:
        return []
    listing = ", ".join(
        f"{p}: {i.middle:.4f}" for p, (_, i) in sorted(implied.items(), key=lambda x: x[1][0])
    )
    emissions = usable[usable["kpi"].isin(rule.emissions) & (usable["period"] == last)]
    if emissions.empty:
        return []
    row = emissions.iloc[0]
    message = (
        f"the implied factor of {rule.factor_activity} varies across years ({listing}) while the underlying "
        "published factors changed by a few per cent: the method changed between years"
    )
    return [finding("implied_factor", "note", row, [row], None, message)]


# ---------------------------------------------------------------- factors stated in the document


def check_stated_factors(table: pd.DataFrame, factors: list[Factor]) -> list[Finding]:
    """Printed activity x the factor the document states must give the printed emissions."""
    findings = []
    usable = levels(table)
    for stated in factors:
        rows = usable[(usable["document"] == stated.document) & (usable["region"] == stated.region)]
        if stated.period is not None:
            rows = rows[rows["period"] == stated.period]
        for _, group in rows.groupby(["section", "period"], sort=False):
            e = group[group["kpi"] == stated.emissions]
            a = group[group["kpi"] == stated.activity]
            if e.empty or a.empty:
                continue
            findings.append(_stated_finding(stated, e.iloc[0], a.iloc[0]))
    return findings


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
        message = f"{head}; {e['printed']} fits only if truncated"
    else:
        message = (
            f"{head} ({in_unit_of(expected.low, e, 1)} to {in_unit_of(expected.high, e, 1)} allowing for "
            f"rounding), but {e['printed']} is printed"
        )
    return finding("stated_factor", severity, e, [e, a], expected, message)
