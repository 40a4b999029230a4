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


def scan_sheet(xml: bytes) -> SheetScan:
    s = SheetScan()
    max_r, max_c, min_c = 0, 0, 0
    far = (0, 0)
    for m in _CELL_REF.finditer(xml):
        col, row = column_number(m.group(1)), int(m.group(2))
        if row > max_r:
            max_r = row
        if col > max_c:
            max_c = col
        if not min_c or col < min_c:
            min_c = col
        if (row, col) > far:
            far = (row, col)
    rows_declared = max((int(m.group(1)) for m in _ROW_REF.finditer(xml)), default=0)
    s.cells = len(_CELL_TAG.findall(xml))
    row_tags = len(_ROW_TAG.findall(xml))
    # Rows or cells without an r attribute take the next position: count them too.
    s.max_row = max(max_r, rows_declared, row_tags)
    s.max_col = max(max_c, 1 if s.cells else 0)
    s.min_col = min_c or (1 if s.cells else 0)
    if far != (0, 0):
        s.far_cell = f"{column_letters(far[1])}{far[0]}"
    for m in _FORMULA_TAG.finditer(xml):
        window = xml[max(0, m.start() - 4096):m.start()]
        cell = None
        for cell in _CELL_REF.finditer(window):
            pass
        if cell is not None:
            s.formulas.add(f"{cell.group(1).decode()}{int(cell.group(2))}")
    return s
