"""Reading a CPD workbook back into the model: the one hardened entry point.

Every workbook comes from outside, so it is read in two steps. First
``inspect_package`` checks the container before any XML parser sees it (sizes,
zip structure, DTDs, macros, each sheet's real extent and its formula cells).
Then python-calamine, a Rust reader that never expands XML entities, reads the
values. Columns are found by header name (and synonyms) on any of the first
rows, in any order; header fields by their labels. Every bad value becomes a
``Problem`` naming its sheet and cell ("Record!J10: hours must be a number,
found 'two'"). Formulas are never trusted in input cells: their cached values
could say anything, so a formula where a value belongs is reported, not read.
"""
from __future__ import annotations

import functools
import io
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, cast

import python_calamine

from ..collector import gc_paused
from ..errors import CpdError
from ..grid.cells import cell_name
from ..grid.record import GridRead, read_record
from ..model import Record
from ..profile import Profile
from ..form.layout import PLAN_SHEET, RECORD_SHEET
from ..form.limits import Limits
from .package import Package, failures, inspect_package
from ..values import Cell

# What reading a workbook gives is what reading any grid gives.
WorkbookRead = GridRead


def read_limited(path: Path, limit: int, *, what: str = "a file",
                 too_large: Callable[[int], CpdError] | None = None) -> bytes:
    """A file's bytes, refusing one over ``limit`` bytes before reading it (``too_large(size)`` says how; by
    default ``file_too_large``), a folder, a file that is not there or cannot be read: each a CpdError."""
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise CpdError("file_not_found", f"{path} is a folder, not {what}")
        if size > limit:
            raise too_large(size) if too_large else CpdError(
                "file_too_large", f"the file is {size:,} bytes; at most {limit:,} allowed")
        return path.read_bytes()
    except FileNotFoundError:
        raise CpdError("file_not_found", f"no such file: {path}") from None
    except PermissionError:
        raise CpdError("file_not_readable", f"cannot read {path}: permission denied") from None


def load_bytes(source: str | Path | bytes | BinaryIO, limits: Limits) -> bytes:
    """The file's bytes, refusing one over the size limit before reading it all."""
    if isinstance(source, (bytes, bytearray)):
        return bytes(source)
    if hasattr(source, "read"):
        data = source.read(limits.max_file_bytes + 1)
    else:
        data = read_limited(Path(source), limits.max_file_bytes, what="a workbook")
    if len(data) > limits.max_file_bytes:
        raise CpdError("file_too_large", f"the file is over {limits.max_file_bytes:,} bytes")
    return data


LARGE_SHEET_CELLS = 100_000          # after a sheet this large, the heap calamine freed is given back


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library has none (macOS, musl, Windows)."""
    import ctypes
    import ctypes.util
    try:
        return cast(Callable[[int], int], ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim)
    except (OSError, AttributeError):
        return None


def give_back_memory() -> None:
    """Return to the system the heap a large sheet's reading freed. calamine builds the whole sheet in Rust
    before Python sees a row; once the rows are Python's and the Rust sheet is dropped, its tens of MB stay
    in the C heap, where Python's own allocator never reuses them, so the record built next would add to
    the peak (a real 20,000-activity log: about 5 MiB less)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


