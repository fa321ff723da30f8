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
    codes (a mixed-radix number per row, built in place): no per-row tuple, string or Python call."""
    combined, size = np.zeros(len(frame), dtype=np.int64), 1
    for name in columns:
        codes, offset, count = _column_codes(frame[name])
        if size * count >= 2**62:  # keep the mixed-radix number in 64 bits: renumber what we have
            combined, distinct = pd.factorize(combined)
            size = max(len(distinct), 1)
        combined *= count
        combined += codes
        if offset:
            combined += offset
        size *= count
    codes, _ = pd.factorize(combined)
    codes = codes.astype(np.int64)
    # Codes are numbered in order of first appearance: a row is its combination's first where its
    # code is above every code before it.
    seen = np.empty_like(codes)
    seen[:1] = -1
    np.maximum.accumulate(codes[:-1], out=seen[1:])
    return codes, np.flatnonzero(codes > seen)


# Integer columns spanning fewer values than this are their own codes (years); others are factorized.
DIRECT_SPAN = 1 << 16


def _column_codes(column: pd.Series) -> tuple[np.ndarray, int, int]:
    """A column as integer codes: (codes, offset to add to make them 0..count-1, count)."""
    if isinstance(column.dtype, pd.CategoricalDtype):  # code -1 (missing) becomes 0
        return column.cat.codes.to_numpy(), 1, len(column.cat.categories) + 1
    values = column.to_numpy()
    if values.dtype.kind in "iu" and len(values):
        low, high = int(values.min()), int(values.max())
        if high - low < DIRECT_SPAN:
            return values, -low, high - low + 1
    codes, uniques = pd.factorize(column, use_na_sentinel=False)
    return codes, 0, max(len(uniques), 1)


def sorted_distinct(values: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of non-negative integers below `size`, sorted, and each value's
    position among them. Counted when `size` is no larger than the values (a pass, no sort)."""
    if size > len(values):
        distinct = np.unique(values)
        return distinct, np.searchsorted(distinct, values)
    distinct = np.flatnonzero(np.bincount(values, minlength=size))
    position = np.zeros(size, dtype=np.int64)
    position[distinct] = np.arange(len(distinct))
    return distinct, position[values]


def is_in(column: pd.Series, values: Iterable[str]) -> pd.Series:
    """Whether each value of `column` is one of `values` (as Series.isin). A categorical column
    is decided on its categories and taken to the rows by code (a missing value is in none)."""
    if not isinstance(column.dtype, pd.CategoricalDtype):
        return column.isin(list(values))
    per_category = np.append(column.cat.categories.isin(list(values)), False)  # code -1: missing
    # np.take, not indexing: with int8 codes it is 40% quicker (no intp copy of the codes).
    return pd.Series(np.take(per_category, column.cat.codes.to_numpy()), index=column.index)


def constant_category(value: str, length: int) -> pd.Categorical:
    """A column of one value, as one category (not a string per row)."""
    return pd.Categorical.from_codes(np.zeros(length, dtype=np.int8), categories=[value])
