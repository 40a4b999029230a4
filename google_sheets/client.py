"""The Sheets API for ``cpd sheets`` and the service: read a member's sheet, write back into it.

A read (every check) is two ``spreadsheets.get`` over one connection of the standard library's
``http.client`` (``connection``), with the token the last command kept (``access``), so that a check loads
neither gspread nor google-auth; writes go through gspread (``gspread_http``). Both follow one retry policy
(``settings``), and every failure becomes a ``CpdError`` a member can act on: the sheet is not shared (with
the address to share it with), not found, read-only, Google is limiting or not answering, or the
credentials are wrong.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

import msgspec

from addin import (GRID_FIELDS, SUBMISSION_AREA, CellMap, CpdError, Limits, ValuesSource, block, blocks_needed,
                   gc_paused, quote_title, sheets_source, split_cell, value_ranges)

from .access import SIGNED_IN, Access, Unreachable, identity
from .address import sheet_key
from .connection import ApiError, Connection
from .settings import CONNECT_TIMEOUT, RETRY_STATUSES, SheetsSettings, retry_after, retrying

if TYPE_CHECKING:
    from .gspread_http import CappedRetryHTTPClient

__all__ = ["SheetRead", "SheetsClient", "SheetsSettings"]


class SheetRead(msgspec.Struct, kw_only=True):
    """A Google Sheet's values as a cell source, with what write-back needs to know."""

    key: str
    title: str
    source: ValuesSource
    calls: int = 0
    fetched: dict = msgspec.field(default_factory=dict)
    sheet_ids: dict = msgspec.field(default_factory=dict)    # title -> the API's numeric sheetId (for cell notes)


class SheetsClient:
    """A session with the Sheets API as the service account, or as the member signed in."""

    def __init__(self, settings: SheetsSettings | None = None, limits: Limits | None = None):
        self.settings = settings or SheetsSettings.from_env()
        self.limits = limits or Limits.from_env()
        who = identity(self.settings.credentials_file, self.settings.account_file)
        self.service_email = who.email
        self.access = Access(who, self.settings.token_file, self.settings.timeout)
        self.calls = 0                                   # API requests a read sent, retries included
        self._writer: CappedRetryHTTPClient | None = None

    def read(self, sheet: str) -> SheetRead:
        """The sheet's values: two ``spreadsheets.get``, the sheets and their sizes, then the blocks the reader
        needs with their grid data (values and formulas in one answer)."""
        key = sheet_key(sheet)
        before = self.calls
        with self._errors(key, writing=False), gc_paused(), self._connection() as api:
            # the answer's cells die with the read (collector.py)
            meta = self._get(api, key, {
                "includeGridData": "false",
                "fields": "properties.title,"
                          "sheets.properties(sheetId,title,sheetType,gridProperties(rowCount,columnCount))"})
            grids = {p["title"]: p.get("gridProperties") or {}
                     for p in (s.get("properties") or {} for s in meta.get("sheets") or [])
                     if p.get("sheetType", "GRID") == "GRID" and isinstance(p.get("title"), str)}
            if len(grids) > self.limits.max_sheets:
                raise CpdError("too_many_sheets", f"the spreadsheet has {len(grids)} sheets; at most "
                               f"{self.limits.max_sheets} allowed")
            titles = blocks_needed(list(grids))
            if not titles:
                raise CpdError("no_record_sheet", "the spreadsheet has no sheets of cells")
            ranges = [block(t, int(grids[t].get("rowCount") or 1), int(grids[t].get("columnCount") or 1),
                            self.limits) for t in titles]
            grid = self._get(api, key, {"includeGridData": "true", "ranges": ranges, "fields": GRID_FIELDS})
            value_list, formula_list = value_ranges(grid, ranges)
            title = str((meta.get("properties") or {}).get("title") or key)
            source = sheets_source(f"Google Sheet '{title}'", value_list, formula_list, self.limits,
                                   unread=[t for t in grids if t not in titles])
        ids = {p["title"]: p.get("sheetId") for p in (s.get("properties") or {} for s in meta.get("sheets") or [])
               if isinstance(p.get("title"), str)}
        return SheetRead(key=key, title=title, source=source, calls=self.calls - before,
                         fetched={"values": value_list, "formulas": formula_list},
                         sheet_ids=ids)

    def _connection(self) -> Connection:
        try:
            return Connection(self.settings.api_url, CONNECT_TIMEOUT, self.settings.timeout)
        except ValueError:
            raise CpdError("bad_setting", f"CPD_GOOGLE_SHEETS_URL: {self.settings.api_url!r} is not an http(s) "
                           "address") from None

    def _get(self, api: Connection, key: str, params: dict[str, Any]) -> Any:
        """``spreadsheets.get`` of ``key``, tried as the policy says; a token the API refuses is renewed once."""
        renewed = False

        def send() -> Any:
            nonlocal renewed
            self.calls += 1
            try:
                return api.get(f"/v4/spreadsheets/{key}", params, self.access.token())
            except ApiError as exc:
                if exc.status != 401 or renewed:
                    raise
            renewed = True                              # revoked or expired early: a new token, asked once
            token = self.access.refresh()
            self.calls += 1
            return api.get(f"/v4/spreadsheets/{key}", params, token)

        return retrying(self.settings, send, _retryable)

    def _writes(self) -> CappedRetryHTTPClient:
        """gspread's HTTP client, loaded by the first write."""
        if self._writer is None:
            from .gspread_http import writer
            self._writer = writer(self.settings, self.access)
        return self._writer

    def write_back(self, read: SheetRead, values: dict[str, object], where: CellMap) -> None:
        """Write ``{submission-area field: value}`` into the cells ``where`` names (the Submission area the
        reader found), in one ``values:batchUpdate`` with ``valueInputOption=RAW``: text stays text."""
        if where.sheet is None or any(f not in where.labels for f in values):
            raise CpdError("sheets_no_submission_area", f"{where.sheet}: no Submission area to write to (the "
                           f"template's labels {', '.join(repr(label) for _, label, _ in SUBMISSION_AREA)})",
                           sheet=where.sheet)
        data = [{"range": f"{quote_title(where.sheet)}!{where.labels[f]}", "values": [[_raw(v)]]}
                for f, v in values.items()]
        with self._errors(read.key, writing=True):
            self._writes().values_batch_update(read.key, {"valueInputOption": "RAW", "data": data})

    def write_values(self, read: SheetRead, sheet: str, values: dict[str, object]) -> None:
        """Write ``{"C12": value}`` into one sheet in one ``values:batchUpdate`` with ``valueInputOption=RAW``
        (text stays text; a date goes as its serial number, shown as the column formats it)."""
        data = [{"range": f"{quote_title(sheet)}!{ref}", "values": [[_raw(v)]]} for ref, v in values.items()]
        with self._errors(read.key, writing=True):
            self._writes().values_batch_update(read.key, {"valueInputOption": "RAW", "data": data})

    def write_notes(self, read: SheetRead, sheet: str, notes: dict[str, str], values: dict[str, object]) -> None:
        """Set cell notes (``{"N12": text}``, "" clears one) in one ``spreadsheets.batchUpdate``, and write
        ``{"P12": value}`` in one ``values:batchUpdate`` with ``valueInputOption=RAW`` (text stays text)."""
        sheet_id = read.sheet_ids.get(sheet)
        if sheet_id is None:
            raise CpdError("sheets_bad_response", f"the Sheets API did not say which sheet '{sheet}' is")
        requests_ = []
        for ref, text in notes.items():
            col, row = split_cell(ref)
            requests_.append({"updateCells": {
                "range": {"sheetId": sheet_id, "startRowIndex": row - 1, "endRowIndex": row,
                          "startColumnIndex": col, "endColumnIndex": col + 1},
                "rows": [{"values": [{"note": text}]}], "fields": "note"}})
        with self._errors(read.key, writing=True):
            if requests_:
                self._writes().batch_update(read.key, {"requests": requests_})
        if values:
            self.write_values(read, sheet, values)

    @contextmanager
    def _errors(self, key: str, writing: bool):
        """The Sheets API's failures as CpdErrors a member can act on."""
        try:
            yield
        except CpdError:
            raise
        except ApiError as exc:
            raise _refusal(exc.status, writing, self.service_email) from None
        except Unreachable:
            raise CpdError("sheets_unavailable", "Google Sheets cannot be reached; try again later") from None
        except (ValueError, KeyError, TypeError, msgspec.DecodeError):
            raise CpdError("sheets_bad_response", "the Sheets API gave an answer that cannot be read") from None


