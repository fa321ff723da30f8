"""What-if scenarios and pathways: levers applied to a base year, recomputed by the engine.

A lever changes the base year's activity rows (scale, cover with instruments, replace one
activity's energy with another's, reroute), its factors (scale, vintage) or its organisation
metrics, or scales a Scope 3 category. Levers apply in the order given; after each the
inventory year is recomputed, so each lever's contribution is the change it made, and the
contributions add up to the total change. Levers, their kinds, ranges and the activities they
act on are data (carbon/data/levers.yaml, and <activity>.scale for every scalable activity of
the vocabulary); this module knows only the kinds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field

from carbon.calculate import market_of
from carbon.engine import InventoryResult, lines_for
from carbon.errors import FactorNotFound, ScenarioError
from carbon.factors import SELECTION_KEY, FactorSet
from carbon.inventory import (
    aggregate_lines,
    aggregate_rows,
    energy_mwh_multiplier,
    year_summaries,
)
from carbon.ledger import Organisation
from carbon.models.files import Number, ScenarioFile, Strict, Text
from carbon.models.inventory import InventoryYear
from carbon.models.loading import load_model, validate
from carbon.models.vocabulary import vocabulary
from carbon.paths import data_file
from carbon.periods import LAST_YEAR
from carbon.suggest import did_you_mean
from carbon.units import conversion_factor

# Each lever recomputes the inventory; a scenario of hundreds is a mistake, not a plan.
MAX_LEVERS = 50


class LeverSpec(Strict):
    kind: Literal["scale", "cover", "replace", "reroute", "metric", "factors", "vintage", "category", "ratio"]
    help: Text
    min: Number | None = None
    max: Number | None = None
    activity: str | None = None
    activities: list[str] = Field(default_factory=list)
    instrument: str | None = None
    to: str | None = None
    ratio: str | None = None
    attribute: str | None = None
    class_of: str | None = None
    class_: str | None = Field(default=None, alias="class")
    retype: dict[str, str] = Field(default_factory=dict)
    values: list[str] = Field(default_factory=list)
    metric: str | None = None


class ScaleRange(Strict):
    min: Number
    max: Number


class LeverFile(Strict):
    levers: dict[str, LeverSpec]
    scale: ScaleRange
    pathway_rates: dict[str, str] = Field(default_factory=dict)


@cache
def _lever_file() -> LeverFile:
    return validate(data_file("levers.yaml"), LeverFile, "carbon/data/levers.yaml")


def lever_specs() -> dict[str, LeverSpec]:
    """Every lever: <activity>.scale for each scalable activity of the vocabulary, then levers.yaml's."""
    file = _lever_file()
    generated = {
        f"{name}.scale": LeverSpec(
            kind="scale",
            activity=name,
            min=file.scale.min,
            max=file.scale.max,
            help=f"multiply {name} ({spec.description})",
        )
        for name, spec in vocabulary().activities.items()
        if spec.scalable
    }
    return {**generated, **file.levers}


def pathway_rates() -> dict[str, str]:
    """{rate name: the scale lever it compounds}: one per scalable activity, plus levers.yaml's."""
    generated = {name: f"{name}.scale" for name, spec in vocabulary().activities.items() if spec.scalable}
    return {**generated, **_lever_file().pathway_rates}


@dataclass(frozen=True)
class Lever:
    name: str
    value: float | str


@dataclass(frozen=True)
class State:
    """Everything a lever may change, for one base year."""

    rows: pd.DataFrame
    factor_set: FactorSet
    metrics: pd.DataFrame
    category_scale: dict[str, float] = field(default_factory=dict)


# ---------------------------------------------------------------- parsing and validation


def _allowed(spec: LeverSpec) -> str:
    if spec.kind == "reroute":
        word = (spec.attribute or "value").upper()
        return f"{word} or {word}:SHARE, one of {', '.join(spec.values)}"
    return f"{spec.min:g} to {spec.max:g}"


def valid_levers_text() -> str:
    return "valid levers:\n" + "\n".join(
        f"  {name} = {_allowed(spec)}: {spec.help}" for name, spec in lever_specs().items()
    )


def lever_list() -> list[dict]:
    """Every lever with its kind and range (`carbon vocab levers`)."""
    return [
        {"lever": name, "kind": spec.kind, "range": _allowed(spec), "meaning": spec.help}
        for name, spec in lever_specs().items()
    ]


