"""Stage: the HKEX disclosure pack (ESG Reporting Code environmental KPIs A1.1-A2.5 and Appendix
C2 Part D climate metrics) from an inventory.

Every figure is read from the inventory the engine computed (never re-keyed). What the
organisation says in words comes from its folder: the Scope 3 screening (scope3.yaml: each of
the 15 GHG Protocol categories included with its method, or excluded or not relevant with a
reason) and the targets file (targets.yaml: KPI statements, targets, an internal carbon price,
explanations of items not disclosed). Which items are mandatory, comply-or-explain or voluntary
for the issuer's tier and year, and which inventory figure each KPI shows, is data
(carbon/data/hkex.yaml). Where the organisation has published tables, each figure carries the
printed value and the reconcile verdict.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel

from carbon.engine import RunResult
from carbon.errors import InputFileError, Problem
from carbon.models.files import (
    ClimateTarget,
    HkexKpi,
    HkexRules,
    KpiFigure,
    Milestone,
    Scope3Screening,
    TargetsFile,
)
from carbon.models.inventory import FigureUncertainty, InventoryYear
from carbon.models.loading import load_model, validate
from carbon.models.vocabulary import vocabulary
from carbon.paths import data_file
from carbon.reconcile.against import ledger_precision
from carbon.reconcile.figures import in_unit_of, levels, shown, verdict
from carbon.reconcile.findings import Severity
from carbon.reconcile.intervals import Interval
from carbon.reconcile.published import load_published
from carbon.suggest import did_you_mean

Requirement = Literal["mandatory", "comply_or_explain", "voluntary"]
SCREENING_FILE = "scope3.yaml"
TARGETS_FILE = "targets.yaml"
PUBLISHED_FOLDER = "published"
RULES_FILE = "carbon/data/hkex.yaml"


# ---------------------------------------------------------------- the pack (output models)


class Printed(BaseModel):
    """A published figure beside the engine's: where it is printed and the reconcile verdict."""

    printed: str
    document: str
    locator: str
    engine: str  # the engine's figure in the printed unit and precision
    verdict: Severity  # consistent, rounding_method or inconsistent


class Figure(BaseModel):
    label: str
    path: str  # the inventory figures it sums, "scope1+scope2_location"; "/employees" for intensity
    value: float | None
    unit: str
    printed: Printed | None


class KpiRow(BaseModel):
    key: str
    name: str
    status: Literal["computed", "disclosed", "not_material", "not_computed", "blank"]
    figures: list[Figure]
    text: str | None  # the statement, or why not computed or blank


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
    path: str | None  # the inventory figure, for an item that is one
    requirement: Requirement
    value: float | None
    unit: str
    status: Literal["disclosed", "explained", "blank"]
    note: str
    printed: Printed | None
    uncertainty: FigureUncertainty | None = None  # the figure's 95% intervals (carbon/uncertainty.py)


class TargetRow(BaseModel):
    name: str
    scope: str
    metric: str
    sum_of: list[str]  # the inventory figures the metric adds up
    per_employee: bool
    unit: str
    base_year: int
    base_value: float | None  # None when a figure of the metric (or the headcount) is missing
    year: int  # the pack's year
    value: float | None
    achieved_pct: float | None  # reduction from the base year so far; None when the base is 0
    target_year: int
    reduction_pct: float
    milestones: list[Milestone]
    basis: str
    carbon_credits: str
    source: str


class CarbonPriceRow(BaseModel):
    price: float
    currency: str
    applies_to: list[str]
    tco2e: float
    shadow_cost: float  # tco2e x price
    use: str
    source: str


class InstrumentRow(BaseModel):
    """A contractual instrument the ledger claims in the pack's year (market-based Scope 2)."""

    activity: str  # green_certificate, green_power ...
    instrument: str  # certificate or contract id ("" where the ledger rows are grouped)
    vintage: str
    quantity: float
    unit: str
    ledger_rows: int


class YearFigures(BaseModel):
    """One inventory year's headline figures, for the trend beside the pack's year."""

    year: int
    scope1: float
    scope2_location: float
    scope2_market: float
    scope3: float
    tco2e_per_employee: float | None


class FactorSource(BaseModel):
    """A factor behind the pack year's figures, with its citation and confidence."""

    factor_id: str
    value: float
    unit: str
    source: str
    confidence: str


