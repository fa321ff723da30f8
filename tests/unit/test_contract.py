"""The inventory contract's model and JSON Schema, and released factor sets that never change."""

from __future__ import annotations

import hashlib
import json

import pydantic
import pytest

from carbon.factors import resolve_factor_set
from carbon.models.inventory import inventory_model, inventory_schema
from carbon.outputs import to_json
from carbon.paths import DATA_DIR

# sha256 over "<file> <sha256>" lines of every file of a released version (manifest included).
# A released version is never edited: a change is a new version (README: adding a new vintage).
RELEASED = {
    "china-corporate@2025.1": "4b4c58939d387ccc83e8879038f1fa899fff413814ffecd5ee24a87b985b452f",
    "china-corporate@2026.1": "891be63fe3697264b507552f4289d6d3b038891e62ab56d6a679f81614dbe65f",
    "china-corporate@2026.2": "63d6a46690a0c5511601b73f414f7ab87a294a001f09dd08387a6072f4d7a4e2",
}


def folder_digest(spec: str) -> str:
    folder = resolve_factor_set(spec)
    lines = [
        f"{p.name} {hashlib.sha256(p.read_bytes()).hexdigest()}"
        for p in sorted(folder.iterdir())
        if p.is_file()
    ]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


@pytest.mark.parametrize("spec", sorted(RELEASED))
def test_released_factor_sets_are_byte_identical(spec):
    assert folder_digest(spec) == RELEASED[spec], f"{spec} changed: publish a new version instead"


def test_the_checked_in_schema_is_current():
    assert (DATA_DIR / "inventory.schema.json").read_text(encoding="utf-8") == inventory_schema(), (
        "run `carbon schema inventory > carbon/data/inventory.schema.json`"
    )


def test_the_json_output_follows_the_model_and_the_model_refuses_drift(qfin_result):
    inventory, _, _ = inventory_model()
    text = to_json(qfin_result.inventory)
    assert inventory.model_validate_json(text) == qfin_result.inventory
    broken = json.loads(text)
    broken["years"][0]["scope4"] = 1.0
    with pytest.raises(pydantic.ValidationError):
        inventory.model_validate(broken)
    schema = json.loads(inventory_schema())
    assert set(schema["$defs"]["InventoryYear"]["required"]) >= {
        "scope1",
        "scope2_location",
        "water_m3",
        "waste_t",
        "intensity",
    }


def test_published_schema_file_is_current():
    from carbon.models.files import published_schema

    assert (DATA_DIR / "published.schema.json").read_text(encoding="utf-8") == published_schema(), (
        "run `carbon schema published > carbon/data/published.schema.json`"
    )
