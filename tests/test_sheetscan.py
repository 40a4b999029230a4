"""The sheet scan's quick proof never lets through what the exact scan would refuse, and the
formula cells it finds are the exact scan's."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from addin.form.limits import Limits
from addin.workbook.sheetscan import column_letters, exact_scan, scan_sheet, within_limits

HEAD = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cols><col min="1" max="2"/></cols>'
TAIL = b'<dataValidations><dataValidation sqref="A1"><formula1>0</formula1></dataValidation></dataValidations></worksheet>'
LIMITS = Limits(max_rows=50_000, max_cells=1_000_000)


def sheet(rows: dict[int, list[bytes]]) -> bytes:
    body = b"".join(b'<row r="%d">%s</row>' % (r, b"".join(cells)) for r, cells in sorted(rows.items()))
    return HEAD + b"<sheetData>" + body + b"</sheetData>" + TAIL


def cell(ref: str, formula: bool = False) -> bytes:
    inner = b"<f>1+2</f><v>3</v>" if formula else b"<v>1</v>"
    return b'<c r="%s">%s</c>' % (ref.encode(), inner)


def regular(n: int) -> dict[int, list[bytes]]:
    return {r: [cell(f"A{r}"), cell(f"J{r}")] for r in range(1, n + 1)}


def test_a_regular_sheet_is_proved_quickly_with_its_last_row_as_the_bound():
    scan = within_limits(sheet(regular(2009)), LIMITS)
    assert scan is not None and scan.max_row == 2009 and scan.max_col == 26 and scan.formulas == set()


def test_a_sheet_whose_area_needs_it_has_its_last_column_found():
    rows = {r: [cell(f"A{r}"), cell(f"F{r}")] for r in range(1, 301)}
    scan = within_limits(sheet(rows), Limits(max_rows=50_000, max_cells=2_000))
    assert scan is not None and (scan.max_row, scan.max_col) == (300, 6)
    assert within_limits(sheet(rows), Limits(max_rows=50_000, max_cells=1_700)) is None


@pytest.mark.parametrize("last_row, stray, extent", [
    (20, "A1048576", ("max_row", 1048576)),     # a far cell hidden in an early row
    (200, "B950", ("max_row", 950)),            # a row number with a larger first digit
    (2009, "B2010", ("max_row", 2010)),         # one row past the last
    (10, "XFD2", ("max_col", 16384)),           # a wide column
])
def test_a_cell_beyond_the_last_is_not_proved_and_the_exact_scan_measures_it(last_row, stray, extent):
    rows = regular(last_row)
    rows[3].append(cell(stray))
    xml = sheet(rows)
    assert within_limits(xml, LIMITS) is None
    assert getattr(scan_sheet(xml, LIMITS), extent[0]) == extent[1]


def test_irregular_cells_go_to_the_exact_scan():
    for odd in (b'<c s="1" r="A5"><v>1</v></c>', b"<c><v>1</v></c>", b'<x:c r="A5"><v>1</v></x:c>',
                b"<c r='A5'><v>1</v></c>", b'<c r="A0005"><v>1</v></c>'):
        rows = regular(10)
        rows[4].append(odd)
        assert within_limits(sheet(rows), LIMITS) is None, odd


def test_cells_outside_the_sheet_data_go_to_the_exact_scan():
    xml = sheet(regular(10)).replace(b"</sheetData>", b'</sheetData><row r="9"><c r="XFD1048576"/></row>')
    assert within_limits(xml, LIMITS) is None
    assert scan_sheet(xml, LIMITS).max_row == 1048576


def test_formula_cells_are_found_by_both_ways():
    rows = regular(30)
    rows[12] = [cell("A12"), cell("J12", formula=True)]
    xml = sheet(rows)
    assert within_limits(xml, LIMITS).formulas == exact_scan(xml).formulas == {"J12"}


def test_a_bound_over_the_limits_leaves_the_decision_to_the_exact_scan():
    xml = sheet(regular(600))
    assert within_limits(xml, Limits(max_rows=599)) is None
    assert scan_sheet(xml, Limits(max_rows=599)).max_row == 600


refs = st.tuples(st.integers(1, 30), st.integers(1, 2_000_000))


@settings(max_examples=400, deadline=None)
@given(st.lists(refs, min_size=1, max_size=40), st.booleans(), st.integers(0, 39))
def test_the_quick_proof_is_never_looser_than_the_exact_scan(cells, with_formula, formula_at):
    rows: dict[int, list[bytes]] = {}
    for i, (col, row) in enumerate(cells):
        # cells sit in whatever row tag comes next, so a reference may disagree with its row
        rows.setdefault(i + 1, []).append(cell(f"{column_letters(col)}{row}", formula=with_formula and i == formula_at))
    xml = sheet(rows)
    quick = within_limits(xml, LIMITS)
    if quick is not None:
        # a reader places every cell by its own reference (rows without cells add nothing), so the
        # cells' true extent is what the bound must cover
        last_row, cols = max(r for _, r in cells), [c for c, _ in cells]
        assert last_row <= quick.max_row <= LIMITS.max_rows
        assert quick.min_col <= min(cols) and max(cols) <= quick.max_col
        assert last_row * (max(cols) - min(cols) + 1) <= quick.area <= LIMITS.max_cells
        assert quick.formulas == exact_scan(xml).formulas


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 26), st.integers(1, 3000)), min_size=1, max_size=40))
def test_the_quick_proof_holds_for_sheets_it_can_prove(cells):
    """Small rows and one-letter columns, in any order: the proof usually applies, and is sound."""
    rows: dict[int, list[bytes]] = {}
    for i, (col, row) in enumerate(cells):
        rows.setdefault(i + 1, []).append(cell(f"{column_letters(col)}{row}"))
    rows[len(cells) + 1] = [cell("A3000")]         # the last cell sets the bound
    xml = sheet(rows)
    quick = within_limits(xml, LIMITS)
    assert quick is not None and quick.max_row == 3000
    assert max(c for c, _ in cells) <= quick.max_col


def test_the_reader_places_cells_by_their_own_reference():
    """The premise of the quick proof, checked on the reader itself: a cell with a reference is
    placed by it whatever its row tag says, and a row tag without cells adds no rows."""
    import io

    import python_calamine

    import corpus

    def extent(change) -> tuple:
        data = corpus.with_part(corpus.valid_workbook(), corpus.SHEET, change)
        return python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name("Record").end

    base = extent(lambda b: b)
    assert extent(lambda b: b.replace(b"</sheetData>", b'<row r="1048576"/></sheetData>')) == base
    assert extent(lambda b: b.replace(b"</sheetData>", b'<row r="900000"><c r="A20"><v>1</v></c></row>'
                                      b"</sheetData>"))[0] == 19
    assert extent(lambda b: b.replace(b"</sheetData>", b'<row r="20"><c r="A900000"><v>1</v></c></row>'
                                      b"</sheetData>"))[0] == 899999


def _reader_extent(sheet_xml: bytes):
    """Where python-calamine itself puts the cells of this sheet: ((first row, first col), (last row, last col)), 0-based."""
    import io

    import python_calamine

    import corpus
    data = corpus.with_part(corpus.valid_workbook(), corpus.SHEET, lambda _: sheet_xml)
    sheet = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name("Record")
    return (sheet.start, sheet.end) if sheet.height else None


odd_cells = st.lists(st.tuples(
    st.integers(1, 60), st.integers(1, 150),
    st.sampled_from(["upper", "lower", "none", "padded", "prefixed-attr"])), min_size=1, max_size=12)
odd_rows = st.lists(st.tuples(st.one_of(st.none(), st.integers(1, 150)), odd_cells), min_size=1, max_size=6)


def _odd_sheet(rows) -> bytes:
    out = []
    for r, cells in rows:
        tags = []
        for col, row, form in cells:
            ref = f"{column_letters(col)}{row}"
            attr = {"upper": f' r="{ref}"', "lower": f' r="{ref.lower()}"', "none": "",
                    "padded": f' s="0" r = "{ref}"', "prefixed-attr": f' x:r="{ref}"'}[form]
            tags.append(f"<c{attr}><v>1</v></c>")
        out.append((f'<row r="{r}">' if r else "<row>") + "".join(tags) + "</row>")
    return (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:x="urn:x">'
            b"<sheetData>" + "".join(out).encode() + b"</sheetData></worksheet>")


@settings(max_examples=150, deadline=None)
@given(odd_rows)
def test_the_exact_scan_box_holds_every_cell_the_reader_places(rows):
    """Cells with and without references, lower-case references, other attribute orders: the
    exact scan's extent always holds the reader's own (checked against python-calamine)."""
    xml = _odd_sheet(rows)
    scan = exact_scan(xml)
    extent = _reader_extent(xml)
    if extent is None:
        return
    (r0, c0), (r1, c1) = extent
    assert r1 + 1 <= scan.max_row
    assert scan.min_col <= c0 + 1 and c1 + 1 <= scan.max_col
    assert scan_sheet(xml, LIMITS).max_row >= r1 + 1


def test_the_exact_scan_reads_what_the_regex_could_not():
    lower = sheet({1: [cell("A1")], 2: [b'<c r="xfd2"><v>1</v></c>']})
    assert exact_scan(lower).max_col == 16384
    long_row = sheet({1: [cell("A1")], 2: [b'<c r="A99999999999"><v>1</v></c>']})
    assert exact_scan(long_row).max_row == 99999999999
    no_refs = HEAD + b'<sheetData><row r="7">' + b"<c><v>1</v></c>" * 300 + b"</row></sheetData>" + TAIL
    scan = exact_scan(no_refs)
    assert (scan.max_row, scan.max_col, scan.cells) == (7, 300, 300) and scan.far_cell == "KN7"


def test_cells_are_counted_when_the_size_of_the_data_cannot_bound_them():
    rows = {r: [cell(f"A{r}"), cell(f"B{r}")] for r in range(1, 101)}    # about 5 KB for 200 cells
    scan = within_limits(sheet(rows), Limits(max_rows=50_000, max_cells=250))
    assert scan is not None and (scan.cells, scan.area) == (200, 200)
