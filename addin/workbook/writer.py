"""Writing values into workbook cells safely.

Text that a spreadsheet would run as a formula (it begins with ``=``, ``+``,
``-``, ``@``, a tab, CR or NUL) is stored as a text cell, never as a formula.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

import openpyxl
from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

from ..values import FORMULA_TRIGGERS
from .layout import HEADER, Column

# openpyxl parses XML with defusedxml (entity expansion refused) only when it is installed.
if not openpyxl.xml.DEFUSEDXML:  # pragma: no cover - a packaging error, not a user's
    raise ImportError("defusedxml must be installed: openpyxl may only parse XML with it")


def set_value(cell: Cell, value: object) -> None:
    """Put a value in a cell; text stays text even if it looks like a formula."""
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
    """Write row mappings (field -> value) under a table; returns the next free row."""
    col_of = {c.field: i for i, c in enumerate(columns, 1)}
    r = first_row
    for row in rows:
        for fld, value in row.items():
            if fld in col_of and value is not None:
                set_value(ws.cell(row=r, column=col_of[fld]), value)
        r += 1
    return r
