"""Where each value of a record is: the one ``(row, field) -> cell`` map.

Every message about a bad value and every value written back into a sheet names its cell
through a ``CellMap``, so a problem reported by the reader, the add-in or the Google Sheets
check points at the same cell the member sees.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from msgspec import Struct, field

from ..values import Cell, normalise
from ..form.layout import SUBMISSION_AREA
from ..form.refs import column_letters, column_number

__all__ = ["CellMap", "cell_name", "column_letters", "column_number", "split_cell", "submission_cells"]


def cell_name(column: int, row: int) -> str:
    """The A1 name of the cell in 0-based ``column`` and 1-based ``row``."""
    return f"{column_letters(column + 1)}{row}"


def split_cell(ref: str) -> tuple[int, int]:
    """(0-based column, 1-based row) of an A1 name such as "J10"."""
    letters = ref.rstrip("0123456789")
    return column_number(letters) - 1, int(ref[len(letters):])


class CellMap(Struct, frozen=True):
    """A table's cells: each field's column, and each labelled header value's cell."""

    sheet: str | None
    columns: Mapping[str, int] = field(default_factory=dict)     # field -> 0-based column index
    labels: Mapping[str, str] = field(default_factory=dict)      # header field -> its value cell ("B3")

    def cell(self, row: int, fld: str) -> str | None:
        """The A1 name of ``fld`` on sheet row ``row``; None if the table has no such column."""
        i = self.columns.get(fld)
        return None if i is None else cell_name(i, row)

    def label_cell(self, fld: str) -> str | None:
        return self.labels.get(fld)


_SUBMISSION_LABELS = {normalise(label.rstrip(":")): f for f, label, _ in SUBMISSION_AREA}


def submission_cells(rows: Iterable[Sequence[Cell]], sheet: str | None) -> CellMap:
    """Where Check and Submit write (Last check:, Submission id:, ...): the cell right of each of the
    Submission area's labels in ``rows`` (the rows above the activity table), wherever the member has them."""
    labels: dict[str, str] = {}
    for r, cells in enumerate(rows, 1):
        for c, v in enumerate(cells):
            if v.__class__ is str and v.endswith(":"):
                f = _SUBMISSION_LABELS.get(normalise(v.strip().rstrip(":")))
                if f and f not in labels:
                    labels[f] = cell_name(c + 1, r)
    return CellMap(sheet, labels=labels)
