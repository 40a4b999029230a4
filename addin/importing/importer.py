"""``cpd import``: an existing record, in whatever layout, into the template's fields.

Columns are found by header names and synonyms, in any order, on any header row within
the first rows. Dates and hours are read leniently (``lenient``). Nothing is lost: a
column the template lacks, and every value that cannot be read, is carried into the
row's Notes as "Header: value", and each unreadable value is reported with its cell.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any

from msgspec import Struct, field

from ..errors import CpdError, Problem
from ..profile import Profile
from ..values import BadValue, Cell, is_blank, normalise, text
from ..grid.cells import cell_name
from ..grid.headers import HeaderNames, find_header
from ..grid.record import PLAN_HEADERS as _PLAN_HEADERS
from ..form.layout import ACTIVITY_COLUMNS, PLAN_SHEET, columns_for, label_names, labelled_values
from ..form.limits import Limits
from .lenient import HOURS_PER_DAY, parse_dates, parse_hours
from .sources import read_source

HEADER_SEARCH_ROWS = 30
EXTRA_SYNONYMS = {
    "start_date": ("date(s)", "date of activity", "when", "date started", "from date", "start"),
    "end_date": ("date completed", "completion date", "to date", "date finished"),
    "title": ("activity description", "course", "event", "activity title", "name of activity", "what"),
    "provider": ("organisation", "organization", "trainer", "delivered by", "source", "who"),
    "reflection": ("reflective statement", "learning", "key learning", "benefit", "impact",
                   "outcome/experience gained", "what i learnt", "what i learned", "learning outcomes"),
    "further_action": ("further action", "actions", "follow up actions", "next step"),
    "category": ("cpd type", "type of cpd", "cpd category", "twaves category"),
    "hours": ("hrs", "cpd time", "time (hours)", "hours spent"),
    "competences": ("uk-spec competence", "uk-spec competences", "competency"),
    "evidence": ("certificate", "url", "evidence link"),
    "objective": ("development objective", "goal", "objective"),
}
_HEADERS = HeaderNames(ACTIVITY_COLUMNS, EXTRA_SYNONYMS)
_LABELS = label_names()
_FIELD_LABEL = {c.field: c.header for c in ACTIVITY_COLUMNS}
_FIELD_LABEL["start_date"] = "Start date"


class ImportResult(Struct):
    profile: Profile
    source: str
    sheet: str
    header: dict[str, Any] = field(default_factory=dict)
    activities: list[dict[str, Any]] = field(default_factory=list)
    objectives: list[dict[str, Any]] = field(default_factory=list)
    mapped: list[tuple[str, str]] = field(default_factory=list)       # (source header, template column)
    unmapped: list[str] = field(default_factory=list)     # source headers carried into Notes
    problems: list[Problem] = field(default_factory=list)     # values that could not be read (kept in Notes)
    notes: list[str] = field(default_factory=list)        # what the import assumed


class Found(Struct):
    """The sheet the table is on, its rows (row 1 first), the header's row number and its columns."""
    sheet: str
    rows: list[list[Cell]]
    header_row: int
    columns: dict[int, str]                 # column index -> field


def _find_table(tables: Mapping[str, list[list[Cell]]], names: HeaderNames) -> Found | None:
    """The sheet and row whose cells name the most fields (at least two), and its columns."""
    best = None
    for sheet, rows in tables.items():
        found = find_header(rows, names, min_matches=2, scan_rows=HEADER_SEARCH_ROWS, most=True)
        if found and (best is None or len(found[1]) > len(best.columns)):
            best = Found(sheet, rows, found[0] + 1, found[1])
    return best


