"""Adding rows to a member's own workbook, and changing one cell of it, without rewriting the rest.

Loading a workbook into a spreadsheet library and saving it again loses what the library does not
model: the Summary's chart, a member's own charts and pictures, extensions Excel keeps. So new
activities are written into the Record sheet's XML itself: its ``<sheetData>`` gains the rows (text
inline, numbers and dates as values, each cell in its column's style), the sheet's dimension and any
Excel table over the activity table grow to take them, and the workbook is marked to recalculate on
opening. Every other part is copied byte for byte. The result is read back through the hardened
reader before it is returned, so a file this writes is one the reader accepts.
"""
from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from xml.sax.saxutils import escape

from msgspec import Struct

from ..errors import CpdError
from ..form.limits import Limits
from ..grid.cells import cell_name, split_cell
from ..grid.record import GridRead, read_record
from .package import inspect_package
from .reader import XlsxSource, calamine_failures

EXCEL_EPOCH = date(1899, 12, 30)
DATE_FORMAT_ID = 14                       # Excel's built-in short date
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ROW = re.compile(r"<(?P<p>\w+:)?row\b(?P<attrs>[^>]*?)(?:/>|>(?P<body>.*?)</(?P=p)?row>)", re.S)
_R = re.compile(r'\br="([A-Z]*)(\d+)"')
_CELL = re.compile(r"<(?P<p>\w+:)?c\b(?P<attrs>[^>]*?)(?:/>|>(?P<body>.*?)</(?P=p)?c>)", re.S)
_COL = re.compile(r"<(?:\w+:)?col\b([^>]*?)/?>")
_ATTR = re.compile(r'(\w+)="([^"]*)"')


class Appended(Struct):
    data: bytes                       # the workbook with the rows added
    rows: list[int]                   # the sheet rows written
    read: GridRead                    # the result, read back


def _cell_xml(ref: str, value: object, style: str | None, dates: tuple[set[str], str | None], prefix: str) -> str:
    """A cell's XML: text inline, numbers and dates as values, in ``style`` (a date in a date style: the
    column's own when it shows dates, else ``dates[1]``)."""
    s = f' s="{style}"' if style else ""
    if value is None or value == "":
        return f'<{prefix}c r="{ref}"{s}/>'
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        shown = style if style in dates[0] else dates[1]
        s = f' s="{shown}"' if shown else ""
        return f'<{prefix}c r="{ref}"{s}><{prefix}v>{(value - EXCEL_EPOCH).days}</{prefix}v></{prefix}c>'
    if isinstance(value, bool):
        return f'<{prefix}c r="{ref}"{s} t="b"><{prefix}v>{int(value)}</{prefix}v></{prefix}c>'
    if isinstance(value, (int, float)):
        return f'<{prefix}c r="{ref}"{s}><{prefix}v>{value!r}</{prefix}v></{prefix}c>'
    text = escape(_ILLEGAL.sub("", str(value)))
    return (f'<{prefix}c r="{ref}"{s} t="inlineStr"><{prefix}is><{prefix}t xml:space="preserve">{text}</{prefix}t>'
            f'</{prefix}is></{prefix}c>')


def _date_styles(styles_xml: str) -> tuple[set[str], int]:
    """The cell styles (cellXfs indexes) that show a date, and how many styles there are."""
    numfmts = {m.group(1): m.group(2).lower() for m in re.finditer(
        r'<(?:\w+:)?numFmt\b[^>]*numFmtId="(\d+)"[^>]*formatCode="([^"]*)"', styles_xml)}
    block = re.search(r"<(?:\w+:)?cellXfs\b[^>]*>(.*?)</(?:\w+:)?cellXfs>", styles_xml, re.S)
    found, n = set(), 0
    for n, xf in enumerate(re.findall(r"<(?:\w+:)?xf\b([^>]*)", block.group(1) if block else ""), 1):
        fmt = dict(_ATTR.findall(xf)).get("numFmtId", "0")
        code = numfmts.get(fmt, "")
        if 14 <= int(fmt) <= 22 or 45 <= int(fmt) <= 47 or ("d" in code and "y" in code):
            found.add(str(n - 1))
    return found, n


