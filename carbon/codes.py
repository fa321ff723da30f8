"""Work on a column's integer codes, not its values: distinct combinations of columns and
membership tests cost a pass over small integers, and Python touches only the few distinct
values."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd


def distinct_rows(frame: pd.DataFrame, columns: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Each row's code among the distinct combinations of `columns` (0, 1, ... in order of first
    appearance) and the position of each combination's first row. Works on the columns' integer
    codes: no per-row tuple, string or Python call."""
    combined, size = np.zeros(len(frame), dtype=np.int64), 1
    for name in columns:
        column = frame[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            codes, count = column.cat.codes.to_numpy().astype(np.int64) + 1, len(column.cat.categories) + 1
        else:
            codes, uniques = pd.factorize(column, use_na_sentinel=False)
            count = max(len(uniques), 1)
        if size * count >= 2**62:  # keep the mixed-radix number in 64 bits: renumber what we have
            combined, distinct = pd.factorize(combined)
            size = max(len(distinct), 1)
        combined, size = combined * count + codes, size * count
    codes, _ = pd.factorize(combined)
    first = np.flatnonzero(~pd.Series(codes).duplicated().to_numpy())
    return codes.astype(np.int64), first


def is_in(column: pd.Series, values: Iterable[str]) -> pd.Series:
    """Whether each value of `column` is one of `values` (as Series.isin). A categorical column
    is decided on its categories and taken to the rows by code (a missing value is in none)."""
    if not isinstance(column.dtype, pd.CategoricalDtype):
        return column.isin(list(values))
    per_category = np.append(column.cat.categories.isin(list(values)), False)  # code -1: missing
    return pd.Series(per_category[column.cat.codes.to_numpy()], index=column.index)


def constant_category(value: str, length: int) -> pd.Categorical:
    """A column of one value, as one category (not a string per row)."""
    return pd.Categorical.from_codes(np.zeros(length, dtype=np.int8), categories=[value])
