"""The audit pack: one PDF per body for its reviewer, with every evidence file the log keeps.

First what the body reads (its ``[audit_pack] layout``): the record report; or the board's log of
activities (US boards: type, title, sponsor, location, dates, instructor, PDH); or the job summary,
then the plan and the record (ICE, which refuses a pack without a summary of at most 200 words).
Then an index of the evidence (each file with the activity it belongs to and its SHA-256, and the
activities that lack the evidence the body asks for), then each file in row order: a PDF's pages as
they are, an image on a page of its own. Where the body limits an upload's size (the IET: 0.5 MB),
images are made smaller step by step, then the report's charts and detail, then files are left out,
and the index says which. Every file is treated as hostile: a PDF that cannot be read, an image that
cannot be decoded or a HEIC photo is listed, not placed, and is in the ``--zip`` pack as it is.
"""
from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path
from typing import Any

from msgspec import Struct
from msgspec.structs import replace

from ..errors import CpdError
from ..evidence import EvidenceEntry, entries, located, sniff
from ..model import Record
from ..profile import Profile
from ..readiness import Readiness
from ..readiness.criteria import fmt_hours
from ..readiness.totals import hours_in, in_period
from ..values import count
from .data import ReportData, _dates
from .render import STEPS, ReportTooLarge, _env, report_pdf, weasyprint_html

MAX_PAGES_A_FILE = 60                     # a certificate is a page or two; a longer PDF is placed this far
IMAGE_STEPS = ((1600, 85), (1000, 70), (700, 55), (500, 45))      # longest side in pixels, JPEG quality


class PackFile(Struct):
    """An evidence file the Evidence cells name, and what became of it."""

    row: int
    title: str
    entry: EvidenceEntry
    state: str                     # kept, missing, changed, outside
    data: bytes | None = None
    kind: str | None = None
    placed: str = ""               # why it is not in the PDF, when it is not

    @property
    def name(self) -> str:
        return self.entry.path.rsplit("/", 1)[-1]


def evidence_files(workbook: Path, record: Record) -> list[PackFile]:
    """Every file the period's activities name as evidence, in row order, read and checked against its hash."""
    base = workbook.resolve().parent
    found = []
    for a in sorted(record.activities, key=lambda a: a.row):
        if not in_period(a, record.period):
            continue
        title = a.title or "(no title)"
        for entry in entries(a.evidence):
            path = located(base, entry)
            if path is None:
                found.append(PackFile(a.row, title, entry, "outside"))
            else:
                found.append(kept_file(a.row, title, entry.path, entry.digest,
                                       path.read_bytes() if path.is_file() else None))
    return found


_WHERE = {"missing": "MISSING: not found where it was kept", "changed": "CHANGED since it was added (its SHA-256 "
          "no longer matches): not placed", "outside": "outside the workbook's folder: not read"}


def _ours(parts: list[dict[str, Any]], images: list[bytes]) -> list[list[Any]]:
    """Our pages (a log, a job summary, the index, each image with its caption), laid out as one document
    (WeasyPrint's set-up is paid once), and split back into each part's pypdf pages. WeasyPrint fetches
    nothing but ``images`` (JPEG bytes, named evidence:N in the page: no address, no file, and no megabytes
    of base64 for its HTML parser to read)."""
    from pypdf import PdfReader
    HTML = weasyprint_html()
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class Evidence(URLFetcher):            # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            n = url[9:] if url.startswith("evidence:") else ""
            if n.isdigit() and int(n) < len(images):
                return URLFetcherResponse(url, body=images[int(n)], headers={"Content-Type": "image/jpeg"})
            raise ValueError(f"the pack fetches nothing: {url[:40]}")

    html = _env().get_template("audit.html.j2").render(parts=parts)
    document = HTML(string=html, url_fetcher=Evidence(allowed_protocols=set(), allow_redirects=False)).render()
    starts: dict[int, int] = {}
    for n, page in enumerate(document.pages):
        for anchor in page.anchors:
            if anchor.startswith("part-"):
                starts.setdefault(int(anchor[5:]), n)
    pages = list(PdfReader(io.BytesIO(document.write_pdf())).pages)
    if sorted(starts) != list(range(len(parts))):
        raise CpdError("pack_layout", "the audit pack's pages could not be told apart")
    bounds = [starts[k] for k in range(len(parts))] + [len(pages)]
    return [pages[bounds[k]:bounds[k + 1]] for k in range(len(parts))]


def _readable_image(pf: PackFile) -> bool:
    """Whether an image file can be decoded (Pillow's check, without drawing it); if not, why is noted."""
    from PIL import Image
    try:
        with Image.open(io.BytesIO(pf.data or b"")) as img:
            img.verify()
        return True
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        pf.placed = f"an image that cannot be read ({type(exc).__name__}): not placed"
        return False


