"""Builds the template workbook for a profile, optionally filled in.

Sheets: Record (the tracker form's header and activity table), Plan
(objectives), Summary (native formulas and a chart), Guidance (drawn from the
institutions' own guidance) and a hidden Lists sheet feeding the drop-downs.
"""
from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from ..export import activity_labels, activity_rows
from ..frameworks import load_framework
from ..model import OBJECTIVE_STATUSES, STATUS_LABELS, Annotation, Record, Status
from ..profile import Profile
from ..form.layout import (ACTIVITY_STATUSES, GUIDANCE_SHEET, HEADER, HEADER_FIELDS, LISTS_SHEET,
                           OPTIONAL_HEADER_FIELDS, PLAN_COLUMNS, PLAN_HEADER_ROW, PLAN_ROWS, PLAN_SHEET, RECORD_SHEET,
                           SUBMISSION_AREA, SUMMARY_SHEET, TABLE_HEADER_ROW, TABLE_ROWS, Column, columns_for,
                           hours_header)
from ..readiness.criteria import REFLECTION_HINT
from .formulas import cell_ref, day_text
from .writer import DATE_FORMAT, LINE_HEIGHT, text_lines, write_header, write_rows

from .guidance import guidance_lines
from .printing import FORM_COLUMNS, page_print, plan_print, plan_rows, record_print
from .styles import LABEL_FONT, NOTE_FONT, SECTION_FONT, THIN, TITLE_FONT, head_cell
from .summary import shown_target, summary_sheet

FIXED_TIME = datetime(2026, 1, 1)   # document properties: rebuilding gives the same content
DEFAULT_GRADES = ("Member", "Associate", "Fellow", "Technician member", "Student")



def build_workbook(profile: Profile, header: Mapping[str, object] | None = None,
                   objectives: Iterable[Mapping[str, object]] = (),
                   activities: Iterable[Mapping[str, object]] = (), also: tuple[Profile, ...] = ()) -> Workbook:
    """The template for a profile; header, objectives and activities fill it in (field -> value). With
    ``also``, one log kept for several bodies: every column any of them asks for, a For column, and a
    Summary line for each."""
    also = tuple(p for p in also if p.id != profile.id)
    wb = Workbook()
    wb.properties.creator = "CPD tracker"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.properties.title = f"CPD record ({profile.short_name})"
    columns = columns_for(profile, also)
    lists = _lists_sheet(wb, profile)
    record = wb.worksheets[0]
    record.title = RECORD_SHEET
    _record_sheet(record, profile, columns, lists)
    plan = wb.create_sheet(PLAN_SHEET)
    _plan_sheet(plan, profile, lists)
    summary_sheet(wb.create_sheet(SUMMARY_SHEET), profile, columns, also)
    _guidance_sheet(wb.create_sheet(GUIDANCE_SHEET), profile)
    wb.move_sheet(LISTS_SHEET, offset=4)
    header = {"profile": ", ".join(p.short_name for p in (profile, *also)), "status": Status.ACTIVE.label,
              **(header or {})}
    write_header(record, header)
    write_rows(record, columns, TABLE_HEADER_ROW + 1, activities)
    objectives = list(objectives)
    if objectives:
        write_rows(plan, PLAN_COLUMNS, PLAN_HEADER_ROW + 1, objectives)
        plan_rows(plan, len(objectives))
    return wb


def record_workbook(record: Record, profile: Profile, annotations: Iterable[Annotation] = ()) -> bytes:
    """A record written as a template workbook of values (what ``cpd sheets pull`` saves): the member's
    header, plan and activities in the template's places, with mentors' ``annotations`` (comments as
    cell comments, verifications in the Verified by / Verified on columns)."""
    m = record.member
    labels = activity_labels(profile)
    header = {"name": m.name, "membership_number": m.membership_number, "grade": m.grade,
              "registration": m.registration, "status": m.status.label,
              "period_start": record.period.start, "period_end": record.period.end}
    shown = {"practice_areas": ", ".join(m.practice_areas) or None, "academic": "Yes" if m.academic else "No"}
    header.update({f: shown.get(f, getattr(m, f, None)) for f in profile.extra_header})
    objectives = [{"ref": o.ref, "objective": o.objective, "why": o.why, "competences": ", ".join(o.competences),
                   "target_date": o.target_date, "status": o.status, "evaluation": o.evaluation}
                  for o in record.objectives]
    wb = build_workbook(profile, {k: v for k, v in header.items() if v is not None}, objectives,
                        activity_rows(record.every_activity, profile, labels))
    annotations = list(annotations)
    if annotations:
        from .mentor_notes import annotate
        annotate(wb, record, columns_for(profile), annotations)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def save_reproducible(wb: Workbook, path: str | Path) -> None:
    """Save with fixed zip timestamps, so the same content gives the same bytes (and no git noise)."""
    buf = io.BytesIO()
    wb.save(buf)
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":   # openpyxl stamps the save time here
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + FIXED_TIME.strftime(
                    "%Y-%m-%dT%H:%M:%SZ").encode(), data)
            dst.writestr(fixed, data)