def _kind(name: str) -> str:
    spec = _spec_for(name)
    return spec.kind if spec else ""


def _spec_for(name: str) -> LeverSpec | None:
    levers = lever_specs()
    if name in levers:
        return levers[name]
    match = re.fullmatch(r"scope3\.(\w+)\.scale", name)
    if match and match.group(1) in vocabulary().scope3_categories:
        return levers["scope3.<category>.scale"]
    return None


def parse_lever(name: str, raw, numbers_as_text: bool = True) -> Lever:
    """A lever and its value, checked against levers.yaml. `numbers_as_text` is True for
    --set (every value is text) and False for YAML, where a number must be written as one."""
    name = str(name).strip()
    spec = _spec_for(name)
    if spec is None:
        known = [n for n in lever_specs() if "<" not in n]
        raise ScenarioError(f"unknown lever '{name}'{did_you_mean(name, known)}\n{valid_levers_text()}")
    if spec.kind == "reroute":
        target, _, share = str(raw).partition(":")
        share_value = _number(name, share or "1", 0, 1)
        if target not in spec.values:
            raise ScenarioError(
                f"lever {name}: {spec.attribute} '{target}' is not one of {', '.join(spec.values)}"
                f"\n{valid_levers_text()}"
            )
        return Lever(name, f"{target}:{share_value:g}")
    assert spec.min is not None and spec.max is not None, f"levers.yaml: {name} has no range"
    if isinstance(raw, str) and not numbers_as_text:
        raise ScenarioError(
            f"lever {name}: expected a number from {spec.min} to {spec.max}, not the text {raw!r}"
        )
    value = _number(name, raw, spec.min, spec.max)
    if spec.kind == "vintage":
        if value != int(value):
            raise ScenarioError(f"lever {name}: expected a year such as 2022, got {raw!r}")
        value = int(value)
    return Lever(name, value)


# Numbers typed on the command line: plain ASCII decimals (Python's float() would also take
# '1_0', full-width digits and 'infinity').
PLAIN_NUMBER = re.compile(r"^\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\s*$")


def _number(name: str, raw, low: float, high: float) -> float:
    if isinstance(raw, bool):
        raise ScenarioError(
            f"lever {name}: expected a number from {low} to {high}, got the boolean {str(raw).lower()}"
        )
    if isinstance(raw, str) and not PLAIN_NUMBER.match(raw):
        raise ScenarioError(f"lever {name}: expected a number from {low} to {high} such as 0.3, got {raw!r}")
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ScenarioError(
            f"lever {name}: expected a number from {low} to {high}, got {raw!r}\n{valid_levers_text()}"
        ) from None
    if not (low <= value <= high) or np.isnan(value):
        raise ScenarioError(
            f"lever {name}: {raw} is out of range (expected {low} to {high})\n{valid_levers_text()}"
        )
    return value


def parse_set_options(options: list[str]) -> list[Lever]:
    levers = []
    for option in options:
        name, sep, raw = option.partition("=")
        if not sep:
            raise ScenarioError(
                f"--set {option!r}: expected LEVER=VALUE such as some.lever=0.3\n{valid_levers_text()}"
            )
        levers.append(parse_lever(name, raw))
    return levers


def check_requirements(levers: list[Lever]) -> None:
    names = {lever.name for lever in levers}
    for lever in levers:
        spec = _spec_for(lever.name)
        required = spec.ratio if spec else None
        if required and required not in names:
            raise ScenarioError(
                f"lever {lever.name} needs {required} too (state your assumption, e.g. --set {required}=0.3)"
            )


def load_scenario_file(path: Path) -> dict:
    """A scenario YAML (the ScenarioFile model): base_year (optional), levers {name: value},
    pathway (optional). Lever names and values are checked against levers.yaml."""
    model = load_model(Path(path), ScenarioFile, "scenario")
    data = model.model_dump(exclude_none=True)
    try:
        data["levers"] = [
            parse_lever(name, value, numbers_as_text=False) for name, value in model.levers.items()
        ]
    except ScenarioError as error:
        raise ScenarioError(f"{path}, key 'levers': {error}") from None
    return data


# ---------------------------------------------------------------- applying levers


def _recanonicalise(rows: pd.DataFrame) -> pd.DataFrame:
    rows["basis_quantity"] = rows["quantity"] * rows["basis_multiplier"]
    rows["quantity_canonical"] = rows["quantity"] * rows["canonical_multiplier"]
    return rows


