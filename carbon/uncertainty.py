"""How much each inventory figure may move: a 95% interval per figure and year, by error
propagation (IPCC 2006 Vol. 1 ch. 3 Approach 1, as the GHG Protocol uncertainty tool does it)
and by a seeded Monte Carlo (Approach 2), both over aggregates, never over ledger rows.

A source is a group of emission lines with one year, scope, method, activity, factor, gas and
data-quality class. Its quantity is uncertain by its data-quality class, its factor by the factor's
confidence grade (and, for gases other than CO2, by the GWP): carbon/data/uncertainty.yaml maps
both to half-widths, each with its source. An error is shared by every source it touches: the
quantity of one activity, year and data quality (the CO2, CH4 and N2O lines of a litre of
gasoline; every bill read the same way), and one factor (the same grid factor applied to twelve
monthly bills is wrong by the same amount in each); different errors are independent. The
Monte Carlo draws the same normal errors, so the two methods differ only by sampling and by the
small product terms that propagation leaves out; `agreement_percent` in the data file is how far
their half-widths may differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

from carbon.models.inventory import FigureUncertainty, Interval
from carbon.models.loading import validate
from carbon.models.uncertainty import Cited, Figure, UncertaintyRules
from carbon.paths import data_file
from carbon.suggest import did_you_mean

RULES_FILE = "carbon/data/uncertainty.yaml"
Z95 = NormalDist().inv_cdf(0.975)
SOURCE_KEY = ["year", "scope", "method", "activity", "factor_id", "gas", "factor_confidence", "quality"]
QUANTITY_KEY = ["year", "activity", "quality"]
FACTOR_KEY = ["factor_id", "gas"]
PROPAGATION = "error propagation (IPCC 2006 Vol. 1 ch. 3, Approach 1)"


def uncertainty_rules() -> UncertaintyRules:
    return validate(data_file("uncertainty.yaml"), UncertaintyRules, RULES_FILE)


def half_width_95(cited: Cited) -> float:
    """A cited half-width as a fraction of the 95% interval (a 90% one is widened by z ratio)."""
    z = NormalDist().inv_cdf(0.5 + cited.level_percent / 200)
    return cited.half_width_percent / 100 * Z95 / z


@dataclass(frozen=True)
class Sources:
    """The aggregates the intervals are computed from, one row per source (SOURCE_KEY, tco2e,
    quality class, grade, and the 95% half-widths as fractions: activity, factor, gwp,
    factor_total = the factor's and the GWP's together)."""

    frame: pd.DataFrame
    notes: list[str]


def quality_classes(values: pd.Series, rules: UncertaintyRules) -> pd.Series:
    """Each data_quality's class name (an unlisted one: the unmatched class), mapped per distinct value."""
    fallback = rules.unmatched_quality
    distinct = {v: (rules.quality_class(str(v)) or rules.quality(fallback)).name for v in values.unique()}
    return values.map(distinct).astype(str)


def _unlisted_qualities(lines: pd.DataFrame, rules: UncertaintyRules) -> list[str]:
    fallback = rules.quality(rules.unmatched_quality)
    listed = [m for c in rules.activity_data for m in c.matches if m]
    counts = lines.groupby("data_quality", observed=True, dropna=False)["line_count"].sum()
    return [
        f"Uncertainty: data_quality '{value}' ({int(count):,} lines) is not a class of {RULES_FILE}; "
        f"counted as {fallback.name} (+-{fallback.half_width_percent:g}%){did_you_mean(str(value), listed)}"
        for value, count in counts.items()
        if rules.quality_class(str(value)) is None
    ]


def _ungraded_factors(frame: pd.DataFrame, rules: UncertaintyRules) -> list[str]:
    ungraded = rules.grade(rules.ungraded_factor)
    notes = []
    for text, group in frame.groupby("factor_confidence", sort=True):
        if rules.factor_grade(str(text)) is None:
            ids = ", ".join(sorted(group["factor_id"].astype(str).unique()))
            notes.append(
                f"Uncertainty: factor confidence '{text}' ({ids}) starts with no grade of {RULES_FILE}; "
                f"taken as {ungraded.grade} (+-{ungraded.half_width_percent:g}%)"
            )
    return notes