def _jpeg(pf: PackFile, side: int, quality: int) -> bytes:
    """An image as JPEG, at most ``side`` pixels on its longest side (a JPEG photo that is already is placed as
    it is, unconverted)."""
    from PIL import Image
    with Image.open(io.BytesIO(pf.data or b"")) as img:
        if pf.kind == "jpeg" and max(img.size) <= side and img.mode in ("RGB", "L"):
            return pf.data or b""
        img.draft("RGB", (side, side))
        shown = img.convert("RGB")
    shown.thumbnail((side, side))
    buf = io.BytesIO()
    shown.save(buf, "JPEG", quality=quality, optimize=True)
    return buf.getvalue()


def _pdf_pages(pf: PackFile) -> list[Any] | None:
    """A PDF file's pages as they are (at most MAX_PAGES_A_FILE), written apart first so that a file pypdf
    cannot read whole is listed, not placed; None then."""
    import logging

    from pypdf import PdfReader, PdfWriter
    from pypdf.errors import PyPdfError
    logging.getLogger("pypdf").setLevel(logging.ERROR)       # a damaged file is said in the index, not on stderr
    try:
        reader = PdfReader(io.BytesIO(pf.data or b""), strict=False)
        if reader.is_encrypted:
            pf.placed = "a password-protected PDF: not placed"
            return None
        writer = PdfWriter()
        for page in list(reader.pages)[:MAX_PAGES_A_FILE]:
            writer.add_page(page)
        if not writer.pages:
            pf.placed = "a PDF that cannot be read (no pages): not placed"
            return None
        out = io.BytesIO()
        writer.write(out)
        return list(PdfReader(io.BytesIO(out.getvalue())).pages)
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError, OSError) as exc:
        pf.placed = f"a PDF that cannot be read ({type(exc).__name__}): not placed"
        return None


def _first_parts(record: Record, profile: Profile, readiness: Readiness, data: ReportData) -> list[dict[str, Any]]:
    """Our pages that come before the index: a US board's log, or ICE's job summary."""
    layout = profile.audit_pack.layout
    who = record.member.name or "member"
    if layout == "log":
        log = [{"type": data_label(profile, a.category), "title": a.title or "", "sponsor": a.provider or "",
                "location": a.location or "", "dates": _dates(a), "instructor": a.instructor or "",
                "hours": fmt_hours(hours_in(a, record.period)) if a.hours is not None else ""}
               for a in sorted(readiness.totals.activities, key=lambda a: (a.start_date, a.row))]
        return [{"part": "log", "member": who, "body": profile.name, "period": str(record.period), "log": log,
                 "unit": profile.unit, "total": fmt_hours(readiness.counted_hours), "hours_line": data.hours_line}]
    if layout == "plan_record_summary":
        summary = record.member.job_summary or ""
        return [{"part": "summary", "member": who, "period": str(record.period), "summary": summary,
                 "words": len(summary.split()), "max_words": _max_words(profile)}]
    return []


def _max_words(profile: Profile) -> int:
    return next((int(c.params["max_words"]) for c in profile.criteria if c.kind == "job_summary"), 200)


def data_label(profile: Profile, category: str | None) -> str:
    return next((t.label for t in profile.categories if t.id == category), "")


def require_job_summary(record: Record, profile: Profile) -> None:
    """ICE's pack needs the job summary: CpdError when it is missing or longer than the body allows."""
    if profile.audit_pack.layout != "plan_record_summary":
        return
    limit = _max_words(profile)
    summary = (record.member.job_summary or "").strip()
    if not summary:
        raise CpdError("job_summary_missing", f"{profile.short_name}'s pack is the plan, the record and a job summary "
                       f"of at most {limit} words: write it in 'Job summary' above the activities")
    words = len(summary.split())
    if words > limit:
        raise CpdError("job_summary_too_long", f"the job summary has {words} words; {profile.short_name} asks for at "
                       f"most {limit}: shorten it")


def _merge(parts: list[Any], smallest: bool = False) -> bytes:
    """One PDF of ``parts``: PDF bytes, or lists of pypdf pages; ``smallest``: objects that are the same (a
    font each certificate embeds) kept once, where the size is limited."""
    from pypdf import PdfReader, PdfWriter
    writer = PdfWriter()
    for part in parts:
        pages = PdfReader(io.BytesIO(part)).pages if isinstance(part, bytes) else part
        for page in pages:
            writer.add_page(page)
    if smallest:
        writer.compress_identical_objects()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def kept_file(row: int, title: str, name: str, digest: str, data: bytes | None) -> PackFile:
    """An evidence file (beside the workbook, or in the service's evidence store; None: not there): its bytes,
    checked against its SHA-256."""
    import hashlib
    pf = PackFile(row, title, EvidenceEntry(name, digest), "missing" if data is None else "kept")
    if data is not None and hashlib.sha256(data).hexdigest() != digest:
        pf.state = "changed"
    elif data is not None:
        pf.data, pf.kind = data, sniff(data)
    return pf