class HkexPack(BaseModel):
    organisation: str
    year: int
    tier: str
    as_of: str  # factors published on or before this date
    rules_source: str
    approach: str
    gwp: str
    factor_sets: list[str]
    kpis: list[KpiRow]
    items: list[PartDItem]
    scope3: list[Scope3Row]
    targets: list[TargetRow]
    carbon_price: CarbonPriceRow | None
    instruments: list[InstrumentRow]
    history: list[YearFigures]
    factor_sources: list[FactorSource]

    def strict_findings(self) -> list[str]:
        """What --strict refuses: a mandatory item blank, a comply-or-explain item with neither a
        value nor an explanation, or a KPI with neither a figure nor a statement."""
        items = [
            f"{item.name}: {item.requirement.replace('_', '-')} and blank"
            for item in self.items
            if item.status == "blank" and item.requirement != "voluntary"
        ]
        kpis = [f"KPI {kpi.key} {kpi.name}: blank" for kpi in self.kpis if kpi.status == "blank"]
        return items + kpis


# ---------------------------------------------------------------- the organisation's files


@dataclass(frozen=True)
class OrganisationFiles:
    """What the pack reads from the organisation's folder besides its ledger."""

    screening: Scope3Screening
    screening_file: str
    targets: TargetsFile
    targets_file: str
    published: pd.DataFrame | None  # printed figures (reconcile's table), None without published/


def load_screening(path: Path) -> Scope3Screening:
    return load_model(path, Scope3Screening, "Scope 3 screening")


def load_organisation_files(folder: Path) -> OrganisationFiles:
    """scope3.yaml (required), targets.yaml (optional: without it statements, targets and the
    carbon price are blank) and published/ (optional)."""
    screening_file = folder / SCREENING_FILE
    targets_file = folder / TARGETS_FILE
    targets = (
        load_model(targets_file, TargetsFile, "HKEX targets") if targets_file.exists() else TargetsFile()
    )
    return OrganisationFiles(
        screening=load_screening(screening_file),
        screening_file=str(screening_file),
        targets=targets,
        targets_file=str(targets_file),
        published=published_table(folder),
    )


@cache
def hkex_rules() -> HkexRules:
    return validate(data_file("hkex.yaml"), HkexRules, RULES_FILE)


def requirement(rules: HkexRules, key: str, tier: str, year: int) -> Requirement:
    """What an item is for an issuer of `tier` in financial year `year`."""
    item = rules.item(key)
    if year >= item.mandatory.get(tier, year + 1):
        return "mandatory"
    if year >= item.comply_or_explain.get(tier, year + 1):
        return "comply_or_explain"
    return "voluntary"


# ---------------------------------------------------------------- inventory figures by path


# The inventory contract's tCO2e figures (README, JSON contract), with Scope 3 by category: what
# a target, a carbon price or a restatement threshold may add up.
EMISSION_FIGURES = ("scope1", "scope2_location", "scope2_market", "scope3", "total_location", "total_market")


def emission_paths() -> list[str]:
    return [*EMISSION_FIGURES, *(f"scope3_by_category.{n}" for n in hkex_rules().scope3_categories)]


def figure_paths(years: Iterable[InventoryYear]) -> list[str]:
    """Every figure the inventory years have that a file may name: scope1,
    energy_mwh.electricity ..., and every Scope 3 category (0 where it has no lines)."""
    paths = dict.fromkeys(emission_paths())
    for year in years:
        for name, value in year.model_dump().items():
            if isinstance(value, dict):
                paths.update(
                    dict.fromkeys(f"{name}.{part}" for part in value if not isinstance(value[part], dict))
                )
            elif name != "year":
                paths[name] = None
    return list(paths)


def check_paths(named: dict[str, list[str]], known: list[str], file: str, what: str) -> None:
    """Refuse, with a 'did you mean', paths that are not among `known` (`what` they must be);
    `named` maps each file key (targets[1].metric.sum_of) to the paths it gives."""
    problems = [
        Problem(file, None, None, path, f"{what}{did_you_mean(path, known)}", key=key)
        for key, paths in named.items()
        for path in paths
        if path not in known
    ]
    if problems:
        raise InputFileError(problems, f"{file} names figures the inventory does not have")