def _lists_sheet(wb: Workbook, profile: Profile) -> dict[str, str]:
    ws = wb.create_sheet(LISTS_SHEET)
    ws.sheet_state = "hidden"
    fw = None if profile.competence_framework == "none" else load_framework(profile.competence_framework)
    targets = [shown_target(profile, s) for s in profile.statuses]
    columns: dict[str, tuple[str, list[Any]]] = {
        "categories": ("Categories", [t.label for t in profile.categories]),
        "skill_types": ("Skill types", [t.label for t in profile.skill_types]),
        "statuses": ("Statuses", [STATUS_LABELS[s] for s in profile.statuses]),
        "targets": ("Target hours", [t if t is not None else "" for t in targets]),
        "grades": ("Grades", list(profile.grades or DEFAULT_GRADES)),
        "registration": ("Registration titles", [*(fw.titles if fw else ()), "None"]),
        "competences": ("Competences", list(fw.codes_for(None)) if fw else []),
        "objective_statuses": ("Objective statuses", list(OBJECTIVE_STATUSES)),
        "topics": ("Topics", [t.label for t in profile.topics]),
        "statements": ("Audit statements", list(profile.statements)),       # J: K on is the chart's
    }
    refs = {}
    for i, (key, (title, values)) in enumerate(columns.items(), 1):
        ws.cell(row=1, column=i, value=title).font = LABEL_FONT
        for r, v in enumerate(values, 2):
            ws.cell(row=r, column=i, value=v)
        col = get_column_letter(i)
        refs[key] = f"{LISTS_SHEET}!${col}$2:${col}${max(len(values), 1) + 1}"
        ws.column_dimensions[col].width = 28
    return refs


def _validation(ws: Worksheet, formula: str, cells: str, prompt: str, shown: tuple[str, str] | None = None) -> None:
    """A drop-down of ``formula``'s values on ``cells``; ``shown``: a title and text shown when one is selected."""
    dv = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=True,
                        errorTitle="Not in the list", error=f"Choose a value from the list: {prompt}",
                        showInputMessage=shown is not None, promptTitle=shown[0] if shown else None,
                        prompt=shown[1] if shown else None)
    dv.add(cells)
    ws.add_data_validation(dv)


def _prompt(ws: Worksheet, cells: str, title: str, text: str) -> None:
    """What to write in ``cells``, shown when one is selected (a data validation that checks nothing)."""
    prompt = DataValidation(type=None, allow_blank=True, showInputMessage=True, promptTitle=title, prompt=text)
    prompt.add(cells)
    ws.add_data_validation(prompt)


