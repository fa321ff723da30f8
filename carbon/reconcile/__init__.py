"""Reconcile the figures printed in published reports with each other and with the engine.

A figure printed with k decimals stands for the interval value +- 0.5 x 10^-k in its printed
unit (integer counts are exact); figures are compared in their KPI's own unit after
conversion. Derived figures (sums, intensities, changes) are compared by interval arithmetic,
so nothing that rounding can explain is flagged. Each check ends with a verdict:

- consistent:      rounding of the printed inputs explains any difference;
- rounding_method: consistent only if the publisher truncated instead of rounding (or rounded
                   one printing half down);
- inconsistent:    no rounding explains it;
- note:            methodology or comparability, not arithmetic.

Stages: published.py reads the tables; checks.py compares printed figures with one another;
against.py compares them with the engine and with factors the documents state; implied.py
compares implied factors with published factor series (figures.py: reading one figure). KPI
keys, identities and unit spellings are data (carbon/data/kpis.yaml, identities.yaml).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from carbon.engine import InventoryRequest, RunResult, run_inventory
from carbon.errors import ReconcileError
from carbon.factors import FactorSet, load_factor_set, resolve_factor_set
from carbon.ledger import Organisation, load_organisation
from carbon.models.vocabulary import vocabulary
from carbon.reconcile.against import check_engine, check_stated_factors
from carbon.reconcile.checks import (
    check_changes,
    check_comparability,
    check_cross_document,
    check_implied_denominators,
    check_ratios,
    check_regions,
    check_sums,
    check_well_formed,
)
from carbon.reconcile.figures import Denominator, Denominators
from carbon.reconcile.findings import Finding, Reconciliation, finding, findings_frame, ordered
from carbon.reconcile.implied import check_implied_factors
from carbon.reconcile.intervals import Interval
from carbon.reconcile.published import Published, load_published
from carbon.reconcile.rules import catalogue, catalogue_keys, unit_label
from carbon.units import conversion_factor

__all__ = [
    "Published",
    "Reconciliation",
    "findings_frame",
    "load_published",
    "reconcile",
    "reconcile_if_published",
    "reconcile_organisation",
]


def organisation_denominators(organisation: Organisation | None) -> Denominators:
    """(denominator KPI, year) -> the organisation file's value, exact, in the KPI's unit."""
    if organisation is None:
        return {}
    metrics = vocabulary().metrics
    found: Denominators = {}
    for intensity in catalogue().intensities.values():
        name, kpi = intensity.organisation_metric, intensity.denominator
        if name not in organisation.metrics:
            continue
        unit = catalogue_keys()[kpi].unit
        scale = conversion_factor(metrics[name].unit, unit)
        for year, value in organisation.metrics[name].dropna().items():
            found[(kpi, int(year))] = Denominator(Interval(value * scale, value * scale), unit_label(unit))
    return found


def document_notes(published: Published) -> list[Finding]:
    """The consolidation basis a document states, and each total's stated coverage, as notes."""
    notes = []
    table = published.figures
    for document_id, document in published.documents.items():
        rows = table[table["document"] == document_id]
        if document.consolidation and not rows.empty:
            # About the document, not a figure: shown against its first period, as kpi "document".
            anchor = rows.iloc[0].copy()
            anchor["kpi"], anchor["printed"], anchor["region"] = "document", "", ""
            message = f"{document.title}: consolidation basis as stated: {document.consolidation}"
            notes.append(finding("consolidation", "note", anchor, [anchor], None, message))
    notes += _fiscal_labels(table)
    for _, row in table[table["coverage"] != ""].iterrows():
        message = f"{row['kpi']} {row['printed']} is stated to cover: {row['coverage']}"
        notes.append(finding("coverage", "note", row, [row], None, message))
    return notes


def _fiscal_labels(table: pd.DataFrame) -> list[Finding]:
    """'FY2024' beside 'FY2023/24' for the same end year: without a document's fiscal_year_end
    the two are not known to be one period, so they are not compared; a note says how to join them."""
    notes = []
    labels = table[~table["calendar"]].drop_duplicates("period")
    for year, group in labels.groupby("year"):
        if group["period"].nunique() > 1:
            row = group.iloc[0]
            message = (
                f"periods {', '.join(sorted(group['period']))} all end in {year} but are not compared with "
                "one another: give each document its `fiscal_year_end` (e.g. '31 March') if they are one "
                "period"
            )
            notes.append(
                finding("period_labels", "note", row, [r for _, r in group.iterrows()], None, message)
            )
    return notes


def reconcile(
    published: Published,
    result: RunResult | None,
    denominators: Denominators | None = None,
    factor_set: FactorSet | None = None,
) -> Reconciliation:
    """All checks; `checked` counts the printed figures, `findings` every check's verdict.
    `result` is the engine's run of the organisation's ledger, or None (printed tables alone);
    `factor_set`, whose factors implied ones are compared with (default: the run's)."""
    table = published.figures
    findings = (
        check_well_formed(table)
        + check_sums(table)
        + check_regions(table)
        + check_ratios(table, denominators or {})
        + check_implied_denominators(table, denominators)
        + check_cross_document(table)
        + check_changes(table)
        + check_implied_factors(table, result, published.documents, factor_set)
        + check_stated_factors(table, published.factors)
        + check_comparability(table)
        + document_notes(published)
        + (check_engine(table, result) if result is not None else [])
    )
    return Reconciliation(checked=int(len(table)), findings=ordered(findings))


def reconcile_organisation(org_dir: Path, request: InventoryRequest) -> Reconciliation:
    """Reconcile the organisation's published tables (org_dir/published): with the engine's run
    of its ledger when it has one, else the printed tables alone (with the organisation file's
    denominators when there is one)."""
    published = load_published(Path(org_dir) / "published")
    if Path(request.ledger).exists():
        result = run_inventory(request)
        return reconcile(published, result, organisation_denominators(result.organisation))
    organisation = None
    if Path(request.organisation).exists():
        organisation, problems = load_organisation(request.organisation)
        if problems:
            raise ReconcileError(
                "the organisation file has problems:\n" + "\n".join(f"  - {p}" for p in problems)
            )
    factor_set = load_factor_set(resolve_factor_set(request.factors, as_of=request.as_of))
    return reconcile(published, None, organisation_denominators(organisation), factor_set)


def reconcile_if_published(result: RunResult) -> Reconciliation | None:
    """The reconciliation of an inventory run, when its organisation folder has published tables."""
    folder = Path(result.request.ledger).parent / "published"
    if not any(folder.glob("*.yaml")):
        return None
    return reconcile(load_published(folder), result, organisation_denominators(result.organisation))
