"""The hardened first look at a workbook file, before any XML parser sees it.

``inspect_package`` checks the container (size, zip magic, entries, names,
overlaps, encryption, declared and actual sizes, compression ratios), refuses
DTDs and macros, finds the sheets, and scans each one's real extent and its
formula cells. ``failures`` turns whatever a parsing stack raises into one
``CpdError`` with a stable code: callers never see a raw exception.
"""
from __future__ import annotations

import functools
import io
import re
import struct
import sys
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any
from contextlib import contextmanager

from msgspec import Struct, field

from ..errors import CpdError
from ..form.limits import DEFAULT_LIMITS, Limits, check_extent
from .sheetscan import SheetScan, scan_sheet
from .stored import stored_zip

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")
_DTD = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.I)
MACRO_FREE_HOW = ("In Excel, run CPD_CHECK or CPD_SUBMIT from the CPD add-in (they read the open workbook's values and "
                  "send a macro-free copy), or save a copy as Excel Workbook (.xlsx) and use that.")
_MACRO_NAME = re.compile(r"(?i)vbaProject[^/]*\.bin$|vbaData\.xml$|(^|/)activeX/|\.xlam$")
_MACRO_TYPE = re.compile(rb"(?i)macroEnabled|vbaProject|ms-office\.vba")
_SHEET_ENTRY = re.compile(rb"<(?:\w+:)?sheet\b[^>]*>")
_ATTR = re.compile(rb"""([\w:]+)\s*=\s*["']([^"']*)["']""")
_REL = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>")
_DRIVE = re.compile(r"[A-Za-z]:")                 # a part name starting like a Windows drive
_CONTROL = re.compile(r"[\x00-\x1f]")              # a control character in a part name
_CHUNK = 1024 * 1024                 # inflated bytes at a time, at most
_FEED = 64 * 1024                    # compressed bytes fed at a time
# Parts are inflated and checksummed by ISA-L (the ``isal`` package) where it is installed, zlib elsewhere:
# a 31 MB sheet in 37 ms against zlib's 57 (its CRC-32 in 0.5 ms against 12); a 40-activity workbook's
# parts checked in 477 us against 660.
INFLATE_WITH_ISAL = True
# A workbook whose parts unpack to at most this is handed to python-calamine as those parts stored (a copy,
# see stored.py); a larger one as it came, so that a large log's sheet is not held twice while it is read.
STORED_COPY_BYTES = 8 * 1024 * 1024


class Package(Struct):
    """A workbook package that passed the container checks."""

    data: bytes
    kind: str                                        # "xlsx" or "docx"
    sheets: dict[str, str] = field(default_factory=dict)       # sheet name -> part name
    xml: dict[str, bytes | bytearray] = field(default_factory=dict)   # sheets (until scanned), a docx body
    stored: bytes = b""          # a small workbook's checked parts stored uncompressed: what calamine reads
    limits: Limits = DEFAULT_LIMITS
    _scans: dict[str, SheetScan] = field(default_factory=dict)

    def scan(self, sheet: str) -> SheetScan:
        """A sheet's real extent and formula cells, checked against the limits (on first use:
        only the sheets a reader opens are scanned, before it opens them)."""
        if sheet not in self._scans:                 # the XML is let go once scanned (a large log's is 30 MB+)
            scan = scan_sheet(self.xml.pop(self.sheets[sheet]), self.limits)
            check_extent(sheet, scan, self.limits)
            self._scans[sheet] = scan
        return self._scans[sheet]


def _refuse(code: str, message: str, sheet: str | None = None, cell: str | None = None) -> CpdError:
    return CpdError(code, message, sheet=sheet, cell=cell)


