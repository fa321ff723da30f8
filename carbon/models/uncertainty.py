"""carbon/data/uncertainty.yaml as a typed model: how uncertain a ledger row's quantity is (by its
`data_quality`), how uncertain a factor is (by its confidence grade), the GWP uncertainty, which
inventory figures get an interval, and the Monte Carlo defaults. Every half-width cites a source
of the file's `sources`.
"""

from __future__ import annotations

import re
from functools import cache, cached_property
from typing import Annotated, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from carbon.models.files import Number, Strict, Text
from carbon.models.loading import validate
from carbon.paths import data_file

RULES_FILE = "carbon/data/uncertainty.yaml"

# A normal draw below zero (a negative quantity or factor) is rare only while the 95% half-width
# stays well under 100% (at 80%, 1 draw in 12,000): larger ones are refused rather than drawn.
HalfWidth = Annotated[Number, Field(ge=0, le=80)]


class Source(Strict):
    title: Text
    locator: Text  # where the quoted value is printed (URL, repository path, table)
    quote: Text | None = None


class Cited(Strict):
    half_width_percent: HalfWidth  # of the interval at `level_percent`
    level_percent: Annotated[Number, Field(gt=50, lt=100)] = 95
    source: Text  # a key of `sources`
    note: Text | None = None


class QualityClass(Cited):
    """Ledger rows whose `data_quality` is one of `matches` (case and spacing ignored)."""

    name: Text
    matches: list[str]  # "" matches a blank data_quality
    measured: bool  # counts as measured data in the data-quality score


class FactorGrade(Cited):
    """Factors whose confidence text starts with `grade` (the factor sets' C2+, C1*, D ...)."""

    grade: Text


class GwpUncertainty(Cited):
    """Applied to every gas but CO2 and CO2e (a CO2e factor carries its GWP inside it)."""

    exempt_gases: list[Text]


class FigurePart(Strict):
    scope: Literal[1, 2, 3]
    method: Literal["location", "market"] | None = None


class Figure(Strict):
    """An inventory figure (its key in the inventory contract) as a sum of scope parts."""

    key: Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]
    label: Text
    parts: list[FigurePart] = Field(min_length=1)
    per_employee: Annotated[str, Field(pattern=r"^[a-z0-9_]+$")] | None = None  # intensity key

    @model_validator(mode="after")
    def _disjoint(self) -> Figure:
        # A line counted by two parts would be counted twice in the figure.
        for i, part in enumerate(self.parts):
            for other in self.parts[i + 1 :]:
                if part.scope == other.scope and (
                    part.method is None or other.method is None or part.method == other.method
                ):
                    raise ValueError(f"figure {self.key}: parts overlap in scope {part.scope}")
        return self


# Fewer draws cannot place the 2.5th and 97.5th percentiles; more hold draws x figures x years
# totals in memory (100,000 x 6 x 111 years: 530 MB) for no gain in the reported digits.
MIN_DRAWS, MAX_DRAWS = 1_000, 100_000
MAX_SEED = 2**63 - 1


class MonteCarlo(Strict):
    draws: Annotated[int, Field(ge=MIN_DRAWS, le=MAX_DRAWS, strict=True)]
    seed: Annotated[int, Field(ge=0, le=MAX_SEED, strict=True)]
    block: Annotated[int, Field(ge=100, le=100_000, strict=True)]  # draws held in memory at once
    agreement_percent: Annotated[Number, Field(gt=0, le=50)]  # the two methods' half-widths agree


