"""Mentors' annotations written into a record's workbook: each comment as a cell comment (a note),
each verification in the template's Verified by / Verified on columns.

An activity's notes go on its Mentor comment cell (its title cell if the profile has no such
column), an objective's on its Ref cell in the Plan sheet, the record's own on the Record sheet's
title cell. Text is written as text, never as a formula.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from openpyxl.comments import Comment
from openpyxl.workbook import Workbook

from ..annotations import note_field, note_text, verification
from ..model import Annotation, Record
from ..form.layout import PLAN_HEADER_ROW, PLAN_SHEET, RECORD_SHEET, TABLE_HEADER_ROW, Column
from .writer import set_value

COMMENT_SIZE = (180, 360)          # width, height in points: readable without resizing


def annotate(wb: Workbook, record: Record, columns: Sequence[Column], annotations: Iterable[Annotation]) -> None:
    """Write ``annotations`` into ``wb``, a record workbook whose activities are in ``record``'s order from
    the first table row, with the activity ``columns`` (the template's, in order)."""
    col_of = {c.field: i for i, c in enumerate(columns, 1)}
    row_of = {a.row: TABLE_HEADER_ROW + 1 + i for i, a in enumerate(record.every_activity)}
    ref_row = {o.ref: PLAN_HEADER_ROW + 1 + i for i, o in enumerate(record.objectives)}
    by_place: dict[tuple[str, int | str | None], list[Annotation]] = defaultdict(list)
    for a in annotations:
        by_place[("activity", a.activity_row) if a.activity_row is not None else
                 ("objective", a.objective) if a.objective else ("record", None)].append(a)
    ws = wb[RECORD_SHEET]
    for (kind, key), notes in by_place.items():
        if kind == "activity" and isinstance(key, int):
            if key not in row_of:
                continue                   # the activity is no longer in the record
            cell = ws.cell(row=row_of[key], column=col_of[note_field(col_of)])
            checked = verification(notes)
            if checked is not None and "verified_by" in col_of:
                set_value(ws.cell(row=row_of[key], column=col_of["verified_by"]), checked.author)
                if "verified_on" in col_of:
                    ws.cell(row=row_of[key], column=col_of["verified_on"]).value = checked.written_at.date()
        elif kind == "objective" and isinstance(key, str):
            if key not in ref_row:
                continue
            cell = wb[PLAN_SHEET].cell(row=ref_row[key], column=1)
        else:
            cell = ws["A1"]
        cell.comment = Comment(note_text(notes), "Mentor", width=COMMENT_SIZE[0], height=COMMENT_SIZE[1])