class XlsxSource:
    """An inspected .xlsx package as a cell source: its sheets' values read by python-calamine,
    each sheet's extent checked (from its XML) before calamine builds it, and its formula cells."""

    unread: tuple[str, ...] = ()
    book: python_calamine.CalamineWorkbook | None

    def __init__(self, pkg: Package, limits: Limits, name: str = "the workbook"):
        self.pkg = pkg
        self.limits = limits
        self.name = name
        self.book = self._open()
        self._names = [n for n in self.book.sheet_names if n in self.pkg.sheets]
        self._built: dict[str, python_calamine.CalamineSheet] = {}    # sheets built, not yet read

    def _open(self) -> python_calamine.CalamineWorkbook:
        with calamine_failures():
            return python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(self.pkg.stored or self.pkg.data))

    @property
    def sheet_names(self) -> list[str]:
        return self._names

    def release(self) -> None:
        """Close the workbook: its shared strings and its copy of the file are freed before the record is
        built (a table asked for afterwards opens it again)."""
        if self.book is not None:
            self.book.close()
            self.book = None

    def table(self, name: str, max_rows: int | None = None) -> list[list[Cell]]:
        """The sheet's rows from row 1, each from column A (blank cells as "")."""
        self.pkg.scan(name)          # extent checked before calamine builds the sheet
        sheet = self._built.pop(name, None) if max_rows is None else None
        with calamine_failures():
            if sheet is None:
                if self.book is None:
                    self.book = self._open()
                if max_rows is None and name == RECORD_SHEET:
                    sheet = self._build_record_and_plan()
                else:
                    sheet = self.book.get_sheet_by_name(name)
            rows = sheet.to_python(skip_empty_area=False, nrows=max_rows)
        del sheet
        if len(rows) * (len(rows[0]) if rows else 0) > LARGE_SHEET_CELLS:
            give_back_memory()                       # the Rust sheet is dropped: its heap back to the system
        return rows

    def _build_record_and_plan(self) -> python_calamine.CalamineSheet:
        """The Record sheet built by calamine, and the Plan sheet beside it (kept for its own ``table``), then
        the workbook closed: its shared strings (as large as the text) are freed, and for a large sheet given
        back to the system, before the sheets' values are copied into Python, which is when reading a large
        log peaks (a real 20,000-activity log saved by LibreOffice, which keeps its text as shared strings:
        97 MiB without giving them back, 90 with)."""
        assert self.book is not None
        if PLAN_SHEET in self._names:
            self.pkg.scan(PLAN_SHEET)
            self._built[PLAN_SHEET] = self.book.get_sheet_by_name(PLAN_SHEET)
        sheet = self.book.get_sheet_by_name(RECORD_SHEET)
        self.release()
        extent = self.pkg.scan(RECORD_SHEET)
        if extent.max_row * extent.max_col > LARGE_SHEET_CELLS:
            give_back_memory()        # the shared strings' heap back before Python copies the values
        return sheet

    def formulas(self, name: str) -> set[str]:
        return self.pkg.scan(name).formulas

    def cell(self, sheet: str, row: int, column: int) -> str:
        return f"{sheet}!{cell_name(column, row)}"


class calamine_failures:
    """calamine's own errors (and a Rust panic, which is a BaseException) as CpdErrors."""

    def __enter__(self) -> "calamine_failures":
        self._inner = failures()
        self._inner.__enter__()
        return self

    def __exit__(self, typ: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> bool | None:
        if exc is None or isinstance(exc, (CpdError, KeyboardInterrupt, SystemExit, GeneratorExit)):
            return self._inner.__exit__(typ, exc, tb)
        if isinstance(exc, python_calamine.PasswordError):
            raise CpdError("legacy_or_encrypted", "the workbook is password-protected") from None
        if isinstance(exc, python_calamine.XmlError):
            raise CpdError("malformed_xml", "a sheet of the workbook is not well-formed XML") from None
        if isinstance(exc, python_calamine.ZipError):
            raise CpdError("corrupt_zip", "the file is damaged: it is not a readable zip package") from None
        if isinstance(exc, Exception) and not isinstance(exc, python_calamine.CalamineError):
            return self._inner.__exit__(typ, exc, tb)
        text = str(exc).lower()
        if any(word in text for word in ("xml", "node", "tag", "attribute", "unexpected", "expecting")):
            raise CpdError("malformed_xml", "a sheet of the workbook is not well-formed XML") from None
        raise CpdError("unreadable_workbook", f"the workbook cannot be read ({type(exc).__name__})") from None


def read_workbook(source: str | Path | bytes | BinaryIO, profile: Profile | str | None = None, *,
                  month_first: bool = False, limits: Limits | None = None) -> GridRead:
    """Read a CPD workbook through the hardened checks. ``profile`` overrides the one it names."""
    limits = limits or Limits.from_env()
    data = load_bytes(source, limits)
    name = Path(source).name if isinstance(source, (str, Path)) else "the workbook"
    with gc_paused():
        pkg = inspect_package(data, limits)
        grid = XlsxSource(pkg, limits, name)
        with calamine_failures():
            return read_record(grid, profile, month_first=month_first)


def load_record(source: str | Path | bytes | BinaryIO, profile: Profile | str | None = None
                ) -> tuple[Record, Profile]:
    """The record and its profile; InvalidRecord if any value cannot be read."""
    read = read_workbook(source, profile)
    return read.require(), read.profile
