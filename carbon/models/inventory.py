"""The inventory contract (`carbon inventory --format json`, inventory.json) as a typed model.

The fixed part is the same for every organisation: scopes, totals, Scope 3 by category,
headcount, revenue, the carbon intensities. The resource figures (water_m3, waste_t ...) and the
energy keys come from the vocabulary, so the model is built from it: `inventory_model()`.
`carbon schema inventory` prints its JSON Schema; carbon/data/inventory.schema.json holds the
bundled vocabulary's, kept current by a test.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from carbon.models.vocabulary import Vocabulary, vocabulary


class Contract(BaseModel):
    # Numbers are finite by construction (carbon.inventory refuses any other).
    model_config = ConfigDict(extra="forbid", frozen=True)


class FactorSetRef(Contract):
    name: str
    version: str


class IntensityBase(Contract):
    tco2e_per_employee: float | None = Field(description="total_location / employees")
    tco2e_per_employee_market: float | None = Field(description="total_market / employees")
    energy_mwh_per_employee: float | None
    tco2e_per_rmb_million: float | None = Field(description="total_location / revenue_rmb_million")


class Interval(Contract):
    method: str
    low: float
    high: float
    half_width_percent: float | None = Field(description="(high - low) / 2 as % of the value; null for 0")


class FigureUncertainty(Contract):
    value: float
    propagation: Interval = Field(description="95% interval by error propagation")
    monte_carlo: Interval | None = Field(description="95% interval by Monte Carlo; null with --draws 0")
    measured_share: float | None = Field(description="share of the tCO2e from measured data (0-1)")
    data_quality: dict[str, float] = Field(description="share of the tCO2e per data-quality class")


class InventoryYearBase(Contract):
    year: int
    scope1: float = Field(description="tCO2e")
    scope2_location: float = Field(description="tCO2e, location-based")
    scope2_market: float = Field(description="tCO2e, market-based")
    scope3: float = Field(description="tCO2e")
    scope3_by_category: dict[str, float] = Field(description="tCO2e by GHG Protocol category number")
    total_location: float = Field(description="scope1 + scope2_location + scope3")
    total_market: float = Field(description="scope1 + scope2_market + scope3")
    energy_mwh: dict[str, float] = Field(
        description="energy used, MWh: total and one key per energy activity"
    )
    employees: float | int | None = Field(description="year-end employees; null when not given")
    revenue_rmb_million: float | None = Field(description="RMB million; null when not given")
    # Every model built for a vocabulary refines this with its per-employee resource figures.
    intensity: IntensityBase
    uncertainty: dict[str, FigureUncertainty] = Field(
        default_factory=dict,
        description="per figure (scope1 ... intensity.tco2e_per_employee): 95% intervals and data quality; "
        "empty for scenarios",
    )


class InventoryBase(Contract):
    organisation: str
    gwp: str
    as_of: str = Field(description="factors published on or before this date (YYYY-MM-DD)")
    factor_sets: list[FactorSetRef]
    years: list[InventoryYearBase]
    notes: list[str] = Field(description="method notes: factors chosen, fallbacks, caveats")


# The types code reads: the model built for the vocabulary in force is a subclass of each.
Inventory = InventoryBase
InventoryYear = InventoryYearBase


Models = tuple[type[InventoryBase], type[InventoryYearBase], type[IntensityBase]]
_models: dict[int, Models] = {}


def inventory_model(vocab: Vocabulary | None = None) -> Models:
    """(Inventory, InventoryYear, Intensity) for a vocabulary: its resources become fields."""
    vocab = vocab or vocabulary()
    if id(vocab) in _models:
        return _models[id(vocab)]
    per_employee: dict[str, Any] = {
        r.per_employee: (float | None, Field(description=f"{name} / employees"))
        for name, r in vocab.resources.items()
    }
    intensity = create_model("Intensity", __base__=IntensityBase, **per_employee)
    resources: dict[str, Any] = {
        name: (
            (dict[str, float], Field(description=f"{r.label} by {r.split.attribute} class"))
            if r.split
            else (float, Field(description=r.label))
        )
        for name, r in vocab.resources.items()
    }
    year = create_model("InventoryYear", __base__=InventoryYearBase, intensity=(intensity, ...), **resources)
    inventory = create_model("Inventory", __base__=InventoryBase, years=(list[year], ...))  # type: ignore[valid-type]
    _models[id(vocab)] = (inventory, year, intensity)
    return _models[id(vocab)]


def inventory_schema() -> str:
    """The JSON Schema of the inventory contract, as text (stable key order)."""
    import json

    inventory, _, _ = inventory_model()
    schema = {
        "$comment": "generated by `carbon schema inventory` from the vocabulary; do not edit",
        **inventory.model_json_schema(),
    }
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
