"""A Google Sheet's values as a cell source: what the Sheets API returns, read like any other grid.

The Sheets adapter (``sync_service.sheets``) fetches, in three API calls whatever the size,
the spreadsheet's sheets (``spreadsheets.get``) and the blocks the reader needs twice
(``values:batchGet``): once as values (``UNFORMATTED_VALUE``: numbers as numbers, dates as
serial numbers counted from 1899-12-30 as in Excel, text as typed) and once as formulas
(``FORMULA``). A cell whose formula text differs from its value holds a formula: its result
is never trusted where a value belongs, as in an ``.xlsx`` file. Nothing here touches the
network.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import CpdError
from ..form.layout import PLAN_SHEET, RECORD_SHEET
from ..form.limits import Limits
from .cells import cell_name, column_letters, split_cell
from .source import ValuesSource
from ..values import Cell

_RANGE = re.compile(r"^(?:'((?:[^']|'')*)'|([^!]+))!([A-Za-z]+)(\d+)(?::[A-Za-z]*\d*)?$")


def quote_title(title: str) -> str:
    """A sheet title as A1 notation writes it: in single quotes, a quote doubled."""
    return "'" + title.replace("'", "''") + "'"


def block(title: str, rows: int, columns: int, limits: Limits) -> str:
    """The A1 range the reader needs of a sheet whose grid is ``rows`` x ``columns``: from A1, one row
    and one column past the limits (so a sheet beyond them is seen and refused), never past the grid
    (the API refuses a range beyond it)."""
    last_row = max(1, min(rows, limits.max_rows + 1))
    last_col = max(1, min(columns, limits.max_columns + 1))
    return f"{quote_title(title)}!A1:{column_letters(last_col)}{last_row}"


def blocks_needed(titles: Sequence[str]) -> list[str]:
    """The sheets the reader reads: Record and Plan when there is a Record sheet, else every sheet
    (the reader looks for the activity table on each)."""
    if RECORD_SHEET in titles:
        return [t for t in titles if t in (RECORD_SHEET, PLAN_SHEET)]
    return list(titles)


def _title_and_origin(a1: str) -> tuple[str, int, int]:
    m = _RANGE.match(a1)
    if not m:
        raise CpdError("sheets_bad_response", f"the Sheets API returned a range it should not ({a1[:60]!r})")
    title = m.group(1).replace("''", "'") if m.group(1) is not None else m.group(2)
    col, row = split_cell(m.group(3).upper() + m.group(4))
    return title, col, row


def _grid(value_range: Mapping[str, Any]) -> tuple[str, list[list[Cell]]]:
    """(sheet title, rows from A1) of one valueRange; numbers as floats, as a spreadsheet holds them."""
    title, col, row = _title_and_origin(str(value_range.get("range", "")))
    values = value_range.get("values") or []
    if not isinstance(values, list):
        raise CpdError("sheets_bad_response", "the Sheets API returned values that are not rows")
    pad = [""] * col
    rows: list[list[Cell]] = [[] for _ in range(row - 1)]
    for r in values:
        if not isinstance(r, list):
            raise CpdError("sheets_bad_response", "the Sheets API returned values that are not rows")
        rows.append(pad + [float(v) if v.__class__ is int else v for v in r])
    return title, rows


def _formula_cells(values: list[list[Cell]], formulas: list[list[Cell]]) -> set[str]:
    found = set()
    for r, (vals, forms) in enumerate(zip(values, formulas), 1):
        for c, f in enumerate(forms):
            if f.__class__ is str and f.startswith("=") and (c >= len(vals) or vals[c] != f):
                found.add(cell_name(c, r))
    return found


def sheets_source(name: str, value_ranges: Sequence[Mapping[str, Any]], formula_ranges: Sequence[Mapping[str, Any]],
                  limits: Limits | None = None, unread: Sequence[str] = ()) -> ValuesSource:
    """The cell source for a Google Sheet from its two ``values:batchGet`` answers (the same ranges,
    as values and as formulas), checked against the limits like any other grid."""
    sheets: dict[str, list[list[Cell]]] = {}
    formulas: dict[str, set[str]] = {}
    by_title = dict(_grid(vr) for vr in formula_ranges)
    for vr in value_ranges:
        title, rows = _grid(vr)
        sheets[title] = rows
        formulas[title] = _formula_cells(rows, by_title.get(title, []))
    return ValuesSource(name, sheets, formulas=formulas, limits=limits, unread=unread)