def _add_date_style(styles_xml: str, count: int) -> tuple[str, str]:
    """The styles part with one more cell style, a short date; and its index."""
    m = re.search(r"(?P<open><(?P<p>\w+:)?cellXfs\b[^>]*>)(?P<body>.*?)(?P<close></(?P=p)?cellXfs>)", styles_xml, re.S)
    if m is None:
        raise CpdError("cannot_write", "the workbook's styles have no cell formats to add a date format to")
    p = m.group("p") or ""
    xf = f'<{p}xf numFmtId="{DATE_FORMAT_ID}" fontId="0" fillId="0" borderId="0" applyNumberFormat="1"/>'
    opening = re.sub(r'\s+count="\d+"', "", m.group("open"))[:-1] + f' count="{count + 1}">'
    return (styles_xml[:m.start()] + opening + m.group("body") + xf + m.group("close") + styles_xml[m.end():],
            str(count))


def _column_styles(sheet_xml: str) -> dict[int, str]:
    """0-based column -> the style its <col> gives it."""
    found = {}
    for attrs in _COL.findall(sheet_xml.split("<sheetData", 1)[0]):
        a = dict(_ATTR.findall(attrs))
        if "style" in a and "min" in a:
            for c in range(int(a["min"]) - 1, min(int(a.get("max") or a["min"]), 16384)):
                found[c] = a["style"]
    return found


def _last_row_styles(body: str) -> dict[int, str]:
    """0-based column -> the style of that column's cell in a row's XML."""
    found = {}
    for m in _CELL.finditer(body or ""):
        a = dict(_ATTR.findall(m.group("attrs")))
        if "r" in a and "s" in a:
            found[split_cell(a["r"])[0]] = a["s"]
    return found


def append_rows(data: bytes, rows: Sequence[Mapping[str, object]], *, limits: Limits | None = None,
                name: str = "the workbook") -> Appended:
    """The workbook with ``rows`` (field -> value) added under the last row of its activity table, in the
    columns its header names; a field the table has no column for is left out (the caller says where to
    put it). CpdError when the workbook cannot be read or written."""
    return _write(data, None, rows, limits, name)


def set_values(data: bytes, row: int, values: Mapping[str, object], *, limits: Limits | None = None,
               name: str = "the workbook") -> Appended:
    """The workbook with the activity on sheet ``row`` given ``values`` (field -> value; each cell keeps its
    format). CpdError when the table has no column for one of them."""
    return _write(data, row, [values], limits, name)


