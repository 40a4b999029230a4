"""Files the API and the pages send alike."""
from __future__ import annotations

import io

from flask import send_file

from addin import XLSX_CONTENT_TYPE

from .store.mentoring import Access


def workbook_download(acc: Access, data: bytes):
    """A record's workbook (with its mentors' notes) as a file download."""
    return send_file(io.BytesIO(data), as_attachment=True, download_name=f"cpd-record-{acc.record.public_id}.xlsx",
                     mimetype=XLSX_CONTENT_TYPE)


EVIDENCE_TYPES = {"pdf": "application/pdf", "png": "image/png", "jpeg": "image/jpeg", "heic": "image/heic"}


def evidence_download(kind: str, filename: str, data: bytes):
    """An evidence file as a download, never shown in the service's own pages: it comes from a member, and a
    PDF or an image could hold anything."""
    res = send_file(io.BytesIO(data), as_attachment=True, download_name=filename, mimetype=EVIDENCE_TYPES[kind])
    res.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    res.headers["X-Content-Type-Options"] = "nosniff"
    return res
