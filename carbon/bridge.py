"""Year-over-year bridge: why total emissions (and emissions per employee) changed.

Additive LMDI-I (Ang 2005, "The LMDI approach to decomposition analysis: a practical
guide", Energy Policy 33). Each segment (activity x scope x category, one view of Scope 2)
has emissions E = A x F, with A the activity quantity and F = E / A the implied factor. For a
segment present in both years:

    dE = L(E1, E0) ln(A1/A0) + L(E1, E0) ln(F1/F0),   L(a, b) = (a - b) / (ln a - ln b)

which sums exactly to E1 - E0 because ln(A1/A0) + ln(F1/F0) = ln(E1/E0). For the intensity
E / P (P the headcount) a third term L(i1, i0) ln(P0/P1) is the headcount driver. Segments
that appear or disappear between the years (a scope first reported, an activity added or
stopped) go to the boundary driver whole; a factor that moves to or from zero goes whole to
the factor driver. The parts therefore sum to the change to floating-point precision.
"""

from __future__ import annotations

import math

import pandas as pd

from carbon.engine import InventoryResult
from carbon.errors import ScenarioError
from carbon.models.vocabulary import vocabulary

FACTOR_DRIVER = "emission factors"
BOUNDARY_DRIVER = "boundary: activities or scopes added or dropped"
HEADCOUNT_DRIVER = "headcount"


def log_mean(a: float, b: float) -> float:
    return a if a == b else (a - b) / (math.log(a) - math.log(b))


def _segments(result: InventoryResult, year: int, view: str) -> pd.DataFrame:
    """Per segment: emissions (tCO2e) and activity quantity of the covered activity."""
    covers = {a: spec.instrument_for or a for a, spec in vocabulary().activities.items()}
    lines = result.lines[result.lines["year"] == year].copy()
    lines = lines[(lines["scope"] != 2) | (lines["method"] == view)]
    lines["segment_activity"] = lines["activity"].astype(str).map(covers)
    lines["segment"] = (
        lines["segment_activity"]
        + " / scope "
        + lines["scope"].astype(str)
        + lines["category"].astype(str).map(lambda c: f" cat. {c}" if c else "")
    )
    emissions = lines.groupby(["segment", "segment_activity"], observed=True)["tco2e"].sum().reset_index()
    rows = result.rows[result.rows["year"] == year]
    activity = rows.groupby(rows["activity"].astype(str), observed=True)["quantity_canonical"].sum()
    emissions["activity"] = emissions["segment_activity"].map(activity).fillna(0.0)
    return emissions.set_index("segment")


def _decompose(
    before: pd.DataFrame, after: pd.DataFrame, p0: float = 1.0, p1: float = 1.0
) -> tuple[dict[str, float], float]:
    """Driver contributions to the change of sum(E) / P between two years, and that change."""
    parts: dict[str, float] = {}

    def add(driver: str, value: float) -> None:
        parts[driver] = parts.get(driver, 0.0) + value

    change = 0.0
    for segment in sorted(set(before.index) | set(after.index)):
        a0 = before.at[segment, "activity"] if segment in before.index else 0.0
        a1 = after.at[segment, "activity"] if segment in after.index else 0.0
        e0 = (before.at[segment, "tco2e"] if segment in before.index else 0.0) / p0
        e1 = (after.at[segment, "tco2e"] if segment in after.index else 0.0) / p1
        activity_name = (after if segment in after.index else before).at[segment, "segment_activity"]
        change += e1 - e0
        if e0 == 0 and e1 == 0:
            continue
        if a0 == 0 or a1 == 0:
            add(BOUNDARY_DRIVER, e1 - e0)  # segment appeared or disappeared
        elif e0 == 0 or e1 == 0:
            add(FACTOR_DRIVER, e1 - e0)  # factor moved to or from zero
        else:
            weight = log_mean(e1, e0)
            factor_ratio = (e1 * p1 / a1) / (e0 * p0 / a0)
            add(f"activity: {activity_name}", weight * math.log(a1 / a0))
            add(FACTOR_DRIVER, weight * math.log(factor_ratio))
            if p0 != p1:
                add(HEADCOUNT_DRIVER, weight * math.log(p0 / p1))
    for driver in (FACTOR_DRIVER, BOUNDARY_DRIVER):
        parts.setdefault(driver, 0.0)
    return parts, change


def bridge(result: InventoryResult, from_year: int, to_year: int, view: str = "location") -> dict:
    """Drivers of the change in total emissions and in emissions per employee between two years."""
    if view not in ("location", "market"):
        raise ScenarioError(f"view {view!r}: expected location or market")
    years = {y.year: y for y in result.inventory.years}
    for year in (from_year, to_year):
        if year not in years:
            raise ScenarioError(
                f"year {year} is not in the inventory (years: {', '.join(map(str, sorted(years)))})"
            )
    before, after = _segments(result, from_year, view), _segments(result, to_year, view)
    key = f"total_{view}"
    parts, _ = _decompose(before, after)
    change = getattr(years[to_year], key) - getattr(years[from_year], key)
    document = {
        "from": from_year,
        "to": to_year,
        "kpi": key,
        "change": change,
        "parts": [{"driver": d, "value": float(v)} for d, v in _ordered(parts)],
    }
    p0, p1 = years[from_year].employees, years[to_year].employees
    if p0 and p1:
        intensity_parts, _ = _decompose(before, after, float(p0), float(p1))
        intensity_key = "tco2e_per_employee" if view == "location" else "tco2e_per_employee_market"
        document["intensity"] = {
            "kpi": intensity_key,
            "change": getattr(years[to_year].intensity, intensity_key)
            - getattr(years[from_year].intensity, intensity_key),
            "parts": [{"driver": d, "value": float(v)} for d, v in _ordered(intensity_parts)],
        }
    _require_finite_parts(document)
    return document


def _require_finite_parts(document: dict) -> None:
    blocks = [document] + ([document["intensity"]] if "intensity" in document else [])
    if not all(math.isfinite(p["value"]) for block in blocks for p in block["parts"]):
        raise ScenarioError(
            f"bridge {document['from']} -> {document['to']}: an activity changes by so many orders of "
            "magnitude between the years that its contribution is not a finite number"
        )


def _rank(driver: str) -> tuple[int, str]:
    """Activities first, then factors, headcount and boundary."""
    order = (
        0
        if driver.startswith("activity:")
        else 1
        if driver == FACTOR_DRIVER
        else 2
        if driver == HEADCOUNT_DRIVER
        else 3
    )
    return order, driver


def _ordered(parts: dict[str, float]) -> list[tuple[str, float]]:
    return sorted(parts.items(), key=lambda item: _rank(item[0]))
