"""What a reconciliation reports: one Finding per check, with the cells it involved."""

from __future__ import annotations

from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict

from carbon.reconcile.intervals import Interval

Severity = Literal["inconsistent", "rounding_method", "note", "consistent"]
SEVERITIES: tuple[Severity, ...] = ("inconsistent", "rounding_method", "note", "consistent")


class Cell(BaseModel):
    model_config = ConfigDict(frozen=True)

    document: str
    section: str
    locator: str
    printed: str


class Finding(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: str
    severity: Severity
    year: int  # the calendar year, or the year in which a fiscal period ends
    period: str  # "2023" or "FY2023/24"
    region: str  # "" for the whole organisation
    kpi: str
    documents: list[Cell]
    printed: str
    expected: list[float] | None
    message: str


class Reconciliation(BaseModel):
    checked: int
    findings: list[Finding]

    def count(self, severity: Severity) -> int:
        return sum(f.severity == severity for f in self.findings)


def cell(row: pd.Series) -> Cell:
    return Cell(
        document=row["document"], section=row["section"], locator=row["locator"], printed=row["printed"]
    )


def finding(
    kind: str,
    severity: Severity,
    row: pd.Series,
    cells: list[pd.Series],
    expected: Interval | None,
    message: str,
) -> Finding:
    """A finding about the printed figure `row`, in the unit the figure's KPI is compared in."""
    return Finding(
        kind=kind,
        severity=severity,
        year=int(row["year"]),
        period=str(row["period"]),
        region=str(row["region"]),
        kpi=str(row["kpi"]),
        documents=[cell(c) for c in cells],
        printed=str(row["printed"]),
        expected=None if expected is None else expected.as_list(),
        message=message,
    )


def ordered(findings: list[Finding]) -> list[Finding]:
    order = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(
        findings, key=lambda f: (order[f.severity], f.documents[0].document, f.year, f.period, f.kpi, f.kind)
    )


def findings_frame(report: Reconciliation) -> pd.DataFrame:
    """One row per finding for CSV: the cells involved joined into one column."""
    rows = [
        {
            "severity": f.severity,
            "kind": f.kind,
            "year": f.year,
            "period": f.period,
            "region": f.region,
            "kpi": f.kpi,
            "printed": f.printed,
            "expected_low": f.expected[0] if f.expected else None,
            "expected_high": f.expected[1] if f.expected else None,
            "message": f.message,
            "documents": "; ".join(
                f"{c.document} | {c.section} | {c.locator} | {c.printed}" for c in f.documents
            ),
        }
        for f in report.findings
    ]
    columns = ["severity", "kind", "year", "period", "region", "kpi", "printed", "expected_low",
               "expected_high", "message", "documents"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)
