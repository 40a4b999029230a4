"""Writing values into workbook cells safely.

Text that a spreadsheet would run as a formula (it begins with ``=``, ``+``,
``-``, ``@``, a tab, CR or NUL) is stored as a text cell, never as a formula.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

import openpyxl
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.styles import Alignment
from openpyxl.worksheet.worksheet import Worksheet

from ..values import FORMULA_TRIGGERS
from ..form.layout import HEADER, Column

# openpyxl parses XML with defusedxml (entity expansion refused) only when it is installed.
if not openpyxl.xml.DEFUSEDXML:  # pragma: no cover - a packaging error, not a user's
    raise ImportError("defusedxml must be installed: openpyxl may only parse XML with it")


DATE_FORMAT = "d mmm yyyy"            # 1 Mar 2025, as the reports and the CLI write it: fits a 12-wide column
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")


def set_value(cell: Cell | MergedCell, value: Any) -> None:
    """Put a value in a cell; text stays text even if it looks like a formula; a date shows as a date."""
    if isinstance(value, (date, datetime)):
        cell.value = value
        cell.number_format = DATE_FORMAT
        return
    if isinstance(value, str):
        value = value.replace("\0", "")
        cell.value = value
        if value.startswith(FORMULA_TRIGGERS):
            cell.data_type = "s"
        return
    cell.value = value


def write_header(ws: Worksheet, values: Mapping[str, object]) -> None:
    for fld, value in values.items():
        h = HEADER[fld]
        set_value(ws.cell(row=h.row, column=h.value_col), value)


def write_rows(ws: Worksheet, columns: Iterable[Column], first_row: int,
               rows: Iterable[Mapping[str, object]]) -> int:
    """Write row mappings (field -> value) under a table; returns the next free row. Text columns wrap
    (each row as tall as its longest text), every cell sits at the top of its row."""
    columns = list(columns)
    col_of = {c.field: i for i, c in enumerate(columns, 1)}
    wraps = {c.field for c in columns if c.kind in ("text", "list")}
    width_of = {c.field: c.width for c in columns}
    r = first_row
    for row in rows:
        lines = 1
        for fld, value in row.items():
            if fld in col_of and value is not None:
                cell = ws.cell(row=r, column=col_of[fld])
                set_value(cell, value)
                if fld in wraps and isinstance(value, str):
                    cell.alignment = WRAP
                    lines = max(lines, text_lines(value, width_of[fld]))
                else:
                    cell.alignment = TOP
        if lines > 1:                      # spreadsheets do not all fit a row to wrapped text on opening
            ws.row_dimensions[r].height = LINE_HEIGHT * min(lines, MAX_LINES)
        r += 1
    return r


LINE_HEIGHT = 15.0                     # points per line of 11-point text
MAX_LINES = 12                         # a very long cell scrolls rather than making a page-high row


def text_lines(text: str, width: float) -> int:
    """About how many lines ``text`` wraps to in a column ``width`` characters wide."""
    per_line = max(1, int(width * 1.15))
    return sum(max(1, math.ceil(len(part) / per_line)) for part in text.split("\n"))
