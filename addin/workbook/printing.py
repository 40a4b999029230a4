"""How each sheet prints: like the paper form, at a size that reads (text at 9 pt or more) on A4 and on
US Letter alike.

- **Record**: landscape; the tracker form's six columns (dates, description, provider, what was learnt,
  further action) on the first pages, then the columns a reviewer asks for on pages of their own (column
  breaks), all at one scale chosen so that the widest group fits the narrower paper. The member's header
  and the table's header print at the top of every page. No gridlines: each used row is boxed by a
  conditional format, so an empty row prints nothing.
- **Plan**: only its used rows (at least the first ten objectives; ``plan_rows`` sets the print area).
- **Summary** and **Guidance**: one page wide, no gridlines.

Widths are worked out as Excel does (a character of the default font is 7 px, a column has 5 px of
padding, 96 px to the inch).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Border
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from ..form.layout import PLAN_COLUMNS, PLAN_HEADER_ROW
from .styles import THIN

MARGIN_INCHES = 0.3
PAPER_POINTS = (612.0, 792.0)                   # US Letter, the narrower of Letter and A4 (595 x 842)
SLACK = 0.96                # LibreOffice lays columns out about 3 % wider than Excel's arithmetic
LANDSCAPE_WIDTH = (PAPER_POINTS[1] - 2 * MARGIN_INCHES * 72) * SLACK
FORM_COLUMNS = 6                                # the tracker form's columns: the first pages' group
PLAN_PRINTED_AT_LEAST = 10                      # objectives the Plan's print area always holds
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


def column_points(chars: float) -> float:
    """A column's printed width at 100 %, in points, from its width in characters."""
    return (chars * 7 + 5) * 0.75


def page_groups(widths: Sequence[float], first: int = FORM_COLUMNS) -> tuple[list[list[int]], int]:
    """The columns (0-based) printed on each page across, and the scale in per cent: the first ``first``
    columns are one group; the rest are packed into as few groups as fit the page at that scale."""
    form = sum(column_points(w) for w in widths[:first])
    scale = min(100, int(LANDSCAPE_WIDTH / form * 100))
    room = LANDSCAPE_WIDTH * 100 / scale
    groups: list[list[int]] = [list(range(min(first, len(widths))))]
    current: list[int] = []
    for i in range(first, len(widths)):
        if current and sum(column_points(widths[j]) for j in current + [i]) > room:
            groups.append(current)
            current = []
        current.append(i)
    if current:
        groups.append(current)
    return groups, scale


Orientation = Literal["portrait", "landscape"]


def _page(ws: Worksheet, orientation: Orientation, *, scale: int | None = None, fit_width: bool = False) -> None:
    ws.page_setup.orientation = orientation
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_margins.left = ws.page_margins.right = MARGIN_INCHES
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.page_margins.header = ws.page_margins.footer = 0.3
    if fit_width:
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    elif scale is not None:
        ws.page_setup.scale = scale
    ws.print_options.gridLines = False
    footer = ws.oddFooter
    assert footer is not None                 # openpyxl makes every sheet's footers
    footer.center.text = "Page &P of &N"


def box_used_rows(ws: Worksheet, first_row: int, last_row: int, columns: int) -> None:
    """A thin box round each cell of a row that holds anything: the form's table on paper, nothing on an
    empty row."""
    last = get_column_letter(columns)
    ws.conditional_formatting.add(
        f"A{first_row}:{last}{last_row}",
        FormulaRule(formula=[f"COUNTA($A{first_row}:${last}{first_row})>0"],  # type: ignore[no-untyped-call]
                    border=BOX))


def record_print(ws: Worksheet, widths: Sequence[float], header_rows: str, first_row: int, last_row: int) -> None:
    """The Record sheet: see the module's note."""
    groups, scale = page_groups(widths)
    _page(ws, "landscape", scale=scale)
    for group in groups[1:]:
        ws.col_breaks.append(Break(id=group[0], max=1048575))   # a break before the group's first column
    ws.print_title_rows = header_rows
    box_used_rows(ws, first_row, last_row, len(widths))


def plan_print(ws: Worksheet, widths: Sequence[float], header_row: int, last_row: int) -> None:
    _, scale = page_groups(widths, first=len(widths))          # one group: all the Plan's columns
    _page(ws, "landscape", scale=scale)
    ws.print_title_rows = f"{header_row}:{header_row}"
    box_used_rows(ws, header_row + 1, last_row, len(widths))
    plan_rows(ws, 0)


def plan_rows(ws: Worksheet, used: int) -> None:
    """The Plan's print area: its title, header and used rows (never fewer than the first ten)."""
    rows = max(used, PLAN_PRINTED_AT_LEAST)
    ws.print_area = f"A1:{get_column_letter(len(PLAN_COLUMNS))}{PLAN_HEADER_ROW + rows}"


def page_print(ws: Worksheet, orientation: Orientation) -> None:
    """A sheet of figures or text (Summary, Guidance): one page wide, no gridlines."""
    _page(ws, orientation, fit_width=True)


__all__ = ["box_used_rows", "column_points", "page_groups", "page_print", "plan_print", "plan_rows",
           "record_print"]
