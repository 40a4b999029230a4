"""Check and Submit from Excel desktop, on the open workbook's values, never its file.

The macros ``CPD_CHECK`` and ``CPD_SUBMIT`` (``addin.xlwings_udfs``) hand the open book, an xlwings
``Book``, to ``check_book`` and ``submit_book``. Each sheet's used range is read through xlwings,
values and formulas (a formula's result is never trusted as a value, as in every other reader), into
a cell source for the one reader. What is sent is a values-only copy written by the project's
writer (``addin.values_workbook``): no macros, nothing hidden. A member whose workbook became
macro-enabled (.xlsm) when they imported xlwings functions into it can still check and submit, and
the VBA never leaves their computer. The verdict and the receipt go into the Record sheet's
Submission area; a problem goes there too, and in a message box.

Only what xlwings documents is used: ``Book.sheets``, ``Book.name``, ``Book.app.alert``,
``Sheet.name``, ``Sheet.used_range``, ``Sheet.range``, ``Range.options``, ``Range.value``,
``Range.formula``, ``Range.row``, ``Range.column`` (tests hold a stand-in to that API).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from ..errors import CpdError
from ..grid import GridRead, ValuesSource, read_record
from ..grid.cells import cell_name
from ..submit import Receipt, Settings, area_cells, submit_file
from ..templates import values_workbook
from ..values import Cell

Book = Any          # an xlwings Book, or anything with its sheets, ranges and app.alert


def _rows(value: Cell) -> list[list[Cell]]:
    """A range's ``value`` or ``formula`` as rows (xlwings gives a bare value for a one-cell range)."""
    if not isinstance(value, (list, tuple)):
        return [[value]]
    if value and not isinstance(value[0], (list, tuple)):
        return [list(value)]
    return [list(r) for r in value]


def book_source(book: Book) -> ValuesSource:
    """The open book's sheets as a cell source: each used range's values from A1, and its formula cells."""
    sheets: dict[str, list[list[Cell]]] = {}
    formulas: dict[str, set[str]] = {}
    for sheet in book.sheets:
        used = sheet.used_range
        top, left = used.row, used.column
        values = _rows(used.options(ndim=2).value)
        sheets[sheet.name] = [[] for _ in range(top - 1)] + [[None] * (left - 1) + row for row in values]
        formulas[sheet.name] = {cell_name(left - 1 + c, top + r)
                                for r, row in enumerate(_rows(used.formula))
                                for c, f in enumerate(row) if isinstance(f, str) and f.startswith("=")}
    return ValuesSource(f"workbook '{book.name}'", sheets, formulas=formulas)


def read_book(book: Book) -> GridRead:
    return read_record(book_source(book))


def macro_free_copy(read: GridRead) -> bytes:
    """The record as a values-only .xlsx: what Submit sends, whatever the open book holds besides."""
    return values_workbook(read.require(), read.profile)


def _write(book: Book, read: GridRead, cells: dict[str, Any]) -> None:
    sheet = book.sheets[read.submission.sheet or read.sheet]
    for address, value in cells.items():
        sheet.range(address).value = value


def problem_text(err: CpdError) -> str:
    """One line for the sheet: the first problem with its cell, and how many more."""
    if err.problems:
        first = err.problems[0]
        more = len(err.problems) - 1
        return f"NOT CHECKED: {first}" + (f" (and {more} more)" if more else "")
    return f"NOT CHECKED: {err}"


def report(book: Book, err: CpdError, title: str) -> None:
    """A problem in the Last check: cell (where the book has one) and in a message box."""
    try:
        read = read_book(book)
        where = read.submission.labels.get("last_check")
        if where:
            _write(book, read, {where: problem_text(err)})
    except CpdError:
        pass                       # a book that cannot be read at all: the message box says why
    book.app.alert(str(err) if not err.problems else "\n".join(str(p) for p in err.problems[:10]), title=title)


def check_book(book: Book, now: datetime | None = None) -> dict[str, Any]:
    """Check the open book; write the verdict into its Submission area. Returns what was written."""
    read = read_book(book)
    cells = area_cells(read, now)
    _write(book, read, cells)
    return cells


def submit_book(book: Book, settings: Settings | None = None, now: datetime | None = None) -> Receipt:
    """Check the open book and submit a values-only copy of it; write the verdict and the receipt."""
    read = read_book(book)
    read.require()
    receipt = submit_file(macro_free_copy(read), settings or Settings.load())
    _write(book, read, area_cells(read, now, receipt))
    return receipt

