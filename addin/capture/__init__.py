"""Capturing activities without typing them: drafts from a calendar (.ics), PDF certificates and Open Badges.

``capture_files`` reads each file as what its bytes say it is (never its name) and gives one draft per
attended event or certificate, each with what its source states and a list of what it does not. Drafts
go into the workbook with Status Draft (``cpd capture``): shown with what they would add, counted nowhere
until the member confirms them. Capturing the same files again adds nothing: an event or certificate
already in the log (the same start day and title, or the same certificate file kept as evidence) is
left out and counted as such.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Iterable, Sequence
from functools import partial
from datetime import tzinfo
from pathlib import Path

from msgspec import field

from ..errors import CpdError
from ..evidence import entries, max_bytes, sniff
from ..model import Record
from ..profile import Profile
from .badges import badge_json, baked, from_badge
from .calendar import capture_calendar
from .certificate import from_text, pdf_text
from .found import Capture, Found, key

__all__ = ["Capture", "CaptureRun", "Found", "capture_data", "capture_files", "certificate_fields", "placed"]


class CaptureRun(Capture):
    """What capturing files gave, with each file that could not be read and why."""

    unread: list[CpdError] = field(default_factory=list)


def _bytes(path: Path) -> bytes:
    from ..workbook.reader import read_limited
    limit = max(max_bytes(), 20 * 1024 * 1024)          # a year's calendar export may be larger than a certificate
    return read_limited(path, limit, too_large=lambda size: CpdError(
        "file_too_large", f"{path.name} is {size:,} bytes; at most {limit:,} are read"))


def capture_files(paths: Sequence[Path], record: Record, profile: Profile, *, match: Iterable[str] = (),
                  calendars: Iterable[str] = (), me: str | None = None, zone: tzinfo | None = None,
                  kept: Iterable[str] = ()) -> CaptureRun:
    """The drafts ``paths`` give for ``record`` (its period; what it already holds is left out, and a
    certificate whose SHA-256 is in ``kept``: a file already kept beside the workbook)."""
    return _capture([(p, partial(_bytes, p)) for p in paths], record, profile, match=match, calendars=calendars,
                    me=me, zone=zone, kept=kept)


def capture_data(files: Sequence[tuple[str, bytes]], record: Record, profile: Profile, *, match: Iterable[str] = (),
                 calendars: Iterable[str] = (), me: str | None = None, zone: tzinfo | None = None,
                 kept: Iterable[str] = ()) -> CaptureRun:
    """``capture_files`` for files already in memory ((name, bytes): an upload to the service); a draft's
    ``evidence`` is then its file's name, whose bytes the caller has."""
    return _capture([(Path(name), partial(bytes, data)) for name, data in files], record, profile, match=match,
                    calendars=calendars, me=me, zone=zone, kept=kept)


def _capture(sources: Sequence[tuple[Path, Callable[[], bytes]]], record: Record, profile: Profile, *,
             match: Iterable[str], calendars: Iterable[str], me: str | None, zone: tzinfo | None,
             kept: Iterable[str]) -> CaptureRun:
    run = CaptureRun()
    held = record.every_activity
    known: set[tuple[object, str]] = {key(a.start_date, a.title) for a in held}
    kept = {e.digest for a in held for e in entries(a.evidence)} | set(kept)
    match, calendars = list(match), list(calendars)
    for path, load in sources:
        try:
            data = load()
            kind = sniff(data)
            if kind == "ics":
                capture_calendar(data, path.name, record.period, profile, known=known, match=match,
                                 calendars=calendars, me=me, zone=zone, into=run)
                known |= {key(f.values.get("start_date"), f.values.get("title")) for f in run.found}  # type: ignore[arg-type]
                continue
            digest = hashlib.sha256(data).hexdigest()
            if digest in kept:
                run.leave_out("already in the log")
                continue
            found = _certificate(data, kind, path, profile)
            k = key(found.values.get("start_date"), found.values.get("title"))  # type: ignore[arg-type]
            if found.values.get("title") and k in known:
                run.leave_out("already in the log")
                continue
            known.add(k)
            kept.add(digest)
            start = found.values.get("start_date")
            if start is not None and not record.period.overlap_days(start, start):           # type: ignore[arg-type]
                found.notes.append(f"dated outside the period under review ({record.period})")
            run.found.append(found)
        except CpdError as err:
            run.unread.append(CpdError(err.code, err.message if path.name in err.message
                                       else f"{path.name}: {err.message}"))
    run.found.sort(key=lambda f: (f.values.get("start_date") is None, f.values.get("start_date") or 0))
    return run


def _certificate(data: bytes, kind: str | None, path: Path, profile: Profile) -> Found:
    if kind == "pdf":
        return from_text(pdf_text(data, path.name), path.name, profile, evidence=path)
    if kind in ("png", "svg"):
        badge = baked(data, kind, path.name)
        if badge is None:
            what = "an image" if kind == "png" else "an SVG image"
            raise CpdError("capture_unsupported", f"{path.name} is {what} with no Open Badge baked in, and its text "
                           f"cannot be read here: keep it as evidence with 'cpd evidence add'")
        return from_badge(badge, path.name, profile, evidence=path if kind == "png" else None)
    if kind == "json":
        return from_badge(badge_json(data, path.name), path.name, profile, evidence=None)
    said = {"jpeg": "a JPEG photo", "heic": "a HEIC photo", "zip": "a zip package (a workbook?)"}.get(kind or "", "")
    raise CpdError("capture_unsupported", f"{path.name} is {said or 'not a file capture reads'}: capture reads "
                   f"calendars (.ics), PDF certificates and Open Badges (JSON, or baked into PNG or SVG)"
                   + ("; keep a photo as evidence with 'cpd evidence add'" if kind in ("jpeg", "heic") else ""))


def certificate_fields(data: bytes, name: str, profile: Profile) -> Found:
    """What one certificate (a PDF, a badge) states, for a form to be filled from (the phone page): CpdError
    when it is none of what capture reads."""
    return _certificate(data, sniff(data), Path(name), profile)


def placed(found: Found, columns: Collection[str]) -> dict[str, object]:
    """A draft's cells for a table with ``columns``: what has no column of its own (a location, an
    instructor, topics) is said in its Notes, so nothing the source stated is lost."""
    row = found.row()
    extra = []
    for fld, label in (("provider", "Provider"), ("location", "Location"), ("instructor", "Instructor"),
                       ("topics", "Topics"), ("end_date", "Ends")):
        if fld in row and fld not in columns:
            value = row.pop(fld)
            extra.append(f"{label}: {value}")
    if extra:
        row["description"] = f"{row['description']}; {'; '.join(extra)}"
    return row
