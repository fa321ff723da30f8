"""Pydantic models of the YAML files users and maintainers write: scenarios, published tables
and factor-set manifests. Each refuses unknown keys, wrong types, booleans where numbers
belong, non-finite numbers and years outside 1990-2100; `carbon.models.loading` turns the
errors into problem lines with the file and key path.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import PurePosixPath
from typing import Annotated, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from carbon.periods import FIRST_YEAR, LAST_YEAR, Period, fiscal_year_end_ok, parse_period


def _not_bool(value: object) -> object:
    # YAML reads `true`, `yes` and `on` as booleans; pydantic would quietly turn them into 1.
    if isinstance(value, bool):
        raise ValueError(f"a number, not the boolean {str(value).lower()}")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("non-empty text")
    return value


Number = Annotated[float, BeforeValidator(_not_bool), Field(allow_inf_nan=False)]
Year = Annotated[int, BeforeValidator(_not_bool), Field(ge=FIRST_YEAR, le=LAST_YEAR, strict=True)]
Text = Annotated[str, Field(strict=True), AfterValidator(_not_blank)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ---------------------------------------------------------------- scenarios


class Target(Strict):
    type: Literal["absolute_reduction", "intensity"]
    metric: Text | None = None
    reduction: Annotated[Number, Field(ge=0, le=1)] | None = None
    value: Annotated[Number, Field(ge=0)] | None = None


class Pathway(Strict):
    rates: dict[str, Annotated[Number, Field(gt=-1, le=10)]] = Field(default_factory=dict)
    ramps: dict[str, dict[Year, Number | Text]] = Field(default_factory=dict)
    target: Target | None = None


class ScenarioFile(Strict):
    """inputs/<org>/scenarios/<name>.yaml. Lever names and ranges are checked against
    carbon/data/levers.yaml when the levers are parsed."""

    name: Text | None = None
    description: str | None = None
    base_year: Year | None = None
    levers: dict[str, Number | Text] = Field(default_factory=dict)
    pathway: Pathway | None = None


# ---------------------------------------------------------------- published tables


class PublishedDocument(Strict):
    id: Text
    title: Text
    seed: str = ""
    published: str | int | None = None
    reporting_years: list[Year] = Field(default_factory=list)
    # The consolidation basis as the report states it ("operational control"); printed as a note.
    consolidation: str = ""
    # Regions whose grid-factor series the report's Scope 2 may follow (e.g. HK-CLP, UK, TW);
    # empty: the regions of the organisation's ledger, or every region of the factor set.
    grid_regions: list[Text] = Field(default_factory=list)
    # The day its financial year ends ("31 March"): "FY2024" is then the year ended 31 March 2024,
    # the same period as "FY2023/24" (with "31 December", the calendar year 2024).
    fiscal_year_end: Annotated[str, AfterValidator(fiscal_year_end_ok)] | None = None


def _printed_text(value: object) -> object:
    # An unquoted 14.89 in YAML is a number, and 14.90 would already have lost its zero.
    if not isinstance(value, str):
        raise ValueError(
            f"the figure exactly as printed, in quotes (e.g. '1,620.95'), not the {type(value).__name__} "
            f"{value!r}"
        )
    if not value.strip():
        raise ValueError("the figure exactly as printed (this entry is empty: fill it in or delete it)")
    return value


def _period(value: object) -> object:
    if value is None:
        return value
    parse_period(value)  # type: ignore[arg-type]
    return value


def _calendar_year(value: object) -> object:
    if isinstance(value, str):
        if value.strip().isdigit():
            return int(value.strip())
        raise ValueError(f"a calendar year such as 2023; for a fiscal year write `period: {value}`")
    return value


PrintedText = Annotated[str, BeforeValidator(_printed_text), Field(max_length=40)]
PeriodText = Annotated[int | str, BeforeValidator(_not_bool), AfterValidator(_period)]


class Printed(Strict):
    """Where and how a figure was printed: the string exactly as printed and its place."""

    printed: PrintedText
    unit: Text
    section: str = ""
    locator: str = ""
    page: int | str | None = None
    table: str | None = None
    row: str | None = None
    column: str | None = None
    # The region a regional column covers ("UK", "rest of world"); empty: the whole organisation.
    region: str = ""
    # A calendar year, or use `period` for a fiscal year ("FY2023/24", "year ended 31 March 2024").
    year: Annotated[Year | None, BeforeValidator(_calendar_year)] = None
    period: PeriodText | None = None

    period_required: ClassVar[bool] = True

    @model_validator(mode="after")
    def _one_period(self) -> Printed:
        if self.period is None and self.year is None and self.period_required:
            raise ValueError("a `year` (2023) or a `period` ('FY2023/24', 'year ended 31 March 2024')")
        if self.period is not None and self.year is not None:
            raise ValueError("either `year` or `period`, not both")
        return self

    def when(self, fiscal_year_end: str | None = None) -> Period | None:
        """The period printed, read with the document's fiscal year end (None: no period given)."""
        if self.year is None and self.period is None:
            return None
        return parse_period(self.year if self.year is not None else self.period, fiscal_year_end)  # type: ignore[arg-type]

    @property
    def place(self) -> str:
        parts = [
            f"p. {self.page}" if self.page is not None else "",
            self.table or "",
            f"row '{self.row}'" if self.row else "",
            f"column '{self.column}'" if self.column else "",
        ]
        structured = ", ".join(p for p in parts if p)
        return "; ".join(p for p in (self.locator, structured) if p)