def _extra_header(ws: Worksheet, profile: Profile, lists: dict[str, str]) -> None:
    """The header cells only some bodies ask for: a declaration's date; a job summary across the row, tall
    enough for its 200 words, with what to write in it shown when the cell is selected."""
    if "declared_on" in profile.extra_header:
        h = HEADER["declared_on"]
        ws.cell(row=h.row, column=h.value_col).number_format = DATE_FORMAT
    if "job_summary" in profile.extra_header:
        h = HEADER["job_summary"]
        ws.merge_cells(start_row=h.row, start_column=h.value_col, end_row=h.row, end_column=11)
        ws.cell(row=h.row, column=h.value_col).alignment = Alignment(wrap_text=True, vertical="top")
        ws.cell(row=h.row, column=h.label_col).alignment = Alignment(horizontal="right", vertical="top")  # beside it
        ws.row_dimensions[h.row].height = 96
        _prompt(ws, ws.cell(row=h.row, column=h.value_col).coordinate, "Job summary",
                "At most 200 words: your role, its responsibilities and the work you did in the period.")
    if "practice_areas" in profile.extra_header:
        h = HEADER["practice_areas"]
        _prompt(ws, ws.cell(row=h.row, column=h.value_col).coordinate, "Areas of practice",
                "Each field you practise in, separated by commas (Civil, Structural): each needs its own hours; "
                "name it in the Topics column of the activities in it.")
    if "academic" in profile.extra_header:
        h = HEADER["academic"]
        _validation(ws, '"Yes,No"', ws.cell(row=h.row, column=h.value_col).coordinate, "Yes or No")
    if "audit_statement" in profile.extra_header:
        h = HEADER["audit_statement"]
        ws.merge_cells(start_row=h.row, start_column=h.value_col, end_row=h.row, end_column=6)
        _validation(ws, lists["statements"], ws.cell(row=h.row, column=h.value_col).coordinate, "a statement")


def _record_sheet(ws: Worksheet, profile: Profile, columns: Sequence[Column], lists: dict[str, str]) -> None:
    ws["A1"] = "Continuing Professional Development Record"
    ws["A1"].font = TITLE_FONT
    ws["A2"] = (f"{profile.name} ({profile.short_name}). One row per activity; the first six columns are the "
                f"tracker form's, the rest are what a reviewer asks for. See the Guidance sheet.")
    ws["A2"].font = NOTE_FONT
    ws["A2"].alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells("A2:F2")                     # within the form's columns: on the first pages across
    ws.row_dimensions[2].height = 2 * LINE_HEIGHT
    for h in HEADER_FIELDS + tuple(h for h in OPTIONAL_HEADER_FIELDS if h.field in profile.extra_header):
        named = ws.cell(row=h.row, column=h.label_col, value=h.label)
        named.font = LABEL_FONT
        named.alignment = Alignment(horizontal="right")
        value = ws.cell(row=h.row, column=h.value_col)
        value.border = Border(bottom=THIN)
        if h.label_col == 1:
            ws.merge_cells(start_row=h.row, start_column=2, end_row=h.row, end_column=4)
    for _, label, where in SUBMISSION_AREA:
        row = int(where[1:])
        head = ws.cell(row=row, column=8, value=label)
        head.font = LABEL_FONT
        head.alignment = Alignment(horizontal="right")
        ws.merge_cells(start_row=row, start_column=9, end_row=row, end_column=11)
        ws[where].border = Border(bottom=THIN)
    ws.cell(row=4, column=2).number_format = "@"          # membership number stays text
    _extra_header(ws, profile, lists)
    for fld in ("period_start", "period_end"):
        ws.cell(row=[h for h in HEADER_FIELDS if h.field == fld][0].row, column=6).number_format = DATE_FORMAT
    _validation(ws, lists["statuses"], "B7", "member status")
    _validation(ws, lists["grades"], "B5", "grade")
    if profile.competence_framework != "none":
        _validation(ws, lists["registration"], "B6", "registration title")
    first, last = TABLE_HEADER_ROW + 1, TABLE_HEADER_ROW + TABLE_ROWS
    for i, col in enumerate(columns, 1):
        letter = get_column_letter(i)
        header = hours_header(profile) if col.field == "hours" else col.header
        head_cell(ws.cell(row=TABLE_HEADER_ROW, column=i, value=header))
        ws.column_dimensions[letter].width = col.width
        span = f"{letter}{first}:{letter}{last}"
        if col.kind == "date":
            ws.column_dimensions[letter].number_format = DATE_FORMAT
        if col.field == "category":
            _validation(ws, lists["categories"], span, "category")
        elif col.field == "skill_type":
            _validation(ws, lists["skill_types"], span, "skill type")
        elif col.field == "objective":
            _validation(ws, f"{PLAN_SHEET}!$A${PLAN_HEADER_ROW + 1}:$A${PLAN_HEADER_ROW + PLAN_ROWS}", span,
                        "a Ref from the Plan sheet")
        elif col.field == "reflection":          # the reflection prompts, shown when a cell is selected
            _prompt(ws, span, "Reflect", REFLECTION_HINT)
        elif col.field == "status":
            _validation(ws, f'"{",".join(ACTIVITY_STATUSES)}"', span, " or ".join(ACTIVITY_STATUSES),
                        ("Draft or confirmed", "Blank or Confirmed: the activity counts. Draft: captured or added and "
                                               "not yet checked by you; it counts nowhere until you confirm it."))
        elif col.field == "bodies":
            _prompt(ws, span, "Counts for", "Blank: this activity counts for every body this log is kept for. "
                                            "Otherwise name the bodies it counts for, e.g. IET, EI.")
        elif col.field == "hours":
            dv = DataValidation(type="decimal", operator="between", formula1="0", formula2="5000",
                                allow_blank=True, showErrorMessage=True, error="Hours must be a number from 0 to 5000")
            dv.add(span)
            ws.add_data_validation(dv)
    labels = max(len(h.label) for h in HEADER_FIELDS if h.label_col == 1)      # the labels in A are not cut
    ws.column_dimensions["A"].width = max(ws.column_dimensions["A"].width, labels + 3)
    ws.row_dimensions[TABLE_HEADER_ROW].height = 45
    ws.freeze_panes = f"A{TABLE_HEADER_ROW + 1}"
    widths = [ws.column_dimensions[get_column_letter(i)].width for i in range(1, len(columns) + 1)]
    record_print(ws, widths, f"1:{TABLE_HEADER_ROW}", first, last)
    # whose record it is, at the top of the pages of the reviewer's columns (the form's pages have the header)
    name, number, start, end = map(cell_ref, ("name", "membership_number", "period_start", "period_end"))
    member = ws.cell(row=1, column=FORM_COLUMNS + 1, value=(
        f'=IF({name}="","",{name}&IF({number}="",""," ("&{number}&")")&IF(AND(ISNUMBER({start}),ISNUMBER({end})),'
        f'", "&{day_text(start)}&" to "&{day_text(end)},""))'))
    member.font = SECTION_FONT