def _scale_activity(state: State, activities: list[str], factor: float) -> State:
    rows = state.rows.copy()
    mask = rows["activity"].isin(activities)
    rows.loc[mask, "quantity"] = rows.loc[mask, "quantity"] * factor
    return replace(state, rows=_recanonicalise(rows))


def _added_rows(template: pd.Series, records: list[dict], unit: str) -> pd.DataFrame:
    """Rows a lever adds (instruments, replacement energy) in `unit`, the activity's canonical
    unit, built on an existing row's columns."""
    base = {column: template[column] for column in template.index}
    base.update({attribute: "" for attribute in vocabulary().attributes})
    base.update(
        basis_multiplier=1.0,
        canonical_multiplier=1.0,
        is_canonical=True,
        unit=unit,
        canonical_unit=unit,
        ledger_row=0,
        data_quality="scenario",
        quality_class="unspecified",
        conversion="scenario",
    )
    return _recanonicalise(pd.DataFrame([{**base, **record} for record in records]))


def _concat(rows: pd.DataFrame, added: pd.DataFrame) -> pd.DataFrame:
    combined = pd.concat(
        [rows.astype({c: "object" for c in rows.select_dtypes("category")}), added], ignore_index=True
    )
    return combined


def _cover(state: State, lever: str, spec: LeverSpec, share: float) -> State:
    """Instruments so that `share` of each market's use of the activity is covered (instruments
    already held count)."""
    assert spec.activity and spec.instrument
    rows = state.rows
    markets = rows["region"].astype(str).map(market_of(state.factor_set))
    use = rows["activity"] == spec.activity
    held_kinds = [a for a, target in vocabulary().instruments.items() if target == spec.activity]
    held = rows["activity"].isin(held_kinds)
    records = []
    for market in sorted(markets[use].unique()):
        consumed = rows.loc[use & (markets == market), "quantity_canonical"].sum()
        extra = max(0.0, share * consumed - rows.loc[held & (markets == market), "quantity_canonical"].sum())
        if extra > 0:
            records.append(
                {
                    "record_id": f"scenario:{lever}:{market}",
                    "activity": spec.instrument,
                    "region": market,
                    "quantity": extra,
                    "instrument": f"scenario {spec.instrument}",
                    "site": "scenario",
                    "source": f"scenario lever {lever}={share:g}",
                }
            )
    if not records:
        return state
    unit = vocabulary().activity(spec.instrument).canonical_unit
    return replace(state, rows=_concat(rows, _added_rows(rows[use].iloc[0], records, unit)))


def _replace(state: State, lever: str, spec: LeverSpec, share: float, ratio: float) -> State:
    """Move `share` of the activities' energy to activity `to`, at `ratio` MWh per MWh replaced."""
    assert spec.to
    rows = state.rows.copy()
    moving = rows["activity"].isin(spec.activities)
    if not moving.any():
        return state
    unit = vocabulary().activity(spec.to).canonical_unit
    replaced = (
        rows.loc[moving, "quantity"]
        * energy_mwh_multiplier(rows)[moving]
        * share
        * conversion_factor("MWh", unit)
    )
    records = [
        {
            "record_id": f"scenario:{lever}:{record}",
            "activity": spec.to,
            "region": region,
            "site": site,
            "quantity": quantity * ratio,
            "source": f"scenario lever {lever}={share:g} at {ratio:g} MWh/MWh",
        }
        for record, region, site, quantity in zip(
            rows.loc[moving, "record_id"],
            rows.loc[moving, "region"],
            rows.loc[moving, "site"],
            replaced,
            strict=True,
        )
    ]
    rows.loc[moving, "quantity"] = rows.loc[moving, "quantity"] * (1 - share)
    rows = _recanonicalise(rows)
    return replace(state, rows=_concat(rows, _added_rows(rows[moving].iloc[0], records, unit)))


