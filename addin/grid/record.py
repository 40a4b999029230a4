"""A CPD record from any cell source: the one reader behind ``cpd check``, the service and Google Sheets.

The record sheet is the one named Record, or else the first whose first rows head an
activity table. Columns are found by header name in any order; header fields by their
labels. Every bad value becomes a ``Problem`` naming its sheet and cell.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from msgspec import Struct, field

from ..errors import CpdError, InvalidRecord, Problem
from ..intake import build_record
from ..model import Record
from ..profile import Profile, load_profile, load_profiles
from ..values import BadValue, Cell, count, is_blank, plural, to_date
from ..form.layout import (ACTIVITY_COLUMNS, HEADER, HEADER_SCAN_ROWS, PLAN_COLUMNS, PLAN_SHEET, RECORD_SHEET,
                           SUMMARY_SHEET)
from .cells import CellMap, column_letters, submission_cells
from .headers import HeaderNames, find_header
from .source import CellSource
from .table import Table, read_table

MAX_PLAN_ROWS = 1_000
ACTIVITY_HEADERS = HeaderNames(ACTIVITY_COLUMNS)
PLAN_HEADERS = HeaderNames(PLAN_COLUMNS)


class GridRead(Struct):
    """What reading a grid gave: the record (if a period could be read), its profile, every problem,
    and where the record's values are (``cells``, for messages and write-back)."""

    record: Record | None
    profile: Profile
    problems: list[Problem] = field(default_factory=list)
    sheet: str = RECORD_SHEET
    cells: CellMap = field(default_factory=lambda: CellMap(RECORD_SHEET))
    submission: CellMap = field(default_factory=lambda: CellMap(RECORD_SHEET))   # where Check and Submit write
    notes: list[str] = field(default_factory=list)                               # what was assumed, to tell
    bodies: tuple[Profile, ...] = ()         # every body the workbook names (a log kept for several); () for one
    header_row: int | None = None            # the sheet row of the activity table's header

    def require(self) -> Record:
        """The record, or InvalidRecord listing every problem."""
        if self.problems or self.record is None:
            n = len(self.problems)
            raise InvalidRecord("invalid_record", f"{count(n, 'value')} cannot be read; fix "
                                f"{plural(n, 'it')} and check again", self.problems)
        return self.record


def scan_table(source: CellSource, sheet: str, names: HeaderNames, min_matches: int, want_labels: bool,
               max_rows: int) -> Table:
    """The table on one of the source's sheets."""
    return read_table(source.table(sheet), names, sheet=sheet, min_matches=min_matches,
                      formulas=source.formulas(sheet), want_labels=want_labels,
                      max_chars=source.limits.max_cell_chars, max_rows=max_rows)


def find_record_sheet(source: CellSource) -> str:
    names = source.sheet_names
    if RECORD_SHEET in names:
        return RECORD_SHEET
    for name in names:
        if find_header(source.table(name, max_rows=HEADER_SCAN_ROWS), ACTIVITY_HEADERS, min_matches=3,
                       scan_rows=HEADER_SCAN_ROWS) is not None:
            return name
    raise CpdError("no_record_sheet", f"no sheet has a CPD activity table (looked for a '{RECORD_SHEET}' sheet, "
                   f"or a header row with columns such as Start date, Description, Hours)")


def named_profiles(labels: Mapping[str, tuple[Cell, str | None]]) -> list[Profile]:
    """The bodies the record's 'Institution profile' names (the default one when it names none)."""
    named, where = labels.get("profile", (None, None))
    if is_blank(named):
        return [load_profile(None)]
    try:
        return load_profiles(str(named).strip())
    except CpdError as exc:
        raise CpdError(exc.code, exc.message, sheet=RECORD_SHEET, cell=where) from None


def resolve_profile(profile: Profile | str | None, labels: Mapping[str, tuple[Cell, str | None]]) -> Profile:
    if isinstance(profile, Profile):
        return profile
    if profile is not None:
        return load_profile(profile)
    return named_profiles(labels)[0]


def read_record(source: CellSource, profile: Profile | str | None = None, *, month_first: bool = False) -> GridRead:
    """Read a CPD record from ``source``; ``profile`` overrides the one the record names."""
    sheet = find_record_sheet(source)
    table = scan_table(source, sheet, ACTIVITY_HEADERS, 3, True, source.limits.max_rows)
    if table.header_row is None:
        raise CpdError("no_activity_table", f"{sheet}: no activity table header in the first {HEADER_SCAN_ROWS} rows",
                       sheet=sheet)
    if profile is None:
        named = named_profiles(table.labels)
        prof = named[0]
    else:                                   # checked against a profile given: what the workbook names is only told
        prof = resolve_profile(profile, table.labels)
        try:
            named = named_profiles(table.labels)
        except CpdError:
            named = [prof]
    plan = Table(PLAN_SHEET)
    if PLAN_SHEET in source.sheet_names:
        plan = scan_table(source, PLAN_SHEET, PLAN_HEADERS, 2, False, MAX_PLAN_ROWS)
    header = {f: v for f, (v, _) in table.labels.items()}
    notes = []
    if "period_start" not in table.labels and "period_end" not in table.labels:     # a plain table of activities
        period = prof.period_around(_latest(table.data.get("start_date"), month_first))
        header.update(period_start=period.start, period_end=period.end)
        notes.append(f"{sheet} does not say its period: checked against {period} ({prof.short_name}'s period "
                     f"around its latest activity). Say it with 'Covering the period from:' and 'To:' labels "
                     f"above the table, as the template does")
    typed = SUMMARY_SHEET in source.sheet_names or SUMMARY_SHEET in source.unread    # the template's own formulas
    source.release()                                      # every table is read
    record, problems = build_record(header, plan.data.mappings(), table.data, prof, month_first=month_first,
                                    typed=typed)
    placed = []
    for p in problems:
        fld = p.field or ""
        if fld.startswith("plan.") and p.row is not None:
            placed.append(p.at(PLAN_SHEET, plan.cells.cell(p.row, fld[5:]) or f"B{p.row}"))
        elif p.row is None:      # a header field
            placed.append(p.at(sheet, table.cells.label_cell(fld) or _label_cell(fld)))
        else:
            placed.append(p.at(sheet, table.cells.cell(p.row, fld) or f"A{p.row}"))
    problems = table.problems + plan.problems + placed
    problems.sort(key=lambda p: (p.sheet != sheet, p.row or 0, p.cell or ""))
    return GridRead(record=record, profile=prof, problems=problems, sheet=sheet, cells=table.cells,
                    submission=submission_cells(table.above, sheet), notes=notes,
                    bodies=tuple(named) if len(named) > 1 else (), header_row=table.header_row)


def _latest(values: Iterable[Cell], month_first: bool) -> date | None:
    """The latest readable date among a column's values (None when there is none)."""
    found: list[date] = []
    for v in values:
        try:
            d = to_date(v, month_first=month_first)
        except BadValue:
            continue
        if d is not None:
            found.append(d)
    return max(found, default=None)


def _label_cell(fld: str) -> str | None:
    h = HEADER.get(fld)
    return f"{column_letters(h.value_col)}{h.row}" if h else None
