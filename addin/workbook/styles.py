"""The template's shared look: the header fill and fonts, the thin border, and a header cell."""
from __future__ import annotations

from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

HEAD_FILL = PatternFill("solid", fgColor="1F4E78")
HEAD_FONT = Font(bold=True, color="FFFFFF")
LABEL_FONT = Font(bold=True)
THIN = Side(style="thin", color="999999")


def head_cell(cell: Cell) -> None:
    cell.font = HEAD_FONT
    cell.fill = HEAD_FILL
    cell.alignment = Alignment(wrap_text=True, vertical="center")
    cell.border = Border(bottom=THIN)


def print_setup(ws: Worksheet) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_options.gridLines = True
    footer = ws.oddFooter
    assert footer is not None                 # openpyxl makes every sheet's footers
    footer.center.text = "Page &P of &N"