def figure(year: InventoryYear, path: str) -> float | None:
    """An inventory figure by its path (scope1, energy_mwh.electricity); None when not known,
    0 for a Scope 3 category without lines that year."""
    value: Any = year.model_dump()
    for part in path.split("."):
        value = value.get(part, 0.0) if isinstance(value, dict) else value
    return None if value is None else float(value)


def total(year: InventoryYear, paths: list[str], per_employee: bool = False) -> float | None:
    """The sum of inventory figures, per employee if asked; None when one of them (or the
    headcount) is not known."""
    values = [figure(year, path) for path in paths]
    if any(value is None for value in values):
        return None
    amount = sum(v for v in values if v is not None)
    if not per_employee:
        return amount
    return amount / year.employees if year.employees else None


# ---------------------------------------------------------------- printed figures beside ours


def intensity_key(kpi: str) -> str:
    """The published KPI key of a figure's per-employee intensity (ghg.total -> ghg.per_employee)."""
    return kpi.removesuffix(".total") + ".per_employee"


def published_table(folder: Path) -> pd.DataFrame | None:
    """The printed figures of the organisation's published/ tables (reconcile's frame), if any."""
    published = folder / PUBLISHED_FOLDER
    return load_published(published).figures if any(published.glob("*.yaml")) else None


def published_row(table: pd.DataFrame | None, kpis: list[str], year: int) -> pd.Series | None:
    """The printed figure of the first of `kpis` the tables print for the whole organisation in
    calendar `year` (the latest document's printing), or None."""
    if table is None:
        return None
    usable = levels(table)
    usable = usable[usable["calendar"] & (usable["region"] == "") & (usable["year"] == year)]
    for kpi in kpis:
        rows = usable[usable["kpi"] == kpi]
        if len(rows):
            return rows.iloc[-1]
    return None


def printed_beside(row: pd.Series | None, value: float | None, slack: float = 0.0) -> Printed | None:
    """A printed figure with the verdict on the engine's value (+- `slack`, the precision of
    ledger rows keyed from print)."""
    if row is None or value is None:
        return None
    return Printed(
        printed=shown(row, None) + ("" if row["unit"] == "" else f" {row['unit']}"),
        document=str(row["document"]),
        locator=str(row["locator"]),
        engine=in_unit_of(value, row, 2),
        verdict=verdict(Interval(value - slack, value + slack), row),
    )


# ---------------------------------------------------------------- environmental KPIs


def kpi_figures(spec: KpiFigure, year: InventoryYear, result: RunResult, table: pd.DataFrame | None):
    """A KPI figure (one per type with each_of, the total last), then its intensity."""
    if spec.each_of is not None:
        parts = year.model_dump()[spec.each_of]  # the types the year has (not 0), then the total
        keys = [k for k in parts if k != "total" and parts[k]] + (["total"] if "total" in parts else [])
        sources = [([f"{spec.each_of}.{k}"], spec.label.format(key=k.replace("_", " ")), k) for k in keys]
    else:
        sources = [(spec.sum_of, spec.label, None)]
    figures = []
    for paths, label, key in sources:
        published = [kpi.format(key=key) for kpi in spec.published]
        value = total(year, paths)
        row = published_row(table, published, year.year)
        figures.append(
            Figure(
                label=label,
                path="+".join(paths),
                value=value,
                unit=spec.unit,
                printed=printed_beside(row, value, _precision(result, paths, year.year, row)),
            )
        )
        if spec.per_employee and key in (None, "total"):
            intensity = total(year, paths, per_employee=True)
            per_employee = published_row(table, [intensity_key(k) for k in published], year.year)
            figures.append(
                Figure(
                    label=f"{label} per employee",
                    path=f"({'+'.join(paths)})/employees",
                    value=intensity,
                    unit=f"{spec.unit} per employee",
                    printed=printed_beside(per_employee, intensity),
                )
            )
    return figures


def _precision(result: RunResult, paths: list[str], year: int, row: pd.Series | None) -> float:
    """How far a figure of one ledger resource may be from its printed `row` because its rows
    were keyed from printed figures (reconcile's ledger_precision); 0 for sums and emissions."""
    if row is None or len(paths) != 1:
        return 0.0
    return ledger_precision(result, paths[0], year, 0.5 * 10.0 ** -int(row["decimals"]) * row["scale"])


