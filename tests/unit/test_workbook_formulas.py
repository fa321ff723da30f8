"""Formulas are written as XlsxWriter would write them, without its prefix passes when a formula
calls only classic functions (carbon.export.cells.PlainFormulaWorksheet)."""

import re
import zipfile

import xlsxwriter
from hypothesis import given
from hypothesis import strategies as st

from carbon.export.cells import CLASSIC_FUNCTIONS, PlainFormulaWorksheet


def stored_formulas(tmp_path, formulas: list[str], worksheet_class=None) -> list[bytes]:
    """The <f> elements of the saved sheet, one per formula written."""
    path = tmp_path / "formulas.xlsx"
    book = xlsxwriter.Workbook(str(path), {"in_memory": True})
    sheet = book.add_worksheet("S", worksheet_class=worksheet_class)
    for row, formula in enumerate(formulas):
        sheet.write_formula(row, 0, formula, None, 0)
    book.close()
    with zipfile.ZipFile(path) as xlsx:
        stored = re.findall(rb"<f[ >][^<]*</f>", xlsx.read("xl/worksheets/sheet1.xml"))
    assert len(stored) == len(formulas)
    return stored


def test_a_newer_function_still_gets_its_prefix(tmp_path):
    (stored,) = stored_formulas(tmp_path, ["=XLOOKUP(A1,B:B,C:C)+SUM(D1:D2)"], PlainFormulaWorksheet)
    assert stored.endswith(b">_xlfn.XLOOKUP(A1,B:B,C:C)+SUM(D1:D2)</f>")


classic_formula = st.lists(
    st.tuples(
        st.sampled_from(sorted(CLASSIC_FUNCTIONS)),
        st.sampled_from(["A1", "Calculation!$E$2:$E$9,1", '"n/a (none)"', "B2*C2"]),
    ),
    min_size=1,
    max_size=4,
).map(lambda calls: "=" + "+".join(f"{name}({arguments})" for name, arguments in calls))


@given(formulas=st.lists(classic_formula, min_size=1, max_size=5))
def test_classic_formulas_are_stored_as_xlsxwriter_stores_them(tmp_path_factory, formulas):
    tmp_path = tmp_path_factory.mktemp("f")
    assert stored_formulas(tmp_path, formulas, PlainFormulaWorksheet) == stored_formulas(tmp_path, formulas)
