"""The template's shared look: the header fill and fonts, the thin border, and a header cell."""
from __future__ import annotations

from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

HEAD_FILL = PatternFill("solid", fgColor="1F4E78")
FONT = "Calibri"                 # named, so that no application falls back to its serif default
HEAD_FONT = Font(name=FONT, bold=True, color="FFFFFF")
LABEL_FONT = Font(name=FONT, bold=True)
TITLE_FONT = Font(name=FONT, bold=True, size=16)
NOTE_FONT = Font(name=FONT, italic=True, color="555555")
SECTION_FONT = Font(name=FONT, bold=True, size=12, color="1F4E78")
THIN = Side(style="thin", color="999999")


def head_cell(cell: Cell) -> None:
    cell.font = HEAD_FONT
    cell.fill = HEAD_FILL
    cell.alignment = Alignment(wrap_text=True, vertical="center")
    cell.border = Border(bottom=THIN)
