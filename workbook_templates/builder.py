"""Builds the template workbook for a profile, optionally filled in.

Sheets: Record (the tracker form's header and activity table), Plan
(objectives), Summary (native formulas and a chart), Guidance (drawn from the
institutions' own guidance) and a hidden Lists sheet feeding the drop-downs.
"""
from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Mapping
from datetime import datetime

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.formula import ArrayFormula

from addin.export import activity_labels, activity_values
from addin.frameworks import load_framework
from addin.model import OBJECTIVE_STATUSES, STATUS_LABELS, Status
from addin.profile import Profile
from addin.workbook.layout import (GUIDANCE_SHEET, HEADER_FIELDS, SUBMISSION_AREA, LISTS_SHEET, PLAN_COLUMNS, PLAN_HEADER_ROW,
                                   PLAN_ROWS, PLAN_SHEET, RECORD_SHEET, SUMMARY_SHEET, TABLE_HEADER_ROW,
                                   TABLE_ROWS, columns_for, hours_header)
from addin.readiness.criteria import REFLECTION_HINT
from addin.workbook.writer import DATE_FORMAT, LINE_HEIGHT, set_value, text_lines, write_header, write_rows

from .formulas import TableRefs, cell_ref
from .guidance import guidance_lines

FIXED_TIME = datetime(2026, 1, 1)   # document properties: rebuilding gives the same content
HEAD_FILL = PatternFill("solid", fgColor="1F4E78")
HEAD_FONT = Font(bold=True, color="FFFFFF")
LABEL_FONT = Font(bold=True)
THIN = Side(style="thin", color="999999")
DEFAULT_GRADES = ("Member", "Associate", "Fellow", "Technician member", "Student")

# Summary sheet cells the tests and the add-in read.
SUMMARY_CELLS = {"target": "B7", "hours": "B8", "carried": "B9", "counted": "B10", "remaining": "B11",
                 "categories_covered": "B12", "activities": "B13"}
SUMMARY_CATEGORY_ROW = 17


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
    record = wb.active
    record.title = RECORD_SHEET
    _record_sheet(record, profile, columns, lists)
    plan = wb.create_sheet(PLAN_SHEET)
    _plan_sheet(plan, profile, lists)
    _summary_sheet(wb.create_sheet(SUMMARY_SHEET), profile, columns, also)
    _guidance_sheet(wb.create_sheet(GUIDANCE_SHEET), profile)
    wb.move_sheet(LISTS_SHEET, offset=4)
    header = {"profile": ", ".join(p.short_name for p in (profile, *also)), "status": Status.ACTIVE.label,
              **(header or {})}
    write_header(record, header)
    write_rows(record, columns, TABLE_HEADER_ROW + 1, activities)
    objectives = list(objectives)
    if objectives:
        write_rows(plan, PLAN_COLUMNS, PLAN_HEADER_ROW + 1, objectives)
    return wb


def record_workbook(record, profile: Profile, annotations=()) -> bytes:
    """A record written as a template workbook of values (what ``cpd sheets pull`` saves): the member's
    header, plan and activities in the template's places, with mentors' ``annotations`` (comments as
    cell comments, verifications in the Verified by / Verified on columns)."""
    m = record.member
    labels = activity_labels(profile)
    header = {"name": m.name, "membership_number": m.membership_number, "grade": m.grade,
              "registration": m.registration, "status": m.status.label,
              "period_start": record.period.start, "period_end": record.period.end}
    objectives = [{"ref": o.ref, "objective": o.objective, "why": o.why, "competences": ", ".join(o.competences),
                   "target_date": o.target_date, "status": o.status, "evaluation": o.evaluation}
                  for o in record.objectives]
    wb = build_workbook(profile, {k: v for k, v in header.items() if v is not None}, objectives,
                        [activity_values(a, profile, labels) for a in record.activities])
    annotations = list(annotations)
    if annotations:
        from .mentor_notes import annotate
        annotate(wb, record, columns_for(profile), annotations)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def save_reproducible(wb: Workbook, path) -> None:
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
    targets = [_shown_target(profile, s) for s in profile.statuses]
    columns = {
        "categories": ("Categories", [t.label for t in profile.categories]),
        "skill_types": ("Skill types", [t.label for t in profile.skill_types]),
        "statuses": ("Statuses", [STATUS_LABELS[s] for s in profile.statuses]),
        "targets": ("Target hours", [t if t is not None else "" for t in targets]),
        "grades": ("Grades", list(profile.grades or DEFAULT_GRADES)),
        "registration": ("Registration titles", [*(fw.titles if fw else ()), "None"]),
        "competences": ("Competences", list(fw.codes_for(None)) if fw else []),
        "objective_statuses": ("Objective statuses", list(OBJECTIVE_STATUSES)),
        "topics": ("Topics", [t.label for t in profile.topics]),
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


def _validation(ws, formula: str, cells: str, prompt: str) -> None:
    dv = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=True,
                        errorTitle="Not in the list", error=f"Choose a value from the list: {prompt}",
                        showInputMessage=False)
    dv.add(cells)
    ws.add_data_validation(dv)