def kpi_row(kpi: HkexKpi, year: InventoryYear, result: RunResult, files: OrganisationFiles) -> KpiRow:
    if kpi.not_computed is not None:
        return KpiRow(key=kpi.key, name=kpi.name, status="not_computed", figures=[], text=kpi.not_computed)
    if kpi.statement:
        said = files.targets.statements.get(kpi.key)
        if said is None:
            why = f"no statement for {kpi.key} in {TARGETS_FILE}"
            return KpiRow(key=kpi.key, name=kpi.name, status="blank", figures=[], text=why)
        return KpiRow(key=kpi.key, name=kpi.name, status=said.status, figures=[], text=said.text)
    figures = [f for spec in kpi.figures for f in kpi_figures(spec, year, result, files.published)]
    return KpiRow(key=kpi.key, name=kpi.name, status="computed", figures=figures, text=None)


# ---------------------------------------------------------------- Part D


def scope3_rows(
    screening: Scope3Screening, rules: HkexRules, by_category: dict[str, float], file: str, year: int
) -> list[Scope3Row]:
    """The 15 categories with their status and ledger figure. A ledger figure in a category
    the screening leaves out, or an included ledger category without one, is a contradiction
    between the two files: refused, naming the category."""
    problems, rows = [], []
    for number, name in rules.scope3_categories.items():
        entry = screening.categories[number]
        amount = by_category.get(number, 0.0)
        expected = _contradiction(entry.status, entry.method, amount, year)
        if expected:
            problems.append(Problem(file, None, None, entry.status, expected, key=f"categories.{number}"))
        rows.append(
            Scope3Row(
                category=int(number),
                name=name,
                status=entry.status,
                method=entry.method,
                tco2e=amount if entry.status == "included" else None,
                reason=entry.reason,
                estimate_t=entry.estimate_t,
                estimate_basis=entry.estimate_basis,
            )
        )
    if problems:
        raise InputFileError(problems, f"{file} does not agree with the inventory")
    return rows


def _contradiction(status: str, method: str | None, amount: float, year: int) -> str | None:
    """What the screening should say instead, when it contradicts the ledger's figure."""
    if status == "included" and amount <= 0:
        return (
            f"a category with ledger data in {year} (it is included with method '{method}', but the "
            "ledger has no emissions in it): add its rows, or mark it excluded with a reason"
        )
    if status != "included" and amount > 0:
        return f"status 'included' with its method (the ledger has {amount:,.2f} tCO2e in it in {year})"
    return None


def target_row(target: ClimateTarget, years: dict[int, InventoryYear], year: int) -> TargetRow:
    base = total(years[target.base_year], target.metric.sum_of, target.metric.per_employee)
    now = total(years[year], target.metric.sum_of, target.metric.per_employee)
    metric = " + ".join(target.metric.sum_of) + (" per employee" if target.metric.per_employee else "")
    return TargetRow(
        name=target.name,
        scope=target.scope,
        metric=metric,
        sum_of=target.metric.sum_of,
        per_employee=target.metric.per_employee,
        unit="tCO2e per employee" if target.metric.per_employee else "tCO2e",
        base_year=target.base_year,
        base_value=base,
        year=year,
        value=now,
        achieved_pct=None if not base or now is None else 100.0 * (base - now) / base,
        target_year=target.target_year,
        reduction_pct=target.reduction_pct,
        milestones=target.milestones,
        basis=target.basis,
        carbon_credits=target.carbon_credits,
        source=target.source,
    )


def check_targets(
    files: OrganisationFiles, rules: HkexRules, years: dict[int, InventoryYear], year: int
) -> None:
    """The targets file's keys, years and figures against the rules and the inventory: exit 2
    naming each problem's key."""
    targets, file = files.targets, files.targets_file
    said = [kpi.key for kpi in rules.kpis if kpi.statement]
    items = [item.key for item in rules.items]
    problems = [
        Problem(
            file,
            None,
            None,
            key,
            f"a KPI answered in words ({', '.join(said)}){did_you_mean(key, said)}",
            key=f"statements.{key}",
        )
        for key in targets.statements
        if key not in said
    ]
    problems += [
        Problem(
            file,
            None,
            None,
            key,
            f"a Part D item ({', '.join(items)}){did_you_mean(key, items)}",
            key=f"explanations.{key}",
        )
        for key in targets.explanations
        if key not in items
    ]
    listed = ", ".join(str(y) for y in sorted(years) if y <= year)
    problems += [
        Problem(
            file,
            None,
            None,
            str(t.base_year),
            f"an inventory year no later than {year} ({listed})",
            key=f"targets[{i}].base_year",
        )
        for i, t in enumerate(targets.targets, start=1)
        if t.base_year not in years or t.base_year > year
    ]
    if problems:
        raise InputFileError(problems, f"{file} has problems")
    named = {f"targets[{i}].metric.sum_of": t.metric.sum_of for i, t in enumerate(targets.targets, start=1)}
    if targets.internal_carbon_price is not None:
        named["internal_carbon_price.applies_to"] = targets.internal_carbon_price.applies_to
    check_paths(named, emission_paths(), file, "a tCO2e figure of the inventory")


