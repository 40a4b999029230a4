"""Reading a CPD workbook back into the model.

Columns are found by header name (and synonyms) on any of the first rows, in any
order; header fields by their labels. Every bad value becomes a ``Problem``
naming its sheet and cell ("Record!K16: hours must be a number, found 'two'").
Formulas are never trusted in input cells: their cached values could say
anything, so a formula where a value belongs is reported, not read.
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import openpyxl
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from ..errors import CpdError, InvalidRecord, Problem
from ..intake import build_record
from ..model import Record
from ..profile import Profile, load_profile
from ..values import is_blank, normalise, shown
from .layout import (ACTIVITY_COLUMNS, HEADER, HEADER_SCAN_ROWS, PLAN_COLUMNS, PLAN_SHEET, RECORD_SHEET, header_names,
                     label_names)

MAX_ACTIVITY_ROWS = 50_000
MAX_PLAN_ROWS = 1_000
FORMULA_OK = {"evidence"}            # a HYPERLINK() there is fine: it is not scored
_ACTIVITY_HEADERS = header_names(ACTIVITY_COLUMNS)
_PLAN_HEADERS = header_names(PLAN_COLUMNS)
_LABELS = label_names()

if not openpyxl.xml.DEFUSEDXML:  # pragma: no cover - a packaging error, not a user's
    raise ImportError("defusedxml must be installed: workbook XML is parsed only with it")


@dataclass
class WorkbookRead:
    """What reading a workbook gave: the record (if a period could be read), its profile, every problem."""

    record: Record | None
    profile: Profile
    problems: list[Problem] = field(default_factory=list)
    sheet: str = RECORD_SHEET
    columns: dict = field(default_factory=dict)     # field -> column letter

    def require(self) -> Record:
        """The record, or InvalidRecord listing every problem."""
        if self.problems or self.record is None:
            n = len(self.problems)
            raise InvalidRecord("invalid_record", f"{n} value{'s' if n != 1 else ''} cannot be read; fix "
                                f"{'them' if n != 1 else 'it'} and check again", self.problems)
        return self.record


def _open(source: str | Path | bytes | BinaryIO):
    try:
        handle = io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source
        return openpyxl.load_workbook(handle, read_only=True, data_only=False, keep_links=False)
    except FileNotFoundError:
        raise CpdError("file_not_found", f"no such file: {source}") from None
    except IsADirectoryError:
        raise CpdError("file_not_found", f"{source} is a folder, not a workbook") from None
    except (zipfile.BadZipFile, InvalidFileException):
        raise CpdError("not_xlsx", "not an Excel workbook (.xlsx): the file is not a valid xlsx package") from None
    except Exception as exc:  # openpyxl raises many kinds on malformed parts
        raise CpdError("unreadable_workbook", f"the workbook cannot be read ({type(exc).__name__})") from None


def read_workbook(source: str | Path | bytes | BinaryIO, profile: Profile | str | None = None, *,
                  month_first: bool = False) -> WorkbookRead:
    """Read a CPD workbook. ``profile`` overrides the one the workbook names."""
    wb = _open(source)
    try:
        return _read(wb, profile, month_first)
    except CpdError:
        raise
    except Exception as exc:  # a malformed part found while streaming rows
        raise CpdError("unreadable_workbook", f"the workbook cannot be read ({type(exc).__name__})") from None
    finally:
        wb.close()


def load_record(source, profile: Profile | str | None = None) -> tuple[Record, Profile]:
    """The record and its profile; InvalidRecord if any value cannot be read."""
    read = read_workbook(source, profile)
    return read.require(), read.profile


@dataclass
class _Table:
    sheet: str
    header_row: int | None = None
    columns: dict = field(default_factory=dict)          # column index (0-based) -> field
    labels: dict = field(default_factory=dict)           # header field -> (value, cell)
    rows: list = field(default_factory=list)             # (row number, {field: value})
    problems: list = field(default_factory=list)


def _scan(ws, sheet: str, headers: dict, min_matches: int, want_labels: bool, max_rows: int) -> _Table:
    table = _Table(sheet)
    ws.reset_dimensions()           # never trust <dimension>: read every row there is
    for r, cells in enumerate(ws.iter_rows(), 1):
        if table.header_row is None:
            if r > HEADER_SCAN_ROWS:
                break
            found = {}
            for i, c in enumerate(cells):
                v = c.value
                if isinstance(v, str) and c.data_type != "f":
                    f = headers.get(normalise(v.rstrip(":?")))
                    if f and f not in found.values():
                        found[i] = f
            if len(found) >= min_matches:
                table.header_row, table.columns = r, found
                continue
            if want_labels:
                _labels(table, cells, r)
            continue
        values, any_value = {}, False
        for i, f in table.columns.items():
            if i >= len(cells):
                continue
            c = cells[i]
            v = c.value
            if is_blank(v):
                continue
            any_value = True
            if c.data_type == "f" and f not in FORMULA_OK:
                table.problems.append(Problem(
                    "formula_not_allowed", f"enter a value, not a formula ({shown(v)}): formula results are "
                    f"not trusted", field=f, row=r, sheet=sheet, cell=f"{get_column_letter(i + 1)}{r}"))
                continue
            values[f] = v
        if any_value:
            if len(table.rows) >= max_rows:
                raise CpdError("too_many_rows", f"{sheet}: more than {max_rows:,} rows; split the record",
                               sheet=sheet, cell=f"A{r}")
            table.rows.append((r, values))
    return table


def _labels(table: _Table, cells, r: int) -> None:
    for i, c in enumerate(cells):
        if not isinstance(c.value, str):
            continue
        f = _LABELS.get(normalise(c.value.rstrip(":")))
        if f is None or f in table.labels:
            continue
        value, where = None, f"{get_column_letter(i + 2)}{r}"
        for c2 in cells[i + 1:]:
            if isinstance(c2.value, str) and _LABELS.get(normalise(c2.value.rstrip(":"))):
                break
            if not is_blank(c2.value):
                value, where = c2.value, f"{get_column_letter(c2.column)}{r}"
                if c2.data_type == "f":
                    table.problems.append(Problem("formula_not_allowed", f"enter a value, not a formula "
                                                  f"({shown(c2.value)})", field=f, sheet=table.sheet, cell=where))
                    value = None
                break
        table.labels[f] = (value, where)


def _find_record_sheet(wb) -> str:
    if RECORD_SHEET in wb.sheetnames:
        return RECORD_SHEET
    for name in wb.sheetnames:
        ws = wb[name]
        for r, row in enumerate(ws.iter_rows(max_row=HEADER_SCAN_ROWS, values_only=True), 1):
            hits = {_ACTIVITY_HEADERS.get(normalise(v.rstrip(":?"))) for v in row if isinstance(v, str)}
            if len(hits - {None}) >= 3:
                return name
    raise CpdError("no_record_sheet", f"no sheet has a CPD activity table (looked for a '{RECORD_SHEET}' sheet, "
                   f"or a header row with columns such as Start date, Description, Hours)")


def _resolve_profile(profile, labels) -> Profile:
    if isinstance(profile, Profile):
        return profile
    if profile is not None:
        return load_profile(profile)
    named, where = labels.get("profile", (None, None))
    if is_blank(named):
        return load_profile(None)
    try:
        return load_profile(str(named).strip())
    except CpdError as exc:
        raise CpdError(exc.code, exc.message, sheet=RECORD_SHEET, cell=where) from None


def _read(wb, profile, month_first: bool) -> WorkbookRead:
    sheet = _find_record_sheet(wb)
    table = _scan(wb[sheet], sheet, _ACTIVITY_HEADERS, 3, True, MAX_ACTIVITY_ROWS)
    if table.header_row is None:
        raise CpdError("no_activity_table", f"{sheet}: no activity table header in the first {HEADER_SCAN_ROWS} rows",
                       sheet=sheet)
    prof = _resolve_profile(profile, table.labels)
    plan = _Table(PLAN_SHEET)
    if PLAN_SHEET in wb.sheetnames:
        plan = _scan(wb[PLAN_SHEET], PLAN_SHEET, _PLAN_HEADERS, 2, False, MAX_PLAN_ROWS)
    header = {f: v for f, (v, _) in table.labels.items()}
    record, problems = build_record(header, plan.rows, table.rows, prof, month_first=month_first)
    act_cols = {f: get_column_letter(i + 1) for i, f in table.columns.items()}
    plan_cols = {f: get_column_letter(i + 1) for i, f in plan.columns.items()}
    placed = []
    for p in problems:
        if p.field and p.field.startswith("plan."):
            fld = p.field[5:]
            placed.append(p.at(PLAN_SHEET, f"{plan_cols.get(fld, 'B')}{p.row}"))
        elif p.row is None:      # a header field
            placed.append(p.at(sheet, table.labels.get(p.field, (None, None))[1] or _missing_label_cell(p.field)))
        else:
            placed.append(p.at(sheet, f"{act_cols.get(p.field, 'A')}{p.row}"))
    problems = table.problems + plan.problems + placed
    problems.sort(key=lambda p: (p.sheet != sheet, p.row or 0, p.cell or ""))
    return WorkbookRead(record=record, profile=prof, problems=problems, sheet=sheet, columns=act_cols)


def _missing_label_cell(fld: str) -> str | None:
    h = HEADER.get(fld)
    return f"{get_column_letter(h.value_col)}{h.row}" if h else None
