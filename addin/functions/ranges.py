"""Ranges as spreadsheets pass them, into the CPD model.

A range arrives as a 2-D list: blanks as None or "", dates as date objects or serial
numbers, numbers as floats, text with stray spaces. The activity table comes with its
header row, found by the same header finder and table scan as every other grid.
"""
from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from ..columns import Columns
from ..errors import CpdError, Problem
from ..grid.headers import HeaderNames, find_header
from ..grid.record import ACTIVITY_HEADERS, PLAN_HEADERS
from ..grid.table import read_table
from ..intake import ActivityBuild, build_record
from ..model import Record
from ..profile import Profile, load_profile
from ..values import BadValue, Cell, is_blank, to_date
from ..form.layout import HEADER_SCAN_ROWS, TABLE_HEADER_ROW, labelled_values
from .recalc import Recalc


def as_grid(value: Cell) -> Sequence[Sequence[Cell]]:
    """Any range value as rows (a single cell or a single row too), without its trailing blank rows: a
    formula given ``A9:Q5009`` for 2,000 activities pays nothing for the 3,000 empty rows below them. The
    rows are not copied (nothing here changes them)."""
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        return [[value]]
    if value and not isinstance(value[0], (list, tuple)):
        return [value]
    end = len(value)
    nones, empties = [None] * len(value[0]), [""] * len(value[0])
    for blank in (nones, empties):           # whole blocks of blank rows compared at C speed, halving the block
        block = 1024
        while block:
            while end >= block and value[end - block:end] == [blank] * block:
                end -= block
            block //= 2
    while end and _blank_row(value[end - 1], nones, empties):    # rows of mixed blanks, or tuples
        end -= 1
    return value if end == len(value) else value[:end]


def _blank_row(row: Sequence[Cell], nones: list[Cell], empties: list[Cell]) -> bool:
    """Every cell None or "" (compared at C speed; a row of spaces is left to the table scan)."""
    if isinstance(row, list) and (row == nones or row == empties):
        return True
    return row.count(None) + row.count("") == len(row)


def _no_header(what: str) -> CpdError:
    return CpdError("no_header_row", f"the {what} range needs its header row (e.g. Start date, Description, "
                    f"CPD hours)")


def _table(grid: Sequence[Sequence[Cell]], headers: HeaderNames, first_row: int, what: str) -> Columns:
    table = read_table(grid, headers, sheet=None, min_matches=2, first_row=first_row)
    if table.header_row is None:
        raise _no_header(what)
    return table.data


RECALC = Recalc()      # the activity rows the last calls built, for the next recalculation


def _activities(grid: Sequence[Sequence[Cell]], first_row: int) -> ActivityBuild:
    """The activity table's build, through ``RECALC``: its header found as ``read_table`` finds it (a range
    holds no formulas), and the rows under it built where they changed since the last call."""
    found = find_header(grid, ACTIVITY_HEADERS, min_matches=2, scan_rows=HEADER_SCAN_ROWS)
    if found is None:
        raise _no_header("activities")
    h, columns = found
    return functools.partial(RECALC.activities, grid[h + 1:], first_row + h + 1, columns)


def header_values(grid: Sequence[Sequence[Cell]]) -> dict[str, Any]:
    """Label / value pairs (Name:, Status:, Covering the period from:, ...) from a block of cells."""
    out: dict[str, Any] = {}
    for cells in grid:
        for f, _, j in labelled_values(cells):
            if j is not None:
                out.setdefault(f, cells[j])
    return out


def resolve_profile(profile: Cell, header: dict[str, Any]) -> Profile:
    name = profile if not is_blank(profile) else header.get("profile")
    return load_profile(None if is_blank(name) else str(name).strip())


def record_from_ranges(activities: Cell, record: Cell = None, plan: Cell = None, profile: Cell = None, *,
                       period_from: Cell = None, period_to: Cell = None, status: Cell = None,
                       first_row: int = TABLE_HEADER_ROW) -> tuple[Record, Profile, list[Problem]]:
    """A Record from the ranges a formula passes; problems name the sheet row of each bad value."""
    header = header_values(as_grid(record))
    for key, value in (("period_start", period_from), ("period_end", period_to), ("status", status)):
        if not is_blank(value):
            header[key] = value
            if key != "status" and isinstance(value, str):     # a date written in the formula: not a cell's text
                try:
                    header[key] = to_date(value)
                except BadValue:
                    pass                                       # refused below, as any bad date is
    prof = resolve_profile(profile, header)
    build = _activities(as_grid(activities), first_row)
    plan_grid = as_grid(plan) if not is_blank(plan) else []
    objs = _table(plan_grid, PLAN_HEADERS, first_row, "plan").mappings() if plan_grid else []
    # the functions are the template's: its Summary's formulas read these cells too, so text is refused alike
    rec, problems = build_record(header, objs, None, prof, plan_known=bool(plan_grid), typed=True, build=build)
    if rec is None:
        raise CpdError("period_missing", "give the period: pass the Record header range, or the period from and to")
    return rec, prof, problems
