"""Normalised emission lines: row-key codes (distinct_rows) and lines by repeat and take."""

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from carbon.codes import distinct_rows

COLUMNS = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c", None]), st.integers(2020, 2022), st.sampled_from([1.0, 0.5, np.nan])
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(COLUMNS)
def test_distinct_rows_groups_as_pandas_does(records):
    frame = pd.DataFrame(records, columns=["text", "year", "multiplier"]).astype({"text": "category"})
    # The categorical column in the middle: its missing values (code -1) must not fall together
    # with another column's values.
    codes, first = distinct_rows(frame, ["year", "text", "multiplier"])
    # The same partition of the rows as pandas' groupby (missing values are a group of their own) ...
    groups = frame.groupby(["year", "text", "multiplier"], dropna=False, observed=True, sort=False).ngroup()
    assert pd.crosstab(codes, groups.to_numpy()).astype(bool).sum(axis=1).eq(1).all()
    assert len(set(codes)) == groups.nunique()
    # ... numbered in order of first appearance, `first` pointing at each group's first row.
    assert list(first) == sorted(first) and list(codes[first]) == list(range(len(first)))
    for code, position in enumerate(first):
        assert np.flatnonzero(codes == code)[0] == position