def _head(cell) -> None:
    cell.font = HEAD_FONT
    cell.fill = HEAD_FILL
    cell.alignment = Alignment(wrap_text=True, vertical="center")
    cell.border = Border(bottom=THIN)


def _record_sheet(ws, profile: Profile, columns, lists) -> None:
    ws["A1"] = "Continuing Professional Development Record"
    ws["A1"].font = Font(bold=True, size=16)
    ws["A2"] = (f"{profile.name} ({profile.short_name}). One row per activity; the first six columns are the "
                f"tracker form's, the rest are what a reviewer asks for. See the Guidance sheet.")
    ws["A2"].font = Font(italic=True, color="555555")
    for h in HEADER_FIELDS:
        label = ws.cell(row=h.row, column=h.label_col, value=h.label)
        label.font = LABEL_FONT
        label.alignment = Alignment(horizontal="right")
        value = ws.cell(row=h.row, column=h.value_col)
        value.border = Border(bottom=THIN)
        if h.label_col == 1:
            ws.merge_cells(start_row=h.row, start_column=2, end_row=h.row, end_column=4)
    for _, label, cell in SUBMISSION_AREA:
        row = int(cell[1:])
        head = ws.cell(row=row, column=8, value=label)
        head.font = LABEL_FONT
        head.alignment = Alignment(horizontal="right")
        ws.merge_cells(start_row=row, start_column=9, end_row=row, end_column=11)
        ws[cell].border = Border(bottom=THIN)
    ws.cell(row=4, column=2).number_format = "@"          # membership number stays text
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
        _head(ws.cell(row=TABLE_HEADER_ROW, column=i, value=header))
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
            prompt = DataValidation(type=None, allow_blank=True, showInputMessage=True, promptTitle="Reflect",
                                    prompt=REFLECTION_HINT)
            prompt.add(span)
            ws.add_data_validation(prompt)
        elif col.field == "bodies":
            prompt = DataValidation(type=None, allow_blank=True, showInputMessage=True, promptTitle="Counts for",
                                    prompt="Blank: this activity counts for every body this log is kept for. "
                                           "Otherwise name the bodies it counts for, e.g. IET, EI.")
            prompt.add(span)
            ws.add_data_validation(prompt)
        elif col.field == "hours":
            dv = DataValidation(type="decimal", operator="between", formula1="0", formula2="5000",
                                allow_blank=True, showErrorMessage=True, error="Hours must be a number from 0 to 5000")
            dv.add(span)
            ws.add_data_validation(dv)
    labels = max(len(h.label) for h in HEADER_FIELDS if h.label_col == 1)      # the labels in A are not cut
    ws.column_dimensions["A"].width = max(ws.column_dimensions["A"].width, round(labels * 1.15) + 2)
    ws.row_dimensions[TABLE_HEADER_ROW].height = 45
    ws.freeze_panes = ws.cell(row=TABLE_HEADER_ROW + 1, column=1)
    ws.print_title_rows = f"{TABLE_HEADER_ROW}:{TABLE_HEADER_ROW}"
    _print_setup(ws)


