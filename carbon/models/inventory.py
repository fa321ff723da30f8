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


class InventoryYearBase(Contract):
    year: int
    scope1: float = Field(description="tCO2e")
    scope2_location: float = Field(description="tCO2e, location-based")
    scope2_market: float = Field(description="tCO2e, market-based")
    scope3: float = Field(description="tCO2e")
    scope3_by_category: dict[str, float] = Field(description="tCO2e by GHG Protocol category number")
    total_location: float = Field(description="scope1 + scope2_location + scope3")
    total_market: float = Field(description="scope1 + scope2_market + scope3")
    energy_mwh: dict[str, float] = Field(description="energy used, MWh: total and one key per energy activity")
    employees: float | int | None = Field(description="year-end employees; null when not given")
    revenue_rmb_million: float | None = Field(description="RMB million; null when not given")


class IntensityBase(Contract):
    tco2e_per_employee: float | None = Field(description="total_location / employees")
    tco2e_per_employee_market: float | None = Field(description="total_market / employees")
    energy_mwh_per_employee: float | None
    tco2e_per_rmb_million: float | None = Field(description="total_location / revenue_rmb_million")


class InventoryBase(Contract):
    organisation: str
    gwp: str
    as_of: str = Field(description="factors published on or before this date (YYYY-MM-DD)")
    factor_sets: list[FactorSetRef]
    notes: list[str] = Field(description="method notes: factors chosen, fallbacks, caveats")


_models: dict[int, tuple[type[Contract], type[Contract], type[Contract]]] = {}


def inventory_model(vocab: Vocabulary | None = None) -> tuple[type[Contract], type[Contract], type[Contract]]:
    """(Inventory, InventoryYear, Intensity) for a vocabulary: its resources become fields."""
    vocab = vocab or vocabulary()
    if id(vocab) in _models:
        return _models[id(vocab)]
    per_employee: dict[str, Any] = {r.per_employee: (float | None, Field(description=f"{name} / employees"))
                                    for name, r in vocab.resources.items()}
    intensity = create_model("Intensity", __base__=IntensityBase, **per_employee)
    resources: dict[str, Any] = {
        name: ((dict[str, float], Field(description=f"{r.label} by {r.split.attribute} class"))
               if r.split else (float, Field(description=r.label)))
        for name, r in vocab.resources.items()}
    year = create_model("InventoryYear", __base__=InventoryYearBase, intensity=(intensity, ...), **resources)
    inventory = create_model("Inventory", __base__=InventoryBase, years=(list[year], ...))  # type: ignore[valid-type]
    _models[id(vocab)] = (inventory, year, intensity)
    return _models[id(vocab)]


def resource_total(year: Contract, name: str) -> float:
    """A resource figure as one number (a split one summed over its classes)."""
    value = getattr(year, name)
    return float(sum(value.values())) if isinstance(value, dict) else float(value)
