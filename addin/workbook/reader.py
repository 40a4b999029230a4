"""Reading a CPD workbook back into the model: the one hardened entry point.

Every workbook comes from outside, so it is read in two steps. First
``inspect_package`` checks the container before any XML parser sees it (sizes,
zip structure, DTDs, macros, each sheet's real extent and its formula cells).
Then python-calamine, a Rust reader that never expands XML entities, reads the
values. Columns are found by header name (and synonyms) on any of the first
rows, in any order; header fields by their labels. Every bad value becomes a
``Problem`` naming its sheet and cell ("Record!J10: hours must be a number,
found 'two'"). Formulas are never trusted in input cells: their cached values
could say anything, so a formula where a value belongs is reported, not read.
"""
from __future__ import annotations

import gc
import io
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import python_calamine

from ..columns import Columns, from_grid, too_long
from ..errors import CpdError, InvalidRecord, Problem
from ..intake import build_record
from ..model import Record
from ..profile import Profile, load_profile
from ..values import is_blank, normalise
from .layout import (ACTIVITY_COLUMNS, HEADER, HEADER_SCAN_ROWS, PLAN_COLUMNS, PLAN_SHEET, RECORD_SHEET,
                     header_names, labelled_values)
from .limits import Limits
from .package import Package, failures, inspect_package
from .sheetscan import column_letters, column_number

MAX_PLAN_ROWS = 1_000
FORMULA_OK = {"evidence"}            # a HYPERLINK() there is fine: it is not scored
_ACTIVITY_HEADERS = header_names(ACTIVITY_COLUMNS)
_PLAN_HEADERS = header_names(PLAN_COLUMNS)


@dataclass
class WorkbookRead:
    """What reading a workbook gave: the record (if a period could be read), its profile, every problem."""

    record: Record | None
    profile: Profile
    problems: list[Problem] = field(default_factory=list)
    sheet: str = RECORD_SHEET

    def require(self) -> Record:
        """The record, or InvalidRecord listing every problem."""
        if self.problems or self.record is None:
            n = len(self.problems)
            raise InvalidRecord("invalid_record", f"{n} value{'s' if n != 1 else ''} cannot be read; fix "
                                f"{'them' if n != 1 else 'it'} and check again", self.problems)
        return self.record


def load_bytes(source: str | Path | bytes | BinaryIO, limits: Limits) -> bytes:
    """The file's bytes, refusing one over the size limit before reading it all."""
    if isinstance(source, (bytes, bytearray)):
        return bytes(source)
    if hasattr(source, "read"):
        data = source.read(limits.max_file_bytes + 1)
    else:
        path = Path(source)
        try:
            size = path.stat().st_size
            if path.is_dir():
                raise CpdError("file_not_found", f"{path} is a folder, not a workbook")
            if size > limits.max_file_bytes:
                raise CpdError("file_too_large", f"the file is {size:,} bytes; at most {limits.max_file_bytes:,} allowed")
            data = path.read_bytes()
        except FileNotFoundError:
            raise CpdError("file_not_found", f"no such file: {path}") from None
        except PermissionError:
            raise CpdError("file_not_readable", f"cannot read {path}: permission denied") from None
    if len(data) > limits.max_file_bytes:
        raise CpdError("file_too_large", f"the file is over {limits.max_file_bytes:,} bytes")
    return data


class Grid:
    """A package's sheets as rows of values, with each sheet's formula cells."""

    def __init__(self, pkg: Package, limits: Limits):
        self.pkg = pkg
        self.limits = limits
        with calamine_failures():
            self.book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(pkg.data))

    @property
    def sheet_names(self) -> list[str]:
        return [n for n in self.book.sheet_names if n in self.pkg.sheets]

    def table(self, name: str, max_rows: int | None = None) -> list[list]:
        """The sheet's rows from row 1, each from column A (blank cells as "")."""
        self.pkg.scan(name)          # extent checked before calamine builds the sheet
        with calamine_failures():
            return self.book.get_sheet_by_name(name).to_python(skip_empty_area=False, nrows=max_rows)

    def rows(self, name: str, max_rows: int | None = None):
        """(row number, [values from column A]) for every row the sheet uses."""
        return enumerate(self.table(name, max_rows), 1)

    def too_long(self, value: str, sheet: str, cell: str) -> None:
        """Refuse a value longer than any cell may be (checked on the values a reader uses)."""
        if len(value) > self.limits.max_cell_chars:
            raise too_long(len(value), self.limits.max_cell_chars, sheet, cell)

    def formulas(self, name: str) -> set[str]:
        return self.pkg.scan(name).formulas


