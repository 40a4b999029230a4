"""A Google Sheet named as a member names it: the address the browser shows, or its key."""
from __future__ import annotations

import re

from addin import CpdError

_URL = re.compile(r"^https://docs\.google\.com/spreadsheets/(?:u/\d+/)?d/([A-Za-z0-9_-]{20,100})(?:[/?#].*)?$")
_KEY = re.compile(r"^[A-Za-z0-9_-]{20,100}$")


def sheet_key(sheet: str) -> str:
    """The spreadsheet key of ``https://docs.google.com/spreadsheets/d/KEY/edit#gid=0``, or of KEY itself."""
    text = (sheet or "").strip()
    m = _URL.match(text)
    if m:
        return m.group(1)
    if _KEY.match(text):
        return text
    raise CpdError("sheets_bad_address", "give the Google Sheet's address as the browser shows it "
                   "(https://docs.google.com/spreadsheets/d/.../edit) or its key")
