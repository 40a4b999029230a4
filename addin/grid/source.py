"""The cell-source interface, and the in-memory source every grid of plain values uses.

A source is named sheets of cell values, as ``httpx`` has transports: the reader asks each
the same few things, whatever holds the cells (an ``.xlsx`` package, the ranges Excel passes
an add-in function, a CSV file, a Word table, a Google Sheet's values).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

from ..errors import CpdError
from ..form.layout import PLAN_HEADER_ROW, PLAN_SHEET, RECORD_SHEET, TABLE_HEADER_ROW
from ..form.limits import Limits
from ..form.limits import check_extent
from ..form.limits import SheetScan
from .cells import cell_name, column_letters
from ..values import Cell


@runtime_checkable
class CellSource(Protocol):
    """Named sheets of cell values.

    Values are as spreadsheets give them: text, numbers (dates may be serial numbers counted
    from 1899-12-30), ``datetime``, booleans, and ``""`` or ``None`` for a blank."""

    name: str            # what messages call the whole: a file name, a sheet's address
    limits: Limits
    unread: tuple[str, ...]   # the workbook's other sheets, not fetched (a Google Sheet's Summary)

    @property
    def sheet_names(self) -> list[str]:
        """The sheets, in order."""

    def table(self, sheet: str, max_rows: int | None = None) -> list[list[Cell]]:
        """The sheet's rows from row 1, each from column A (at most ``max_rows`` rows)."""

    def formulas(self, sheet: str) -> set[str]:
        """The A1 names of the sheet's formula cells (their results are never trusted as values)."""

    def cell(self, sheet: str, row: int, column: int) -> str:
        """How a message names the cell at 1-based ``row`` and 0-based ``column``."""

    def release(self) -> None:
        """Let go of what the source holds for reading: the reader has every table it needs (an .xlsx
        source frees its workbook before the record is built, which a large log's memory peak needs)."""


class ValuesSource:
    """A source whose values are already in memory: Google Sheets values, a CSV file, a Word table.

    The sheets are checked against the limits when the source is made (the number of sheets,
    each sheet's last row and column and its area), so a source that exists is one the reader
    may read; the furthest cell is named when one is too large. ``kind`` says how cells are
    named: "sheet" (``Record!J10``), "csv" (``row 10, column J``) or "table" (``table 1, row 3,
    column 2``). ``lines`` is free text around the tables (a Word document's paragraphs); ``unread``
    names the workbook's sheets that were not fetched."""

    def __init__(self, name: str, sheets: Mapping[str, Sequence[Sequence[Cell]]], *,
                 formulas: Mapping[str, set[str]] | None = None, limits: Limits | None = None,
                 kind: str = "sheet", lines: Sequence[str] = (), unread: Sequence[str] = ()):
        self.name = name
        self.unread = tuple(unread)
        self.limits = limits or Limits.from_env()
        self.kind = kind
        self.lines = list(lines)
        if len(sheets) > self.limits.max_sheets:
            raise CpdError("too_many_sheets", f"{name} has {len(sheets)} sheets; at most {self.limits.max_sheets} "
                           f"allowed")
        self._rows = {title: [list(r) for r in rows] for title, rows in sheets.items()}
        for title, rows in self._rows.items():
            _check(title, rows, self.limits)
        self._formulas = {title: set(refs) for title, refs in (formulas or {}).items()}

    @property
    def sheet_names(self) -> list[str]:
        return list(self._rows)

    def table(self, sheet: str, max_rows: int | None = None) -> list[list[Cell]]:
        rows = self._rows[sheet]
        return rows if max_rows is None else rows[:max_rows]

    def release(self) -> None:
        """Nothing to let go of: the values are the caller's."""

    def formulas(self, sheet: str) -> set[str]:
        return self._formulas.get(sheet, set())

    def cell(self, sheet: str, row: int, column: int) -> str:
        if self.kind == "csv":
            return f"row {row}, column {column_letters(column + 1)}"
        if self.kind == "table":
            return f"{sheet}, row {row}, column {column + 1}"
        return f"{sheet}!{cell_name(column, row)}"


def _check(title: str, rows: list[list[Cell]], limits: Limits) -> None:
    """A sheet's extent against the limits, as an .xlsx sheet's is checked (the furthest cell named)."""
    if not rows:
        return
    widths = list(map(len, rows))
    wide = max(widths)
    if len(rows) <= limits.max_rows and wide <= limits.max_columns and len(rows) * wide <= limits.max_cells:
        return
    far_row = len(rows) if len(rows) > limits.max_rows else widths.index(wide) + 1
    scan = SheetScan(max_row=len(rows), max_col=wide, min_col=1, cells=sum(widths),
                     far_cell=cell_name(max(wide - 1, 0), far_row))
    check_extent(title, scan, limits)


def ranges_source(name: str, record: Sequence[Sequence[Cell]], activities: Sequence[Sequence[Cell]],
                  plan: Sequence[Sequence[Cell]] = (), *, limits: Limits | None = None) -> ValuesSource:
    """The ranges the Google Sheets menu sends (the Record header block A3:F7, the activity table from its
    header row 9, the Plan from its header row 4), laid back at their rows of the template, so that every
    message names the sheet's own cell."""
    header = [*[[] for _ in range(2)], *record]
    sheets = {RECORD_SHEET: [*header, *[[] for _ in range(TABLE_HEADER_ROW - 1 - len(header))], *activities]}
    if plan:
        sheets[PLAN_SHEET] = [*[[] for _ in range(PLAN_HEADER_ROW - 1)], *plan]
    return ValuesSource(name, sheets, limits=limits)
