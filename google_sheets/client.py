"""The Sheets API through gspread, with google-auth service-account credentials.

gspread's own ``BackOffHTTPClient`` retries without end; here 429 and 5xx answers (and lost
connections) are retried a few times with jittered, growing waits inside a time budget, then
given up with ``sheets_rate_limited`` or ``sheets_unavailable``. Every other failure becomes a
``CpdError`` a member can act on: the sheet is not shared (with the address to share it with),
not found, read-only, or the credentials are wrong.
"""
from __future__ import annotations

import json
import os
import random
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import cast

import gspread
import requests
from google.auth.exceptions import GoogleAuthError, RefreshError, TransportError
from google.auth.transport.requests import AuthorizedSession
from google.oauth2 import service_account

from addin import (GRID_FIELDS, SUBMISSION_AREA, CellMap, CpdError, Limits, ValuesSource, block, blocks_needed,
                   gc_paused, quote_title, sheets_source, split_cell, value_ranges)

from .address import sheet_key
from .signin import account_file, user_credentials
from .token_cache import keep, restore, token_file

GOOGLE_API = "https://sheets.googleapis.com"
SCOPES = ("https://www.googleapis.com/auth/spreadsheets",)
RETRY_STATUSES = {429, 500, 502, 503, 504}
SIGNED_IN = "your Google account"        # who reads the sheets after 'cpd sheets login' (no service account)


@dataclass(frozen=True)
class SheetsSettings:
    """Where the Sheets API is, the key file, and how long to keep trying."""

    credentials_file: str | None = None
    account_file: str | None = None   # the member's own Google sign-in (cpd sheets login), when no key is set
    api_url: str = GOOGLE_API
    attempts: int = 6                 # tries of one call, the first included
    retry_budget: float = 20.0        # seconds of waiting between tries of one call, at most
    first_wait: float = 0.5           # the first wait; each later one at most doubles
    timeout: float = 20.0             # seconds for one answer
    token_file: str | None = None     # where the access token is kept between commands (token_cache)

    @classmethod
    def from_env(cls, environ=None) -> "SheetsSettings":
        env = os.environ if environ is None else environ
        return cls(credentials_file=env.get("GOOGLE_APPLICATION_CREDENTIALS") or None,
                   account_file=str(account_file(env)),
                   api_url=(env.get("CPD_GOOGLE_SHEETS_URL") or GOOGLE_API).rstrip("/"),
                   retry_budget=float(env.get("CPD_GOOGLE_SHEETS_RETRY_SECONDS") or cls.retry_budget),
                   token_file=str(token_file(env)))


class CappedRetryHTTPClient(gspread.HTTPClient):
    """gspread's HTTP client against a configurable API root, with capped, jittered retries."""

    def __init__(self, auth, session=None, *, settings: SheetsSettings):
        super().__init__(auth, session)
        self.settings = settings
        self.calls = 0                                  # API requests sent, retries included
        self.set_timeout((5.0, settings.timeout))
        self.creds = auth
        self.kept_token = getattr(auth, "token", None)  # the token kept for the next command (token_cache)

    def request(self, method, endpoint, *args, **kwargs):
        if endpoint.startswith(GOOGLE_API) and self.settings.api_url != GOOGLE_API:
            endpoint = self.settings.api_url + endpoint[len(GOOGLE_API):]
        waited, wait = 0.0, self.settings.first_wait
        error: Exception
        for attempt in range(1, self.settings.attempts + 1):
            self.calls += 1
            try:
                answer = super().request(method, endpoint, *args, **kwargs)
                self._keep_token()
                return answer
            except gspread.exceptions.APIError as exc:
                self._keep_token()
                if exc.response.status_code not in RETRY_STATUSES:
                    raise
                error, pause = exc, _retry_after(exc.response)
            except (requests.ConnectionError, requests.Timeout) as exc:
                error, pause = exc, None
            pause = min(random.uniform(wait / 2, wait) if pause is None else pause,
                        self.settings.retry_budget - waited)
            if attempt == self.settings.attempts or pause <= 0:
                raise error                             # out of tries or out of time: the last answer stands
            time.sleep(pause)
            waited += pause
            wait *= 2
        raise AssertionError("unreachable")

    def _keep_token(self) -> None:
        """Keep a token google-auth has just fetched, for the next command (not when it is the one kept)."""
        token = getattr(self.creds, "token", None)
        if token and token != self.kept_token and self.settings.token_file:
            keep(self.creds, Path(self.settings.token_file))
            self.kept_token = token


def _retry_after(response) -> float | None:
    raw = response.headers.get("Retry-After", "")
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if 0 <= value < 3600 else None


@dataclass
class SheetRead:
    """A Google Sheet's values as a cell source, with what write-back needs to know."""

    key: str
    title: str
    source: ValuesSource
    calls: int = 0
    fetched: dict = field(default_factory=dict)
    sheet_ids: dict = field(default_factory=dict)     # title -> the API's numeric sheetId (for cell notes)


def _with_settings(settings: SheetsSettings) -> type[CappedRetryHTTPClient]:
    """The HTTP client class gspread makes its client from, bound to these settings."""

    class Bound(CappedRetryHTTPClient):
        def __init__(self, auth, session=None):
            super().__init__(auth, session, settings=settings)

    return Bound


