"""Google Sheets: read a member's sheet with gspread (and google-auth), check it, write back, pull it.

The member shares their sheet with the service account whose key file
``GOOGLE_APPLICATION_CREDENTIALS`` names. A check costs three API calls whatever the size
(the sheet list, then the blocks the reader needs as values and as formulas); the values go
through the same reader as an ``.xlsx`` file (``addin.grid``). Write-back is one
``values:batchUpdate`` with ``valueInputOption=RAW``, so text never becomes a formula.
"""
from .address import sheet_key
from .client import SheetsClient, SheetsSettings

__all__ = ["SheetsClient", "SheetsSettings", "sheet_key"]
