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