class SheetsClient:
    """A service-account session with the Sheets API."""

    def __init__(self, settings: SheetsSettings | None = None, limits: Limits | None = None):
        self.settings = settings or SheetsSettings.from_env()
        self.limits = limits or Limits.from_env()
        user = None
        if not self.settings.credentials_file and self.settings.account_file:
            user = user_credentials(Path(self.settings.account_file))
        if user is not None:
            self.service_email, creds = SIGNED_IN, user
        else:
            self.service_email, creds = _credentials(self.settings.credentials_file)
        if self.settings.token_file:
            restore(creds, Path(self.settings.token_file))     # the last command's token, while it lasts
        session = AuthorizedSession(creds, refresh_timeout=self.settings.timeout)
        self.gc = gspread.Client(creds, session=session, http_client=_with_settings(self.settings))
        self.http = cast(CappedRetryHTTPClient, self.gc.http_client)

    def read(self, sheet: str) -> SheetRead:
        """The sheet's values: two ``spreadsheets.get``, the sheets and their sizes, then the blocks the reader
        needs with their grid data (values and formulas in one answer)."""
        key = sheet_key(sheet)
        before = self.http.calls
        with self._errors(key, writing=False), gc_paused():   # the answer's cells die with the read (collector.py)
            meta = self.http.fetch_sheet_metadata(key, params={
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
            grid = self.http.fetch_sheet_metadata(key, params={"includeGridData": "true", "ranges": ranges,
                                                               "fields": GRID_FIELDS})
            value_list, formula_list = value_ranges(grid, ranges)
            title = str((meta.get("properties") or {}).get("title") or key)
            source = sheets_source(f"Google Sheet '{title}'", value_list, formula_list, self.limits,
                                   unread=[t for t in grids if t not in titles])
        ids = {p["title"]: p.get("sheetId") for p in (s.get("properties") or {} for s in meta.get("sheets") or [])
               if isinstance(p.get("title"), str)}
        return SheetRead(key, title, source, calls=self.http.calls - before,
                         fetched={"values": value_list, "formulas": formula_list},
                         sheet_ids=ids)

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
            self.http.values_batch_update(read.key, {"valueInputOption": "RAW", "data": data})

    def write_values(self, read: SheetRead, sheet: str, values: dict[str, object]) -> None:
        """Write ``{"C12": value}`` into one sheet in one ``values:batchUpdate`` with ``valueInputOption=RAW``
        (text stays text; a date goes as its serial number, shown as the column formats it)."""
        data = [{"range": f"{quote_title(sheet)}!{ref}", "values": [[_raw(v)]]} for ref, v in values.items()]
        with self._errors(read.key, writing=True):
            self.http.values_batch_update(read.key, {"valueInputOption": "RAW", "data": data})

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
                self.http.batch_update(read.key, {"requests": requests_})
        if values:
            self.write_values(read, sheet, values)

    @contextmanager
    def _errors(self, key: str, writing: bool):
        """The Sheets API's and google-auth's failures as CpdErrors a member can act on."""
        try:
            yield
        except CpdError:
            raise
        except Exception as exc:
            raise _translate(exc, writing, self.service_email) from None


def _translate(exc: Exception, writing: bool, email: str) -> CpdError:
    if isinstance(exc, gspread.exceptions.APIError):
        status = exc.response.status_code
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
            return CpdError("sheets_auth_failed", "Google did not accept the service account's token")
        return CpdError("sheets_bad_request", f"Google Sheets refused the request ({status})")
    if isinstance(exc, RefreshError):
        return CpdError("sheets_auth_failed", "Google refused the service account's credentials "
                        "(is the key revoked or the account deleted?)")
    if isinstance(exc, (TransportError, requests.ConnectionError, requests.Timeout)):
        return CpdError("sheets_unavailable", "Google Sheets cannot be reached; try again later")
    if isinstance(exc, (ValueError, KeyError, TypeError, json.JSONDecodeError)):
        return CpdError("sheets_bad_response", "the Sheets API gave an answer that cannot be read")
    if isinstance(exc, GoogleAuthError):
        return CpdError("sheets_auth_failed", "the service account's credentials cannot be used")
    raise exc


def _credentials(path: str | None):
    """(the service account's e-mail, its credentials) from a key file, or a CpdError saying what is wrong."""
    if not path:
        raise CpdError("sheets_no_credentials", "sign in with your Google account ('cpd sheets login'), or set "
                       "GOOGLE_APPLICATION_CREDENTIALS to a service account's key file (JSON); "
                       "docs/google-sheets.md says how")
    try:
        with open(path, encoding="utf-8") as fh:
            info = json.loads(fh.read(64 * 1024))
    except FileNotFoundError:
        raise CpdError("sheets_no_credentials", f"no key file at {path} (GOOGLE_APPLICATION_CREDENTIALS)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        raise CpdError("sheets_bad_credentials", f"{path} is not a service account key file (JSON)") from None
    if not isinstance(info, dict) or info.get("type") != "service_account":
        raise CpdError("sheets_bad_credentials", f"{path} is not a service account key (its type must be "
                       f"'service_account')")
    try:
        creds = service_account.Credentials.from_service_account_info(info, scopes=list(SCOPES))
    except (ValueError, KeyError, TypeError) as exc:
        raise CpdError("sheets_bad_credentials", f"{path}: the key cannot be used ({type(exc).__name__})") from None
    return str(info.get("client_email")), creds


def _raw(value: object) -> object:
    if isinstance(value, datetime):
        return value.strftime("%d %b %Y %H:%M")
    return value if isinstance(value, (str, int, float, bool)) or value is None else str(value)
