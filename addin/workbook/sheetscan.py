"""What a worksheet's XML holds, found without parsing it: the cells it really uses
(never its ``<dimension>``) and which cells hold formulas.

A byte-level scan is used so that the extent can be checked before any parser
builds the sheet in memory: a cell at XFD1048576 beside one at A1 would otherwise
make a dense reader allocate seventeen billion cells.

Two ways, one answer. ``within_limits`` proves, in a few passes at C speed, that a
regular sheet (every cell tag unprefixed, its ``r`` first, one letter of column)
stays inside the limits: it finds the last cell, then searches for any cell whose
row number is longer or starts with a larger digit, and any wider column. If it
cannot prove that, the exact scan finds every cell's reference and the true extent.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

_CELL_REF = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c\b[^>]*?\br\s*=\s*[\"']([A-Z]{1,3})([0-9]{1,7})[\"']")
_ROW_REF = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row\b[^>]*?\br\s*=\s*[\"']([0-9]{1,7})[\"']")
_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>/]")
_CELL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s>/]")
_FORMULA_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")


def column_number(letters: bytes | str) -> int:
    n = 0
    for ch in letters if isinstance(letters, str) else letters.decode():
        n = n * 26 + ord(ch) - 64
    return n


def column_letters(n: int) -> str:
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


@dataclass
class SheetScan:
    max_row: int = 0
    max_col: int = 0
    min_col: int = 0
    cells: int = 0
    formulas: set = field(default_factory=set)     # "J10" style references
    far_cell: str | None = None                   # the cell furthest down or right

    @property
    def area(self) -> int:
        return self.max_row * max(self.max_col - self.min_col + 1, 0) if self.max_col else 0


_FAST_CELL_REF = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"')
_FAST_ROW_REF = re.compile(rb'<row r="([0-9]{1,7})"')


def _cell_refs(xml: bytes) -> tuple[list, list, int, int]:
    """Cell refs, row refs, and the counts of cell and row tags.

    Most writers put r first and use no namespace prefix: a plain pattern finds those.
    It is trusted only when every cell and row tag was matched by it; otherwise the
    general patterns (any attribute order, any prefix) are used."""
    if b":c " not in xml and b":c>" not in xml and b":row" not in xml:
        cells = xml.count(b"<c ") + xml.count(b"<c>") + xml.count(b"<c/>")
        rows = xml.count(b"<row ") + xml.count(b"<row>") + xml.count(b"<row/>")
        refs = _FAST_CELL_REF.findall(xml)
        row_refs = _FAST_ROW_REF.findall(xml)
        if len(refs) == cells and len(row_refs) == rows:
            return refs, row_refs, cells, rows
    return (_CELL_REF.findall(xml), _ROW_REF.findall(xml), len(_CELL_TAG.findall(xml)),
            len(_ROW_TAG.findall(xml)))


# Any prefixed cell, row or formula tag (also a stray ":c " in text: then the exact scan runs).
_PREFIXED = re.compile(rb":(?:c|row|f)[\s>/]")
# A tag starting "<c" that is not '<c r="' and a letter: a cell whose r is missing or not first, or an
# element such as <color> inside rich text. Either way the quick proof does not apply.
_IRREGULAR_CELL = re.compile(rb'<c(?! r="[A-Z])')
_CELL_OR_ROW_TAG = re.compile(rb"<(?:c|row)[\s>/]")
_FORMULA_IN_DATA = re.compile(rb"<f[\s>/]")
_MIN_CELL_BYTES = len(b'<c r="A1"/>')


@lru_cache(maxsize=64)
def _not_within(digits: int, first: int) -> re.Pattern:
    """A "<c" tag that is not '<c r="' + one letter + a row number of at most ``digits`` digits
    that, at full length, starts with at most ``first``: an irregular cell, a wider column, or a
    row beyond the bound."""
    full = rb"[1-%d]\d{%d}" % (first, digits - 1)
    shorter = rb"|\d{1,%d}" % (digits - 1) if digits > 1 else b""
    return re.compile(rb'<c(?! r="[A-Z](?:%s%s)")' % (full, shorter))


def within_limits(xml: bytes, limits) -> SheetScan | None:
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
    m = _FAST_CELL_REF.match(xml, last) if last >= 0 else None
    if m is None:                         # no cell with a plain reference: empty, or for the exact scan
        return s if _IRREGULAR_CELL.search(xml, lo, hi) is None else None
    digits = m.group(2)
    first = digits[0] - 48
    if first == 0 or _not_within(len(digits), first).search(xml, lo, hi):
        return None
    s.max_row = (first + 1) * 10 ** (len(digits) - 1) - 1
    s.min_col, s.max_col = 1, 26
    s.cells = (hi - lo) // _MIN_CELL_BYTES
    if s.max_row > limits.max_rows or s.area > limits.max_cells or s.cells > limits.max_cells:
        return None
    if _FORMULA_IN_DATA.search(xml, lo, hi):
        s.formulas = _formula_cells(xml)
    return s


def scan_sheet(xml: bytes, limits=None) -> SheetScan:
    """The sheet's extent and formula cells: the quick proof when it holds, else the exact scan."""
    if limits is not None:
        quick = within_limits(xml, limits)
        if quick is not None:
            return quick
    return exact_scan(xml)


def exact_scan(xml: bytes) -> SheetScan:
    """Every cell's reference (any attribute order, any prefix): the true extent."""
    s = SheetScan()
    refs, row_refs, s.cells, row_tags = _cell_refs(xml)      # gathered at C speed
    if refs:
        letters = {c for c, _ in refs}
        cols = {c: column_number(c) for c in letters}
        max_r = max(map(int, (r for _, r in refs)))
        s.max_col, s.min_col = max(cols.values()), min(cols.values())
        far_col = max(cols[c] for c, r in refs if int(r) == max_r) if max_r else 0
        s.far_cell = f"{column_letters(far_col)}{max_r}"
    else:
        max_r = 0
    rows_declared = max(map(int, row_refs), default=0)
    # Rows or cells without an r attribute take the next position: count them too.
    s.max_row = max(max_r, rows_declared, row_tags)
    if s.cells and not s.max_col:
        s.max_col = s.min_col = 1
    if b"<f" in xml or b":f" in xml:
        s.formulas = _formula_cells(xml)
    return s


def _formula_cells(xml: bytes) -> set[str]:
    """The cells holding a formula: for each formula tag, the cell tag before it."""
    found = set()
    for m in _FORMULA_TAG.finditer(xml):
        window = xml[max(0, m.start() - 4096):m.start()]
        cell = None
        for cell in _CELL_REF.finditer(window):
            pass
        if cell is not None:
            found.add(f"{cell.group(1).decode()}{int(cell.group(2))}")
    return found
