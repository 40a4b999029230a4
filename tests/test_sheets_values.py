"""A Google Sheet's grid data as values and formulas (``value_ranges``): what ``spreadsheets.get`` with
``includeGridData`` answers, read cell by cell, and answers that are not what the API documents read as
blanks, never as an error of the reader's own."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from addin.grid.sheets import value_ranges

RANGE = "'Record'!A1:E4"


def _answer(*rows) -> dict:
    return {"sheets": [{"properties": {"title": "Record"}, "data": [{"rowData": list(rows)}]}]}


def _row(*cells) -> dict:
    return {"values": list(cells)}


def test_each_cell_gives_its_value_and_a_formula_cell_its_formula():
    answer = _answer(
        _row({"effectiveValue": {"stringValue": "Course"}}, {"effectiveValue": {"numberValue": 46023}},
             {"effectiveValue": {"boolValue": False}}, {"effectiveValue": {"numberValue": 0}}),
        _row({}, {"userEnteredValue": {"formulaValue": "=B1+1"}, "effectiveValue": {"numberValue": 46024}}))
    (values,), (formulas,) = value_ranges(answer, [RANGE])
    assert values == {"range": RANGE, "majorDimension": "ROWS",
                      "values": [["Course", 46023, False, 0], ["", 46024]]}
    assert formulas == {"range": RANGE, "majorDimension": "ROWS", "values": [[], ["", "=B1+1"]]}


def test_an_error_shows_as_the_text_a_cell_shows():
    answer = _answer(_row(*({"effectiveValue": {"errorValue": {"type": kind, "message": "x"}}}
                            for kind in ("REF", "DIVIDE_BY_ZERO", "N_A", "SOMETHING_NEW"))))
    (values,), _ = value_ranges(answer, [RANGE])
    assert values["values"] == [["#REF!", "#DIV/0!", "#N/A", "#ERROR!"]]


def test_a_value_not_of_the_documented_shape_reads_as_blank():
    answer = _answer(_row({"effectiveValue": {"numberValue": [1]}}, {"effectiveValue": {"stringValue": {"x": 1}}},
                          "text", None, {"effectiveValue": "text"}, {"effectiveValue": {"stringValue": "kept"}}))
    (values,), _ = value_ranges(answer, [RANGE])
    assert values["values"] == [["", "#ERROR!", "", "", "", "kept"]]


def test_blank_cells_at_the_end_of_a_row_and_blank_rows_at_the_end_are_left_out():
    answer = _answer(_row({"effectiveValue": {"stringValue": "a"}}, {}, {"effectiveValue": {"stringValue": ""}}),
                     _row(), {}, _row({}, {}))
    (values,), (formulas,) = value_ranges(answer, [RANGE])
    assert values["values"] == [["a"]]
    assert "values" not in formulas


def test_a_part_for_another_origin_or_sheet_is_not_read():
    answer = {"sheets": [{"properties": {"title": "Record"},
                          "data": [{"startRow": 5, "rowData": [_row({"effectiveValue": {"stringValue": "x"}})]}]},
                         {"properties": {"title": "Plan"}, "data": [{"rowData": [_row(
                             {"effectiveValue": {"stringValue": "y"}})]}]}]}
    (values,), _ = value_ranges(answer, [RANGE])
    assert "values" not in values


ODD = st.one_of(st.none(), st.integers(), st.text(max_size=3), st.lists(st.integers(), max_size=2),
                st.dictionaries(st.text(max_size=12), st.one_of(st.none(), st.integers(), st.text(max_size=3),
                                                                st.lists(st.integers(), max_size=2)), max_size=3))
CELL = st.one_of(ODD, st.dictionaries(st.sampled_from(["effectiveValue", "userEnteredValue", "note"]), ODD,
                                      max_size=2))
ROW = st.one_of(ODD, st.builds(lambda cells: {"values": cells}, st.one_of(ODD, st.lists(CELL, max_size=6))))


@given(st.lists(ROW, max_size=6))
def test_an_answer_of_any_shape_gives_rows_of_plain_values(rows):
    (values,), (formulas,) = value_ranges(_answer(*rows), [RANGE])
    for got in (values, formulas):
        assert got["range"] == RANGE
        for row in got.get("values", []):
            assert all(isinstance(v, (str, int, float, bool)) for v in row)
            assert not row or row[-1] != ""
