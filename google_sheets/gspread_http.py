"""The writes' way to the Sheets API: gspread's HTTP client (on requests and google-auth's session), against
a configurable API root, with the retry policy every call follows (``settings.retrying``).

Loaded only by a write (``--write-back``, the service's sheet writes): a read goes over ``connection``.
Failures leave here as the read's do (``ApiError``, ``Unreachable``, or a CpdError for the credentials),
so the client turns both into the same errors.
"""
from __future__ import annotations

from typing import Any, cast

import gspread
import requests
from google.auth.transport.requests import AuthorizedSession

from .access import Access, Unreachable, auth_errors
from .connection import ApiError
from .settings import CONNECT_TIMEOUT, GOOGLE_API, RETRY_STATUSES, SheetsSettings, retry_after, retrying


class CappedRetryHTTPClient(gspread.HTTPClient):
    """gspread's HTTP client against a configurable API root, with capped, jittered retries."""

    def __init__(self, auth, session=None, *, settings: SheetsSettings, access: Access):
        super().__init__(auth, session)
        self.creds, self.settings, self.access = auth, settings, access
        self.calls = 0                                  # API requests sent, retries included
        self.set_timeout((CONNECT_TIMEOUT, settings.timeout))

    def request(self, method, endpoint, *args, **kwargs):
        if endpoint.startswith(GOOGLE_API) and self.settings.api_url != GOOGLE_API:
            endpoint = self.settings.api_url + endpoint[len(GOOGLE_API):]

        def send():
            self.calls += 1
            try:
                return super(CappedRetryHTTPClient, self).request(method, endpoint, *args, **kwargs)
            finally:
                self.access.noted(self.creds)            # a token google-auth fetched on the way: kept

        try:
            with auth_errors(self.access.who):
                return retrying(self.settings, send, _retryable)
        except gspread.exceptions.APIError as exc:
            raise ApiError(exc.response.status_code) from None
        except (requests.ConnectionError, requests.Timeout):
            raise Unreachable("the Sheets API cannot be reached") from None


def _retryable(exc: Exception) -> tuple[bool, float | None]:
    if isinstance(exc, gspread.exceptions.APIError):
        return exc.response.status_code in RETRY_STATUSES, retry_after(exc.response.headers.get("Retry-After"))
    return isinstance(exc, (requests.ConnectionError, requests.Timeout)), None


def writer(settings: SheetsSettings, access: Access) -> CappedRetryHTTPClient:
    """gspread's HTTP client for the writes, signed in as ``access`` is (its token in hand)."""
    creds: Any = access.credentials()

    class Bound(CappedRetryHTTPClient):                 # gspread makes its client from a class
        def __init__(self, auth, session=None):
            super().__init__(auth, session, settings=settings, access=access)

    client = gspread.Client(creds, session=AuthorizedSession(creds, refresh_timeout=settings.timeout),
                            http_client=Bound)
    return cast(CappedRetryHTTPClient, client.http_client)
