"""A small stand-in for the xlwings objects the CPD macros are given (``Book``, its ``Sheets``, ``Sheet``,
``Range``, ``App``), over a workbook loaded with openpyxl, recording what is written and alerted.

Nothing here runs Excel. ``tests/test_excel_desktop.py`` checks every name this stand-in offers
against xlwings' own classes (kind and parameters), so a renamed xlwings method fails a test rather
than a member's macro."""
from __future__ import annotations

import io
from datetime import datetime

import openpyxl
from openpyxl.utils import get_column_letter, range_boundaries


class Range:
    def __init__(self, sheet: "Sheet", min_row: int, min_col: int, max_row: int, max_col: int):
        self._sheet, self._box = sheet, (min_row, min_col, max_row, max_col)
        self._ndim = None

    def options(self, convert=None, **options) -> "Range":
        r = Range(self._sheet, *self._box)
        r._ndim = options.get("ndim")
        return r

    @property
    def row(self) -> int:
        return self._box[0]

    @property
    def column(self) -> int:
        return self._box[1]

    def _grid(self, formulas: bool):
        r1, c1, r2, c2 = self._box
        out = []
        for r in range(r1, r2 + 1):
            row = []
            for c in range(c1, c2 + 1):
                v = self._sheet._formulas.cell(r, c).value if formulas else self._sheet._values.cell(r, c).value
                if formulas:
                    text = getattr(v, "text", v)
                    v = "" if v is None else text if isinstance(text, str) else str(v)
                elif isinstance(v, datetime) or v is None or isinstance(v, (int, float, str, bool)):
                    v = float(v) if isinstance(v, int) and not isinstance(v, bool) else v
                row.append(v)
            out.append(row)
        return out

    def _shape(self, grid):
        """As xlwings gives it: a scalar for one cell, a list for one row or column, else rows (ndim=2: rows)."""
        if self._ndim == 2:
            return grid
        if len(grid) == 1 and len(grid[0]) == 1:
            return grid[0][0]
        if len(grid) == 1:
            return grid[0]
        return grid

    @property
    def value(self):
        return self._shape(self._grid(False))

    @value.setter
    def value(self, value) -> None:
        r1, c1, _, _ = self._box
        for ws in (self._sheet._values, self._sheet._formulas):
            ws.cell(r1, c1).value = value
        self._sheet._book.written.append((self._sheet.name, f"{get_column_letter(c1)}{r1}", value))

    @property
    def formula(self):
        grid = self._grid(True)
        return tuple(tuple(r) for r in grid) if len(grid) > 1 or len(grid[0]) > 1 else grid[0][0]


class Sheet:
    def __init__(self, book: "Book", values_ws, formulas_ws):
        self._book, self._values, self._formulas = book, values_ws, formulas_ws

    @property
    def name(self) -> str:
        return self._values.title

    @property
    def used_range(self) -> Range:
        ws = self._formulas
        return Range(self, ws.min_row, ws.min_column, max(ws.max_row, 1), max(ws.max_column, 1))

    def range(self, cell1, cell2=None) -> Range:
        c1, r1, c2, r2 = range_boundaries(cell1 if cell2 is None else f"{cell1}:{cell2}")
        return Range(self, r1, c1, r2, c2)


class Sheets:
    def __init__(self, sheets: list[Sheet]):
        self._sheets = sheets

    def __getitem__(self, key):
        if isinstance(key, int):
            return self._sheets[key]
        for s in self._sheets:
            if s.name == key:
                return s
        raise KeyError(key)

    def __iter__(self):
        return iter(self._sheets)


class App:
    def __init__(self, book: "Book"):
        self._book = book

    def alert(self, prompt, title=None, buttons="ok", mode=None, callback=None):
        self._book.alerts.append((title, prompt))
        return "ok"


class Book:
    """The open workbook: ``data`` as Excel would have it open (an .xlsx or .xlsm's bytes)."""

    def __init__(self, data: bytes, name: str = "CPD record.xlsm"):
        values = openpyxl.load_workbook(io.BytesIO(data), data_only=True, keep_vba=True)
        formulas = openpyxl.load_workbook(io.BytesIO(data), keep_vba=True)
        self._name = name
        self.written: list[tuple[str, str, object]] = []
        self.alerts: list[tuple[str, str]] = []
        self._sheets = Sheets([Sheet(self, values[t], formulas[t]) for t in formulas.sheetnames])
        self._app = App(self)

    @property
    def sheets(self) -> Sheets:
        return self._sheets

    @property
    def name(self) -> str:
        return self._name

    @property
    def app(self) -> App:
        return self._app

    def cell(self, sheet: str, ref: str):
        return self._sheets[sheet].range(ref).value


STANDS_IN_FOR = {Book: "Book", Sheets: "Sheets", Sheet: "Sheet", Range: "Range", App: "App"}
