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

With the organisation's base-year policy (inputs/<org>/policy.yaml), the change is also split
into structural change and performance. An acquisition or divestment moves the share of a year
its entity is inside the boundary (pro rata by days, as `carbon restate` counts them); its part
is that move between the two years times the entity's emissions in the year of the event.
Performance is the rest, the entity's own change after the event included. The drivers above explain the whole
change, the entities' own rows included where the ledger has them.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from carbon.engine import InventoryResult
from carbon.errors import InputFileError, Problem, ScenarioError
from carbon.models.files import RestatementPolicy, StructuralChange
from carbon.models.inventory import InventoryYear
from carbon.models.vocabulary import vocabulary
from carbon.restate import Restating, check_events, entity_values, inclusion_before, keyed_events

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


def _given_total(event: StructuralChange, key: str, view: str, file: str) -> float:
    """An entity's given figures as the view's total: total_<view>, or the sum of its scopes. A
    Scope 2 figure of the other view only is refused, not read as 0."""
    given = event.entity.emissions or {}
    if f"total_{view}" in given:
        return given[f"total_{view}"]
    other = {"location": "market", "market": "location"}[view]
    if any(path in given for path in (f"scope2_{other}", f"total_{other}")) and f"scope2_{view}" not in given:
        expected = f"scope2_{view} or total_{view} for the {view}-based bridge (--view {view})"
        raise InputFileError(
            [Problem(file, None, None, ", ".join(given), expected, key=f"{key}.entity.emissions")]
        )
    return sum(given.get(path, 0.0) for path in ("scope1", f"scope2_{view}", "scope3"))


def structural_parts(
    result: InventoryResult,
    policy: RestatementPolicy,
    policy_file: Path,
    from_year: int,
    to_year: int,
    view: str,
) -> list[dict]:
    """Each acquisition's or divestment's part of the change in the view's total: the share of
    the year its entity was inside the boundary in `to_year` less that in `from_year`, times the
    entity's emissions in the year of the event (its own change after that is performance)."""
    file, years = str(policy_file), {y.year: y for y in result.inventory.years}
    of = ["scope1", f"scope2_{view}", "scope3"]
    context = Restating(result.request, years, of, file)
    parts = []
    # Only the acquisitions and divestments are the bridge's: the rest of the policy is restate's.
    events = [(key, e) for key, e in keyed_events(policy) if isinstance(e, StructuralChange)]
    check_events(events, file, result.request.as_of, list(years), {})
    for key, event in events:
        before = inclusion_before(event, [from_year, to_year])  # the share of a year before the date
        inside = {y: 1.0 - share if event.kind == "acquisition" else share for y, share in before.items()}
        moved = inside[to_year] - inside[from_year]
        value = 0.0
        if moved:  # an entity inside (or outside) the boundary in both years changed nothing
            year = reference_year(event)
            if event.entity.emissions is not None:
                emitted = _given_total(event, key, view, file)
            else:
                emitted = entity_values(event, f"{key}.entity.ledger", [year], context)[year]
            _within_the_organisation(event, key, emitted, inside, years, view, file)
            value = moved * emitted
        parts.append(
            {"event": event.name, "kind": event.kind, "date": event.date.isoformat(), "value": value}
        )
    return parts


def _within_the_organisation(
    event: StructuralChange,
    key: str,
    emitted: float,
    inside: dict[int, float],
    years: dict[int, InventoryYear],
    view: str,
    file: str,
) -> None:
    """An entity inside the boundary is part of the organisation: its share cannot exceed the
    organisation's total of that year."""
    for year, share in inside.items():
        total = getattr(years[year], f"total_{view}")
        if share * emitted > total * (1 + 1e-9):
            expected = (
                f"an entity within the organisation: {share * emitted:,.2f} tCO2e of it inside the "
                f"boundary in {year}, but the organisation's total_{view} is {total:,.2f}"
            )
            where = (
                f"{key}.entity.emissions" if event.entity.emissions is not None else f"{key}.entity.ledger"
            )
            raise InputFileError([Problem(file, None, None, f"{emitted:,.2f}", expected, key=where)])


def reference_year(event: StructuralChange) -> int:
    """The year whose emissions an event moves: its own, or the one before when it falls on
    1 January (the year a restatement, too, has the entity's figures for)."""
    own = event.date.year
    return own if inclusion_before(event, [own])[own] > 0 else own - 1


def bridge(
    result: InventoryResult,
    from_year: int,
    to_year: int,
    view: str = "location",
    policy: tuple[RestatementPolicy, Path] | None = None,
) -> dict:
    """Drivers of the change in total emissions and in emissions per employee between two years;
    with a base-year policy, also the change split into structural change and performance."""
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
    changes = structural_parts(result, *policy, from_year, to_year, view) if policy is not None else []
    if changes:  # a policy without acquisitions or divestments has no structural change to show
        moved = sum(part["value"] for part in changes)
        document["structural"] = {"parts": changes, "total": moved}
        document["performance"] = change - moved
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