def _reroute(state: State, lever: str, spec: LeverSpec, value: str) -> State:
    """Move a share of the activity's rows of one class to another attribute value (route).

    Values the new route has no factor for are retyped as the lever says (e.g. a company-level
    type standing for a proxy becomes the proxy's own type), so the moved rows match a factor.
    """
    assert spec.activity and spec.attribute and spec.class_of
    target, share_text = value.split(":")
    share = float(share_text)
    rows = state.rows
    classes = rows[spec.class_of].astype(str).map(vocabulary().classes(spec.class_of))
    moving = (rows["activity"] == spec.activity) & (classes == spec.class_) & (rows[spec.attribute] != target)
    if not moving.any():
        return state
    moved = rows[moving].copy()
    moved["record_id"] = f"scenario:{lever}:" + moved["record_id"].astype(str)
    moved["quantity"] = moved["quantity"] * share
    moved[spec.attribute] = target
    moved[spec.class_of] = moved[spec.class_of].astype(str).replace(spec.retype)
    kept = rows.copy()
    kept.loc[moving, "quantity"] = kept.loc[moving, "quantity"] * (1 - share)
    return replace(state, rows=_concat(_recanonicalise(kept), _recanonicalise(moved)))


def _scale_metric(state: State, metric: str, factor: float) -> State:
    metrics = state.metrics.copy()
    metrics[metric] = metrics[metric] * factor
    return replace(state, metrics=metrics)


def _scale_factors(state: State, activities: list[str], factor: float) -> State:
    factors = state.factor_set.factors.copy()
    chosen = factors["activity"].isin(activities)
    factors.loc[chosen, "value_canonical"] = factors.loc[chosen, "value_canonical"] * factor
    return replace(state, factor_set=replace(state.factor_set, factors=factors))


def _vintage(state: State, year: int) -> State:
    """Keep only data year `year` in every vintaged factor series that has it."""
    factors = state.factor_set.factors
    series = [c for c in SELECTION_KEY if c != "data_year"]
    has_year = (
        factors.assign(hit=factors["data_year"] == year).groupby(series, dropna=False)["hit"].transform("any")
    )
    keep = ~factors["vintaged"] | ~has_year | (factors["data_year"] == year)
    if not (has_year & factors["vintaged"]).any():
        raise ScenarioError(
            f"lever factors.vintage={year}: {state.factor_set.label} has no factors of data year {year}"
        )
    return replace(state, factor_set=replace(state.factor_set, factors=factors[keep].copy()))


def apply_lever(state: State, lever: Lever, parameters: dict[str, float]) -> State:
    """One lever applied to the state, by its kind (levers.yaml)."""
    spec = _spec_for(lever.name)
    assert spec is not None, f"lever {lever.name} was parsed, so it exists"
    name, value = lever.name, lever.value
    if spec.kind == "scale":
        return _scale_activity(state, [spec.activity] if spec.activity else spec.activities, float(value))
    if spec.kind == "cover":
        return _cover(state, name, spec, float(value))
    if spec.kind == "replace":
        assert spec.ratio
        return _replace(state, name, spec, float(value), parameters[spec.ratio])
    if spec.kind == "reroute":
        return _reroute(state, name, spec, str(value))
    if spec.kind == "metric":
        assert spec.metric
        return _scale_metric(state, spec.metric, float(value))
    if spec.kind == "factors":
        return _scale_factors(state, spec.activities, float(value))
    if spec.kind == "vintage":
        return _vintage(state, int(value))
    if spec.kind == "category":
        return replace(state, category_scale={**state.category_scale, name.split(".")[1]: float(value)})
    raise ScenarioError(
        f"lever {name}: kind {spec.kind} is a parameter of another lever, not applied on its own"
    )


# ---------------------------------------------------------------- evaluation


def evaluate(state: State, year: int, gwp: str, as_of: date, levers: str = "") -> InventoryYear:
    """The inventory year (the contract's InventoryYear) for a state. Rows a lever produced that have no
    factor are the lever's problem, not the ledger's."""
    try:
        rows, lines = lines_for(
            state.rows.drop(columns=["key_id"], errors="ignore"), state.factor_set, gwp, as_of
        )
    except FactorNotFound as error:
        raise ScenarioError(
            f"{levers or 'the base year'}: no emission factor for rows the levers produce "
            f"({error.problems[0].value}): {error.problems[0].expected}"
        ) from None
    for category, factor in state.category_scale.items():
        mask = (lines["scope"] == 3) & (lines["category"].astype(str) == category)
        lines.loc[mask, ["emissions_t_gas", "tco2e"]] = lines.loc[mask, ["emissions_t_gas", "tco2e"]] * factor
    return year_summaries(
        aggregate_lines(lines), aggregate_rows(rows), Organisation(metrics=state.metrics, file="scenario")
    )[0]


