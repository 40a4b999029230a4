"""The template's Summary sheet: native formulas that work in Excel, LibreOffice and Google Sheets
(hours, coverage, still needed), a line per other body for one log kept for several, the Analysis
block the add-in functions fill, and the chart of hours by category against the target."""
from __future__ import annotations

from collections.abc import Sequence

from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.formula import ArrayFormula
from openpyxl.worksheet.worksheet import Worksheet

from ..form.layout import (LISTS_SHEET, PLAN_HEADER_ROW, PLAN_ROWS, PLAN_SHEET, RECORD_SHEET, SUMMARY_SHEET,
                           TABLE_HEADER_ROW, TABLE_ROWS, Column)
from ..model import Status
from ..profile import Profile, Term
from ..readiness.engine import CARRY_HISTORY
from .formulas import TableRefs, cell_ref
from .printing import page_print
from .styles import LABEL_FONT, NOTE_FONT, SECTION_FONT, TITLE_FONT, head_cell
from .writer import DATE_FORMAT

# Summary sheet cells the tests and the add-in read.
SUMMARY_CELLS = {"target": "B7", "hours": "B8", "carried": "B9", "counted": "B10", "remaining": "B11",
                 "categories_covered": "B12", "activities": "B13", "drafts": "B14", "draft_hours": "B15"}
SUMMARY_CATEGORY_ROW = 17


def summary_sheet(ws: Worksheet, profile: Profile, columns: Sequence[Column], also: tuple[Profile, ...] = ()) -> None:
    t = TableRefs(columns, profile)
    drafts = TableRefs(columns, profile, drafts=True)
    unit = profile.unit
    ws["A1"] = "CPD summary"
    ws["A1"].font = TITLE_FONT
    ws["A2"] = ("These figures are native formulas and work in Excel, LibreOffice and Google Sheets. "
                "Run 'cpd check' (or the add-in) for the full readiness review.")
    ws["A2"].font = NOTE_FONT
    ws["A3"], ws["B3"] = "Member", f"=IF({cell_ref('name')}=\"\",\"\",{cell_ref('name')})"
    ws["A4"], ws["B4"] = "Period from", f"={cell_ref('period_start')}"
    ws["A5"], ws["B5"] = "Period to", f"={cell_ref('period_end')}"
    ws["B4"].number_format = ws["B5"].number_format = DATE_FORMAT
    status = cell_ref("status")
    ws["A6"], ws["B6"] = "Status", f"=IF({status}=\"\",\"{Status.ACTIVE.label}\",{status})"
    assert ws.parent is not None
    lists = ws.parent[LISTS_SHEET]
    category_cells = {term.id: f"B{SUMMARY_CATEGORY_ROW + i}" for i, term in enumerate(profile.categories)}
    rows = {
        "target": (f"Target {unit}", _target_formula(profile)),
        "hours": (f"{profile.unit_title} in the period", f"={t.counted_in_period(profile, cells=category_cells)}"),
        "carried": ("Carried over (counted)", _carried_formula(profile, t, lists)),
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
        "drafts": ("Drafts in the period (not counted)", f"={drafts.activities_in_period()}"),
        "draft_hours": (f"{profile.unit_title} the drafts would add", f"={drafts.counted_in_period(profile)}"),
    }
    for key, (label, formula) in rows.items():
        ref = SUMMARY_CELLS[key]
        ws[f"A{ref[1:]}"] = label
        ws[ref] = formula
        ws[ref].number_format = "0.##"
    for r in range(3, 16):
        ws[f"A{r}"].font = LABEL_FONT
    head = SUMMARY_CATEGORY_ROW - 1
    head_cell(ws.cell(row=head, column=1, value="Category"))
    head_cell(ws.cell(row=head, column=2, value=f"{profile.unit_title} in the period"))
    head_cell(ws.cell(row=head, column=3, value="Activities"))
    ws.row_dimensions[head].height = 30
    cat = t.rng("category")
    for i, term in enumerate(profile.categories):
        r = SUMMARY_CATEGORY_ROW + i
        ws.cell(row=r, column=1, value=term.label)
        ws.cell(row=r, column=2, value=f"={t.term_in_period(term, f'{cat}=$A{r}')}").number_format = "0.##"
        ws.cell(row=r, column=3, value=f"={t.activities_in_period(f'{cat}=$A{r}')}")
    last_cat = SUMMARY_CATEGORY_ROW + len(profile.categories) - 1
    r = last_cat + 1
    ws.cell(row=r, column=1, value="No recognised category")
    ws.cell(row=r, column=2, value=f"={SUMMARY_CELLS['hours']}-SUM(B{SUMMARY_CATEGORY_ROW}:B{last_cat})"
            ).number_format = "0.##"
    if profile.skill_types:
        r += 2
        head_cell(ws.cell(row=r, column=1, value="Skill type"))
        head_cell(ws.cell(row=r, column=2, value=f"{profile.unit_title} in the period"))
        ws.row_dimensions[r].height = 30
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
    page_print(ws, "landscape")


