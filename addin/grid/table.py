"""The one table scan: a table's header row, the labelled values above it, its data as columns.

Used for every grid: an ``.xlsx`` sheet, a Google Sheet, the ranges an add-in function is
given. A formula in an input column is reported, never read: its result could say anything.
"""
from __future__ import annotations

from collections.abc import Collection, Sequence

from msgspec import Struct, field

from ..columns import Columns, from_grid, too_long
from ..errors import CpdError, Problem
from ..form.layout import HEADER_SCAN_ROWS, labelled_values
from .cells import CellMap, cell_name, split_cell
from .headers import HeaderNames, find_header
from ..values import Cell

FORMULA_OK = frozenset({"evidence"})     # a HYPERLINK() there is fine: it is not scored


class Table(Struct):
    """One table found on a sheet: its header row, its labelled values, its data rows by field and the problems met."""
    sheet: str | None
    header_row: int | None = None                         # the sheet row of the header
    cells: CellMap = field(default_factory=lambda: CellMap(None))
    labels: dict[str, tuple[Cell, str]] = field(default_factory=dict)   # header field -> (value, cell)
    data: Columns = field(default_factory=Columns)        # the rows under the header, by field
    problems: list[Problem] = field(default_factory=list)
    above: Sequence[Sequence[Cell]] = ()                  # the rows above the header, from the first


def read_table(rows: Sequence[Sequence[Cell]], names: HeaderNames, *, sheet: str | None, min_matches: int,
               scan_rows: int = HEADER_SCAN_ROWS, first_row: int = 1, formulas: Collection[str] = (),
               want_labels: bool = False, max_chars: int | None = None, max_rows: int | None = None) -> Table:
    """The table in ``rows`` (``rows[0]`` being sheet row ``first_row``); ``header_row`` None if none.

    ``formulas`` are the A1 names of formula cells; ``want_labels`` also reads the labelled
    header values (Name:, Covering the period from:, ...) in the rows above the header."""
    table = Table(sheet)
    found = find_header(rows, names, min_matches=min_matches, scan_rows=scan_rows)
    if want_labels:
        formula_at = {split_cell(ref) for ref in formulas}
        for k, cells in enumerate(rows[:found[0] if found else scan_rows]):
            _labels(table, cells, first_row + k, formula_at, max_chars)
    if found is None:
        return table
    h, columns = found
    table.header_row = first_row + h
    table.above = rows[:h]
    table.cells = CellMap(sheet, {f: i for i, f in columns.items()}, {f: ref for f, (_, ref) in table.labels.items()})
    first = table.header_row + 1
    blanked = []
    for ref in formulas:
        i, r = split_cell(ref)
        f = columns.get(i)
        if r >= first and f is not None and f not in FORMULA_OK:
            blanked.append((r - first, i))
            table.problems.append(Problem(
                "formula_not_allowed", "enter a value, not a formula: formula results are not trusted",
                field=f, row=r, sheet=sheet, cell=ref))
    data = rows[h + 1:]
    table.data = from_grid(data, range(first, first + len(data)), columns, blanked=blanked, max_chars=max_chars,
                           sheet=sheet, cell_name=cell_name)
    if max_rows is not None and len(table.data) > max_rows:
        raise CpdError("too_many_rows", f"{sheet}: more than {max_rows:,} rows; split the record",
                       sheet=sheet, cell=f"A{table.data.rows[max_rows]}")
    return table


def _labels(table: Table, cells: Sequence[Cell], r: int, formula_at: Collection[tuple[int, int]],
            max_chars: int | None) -> None:
    """The labelled values in row ``r``; ``formula_at``: the sheet's formula cells as (column, row)."""
    for f, i, j in labelled_values(cells):
        if f in table.labels:
            continue
        end = j if j is not None else len(cells)
        formula = next((k for k in range(i + 1, end + (j is not None)) if (k, r) in formula_at), None) \
            if formula_at else None
        if formula is not None:      # a formula where the value belongs (it may have no cached value)
            ref = cell_name(formula, r)
            table.problems.append(Problem("formula_not_allowed", "enter a value, not a formula",
                                          field=f, sheet=table.sheet, cell=ref))
            table.labels[f] = (None, ref)
        elif j is None:
            table.labels[f] = (None, cell_name(i + 1, r))
        else:
            value, ref = cells[j], cell_name(j, r)
            if isinstance(value, str) and max_chars is not None and len(value) > max_chars:
                raise too_long(len(value), max_chars, table.sheet, ref)
            table.labels[f] = (value, ref)