def flatten(summary: InventoryYear | dict, prefix: str = "") -> dict[str, float | None]:
    """Every figure of an inventory year by its dotted key (intensity.tco2e_per_employee)."""
    flat: dict[str, float | None] = {}
    values = summary.model_dump() if isinstance(summary, InventoryYear) else summary
    for key, value in values.items():
        if key == "year":
            continue
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _changes(before: InventoryYear, after: InventoryYear) -> dict[str, float | None]:
    a, b = flatten(before), flatten(after)
    return {k: _difference(a.get(k), b.get(k)) for k in sorted(set(a) | set(b))}


def _difference(before: float | None, after: float | None) -> float | None:
    return None if before is None or after is None else after - before


def base_state(result: InventoryResult, year: int) -> State:
    years = sorted(int(y) for y in result.rows["year"].unique())
    if year not in years:
        raise ScenarioError(f"base year {year} is not in the ledger (years: {', '.join(map(str, years))})")
    rows = result.rows[result.rows["year"] == year].copy()
    return State(rows=rows, factor_set=result.factor_set, metrics=result.organisation.metrics.copy())


def _split_parameters(levers: list[Lever]) -> tuple[list[Lever], dict[str, float]]:
    check_requirements(levers)
    parameters = {lever.name: float(lever.value) for lever in levers if _kind(lever.name) == "ratio"}
    return [lever for lever in levers if lever.name not in parameters], parameters


def run_scenario(result: InventoryResult, levers: list[Lever], base_year: int) -> dict:
    """Base vs scenario for every KPI and each lever's contribution, in the order applied."""
    if len(levers) > MAX_LEVERS:
        raise ScenarioError(
            f"at most {MAX_LEVERS} levers in one scenario (found {len(levers)}); each is a recomputation"
        )
    applied, parameters = _split_parameters(levers)
    request = result.request
    state = base_state(result, base_year)
    base = evaluate(state, base_year, request.gwp, request.as_of)
    contributions, previous = [], base
    for lever in applied:
        state = apply_lever(state, lever, parameters)
        current = evaluate(state, base_year, request.gwp, request.as_of, f"lever {lever.name}={lever.value}")
        contributions.append(
            {"lever": lever.name, "value": lever.value, "changes": _changes(previous, current)}
        )
        previous = current
    comparison = {}
    for key, before in flatten(base).items():
        after = flatten(previous).get(key)
        delta = None if before is None or after is None else after - before
        comparison[key] = {
            "base": before,
            "scenario": after,
            "delta": delta,
            "pct": None if delta is None or not before else delta / before * 100,
        }
    return {
        "base_year": base_year,
        "base": base.model_dump(),
        "scenario": previous.model_dump(),
        "levers": [{"lever": lever.name, "value": lever.value} for lever in levers],
        "parameters": parameters,
        "contributions": contributions,
        "comparison": comparison,
    }


# ---------------------------------------------------------------- pathways


def _ramp_value(points: dict, year: int) -> float:
    """Linear interpolation between ramp points {year: value}; flat before the first and after the last."""
    years = sorted(int(y) for y in points)
    values = [float(points[y] if y in points else points[str(y)]) for y in years]
    return float(np.interp(year, years, values))