CHART_DATA_COL = 11          # the Lists sheet's K:M: what the Summary chart draws (a hidden sheet's cells plot)


def _category_chart(ws: Worksheet, profile: Profile, head: int, last_cat: int) -> BarChart:
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
    wb = ws.parent
    assert wb is not None
    lists = wb[LISTS_SHEET]
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


def _bodies_block(ws: Worksheet, profile: Profile, columns: Sequence[Column], also: tuple[Profile, ...],
                  row: int) -> int:
    """One line per other body this log is kept for: its target, its hours in the period above (the
    activities that count for it), and what is still needed. `cpd check` applies each body's own period."""
    heads = ("Also kept for", "Target", "In the period", "Still needed")
    for i, text in enumerate(heads, 1):
        head_cell(ws.cell(row=row, column=i, value=text))
    status = cell_ref("status")
    for body in also:
        row += 1
        t = TableRefs(columns, body)
        target = _status_ladder(body, status)
        ws.cell(row=row, column=1, value=f"{body.short_name}: {body.name}")
        ws.cell(row=row, column=2, value=f"={target}")
        ws.cell(row=row, column=3, value=f"={t.counted_in_period(body)}").number_format = "0.##"
        ws.cell(row=row, column=4, value=f"=IF(ISNUMBER(B{row}),MAX(0,B{row}-C{row}),\"\")").number_format = "0.##"
    return row


def _status_ladder(body: Profile, status: str) -> str:
    """A body's target for the member's status, as one IF chain (the Lists sheet holds the main body's)."""
    if body.hours is None:
        return '"No minimum"'
    formula = f"{shown_target(body, Status.ACTIVE):g}"
    for s in body.statuses:
        if s is not Status.ACTIVE:
            shown = shown_target(body, s)
            value = '"Exempt"' if shown == "Exempt" else f"{shown:g}"
            formula = f'IF({status}="{s.label}",{value},{formula})'
    return formula


def shown_target(profile: Profile, status: Status) -> str | float | None:
    """The target a status shows in the sheet: "Exempt", its own hours, or the active member's."""
    if status in profile.exempt_statuses:
        return "Exempt"
    target = profile.target(status)
    return target if target is not None else profile.target(Status.ACTIVE)


ENABLE_ADDIN = ("Turn on the CPD add-in to see the full review here (Guidance sheet, 'The add-in'); "
                "or run cpd check on this file.")


def analysis_calls(profile: Profile, columns: Sequence[Column], name: str) -> list[str]:
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


def _analysis_block(ws: Worksheet, profile: Profile, columns: Sequence[Column], row: int) -> None:
    """The add-in's review in the sheet; without the add-in, one line saying how to turn it on."""
    ws.cell(row=row, column=1, value="Analysis (CPD add-in)").font = SECTION_FONT
    readiness = analysis_calls(profile, columns, "READINESS")
    criteria = analysis_calls(profile, columns, "CRITERIA")
    ws.cell(row=row + 1, column=1,
            value=f'=IF(AND(ISERROR({readiness[0]}),ISERROR({readiness[1]})),"{ENABLE_ADDIN}","")')
    ws.cell(row=row + 2, column=1, value=f'=IF(B{row + 2}="","","Verdict and score")').font = LABEL_FONT
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
        days = f"(365*MAX(1,ROUND(({p2}-{p1}+1)/365.25,0)))"      # engine.leave_year_days
        lookup = f"IF(ISNUMBER({lookup}),{lookup}*MAX({days}-N({leave}),0)/{days},{lookup})"
    return f"=IFERROR({lookup},\"\")"


CARRY_CHAIN_COL = 16         # the Lists sheet's P: hours carried out of each earlier period, oldest last
EARNED_COL = 17              # Q: what each earlier period earned (its hours as the body counts them, caps applied)
BEFORE_COL = 15              # O: whether the log holds any activity before the end of that earlier period
STARTS_COL = 18              # R: the first day of this period (R2) and of each earlier one (R3 the one before);
                             # S on: each credited category's count in each earlier period (``Term.credited``)


