"""A Google Sheet's values as a cell source: what the Sheets API returns, read like any other grid.

The Sheets adapter (``google_sheets``) fetches, in two API calls whatever the size, the spreadsheet's
sheets and their sizes (``spreadsheets.get``), then the blocks the reader needs with their grid data
(``spreadsheets.get`` again, ``includeGridData`` and a field mask: each cell's value and what was typed
in it), which ``value_ranges`` turns into what two ``values:batchGet`` would hold: the values
(``UNFORMATTED_VALUE``: numbers as numbers, dates as serial numbers counted from 1899-12-30 as in
Excel, text as typed) and the formulas (``FORMULA``). A cell whose formula text differs from its value
holds a formula: its result is never trusted where a value belongs, as in an ``.xlsx`` file. Nothing
here touches the network.
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


GRID_FIELDS = ("sheets(properties(title),data(startRow,startColumn,rowData(values(effectiveValue,"
               "userEnteredValue.formulaValue))))")        # a cell's value, and its formula if it has one
ERRORS = {"ERROR": "#ERROR!", "NULL_VALUE": "#NULL!", "DIVIDE_BY_ZERO": "#DIV/0!", "VALUE": "#VALUE!",
          "REF": "#REF!", "NAME": "#NAME?", "NUM": "#NUM!", "N_A": "#N/A", "LOADING": "Loading..."}


_PLAIN = (str, float, int, bool)


def _shown(value: Any) -> Cell:
    """An ExtendedValue (one key: numberValue, stringValue, boolValue, formulaValue or errorValue) as
    ``values:batchGet`` gives it unformatted; an error as the text a cell shows."""
    if value.__class__ is not dict:
        return ""
    for found in value.values():
        if found.__class__ is dict:
            return ERRORS.get(str(found.get("type")), "#ERROR!")
        return found if isinstance(found, (int, float, str, bool)) else ""
    return ""


def _row(cells: list[Any], key: str) -> list[Cell]:
    """One row's cells as ``_shown`` gives them (``key``: "effectiveValue" or "userEnteredValue"), the
    empty cells at its end left out. The common cell, one plain value, is read here without a call."""
    out: list[Cell] = []
    for cell in cells:
        value = cell.get(key) if cell.__class__ is dict else None
        if value.__class__ is dict and len(value) == 1:
            (found,) = value.values()
            out.append(found if found.__class__ in _PLAIN else _shown(value))
        else:
            out.append(_shown(value))
    while out and out[-1] == "":
        out.pop()
    return out


def value_ranges(spreadsheet: Mapping[str, Any], ranges: Sequence[str]
                 ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(values, formulas) as two ``values:batchGet`` answers for ``ranges`` would hold them, from one
    ``spreadsheets.get`` with the grid data of those ranges (fields ``GRID_FIELDS``): each cell's
    ``effectiveValue`` is its value, its ``userEnteredValue.formulaValue`` its formula (only formulas are
    asked for: what was typed is the value, and text typed with a leading "=" is text); empty cells at the
    end of a row, and empty rows at the end, are left out as the API does."""
    grids: dict[str, list[Any]] = {}
    sheets = spreadsheet.get("sheets")
    for sheet in sheets if isinstance(sheets, list) else []:
        title = ((sheet or {}).get("properties") or {}).get("title") if isinstance(sheet, Mapping) else None
        data = sheet.get("data") if isinstance(sheet, Mapping) else None
        if isinstance(title, str) and isinstance(data, list):
            grids.setdefault(title, []).extend(data)
    values, formulas = [], []
    for a1 in ranges:
        title, col, row = _title_and_origin(a1)
        shown: list[list[Cell]] = []
        typed: list[list[Cell]] = []
        for part in grids.get(title, []):
            if not isinstance(part, Mapping) or part.get("startRow", 0) != row - 1 or \
                    part.get("startColumn", 0) != col:                     # col counts from 0, row from 1
                continue
            for r in part.get("rowData") or []:
                cells = r.get("values") if r.__class__ is dict else None
                if cells.__class__ is not list:
                    cells = []
                shown.append(_row(cells, "effectiveValue"))
                typed.append(_row(cells, "userEnteredValue")
                             if any(c.__class__ is dict and "userEnteredValue" in c for c in cells) else [])
            break
        values.append(_value_range(a1, shown))
        formulas.append(_value_range(a1, typed))
    return values, formulas


def _value_range(a1: str, rows: list[list[Cell]]) -> dict[str, Any]:
    while rows and not rows[-1]:
        rows.pop()
    return {"range": a1, "majorDimension": "ROWS", **({"values": rows} if rows else {})}


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
