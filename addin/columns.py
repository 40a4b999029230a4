"""A table's data rows held as columns: one list of cell values per field.

Tables arrive as rows (a sheet, a range, a list of mappings); the intake checks them a
column at a time, since a column holds one kind of value and most checks then run at C
speed over the whole column. Blank cells (``None``, ``""``, text of only spaces) are
all ``""`` here, and rows with nothing in any field are dropped.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import compress, repeat
from operator import eq, itemgetter
from typing import Any

from msgspec import Struct, field

from .errors import CpdError
from .values import Cell

BLANK = ""
_NONE = frozenset({type(None)})
_NONE_AND_TEXT = frozenset({type(None), str})


def _nones(values: Sequence[Cell]) -> Sequence[Cell]:
    """A blank column of ``values``' length and kind, to compare it with (equal at C speed, identity first)."""
    return (None,) * len(values) if isinstance(values, tuple) else [None] * len(values)


class Columns(Struct):
    """A table's data rows by field: one value per row, blanks as "", with the sheet row of each."""
    rows: list[int] = field(default_factory=list)               # the sheet row of each data row
    values: dict[str, Sequence[Cell]] = field(default_factory=dict)   # field -> one value per row, blanks as ""
    types: dict[str, set[type]] = field(default_factory=dict)         # field -> the value types it may hold

    def __len__(self) -> int:
        return len(self.rows)

    def get(self, name: str) -> Sequence[Cell]:
        """The field's column, or a blank column when the table has no such field."""
        found = self.values.get(name)
        return found if found is not None else [BLANK] * len(self.rows)

    def types_of(self, name: str) -> set[type]:
        """The types the field's values may have (a superset: rows dropped later may have held others)."""
        if name not in self.values:
            return {str}
        if name not in self.types:
            self.types[name] = set(map(type, self.values[name]))
        return self.types[name]

    def mappings(self) -> list[tuple[int, dict[str, Cell]]]:
        """Each row as (row, {field: value}) with its blank fields left out."""
        names = list(self.values)
        return [(r, {f: v for f, v in zip(names, vals) if v != BLANK})
                for r, vals in zip(self.rows, zip(*self.values.values()))] if names else []


def too_long(length: int, max_chars: int, sheet: str | None, cell: str | None) -> CpdError:
    """The error for a cell longer than any cell may be."""
    return CpdError("cell_too_long", f"a cell holds {length:,} characters; at most {max_chars:,} allowed",
                    sheet=sheet, cell=cell)


def _is_blank_text(v: Cell) -> bool:
    return v.__class__ is str and (not v or v.isspace())


def _texts(values: Sequence[Cell], types: set[type]) -> Sequence[Cell]:
    if types == {str}:
        return values
    return list(compress(values, map(isinstance, values, repeat(str)))) if str in types else []


def canonical_blanks(values: Sequence[Cell], types: set[type] | None = None) -> tuple[Sequence[Cell], set[type]]:
    """The column with every blank as "", and the types it holds (no copy, at C speed, when it already is)."""
    if types is None:
        if values and values[0] is None and values == _nones(values):
            return [BLANK] * len(values), {str}       # a column left blank (xlwings, openpyxl pass None): one compare
        try:                                         # a column of text, none of it only spaces, in one pass: the
            if not any(map(str.isspace, values)):    # method refuses any cell that is not text (a str subclass is)
                return values, {str}
        except TypeError:
            pass                                     # not all text: its types looked at
        types = set(map(type, values))
    if types == _NONE_AND_TEXT:                      # text with blanks as None: those made "", then read as text
        values, types = [BLANK if v is None else v for v in values], {str}
    if types == {str}:
        if any(values) and any(map(str.isspace, values)):
            values = [BLANK if v.isspace() else v for v in values]
        return values, types                         # as it came when no text is only spaces (or none is text)
    if any(map(str.isspace, _texts(values, types))):
        values = [BLANK if v is None or _is_blank_text(v) else v for v in values]
        types = set(map(type, values))
    elif types == _NONE:                             # a column left blank (xlwings, openpyxl pass None)
        values, types = [BLANK] * len(values), {str}
    elif type(None) in types:                        # blanks as None (xlwings, openpyxl): only those to change
        values = [BLANK if v is None else v for v in values]
        types = (types - _NONE) | {str}
    return values, types