def rules_paths(rules: HkexRules) -> dict[str, list[str]]:
    """The inventory figures the rules file names, by key (each_of names a figure by type)."""
    named = {f"items.{item.key}.path": [item.path] for item in rules.items if item.path is not None}
    for kpi in rules.kpis:
        for n, spec in enumerate(kpi.figures, start=1):
            paths = spec.sum_of or [f"{spec.each_of}.total"]
            named[f"kpis.{kpi.key}.figures[{n}]"] = paths
    return named


def carbon_price_row(files: OrganisationFiles, summary: InventoryYear) -> CarbonPriceRow | None:
    price = files.targets.internal_carbon_price
    if price is None:
        return None
    tco2e = total(summary, price.applies_to) or 0.0
    return CarbonPriceRow(
        price=price.price,
        currency=price.currency,
        applies_to=price.applies_to,
        tco2e=tco2e,
        shadow_cost=tco2e * price.price,
        use=price.use,
        source=price.source,
    )


# What the organisation's targets file answers, by Part D item key: (value, unit, note), or
# None when it gives no answer (the item is then explained or blank).
Answer = tuple[float | None, str, str] | None


def _targets_answer(targets: list[TargetRow], price: CarbonPriceRow | None) -> Answer:
    if not targets:
        return None
    return None, "", f"{len(targets)} target(s): see Targets"


def _price_answer(targets: list[TargetRow], price: CarbonPriceRow | None) -> Answer:
    if price is None:
        return None
    note = f"shadow cost {price.shadow_cost:,.0f} {price.currency} on {price.tco2e:,.2f} tCO2e; {price.use}"
    return price.price, f"{price.currency} per tCO2e", note


ANSWERED_BY_TARGETS_FILE = {"targets": _targets_answer, "internal_carbon_price": _price_answer}


def part_d_items(
    tier: str,
    summary: InventoryYear,
    files: OrganisationFiles,
    included: int,
    instruments: str,
    targets: list[TargetRow],
    price: CarbonPriceRow | None,
) -> list[PartDItem]:
    """Every Part D item: its requirement for the tier and year, value, status and printed figure."""
    rules, items = hkex_rules(), []
    for spec in rules.items:
        printed = None
        if spec.path is not None:
            value = figure(summary, spec.path)
            note = (spec.note or "").format(included=included, instruments=instruments)
            answer: Answer = (value, spec.unit or "", note)
            printed = printed_beside(published_row(files.published, spec.published, summary.year), value)
        else:
            answer = ANSWERED_BY_TARGETS_FILE[spec.key](targets, price)
        explanation = files.targets.explanations.get(spec.key)
        status: Literal["disclosed", "explained", "blank"]
        if answer is not None and (answer[0] is not None or spec.path is None):
            status, (value, unit, note) = "disclosed", answer
        else:
            value, unit = None, (answer[1] if answer else "")
            status = "explained" if explanation else "blank"
            note = explanation or f"no figure for {summary.year} and no explanation in {TARGETS_FILE}"
        items.append(
            PartDItem(
                key=spec.key,
                name=spec.name,
                path=spec.path,
                requirement=requirement(rules, spec.key, tier, summary.year),
                value=value,
                unit=unit,
                status=status,
                note=note,
                printed=printed,
                uncertainty=summary.uncertainty.get(spec.path)
                if spec.path and status == "disclosed"
                else None,
            )
        )
    return items


# ---------------------------------------------------------------- the pack


