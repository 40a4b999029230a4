"""What a worksheet's XML holds, found without parsing it: the cells it really uses
(never its ``<dimension>``) and which cells hold formulas.

A byte-level scan is used so that the extent can be checked before any parser
builds the sheet in memory: a single cell at XFD1048576 would otherwise make a
dense reader allocate a million rows.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

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


def scan_sheet(xml: bytes) -> SheetScan:
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
    has_formulas = b"<f" in xml or b":f" in xml
    for m in _FORMULA_TAG.finditer(xml) if has_formulas else ():
        window = xml[max(0, m.start() - 4096):m.start()]
        cell = None
        for cell in _CELL_REF.finditer(window):
            pass
        if cell is not None:
            s.formulas.add(f"{cell.group(1).decode()}{int(cell.group(2))}")
    return s