def sniff(data: bytes, filename: str | None = None) -> None:
    """Refuse what is plainly not an OOXML package, saying what it looks like."""
    if not data:
        raise _refuse("empty_file", "the file is empty")
    if data.startswith(OLE_MAGIC):
        raise _refuse("legacy_or_encrypted", "this is a legacy Excel 97-2003 (.xls) file or a password-protected "
                      "workbook; save it as an unprotected .xlsx and try again")
    if not data.startswith(ZIP_MAGIC):
        head = data[:2048]
        try:
            text = head.decode("utf-8-sig")
            looks_text = all(ch.isprintable() or ch in "\r\n\t" for ch in text[:512])
        except UnicodeDecodeError:
            looks_text = False
        if looks_text and ("," in text or ";" in text or "\t" in text):
            raise _refuse("not_xlsx", "this is text (CSV), not an .xlsx workbook; bring it in with 'cpd import'")
        raise _refuse("not_xlsx", "not an .xlsx workbook (the file does not start like a zip package)")


def _check_names_and_layout(zf: zipfile.ZipFile, data: bytes, limits: Limits) -> list[zipfile.ZipInfo]:
    infos = zf.infolist()
    if len(infos) > limits.max_parts:
        raise _refuse("too_many_parts", f"the package has {len(infos)} parts; at most {limits.max_parts} allowed")
    seen = set()
    for info in infos:
        name = info.orig_filename
        low = name.lower()
        if low in seen:
            raise _refuse("duplicate_part", f"the package names a part twice: {name!r}")
        seen.add(low)
        if (not name or "\\" in name or name.startswith("/") or _DRIVE.match(name)
                or ".." in name.split("/") or _CONTROL.search(name)):
            raise _refuse("bad_part_name", f"the package has an unsafe part name: {name!r}")
        if info.flag_bits & 0x1:
            raise _refuse("legacy_or_encrypted", f"the package has an encrypted part ({name!r})")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _refuse("corrupt_zip", f"part {name!r} uses an unsupported compression method")
    # Entries must not overlap: each local record ends before the next begins.
    spans = []
    for info in infos:
        off = info.header_offset
        if off + _LOCAL_HEADER.size > len(data):
            raise _refuse("corrupt_zip", "the package is truncated")
        fields = _LOCAL_HEADER.unpack_from(data, off)
        if fields[0] != ZIP_MAGIC:
            raise _refuse("corrupt_zip", f"part {info.orig_filename!r} has no local header")
        end = off + _LOCAL_HEADER.size + fields[9] + fields[10] + info.compress_size
        if end > len(data):
            raise _refuse("corrupt_zip", "the package is truncated")
        spans.append((off, end, info.orig_filename))
    spans.sort()
    for (_, a1, an), (b0, _, bn) in zip(spans, spans[1:]):
        if b0 < a1:
            raise _refuse("overlapping_parts", f"parts {an!r} and {bn!r} overlap in the package")
    return infos


