"""Reading an existing record's raw cells: .xlsx through the hardened reader, .csv, and the
tracker form filled in as a Word document (.docx, after the same container checks).

Each source gives ``Sheet``s: rows of cell values with their row numbers, and a way to name
a cell for messages ("Sheet1!C14", "row 14, column C", "table 1, row 3, column 2").
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import CpdError
from ..workbook.limits import Limits
from ..workbook.package import failures, inspect_package
from ..workbook.reader import Grid, load_bytes
from ..workbook.sheetscan import column_letters


@dataclass
class Sheet:
    name: str
    rows: list                                  # (row number, [values])
    kind: str = "sheet"                         # sheet | csv | table
    formulas: set = field(default_factory=set)
    lines: list = field(default_factory=list)   # free text around a table (a .docx's paragraphs)

    def cell(self, row: int, col: int) -> str:
        letter = column_letters(col + 1)
        if self.kind == "csv":
            return f"row {row}, column {letter}"
        if self.kind == "table":
            return f"{self.name}, row {row}, column {col + 1}"
        return f"{self.name}!{letter}{row}"


def read_source(path: Path, limits: Limits) -> list[Sheet]:
    suffix = path.suffix.lower()
    data = load_bytes(path, limits)
    if suffix in (".csv", ".tsv", ".txt"):
        return [_csv(data, path.name, limits)]
    if suffix == ".docx":
        return _docx(data, limits)
    if suffix in (".xlsx", ".xlsm", ".xls"):
        pkg = inspect_package(data, limits, filename=path.name)
        grid = Grid(pkg, limits)
        return [Sheet(name, list(grid.rows(name)), formulas=grid.formulas(name)) for name in grid.sheet_names]
    raise CpdError("unsupported_format", f"cannot import {path.suffix or 'a file without an extension'}: "
                   f"use .xlsx, .csv or .docx")


def _csv(data: bytes, name: str, limits: Limits) -> Sheet:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if "\0" in text:
        raise CpdError("not_csv", f"{name} is not a text file")
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    rows = []
    try:
        for i, row in enumerate(csv.reader(io.StringIO(text, newline=""), dialect), 1):
            if i > limits.max_rows:
                raise CpdError("too_many_rows", f"{name}: more than {limits.max_rows:,} rows")
            if len(row) > limits.max_columns:
                raise CpdError("too_many_columns", f"{name}: row {i} has {len(row)} columns; at most "
                               f"{limits.max_columns} allowed")
            if any(len(v) > limits.max_cell_chars for v in row):
                raise CpdError("cell_too_long", f"{name}: row {i} has a value over {limits.max_cell_chars:,} characters")
            rows.append((i, row))
    except csv.Error as exc:
        raise CpdError("malformed_csv", f"{name}: not readable as CSV ({exc})") from None
    return Sheet(name, rows, kind="csv")


def _docx(data: bytes, limits: Limits) -> list[Sheet]:
    inspect_package(data, limits, kind="docx")
    import docx   # python-docx parses with entity resolution off; DTDs were refused above
    with failures():
        document = docx.Document(io.BytesIO(data))
        lines = [p.text for p in document.paragraphs if p.text.strip()]
        sheets = []
        for t, table in enumerate(document.tables, 1):
            rows = []
            for r, row in enumerate(table.rows, 1):
                if r > limits.max_rows:
                    raise CpdError("too_many_rows", f"table {t}: more than {limits.max_rows:,} rows")
                values, last = [], None
                for cell in row.cells:
                    if cell._tc is last:      # a merged cell repeats; keep it once
                        values.append("")
                        continue
                    last = cell._tc
                    values.append(_cell_text(cell))
                rows.append((r, values))
            sheets.append(Sheet(f"table {t}", rows, kind="table", lines=lines))
    if not sheets:
        raise CpdError("no_activity_table", "the document has no table of activities")
    return sheets


def _cell_text(cell) -> str:
    return "\n".join(p.text for p in cell.paragraphs).strip()


LABEL_VALUE = re.compile(r"^\s*([A-Za-z][A-Za-z .()/&-]{1,40}?)\s*:\s*(.*)$")