def uncertainty_sources(lines: pd.DataFrame, rules: UncertaintyRules) -> Sources:
    """Sources from emission lines or their aggregates (carbon.inventory.LINE_GROUP and sums;
    full lines count one each), in key order, with their shared errors and half-widths."""
    lines = lines.assign(
        **{
            k: lines[k].astype(str)
            for k in ("method", "data_quality", "factor_confidence", "activity", "gas")
        },
        factor_id=lines["factor_id"].astype(str),
        line_count=lines["line_count"] if "line_count" in lines else 1,
    ).fillna({"method": ""})
    lines = lines.assign(method=lines["method"].replace({"nan": "", "None": ""}))
    notes = _unlisted_qualities(lines, rules)
    frame = (
        lines.assign(quality=quality_classes(lines["data_quality"], rules))
        .groupby(SOURCE_KEY, dropna=False, sort=False)[["tco2e", "line_count"]]
        .sum()
        .reset_index()
    )
    frame = frame.sort_values(SOURCE_KEY, key=lambda c: c.astype(str), kind="stable").reset_index(drop=True)
    notes += _ungraded_factors(frame, rules)
    ungraded = rules.grade(rules.ungraded_factor)
    quality = frame["quality"].map(rules.quality)
    grade = frame["factor_confidence"].map(lambda c: rules.factor_grade(c) or ungraded)
    gwp = np.where(frame["gas"].isin(rules.gwp.exempt_gases), 0.0, half_width_95(rules.gwp))
    factor = grade.map(half_width_95).to_numpy(dtype="float64")
    # Shared errors: the rows of one activity, year and data-quality class are taken as wrong
    # together (a meter-reading or estimating practice), so are the lines of one factor and gas.
    quantity_group, _ = pd.factorize(pd.MultiIndex.from_frame(frame[QUANTITY_KEY].astype(str)))
    factor_group, _ = pd.factorize(pd.MultiIndex.from_frame(frame[FACTOR_KEY].astype(str)))
    frame = frame.assign(
        measured=quality.map(lambda c: c.measured).astype(bool),
        grade=grade.map(lambda g: g.grade),
        activity_half_width=quality.map(half_width_95).astype("float64"),
        factor_half_width=factor,
        gwp_half_width=gwp,
        factor_total_half_width=np.sqrt(factor**2 + gwp**2),
        quantity_group=quantity_group,
        factor_group=factor_group,
    )
    return Sources(frame, notes)


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
    matrix = np.column_stack(
        [membership(frame, figures[key], year) for key, year in keys] or [np.zeros(len(frame), dtype=bool)]
    ).astype("float64")
    return Columns(keys, matrix)


def _shared(frame: pd.DataFrame, group: str, half_width: str) -> tuple[np.ndarray, np.ndarray]:
    """Each source's shared error (its quantity or factor group) and each group's half-width."""
    codes = frame[group].to_numpy()
    half = np.zeros(int(codes.max()) + 1 if len(codes) else 0)
    half[codes] = frame[half_width].to_numpy()
    return codes, half


SHARED_ERRORS = (("quantity_group", "activity_half_width"), ("factor_group", "factor_total_half_width"))


def propagated_half_widths(frame: pd.DataFrame, matrix: np.ndarray) -> np.ndarray:
    """95% half-width (tCO2e) of each column: the sum rule over independent errors, each error
    (a quantity group's or a factor's) scaling the tCO2e of every source that shares it."""
    tco2e = frame["tco2e"].to_numpy(dtype="float64")
    variance = np.zeros(matrix.shape[1])
    for group, half_width in SHARED_ERRORS:
        codes, half = _shared(frame, group, half_width)
        exposed = np.zeros((len(half), matrix.shape[1]))
        np.add.at(exposed, codes, tco2e[:, None] * matrix)
        variance += (half[:, None] ** 2 * exposed**2).sum(axis=0)
    return np.sqrt(variance)


def monte_carlo_totals(
    frame: pd.DataFrame, matrix: np.ndarray, draws: int, seed: int, block: int
) -> np.ndarray:
    """Each column's total in each of `draws` draws (draws x columns): per draw, one normal
    error per quantity group and one per factor, block by block (a loop over blocks of draws,
    not over sources)."""
    tco2e = frame["tco2e"].to_numpy(dtype="float64")
    rng = np.random.default_rng(seed)
    totals = np.empty((draws, matrix.shape[1]))
    for start in range(0, draws, block):
        n = min(block, draws - start)
        drawn = tco2e
        for group, half_width in SHARED_ERRORS:
            codes, half = _shared(frame, group, half_width)
            errors = 1.0 + (half / Z95) * rng.standard_normal((n, len(half)))
            drawn = drawn * errors[:, codes]
        totals[start : start + n] = drawn @ matrix
    return totals


def _interval(method: str, value: float, low: float, high: float) -> Interval:
    """An interval never below zero (a normal error can reach there; emissions cannot)."""
    low = max(low, 0.0)
    half = (high - low) / 2 / value * 100 if value > 0 else None
    return Interval(method=method, low=low, high=high, half_width_percent=half)


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
    shares = frame.loc[member].groupby("quality")["tco2e"].sum()
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
    draws: int | None = None,
    seed: int | None = None,
    rules: UncertaintyRules | None = None,
) -> Assessment:
    """Intervals of every figure of the rules in every year of the aggregated lines, with the
    data-quality shares; intensities per employee where the headcount is known."""
    rules = rules or uncertainty_rules()
    draws = rules.monte_carlo.draws if draws is None else draws
    seed = rules.monte_carlo.seed if seed is None else seed
    sources = uncertainty_sources(lines, rules)
    cols = columns(sources.frame, rules)
    half = propagated_half_widths(sources.frame, cols.matrix)
    bounds = None
    if draws:
        totals = monte_carlo_totals(sources.frame, cols.matrix, draws, seed, rules.monte_carlo.block)
        bounds = np.percentile(totals, [2.5, 97.5], axis=0)
    mc_method = f"Monte Carlo (IPCC Approach 2): {draws:,} draws, seed {seed}, 2.5th to 97.5th percentile"
    intensity = {f.key: f.per_employee for f in rules.figures}
    by_year: dict[int, dict[str, FigureUncertainty]] = {}
    for i, (key, year) in enumerate(cols.keys):
        column = _column(
            sources.frame, cols.matrix[:, i] > 0, half[i], None if bounds is None else bounds[:, i]
        )
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
    return Assessment(by_year, [method, *sources.notes])
