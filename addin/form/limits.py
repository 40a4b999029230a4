"""Limits on what a workbook (any grid) may be, with safe defaults, and the check of a sheet's extent against them.

Every number can be changed with an environment variable named
``CPD_LIMIT_<NAME>`` (e.g. ``CPD_LIMIT_MAX_FILE_BYTES=52428800``); the README lists them.
"""
from __future__ import annotations

import os
from collections.abc import Mapping

from msgspec import Struct, field
from msgspec.structs import replace

from ..errors import CpdError
from .refs import column_letters


class Limits(Struct, frozen=True):
    """The bounds a workbook must keep to be read at all: sizes, counts and ratios, each refused with its own code."""
    max_file_bytes: int = 20 * 1024 * 1024        # the file as uploaded
    max_parts: int = 250                          # entries in the zip package
    max_part_bytes: int = 96 * 1024 * 1024        # one part, uncompressed (20,000 long reflections: 46 MB)
    max_total_bytes: int = 160 * 1024 * 1024      # all parts, uncompressed
    max_ratio: int = 100                          # uncompressed / compressed, for parts over ratio_floor_bytes
    ratio_floor_bytes: int = 1024 * 1024          # small parts may compress as well as they like
    max_sheets: int = 50
    max_rows: int = 50_000                        # the last row any sheet may use
    max_columns: int = 200                        # the last column any sheet may use (GR)
    max_cells: int = 1_000_000                    # rows x columns of a sheet's used area
    max_cell_chars: int = 32_767                  # Excel's own limit for one cell

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Limits":
        environ = os.environ if environ is None else environ
        changes = {}
        for name in cls.__struct_fields__:        # the names only: msgspec's fields() resolves the types too
            raw = environ.get(f"CPD_LIMIT_{name.upper()}")
            if raw:
                try:
                    value = int(raw)
                except ValueError:
                    raise ValueError(f"CPD_LIMIT_{name.upper()} must be a whole number, found {raw!r}") from None
                if value <= 0:
                    raise ValueError(f"CPD_LIMIT_{name.upper()} must be above 0")
                changes[name] = value
        return replace(cls(), **changes)


DEFAULT_LIMITS = Limits()


class SheetScan(Struct):
    """What one pass over a sheet's XML found: its extent, its cell count, its formula cells and its furthest cell."""
    max_row: int = 0
    max_col: int = 0
    min_col: int = 0
    cells: int = 0
    formulas: set[str] = field(default_factory=set)     # "J10" style references
    far_cell: str | None = None                   # the cell furthest down or right
    partial: bool = False                         # the scan stopped at the first cell past a limit

    @property
    def area(self) -> int:
        return self.max_row * max(self.max_col - self.min_col + 1, 0) if self.max_col else 0


def check_extent(sheet: str, scan: SheetScan, limits: Limits) -> None:
    far = scan.far_cell
    least = "at least " if scan.partial else ""
    if scan.max_row > limits.max_rows:
        raise CpdError("too_many_rows", f"{sheet}: uses rows down to {least}{scan.max_row:,}; a CPD workbook may use "
                      f"at most {limits.max_rows:,}", sheet=sheet, cell=far)
    if scan.max_col > limits.max_columns:
        raise CpdError("too_many_columns", f"{sheet}: uses columns up to {least}{column_letters(scan.max_col)}; a CPD "
                      f"workbook may use at most {limits.max_columns} ({column_letters(limits.max_columns)})",
                      sheet=sheet, cell=far)
    if scan.area > limits.max_cells or scan.cells > limits.max_cells:
        raise CpdError("sheet_too_large", f"{sheet}: its used area has {least}{max(scan.area, scan.cells):,} cells; "
                      f"at most {limits.max_cells:,} allowed", sheet=sheet, cell=far)