def longest_text(values: Sequence[Cell], types: set[type]) -> tuple[int, int]:
    """(length, index) of the longest text in the column (whose value types are ``types``); (0, -1) when none."""
    texts = _texts(values, types)
    if not texts or (texts is values and not any(values)):
        return 0, -1
    longest = max(map(len, texts))
    return longest, next(i for i, v in enumerate(values) if v.__class__ is str and len(v) == longest)


def from_grid(grid: Sequence[Sequence[Cell]], rows: Sequence[int], fields: Mapping[int, str], *,
              blanked: Iterable[tuple[int, int]] = (), max_chars: int | None = None,
              sheet: str | None = None, cell_name: Callable[[int, int], str] | None = None) -> Columns:
    """The mapped columns of ``grid`` (rows of cells, row ``rows[k]`` being ``grid[k]``).

    ``fields`` maps a column index to its field; ``blanked`` lists (grid index, column index)
    cells to read as blank (formulas the caller has reported). A text over ``max_chars`` is
    refused with CpdError naming ``cell_name(column index, row)``."""
    idx = list(fields)
    if not grid or not idx:
        return Columns()
    need = max(idx) + 1
    width = min(map(len, grid))
    if width < need:
        grid = [list(r) + [BLANK] * (need - len(r)) if len(r) < need else r for r in grid]
    if idx == list(range(width)) and max(map(len, grid)) == width:
        cols: list[Any] = list(zip(*grid))                  # every column, in order: a plain transpose
    else:
        cols = list(zip(*(map(itemgetter(*idx), grid) if len(idx) > 1 else ((r[idx[0]],) for r in grid))))
    position = {i: k for k, i in enumerate(idx)}
    for g, i in blanked:
        if i in position and 0 <= g < len(grid):
            k = position[i]
            cols[k] = list(cols[k])
            cols[k][g] = BLANK
    cleaned = [canonical_blanks(c) for c in cols]
    cols = [c for c, _ in cleaned]
    if max_chars is not None:
        for i, (c, types) in zip(idx, cleaned):
            longest, at = longest_text(c, types)
            if longest > max_chars:
                raise too_long(longest, max_chars, sheet, cell_name(i, rows[at]) if cell_name else None)
    # rows blank in every column, narrowed column by column (none when a column holds no text, so no blank)
    blank = list(compress(range(len(grid)), map(eq, cols[0], repeat(BLANK)))) if str in cleaned[0][1] else []
    for c, types in cleaned[1:]:
        if not blank:
            break
        blank = [g for g in blank if c[g] == BLANK] if str in types else []
    numbers = list(rows)
    if blank:
        keep = [True] * len(grid)
        for g in blank:
            keep[g] = False
        numbers = list(compress(numbers, keep))
        cols = [list(compress(c, keep)) for c in cols]
    return Columns(numbers, {fields[i]: c for i, c in zip(idx, cols)},
                   {fields[i]: types for i, (_, types) in zip(idx, cleaned)})


def from_mappings(rows: Iterable[tuple[int, Mapping[str, object]]]) -> Columns:
    """Columns from (row, {field: value}) pairs, as callers with mappings hold a table."""
    rows = list(rows)
    names: dict[str, None] = {}
    for _, raw in rows:
        names.update(dict.fromkeys(raw))
    grid = [[raw.get(f, BLANK) for f in names] for _, raw in rows]
    return from_grid(grid, [r for r, _ in rows], dict(enumerate(names)))