def _print_setup(ws) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = True
    ws.oddFooter.center.text = "Page &P of &N"


def _plan_sheet(ws, profile: Profile, lists) -> None:
    ws["A1"] = "Development plan"
    ws["A1"].font = Font(bold=True, size=16)
    ws["A2"] = ("Your objectives for the period (and, at its end, for the next 12 months). Give each activity on "
                "the Record sheet the Ref of the objective it serves.")
    ws["A2"].font = Font(italic=True, color="555555")
    first, last = PLAN_HEADER_ROW + 1, PLAN_HEADER_ROW + PLAN_ROWS
    for i, col in enumerate(PLAN_COLUMNS, 1):
        letter = get_column_letter(i)
        _head(ws.cell(row=PLAN_HEADER_ROW, column=i, value=col.header))
        ws.column_dimensions[letter].width = col.width
        if col.kind == "date":
            ws.column_dimensions[letter].number_format = DATE_FORMAT
    for r in range(first, last + 1):
        ws.cell(row=r, column=1, value=f"O{r - PLAN_HEADER_ROW}")
    _validation(ws, lists["objective_statuses"], f"F{first}:F{last}", "objective status")
    ws.freeze_panes = ws.cell(row=first, column=1)
    _print_setup(ws)


def _summary_sheet(ws, profile: Profile, columns, also: tuple[Profile, ...] = ()) -> None:
    t = TableRefs(columns, profile)
    unit = profile.unit
    ws["A1"] = "CPD summary"
    ws["A1"].font = Font(bold=True, size=16)
    ws["A2"] = ("These figures are native formulas and work in Excel, LibreOffice and Google Sheets. "
                "Run 'cpd check' (or the add-in) for the full readiness review.")
    ws["A2"].font = Font(italic=True, color="555555")
    ws["A3"], ws["B3"] = "Member", f"=IF({cell_ref('name')}=\"\",\"\",{cell_ref('name')})"
    ws["A4"], ws["B4"] = "Period from", f"={cell_ref('period_start')}"
    ws["A5"], ws["B5"] = "Period to", f"={cell_ref('period_end')}"
    ws["B4"].number_format = ws["B5"].number_format = DATE_FORMAT
    status = cell_ref("status")
    ws["A6"], ws["B6"] = "Status", f"=IF({status}=\"\",\"{Status.ACTIVE.label}\",{status})"
    rows = {
        "target": (f"Target {unit}", _target_formula(profile)),
        "hours": (f"{profile.unit_title} in the period", f"={t.hours_in_period()}"),
        "carried": ("Carried over (counted)", _carried_formula(profile, t)),
        "counted": (f"{profile.unit_title} counted",
                    f"={SUMMARY_CELLS['hours']}+{SUMMARY_CELLS['carried']}" + _cap_excess(profile)),
        "remaining": (f"{profile.unit_title} still needed",
                      f"=IF(ISNUMBER({SUMMARY_CELLS['target']}),MAX(0,{SUMMARY_CELLS['target']}-"
                      f"{SUMMARY_CELLS['counted']}),\"\")"),
        "categories_covered": ("Categories covered",
                               f"=COUNTIF(${'B' if profile.hours else 'C'}${SUMMARY_CATEGORY_ROW}:"
                               f"${'B' if profile.hours else 'C'}${SUMMARY_CATEGORY_ROW + len(profile.categories) - 1},"
                               f"\">0\")"),
        "activities": ("Activities in the period", f"={t.activities_in_period()}"),
    }
    for key, (label, formula) in rows.items():
        ref = SUMMARY_CELLS[key]
        ws[f"A{ref[1:]}"] = label
        ws[ref] = formula
        ws[ref].number_format = "0.##"
    for r in range(3, 14):
        ws[f"A{r}"].font = LABEL_FONT
    head = SUMMARY_CATEGORY_ROW - 1
    _head(ws.cell(row=head, column=1, value="Category"))
    _head(ws.cell(row=head, column=2, value=f"{profile.unit_title} in the period"))
    _head(ws.cell(row=head, column=3, value="Activities"))
    cat = t.rng("category")
    for i, term in enumerate(profile.categories):
        r = SUMMARY_CATEGORY_ROW + i
        ws.cell(row=r, column=1, value=term.label)
        ws.cell(row=r, column=2, value=f"={t.hours_in_period(f'{cat}=$A{r}')}").number_format = "0.##"
        ws.cell(row=r, column=3, value=f"={t.activities_in_period(f'{cat}=$A{r}')}")
    last_cat = SUMMARY_CATEGORY_ROW + len(profile.categories) - 1
    r = last_cat + 1
    ws.cell(row=r, column=1, value="No recognised category")
    ws.cell(row=r, column=2, value=f"={SUMMARY_CELLS['hours']}-SUM(B{SUMMARY_CATEGORY_ROW}:B{last_cat})"
            ).number_format = "0.##"
    if profile.skill_types:
        r += 2
        _head(ws.cell(row=r, column=1, value="Skill type"))
        _head(ws.cell(row=r, column=2, value=f"{profile.unit_title} in the period"))
        skill = t.rng("skill_type")
        for term in profile.skill_types:
            r += 1
            ws.cell(row=r, column=1, value=term.label)
            ws.cell(row=r, column=2, value=f"={t.hours_in_period(f'{skill}=$A{r}')}").number_format = "0.##"
    if also:
        r = _bodies_block(ws, profile, columns, also, r + 2)
    _analysis_block(ws, profile, columns, r + 2)
    ws.column_dimensions["A"].width = 36
    ws.column_dimensions["B"].width = 18
    ws.add_chart(_category_chart(ws, profile, head, last_cat), "D3")
    _print_setup(ws)