def _carried_formula(profile: Profile, t: TableRefs, lists: Worksheet) -> str:
    """Hours carried in, as the engine works them out (``readiness.engine.carried_from_log``): from the log's
    earlier periods when it holds any activity before this one, else the typed number. The chain, a row
    per earlier period on the Lists sheet (row 2 the period just before this one, down to CARRY_HISTORY
    periods back): R its first day, O whether the log holds anything that early, Q what it earned, P what
    it passed on, which is its hours over its target counting what it carried in itself, at most the cap
    and never more than it earned. Each in a cell of its own keeps every formula well inside Excel's 8,192
    characters; a period the log holds nothing in is not summed at all (IF on O), so a workbook of one
    period recalculates as fast as before the chain."""
    if profile.hours is None or not profile.hours.carry_over_max:
        return "=0"
    cap = f"{profile.hours.carry_over_max:g}"
    p1 = cell_ref("period_start")
    years = profile.period.years
    col, earned_col, starts = (get_column_letter(c) for c in (CARRY_CHAIN_COL, EARNED_COL, STARTS_COL))
    for c, label in ((CARRY_CHAIN_COL, "Carried out of the period k before"), (EARNED_COL, "Earned in it"),
                     (STARTS_COL, "Its first day"), (BEFORE_COL, "Anything logged by its end")):
        lists.cell(row=1, column=c, value=label).font = LABEL_FONT
    for k in range(CARRY_HISTORY + 1):
        lists.cell(row=k + 2, column=STARTS_COL,
                   value=f"={p1}" if k == 0 else f"=DATE(YEAR({p1})-{k * years},MONTH({p1}),DAY({p1}))"
                   ).number_format = DATE_FORMAT

    def start(k: int) -> str:
        return f"{LISTS_SHEET}!${starts}${k + 2}"

    def t_in(term: Term, first: str, last: str) -> str:
        return t.term_in_period(term, t.is_term(term), first, last)

    credited = [term for term in profile.categories if term.credited]
    for j, term in enumerate(credited):
        lists.cell(row=1, column=STARTS_COL + 1 + j, value=f"Credited: {term.label}").font = LABEL_FONT
    only_from = [term for term in profile.categories if term.id in profile.hours.carry_over_from]
    from_col = get_column_letter(STARTS_COL + 1 + len(credited))     # the hours that alone may be carried
    if only_from:
        lists.cell(row=1, column=STARTS_COL + 1 + len(credited),
                   value="Hours that may be carried: " + ", ".join(term.label for term in only_from)).font = LABEL_FONT
    before = get_column_letter(BEFORE_COL)
    for k in range(CARRY_HISTORY, 0, -1):
        first, last = start(k), f"({start(k - 1)}-1)"
        held = f"{before}{k + 1}"
        lists[held] = f"={t.any_before(start(k - 1))}"
        cells = {}
        for j, term in enumerate(credited):          # each credited category's count in a cell of its own
            ref = f"{get_column_letter(STARTS_COL + 1 + j)}{k + 1}"
            lists[ref] = f"=IF({held},{t.credited_in_period(term, t.is_term(term), first, last)},0)"
            cells[term.id] = ref
        earned = t.counted_in_period(profile, first, last, cells)
        for term in profile.categories:
            if term.max_hours is not None:
                capped = cells.get(term.id) or t_in(term, first, last)
                earned += f"-MAX(0,{capped}-{term.max_hours:g})"
        lists.cell(row=k + 1, column=EARNED_COL, value=f"=IF({held},IFERROR({earned},0),0)")
        got = f"{earned_col}{k + 1}"
        into = f"MIN({col}{k + 2},{cap})" if k < CARRY_HISTORY else "0"
        limit = ""
        if only_from:
            lists[f"{from_col}{k + 1}"] = f"=IF({held}," + "+".join(
                cells.get(term.id) or t_in(term, first, last) for term in only_from) + ",0)"
            limit = f",{from_col}{k + 1}"
        passed = f"MIN(MAX({got}+{into}-{_status_target(profile)},0),{got},{cap}{limit})"
        lists.cell(row=k + 1, column=CARRY_CHAIN_COL, value=f"=IF({held},IFERROR({passed},0),0)")
    return (f"=IF({t.any_before(p1)},{LISTS_SHEET}!${col}$2,MIN(N({cell_ref('carried_over')}),{cap}))")


def _cap_excess(profile: Profile) -> str:
    """Hours over a category's cap do not count: subtract the excess."""
    parts = []
    for i, term in enumerate(profile.categories):
        if term.max_hours is not None:
            parts.append(f"-MAX(0,B{SUMMARY_CATEGORY_ROW + i}-{term.max_hours:g})")
    return "".join(parts)
