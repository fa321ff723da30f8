"""`carbon reconcile init`: a published-table file to fill in, one entry per figure a typical
statistical table prints, each with an empty `printed` that reconcile refuses until it is
filled in or deleted (so a half-transcribed table is never checked as if complete)."""

from __future__ import annotations

from pathlib import Path

import yaml

from carbon.errors import ReconcileError
from carbon.outputs import write_atomically
from carbon.reconcile.rules import catalogue, example_unit, kpi_spec

HEADER = """\
# Published table of {title}: one entry per printed figure, for `carbon reconcile`.
# Fill in `printed` with the figure exactly as printed (quoted: '1,620.95'), set `unit` to the
# unit printed in the header ('000 kWh, kgCO2e/employee, tonnes, m³ ...), and delete the
# entries the report does not print. Fiscal years: replace `year: 2024` by
# `period: FY2023/24` or `period: year ended 31 March 2024`. Regional columns: add
# `region: UK`. Year-on-year changes: `unit: '%'` with `change_from: 2023`.
# Format: README, "Reconciliation with the published reports"; JSON Schema:
# `carbon schema published`. Keys: carbon/data/kpis.yaml.
"""


def template(document_id: str, title: str, years: list[int]) -> str:
    figures = [
        {
            "kpi": kpi,
            "year": year,
            "printed": "",
            "unit": _compared_unit(kpi),
            "section": "statistical table",
            "page": None,
            "row": "",
            "column": str(year),
        }
        for year in years
        for kpi in catalogue().template
    ]
    document = {"id": document_id, "title": title, "seed": "", "published": None, "reporting_years": years}
    body = yaml.safe_dump(
        {"document": document, "figures": figures}, sort_keys=False, allow_unicode=True, width=110
    )
    return HEADER.format(title=title) + body


def _compared_unit(kpi: str) -> str:
    spec = kpi_spec(kpi)
    assert spec is not None  # the template lists catalogue keys (tests/unit/test_reconcile.py)
    return example_unit(spec)


def write_template(folder: Path, document_id: str, title: str, years: list[int]) -> Path:
    """ORG/published/<document_id>.yaml; an existing file is never overwritten."""
    path = Path(folder) / f"{document_id}.yaml"
    if path.exists():
        raise ReconcileError(f"{path}: already exists; choose another --document or delete it first")
    text = template(document_id, title, years)
    write_atomically(path, lambda stream: stream.write(text.encode("utf-8")))
    return path
