"""Stage: the HKEX climate disclosure pack (Appendix C2 Part D GHG metrics) from an inventory.

Every figure is read from the inventory the engine computed (never re-keyed). The Scope 3 rows
come from the organisation's screening file (inputs/<org>/scope3.yaml): each of the 15 GHG
Protocol categories is included (with its method), excluded or not relevant (with a reason).
Which items are mandatory, comply-or-explain or voluntary for the issuer's tier and year is
data (carbon/data/hkex.yaml), with its source.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from carbon.errors import InputFileError, Problem
from carbon.models.files import HkexRules, Scope3Screening
from carbon.models.inventory import Inventory
from carbon.models.loading import load_model, validate
from carbon.paths import data_file

Requirement = Literal["mandatory", "comply_or_explain", "voluntary"]
SCREENING_FILE = "scope3.yaml"


class Scope3Row(BaseModel):
    category: int
    name: str
    status: str
    method: str | None
    tco2e: float | None  # from the ledger, for an included category; None otherwise
    reason: str | None
    estimate_t: float | None
    estimate_basis: str | None


class PartDItem(BaseModel):
    key: str
    name: str
    requirement: Requirement
    value: float | None
    unit: str
    status: Literal["disclosed", "blank"]
    note: str


class HkexPack(BaseModel):
    organisation: str
    year: int
    tier: str
    rules_source: str
    items: list[PartDItem]
    scope3: list[Scope3Row]
    gwp: str
    factor_sets: list[str]

    def strict_findings(self) -> list[str]:
        """What --strict refuses: a mandatory item blank, or a comply-or-explain item with
        neither a value nor an explanation."""
        return [
            f"{item.name}: {item.requirement.replace('_', '-')} and blank"
            for item in self.items
            if item.status == "blank" and item.requirement != "voluntary"
        ]


@cache
def hkex_rules() -> HkexRules:
    return validate(data_file("hkex.yaml"), HkexRules, "carbon/data/hkex.yaml")


def load_screening(path: Path) -> Scope3Screening:
    return load_model(path, Scope3Screening, "Scope 3 screening")


def requirement(rules: HkexRules, key: str, tier: str, year: int) -> Requirement:
    """What an item is for an issuer of `tier` in financial year `year`."""
    item = rules.item(key)
    if year >= item.mandatory.get(tier, year + 1):
        return "mandatory"
    if year >= item.comply_or_explain.get(tier, year + 1):
        return "comply_or_explain"
    return "voluntary"


def scope3_rows(
    screening: Scope3Screening, rules: HkexRules, by_category: dict[str, float], file: str, year: int
) -> list[Scope3Row]:
    """The 15 categories with their status and ledger figure. A ledger figure in a category
    the screening leaves out, or an included ledger category without one, is a contradiction
    between the two files: refused, naming the category."""
    problems, rows = [], []
    for number, name in rules.scope3_categories.items():
        entry = screening.categories[number]
        figure = by_category.get(number, 0.0)
        expected = _contradiction(entry.status, entry.method, figure, year)
        if expected:
            problems.append(Problem(file, None, None, entry.status, expected, key=f"categories.{number}"))
        rows.append(
            Scope3Row(
                category=int(number),
                name=name,
                status=entry.status,
                method=entry.method,
                tco2e=figure if entry.status == "included" else None,
                reason=entry.reason,
                estimate_t=entry.estimate_t,
                estimate_basis=entry.estimate_basis,
            )
        )
    if problems:
        raise InputFileError(problems, f"{file} does not agree with the inventory")
    return rows


def _contradiction(status: str, method: str | None, figure: float, year: int) -> str | None:
    """What the screening should say instead, when it contradicts the ledger's figure."""
    if status == "included" and method == "ledger" and figure <= 0:
        return (
            f"a category with ledger data in {year} (it is included with method 'ledger', but the "
            "ledger has no emissions in it): add its rows, or mark it excluded with a reason"
        )
    if status != "included" and figure > 0:
        return f"status 'included' with method 'ledger' (the ledger has {figure:,.2f} tCO2e in it in {year})"
    return None


def hkex_pack(
    inventory: Inventory,
    screening: Scope3Screening,
    screening_file: str,
    year: int,
    tier: str,
    ledger_file: str,
) -> HkexPack:
    """The Part D GHG metrics of `year` for an issuer of `tier`."""
    rules = hkex_rules()
    years = {y.year: y for y in inventory.years}
    if year not in years:
        listed = ", ".join(str(y) for y in sorted(years)) or "none"
        raise InputFileError(
            [
                Problem(
                    ledger_file, None, "year", str(year), f"--year: a year the ledger has rows for ({listed})"
                )
            ]
        )
    summary = years[year]
    # Every category left out has its reason: the screening file's model requires one.
    scope3 = scope3_rows(screening, rules, summary.scope3_by_category, screening_file, year)

    def item(key: str, value: float | None, unit: str, note: str) -> PartDItem:
        return PartDItem(
            key=key,
            name=rules.item(key).name,
            requirement=requirement(rules, key, tier, year),
            value=value,
            unit=unit,
            status="disclosed" if value is not None else "blank",
            note=note,
        )

    intensity = summary.intensity.tco2e_per_employee
    items = [
        item("scope1", summary.scope1, "tCO2e", "operational control"),
        item("scope2_location", summary.scope2_location, "tCO2e", "grid average factors"),
        item(
            "scope2_market",
            summary.scope2_market,
            "tCO2e",
            "contractual instruments where the ledger has them, residual factors otherwise",
        ),
        item(
            "scope3",
            summary.scope3,
            "tCO2e",
            f"{sum(r.status == 'included' for r in scope3)} of 15 categories included; "
            "the others excluded or not relevant, each with its reason (see the Scope 3 screening)",
        ),
        item(
            "intensity",
            intensity,
            "tCO2e per employee",
            "Scope 1 + 2 (location) + 3 per employee" if intensity is not None else "no headcount",
        ),
    ]
    return HkexPack(
        organisation=inventory.organisation,
        year=year,
        tier=tier,
        rules_source=rules.source,
        items=items,
        scope3=scope3,
        gwp=inventory.gwp,
        factor_sets=[f"{s.name}@{s.version}" for s in inventory.factor_sets],
    )
