"""Work on codes (carbon/codes.py): the same answers as the plain numpy and pandas operations."""

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from carbon.codes import constant_category, is_in, sorted_distinct

VALUES = st.lists(st.sampled_from(["electricity", "gasoline", "water", " water", "", None]), max_size=40)
WANTED = st.lists(st.sampled_from(["electricity", "water", "", "waste"]), max_size=4)


@settings(max_examples=200, deadline=None)
@given(VALUES, WANTED, st.booleans())
def test_is_in_answers_as_isin_does(values, wanted, categorical):
    column = pd.Series(values, dtype="category" if categorical else "object")
    expected = pd.Series(values, dtype="object").isin(wanted)
    assert is_in(column, wanted).tolist() == expected.tolist()  # a missing value is in none


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 60), max_size=50), st.integers(0, 40))
def test_sorted_distinct_counts_or_sorts_to_the_same_answer(values, extra):
    array = np.array(values, dtype=np.int64)
    size = (int(array.max()) + 1 if len(array) else 0) + extra  # above or below len(values): both ways
    distinct, position = sorted_distinct(array, size)
    assert distinct.tolist() == sorted(set(values))
    assert distinct[position].tolist() == values


def test_constant_category_is_one_category():
    column = constant_category("ledger.csv", 3)
    assert list(column) == ["ledger.csv"] * 3 and list(column.categories) == ["ledger.csv"]