def _retryable(exc: Exception) -> tuple[bool, float | None]:
    if isinstance(exc, ApiError):
        return exc.status in RETRY_STATUSES, retry_after(exc.retry_after)
    return isinstance(exc, Unreachable), None


def _refusal(status: int, writing: bool, email: str) -> CpdError:
    if status == 403:
        if email == SIGNED_IN:
            return CpdError("sheets_not_shared", "the Google account you signed in with cannot "
                            f"{'edit' if writing else 'open'} this sheet: sign in with one that can "
                            "('cpd sheets login'), or ask its owner to share it with you")
        if writing:
            return CpdError("sheets_read_only", f"the sheet is shared with {email} as a viewer: "
                            "share it with that address as an editor to have the check written back into it")
        return CpdError("sheets_not_shared", f"the sheet is not shared with the CPD service: share it with "
                        f"{email} (Viewer is enough to check; Editor to write back) and try again")
    if status == 404:
        return CpdError("sheets_not_found", "no Google Sheet has that address; check it and try again")
    if status == 429:
        return CpdError("sheets_rate_limited", "Google Sheets is limiting requests (quota exceeded); "
                        "try again in a minute")
    if status >= 500:
        return CpdError("sheets_unavailable", f"Google Sheets is not answering ({status}); try again later")
    if status == 401:
        if email == SIGNED_IN:
            return CpdError("sheets_auth_failed", "Google did not accept your sign-in's token: run 'cpd sheets "
                            "login' again")
        return CpdError("sheets_auth_failed", "Google did not accept the service account's token")
    return CpdError("sheets_bad_request", f"Google Sheets refused the request ({status})")


def _raw(value: object) -> object:
    if isinstance(value, datetime):
        return value.strftime("%d %b %Y %H:%M")
    return value if isinstance(value, (str, int, float, bool)) or value is None else str(value)