def history(years: dict[int, InventoryYear]) -> list[YearFigures]:
    return [
        YearFigures(
            year=y.year,
            scope1=y.scope1,
            scope2_location=y.scope2_location,
            scope2_market=y.scope2_market,
            scope3=y.scope3,
            tco2e_per_employee=y.intensity.tco2e_per_employee,
        )
        for _, y in sorted(years.items())
    ]


def instruments_used(rows: pd.DataFrame, year: int) -> list[InstrumentRow]:
    """The instrument rows of the year, summed per activity, id, vintage and unit."""
    kinds = list(vocabulary().instruments)
    chosen = rows[(rows["year"] == year) & rows["activity"].astype(str).isin(kinds)]
    if chosen.empty:
        return []
    keys = ["activity", "instrument", "vintage", "unit"]
    text = pd.DataFrame({k: chosen[k].astype(str) if k in chosen else "" for k in keys}, index=chosen.index)
    text = text.replace({"nan": "", "<NA>": "", "None": ""})
    summed = text.assign(quantity=chosen["quantity"].astype("float64")).groupby(keys, sort=True)["quantity"]
    return [
        InstrumentRow(activity=a, instrument=i, vintage=v, unit=u, quantity=float(q), ledger_rows=int(n))
        for (a, i, v, u), q, n in zip(summed.sum().index, summed.sum(), summed.size(), strict=True)
    ]


def instrument_note(inventory_notes: list[str], year: int) -> str:
    """What the inventory says of the year's instruments, or that there are none."""
    said = [note for note in inventory_notes if note.startswith(f"Instruments, {year}:")]
    return " ".join(said) if said else f"no contractual instruments in the ledger for {year}"


def factor_sources(lines: pd.DataFrame, year: int) -> list[FactorSource]:
    """The factors of the year's emission lines, once each, by id."""
    columns = ["factor_id", "factor_value", "factor_unit", "factor_source", "factor_confidence"]
    used = lines.loc[lines["year"] == year, columns].drop_duplicates().sort_values(columns[:2])
    return [
        FactorSource(factor_id=str(i), value=float(v), unit=str(u), source=str(s), confidence=str(c))
        for i, v, u, s, c in used.itertuples(index=False)
    ]


def pack_year(years: dict[int, InventoryYear], year: int | None, ledger_file: str) -> int:
    """The year asked for (an inventory year), or the latest."""
    if year is None and years:
        return max(years)
    if year not in years:
        listed = ", ".join(str(y) for y in sorted(years)) or "none"
        expected = f"--year: a year the ledger has rows for ({listed})"
        raise InputFileError([Problem(ledger_file, None, "year", str(year), expected)])
    return year


def hkex_pack(
    result: RunResult, files: OrganisationFiles, year: int | None, tier: str, ledger_file: str
) -> HkexPack:
    """The environmental KPIs and Part D metrics of `year` (default: the latest) for `tier`."""
    rules, inventory = hkex_rules(), result.inventory
    years = {y.year: y for y in inventory.years}
    year = pack_year(years, year, ledger_file)
    summary = years[year]
    check_paths(rules_paths(rules), figure_paths(years.values()), RULES_FILE, "an inventory figure")
    check_targets(files, rules, years, year)
    scope3 = scope3_rows(files.screening, rules, summary.scope3_by_category, files.screening_file, year)
    targets = [target_row(t, years, year) for t in files.targets.targets]
    price = carbon_price_row(files, summary)
    included = sum(row.status == "included" for row in scope3)
    return HkexPack(
        organisation=inventory.organisation,
        year=year,
        tier=tier,
        as_of=inventory.as_of,
        rules_source=rules.source,
        approach=(
            "GHG Protocol Corporate Standard, operational control; Scope 2 location- and market-based; "
            "Scope 3 by the GHG Protocol's 15 categories as screened"
        ),
        gwp=inventory.gwp,
        factor_sets=[f"{s.name}@{s.version}" for s in inventory.factor_sets],
        kpis=[kpi_row(kpi, summary, result, files) for kpi in rules.kpis],
        items=part_d_items(
            tier, summary, files, included, instrument_note(inventory.notes, year), targets, price
        ),
        scope3=scope3,
        targets=targets,
        carbon_price=price,
        instruments=instruments_used(result.rows, year),
        history=history(years),
        factor_sources=factor_sources(result.lines, year),
    )