CHART_DATA_COL = 11          # the Lists sheet's K:M: what the Summary chart draws (a hidden sheet's cells plot)


def _category_chart(ws, profile: Profile, head: int, last_cat: int):
    """Hours by category against the target, as the record report draws it: a bar per category and one for
    all hours counted, and the target as a line across them. Its figures are formulas on the Lists sheet
    that point at the Summary's own cells, so the chart follows the sheet."""
    if profile.hours is None:                    # no target: the hours by category alone
        chart = BarChart()
        chart.type = "bar"
        chart.title = f"{profile.unit_title} by category"
        chart.legend = None
        chart.add_data(Reference(ws, min_col=2, min_row=head, max_row=last_cat), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=SUMMARY_CATEGORY_ROW, max_row=last_cat))
        chart.height, chart.width = 8, 16
        return chart
    lists = ws.parent[LISTS_SHEET]
    col = CHART_DATA_COL
    for i, title in enumerate(("Chart", profile.unit_title, "Target")):
        lists.cell(row=1, column=col + i, value=title).font = LABEL_FONT
    rows = [(f"={SUMMARY_SHEET}!$A${r}", f"={SUMMARY_SHEET}!$B${r}") for r in range(SUMMARY_CATEGORY_ROW, last_cat + 1)]
    rows.append(("All counted", f"={SUMMARY_SHEET}!${SUMMARY_CELLS['counted'][0]}${SUMMARY_CELLS['counted'][1:]}"))
    target = f"{SUMMARY_SHEET}!${SUMMARY_CELLS['target'][0]}${SUMMARY_CELLS['target'][1:]}"
    for r, (label, hours) in enumerate(rows, 2):
        lists.cell(row=r, column=col, value=label)
        lists.cell(row=r, column=col + 1, value=hours)
        lists.cell(row=r, column=col + 2, value=f"=IF(ISNUMBER({target}),{target},0)")
    last = len(rows) + 1
    bars = BarChart()
    bars.type = "col"
    bars.title = f"{profile.unit_title} by category against the target"
    bars.add_data(Reference(lists, min_col=col + 1, min_row=1, max_row=last), titles_from_data=True)
    bars.set_categories(Reference(lists, min_col=col, min_row=2, max_row=last))
    line = LineChart()
    line.add_data(Reference(lists, min_col=col + 2, min_row=1, max_row=last), titles_from_data=True)
    line.set_categories(Reference(lists, min_col=col, min_row=2, max_row=last))
    line.series[0].graphicalProperties.line.solidFill = "C0392B"
    line.series[0].graphicalProperties.line.dashStyle = "dash"
    line.series[0].marker.symbol = "none"
    bars.series[0].graphicalProperties.solidFill = "1F4E78"
    bars += line
    bars.legend.position = "b"
    bars.height, bars.width = 10, 17
    return bars


