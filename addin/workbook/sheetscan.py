"""What a worksheet's XML holds, found before the reader builds the sheet: the cells it
really uses (never its ``<dimension>``) and which cells hold formulas.

The extent must be checked before the reader sees the sheet: a cell at XFD1048576
beside one at A1 would make it allocate seventeen billion cells.

The reader (python-calamine) places a cell by its ``r`` reference, letters in either
case and digits of any length; a cell without one goes after the cell before it, in
the row its row tag names (or the row after the last). Both ways below follow that.

Two ways, one answer. ``within_limits`` proves, in a few passes at C speed, that a
regular sheet (every cell tag unprefixed, its ``r`` first, one capital letter of
column) stays inside the limits: it takes the last cell's row number, then searches
for any cell whose row number is larger or whose column is wider. If it cannot
prove that, ``exact_scan`` parses the sheet (expat, no DTD) and places
every cell as the reader would, counting each cell at both its reference and its
place in sequence, so the extent it finds is never smaller than the reader's.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from ..errors import CpdError
from ..form.limits import Limits
from ..form.limits import SheetScan as SheetScan
from ..form.refs import CELL_REF, column_letters, column_number

_FAST_CELL_REF = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"')     # 7 digits: beyond any row limit
# Any prefixed cell, row or formula tag (also a stray ":c " in text: then the exact scan runs).
_PREFIXED = re.compile(rb":(?:c|row|f)[\s>/]")
# A tag starting "<c" that is not '<c r="' and a letter: a cell whose r is missing or not first, or an
# element such as <color> inside rich text. Either way the quick proof does not apply.
_IRREGULAR_CELL = re.compile(rb'<c(?! r="[A-Z])')
_CELL_OR_ROW_TAG = re.compile(rb"<(?:c|row)[\s>/]")
_FORMULA_IN_DATA = re.compile(rb"<f[\s>/]")
_MIN_CELL_BYTES = len(b'<c r="A1"/>')


def _at_most(number: bytes) -> bytes:
    """A pattern for the numbers with as many digits as ``number`` and no larger."""
    alternatives = []
    for i, d in enumerate(number):            # the same first i digits, then a smaller one, then any
        low, digit = (1 if i == 0 else 0), d - 48
        if digit > low:
            rest = len(number) - i - 1
            alternatives.append(number[:i] + b"[%d-%d]" % (low, digit - 1) + (b"\\d{%d}" % rest if rest else b""))
    alternatives.append(number)
    return b"|".join(alternatives)


@lru_cache(maxsize=64)
def _not_within(last_row: bytes) -> re.Pattern[bytes]:
    """A "<c" tag that is not '<c r="' + one capital letter + a row number no larger than
    ``last_row``: an irregular cell, a wider column, or a row beyond the last."""
    shorter = rb"|\d{1,%d}" % (len(last_row) - 1) if len(last_row) > 1 else b""
    return re.compile(rb'<c(?! r="[A-Z](?:%s%s)")' % (_at_most(last_row), shorter))


def _last_letter(xml: bytes | bytearray, lo: int, hi: int) -> int:
    """The last column letter any cell uses, in a sheet whose cells all have one letter (a binary search)."""
    first, last = 1, 26
    while first < last:
        mid = (first + last + 1) // 2
        if re.compile(rb'<c r="[%c-Z]' % (64 + mid)).search(xml, lo, hi):
            first = mid
        else:
            last = mid - 1
    return first


def within_limits(xml: bytes | bytearray, limits: Limits) -> SheetScan | None:
    """The sheet's bounds, when a quick proof shows them inside ``limits``; None when the exact scan must decide.

    The bounds returned are upper bounds (rows, columns, cells), enough for the limit checks; the
    formula cells are exact."""
    lo, hi = xml.find(b"<sheetData"), xml.rfind(b"</sheetData>")
    if lo < 0 or hi < lo or _PREFIXED.search(xml):
        return None
    if _CELL_OR_ROW_TAG.search(xml, 0, lo) or _CELL_OR_ROW_TAG.search(xml, hi):
        return None                       # cells outside the sheet data: let the exact scan count them
    s = SheetScan()
    last = xml.rfind(b'<c r="', lo, hi)
    if last < 0:                          # no cell with a plain reference: empty, or for the exact scan
        return s if _IRREGULAR_CELL.search(xml, lo, hi) is None else None
    m = _FAST_CELL_REF.match(xml, last)
    if m is None or m.group(2)[:1] == b"0" or _not_within(m.group(2)).search(xml, lo, hi):
        return None
    s.max_row, s.min_col, s.max_col = int(m.group(2)), 1, 26
    s.cells = (hi - lo) // _MIN_CELL_BYTES
    if s.cells > limits.max_cells:
        s.cells = xml.count(b'<c r="', lo, hi)  # every "<c" here is a cell with its r first: proved above
    if s.area > limits.max_cells:
        s.max_col = _last_letter(xml, lo, hi)
    if s.max_row > limits.max_rows or s.area > limits.max_cells or s.cells > limits.max_cells:
        return None
    if _FORMULA_IN_DATA.search(xml, lo, hi):
        s.formulas = _formula_cells(xml, lo)
    return s


def scan_sheet(xml: bytes | bytearray, limits: Limits | None = None) -> SheetScan:
    """The sheet's extent and formula cells: the quick proof when it holds, else the exact scan."""
    if limits is not None:
        quick = within_limits(xml, limits)
        if quick is not None:
            return quick
    return exact_scan(xml, limits)


