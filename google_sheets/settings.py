"""Where the Sheets API is, whose key or sign-in reads, and how long one call is tried: the settings, and the
retry policy every call follows (a read over ``connection``, a write through gspread).

429 and 5xx answers (and lost connections) are retried a few times with jittered, growing waits inside
a time budget, an answer's ``Retry-After`` honoured; then the last failure stands, and the client turns it
into ``sheets_rate_limited`` or ``sheets_unavailable``. gspread's own ``BackOffHTTPClient`` would retry
without end.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TypeVar

import msgspec

from .signin import account_file
from .token_cache import token_file

GOOGLE_API = "https://sheets.googleapis.com"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
CONNECT_TIMEOUT = 5.0            # seconds to connect, before an answer's own timeout starts
RETRY_BUDGET = 20.0              # seconds of waiting between tries of one call, at most (the default)

T = TypeVar("T")


class SheetsSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Where the Sheets API is, the key file, and how long to keep trying."""

    credentials_file: str | None = None
    account_file: str | None = None   # the member's own Google sign-in (cpd sheets login), when no key is set
    api_url: str = GOOGLE_API
    attempts: int = 6                 # tries of one call, the first included
    retry_budget: float = RETRY_BUDGET  # seconds of waiting between tries of one call, at most
    first_wait: float = 0.5           # the first wait; each later one at most doubles
    timeout: float = 20.0             # seconds for one answer
    token_file: str | None = None     # where the access token is kept between commands (token_cache)

    @classmethod
    def from_env(cls, environ=None) -> "SheetsSettings":
        env = os.environ if environ is None else environ
        return cls(credentials_file=env.get("GOOGLE_APPLICATION_CREDENTIALS") or None,
                   account_file=str(account_file(env)),
                   api_url=(env.get("CPD_GOOGLE_SHEETS_URL") or GOOGLE_API).rstrip("/"),
                   retry_budget=float(env.get("CPD_GOOGLE_SHEETS_RETRY_SECONDS") or RETRY_BUDGET),
                   token_file=str(token_file(env)))


def retrying(settings: SheetsSettings, send: Callable[[], T],
             retryable: Callable[[Exception], tuple[bool, float | None]]) -> T:
    """``send()`` until it answers. ``retryable(exc)`` says whether a failure is worth another try and the wait
    the answer asked for (None: the policy's own); past the tries or the budget the last failure is raised."""
    waited, wait = 0.0, settings.first_wait
    for attempt in range(1, settings.attempts + 1):
        try:
            return send()
        except Exception as exc:
            again, asked = retryable(exc)
            if not again:
                raise
            import random                               # jitter: loaded by the first retry
            pause = min(random.uniform(wait / 2, wait) if asked is None else asked, settings.retry_budget - waited)
            if attempt == settings.attempts or pause <= 0:
                raise                                   # out of tries or out of time: the last answer stands
            time.sleep(pause)
            waited += pause
            wait *= 2
    raise AssertionError("unreachable")


def retry_after(raw: str | None) -> float | None:
    """The seconds a ``Retry-After`` header asks for, when it is a number of them below an hour."""
    try:
        value = float(raw or "")
    except ValueError:
        return None
    return value if 0 <= value < 3600 else None