def _bodies_block(ws, profile: Profile, columns, also: tuple[Profile, ...], row: int) -> int:
    """One line per other body this log is kept for: its target, its hours in the period above (the
    activities that count for it), and what is still needed. `cpd check` applies each body's own period."""
    heads = ("Also kept for", "Target", "In the period", "Still needed")
    for i, text in enumerate(heads, 1):
        _head(ws.cell(row=row, column=i, value=text))
    status = cell_ref("status")
    for body in also:
        row += 1
        t = TableRefs(columns, body)
        target = _status_ladder(body, status)
        ws.cell(row=row, column=1, value=f"{body.short_name}: {body.name}")
        ws.cell(row=row, column=2, value=f"={target}")
        ws.cell(row=row, column=3, value=f"={t.hours_in_period()}").number_format = "0.##"
        ws.cell(row=row, column=4, value=f"=IF(ISNUMBER(B{row}),MAX(0,B{row}-C{row}),\"\")").number_format = "0.##"
    return row


def _status_ladder(body: Profile, status: str) -> str:
    """A body's target for the member's status, as one IF chain (the Lists sheet holds the main body's)."""
    if body.hours is None:
        return '"No minimum"'
    formula = f"{_shown_target(body, Status.ACTIVE):g}"
    for s in body.statuses:
        if s is not Status.ACTIVE:
            shown = _shown_target(body, s)
            value = '"Exempt"' if shown == "Exempt" else f"{shown:g}"
            formula = f'IF({status}="{s.label}",{value},{formula})'
    return formula


def _shown_target(profile: Profile, status: Status):
    """The target a status shows in the sheet: "Exempt", its own hours, or the active member's."""
    if status in profile.exempt_statuses:
        return "Exempt"
    target = profile.target(status)
    return target if target is not None else profile.target(Status.ACTIVE)


ENABLE_ADDIN = ("Turn on the CPD add-in to see the full review here (Guidance sheet, 'The add-in'); "
                "or run cpd check on this file.")


def analysis_calls(profile: Profile, columns, name: str) -> list[str]:
    """The same add-in function in the forms Excel knows it by: CPD_NAME (xlwings, desktop) and
    _xldudf_CPD_NAME (how Excel saves the Office.js function CPD.NAME in a file)."""
    last = get_column_letter(len(columns))
    args = (f"{RECORD_SHEET}!$A$3:$F$7,{RECORD_SHEET}!$A${TABLE_HEADER_ROW}:${last}${TABLE_HEADER_ROW + TABLE_ROWS},"
            f"{PLAN_SHEET}!$A${PLAN_HEADER_ROW}:$G${PLAN_HEADER_ROW + PLAN_ROWS}")
    return [f"CPD_{name}({args})", f"_xldudf_CPD_{name}({args})"]


def _with_fallback(calls: list[str], fallback: str) -> str:
    formula = fallback
    for call in reversed(calls):
        formula = f"IFERROR({call},{formula})"
    return "=" + formula


def _analysis_block(ws, profile: Profile, columns, row: int) -> None:
    """The add-in's review in the sheet; without the add-in, one line saying how to turn it on."""
    ws.cell(row=row, column=1, value="Analysis (CPD add-in)").font = Font(bold=True, size=12, color="1F4E78")
    readiness = analysis_calls(profile, columns, "READINESS")
    criteria = analysis_calls(profile, columns, "CRITERIA")
    ws.cell(row=row + 1, column=1,
            value=f'=IF(AND(ISERROR({readiness[0]}),ISERROR({readiness[1]})),"{ENABLE_ADDIN}","")')
    ws.cell(row=row + 2, column=1, value="Verdict and score").font = LABEL_FONT
    ref = f"B{row + 2}:C{row + 2}"
    ws[f"B{row + 2}"] = ArrayFormula(ref, _with_fallback(readiness, '""'))
    first = row + 4
    ref = f"A{first}:D{first + len(profile.criteria)}"
    ws[f"A{first}"] = ArrayFormula(ref, _with_fallback(criteria, '""'))
    ws.column_dimensions["C"].width = 40
    ws.column_dimensions["D"].width = 50