def _write(data: bytes, at: int | None, rows: Sequence[Mapping[str, object]], limits: Limits | None,
           name: str) -> Appended:
    limits = limits or Limits.from_env()
    pkg = inspect_package(data, limits)
    source = XlsxSource(pkg, limits, name)
    with calamine_failures():
        read = read_record(source)
        grid = source.table(read.sheet)
    part = pkg.sheets[read.sheet]
    header = read.header_row
    if header is None:
        raise CpdError("no_activity_table", f"{read.sheet}: no activity table header", sheet=read.sheet)
    missing = sorted({f for values in rows for f in values} - set(read.cells.columns))
    if at is not None and missing:
        raise CpdError("no_such_column", f"{read.sheet}: the activity table has no {missing[0].replace('_', ' ')} "
                       f"column; add one to its header row (row {header})", sheet=read.sheet)
    used = max((r for r, cells in enumerate(grid, 1) if any(v not in ("", None) for v in cells)), default=header)
    first = at if at is not None else max(used, header) + 1
    written = list(range(first, first + len(rows)))
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        parts = {i.filename: i for i in zf.infolist()}
        sheet_xml = zf.read(part).decode("utf-8")
        styles_name = next((n for n in parts if n.endswith("styles.xml")), None)
        styles_xml = zf.read(styles_name).decode("utf-8") if styles_name else ""
        date_styles, count = _date_styles(styles_xml)
        data_row = _row_body(sheet_xml, used) if used > header else ""
        cell_styles = {**_column_styles(sheet_xml), **_last_row_styles(data_row)}
        date_style = next((s for s in cell_styles.values() if s in date_styles), None)
        changed: dict[str, str] = {}
        if date_style is None and any(isinstance(v, date) for row in rows for v in row.values()):
            if not styles_name:
                raise CpdError("cannot_write", f"{name} has no styles part to give its new dates a date format")
            styles_xml, date_style = _add_date_style(styles_xml, count)
            changed[styles_name] = styles_xml
        prefix = re.search(r"<(\w+:)?sheetData", sheet_xml)
        p = (prefix.group(1) or "") if prefix else ""
        new_rows = []
        for r, values in zip(written, rows):
            own = _last_row_styles(_row_body(sheet_xml, r)) if at is not None else {}
            cells = []
            for fld, col in sorted(read.cells.columns.items(), key=lambda kv: kv[1]):
                if fld not in values:
                    continue
                cells.append(_cell_xml(cell_name(col, r), values[fld], own.get(col, cell_styles.get(col)),
                                       (date_styles, date_style), p))
            new_rows.append((r, "".join(cells)))
        changed[part] = _splice(sheet_xml, new_rows, p, read.sheet)
        book_name = next((n for n in parts if n.endswith("workbook.xml") and "/_rels/" not in n), None)
        if book_name:
            changed[book_name] = _recalculate_on_open(zf.read(book_name).decode("utf-8"))
        for table_part in _tables_of(zf, parts, part):
            changed[table_part] = _grow_table(zf.read(table_part).decode("utf-8"), header, written[-1])
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as dst:
            for info in zf.infolist():
                body = changed[info.filename].encode("utf-8") if info.filename in changed else zf.read(info.filename)
                dst.writestr(info, body, compress_type=info.compress_type)
    result = out.getvalue()
    again = read_record(XlsxSource(inspect_package(result, limits), limits, name))
    return Appended(result, written, again)


def _row_body(sheet_xml: str, row: int) -> str:
    for m in _ROW.finditer(sheet_xml):
        r = _R.search(m.group("attrs"))
        if r and int(r.group(2)) == row:
            return m.group("body") or ""
    return ""


def _splice(sheet_xml: str, new_rows: list[tuple[int, str]], p: str, sheet: str) -> str:
    """The sheet XML with the new rows' cells: a row the sheet already has (formatted, but empty where
    these go) takes them among its own cells in column order; other rows are placed in row order."""
    start = re.search(rf"<{p}sheetData\b[^>]*?(/?)>", sheet_xml)
    if start is None:
        raise CpdError("cannot_write", f"{sheet}: the sheet has no cell data part", sheet=sheet)
    if start.group(1):                        # <sheetData/>
        inner, end = "", start.end()
        head = sheet_xml[:start.start()] + f"<{p}sheetData>"
    else:
        end = sheet_xml.index(f"</{p}sheetData>", start.end())
        inner = sheet_xml[start.end():end]
        head = sheet_xml[:start.end()]
        end += len(f"</{p}sheetData>")
    existing = []
    for m in _ROW.finditer(inner):
        number = _R.search(m.group("attrs"))
        existing.append((int(number.group(2)) if number else 0, m.group(0), m.group("attrs"), m.group("body") or ""))
    by_row = {r: (attrs, body) for r, _, attrs, body in existing}
    merged = {r: xml for r, xml, _, _ in existing}
    for r, cells in new_rows:
        if r in by_row:
            attrs, body = by_row[r]
            kept = [c.group(0) for c in _CELL.finditer(body)]
            mine = [c.group(0) for c in _CELL.finditer(cells)]
            taken = {_letters(c) for c in mine}
            ordered = sorted([c for c in kept if _letters(c) not in taken] + mine, key=_column_key)
            attrs = re.sub(r'\s*\bspans="[^"]*"', "", attrs)
            merged[r] = f"<{p}row{attrs}>{''.join(ordered)}</{p}row>"
        else:
            merged[r] = f'<{p}row r="{r}">{cells}</{p}row>'
    body = "".join(merged[r] for r in sorted(merged))
    out = head + body + f"</{p}sheetData>" + sheet_xml[end:]
    last = max(r for r, _ in new_rows) if new_rows else 0
    return re.sub(rf'(<{p}dimension\b[^>]*\bref=")([A-Z]+\d+)(?::([A-Z]+)(\d+))?(")',
                  lambda m: _dimension(m, last), out, count=1)