class UncertaintyRules(Strict):
    sources: dict[str, Source]
    activity_data: list[QualityClass] = Field(min_length=1)
    unmatched_quality: Text  # the class of a data_quality no class lists
    factors: list[FactorGrade] = Field(min_length=1)
    ungraded_factor: Text  # the grade of a confidence text no grade starts
    gwp: GwpUncertainty
    figures: list[Figure] = Field(min_length=1)
    monte_carlo: MonteCarlo

    @model_validator(mode="after")
    def _consistent(self) -> UncertaintyRules:
        cited = [*self.activity_data, *self.factors, self.gwp]
        unknown = sorted({c.source for c in cited} - set(self.sources))
        if unknown:
            raise ValueError(f"source {unknown[0]} is not among the sources ({', '.join(self.sources)})")
        names = [c.name for c in self.activity_data]
        if self.unmatched_quality not in names:
            raise ValueError(f"unmatched_quality: one of {', '.join(names)}")
        if self.ungraded_factor not in [g.grade for g in self.factors]:
            raise ValueError(f"ungraded_factor: one of {', '.join(g.grade for g in self.factors)}")
        matches = [normal_quality(m) for c in self.activity_data for m in c.matches]
        repeated = sorted({m for m in matches if matches.count(m) > 1})
        if repeated:
            raise ValueError(f"data quality '{repeated[0]}' is listed in two classes")
        return self

    def quality_class(self, data_quality: str) -> QualityClass | None:
        """The class a ledger row's data_quality belongs to (None: not listed)."""
        return self.spellings.get(normal_quality(data_quality))

    @cached_property
    def spellings(self) -> dict[str, QualityClass]:
        """Each listed spelling, normalised, and its class (looked up for every distinct value)."""
        return {normal_quality(m): c for c in self.activity_data for m in c.matches}

    def quality(self, name: str) -> QualityClass:
        return next(c for c in self.activity_data if c.name == name)

    def factor_grade(self, confidence: str) -> FactorGrade | None:
        """The grade whose text starts a factor's confidence ('C1 (FACTORS.md ...)' is C1), the
        longest first so that C1* is not read as C1."""
        text = confidence.strip()
        for grade in sorted(self.factors, key=lambda g: -len(g.grade)):
            if text.lower().startswith(grade.grade.lower()):
                rest = text[len(grade.grade) :]
                if not rest or not (rest[0].isalnum() or rest[0] in "+*"):
                    return grade
        return None

    def grade(self, name: str) -> FactorGrade:
        return next(g for g in self.factors if g.grade == name)


def normal_quality(value: str) -> str:
    return re.sub(r"[\s_-]+", " ", str(value)).strip().lower()


@cache
def uncertainty_rules() -> UncertaintyRules:
    return validate(data_file("uncertainty.yaml"), UncertaintyRules, RULES_FILE)


def _value_classes(data_quality: pd.Series) -> tuple[pd.Series, list[str], np.ndarray]:
    """The column as categories, the class names, and each category's class (its position among
    the names; a value no class lists: the unmatched class), worked out once per distinct value."""
    rules = uncertainty_rules()
    column = (
        data_quality
        if isinstance(data_quality.dtype, pd.CategoricalDtype)
        else data_quality.astype("category")
    )
    names = [c.name for c in rules.activity_data]
    fallback = names.index(rules.unmatched_quality)
    per_value = [
        names.index(found.name) if (found := rules.quality_class(str(v))) else fallback
        for v in column.cat.categories
    ]
    return column, names, np.asarray(per_value, dtype=np.int64)


def quality_classes(data_quality: pd.Series) -> pd.Categorical:
    """Each row's data-quality class, taken to the rows by their category codes."""
    column, names, per_value = _value_classes(data_quality)
    fallback = names.index(uncertainty_rules().unmatched_quality)
    codes = np.append(per_value, fallback)  # code -1 (missing): the unmatched class
    return pd.Categorical.from_codes(codes[column.cat.codes.to_numpy()], categories=names)


# Unlisted data_quality values named per chunk; the rest are counted under OTHER_VALUES (a
# ledger of free text would otherwise carry every row's text to the notes).
MAX_NAMED_QUALITIES = 100
OTHER_VALUES = "(other values)"


def unlisted_qualities(data_quality: pd.Series) -> dict[str, int]:
    """Rows per data_quality value that no class lists (for the run's notes), the most frequent
    MAX_NAMED_QUALITIES by name and the rest under OTHER_VALUES."""
    column, names, per_value = _value_classes(data_quality)
    unmatched = names.index(uncertainty_rules().unmatched_quality)
    counts = np.bincount(column.cat.codes.to_numpy() + 1, minlength=len(per_value) + 1)[1:]
    values = column.cat.categories
    unlisted = sorted(
        ((int(counts[i]), str(values[i])) for i in np.flatnonzero((per_value == unmatched) & (counts > 0))),
        key=lambda pair: -pair[0],
    )
    named = {v: n for n, v in unlisted[:MAX_NAMED_QUALITIES]}
    others = sum(n for n, _ in unlisted[MAX_NAMED_QUALITIES:])
    return named | ({OTHER_VALUES: others} if others else {})