class PublishedFigure(Printed):
    kpi: Text
    # A printed year-on-year change: `printed` is the change in % from `change_from` to this period.
    change_from: PeriodText | None = None
    # For a change printed without a sign beside the words "decrease"/"increase".
    direction: Literal["increase", "decrease"] | None = None
    # A total's coverage as stated beside it ("Scope 1 and 2, Scope 3 category 6"), shown with checks.
    coverage: str = ""
    # The figure restates one printed earlier (a column headed "2023 (restated)"): a different
    # value printed elsewhere for the same period is a note, not an inconsistency.
    restated: bool = False

    @model_validator(mode="after")
    def _change(self) -> PublishedFigure:
        if self.change_from is not None and self.unit.strip() != "%":
            raise ValueError("a year-on-year change (`change_from`) printed in % (unit: '%')")
        if self.direction is not None and self.change_from is None:
            raise ValueError("`direction` only with `change_from` (a printed year-on-year change)")
        if self.change_from is None and self.unit.strip() == "%":
            raise ValueError(
                "a figure in % is a year-on-year change: give `change_from` (the earlier period)"
            )
        return self


class StatedFactor(Printed):
    """A factor the document states ("0.81 kg CO2e/kWh"): activity x factor must give the
    printed emissions. Without a year or period it applies to every period of the document."""

    period_required: ClassVar[bool] = False
    emissions: Text
    activity: Text


class PublishedFile(Strict):
    """inputs/<org>/published/<document>.yaml: one entry per printed figure."""

    document: PublishedDocument
    # A report prints a few hundred figures; more than this is not a transcription.
    figures: list[PublishedFigure] = Field(min_length=1, max_length=5000)
    stated_factors: list[StatedFactor] = Field(default_factory=list, max_length=200)


def published_schema() -> str:
    """The JSON Schema of a published-table file, as text (stable key order)."""
    import json

    schema = {
        "$comment": "generated by `carbon schema published`; do not edit",
        **PublishedFile.model_json_schema(),
    }
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


# ---------------------------------------------------------------- factor-set manifests

SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _inside_folder(value: str) -> str:
    """A table path relative to the manifest's folder that cannot leave it."""
    path = PurePosixPath(value.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or re.match(r"^[A-Za-z]:", value):
        raise ValueError("a file name inside the factor set's folder (no absolute paths, no '..')")
    if not path.parts or path.suffix.lower() != ".csv":
        raise ValueError("a .csv file name inside the factor set's folder")
    return value


def _sha256(value: str) -> str:
    if not SHA256.match(value):
        raise ValueError("64 lowercase hexadecimal digits (the output of sha256sum)")
    return value


class ManifestTable(Strict):
    file: Annotated[str, Field(strict=True), AfterValidator(_inside_folder)]
    kind: Literal["factors", "gwp", "fuel_properties", "regions"]
    sha256: Annotated[str, Field(strict=True), AfterValidator(_sha256)]
    # Guideline defaults (IPCC 2006) have no vintage series: they are never "stale".
    vintaged: bool = True
    # Negative factor values are refused unless the table names why they are allowed
    # (e.g. removals); nothing shipped today needs it.
    negative_values_reason: Text | None = None


class ManifestSource(Strict):
    """A citation. `published` is free text (a date, or "AR4 2007; AR5 2013"); `url` may be
    empty when the publication has none online."""

    publisher: Text
    title: Text
    published: Annotated[str, Field(min_length=1)] | int
    url: str
    locator: Text
    read_via: str = ""


class FactorManifest(Strict):
    """factors/<set>/<version>/manifest.yaml."""

    name: Annotated[str, Field(strict=True, pattern=r"^[a-z0-9][a-z0-9._-]*$")]
    version: Annotated[str, Field(strict=True, pattern=r"^[0-9A-Za-z][0-9A-Za-z._-]*$")]
    released: date
    description: str = ""
    default_gwp: Literal["AR4", "AR5", "AR6"] = "AR6"
    transcribed_from: str = ""
    tables: list[ManifestTable] = Field(min_length=1)
    omitted: list[str] = Field(default_factory=list)
    sources: dict[str, ManifestSource] = Field(min_length=1)

    @field_validator("tables")
    @classmethod
    def _each_file_once(cls, tables: list[ManifestTable]) -> list[ManifestTable]:
        files = [t.file for t in tables]
        repeated = sorted({f for f in files if files.count(f) > 1})
        if repeated:
            raise ValueError(f"each table file listed once ({', '.join(repeated)} is listed more than once)")
        return tables


# ---------------------------------------------------------------- table schemas (carbon/data/tables.yaml)


class TableSchema(Strict):
    """The columns of a table users write: required, alternatives, optional, and checks."""

    required: list[str]
    either: list[list[str]] = Field(default_factory=list)
    optional: list[str] = Field(default_factory=list)
    attributes_from_vocabulary: bool = False
    non_empty: list[str] = Field(default_factory=list)
    numeric: list[str] = Field(default_factory=list)
    max_canonical_quantity: Annotated[Number, Field(gt=0)]
    min_canonical_quantity: Annotated[Number, Field(gt=0)]

    @property
    def known(self) -> list[str]:
        return [*self.required, *(c for group in self.either for c in group), *self.optional]


# ---------------------------------------------------------------- HKEX disclosure (carbon disclose hkex)

CATEGORY_NUMBERS = [str(n) for n in range(1, 16)]


def _category_keys(value: object) -> object:
    """Category numbers as text, whether the YAML wrote `5:` or `"5":` (`yes:` is not one)."""
    if not isinstance(value, dict):
        return value
    categories: dict[str, object] = {}
    for key, entry in value.items():
        if isinstance(key, bool) or not isinstance(key, (int, str)):
            raise ValueError(f"category numbers 1 to 15 as keys (found {key!r})")
        number = str(key).strip()
        if number in categories:  # `5:` and `"5":` are two keys to YAML, one category here
            raise ValueError(f"each category once (category {number} is given twice)")
        categories[number] = entry
    return categories


def _fifteen(categories: dict) -> dict:
    unknown = [k for k in categories if k not in CATEGORY_NUMBERS]
    if unknown:
        raise ValueError(f"category numbers 1 to 15 (found {unknown[0]!r})")
    missing = [n for n in CATEGORY_NUMBERS if n not in categories]
    if missing:
        raise ValueError(f"all 15 categories (missing: {', '.join(missing)})")
    return dict(sorted(categories.items(), key=lambda item: int(item[0])))


FirstYear = dict[Annotated[str, Field(strict=True)], Year]


InventoryPath = Annotated[str, Field(strict=True, pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)?$")]


class HkexItem(Strict):
    """A Part D item: a figure of the inventory (`path`), or one the organisation's targets file
    answers (`path` None: targets, internal carbon price)."""

    key: Text
    name: Text
    path: InventoryPath | None = None  # e.g. scope1, intensity.tco2e_per_employee
    unit: Text | None = None
    note: Text | None = None
    published: list[Text] = Field(default_factory=list)  # KPI keys of published tables, first preferred
    mandatory: FirstYear = Field(default_factory=dict)  # tier -> first financial year
    comply_or_explain: FirstYear = Field(default_factory=dict)


class KpiFigure(Strict):
    """One figure of an environmental KPI: the sum of inventory figures (`sum_of`), or one
    figure per key of a figure by type (`each_of: energy_mwh`, its total last)."""

    label: Text
    sum_of: list[InventoryPath] = Field(default_factory=list)
    each_of: InventoryPath | None = None
    unit: Text
    published: list[Text] = Field(default_factory=list)  # with each_of, "{key}" stands for the type
    per_employee: bool = False  # also the figure per employee (HKEX "intensity")

    @model_validator(mode="after")
    def _one_source(self) -> KpiFigure:
        if bool(self.sum_of) == (self.each_of is not None):
            raise ValueError(f"figure {self.label!r}: either sum_of (inventory figures) or each_of")
        return self


class HkexKpi(Strict):
    """An environmental KPI of the ESG Reporting Code: figures from the inventory, a statement
    the organisation writes, or not computed (with the reason)."""

    key: Text
    name: Text
    figures: list[KpiFigure] = Field(default_factory=list)
    statement: bool = False  # answered in words, from the organisation's targets file
    not_computed: Text | None = None

    @model_validator(mode="after")
    def _one_answer(self) -> HkexKpi:
        if [bool(self.figures), self.statement, self.not_computed is not None].count(True) != 1:
            raise ValueError(f"KPI {self.key}: exactly one of figures, statement: true or not_computed")
        return self


class HkexRules(Strict):
    """carbon/data/hkex.yaml: Part D items and the 15 Scope 3 categories, with their source."""

    source: Text
    tiers: dict[str, Text]
    items: list[HkexItem]
    kpis: list[HkexKpi]
    scope3_categories: Annotated[dict[str, Text], BeforeValidator(_category_keys), AfterValidator(_fifteen)]

    def item(self, key: str) -> HkexItem:
        return next(item for item in self.items if item.key == key)

    @model_validator(mode="after")
    def _known_tiers(self) -> HkexRules:
        for item in self.items:
            unknown = sorted((set(item.mandatory) | set(item.comply_or_explain)) - set(self.tiers))
            if unknown:
                raise ValueError(f"item {item.key}: tiers among {', '.join(self.tiers)} (found {unknown[0]})")
        return self


class Scope3Entry(Strict):
    """One GHG Protocol category of an organisation's Scope 3 screening."""

    status: Literal["included", "excluded", "not_relevant"]
    # How the category's ledger lines were made: activity data (`ledger`), spend with a cited
    # spend-based factor (`spend_based`), or emissions data from suppliers (`supplier_specific`).
    # Every method's figure is the ledger's lines in the category: one inventory, never re-keyed.
    method: Literal["ledger", "spend_based", "supplier_specific"] | None = None
    reason: Text | None = None  # why excluded or not relevant; for an included one, what it leaves out
    estimate_t: Annotated[Number, Field(ge=0)] | None = None  # a screening estimate, tCO2e
    estimate_basis: Text | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Scope3Entry:
        if self.status == "included" and self.method is None:
            raise ValueError(
                "a method for an included category: ledger, spend_based or supplier_specific "
                "(its figure is the ledger's lines in the category)"
            )
        if self.status != "included" and self.method is not None:
            raise ValueError(f"no method on a category that is {self.status.replace('_', ' ')}")
        if self.status != "included" and self.reason is None:
            raise ValueError(f"a reason for a category that is {self.status.replace('_', ' ')}")
        if (self.estimate_t is None) != (self.estimate_basis is None):
            raise ValueError(
                "estimate_t and estimate_basis together (a screening estimate says how it was made)"
            )
        return self


class Scope3Screening(Strict):
    """inputs/<org>/scope3.yaml: every one of the 15 categories, by number."""

    categories: Annotated[dict[str, Scope3Entry], BeforeValidator(_category_keys), AfterValidator(_fifteen)]


# ---------------------------------------------------------------- targets file (inputs/<org>/targets.yaml)

Percent = Annotated[Number, Field(ge=0, le=100)]
# No organisation emits more: the world's annual emissions are about 5e10 tCO2e. The bound keeps
# sums and products of given figures finite (1e308 + 1e308 is inf).
MAX_TCO2E = 1e12


def _unique(paths: list[str]) -> list[str]:
    repeated = sorted({p for p in paths if paths.count(p) > 1})
    if repeated:
        raise ValueError(f"each figure once ({repeated[0]} is given twice)")
    return paths


Figures = Annotated[list[InventoryPath], Field(min_length=1), AfterValidator(_unique)]


class KpiStatement(Strict):
    """An organisation's answer in words to an HKEX KPI (A1.5 targets and steps ...)."""

    status: Literal["disclosed", "not_material"] = "disclosed"
    text: Text


class Milestone(Strict):
    year: Year
    reduction_pct: Percent


class TargetMetric(Strict):
    """What a target measures: the sum of tCO2e figures of the inventory, absolute or per employee."""

    sum_of: Figures
    per_employee: bool = False


class ClimateTarget(Strict):
    name: Text
    metric: TargetMetric
    scope: Text  # in words, as the organisation states it ("Scope 1 and 2, location-based")
    base_year: Year
    target_year: Year
    reduction_pct: Percent  # from the base year's value
    milestones: list[Milestone] = Field(default_factory=list)
    basis: Literal["gross", "net"]  # net: carbon credits counted towards it
    carbon_credits: Text  # their planned use, or that none is planned
    source: Text  # where the organisation states the target

    @model_validator(mode="after")
    def _years_in_order(self) -> ClimateTarget:
        if self.target_year <= self.base_year:
            raise ValueError(f"target_year after base_year ({self.base_year}); found {self.target_year}")
        years = [m.year for m in self.milestones]
        if years != sorted(set(years)) or any(not self.base_year < y < self.target_year for y in years):
            raise ValueError(
                f"milestone years between base_year {self.base_year} and target_year "
                f"{self.target_year}, each once and in order (found {years})"
            )
        return self


class CarbonPrice(Strict):
    """An internal carbon price: the shadow cost is the price times the tCO2e it applies to."""

    price: Annotated[Number, Field(ge=0, le=1e9)]  # per tCO2e
    currency: Annotated[str, Field(strict=True, pattern=r"^[A-Z]{3}$")]
    applies_to: Figures  # tCO2e figures of the inventory
    use: Text  # how the organisation uses it (investment appraisal, an internal fee ...)
    source: Text


class TargetsFile(Strict):
    """inputs/<org>/targets.yaml: what the HKEX pack needs from the organisation in words and
    targets. `explanations` answer a Part D item (by key) the organisation does not disclose."""

    statements: dict[str, KpiStatement] = Field(default_factory=dict)  # by HKEX KPI key (A1.5 ...)
    targets: list[ClimateTarget] = Field(default_factory=list)
    internal_carbon_price: CarbonPrice | None = None
    explanations: dict[str, Text] = Field(default_factory=dict)  # by Part D item key


# ---------------------------------------------------------------- base-year policy (inputs/<org>/policy.yaml)


def _day(value: object) -> object:
    # YAML reads 1688169600 as a number, which pydantic would take as a Unix time.
    if isinstance(value, (bool, int, float)):
        raise ValueError(f"a date as YYYY-MM-DD, not the number {value}")
    return value


def _in_years(value: date) -> date:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"a date in {FIRST_YEAR}-{LAST_YEAR}")
    return value


# A field named `date` hides the type inside its class, hence the name.
Day = Annotated[date, BeforeValidator(_day), AfterValidator(_in_years)]
Tonnes = Annotated[Number, Field(ge=-MAX_TCO2E, le=MAX_TCO2E)]


class Threshold(Strict):
    """Significance: a change is significant when it moves the base year's `of` figures (summed)
    by at least `percent` of them."""

    percent: Annotated[Number, Field(gt=0, le=100)]
    of: Figures = Field(default_factory=lambda: ["scope1", "scope2_location"])  # tCO2e figures


class EntityEmissions(Strict):
    """An acquired or divested entity's annual figures: given (tCO2e by inventory figure, the
    same every year) or computed from its own activity ledger."""

    emissions: dict[InventoryPath, Annotated[Number, Field(ge=0, le=MAX_TCO2E)]] | None = None
    ledger: Annotated[str, Field(strict=True, min_length=1)] | None = None  # relative to the policy file

    @model_validator(mode="after")
    def _one_source(self) -> EntityEmissions:
        if (self.emissions is None) == (self.ledger is None):
            raise ValueError("either emissions (tCO2e by inventory figure) or ledger (its activity file)")
        return self


class StructuralChange(Strict):
    kind: Literal["acquisition", "divestment"]
    name: Text
    date: Day  # the day the entity joined or left the boundary
    entity: EntityEmissions


class MethodChange(Strict):
    """A change of method or factors: the years computed as they were (`as_of_before`: factors
    published on or before that day; `factors_before`: a factor set name@version) against now."""

    kind: Literal["method_change"]
    name: Text
    date: Day
    as_of_before: Day | None = None
    factors_before: Text | None = None
    years: Annotated[list[Year], Field(min_length=1)] | None = None  # the years it changed (default: all)

    @model_validator(mode="after")
    def _what_before(self) -> MethodChange:
        if self.as_of_before is None and self.factors_before is None:
            raise ValueError("as_of_before (a date) or factors_before (name@version): what the method was")
        return self


class ErrorCorrection(Strict):
    """A discovered error: tCO2e by inventory figure to add (negative: remove) in one year."""

    kind: Literal["error_correction"]
    name: Text
    date: Day
    year: Year
    difference: Annotated[dict[InventoryPath, Tonnes], Field(min_length=1)]


PolicyEvent = Annotated[StructuralChange | MethodChange | ErrorCorrection, Field(discriminator="kind")]


class RestatementPolicy(Strict):
    """inputs/<org>/policy.yaml: the base year, the significance threshold, whether changes
    count together, and the recorded events (GHG Protocol Corporate Standard, chapter 5)."""

    base_year: Year
    threshold: Threshold
    cumulative: bool = False
    # A company records a handful; each change of method is a run of the inventory.
    events: Annotated[list[PolicyEvent], Field(max_length=200)] = Field(default_factory=list)
