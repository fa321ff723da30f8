"""Stage: base-year recalculation (GHG Protocol Corporate Standard, chapter 5) from the
organisation's policy file (inputs/<org>/policy.yaml).

Every year from the base year on is computed under today's methods and factors (the run the
request asks for). Each recorded event is a trigger with a difference per year in the policy's
threshold figures (by default Scope 1 + Scope 2 location-based):
- an acquisition adds the entity's emissions to the years before it joined (the part of its
  year before the date, pro rata by days); a divestment removes them the same way;
- a change of method or factors is today's figure less the figure computed as it was then
  (factors published on or before `as_of_before`, or the set `factors_before`);
- a corrected error adds its stated difference to its year.
A trigger is significant when its base-year difference reaches the threshold's percent of the
base year; with `cumulative: true`, triggers also count together, in date order. The restated
series is today's plus every structural change and correction, beside the printed figures.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from pydantic import BaseModel

from carbon.disclose import check_paths, emission_paths, hkex_rules, published_row, published_table, total
from carbon.engine import InventoryRequest, RunResult, run_inventory
from carbon.errors import CarbonError, InputFileError, Problem
from carbon.models.files import ErrorCorrection, MethodChange, RestatementPolicy, StructuralChange
from carbon.models.inventory import InventoryYear
from carbon.models.loading import load_model

POLICY_FILE = "policy.yaml"
Event = StructuralChange | MethodChange | ErrorCorrection


class YearDifference(BaseModel):
    year: int
    tco2e: float


class Trigger(BaseModel):
    name: str
    kind: str
    date: str
    differences: list[YearDifference]  # in the threshold's figures, per year from the base year
    base_year_pct: float  # the base-year difference, % of the base year's threshold figures
    significant: bool  # on its own
    cumulative_pct: float  # with every trigger before it (date order)
    cumulative_significant: bool  # only when the policy counts changes together


class SeriesYear(BaseModel):
    year: int
    computed: float  # today's methods, factors and boundary
    restated: float  # plus structural changes and corrected errors
    printed: float | None  # the published figures of the same scopes, where printed
    printed_source: str | None


class Restatement(BaseModel):
    organisation: str
    base_year: int
    threshold_pct: float
    threshold_of: list[str]
    base_year_value: float
    cumulative: bool
    triggers: list[Trigger]
    restate_base_year: bool
    reason: str
    series: list[SeriesYear]


def load_policy(path: Path) -> RestatementPolicy:
    return load_model(path, RestatementPolicy, "base-year policy")


@dataclasses.dataclass(frozen=True)
class Restating:
    """What every trigger is computed against: today's request and years from the base year on,
    the threshold's figures, the policy file (for messages and relative paths), and the runs
    made so far by request (events that share a day's factors share a run)."""

    request: InventoryRequest
    years: dict[int, InventoryYear]
    of: list[str]
    file: str
    runs: dict[InventoryRequest, list[InventoryYear]] = dataclasses.field(default_factory=dict)

    def run(self, request: InventoryRequest, key: str, value: str) -> list[InventoryYear]:
        """The inventory years of a run the policy asks for (an entity's ledger, the factors of
        a day); a run that fails is the policy's problem, named by its key."""
        if request not in self.runs:
            try:
                self.runs[request] = run_inventory(request).inventory.years
            except CarbonError as error:
                problems = getattr(error, "problems", None)
                said = str(problems[0]) if problems else str(error).splitlines()[0]
                expected = f"inputs the inventory can be computed from (the run failed: {said})"
                raise InputFileError([Problem(self.file, None, None, value, expected, key=key)]) from None
        return self.runs[request]


def days_fraction(day: date) -> float:
    """The share of its year before `day` (1 January: 0)."""
    start, end = date(day.year, 1, 1), date(day.year + 1, 1, 1)
    return (day - start).days / (end - start).days


def entity_values(
    change: StructuralChange, key: str, years: list[int], context: Restating
) -> dict[int, float]:
    """The entity's threshold figures per year: given (the same every year) or from its ledger."""
    of = context.of
    if change.entity.emissions is not None:
        amount = sum(change.entity.emissions.get(path, 0.0) for path in of)
        return {year: amount for year in years}
    ledger = Path(context.file).parent / str(change.entity.ledger)  # relative to the policy file
    entity = dataclasses.replace(context.request, ledger=ledger)
    own = {y.year: y for y in context.run(entity, key, str(change.entity.ledger))}
    missing = [year for year in years if year not in own]
    if missing:
        listed = ", ".join(str(y) for y in sorted(own)) or "none"
        expected = f"rows for every year it is restated in ({listed} given)"
        raise InputFileError([Problem(str(ledger), None, "year", str(missing[0]), expected, key=key)])
    return {year: total(own[year], of) or 0.0 for year in years}


def inclusion_before(change: StructuralChange, years: list[int]) -> dict[int, float]:
    """The share of each year that precedes the change: the part a restatement adds (acquisition)
    or removes (divestment) to make the year match today's boundary."""
    return {
        year: 1.0
        if year < change.date.year
        else days_fraction(change.date)
        if year == change.date.year
        else 0.0
        for year in years
    }


def structural(
    change: StructuralChange, share: dict[int, float], values: dict[int, float]
) -> dict[int, float]:
    """The entity's figures for the part of each year before the change: added for an
    acquisition, removed for a divestment."""
    sign = 1.0 if change.kind == "acquisition" else -1.0
    return {year: sign * share[year] * values.get(year, 0.0) for year in share}


def method(change: MethodChange, key: str, context: Restating) -> dict[int, float]:
    """Today's figure less the figure computed with the factors of the day, for the years it changed."""
    request, years, of = context.request, context.years, context.of
    before_request = dataclasses.replace(
        request,
        as_of=change.as_of_before or request.as_of,
        factors=change.factors_before or request.factors,
    )
    before = {
        y.year: y for y in context.run(before_request, key, str(change.factors_before or change.as_of_before))
    }
    chosen = change.years or list(years)
    return {
        year: (total(years[year], of) or 0.0) - (total(before[year], of) or 0.0)
        if year in chosen and year in before
        else 0.0
        for year in years
    }


def published_keys() -> dict[str, list[str]]:
    """Published KPI keys of each inventory figure the HKEX rules print (scope1 -> ghg.scope1)."""
    return {item.path: item.published for item in hkex_rules().items if item.path is not None}


def printed_series(folder: Path, of: list[str], years: list[int]) -> dict[int, tuple[float, str]]:
    """The published figures of the threshold's scopes per year (the latest document's
    printing), where every one of them is printed."""
    table, keys, found = published_table(folder), published_keys(), {}
    for year in years:
        rows = [published_row(table, keys.get(path, []), year) for path in of]
        printed = [row for row in rows if row is not None]
        if len(printed) == len(rows):
            documents = ", ".join(sorted({str(row["document"]) for row in printed}))
            found[year] = (sum(float(row["value"]) for row in printed), documents)
    return found


def keyed_events(policy: RestatementPolicy) -> list[tuple[str, Event]]:
    """The policy's events with their keys in the file (events[1] ...)."""
    return [(f"events[{i}]", event) for i, event in enumerate(policy.events, start=1)]


def check_policy(policy: RestatementPolicy, years: dict[int, InventoryYear], file: str, as_of: date) -> None:
    """The policy against the inventory and --as-of: exit 2 naming each problem's key."""
    listed = ", ".join(str(y) for y in sorted(years)) or "none"
    if policy.base_year not in years:
        expected = f"a year the ledger has rows for ({listed})"
        raise InputFileError([Problem(file, None, None, str(policy.base_year), expected, key="base_year")])
    later = [y for y in years if y >= policy.base_year]
    check_events(keyed_events(policy), file, as_of, later, {"threshold.of": policy.threshold.of})


def check_events(
    events: Sequence[tuple[str, Event]], file: str, as_of: date, later: list[int], named: dict[str, list[str]]
) -> None:
    """Each event dated on or before --as-of, the years it names among `later` (from the base
    year on), and the figures it gives tCO2e figures, as those `named` by other keys."""
    within = f"a year from the base year on ({', '.join(map(str, later))})"
    problems = []
    for key, event in events:
        dates = [("date", event.date)]
        if isinstance(event, MethodChange) and event.as_of_before is not None:
            dates.append(("as_of_before", event.as_of_before))
        problems += [
            Problem(
                file, None, None, day.isoformat(), f"a date on or before --as-of {as_of}", key=f"{key}.{name}"
            )
            for name, day in dates
            if day > as_of  # an event not yet happened, or factors not yet published
        ]
        if isinstance(event, ErrorCorrection) and event.year not in later:
            problems.append(Problem(file, None, None, str(event.year), within, key=f"{key}.year"))
        if isinstance(event, MethodChange):
            problems += [
                Problem(file, None, None, str(year), within, key=f"{key}.years")
                for year in event.years or []
                if year not in later
            ]
    if problems:
        raise InputFileError(problems, f"{file} has problems")
    named = dict(named)
    for key, event in events:
        if isinstance(event, ErrorCorrection):
            named[f"{key}.difference"] = list(event.difference)
        elif isinstance(event, StructuralChange) and event.entity.emissions is not None:
            named[f"{key}.entity.emissions"] = list(event.entity.emissions)
    check_paths(named, emission_paths(), file, "a tCO2e figure of the inventory")


def trigger_differences(event: Event, key: str, context: Restating) -> dict[int, float]:
    """One event's difference per year in the threshold figures; `key` names it in the policy."""
    years = list(context.years)
    if isinstance(event, StructuralChange):
        share = inclusion_before(event, years)
        needed = [year for year, part in share.items() if part > 0]  # only years the change reaches
        return structural(event, share, entity_values(event, f"{key}.entity.ledger", needed, context))
    if isinstance(event, MethodChange):
        what = "as_of_before" if event.factors_before is None else "factors_before"
        return method(event, f"{key}.{what}", context)
    amount = sum(event.difference.get(path, 0.0) for path in context.of)
    return {year: amount if year == event.year else 0.0 for year in years}


def restate(
    request: InventoryRequest, policy: RestatementPolicy, policy_file: Path, result: RunResult | None = None
) -> Restatement:
    """Every trigger's difference per year, its significance alone and together, and the
    restated series beside the computed and printed ones; `result`: the request's run, if made."""
    file = str(policy_file)
    result = result if result is not None else run_inventory(request)
    all_years = {y.year: y for y in result.inventory.years}
    check_policy(policy, all_years, file, request.as_of)
    years = {year: y for year, y in sorted(all_years.items()) if year >= policy.base_year}
    of, percent, base = policy.threshold.of, policy.threshold.percent, policy.base_year
    base_value = total(years[base], of) or 0.0
    if base_value <= 0:
        expected = f"figures with emissions in the base year {base} (they sum to {base_value:g} tCO2e)"
        raise InputFileError([Problem(file, None, None, "+".join(of), expected, key="threshold.of")])
    ordered = sorted(keyed_events(policy), key=lambda pair: pair[1].date)  # stable: file order on a day
    triggers, running, context = [], 0.0, Restating(request, years, of, file)
    adjusted = {year: 0.0 for year in years}
    for key, event in ordered:
        differences = trigger_differences(event, key, context)
        if not isinstance(event, MethodChange):  # today's run already has today's methods
            adjusted = {year: adjusted[year] + differences[year] for year in years}
        running += differences[base]
        share, together = 100 * differences[base] / base_value, 100 * running / base_value
        triggers.append(
            Trigger(
                name=event.name,
                kind=event.kind,
                date=event.date.isoformat(),
                differences=[YearDifference(year=y, tco2e=d) for y, d in differences.items()],
                base_year_pct=share,
                significant=abs(share) >= percent,
                cumulative_pct=together,
                cumulative_significant=policy.cumulative and abs(together) >= percent,
            )
        )
    printed = printed_series(Path(request.ledger).parent, of, list(years))  # the organisation's tables
    series = [
        SeriesYear(
            year=year,
            computed=total(summary, of) or 0.0,
            restated=(total(summary, of) or 0.0) + adjusted[year],
            printed=printed[year][0] if year in printed else None,
            printed_source=printed[year][1] if year in printed else None,
        )
        for year, summary in years.items()
    ]
    below_zero = [(y.year, y.restated) for y in series if y.restated < 0]
    if below_zero:
        year, value = below_zero[0]
        expected = (
            f"events that leave every year's {' + '.join(of)} at 0 or more (restated {year}: {value:,.2f} "
            "tCO2e): a divested entity cannot have emitted more than the organisation"
        )
        raise InputFileError([Problem(file, None, None, str(year), expected, key="events")])
    restate_base, reason = verdict(triggers, policy)
    return Restatement(
        organisation=result.inventory.organisation,
        base_year=base,
        threshold_pct=percent,
        threshold_of=of,
        base_year_value=base_value,
        cumulative=policy.cumulative,
        triggers=triggers,
        restate_base_year=restate_base,
        reason=reason,
        series=series,
    )


def verdict(triggers: list[Trigger], policy: RestatementPolicy) -> tuple[bool, str]:
    alone = [t.name for t in triggers if t.significant]
    percent = f"{policy.threshold.percent:g}%"
    if alone:
        return True, f"{', '.join(alone)} alone move the base year by at least {percent}"
    if triggers and triggers[-1].cumulative_significant:
        return (
            True,
            f"together the changes move the base year by {triggers[-1].cumulative_pct:.2f}% "
            f"(at least {percent})",
        )
    if not triggers:
        return False, "no recorded event"
    counted = "together" if policy.cumulative else "each on its own (the policy does not count them together)"
    return False, f"below the {percent} threshold {counted}"
