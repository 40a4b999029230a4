"""Limits on what a workbook may be, with safe defaults.

Every number can be changed with an environment variable named
``CPD_LIMIT_<NAME>`` (e.g. ``CPD_LIMIT_MAX_FILE_BYTES=52428800``); the README lists them.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = 20 * 1024 * 1024        # the file as uploaded
    max_parts: int = 250                          # entries in the zip package
    max_part_bytes: int = 40 * 1024 * 1024        # one part, uncompressed
    max_total_bytes: int = 120 * 1024 * 1024      # all parts, uncompressed
    max_ratio: int = 100                          # uncompressed / compressed, for parts over ratio_floor_bytes
    ratio_floor_bytes: int = 1024 * 1024          # small parts may compress as well as they like
    max_sheets: int = 50
    max_rows: int = 50_000                        # the last row any sheet may use
    max_columns: int = 200                        # the last column any sheet may use (GR)
    max_cells: int = 1_000_000                    # rows x columns of a sheet's used area
    max_cell_chars: int = 32_767                  # Excel's own limit for one cell

    @classmethod
    def from_env(cls, environ=None) -> "Limits":
        environ = os.environ if environ is None else environ
        changes = {}
        for f in fields(cls):
            raw = environ.get(f"CPD_LIMIT_{f.name.upper()}")
            if raw:
                try:
                    value = int(raw)
                except ValueError:
                    raise ValueError(f"CPD_LIMIT_{f.name.upper()} must be a whole number, found {raw!r}") from None
                if value <= 0:
                    raise ValueError(f"CPD_LIMIT_{f.name.upper()} must be above 0")
                changes[f.name] = value
        return replace(cls(), **changes)


DEFAULT_LIMITS = Limits()