def audit_pack(files: list[PackFile], record: Record, profile: Profile, readiness: Readiness, data: ReportData, *,
               max_bytes: int | None = None) -> tuple[bytes, list[str], list[PackFile]]:
    """The pack's PDF, what fitting it under ``max_bytes`` (else the body's own limit) left out, and the files
    (``evidence_files`` of a workbook's folder, or ``kept_file`` each from a store), in row order."""
    require_job_summary(record, profile)
    limit = max_bytes if max_bytes is not None else profile.audit_pack.max_bytes
    lacking_rows = next((c.rows for c in readiness.criteria if c.kind == "evidence" and c.status != "pass"), ())
    by_row = {a.row: a for a in record.activities}
    lacking = [{"row": r, "title": by_row[r].title or "", "dates": _dates(by_row[r]),
                "hours": fmt_hours(hours_in(by_row[r], record.period))} for r in lacking_rows if r in by_row]
    pages: dict[int, list[Any]] = {}          # each placeable PDF's pages, read once (the index says which are not)
    for i, pf in enumerate(files):
        if pf.state != "kept":
            pf.placed = _WHERE[pf.state]
        elif pf.kind == "heic":
            pf.placed = "a HEIC photo, which a PDF cannot show: in the --zip pack as it is"
        elif pf.kind == "pdf":
            found = _pdf_pages(pf)
            if found is not None:
                pages[i] = found
        elif pf.kind in ("png", "jpeg"):
            _readable_image(pf)
        else:
            pf.placed = "not a PDF or an image: in the --zip pack as it is"
    first = _first_parts(record, profile, readiness, data)
    with_report = profile.audit_pack.layout != "log"
    pdf, dropped = b"", list[str]()
    left_out: list[PackFile] = []
    placeable = [pf for pf in files if not pf.placed]
    for step in range(len(IMAGE_STEPS) + len(placeable)):
        side, quality = IMAGE_STEPS[min(step, len(IMAGE_STEPS) - 1)]
        gave_up, dpi, with_charts, audience = STEPS[min(step, len(STEPS) - 1)]
        dropped = ([f"images at most {side} pixels"] if step else []) + list(gave_up if with_report else ()) + [
            f"{pf.name} (row {pf.row})" for pf in left_out]
        shown = [(i, pf) for i, pf in enumerate(files) if not pf.placed and pf not in left_out]
        images = [(i, pf) for i, pf in shown if pf.kind != "pdf"]
        index = {"part": "index", "member": record.member.name or "member", "body": profile.short_name,
                 "period": str(record.period), "lacking": lacking, "unit": profile.unit, "dropped": dropped,
                 "limit": f"{limit / 1e6:g} MB" if limit else "",
                 "files": [{"row": pf.row, "title": pf.title, "name": pf.name, "digest": pf.entry.digest,
                            "where": ("left out to stay under the size" if pf in left_out else pf.placed or "follows"),
                            "problem": bool(pf.placed or pf in left_out)} for pf in files]}
        captions = [{"part": "image", "row": pf.row, "title": pf.title, "name": pf.name, "digest": pf.entry.digest,
                     "src": f"evidence:{n}"} for n, (_, pf) in enumerate(images)]
        split = _ours([*first, index, *captions], [_jpeg(pf, side, quality) for _, pf in images])
        ordered: list[Any] = list(split[:len(first)])
        if with_report:
            shown_report = replace(data, audience=audience or data.audience, dropped=list(gave_up))
            ordered.append(report_pdf(shown_report, dpi=dpi, with_charts=with_charts))
        ordered.append(split[len(first)])
        image_pages = dict(zip([i for i, _ in images], split[len(first) + 1:]))
        ordered += [pages[i] if pf.kind == "pdf" else image_pages[i] for i, pf in shown]
        pdf = _merge(ordered, smallest=limit is not None)
        if limit is None or len(pdf) <= limit:
            for pf in left_out:
                pf.placed = "left out to stay under the size"
            return pdf, dropped, files
        if step >= len(IMAGE_STEPS) - 1:
            remaining = [pf for pf in placeable if pf not in left_out]
            if not remaining:
                break
            left_out.append(max(remaining, key=lambda pf: len(pf.data or b"")))
    raise ReportTooLarge("report_too_large", f"the pack is {len(pdf) / 1e6:.2f} MB even with every evidence file "
                         f"and the report's detail left out, over the {(limit or 0) / 1e6:.2f} MB asked for")


def audit_zip(pdf: bytes, files: list[PackFile]) -> bytes:
    """The pack as a zip: the PDF, an index (CSV) and each evidence file as it is."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("pack.pdf", pdf)
        rows = io.StringIO()
        writer = csv.writer(rows)
        writer.writerow(["row", "activity", "file", "sha256", "state"])
        for pf in files:
            writer.writerow([pf.row, pf.title, pf.name, pf.entry.digest, pf.state])
            if pf.data is not None:
                zf.writestr(f"evidence/row-{pf.row}-{pf.name}", pf.data)
        zf.writestr("index.csv", rows.getvalue())
    return out.getvalue()


def pack_summary(files: list[PackFile], dropped: list[str]) -> str:
    placed = [pf for pf in files if not pf.placed]
    return (f"{count(len(placed), 'evidence file')} placed"
            + (f", {count(len(files) - len(placed), 'file')} listed only" if len(placed) < len(files) else "")
            + (f"; left out to fit: {'; '.join(dropped)}" if dropped else ""))