def _labels_from_cells(rows: list[list[Cell]], upto_row: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for cells in rows[:upto_row - 1]:
        for v in cells:                    # "NAME: Jo Bloggs" in one cell
            if isinstance(v, str) and ":" in v:
                label, _, rest = v.partition(":")
                f = _LABELS.get(normalise(label))
                if f and rest.strip():
                    out.setdefault(f, rest.strip())
        for f, _, j in labelled_values(cells):
            if j is not None:
                out.setdefault(f, cells[j])
    return out


def _labels_from_lines(lines: list[str]) -> dict[str, Any]:
    """The tracker form's header written as paragraphs: NAME: ..., MEMBERSHIP NUMBER: ..., PERIOD FROM: ... TO: ..."""
    joined = "\n".join(lines)
    out = {}
    patterns = {
        "name": r"\bname\s*:\s*(.+?)\s*(?=membership|$)",
        "membership_number": r"membership\s+(?:number|no\.?)\s*:\s*([A-Za-z0-9/-]+)",
        "period_start": r"period\s+from\s*:\s*(.+?)\s+to\s*:",
        "period_end": r"period\s+from\s*:.*?\bto\s*:\s*(.+?)\s*$",
    }
    for f, pattern in patterns.items():
        m = re.search(pattern, joined, re.I | re.M)
        if m and m.group(1).strip():
            out[f] = m.group(1).strip()
    for grade in ("associate", "member"):
        if re.search(rf"\b{grade}\s*(?:[☒☑✓✔]|\[\s*[xX]\s*\]|[xX]\b)", joined, re.I):
            out.setdefault("grade", grade.capitalize())
    return out


def import_record(path: Path, profile: Profile, *, month_first: bool = False,
                  hours_per_day: float = HOURS_PER_DAY, limits: Limits | None = None) -> ImportResult:
    limits = limits or Limits.from_env()
    source = read_source(path, limits)
    tables = {name: source.table(name) for name in source.sheet_names}       # each sheet read once
    found = _find_table(tables, _HEADERS)
    if not found:
        raise CpdError("no_activity_table", f"{path.name}: no header row with CPD columns (such as Date, Activity, "
                       f"Hours, What did you learn) in the first {HEADER_SEARCH_ROWS} rows")
    header_row = found.header_row
    in_template = {c.field for c in columns_for(profile)}    # a column the new workbook has no place for: to Notes
    columns = {i: f for i, f in found.columns.items() if f in in_template}
    result = ImportResult(profile=profile, source=path.name, sheet=found.sheet)
    labels = _labels_from_cells(found.rows, header_row)
    labels.update({k: v for k, v in _labels_from_lines(getattr(source, "lines", [])).items() if k not in labels})
    result.header = _header(labels, result, month_first)
    header_cells = dict(enumerate(found.rows[header_row - 1]))
    for i, f in sorted(columns.items()):
        result.mapped.append((str(header_cells[i]).strip(), _FIELD_LABEL[f]))
    unmapped = {i: str(v).strip() for i, v in header_cells.items() if i not in columns and not is_blank(v)}
    result.unmapped = list(unmapped.values())
    objectives = _plan(tables)
    refs = {o["ref"] for o in objectives}
    result.objectives = objectives
    formulas = source.formulas(found.sheet)
    for r, cells in enumerate(found.rows[header_row:], header_row + 1):
        if all(is_blank(v) for v in cells):
            continue
        where = partial(source.cell, found.sheet, r)
        row, notes = _row(where, r, cells, formulas, columns, unmapped, result, month_first, hours_per_day)
        if row.get("objective") and str(row["objective"]) not in refs:
            notes.append(f"Objective: {row.pop('objective')}")
        if notes:
            row["description"] = "; ".join(([row["description"]] if row.get("description") else []) + notes)
        result.activities.append(row)
    _fill_period(result)
    return result


def _fill_period(result: ImportResult) -> None:
    """A source that does not say its period gets the profile's period around its latest activity."""
    if result.header.get("period_start") and result.header.get("period_end"):
        return
    dates = [a["start_date"] for a in result.activities if a.get("start_date")]
    period = result.profile.period_around(max(dates).date() if dates else None)
    result.header.setdefault("period_start", _dt(period.start))
    result.header.setdefault("period_end", _dt(period.end))
    result.notes.append(f"the source gives no period: set to {period} from the activity dates; change it on the "
                        f"Record sheet if needed")


def _header(labels: dict[str, Any], result: ImportResult, month_first: bool) -> dict[str, Any]:
    header: dict[str, Any] = {}
    for f in ("name", "membership_number", "grade", "registration", "status", "carried_over", "leave_days"):
        if f in labels and not is_blank(labels[f]):
            header[f] = labels[f] if isinstance(labels[f], (int, float)) and f in ("carried_over", "leave_days") \
                else text(labels[f])
    for f in ("period_start", "period_end"):
        if f in labels:
            try:
                start, end = parse_dates(labels[f], month_first=month_first)
                header[f] = _dt(end if f == "period_end" and end else start)
            except BadValue as exc:
                result.problems.append(Problem(exc.code, f"period {'start' if f == 'period_start' else 'end'}: "
                                               f"{exc.message}", field=f))
    return header


def _dt(d: date | None) -> datetime | None:
    return datetime(d.year, d.month, d.day) if d else None


def _row(where: Callable[[int], str], r: int, cells: Sequence[Cell], formulas: set[str], columns: dict[int, str],
         unmapped: dict[int, str], result: ImportResult, month_first: bool, hours_per_day: float
         ) -> tuple[dict[str, Any], list[str]]:
    row: dict[str, Any] = {}
    notes: list[str] = []
    profile = result.profile
    for i, f in columns.items():
        v = cells[i] if i < len(cells) else None
        at = where(i)
        label = _FIELD_LABEL[f]
        if cell_name(i, r) in formulas:   # checked first: an uncached formula reads as blank
            result.problems.append(Problem("formula_not_allowed", f"{at}: a formula, not imported "
                                           "(its result is not trusted)", field=f, row=r, cell=at))
            notes.append(f"{label}: (formula not imported)")
            continue
        if is_blank(v):
            continue
        try:
            if f in ("start_date", "end_date"):
                start, end = parse_dates(v, month_first=month_first)
                if f == "start_date":
                    row["start_date"] = _dt(start)
                    if end and "end_date" not in row:
                        row["end_date"] = _dt(end)
                else:
                    row["end_date"] = _dt(end or start)
            elif f == "hours":
                row["hours"] = parse_hours(v, hours_per_day=hours_per_day, minutes_per_hour=profile.minutes_per_hour)
            elif f in ("category", "skill_type"):
                kind = "categories" if f == "category" else "skill_types"
                term = profile.lookup(kind, str(v)) if getattr(profile, kind) else None
                if term is None:
                    raise BadValue(f"{f}_unknown", f"{label.lower()} {str(v)!r} is not one of "
                                   f"{profile.short_name}'s {kind.replace('_', ' ')}")
                row[f] = term.label
            else:
                row[f] = text(v) if not isinstance(v, (datetime, date)) else v
        except BadValue as exc:
            result.problems.append(Problem(exc.code, f"{at}: {exc.message}", field=f, row=r, cell=at))
            notes.append(f"{label}: {text(v)}")
    for i, name in unmapped.items():
        v = cells[i] if i < len(cells) else None
        if not is_blank(v):
            notes.append(f"{name}: {text(v)}")
    return row, notes


def _plan(tables: Mapping[str, list[list[Cell]]]) -> list[dict[str, Any]]:
    if PLAN_SHEET not in tables:
        return []
    found = _find_table({PLAN_SHEET: tables[PLAN_SHEET]}, _PLAN_HEADERS)
    if not found:
        return []
    out: list[dict[str, Any]] = []
    for cells in found.rows[found.header_row:]:
        obj = {f: cells[i] for i, f in found.columns.items() if i < len(cells) and not is_blank(cells[i])}
        if obj.get("objective"):
            obj["ref"] = text(obj.get("ref")) or f"O{len(out) + 1}"
            out.append(obj)
    return out
