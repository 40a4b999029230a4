"""Evidence files: what a file is (from its bytes), keeping one beside a workbook, the Evidence cell's
entries, and checking that each entry's file is there with the same bytes."""
from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from msgspec import Struct

from ..errors import CpdError

# What evidence may be, by what its bytes say it is -> (the extension it is kept with, how it is named).
EVIDENCE_TYPES = {"pdf": (".pdf", "PDF"), "png": (".png", "PNG image"), "jpeg": (".jpg", "JPEG photo"),
                  "heic": (".heic", "HEIC photo")}
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
_HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"}
_ENTRY = re.compile(r"(?P<path>[^;\n]*?\S)\s+sha256:(?P<digest>[0-9a-fA-F]{64})")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def sniff(data: bytes) -> str | None:
    """What a file is, from its first bytes: pdf, png, jpeg, heic, ics, svg, json, xlsx (a zip), or None."""
    head = data[:4096]
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIC_BRANDS:
        return "heic"
    if stripped[:15].upper() == b"BEGIN:VCALENDAR":
        return "ics"
    if stripped.startswith(b"<svg") or (stripped.startswith(b"<?xml") and b"<svg" in head):
        return "svg"
    if stripped.startswith(b"{") or (stripped.count(b".") == 2 and re.fullmatch(rb"[A-Za-z0-9_.-]+", stripped)):
        return "json"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    return None


def evidence_kind(data: bytes) -> str | None:
    """What an evidence file is, from its bytes (pdf, png, jpeg, heic), or None when it is none of them."""
    kind = sniff(data)
    return kind if kind in EVIDENCE_TYPES else None


def max_bytes() -> int:
    """The largest evidence file kept: CPD_EVIDENCE_MAX_BYTES, 10 MB by default."""
    raw = os.environ.get("CPD_EVIDENCE_MAX_BYTES")
    try:
        return int(raw) if raw else DEFAULT_MAX_BYTES
    except ValueError:
        raise CpdError("bad_option", f"CPD_EVIDENCE_MAX_BYTES must be a number of bytes, found {raw!r}") from None


def read_evidence(path: Path) -> tuple[bytes, str]:
    """A file's bytes and its kind, refused when it is too large or not a kind evidence may be."""
    from ..workbook.reader import read_limited
    limit = max_bytes()
    data = read_limited(path, limit, too_large=lambda size: CpdError(
        "evidence_too_large", f"{path.name} is {size:,} bytes; evidence may be at most {limit:,} bytes "
        f"(CPD_EVIDENCE_MAX_BYTES)"))
    kind = sniff(data)
    if kind not in EVIDENCE_TYPES:
        said = f"its bytes are {kind.upper()}" if kind else "its bytes are none of them"
        raise CpdError("evidence_type_refused", f"{path.name}: evidence may be a PDF, PNG, JPEG or HEIC file, "
                       f"whatever its name says; {said}")
    return data, kind


def evidence_folder(workbook: Path) -> Path:
    """The folder beside a workbook where its evidence is kept: ``log.xlsx`` -> ``log-evidence``."""
    return workbook.with_name(f"{workbook.stem}-evidence")


class EvidenceEntry(Struct, frozen=True):
    path: str                    # as the cell holds it: relative to the workbook's folder, with "/"
    digest: str                  # SHA-256, hex

    def text(self) -> str:
        return f"{self.path} sha256:{self.digest}"


def keep(workbook: Path, source: Path, data: bytes | None = None, kind: str | None = None) -> EvidenceEntry:
    """Copy ``source`` into the workbook's evidence folder (once: the same bytes are kept once) and give the
    entry the Evidence cell holds for it."""
    if data is None or kind is None:
        data, kind = read_evidence(source)
    digest = hashlib.sha256(data).hexdigest()
    folder = evidence_folder(workbook)
    stem = _UNSAFE.sub("-", source.stem).strip("-.")[:60] or "evidence"
    name = f"{stem}-{digest[:8]}{EVIDENCE_TYPES[kind][0]}"
    target = folder / name
    try:
        folder.mkdir(exist_ok=True)
        if not target.exists() or hashlib.sha256(target.read_bytes()).hexdigest() != digest:
            temporary = target.with_name(f".{name}.part")
            temporary.write_bytes(data)
            os.replace(temporary, target)
    except PermissionError:
        raise CpdError("cannot_write", f"cannot write {target}: permission denied") from None
    except OSError as exc:
        raise CpdError("cannot_write", f"cannot write {target}: {exc.strerror or exc}") from None
    return EvidenceEntry(f"{folder.name}/{name}", digest)


def kept_digests(workbook: Path) -> set[str]:
    """The SHA-256 of each file kept in the workbook's evidence folder (from the names ``keep`` gives them,
    each checked against its bytes)."""
    folder = evidence_folder(workbook)
    if not folder.is_dir():
        return set()
    return {_digest(p) for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")}


def entries(cell: str | None) -> list[EvidenceEntry]:
    """The kept files an Evidence cell names (its other text is the member's own)."""
    return [EvidenceEntry(m.group("path").strip(), m.group("digest").lower()) for m in _ENTRY.finditer(cell or "")]


class EvidenceProblem(Struct, frozen=True):
    row: int
    entry: EvidenceEntry
    code: str                     # evidence_missing, evidence_changed, evidence_outside
    message: str


def located(base: Path, entry: EvidenceEntry) -> Path | None:
    """Where an entry's file is, inside the workbook's folder ``base`` (resolved); None when its path leaves
    that folder (such a file is never read)."""
    path = (base / entry.path).resolve()
    return None if Path(entry.path).is_absolute() or not path.is_relative_to(base) else path


def check_entries(workbook: Path, rows: list[tuple[int, str | None]]) -> list[EvidenceProblem]:
    """Each kept file named by the Evidence cells (``(row, cell text)``) that is missing, has other bytes
    than when it was added, or lies outside the workbook's folder (never read)."""
    base = workbook.resolve().parent
    found = []
    for row, cell in rows:
        for entry in entries(cell):
            path = located(base, entry)
            if path is None:
                found.append(EvidenceProblem(row, entry, "evidence_outside", f"row {row}: evidence {entry.path} is "
                                             f"outside the workbook's folder, so it is not read"))
            elif not path.is_file():
                found.append(EvidenceProblem(row, entry, "evidence_missing", f"row {row}: evidence {entry.path} is "
                                             f"missing (keep the folder {evidence_folder(workbook).name} beside the "
                                             f"workbook)"))
            elif _digest(path) != entry.digest:
                found.append(EvidenceProblem(row, entry, "evidence_changed", f"row {row}: evidence {entry.path} has "
                                             f"changed since it was added (its SHA-256 no longer matches)"))
    return found


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1024 * 1024), b""):
            h.update(block)
    return h.hexdigest()
