"""Ranges as spreadsheets pass them, into the CPD model.

A range arrives as a 2-D list: blanks as None or "", dates as date objects or serial
numbers, numbers as floats, text with stray spaces. The activity table comes with its
header row, found by name as the workbook reader finds it.
"""
from __future__ import annotations

from ..columns import Columns, from_grid
from ..errors import CpdError, Problem
from ..intake import build_record
from ..model import Record
from ..profile import Profile, load_profile
from ..values import is_blank, normalise
from ..workbook.layout import ACTIVITY_COLUMNS, PLAN_COLUMNS, TABLE_HEADER_ROW, header_names, labelled_values

_ACTIVITY = header_names(ACTIVITY_COLUMNS)
_PLAN = header_names(PLAN_COLUMNS)


def as_grid(value) -> list[list]:
    """Any range value as a list of rows (a single cell or a single row too)."""
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        return [[value]]
    if value and not isinstance(value[0], (list, tuple)):
        return [list(value)]
    return [list(r) for r in value]


def _table(grid: list[list], headers: dict, first_row: int, what: str) -> Columns:
    for h, cells in enumerate(grid[:40]):
        found = {}
        for i, v in enumerate(cells):
            if isinstance(v, str):
                f = headers.get(normalise(v.strip().rstrip(":?")))
                if f and f not in found.values():
                    found[i] = f
        if len(found) >= 2:
            break
    else:
        raise CpdError("no_header_row", f"the {what} range needs its header row (e.g. Start date, Description, "
                       f"CPD hours)")
    data = grid[h + 1:]
    return from_grid(data, range(first_row + h + 1, first_row + h + 1 + len(data)), found)


def header_values(grid: list[list]) -> dict:
    """Label / value pairs (Name:, Status:, Covering the period from:, ...) from a block of cells."""
    out = {}
    for cells in grid:
        for f, _, j in labelled_values(cells):
            if j is not None:
                out.setdefault(f, cells[j])
    return out


def resolve_profile(profile, header: dict) -> Profile:
    name = profile if not is_blank(profile) else header.get("profile")
    return load_profile(None if is_blank(name) else str(name).strip())


def record_from_ranges(activities, record=None, plan=None, profile=None, *, period_from=None, period_to=None,
                       status=None, first_row: int = TABLE_HEADER_ROW) -> tuple[Record, Profile, list[Problem]]:
    """A Record from the ranges a formula passes; problems name the sheet row of each bad value."""
    header = header_values(as_grid(record))
    for key, value in (("period_start", period_from), ("period_end", period_to), ("status", status)):
        if not is_blank(value):
            header[key] = value
    prof = resolve_profile(profile, header)
    acts = _table(as_grid(activities), _ACTIVITY, first_row, "activities")
    plan_grid = as_grid(plan) if not is_blank(plan) else []
    objs = _table(plan_grid, _PLAN, first_row, "plan").mappings() if plan_grid else []
    rec, problems = build_record(header, objs, acts, prof, plan_known=bool(plan_grid))
    if rec is None:
        raise CpdError("period_missing", "give the period: pass the Record header range, or the period from and to")
    return rec, prof, problems