class _Beyond(Exception):
    """The scan has seen enough: the sheet is past a limit already."""


def exact_scan(xml: bytes | bytearray, limits: Limits | None = None) -> SheetScan:
    """Every cell placed as the reader places it: the true extent (or more, never less).

    With ``limits`` the scan stops at the first cell past one of them (the extent then names
    that cell). A malformed sheet raises ``xml.parsers.expat.ExpatError``; a DTD (refused
    already when the package was checked) raises CpdError."""
    s = SheetScan()
    far = [-1, -1]                          # (row, column), 0-based, of the cell furthest down
    row = [0]                               # the row cells without a reference go in
    col = [0]                               # the column the next cell without a reference takes
    cell: list[tuple[int, int] | None] = [None]   # the open cell's place, for its formula

    def place(r: int, c: int) -> None:
        s.cells += 1
        if r + 1 > s.max_row:
            s.max_row = r + 1
        if not s.max_col or c + 1 > s.max_col:
            s.max_col = c + 1
        if not s.min_col or c + 1 < s.min_col:
            s.min_col = c + 1
        if (r, c) > tuple(far):
            far[:] = [r, c]
        if limits is not None and (s.max_row > limits.max_rows or s.max_col > limits.max_columns
                                   or s.cells > limits.max_cells or s.area > limits.max_cells):
            far[:] = [r, c]
            raise _Beyond

    def start(name: str, attrs: dict[str, Any]) -> None:
        local = name.rpartition(":")[2]
        if local == "c":
            counter = (row[0], col[0])
            ref = CELL_REF.fullmatch(attrs.get("r", ""))
            here = (int(ref.group(2)) - 1, column_number(ref.group(1)) - 1) if ref else counter
            place(*here)                    # the cell's own reference first: a refusal names it
            if here != counter:
                s.cells -= 1                # one cell, counted at both places
                place(*counter)
            col[0] = here[1]
            cell[0] = here
        elif local == "row":
            r = attrs.get("r", "")
            if r.isdigit():
                row[0] = int(r) - 1
        elif local == "f" and cell[0] is not None:
            s.formulas.add(f"{column_letters(cell[0][1] + 1)}{cell[0][0] + 1}")

    def end(name: str) -> None:
        local = name.rpartition(":")[2]
        if local == "c":
            col[0] += 1
            cell[0] = None
        elif local == "row":
            row[0] += 1
            col[0] = 0

    def refuse(*_args: object) -> None:
        raise CpdError("dtd_not_allowed", "a sheet declares a DTD; workbooks with DTDs or entities are refused")

    from xml.parsers import expat      # only when a sheet needs the exact scan (the fast one sees no tags)
    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        parser.Parse(xml, True)
    except _Beyond:
        s.partial = True
    if s.cells:
        s.far_cell = f"{column_letters(far[1] + 1)}{far[0] + 1}"
    return s


def _formula_cells(xml: bytes | bytearray, lo: int = 0) -> set[str]:
    """The cells holding a formula, in a regular sheet: for each formula tag, the cell tag before it."""
    found = set()
    for m in _FORMULA_IN_DATA.finditer(xml, lo):
        cell = _FAST_CELL_REF.match(xml, max(xml.rfind(b'<c r="', lo, m.start()), 0))
        if cell is not None:
            found.add(f"{cell.group(1).decode()}{int(cell.group(2))}")
    return found
