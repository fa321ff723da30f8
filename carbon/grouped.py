"""A large ledger's inventory in groups, for the auditor workbook and reconciliation.

Excel holds at most 1,048,576 rows a sheet, and a sheet of millions of formulas is of no use to
an auditor. Above LARGE_LEDGER_ROWS ledger rows the workbook works on groups instead: the
rows of one row key (year, region, activity, attributes, unit and conversion) at one site in
one ledger file, summed. Each group's lines are its row key's factor components, so the
Calculation sheet keeps the engine's arithmetic (summed canonical quantity x factor x share x
GWP) and its formulas still recompute every Summary figure. A group is traced to its lines in
emission_lines.parquet by `line_key` and `site` (both on the Calculation sheet).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from carbon.calculate import LINE_COLUMNS, ROW_KEY, Lines
from carbon.codes import distinct_rows
from carbon.engine import InventoryRequest
from carbon.factors import COMPONENT, FactorSet
from carbon.ledger import Organisation
from carbon.models.inventory import Inventory
from carbon.models.vocabulary import vocabulary

# Ledgers with more rows than this get the grouped workbook (a row per group, not per ledger row)
# and, from CSV too, the chunked run with Parquet lines.
LARGE_LEDGER_ROWS = 100_000
GROUP_KEY = [*ROW_KEY, "site", "ledger_file"]
GROUP_SUMS = {"quantity": "sum", "quantity_canonical": "sum", "rows": "sum", "ledger_row": "min"}


def row_groups(computed: Lines) -> pd.DataFrame:
    """A chunk's rows summed per group (GROUP_KEY), with the row count and the first ledger row."""
    rows = computed.rows
    members = pd.DataFrame(
        {"row_key": computed.row_index, "site": rows["site"].array, "ledger_file": rows["ledger_file"].array}
    )
    group, first = distinct_rows(members, list(members.columns))
    size = len(first)
    frame = computed.row_keys.iloc[computed.row_index[first]].reset_index(drop=True)
    return frame.assign(
        site=rows["site"].astype(str).to_numpy()[first],
        ledger_file=rows["ledger_file"].astype(str).to_numpy()[first],
        quantity=np.bincount(group, weights=rows["quantity"].to_numpy(), minlength=size),
        quantity_canonical=np.bincount(group, weights=rows["quantity_canonical"].to_numpy(), minlength=size),
        rows=np.bincount(group, minlength=size).astype(np.int64),
        ledger_row=rows["ledger_row"].to_numpy()[first],
    )


def combine_groups(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The groups of every chunk added up, in ledger order of their first row."""
    frame = pd.concat(parts, ignore_index=True)
    frame = frame.groupby(GROUP_KEY, dropna=False, sort=False).agg(GROUP_SUMS).reset_index()
    return frame.sort_values(["year", "ledger_row"], kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class GroupedResult:
    """What the workbook and reconciliation read of a run (as InventoryResult has it), with a
    row per group for `rows` and a line per group and factor component for `lines`."""

    inventory: Inventory
    lines: pd.DataFrame  # LINE_COLUMNS + line_key; record_id names the group
    rows: pd.DataFrame  # the groups, in the columns of ledger rows; record_id names the group
    warnings: list[str]
    organisation: Organisation
    factor_set: FactorSet
    request: InventoryRequest
    line_files: dict[str, str]  # line file name -> sha256, for the Cover sheet


def grouped_result(
    inventory: Inventory,
    warnings: list[str],
    groups: pd.DataFrame,
    keys: pd.DataFrame,
    organisation: Organisation,
    factor_set: FactorSet,
    request: InventoryRequest,
    line_files: dict[str, str],
) -> GroupedResult:
    """Groups as ledger-like rows, and their lines from the run's line keys."""
    counts = zip(groups["rows"], groups["ledger_row"], strict=True)
    rows = groups.assign(
        record_id=[f"group {i}" for i in range(1, len(groups) + 1)],
        source=[f"sum of {n:,} ledger rows (first: row {first})" for n, first in counts],
        data_quality=groups["quality_class"],  # the rows' texts may differ within a group: the class
        # Per-row attributes that are not part of a factor key (a certificate's id) differ within
        # a group: the group shows none; the lines file has them per row.
        **{name: "" for name in vocabulary().attributes if name not in groups.columns},
    )
    carried = ["record_id", "site", "ledger_file", "ledger_row", "source", "quantity", "quantity_canonical"]
    lines = rows[[*carried, *ROW_KEY]].assign(group=np.arange(len(rows)))
    lines = lines.merge(keys, on=ROW_KEY, how="inner", sort=False)
    lines = lines.sort_values(["group", *COMPONENT], kind="stable")
    emissions = lines["quantity_canonical"] * lines["value_canonical"] * lines["applied_share"]
    lines = lines.assign(emissions_t_gas=emissions, tco2e=emissions * lines["gwp"])
    return GroupedResult(
        inventory,
        lines[[*LINE_COLUMNS, "line_key"]].reset_index(drop=True),
        rows,
        warnings,
        organisation,
        factor_set,
        request,
        line_files,
    )
