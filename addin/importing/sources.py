"""Reading an existing record's raw cells: .xlsx through the hardened reader, .csv, and the
tracker form filled in as a Word document (.docx, after the same container checks).

Each is a cell source (``addin.grid``), as every grid the reader reads: sheets of cell values,
and a way to name a cell for messages ("Sheet1!C14", "row 14, column C", "table 1, row 3, column 2").
"""
from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from ..errors import CpdError
from ..grid.source import CellSource, ValuesSource
from ..form.limits import Limits
from ..workbook.package import failures, inspect_package
from ..workbook.reader import XlsxSource, load_bytes


def read_source(path: Path, limits: Limits) -> CellSource:
    """The file as a cell source: an .xlsx workbook, a CSV file (one sheet), or a .docx's tables."""
    suffix = path.suffix.lower()
    data = load_bytes(path, limits)
    if suffix in (".csv", ".tsv", ".txt"):
        return _csv(data, path.name, limits)
    if suffix == ".docx":
        return _docx(data, path.name, limits)
    if suffix in (".xlsx", ".xlsm", ".xls"):
        return XlsxSource(inspect_package(data, limits, filename=path.name), limits, path.name)
    raise CpdError("unsupported_format", f"cannot import {path.suffix or 'a file without an extension'}: "
                   f"use .xlsx, .csv or .docx")


def _csv(data: bytes, name: str, limits: Limits) -> ValuesSource:
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
                raise CpdError("cell_too_long",
                               f"{name}: row {i} has a value over {limits.max_cell_chars:,} characters")
            rows.append(row)
    except csv.Error as exc:
        raise CpdError("malformed_csv", f"{name}: not readable as CSV ({exc})") from None
    return ValuesSource(name, {name: rows}, limits=limits, kind="csv")


def _docx(data: bytes, name: str, limits: Limits) -> ValuesSource:
    inspect_package(data, limits, kind="docx")
    import docx   # python-docx parses with entity resolution off; DTDs were refused above
    with failures():
        document = docx.Document(io.BytesIO(data))
        lines = [p.text for p in document.paragraphs if p.text.strip()]
        tables = {}
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
                rows.append(values)
            tables[f"table {t}"] = rows
    if not tables:
        raise CpdError("no_activity_table", "the document has no table of activities")
    return ValuesSource(name, tables, limits=limits, kind="table", lines=lines)


def _cell_text(cell: Any) -> str:          # a python-docx table cell
    return "\n".join(p.text for p in cell.paragraphs).strip()