def _status_target(profile: Profile) -> str:
    """The target for the member's status (the Lists sheet's table), before leave is taken off."""
    status = cell_ref("status")
    last = len(profile.statuses) + 1
    return (f"INDEX({LISTS_SHEET}!$D$2:$D${last},MATCH(IF({status}=\"\",\"{Status.ACTIVE.label}\",{status}),"
            f"{LISTS_SHEET}!$C$2:$C${last},0))")


def _target_formula(profile: Profile) -> str:
    if profile.hours is None:
        return "No minimum"
    lookup = _status_target(profile)
    if profile.hours.pro_rating == "leave_days":
        p1, p2, leave = cell_ref("period_start"), cell_ref("period_end"), cell_ref("leave_days")
        days = f"({p2}-{p1}+1)"
        lookup = f"IF(ISNUMBER({lookup}),{lookup}*MAX({days}-N({leave}),0)/{days},{lookup})"
    return f"=IFERROR({lookup},\"\")"


def _carried_formula(profile: Profile, t: TableRefs) -> str:
    """Hours carried in, as the engine works them out: from the log's previous period when it holds any
    activity before this one (its counted hours over its target, at most the cap), else the typed number."""
    if profile.hours is None or not profile.hours.carry_over_max:
        return "=0"
    cap = f"{profile.hours.carry_over_max:g}"
    p1 = cell_ref("period_start")
    end = f"({p1}-1)"
    years = profile.period.years
    start = f"(DATE(YEAR({p1})-{years},MONTH({p1}),DAY({p1})))"
    earned = t.hours_in_period(None, start, end)
    cat = t.rng("category")
    for term in profile.categories:
        if term.max_hours is not None:
            capped = t.hours_in_period(cat + '="' + term.label + '"', start, end)
            earned += f"-MAX(0,{capped}-{term.max_hours:g})"
    from_log = f"MIN(MAX({earned}-{_status_target(profile)},0),{cap})"
    return f"=IF({t.any_before(p1)},IFERROR({from_log},0),MIN(N({cell_ref('carried_over')}),{cap}))"


def _cap_excess(profile: Profile) -> str:
    """Hours over a category's cap do not count: subtract the excess."""
    parts = []
    for i, term in enumerate(profile.categories):
        if term.max_hours is not None:
            parts.append(f"-MAX(0,B{SUMMARY_CATEGORY_ROW + i}-{term.max_hours:g})")
    return "".join(parts)


GUIDANCE_WIDTH = 75          # characters: one column that prints within a portrait A4 page


def _guidance_sheet(ws, profile: Profile) -> None:
    ws.column_dimensions["A"].width = GUIDANCE_WIDTH
    for r, (kind, text) in enumerate(guidance_lines(profile), 1):
        cell = ws.cell(row=r, column=1, value=text)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if kind == "title":
            cell.font = Font(bold=True, size=16)
            ws.row_dimensions[r].height = 24
        elif kind == "heading":
            cell.font = Font(bold=True, size=12, color="1F4E78")
            ws.row_dimensions[r].height = 20
        else:                    # as tall as the text wraps to: no line prints over the next
            ws.row_dimensions[r].height = LINE_HEIGHT * text_lines(text, GUIDANCE_WIDTH)
    _print_setup(ws)
    ws.page_setup.orientation = "portrait"


__all__ = ["build_workbook", "record_workbook", "save_reproducible", "SUMMARY_CELLS", "SUMMARY_CATEGORY_ROW", "set_value"]