def _plan_sheet(ws: Worksheet, profile: Profile, lists: dict[str, str]) -> None:
    ws["A1"] = "Development plan"
    ws["A1"].font = TITLE_FONT
    ws["A2"] = ("Your objectives for the period (and, at its end, for the next 12 months). Give each activity on "
                "the Record sheet the Ref of the objective it serves.")
    ws["A2"].font = NOTE_FONT
    first, last = PLAN_HEADER_ROW + 1, PLAN_HEADER_ROW + PLAN_ROWS
    for i, col in enumerate(PLAN_COLUMNS, 1):
        letter = get_column_letter(i)
        head_cell(ws.cell(row=PLAN_HEADER_ROW, column=i, value=col.header))
        ws.column_dimensions[letter].width = col.width
        if col.kind == "date":
            ws.column_dimensions[letter].number_format = DATE_FORMAT
    ws.row_dimensions[PLAN_HEADER_ROW].height = 30
    for r in range(first, last + 1):
        ws.cell(row=r, column=1, value=f"O{r - PLAN_HEADER_ROW}")
    _validation(ws, lists["objective_statuses"], f"F{first}:F{last}", "objective status")
    ws.freeze_panes = f"A{first}"
    plan_print(ws, [c.width for c in PLAN_COLUMNS], PLAN_HEADER_ROW, last)


GUIDANCE_WIDTH = 75          # characters: one column that prints within a portrait A4 page


def _guidance_sheet(ws: Worksheet, profile: Profile) -> None:
    ws.column_dimensions["A"].width = GUIDANCE_WIDTH
    for r, (kind, text) in enumerate(guidance_lines(profile), 1):
        cell = ws.cell(row=r, column=1, value=text)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if kind == "title":
            cell.font = TITLE_FONT
            ws.row_dimensions[r].height = 24
        elif kind == "heading":
            cell.font = SECTION_FONT
            ws.row_dimensions[r].height = 20
        else:                    # as tall as the text wraps to: no line prints over the next
            ws.row_dimensions[r].height = LINE_HEIGHT * text_lines(text, GUIDANCE_WIDTH)
    page_print(ws, "portrait")


__all__ = ["build_workbook", "record_workbook", "save_reproducible"]