def _check_declared_sizes(infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    total = 0
    for info in infos:
        if info.file_size > limits.max_part_bytes:
            raise _refuse("part_too_large", f"part {info.orig_filename!r} unpacks to {info.file_size:,} bytes; "
                          f"at most {limits.max_part_bytes:,} allowed")
        if info.file_size > limits.ratio_floor_bytes and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise _refuse("compression_ratio", f"part {info.orig_filename!r} is compressed "
                          f"{info.file_size // max(info.compress_size, 1):,} to 1, a sign of a zip bomb")
        total += info.file_size
    if total > limits.max_total_bytes:
        raise _refuse("part_too_large", f"the package unpacks to {total:,} bytes; at most "
                      f"{limits.max_total_bytes:,} allowed")


def _read_part(data: bytes, info: zipfile.ZipInfo, keep: bool) -> bytes | bytearray:
    """Inflate one part as a stream, checking as it goes, and refuse a DTD; the bytes if ``keep``.

    The part's compressed bytes are fed in small pieces and at most ``_CHUNK`` bytes come out at a
    time, so memory stays bounded whatever the stream holds. Reading stops one byte past the declared
    size (which the limits checked first): a part that would inflate further is refused there, never
    inflated in full. A part must also end exactly where it says (its deflate stream complete, no bytes
    left over) and match its checksum, so whatever reads the package after this check (python-calamine
    reads it again) meets exactly the bytes checked here."""
    is_xml = not info.filename.lower().endswith((".bin", ".png", ".jpeg", ".jpg", ".gif", ".emf", ".wmf"))
    start = _data_offset(data, info)
    view = memoryview(data)[start:start + info.compress_size]
    declared, total, crc, tail = info.file_size, 0, 0, b""
    codec = _codec()
    kept = bytearray(declared) if keep else None            # filled in place: no second copy of a large part
    pieces: Iterator[bytes | memoryview]
    if info.compress_type == zipfile.ZIP_STORED:
        if info.compress_size != declared:
            raise _lying(info)
        pieces = (view[i:i + _CHUNK] for i in range(0, declared, _CHUNK))
    else:
        pieces = _inflate(view, info, codec)
    for piece in pieces:
        total += len(piece)
        if total > declared:
            raise _lying(info)
        crc = codec.crc32(piece, crc)
        if is_xml and (_declares(piece) or _declares(tail + bytes(piece[:32]))):   # also across pieces
            raise _dtd_refused(info)
        tail = bytes(piece[-32:])
        if kept is not None:
            kept[total - len(piece):total] = piece
    if total != declared or crc != info.CRC:
        raise _refuse("bad_crc", f"the file is damaged: part {info.filename!r} fails its checksum")
    return kept if kept is not None else b""


def _declares(piece: bytes | memoryview) -> bool:
    """Whether the XML declares a DTD or an entity ("<!DOCTYPE", "<!ENTITY", any case). The regex is tried at
    each "!" (found at C speed: a sheet of text has few), not at every "<"; past a few dozen (a sheet of
    formulas, "Record!A9"), one regex search from there does the rest."""
    text = piece if isinstance(piece, bytes) else bytes(piece)       # a stored part's slice
    at = text.find(b"!")
    for _ in range(32):
        if at < 0:
            return False
        if at and text[at - 1] == 0x3C and _DTD.match(text, at - 1):     # "<!"
            return True
        at = text.find(b"!", at + 1)
    return at >= 0 and _DTD.search(text, at - 1) is not None


def _codec() -> Any:
    """What inflates the parts and sums their checksums: ISA-L (``isal``) where it is installed, else zlib.
    Both take the same calls."""
    fast = _isal() if INFLATE_WITH_ISAL else None
    return zlib if fast is None else fast


@functools.cache
def _isal() -> Any:
    """ISA-L's zlib-compatible module, or None where it is not installed (imported with the first workbook
    read, not with this module)."""
    try:
        from isal import isal_zlib
    except ImportError:
        return None
    return isal_zlib


def _inflate(view: memoryview, info: zipfile.ZipInfo, codec: Any) -> Iterator[bytes]:
    """The deflate stream's output (``codec``: zlib or ISA-L), at most ``_CHUNK`` bytes a piece, fed ``_FEED``
    compressed bytes at a time; refused when it ends early, is not deflate, or leaves compressed bytes over."""
    inflater = codec.decompressobj(-zlib.MAX_WBITS)
    pos = 0
    source: bytes | memoryview
    while not inflater.eof:
        if inflater.unconsumed_tail:
            source = inflater.unconsumed_tail
        elif pos < len(view):
            source, pos = view[pos:pos + _FEED], pos + _FEED
        else:
            source = b""                                 # the inflater may still hold output
        try:
            piece = inflater.decompress(source, _CHUNK)
        except codec.error:
            raise _refuse("corrupt_zip", f"the file is damaged: part {info.filename!r} is not a valid deflate "
                          "stream") from None
        if piece:
            yield piece
        elif not source:
            raise _refuse("corrupt_zip", f"the file is damaged: part {info.filename!r} is cut short")
    if inflater.unused_data or pos < len(view):
        raise _refuse("corrupt_zip", f"the file is damaged: part {info.filename!r} has bytes after its end")


def _data_offset(data: bytes, info: zipfile.ZipInfo) -> int:
    """Where the part's compressed bytes begin: after its local header (checked by the layout check)."""
    fields = _LOCAL_HEADER.unpack_from(data, info.header_offset)
    name_length, extra_length = int(fields[9]), int(fields[10])
    return info.header_offset + _LOCAL_HEADER.size + name_length + extra_length


def _lying(info: zipfile.ZipInfo) -> CpdError:
    return _refuse("bad_crc", f"the file is damaged: part {info.filename!r} unpacks to more than the "
                   f"{info.file_size:,} bytes it declares (a sign of a zip bomb)")


def _dtd_refused(info: zipfile.ZipInfo) -> CpdError:
    return _refuse("dtd_not_allowed", f"part {info.filename!r} declares a DTD; workbooks with DTDs or entities "
                   f"are refused")


def _targets(rels_xml: bytes | bytearray) -> dict[str, tuple[str, str]]:
    out = {}
    for m in _REL.finditer(rels_xml):
        attrs = {k.split(b":")[-1].decode(): v.decode("utf-8", "replace") for k, v in _ATTR.findall(m.group(0))}
        if "Id" in attrs and "Target" in attrs:
            out[attrs["Id"]] = (attrs["Target"], attrs.get("Type", ""))
    return out


def _resolve(base_dir: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    parts = [p for p in (base_dir + "/" + target).split("/") if p and p != "."]
    out: list[str] = []
    for p in parts:
        if p == "..":
            if out:
                out.pop()
        else:
            out.append(p)
    return "/".join(out)


def _unescape(text: str) -> str:
    return (text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'")
            .replace("&amp;", "&"))


def inspect_package(data: bytes, limits: Limits = DEFAULT_LIMITS, *, kind: str = "xlsx",
                    filename: str | None = None) -> Package:
    """Check a package and return what the reader needs; CpdError with a stable code otherwise."""
    if len(data) > limits.max_file_bytes:
        raise _refuse("file_too_large", f"the file is {len(data):,} bytes; at most {limits.max_file_bytes:,} allowed")
    sniff(data, filename)
    with failures():
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = _check_names_and_layout(zf, data, limits)
        _check_declared_sizes(infos, limits)
        names = {i.filename: i for i in infos}
        for name in names:
            if _MACRO_NAME.search(name):
                raise _refuse("macros_not_allowed", f"the workbook contains macros ({name}), which are never read "
                              f"or sent. {MACRO_FREE_HOW}")
        if "[Content_Types].xml" not in names:
            kind_of = names.get("mimetype")
            if kind_of is not None and kind_of.file_size < 200 and \
                    _read_part(data, kind_of, True).startswith(b"application/vnd.oasis.opendocument"):
                raise _refuse("opendocument_not_supported", "this is an OpenDocument file (.ods, as LibreOffice "
                              "saves by default), not an Excel workbook: in LibreOffice use File > Save As, type "
                              "'Excel 2007-365 (.xlsx)', and use that file")
            raise _refuse("missing_part", "the package has no [Content_Types].xml: it is not an Office file")
        pkg = Package(data=data, kind=kind, limits=limits)
        content: dict[str, bytes | bytearray] = {}
        keep_names = {"[Content_Types].xml", "_rels/.rels"}
        small = kind == "xlsx" and sum(i.file_size for i in infos) <= STORED_COPY_BYTES
        for info in infos:
            keep = small or info.filename in keep_names or info.filename.endswith((".rels", "workbook.xml"))
            body = _read_part(data, info, keep or "worksheets/" in info.filename
                              or info.filename == "word/document.xml")
            if body:
                content[info.filename] = body
        if _MACRO_TYPE.search(content["[Content_Types].xml"]):
            raise _refuse("macros_not_allowed", f"the workbook is macro-enabled (.xlsm), and macros are never read or "
                          f"sent. {MACRO_FREE_HOW}")
        if kind == "docx":
            if "word/document.xml" not in content:
                raise _refuse("missing_part", "the document has no main part (word/document.xml)")
            pkg.xml["word/document.xml"] = content["word/document.xml"]
            return pkg
        _find_sheets(pkg, content, limits)
        if small:            # every part, as checked: calamine reads them without inflating them again
            pkg.stored = stored_zip((i.orig_filename, content.get(i.filename, b""), i.CRC) for i in infos)
    return pkg


def _find_sheets(pkg: Package, content: dict[str, bytes | bytearray], limits: Limits) -> None:
    root = _targets(content.get("_rels/.rels", b""))
    book = next((_resolve("", t) for t, typ in root.values() if typ.endswith("/officeDocument")), None)
    if not book or book not in content:
        raise _refuse("missing_part", "the package has no workbook part (xl/workbook.xml)")
    book_dir = book.rsplit("/", 1)[0] if "/" in book else ""
    rels = _targets(content.get(f"{book_dir}/_rels/{book.rsplit('/', 1)[-1]}.rels", b""))
    entries = _SHEET_ENTRY.findall(content[book])
    if len(entries) > limits.max_sheets:
        raise _refuse("too_many_sheets", f"the workbook has {len(entries)} sheets; at most {limits.max_sheets} allowed")
    for entry in entries:
        attrs = {k.split(b":")[-1].decode(): _unescape(v.decode("utf-8", "replace")) for k, v in _ATTR.findall(entry)}
        rid = next((v for k, v in attrs.items() if k == "id"), None)
        if not rid or rid not in rels or "name" not in attrs:
            continue
        part = _resolve(book_dir, rels[rid][0])
        if part not in content:
            if "worksheet" in rels[rid][1]:
                raise _refuse("missing_part", f"sheet {attrs['name']!r} has no part ({part})")
            continue
        pkg.sheets[attrs["name"]] = part
        pkg.xml[part] = content[part]


@contextmanager
def failures() -> Iterator[None]:
    """Every exception a parsing stack can raise, as one CpdError with a stable code."""
    try:
        yield
    except CpdError:
        raise
    except MemoryError:
        raise CpdError("too_large", "the workbook needs more memory than allowed to read") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, zipfile.LargeZipFile, struct.error) as exc:
        text = str(exc)
        code = "bad_crc" if "CRC" in text else "corrupt_zip"
        raise CpdError(code, "the file is damaged: " + ("a part fails its checksum" if code == "bad_crc"
                                                        else "it is not a readable zip package")) from None
    except UnicodeDecodeError as exc:
        raise _malformed(exc) from None
    except (KeyError, IndexError, ValueError, TypeError, NotImplementedError, OverflowError, AttributeError,
            RecursionError, OSError) as exc:
        raise CpdError("unreadable_workbook", f"the workbook cannot be read ({type(exc).__name__})") from None
    except Exception as exc:
        if isinstance(exc, _xml_errors()):
            raise _malformed(exc) from None
        raise


def _malformed(exc: Exception) -> CpdError:
    return CpdError("malformed_xml", f"a part of the workbook is not well-formed XML ({type(exc).__name__})")


def _xml_errors() -> tuple[type[Exception], ...]:
    """The errors of the XML parsers in use (one never imported cannot have raised; importing them only to
    name their errors cost every command a millisecond)."""
    found: list[type[Exception]] = []
    if (etree := sys.modules.get("xml.etree.ElementTree")) is not None:
        found.append(etree.ParseError)
    if (expat := sys.modules.get("pyexpat")) is not None:
        found.append(expat.ExpatError)
    return tuple(found)