def run_pathway(result: InventoryResult, scenario: dict, to_year: int) -> dict:
    """Year-by-year projection from the base year under annual rates and lever ramps, against a target."""
    pathway = scenario.get("pathway") or {}
    base_year = int(scenario.get("base_year") or max(int(y) for y in result.rows["year"].unique()))
    if not base_year < to_year <= LAST_YEAR:
        raise ScenarioError(
            f"--to {to_year}: expected a year after the base year {base_year} and not after {LAST_YEAR}"
        )
    rate_levers = pathway_rates()
    rates = pathway.get("rates") or {}
    unknown = set(rates) - set(rate_levers)
    if unknown:
        raise ScenarioError(
            f"pathway rates {', '.join(sorted(unknown))} unknown: use {', '.join(rate_levers)} (annual "
            f"fractions, e.g. -0.03)"
        )
    ramps = {name: _ramp_points(name, points) for name, points in (pathway.get("ramps") or {}).items()}
    target = pathway.get("target") or {}
    static, parameters = _split_parameters(scenario.get("levers", []) + [Lever(n, 0.0) for n in ramps])
    static = [lever for lever in static if lever.name not in ramps]
    request = result.request
    base_state_ = base_state(result, base_year)
    base = evaluate(base_state_, base_year, request.gwp, request.as_of)
    target_value, metric = _target(target, base)
    years, first_met = [], None
    for year in range(base_year, to_year + 1):
        elapsed = year - base_year
        levers = list(static) + [
            _compounded(rate_levers[k], k, float(r), elapsed, year) for k, r in rates.items()
        ]
        year_parameters = dict(parameters)
        for name, points in ramps.items():
            lever = parse_lever(name, _ramp_value(points, year))
            if _kind(name) == "ratio":
                year_parameters[name] = float(lever.value)
            else:
                levers.append(lever)
        state = base_state_
        for lever in levers:
            state = apply_lever(state, lever, year_parameters)
        summary = evaluate(state, base_year, request.gwp, request.as_of, f"the pathway in {year}")
        value = flatten(summary).get(metric)
        gap = None if value is None or target_value is None else value - target_value
        met = gap is not None and gap <= 0
        if met and first_met is None and year > base_year:
            first_met = year
        years.append(
            {
                "year": year,
                "total_location": summary.total_location,
                "total_market": summary.total_market,
                "tco2e_per_employee": summary.intensity.tco2e_per_employee,
                metric: value,
                "target": target_value,
                "gap": gap,
                "met": met,
            }
        )
    return {
        "base_year": base_year,
        "to": to_year,
        "metric": metric,
        "target": target,
        "target_value": target_value,
        "rates": rates,
        "ramps": ramps,
        "years": years,
        "first_year_met": first_met,
    }


def _ramp_points(name: str, points: dict) -> dict[int, float]:
    """A ramp's points, each checked as a value of its lever; only numeric levers can ramp."""
    spec = _spec_for(name)
    if spec is None:
        parse_lever(name, 0)  # raises: unknown lever, with suggestions
        raise AssertionError(name)
    if spec.kind in ("reroute", "vintage"):
        raise ScenarioError(
            f"pathway.ramps.{name}: a ramp interpolates numbers between years; give {name} a fixed value "
            "under levers: instead"
        )
    checked = {}
    for year, value in points.items():
        try:
            checked[int(year)] = float(parse_lever(name, value, numbers_as_text=False).value)
        except ScenarioError as error:
            raise ScenarioError(f"pathway.ramps.{name}.{year}: {str(error).splitlines()[0]}") from None
    if not checked:
        raise ScenarioError(f"pathway.ramps.{name}: expected at least one year: value point")
    return checked


def _compounded(lever: str, rate_name: str, rate: float, elapsed: int, year: int) -> Lever:
    """The scale a pathway rate reaches after `elapsed` years, within the lever's range."""
    scale = (1 + rate) ** elapsed
    try:
        return parse_lever(lever, scale)
    except ScenarioError:
        spec = _spec_for(lever)
        assert spec is not None
        raise ScenarioError(
            f"pathway.rates.{rate_name} = {rate:g} compounds to a scale of {scale:.4g} by {year}, outside "
            f"{lever}'s range {spec.min:g} to {spec.max:g}: lower the rate or project to an earlier year"
        ) from None


def _target(target: dict, base: InventoryYear) -> tuple[float | None, str]:
    if not target:
        return None, "total_location"
    kind = target.get("type")
    metrics = [k for k, v in flatten(base).items() if isinstance(v, (int, float)) or v is None]
    default = "total_location" if kind == "absolute_reduction" else "intensity.tco2e_per_employee"
    metric = target.get("metric", default)
    if metric not in metrics:
        raise ScenarioError(
            f"pathway target metric {metric!r}: expected one of "
            f"{', '.join(metrics)}{did_you_mean(metric, metrics)}"
        )
    if kind == "absolute_reduction":
        if target.get("reduction") is None:
            raise ScenarioError(
                "pathway target of type absolute_reduction needs reduction: a fraction from 0 to 1 (0.3 = "
                "30% below the base year)"
            )
        value = flatten(base)[metric]
        if value is None:
            raise ScenarioError(f"pathway target metric {metric}: the base year has no value for it (n/a)")
        return value * (1 - float(target["reduction"])), metric
    if target.get("value") is None:
        raise ScenarioError("pathway target of type intensity needs value: the target figure of the metric")
    return float(target["value"]), metric
