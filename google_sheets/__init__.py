"""The Google Sheets adapter: read a member's sheet, check it, write back (gspread), pull it. Its own
package, with no web framework: ``cpd sheets`` uses it on a member's computer, and the service through
these public names.

The member shares their sheet with the service account whose key file
``GOOGLE_APPLICATION_CREDENTIALS`` names, or signs in with their own Google account. A check costs two
API calls whatever the size (the sheets and their sizes, then the blocks the reader needs with values and
formulas), made over the standard library's ``http.client`` (``connection``); the values go through the
same reader as an ``.xlsx`` file (``addin.grid``). Write-back is one ``values:batchUpdate`` with
``valueInputOption=RAW`` through gspread, so text never becomes a formula.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .address import sheet_key

if TYPE_CHECKING:
    from .client import SheetRead, SheetsClient, SheetsSettings

__all__ = ["SheetRead", "SheetsClient", "SheetsSettings", "sheet_key"]


def __getattr__(name: str) -> Any:
    """The client loads when first used, not when ``cpd --help`` lists commands."""
    if name in ("SheetRead", "SheetsClient", "SheetsSettings"):
        from . import client
        return getattr(client, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
