"""How much each inventory figure may move: a 95% interval per figure and year, by error
propagation (IPCC 2006 Vol. 1 ch. 3 Approach 1, as the GHG Protocol uncertainty tool does it)
and by a seeded Monte Carlo (Approach 2), both over aggregates, never over ledger rows.

A source is a group of emission lines with one year, scope, method, activity, factor, gas and
data-quality class. carbon/data/uncertainty.yaml gives each error a cited half-width. An error is
shared by every source it touches, and different errors are independent:
- the quantity of one activity, year and data-quality class (the CO2, CH4 and N2O lines of the
  same litres of gasoline; every bill read the same way). It scales the source's tCO2e before
  instruments: a market-based line of 1,000 MWh with 900 MWh of certificates emits for 100 MWh,
  but 5% more electricity is 50 MWh more at the residual factor (certificates are exact counts);
- a factor (one factor id and gas: the same grid factor applied to twelve monthly bills is wrong
  by the same amount in each), by its confidence grade;
- a GWP (one gas: every CH4 line shares the CH4 GWP), for gases other than CO2 and CO2e.
The Monte Carlo draws the same errors as normal distributions (mean 1, sigma = half-width /
1.96), so the half-widths of the two methods differ by sampling and by the product terms that
propagation leaves out; `agreement_percent` in the data file is how far. With large half-widths
the product of errors is skewed: the Monte Carlo bounds then sit higher than propagation's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

from carbon.models.inventory import FigureUncertainty, Interval
from carbon.models.uncertainty import (
    OTHER_VALUES,
    RULES_FILE,
    Cited,
    Figure,
    UncertaintyRules,
    uncertainty_rules,
)
from carbon.suggest import did_you_mean

Z95 = NormalDist().inv_cdf(0.975)
SOURCE_KEY = ["year", "scope", "method", "activity", "factor_id", "gas", "factor_confidence", "quality_class"]
PROPAGATION = "error propagation (IPCC 2006 Vol. 1 ch. 3, Approach 1)"
# Notes name at most this many unlisted data_quality values.
NAMED_IN_NOTES = 20


def half_width_95(cited: Cited) -> float:
    """A cited half-width as a fraction of the 95% interval (a 90% one is widened by z ratio)."""
    z = NormalDist().inv_cdf(0.5 + cited.level_percent / 200)
    return cited.half_width_percent / 100 * Z95 / z


@dataclass(frozen=True)
class SharedError:
    """One kind of shared error: the column numbering its groups, the column of its 95%
    half-width (a fraction), and the column of the tCO2e it scales."""

    kind: str
    label: str  # the groups are named label + number in the workbook (Q3, F7, G1)
    key: list[str]  # what the sources sharing one error have in common
    group: str
    half_width: str
    scales: str


# The rows of one activity, year and class are taken as wrong together (a meter-reading or
# estimating practice); so are the lines of one factor, and those of one gas for its GWP.
SHARED_ERRORS = (
    SharedError(
        "quantity",
        "Q",
        ["year", "activity", "quality_class"],
        "quantity_group",
        "quantity_half_width",
        "exposed_tco2e",
    ),
    SharedError("factor", "F", ["factor_id", "gas"], "factor_group", "factor_half_width", "tco2e"),
    SharedError("gwp", "G", ["gas"], "gwp_group", "gwp_half_width", "tco2e"),
)


@dataclass(frozen=True)
class Sources:
    """The aggregates the intervals are computed from, one row per source: SOURCE_KEY, tco2e,
    quantity_canonical and used_quantity (after instruments), exposed_tco2e (before
    instruments), measured, grade, and per SHARED_ERRORS its group and half-width."""

    frame: pd.DataFrame


def _plain(lines: pd.DataFrame) -> pd.DataFrame:
    """The key columns as text (categories of chunks differ), with the quantity used after
    instruments (full lines have the share; aggregates its sum)."""
    text = ["method", "activity", "factor_id", "gas", "factor_confidence", "quality_class"]
    used = (
        lines["used_quantity"]
        if "used_quantity" in lines
        else lines["quantity_canonical"] * lines["applied_share"]
    )
    return lines.assign(
        **{c: lines[c].astype(str).replace({"nan": "", "None": ""}) for c in text},
        used_quantity=used,
    )


def uncertainty_sources(lines: pd.DataFrame, rules: UncertaintyRules) -> Sources:
    """Sources from emission lines or their aggregates (carbon.inventory.LINE_GROUP and sums),
    in key order, with their shared errors and half-widths."""
    sums = ["tco2e", "quantity_canonical", "used_quantity"]
    frame = _plain(lines).groupby(SOURCE_KEY, dropna=False, sort=False)[sums].sum().reset_index()
    frame = frame.sort_values(SOURCE_KEY, key=lambda c: c.astype(str), kind="stable").reset_index(drop=True)
    quality = frame["quality_class"].map(rules.quality)
    ungraded = rules.grade(rules.ungraded_factor)
    grade = frame["factor_confidence"].map(lambda c: rules.factor_grade(c) or ungraded)
    used = frame["used_quantity"].to_numpy()
    # A quantity error moves a line by its tCO2e before instruments: tCO2e x quantity / quantity
    # after instruments. A line whose certificates cover it all stays at 0 (the linear answer).
    exposed = np.divide(
        frame["tco2e"].to_numpy() * frame["quantity_canonical"].to_numpy(),
        used,
        out=np.zeros(len(frame)),
        where=used > 0,
    )
    gwp = np.where(frame["gas"].isin(rules.gwp.exempt_gases), 0.0, half_width_95(rules.gwp))
    frame = frame.assign(
        exposed_tco2e=exposed,
        measured=quality.map(lambda c: c.measured).astype(bool),
        grade=grade.map(lambda g: g.grade),
        quantity_half_width=quality.map(half_width_95).astype("float64"),
        factor_half_width=grade.map(half_width_95).astype("float64"),
        gwp_half_width=gwp,
    )
    for error in SHARED_ERRORS:
        codes, _ = pd.factorize(pd.MultiIndex.from_frame(frame[error.key].astype(str)))
        frame[error.group] = codes
    return Sources(frame)


def line_sources(lines: pd.DataFrame, sources: Sources) -> np.ndarray:
    """Each emission line's source (its row in `sources.frame`), for the workbook's source ids."""
    keys = sources.frame[SOURCE_KEY].astype(str).assign(source=np.arange(len(sources.frame)))
    found = _plain(lines)[SOURCE_KEY].astype(str).merge(keys, on=SOURCE_KEY, how="left", sort=False)
    return found["source"].to_numpy()


def notes(unlisted: Mapping[str, int], rules: UncertaintyRules) -> list[str]:
    """The data_quality values no class lists, most rows first, each with a 'did you mean'."""
    fallback = rules.quality(rules.unmatched_quality)
    listed = [m for c in rules.activity_data for m in c.matches if m]
    ranked = sorted(((n, v) for v, n in unlisted.items() if v != OTHER_VALUES), key=lambda p: (-p[0], p[1]))
    said = [
        f"Uncertainty: data_quality '{value}' ({count:,} rows) is not a class of {RULES_FILE}; counted as "
        f"{fallback.name} (+-{fallback.half_width_percent:g}%){did_you_mean(value, listed)}"
        for count, value in ranked[:NAMED_IN_NOTES]
    ]
    more = sum(n for n, _ in ranked[NAMED_IN_NOTES:]) + unlisted.get(OTHER_VALUES, 0)
    if more:
        said.append(
            f"Uncertainty: {more:,} more rows have data_quality values no class lists (also {fallback.name})"
        )
    return said


def membership(frame: pd.DataFrame, figure: Figure, year: int) -> np.ndarray:
    """Which sources make up a figure in a year (its parts do not overlap: the schema says so)."""
    scope, method = frame["scope"].to_numpy(), frame["method"].astype(str).to_numpy()
    member = np.zeros(len(frame), dtype=bool)
    for part in figure.parts:
        member |= (scope == part.scope) & ((method == part.method) if part.method else True)
    return member & (frame["year"].to_numpy() == year)


@dataclass(frozen=True)
class Columns:
    """The (figure, year) pairs intervals are computed for, as a 0/1 matrix over sources."""

    keys: list[tuple[str, int]]
    matrix: np.ndarray  # sources x pairs


def columns(frame: pd.DataFrame, rules: UncertaintyRules) -> Columns:
    years = sorted(int(y) for y in frame["year"].unique())
    keys = [(figure.key, year) for year in years for figure in rules.figures]
    figures = {f.key: f for f in rules.figures}
    matrix = np.zeros((len(frame), len(keys)))
    for i, (key, year) in enumerate(keys):
        matrix[:, i] = membership(frame, figures[key], year)
    return Columns(keys, matrix)


def _groups(frame: pd.DataFrame, error: SharedError) -> tuple[np.ndarray, np.ndarray]:
    """Each source's group of this error, and each group's half-width (the same for its sources)."""
    codes = frame[error.group].to_numpy()
    half = np.zeros(int(codes.max()) + 1 if len(codes) else 0)
    half[codes] = frame[error.half_width].to_numpy()
    return codes, half


def exposure(frame: pd.DataFrame, matrix: np.ndarray, error: SharedError) -> np.ndarray:
    """Per group of an error (rows) and column: the tCO2e the error scales."""
    codes, half = _groups(frame, error)
    exposed = np.zeros((len(half), matrix.shape[1]))
    np.add.at(exposed, codes, frame[error.scales].to_numpy(dtype="float64")[:, None] * matrix)
    return exposed


def propagated_half_widths(frame: pd.DataFrame, matrix: np.ndarray) -> np.ndarray:
    """95% half-width (tCO2e) of each column: the sum rule over independent errors, each error
    its half-width times the tCO2e it scales."""
    variance = np.zeros(matrix.shape[1])
    for error in SHARED_ERRORS:
        _, half = _groups(frame, error)
        variance += (half[:, None] ** 2 * exposure(frame, matrix, error) ** 2).sum(axis=0)
    return np.sqrt(variance)


def monte_carlo_totals(
    frame: pd.DataFrame, matrix: np.ndarray, draws: int, seed: int, block: int
) -> np.ndarray:
    """Each column's total in each of `draws` draws (draws x columns): per draw, one normal error
    per group of each shared error, block by block (a loop over blocks of draws, not sources).
    A source is (tCO2e + quantity error x tCO2e before instruments) x factor error x GWP error."""
    tco2e = frame["tco2e"].to_numpy(dtype="float64")
    exposed = frame["exposed_tco2e"].to_numpy(dtype="float64")
    groups = [_groups(frame, error) for error in SHARED_ERRORS]
    rng = np.random.default_rng(seed)
    totals = np.empty((draws, matrix.shape[1]))
    for start in range(0, draws, block):
        n = min(block, draws - start)
        quantity, factor, gwp = (
            (half / Z95 * rng.standard_normal((n, len(half))))[:, codes] for codes, half in groups
        )
        totals[start : start + n] = ((tco2e + quantity * exposed) * (1 + factor) * (1 + gwp)) @ matrix
    return totals


def _interval(method: str, value: float, low: float, high: float) -> Interval:
    """An interval never below zero (a normal error can reach there; emissions cannot); the
    half-width is the unclipped one."""
    half = (high - low) / 2 / value * 100 if value > 0 else None
    return Interval(method=method, low=max(low, 0.0), high=high, half_width_percent=half)


@dataclass(frozen=True)
class Column:
    """One figure in one year: its value, both intervals (tCO2e) and the shares of its tCO2e."""

    value: float
    propagated: tuple[float, float]
    simulated: tuple[float, float] | None
    measured_share: float | None
    data_quality: dict[str, float]

    def scaled(self, scale: float, mc_method: str) -> FigureUncertainty:
        """As the contract has it, divided by a headcount for an intensity (scale 1/employees)."""
        value = self.value * scale
        low, high = (bound * scale for bound in self.propagated)
        simulated = None
        if self.simulated is not None:
            simulated = _interval(mc_method, value, *(bound * scale for bound in self.simulated))
        return FigureUncertainty(
            value=value,
            propagation=_interval(PROPAGATION, value, low, high),
            monte_carlo=simulated,
            measured_share=self.measured_share,
            data_quality=self.data_quality,
        )


def _column(frame: pd.DataFrame, member: np.ndarray, half: float, bounds: np.ndarray | None) -> Column:
    tco2e = frame["tco2e"].to_numpy(dtype="float64")
    value = float(tco2e[member].sum())
    shares = frame.loc[member].groupby("quality_class")["tco2e"].sum()
    measured = float(tco2e[member & frame["measured"].to_numpy()].sum())
    return Column(
        value=value,
        propagated=(value - half, value + half),
        simulated=None if bounds is None else (float(bounds[0]), float(bounds[1])),
        measured_share=min(measured / value, 1.0) if value > 0 else None,
        data_quality={str(q): min(float(s / value), 1.0) for q, s in shares.items()} if value > 0 else {},
    )


@dataclass(frozen=True)
class Assessment:
    by_year: dict[int, dict[str, FigureUncertainty]]
    notes: list[str]


def assess(
    lines: pd.DataFrame,
    employees: dict[int, float | None],
    unlisted: Mapping[str, int] | None = None,
    draws: int | None = None,
    seed: int | None = None,
    rules: UncertaintyRules | None = None,
) -> Assessment:
    """Intervals of every figure of the rules in every year of the aggregated lines, with the
    data-quality shares; intensities per employee where the headcount is known. `unlisted`:
    rows per data_quality value no class lists, for the notes."""
    rules = rules or uncertainty_rules()
    draws = rules.monte_carlo.draws if draws is None else draws
    seed = rules.monte_carlo.seed if seed is None else seed
    frame = uncertainty_sources(lines, rules).frame
    cols = columns(frame, rules)
    half = propagated_half_widths(frame, cols.matrix)
    bounds = None
    if draws:
        totals = monte_carlo_totals(frame, cols.matrix, draws, seed, rules.monte_carlo.block)
        bounds = np.percentile(totals, [2.5, 97.5], axis=0)
    mc_method = f"Monte Carlo (IPCC Approach 2): {draws:,} draws, seed {seed}, 2.5th to 97.5th percentile"
    intensity = {f.key: f.per_employee for f in rules.figures}
    by_year: dict[int, dict[str, FigureUncertainty]] = {}
    for i, (key, year) in enumerate(cols.keys):
        column = _column(frame, cols.matrix[:, i] > 0, half[i], None if bounds is None else bounds[:, i])
        entry = by_year.setdefault(year, {})
        entry[key] = column.scaled(1.0, mc_method)
        headcount = employees.get(year)
        if intensity[key] and headcount is not None and np.isfinite(headcount) and headcount > 0:
            entry[f"intensity.{intensity[key]}"] = column.scaled(1.0 / headcount, mc_method)
    method = (
        f"Uncertainty: 95% intervals by {PROPAGATION}"
        + (f" and by {mc_method}" if draws else "")
        + f"; quantities by data quality, factors by confidence grade and GWP, as {RULES_FILE} cites."
    )
    return Assessment(by_year, [method, *notes(unlisted or {}, rules)])
