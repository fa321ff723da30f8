"""The vocabulary (carbon/data/vocabulary.yaml) as a typed model, and the one place it is loaded.

The bundled vocabulary can be extended by a file of the same shape (`carbon --vocabulary FILE`,
or the CARBON_VOCABULARY environment variable): its activities, attributes and resources are
added to (or replace) the bundled ones. That is how a new activity becomes a data change.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from carbon.errors import InputFileError, Problem
from carbon.models.files import Number, Strict, Text
from carbon.models.loading import parse_yaml, read_text, validate
from carbon.paths import DATA_DIR

Dimension = Annotated[str, Field(pattern=r"^\[[a-z_0-9]+\]( [*/] \[[a-z_0-9]+\])*$")]
Method = Literal["location", "market"]


class Activity(Strict):
    description: Text
    label: str | None = None  # a column header; default: the name with spaces, capitalised
    canonical_unit: Text
    accepts: Annotated[list[Dimension], Field(min_length=1)]
    scope: Literal[1, 2, 3]
    energy: str | None = None
    fuel: str | None = None
    mass_conversion: str | None = None
    attributes: dict[str, Literal["required", "optional"]] = Field(default_factory=dict)
    required_methods: list[Method] = Field(default_factory=list)
    instrument_for: str | None = None
    unique_instrument: bool = False
    scalable: bool = True
    published_kpi: str | None = None
    # Units of the right dimension that this activity is still never measured in, with why.
    refused_units: dict[str, str] = Field(default_factory=dict)

    @property
    def is_instrument(self) -> bool:
        return self.instrument_for is not None


class AttributeValue(Strict):
    description: str = ""
    # Results split by an attribute use its values' classes (e.g. hazardous / non_hazardous).
    class_: str | None = Field(default=None, alias="class")


class Attribute(Strict):
    description: str = ""
    values: dict[str, AttributeValue] | None = None  # None: free text (or a year)
    default: str = ""
    year: bool = False


class Split(Strict):
    attribute: Text
    classes: Annotated[list[str], Field(min_length=1)]


class Resource(Strict):
    activities: Annotated[list[str], Field(min_length=1)]
    label: Text
    split: Split | None = None
    per_employee: Text


class NamedConversion(Strict):
    value: Number
    unit: Text
    description: Text


class Metric(Strict):
    unit: Text
    min: Number
    max: Number
    description: Text


class Vocabulary(Strict):
    activities: dict[str, Activity]
    attributes: dict[str, Attribute]
    resources: dict[str, Resource] = Field(default_factory=dict)
    named_conversions: dict[str, NamedConversion] = Field(default_factory=dict)
    metrics: dict[str, Metric]
    scope3_categories: dict[str, str]
    unit_examples: list[str]
    suspicious_units: dict[str, str] = Field(default_factory=dict)
    scale_words: list[str] = Field(default_factory=list)
    banned_units: dict[str, str] = Field(default_factory=dict)
    gases: dict[str, str]
    dimensions: dict[str, str]

    @model_validator(mode="after")
    def _references_resolve(self) -> Vocabulary:
        """Every name an activity or resource refers to exists (a typo would otherwise surface
        as a missing factor or an empty figure)."""
        problems = []
        for name, activity in self.activities.items():
            problems += [
                f"activities.{name}.attributes: unknown attribute '{a}'"
                for a in activity.attributes
                if a not in self.attributes
            ]
            problems += [
                f"activities.{name}.accepts: {d} has no wording under dimensions"
                for d in activity.accepts
                if d not in self.dimensions
            ]
            if activity.instrument_for and activity.instrument_for not in self.activities:
                problems.append(
                    f"activities.{name}.instrument_for: unknown activity '{activity.instrument_for}'"
                )
            if activity.mass_conversion and activity.mass_conversion not in self.named_conversions:
                problems.append(
                    f"activities.{name}.mass_conversion: unknown named conversion "
                    f"'{activity.mass_conversion}'"
                )
        for name, resource in self.resources.items():
            problems += [
                f"resources.{name}.activities: unknown activity '{a}'"
                for a in resource.activities
                if a not in self.activities
            ]
            if resource.split and resource.split.attribute not in self.attributes:
                problems.append(f"resources.{name}.split: unknown attribute '{resource.split.attribute}'")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    # -- questions the engine asks

    def activity(self, name: str) -> Activity:
        return self.activities[name]

    @property
    def instruments(self) -> dict[str, str]:
        """{instrument activity: the activity it covers}."""
        return {a: spec.instrument_for for a, spec in self.activities.items() if spec.instrument_for}

    @property
    def energy_keys(self) -> dict[str, str]:
        """{activity: its key under energy_mwh}, in vocabulary order."""
        return {a: spec.energy for a, spec in self.activities.items() if spec.energy}

    def energy_labels(self) -> dict[str, str]:
        """{energy key: its column header}, from the label of the first activity using the key."""
        labels: dict[str, str] = {}
        for name, spec in self.activities.items():
            if spec.energy and spec.energy not in labels:
                labels[spec.energy] = spec.label or name.replace("_", " ").capitalize()
        return labels

    def classes(self, attribute: str) -> dict[str, str]:
        """{value: class} of an attribute whose values carry a class."""
        values = self.attributes[attribute].values or {}
        return {value: spec.class_ for value, spec in values.items() if spec.class_}


BUNDLED = DATA_DIR / "vocabulary.yaml"
OVERRIDE_VARIABLE = "CARBON_VOCABULARY"


def use_vocabulary(path: Path | None) -> None:
    """Extend the bundled vocabulary with a file (None: the bundled one alone) for this process."""
    if path is None:
        os.environ.pop(OVERRIDE_VARIABLE, None)
        return
    resolved = str(Path(path).resolve())
    _load(resolved)  # a malformed file is refused before it takes effect
    os.environ[OVERRIDE_VARIABLE] = resolved


def vocabulary() -> Vocabulary:
    """The vocabulary in force: the bundled one, extended by CARBON_VOCABULARY when set."""
    return _load(os.environ.get(OVERRIDE_VARIABLE) or None)


@cache
def _load(extension: str | None) -> Vocabulary:
    import yaml

    data = yaml.safe_load(BUNDLED.read_text(encoding="utf-8"))
    if extension is None:
        return validate(data, Vocabulary, str(BUNDLED))
    added = parse_yaml(read_text(Path(extension), "vocabulary"), extension)
    if not isinstance(added, dict):
        raise InputFileError(
            [Problem(extension, None, None, None, "a mapping of vocabulary sections (activities: ...)")]
        )
    for section, entries in added.items():
        if isinstance(entries, dict) and isinstance(data.get(section), dict):
            data[section] = {**data[section], **entries}
        else:
            data[section] = entries
    return validate(data, Vocabulary, extension)