class calamine_failures:
    """calamine's own errors (and a Rust panic, which is a BaseException) as CpdErrors."""

    def __enter__(self):
        self._inner = failures()
        self._inner.__enter__()
        return self

    def __exit__(self, typ, exc, tb):
        if exc is None or isinstance(exc, (CpdError, KeyboardInterrupt, SystemExit, GeneratorExit)):
            return self._inner.__exit__(typ, exc, tb)
        if isinstance(exc, python_calamine.PasswordError):
            raise CpdError("legacy_or_encrypted", "the workbook is password-protected") from None
        if isinstance(exc, python_calamine.XmlError):
            raise CpdError("malformed_xml", "a sheet of the workbook is not well-formed XML") from None
        if isinstance(exc, python_calamine.ZipError):
            raise CpdError("corrupt_zip", "the file is damaged: it is not a readable zip package") from None
        if isinstance(exc, Exception) and not isinstance(exc, python_calamine.CalamineError):
            return self._inner.__exit__(typ, exc, tb)
        text = str(exc).lower()
        if any(word in text for word in ("xml", "node", "tag", "attribute", "unexpected", "expecting")):
            raise CpdError("malformed_xml", "a sheet of the workbook is not well-formed XML") from None
        raise CpdError("unreadable_workbook", f"the workbook cannot be read ({type(exc).__name__})") from None