def _letters(cell_xml: str) -> str:
    """The column letters of a cell's XML (its r="J10")."""
    m = _R.search(cell_xml)
    return m.group(1) if m else ""


def _column_key(cell_xml: str) -> int:
    m = _R.search(cell_xml)
    return split_cell(f"{m.group(1)}{m.group(2)}")[0] if m and m.group(1) else 0


def _dimension(m: re.Match[str], last: int) -> str:
    top = m.group(2)
    right = m.group(3) or top.rstrip("0123456789")
    bottom = max(int(m.group(4) or top[len(top.rstrip("0123456789")):] or 1), last)
    return f"{m.group(1)}{top}:{right}{bottom}{m.group(5)}"


def _recalculate_on_open(book_xml: str) -> str:
    """The workbook part asking the spreadsheet to recalculate every formula when it opens (the Summary's
    cached figures predate the new rows)."""
    m = re.search(r"<(\w+:)?calcPr\b([^>]*?)(/?)>", book_xml)
    if m is None:
        close = re.search(r"</(\w+:)?workbook>", book_xml)
        if close is None:
            return book_xml
        p = close.group(1) or ""
        return book_xml[:close.start()] + f'<{p}calcPr fullCalcOnLoad="1"/>' + book_xml[close.start():]
    if "fullCalcOnLoad" in m.group(2):
        return book_xml[:m.start()] + re.sub(r'fullCalcOnLoad="\w+"', 'fullCalcOnLoad="1"', m.group(0)) + \
            book_xml[m.end():]
    return book_xml[:m.start()] + f'<{m.group(1) or ""}calcPr{m.group(2)} fullCalcOnLoad="1"{m.group(3)}>' + \
        book_xml[m.end():]


def _tables_of(zf: zipfile.ZipFile, parts: Mapping[str, zipfile.ZipInfo], sheet_part: str) -> list[str]:
    """The Excel table parts (ListObjects) of a sheet."""
    folder, _, file = sheet_part.rpartition("/")
    rels = f"{folder}/_rels/{file}.rels"
    if rels not in parts:
        return []
    found = []
    for target in re.findall(r'Target="([^"]*table[^"]*\.xml)"', zf.read(rels).decode("utf-8")):
        path = target.lstrip("/") if target.startswith("/") else _join(folder, target)
        if path in parts:
            found.append(path)
    return found


def _join(folder: str, target: str) -> str:
    parts = folder.split("/") if folder else []
    for piece in target.split("/"):
        if piece == "..":
            parts = parts[:-1]
        elif piece and piece != ".":
            parts.append(piece)
    return "/".join(parts)


def _grow_table(table_xml: str, header: int, last: int) -> str:
    """An Excel table whose header is the activity table's, grown down to ``last`` (its filter too)."""
    m = re.search(r'<(?:\w+:)?table\b[^>]*\bref="([A-Z]+)(\d+):([A-Z]+)(\d+)"', table_xml)
    if m is None or int(m.group(2)) != header or int(m.group(4)) >= last:
        return table_xml
    old, new = f"{m.group(1)}{m.group(2)}:{m.group(3)}{m.group(4)}", f"{m.group(1)}{m.group(2)}:{m.group(3)}{last}"
    return table_xml.replace(f'ref="{old}"', f'ref="{new}"')


__all__ = ["Appended", "append_rows", "set_values"]
