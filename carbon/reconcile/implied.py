"""Implied factors: printed emissions / printed activity, as an interval in t per MWh, compared
with the library's factor for the year (with a ledger), and attributed to a published series
and year: the factor set's own factors (MEE/NBS grid factors, IPCC fuel factors) and, for grid
electricity, the reference series of Hong Kong, Taiwan and the UK
(factors/reference/grid_series.csv).

A grid factor is called inconsistent only where the regions are known, every series of those
regions has a value for the figure's year or the three before it (reports use the latest
published factor, often two years old), and the implied factor lies outside all of them. Each
published value stands for its own rounding interval (0.49 for 0.485 to 0.495)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache

import pandas as pd
from pydantic import Field, field_validator

from carbon.calculate import gwp_values
from carbon.engine import RunResult
from carbon.factors import FACTOR_ATTRIBUTES, GLOBAL_REGION, FactorSet
from carbon.models.files import PublishedDocument, Strict, Text
from carbon.models.vocabulary import vocabulary
from carbon.paths import factors_root
from carbon.reconcile.figures import interval, levels, shown
from carbon.reconcile.findings import Finding, Severity, finding
from carbon.reconcile.intervals import Interval, decimals_of, parse_printed, rounding_interval
from carbon.reconcile.rules import ImpliedFactorRule, identities
from carbon.units import conversion_factor

# Reports apply the latest factor published before they were written. MEE/NBS publish about two
# years late, so a factor-set series covers a year with a value up to three years older; the
# reference series (utilities, DESNZ, Taiwan) publish yearly: a value for the year or the one before.
FACTOR_LAG_YEARS = 3
REFERENCE_LAG_YEARS = 1
# Gases whose factors are comparable with printed tCO2e over activity (CH4 and N2O are parts).
COMPARABLE_GASES = ["CO2", "CO2e"]
# Without a run, fuels' CH4 and N2O are weighted as the inventory's default does (DESIGN.md).
DEFAULT_GWP = "AR6"
# An implied factor that moves more than this between years while matching no series is a note.
DRIFT = 0.10


class SeriesRow(Strict):
    series_id: Text
    region: Text
    publisher: Text
    data_year: int = Field(ge=1990, le=2100)
    value: Text  # as published: its decimals are its precision
    unit: Text
    gas: Text
    basis: str
    source: Text
    locator: str
    confidence: Text
    notes: str = ""

    @field_validator("value")
    @classmethod
    def _a_factor(cls, value: str) -> str:
        parsed = parse_printed(value)
        if parsed is None or not 0 < parsed[0] < 10:
            raise ValueError("a factor in kg per kWh, as published (e.g. 0.39)")
        return value


@dataclass(frozen=True)
class GridFactor:
    """A published factor, as the rounding interval of its printed value, in t per MWh."""

    label: str
    region: str
    series: str  # what must cover a year before a verdict relies on it
    year: int
    interval: Interval
    lag: int  # a value this many years older than the figure still covers its year


@cache
def reference_series() -> tuple[GridFactor, ...]:
    """factors/reference/grid_series.csv (Hong Kong, Taiwan, UK), validated row by row."""
    with open(factors_root() / "reference" / "grid_series.csv", encoding="utf-8", newline="") as handle:
        rows = [SeriesRow.model_validate(r) for r in csv.DictReader(handle)]
    factors = []
    for r in rows:
        value, decimals, _ = parse_printed(r.value) or (0.0, 0, True)
        scale = conversion_factor(r.unit.replace(r.gas, ""), "t/MWh")
        label = f"{r.publisher} {r.data_year} ({r.value} {r.unit}, {r.confidence})"
        published = rounding_interval(value, decimals).scaled(scale)
        factors.append(GridFactor(label, r.region, r.region, r.data_year, published, REFERENCE_LAG_YEARS))
    return tuple(factors)


def factor_set_series(factor_set: FactorSet | None, activity: str, gwp_set: str) -> list[GridFactor]:
    """The factor set's own factors of `activity` in t CO2e per MWh: the components of one factor
    (CO2, CH4, N2O of a fuel, per region, year, method and kind) weighted by `gwp_set`, and its
    CO2 alone (reports that count CO2 only). The set is one series (a province without a factor
    of its own falls back to its grid or the nation)."""
    if factor_set is None or activity not in vocabulary().activities:
        return []
    weights = {"CO2e": 1.0, **gwp_values(factor_set, gwp_set)}
    factors = factor_set.factors
    rows = factors[(factors["activity"] == activity) & factors["gas"].isin(list(weights))]
    per_mwh = conversion_factor("MWh", vocabulary().activities[activity].canonical_unit)
    result = []
    keys = ["region", "data_year", "method", *FACTOR_ATTRIBUTES]
    for _, group in rows.groupby(keys, dropna=False, sort=False):
        parts = [group] if len(group) == 1 else [group, group[group["gas"] == "CO2"]]
        for part in (p for p in parts if not p.empty):
            result.append(_published(part, weights, per_mwh, factor_set.label, gwp_set))
    return result


def _published(
    rows: pd.DataFrame, weights: dict[str, float], per_mwh: float, series: str, gwp_set: str
) -> GridFactor:
    """One factor's components as a sum of their rounding intervals (each printed with its own
    precision), in t CO2e per MWh."""
    published = Interval(0.0, 0.0)
    for row in rows.itertuples():
        share = float(row.value_canonical) / float(row.value) * weights[row.gas] * per_mwh
        published = published + rounding_interval(float(row.value), decimals_of(float(row.value))).scaled(
            share
        )
    first = rows.iloc[0]
    label = f"{first['factor_id']} ({first['value']} {first['unit']})"
    if len(rows) > 1:
        gases = ", ".join(rows["gas"].iloc[1:])
        label = f"{first['factor_id']} with {gases} ({published.middle:.4f} t CO2e/MWh, {gwp_set})"
    return GridFactor(
        label, str(first["region"]), series, int(first["data_year"]), published, FACTOR_LAG_YEARS
    )


def _in_regions(region: str, wanted: set[str]) -> bool:
    """A factor of `region` serves the wanted regions: itself, a sub-region (CN-BJ of CN,
    HK-CLP of HK), or a GLOBAL default."""
    return (
        not wanted
        or region == GLOBAL_REGION
        or any(region == w or region.startswith(f"{w}-") for w in wanted)
    )


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
    source line, or a scope total of which the activity is all (per the ledger when it has
    lines that year, else per the document: no other source line of the scope printed above zero)."""
    if emissions in rule.source_lines:
        return True
    year = int(group["year"].iloc[0])
    if result is not None and bool(group["calendar"].iloc[0]):
        spec = vocabulary().activities[rule.factor_activity]
        lines = result.lines[(result.lines["year"] == year) & (result.lines["scope"] == spec.scope)]
        if not lines.empty:
            instruments = vocabulary().instruments
            covered = {
                rule.factor_activity,
                *(a for a, t in instruments.items() if t == rule.factor_activity),
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
    matched: bool = False  # a published factor lies within it
    blend: bool = False  # a whole-group figure of a table that also prints regional columns


@dataclass(frozen=True)
class Library:
    """What an implied factor is compared with: the run (if any) and the published factors."""

    result: RunResult | None
    candidates: list[GridFactor]


def check_implied_factors(
    table: pd.DataFrame,
    result: RunResult | None,
    documents: dict[str, PublishedDocument],
    factor_set: FactorSet | None = None,
) -> list[Finding]:
    """Every implied factor of the rules in identities.yaml, with its verdict; `factor_set`: the
    set whose factors are compared (default: the run's)."""
    findings = []
    usable = levels(table)
    factor_set = factor_set or (result.factor_set if result is not None else None)
    gwp_set = result.request.gwp if result is not None else DEFAULT_GWP
    for rule in identities().implied_factors:
        reference = reference_series() if rule.grid else ()
        library = Library(result, [*factor_set_series(factor_set, rule.factor_activity, gwp_set), *reference])
        by_region: dict[str, list[Implied]] = {}
        # Within a document, period and region: a SECR table prints emissions and energy apart.
        regional = usable[usable["region"] != ""]
        for _, group in usable.groupby(["document", "period", "region"], sort=False):
            implied = _implied(rule, group, result, regional)
            if implied is None:
                continue
            document = documents[str(implied.emissions["document"])]
            found, matched = _implied_finding(rule, implied, library, document)
            findings.append(found)
            by_region.setdefault(str(implied.emissions["region"]), []).append(
                Implied(implied.emissions, implied.activity, implied.interval, matched, implied.blend)
            )
        for implied_list in by_region.values():
            findings += _drift(rule, implied_list)
    return findings


def _implied(
    rule: ImpliedFactorRule, group: pd.DataFrame, result: RunResult | None, regional: pd.DataFrame
) -> Implied | None:
    activity_kpi = next((k for k in rule.activity if (group["kpi"] == k).any()), None)
    emissions_kpi = next((k for k in rule.emissions if (group["kpi"] == k).any()), None)
    if activity_kpi is None or emissions_kpi is None or not _sole_source(result, rule, emissions_kpi, group):
        return None
    e = group[group["kpi"] == emissions_kpi].iloc[0]
    a = group[group["kpi"] == activity_kpi].iloc[0]
    if a["low"] <= 0:
        return None  # zero activity printed: no factor is implied
    quotient = interval(e).divided_by(interval(a))
    blend = e["region"] == "" and bool(
        (
            (regional["document"] == e["document"])
            & (regional["period"] == e["period"])
            & (regional["kpi"] == e["kpi"])
        ).any()
    )
    return None if quotient is None else Implied(e, a, quotient, blend=blend)


def _implied_finding(
    rule: ImpliedFactorRule, implied: Implied, library: Library, document: PublishedDocument
) -> tuple[Finding, bool]:
    """The finding, and whether a published factor matched."""
    e, a, quotient = implied.emissions, implied.activity, implied.interval
    ratio = e["value"] * e["scale"] / (a["value"] * a["scale"])
    text = (
        f"{e['kpi']} {shown(e)} / {a['kpi']} {shown(a)} implies {ratio:.4f} t/MWh (kg/kWh) "
        f"(between {quotient.low:.5f} and {quotient.high:.5f} allowing for rounding)"
    )
    result = library.result
    own = _library_factors(result, rule.factor_activity, int(e["year"])) if result is not None else {}
    cells = [e, a]
    if any(quotient.contains(v) for v in own.values()):
        listing = ", ".join(f"{m or 'default'} {v:.4f}" for m, v in own.items())
        message = f"{text}; the library's factor ({listing}) reproduces it"
        return finding("implied_factor", "consistent", e, cells, quotient, message), True
    wanted = _regions_of(e, document, result, rule, library.candidates, implied.blend)
    series = [s for s in library.candidates if _in_regions(s.region, wanted)]
    uses = _uses(own, result)
    where = f" of {', '.join(sorted(wanted))}" if wanted else ""
    matches = [s for s in series if quotient.overlaps(s.interval)]
    if matches:
        names = "; ".join(s.label for s in matches[:4]) + (
            f" and {len(matches) - 4} more" if len(matches) > 4 else ""
        )
        severity: Severity = "note" if own else "consistent"
        return finding(
            "implied_factor", severity, e, cells, quotient, f"{text}; it matches {names}{uses}"
        ), True
    return _unmatched(rule, implied, series, wanted, text + uses, where), False


def _unmatched(
    rule: ImpliedFactorRule,
    implied: Implied,
    series: list[GridFactor],
    wanted: set[str],
    text: str,
    where: str,
) -> Finding:
    e, quotient = implied.emissions, implied.interval
    year = int(e["year"])
    window = [s for s in series if year - s.lag <= s.year <= year]
    gaps = sorted({s.series for s in series} - {s.series for s in window})
    cells = [e, implied.activity]
    if rule.grid and wanted and window and not gaps:
        low, high = min(s.interval.low for s in window), max(s.interval.high for s in window)
        if not quotient.overlaps(Interval(low, high)):
            direction = "high" if quotient.low > high else "low"
            first = min(s.year for s in window)
            message = (
                f"{text}; no {rule.factor_activity} factor{where} for {first}-{year} "
                f"({low:.4f} to {high:.4f}) is that {direction}: the printed figure does not follow from "
                "the official factors"
            )
            return finding("implied_factor", "inconsistent", e, cells, quotient, message)
    if not series:
        message = f"{text}; no {rule.factor_activity} factor series{where} to compare with"
    elif not wanted and rule.grid:
        message = (
            f"{text}; it matches no published factor the library has, and the grid it was bought from "
            "is not known (a regional column without a series of its own, or a blend of several grids)"
        )
    elif gaps and rule.grid:
        message = (
            f"{text}; it matches no published factor{where} the library has, and {', '.join(gaps)} has no "
            f"value for {year} or shortly before to judge it by"
        )
    else:
        message = (
            f"{text}; it matches no published factor{where} of any year: the report's factor or method "
            "differs and is not disclosed"
        )
    return finding("implied_factor", "note", e, cells, quotient, message)


def _regions_of(
    row: pd.Series,
    document: PublishedDocument,
    result: RunResult | None,
    rule: ImpliedFactorRule,
    candidates: list[GridFactor],
    blend: bool,
) -> set[str]:
    """The grid regions a printed figure's factor should come from: a regional column's own
    series (UK), or for the whole group the document's grid_regions, else the ledger's regions.
    Empty when unknown (a column without a series, a group total over regional columns): every
    series is compared, and nothing is called inconsistent."""
    if not rule.grid or blend:
        return set()  # fuel factors are not regional; a group figure over regional columns blends grids
    region = str(row["region"])
    if region:  # a regional column: its own series, or unknown (Mainland China under a HK document)
        has_series = any(c.region != GLOBAL_REGION and _in_regions(c.region, {region}) for c in candidates)
        return {region} if has_series else set()
    return set(document.grid_regions) or _ledger_regions(result, rule.factor_activity)


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


def _drift(rule: ImpliedFactorRule, implied: list[Implied]) -> list[Finding]:
    """Implied factors that match no published factor and move by more than DRIFT between
    years: a note that the report's factor or method changed."""
    unmatched = sorted((i for i in implied if not i.matched), key=lambda i: int(i.emissions["year"]))
    by_period = {str(i.emissions["period"]): i for i in unmatched}
    if len(by_period) < 2:
        return []
    lowest = min(by_period.values(), key=lambda i: i.interval.low)
    highest = max(by_period.values(), key=lambda i: i.interval.low)
    if highest.interval.low <= (1 + DRIFT) * lowest.interval.high:
        return []
    listing = ", ".join(f"{p}: {i.interval.middle:.4f}" for p, i in by_period.items())
    row = highest.emissions
    message = (
        f"the implied {rule.factor_activity} factor varies across years ({listing}) by more than "
        f"{DRIFT:.0%} and matches no published factor: the report's factor or method changed between years"
    )
    return [finding("implied_factor", "note", row, [row], None, message)]