@contextmanager
def gc_paused():
    """The cyclic garbage collector held off while a workbook is read.

    Reading makes tens of thousands of short-lived objects with no reference cycles (cell
    values, rows, activities); reference counting frees them, and the collector's passes
    over them would only cost time (a tenth of the whole read). The call that turned it off
    turns it back on; if it was off already (the caller's choice, or another read), it stays so."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def read_workbook(source: str | Path | bytes | BinaryIO, profile: Profile | str | None = None, *,
                  month_first: bool = False, limits: Limits | None = None) -> WorkbookRead:
    """Read a CPD workbook through the hardened checks. ``profile`` overrides the one it names."""
    limits = limits or Limits.from_env()
    data = load_bytes(source, limits)
    with gc_paused():
        pkg = inspect_package(data, limits)
        grid = Grid(pkg, limits)
        with calamine_failures():
            return _read(grid, profile, month_first, limits)


def load_record(source, profile: Profile | str | None = None) -> tuple[Record, Profile]:
    """The record and its profile; InvalidRecord if any value cannot be read."""
    read = read_workbook(source, profile)
    return read.require(), read.profile


@dataclass
class Table:
    sheet: str
    header_row: int | None = None
    columns: dict = field(default_factory=dict)          # column index (0-based) -> field
    labels: dict = field(default_factory=dict)           # header field -> (value, cell)
    data: Columns = field(default_factory=Columns)       # the rows under the header, by field
    problems: list = field(default_factory=list)


def _header_fields(cells, headers: dict) -> dict:
    found = {}
    for i, v in enumerate(cells):
        if isinstance(v, str):
            f = headers.get(normalise(v.rstrip(":?")))
            if f and f not in found.values():
                found[i] = f
    return found


def _cell_name(column: int, row: int) -> str:
    return f"{column_letters(column + 1)}{row}"


def scan_table(grid: Grid, sheet: str, headers: dict, min_matches: int, want_labels: bool, max_rows: int) -> Table:
    """The table on a sheet: its header row (within the first rows), the labelled values above it,
    and its data as columns. A formula in an input column is reported and read as blank."""
    table = Table(sheet)
    formulas = grid.formulas(sheet)
    cells = grid.table(sheet)
    for r, row in enumerate(cells[:HEADER_SCAN_ROWS], 1):
        found = _header_fields(row, headers)
        if len(found) >= min_matches:
            table.header_row, table.columns = r, found
            break
        if want_labels:
            _labels(grid, table, row, r, formulas)
    if table.header_row is None:
        return table
    first = table.header_row + 1
    blanked = []
    for ref in formulas:
        letters = ref.rstrip("0123456789")
        r, i = int(ref[len(letters):]), column_number(letters) - 1
        f = table.columns.get(i)
        if r >= first and f is not None and f not in FORMULA_OK:
            blanked.append((r - first, i))
            table.problems.append(Problem(
                "formula_not_allowed", "enter a value, not a formula: formula results are not trusted",
                field=f, row=r, sheet=sheet, cell=ref))
    data = cells[table.header_row:]
    table.data = from_grid(data, range(first, first + len(data)), table.columns, blanked=blanked,
                           max_chars=grid.limits.max_cell_chars, sheet=sheet, cell_name=_cell_name)
    if len(table.data) > max_rows:
        raise CpdError("too_many_rows", f"{sheet}: more than {max_rows:,} rows; split the record",
                       sheet=sheet, cell=f"A{table.data.rows[max_rows]}")
    return table


def _labels(grid: Grid, table: Table, cells, r: int, formulas: set) -> None:
    for f, i, j in labelled_values(cells):
        if f in table.labels:
            continue
        end = j if j is not None else len(cells)
        formula = next((k for k in range(i + 1, end + (j is not None)) if _cell_name(k, r) in formulas),
                       None)
        if formula is not None:      # a formula where the value belongs (it may have no cached value)
            ref = _cell_name(formula, r)
            table.problems.append(Problem("formula_not_allowed", "enter a value, not a formula",
                                          field=f, sheet=table.sheet, cell=ref))
            table.labels[f] = (None, ref)
        elif j is None:
            table.labels[f] = (None, _cell_name(i + 1, r))
        else:
            value, ref = cells[j], _cell_name(j, r)
            if isinstance(value, str):
                grid.too_long(value, table.sheet, ref)
            table.labels[f] = (value, ref)


def _find_record_sheet(grid: Grid) -> str:
    names = grid.sheet_names
    if RECORD_SHEET in names:
        return RECORD_SHEET
    for name in names:
        for r, cells in grid.rows(name, max_rows=HEADER_SCAN_ROWS):
            if len(_header_fields(cells, _ACTIVITY_HEADERS)) >= 3:
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


def _read(grid: Grid, profile, month_first: bool, limits: Limits) -> WorkbookRead:
    sheet = _find_record_sheet(grid)
    table = scan_table(grid, sheet, _ACTIVITY_HEADERS, 3, True, limits.max_rows)
    if table.header_row is None:
        raise CpdError("no_activity_table", f"{sheet}: no activity table header in the first {HEADER_SCAN_ROWS} rows",
                       sheet=sheet)
    prof = _resolve_profile(profile, table.labels)
    plan = Table(PLAN_SHEET)
    if PLAN_SHEET in grid.sheet_names:
        plan = scan_table(grid, PLAN_SHEET, _PLAN_HEADERS, 2, False, MAX_PLAN_ROWS)
    header = {f: v for f, (v, _) in table.labels.items()}
    record, problems = build_record(header, plan.data.mappings(), table.data, prof, month_first=month_first)
    act_cols = {f: column_letters(i + 1) for i, f in table.columns.items()}
    plan_cols = {f: column_letters(i + 1) for i, f in plan.columns.items()}
    placed = []
    for p in problems:
        if p.field and p.field.startswith("plan."):
            placed.append(p.at(PLAN_SHEET, f"{plan_cols.get(p.field[5:], 'B')}{p.row}"))
        elif p.row is None:      # a header field
            placed.append(p.at(sheet, table.labels.get(p.field, (None, None))[1] or _label_cell(p.field)))
        else:
            placed.append(p.at(sheet, f"{act_cols.get(p.field, 'A')}{p.row}"))
    problems = table.problems + plan.problems + placed
    problems.sort(key=lambda p: (p.sheet != sheet, p.row or 0, p.cell or ""))
    return WorkbookRead(record=record, profile=prof, problems=problems, sheet=sheet)


def _label_cell(fld: str) -> str | None:
    h = HEADER.get(fld)
    return f"{column_letters(h.value_col)}{h.row}" if h else None
