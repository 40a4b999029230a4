"""The errors the service raises on purpose: one family under ``ServiceError``, each with a stable
``code``, a ``message`` a person can act on, and ``details`` (the sheet and cell, the problems, how
long to wait). The class says what kind of thing went wrong, in the domain's terms; only the web
layer turns a kind into an HTTP status (``answers``). No web framework here: the store, the jobs and
the commands raise these too.
"""
from __future__ import annotations

from addin import CpdError, InvalidRecord

from . import logs


class ServiceError(Exception):
    """Something the service refuses or cannot do now; ``details`` go into the answer beside the code."""

    def __init__(self, code: str, message: str, **details):
        super().__init__(message)
        self.code, self.message = code, message
        self.details = {k: v for k, v in details.items() if v is not None or k in ("sheet", "cell")}

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message, **self.details}


class BadRequest(ServiceError):
    """What was sent cannot be used as it is (a missing field, a bad address, a control character)."""


class Unauthenticated(ServiceError):
    """No credential, or one that is not known (or was revoked)."""


class Forbidden(ServiceError):
    """A known caller, asking for what they may not do."""


class NotFound(ServiceError):
    """Nothing there, or nothing the caller may see: the two are answered alike."""


class Conflict(ServiceError):
    """Not possible in the state things are in (a key used for another file, a sheet linked elsewhere)."""


class TooLarge(ServiceError):
    """Over a size limit."""


class Unusable(ServiceError):
    """A record or a value that cannot be used: each problem with its sheet and cell."""


class Limited(ServiceError):
    """Too many of something for now; ``retry_after`` says how many seconds until it may be tried again."""

    def __init__(self, code: str, message: str, retry_after: float = 60.0, **details):
        super().__init__(code, message, **details)
        self.retry_after = retry_after


class Unavailable(ServiceError):
    """Something the service needs is away for a moment (the database, Google Sheets)."""

    def __init__(self, code: str, message: str, retry_after: float = 60.0, **details):
        super().__init__(code, message, **details)
        self.retry_after = retry_after


OPERATORS = {"sheets_no_credentials", "sheets_bad_credentials", "sheets_auth_failed"}   # the service's setting
SHEETS_AWAY = {"sheets_rate_limited", "sheets_unavailable", "sheets_no_credentials", "sheets_bad_credentials",
               "sheets_auth_failed", "sheets_bad_response"}


def from_core(exc: CpdError, sheet: bool = False) -> ServiceError:
    """A core error (a workbook or a sheet that cannot be read) as the service answers it: every problem,
    the first in the message; the reader's own code kept. A sheet's (``sheet``) is Unusable where a file's
    would be a BadRequest: the member fixes the sheet, not what they sent."""
    if isinstance(exc, InvalidRecord) and exc.problems:
        first = exc.problems[0]
        more = f" (and {len(exc.problems) - 1} more)" if len(exc.problems) > 1 else ""
        # where it is goes in its own fields (sheet, cell), so that a page says it once
        return Unusable(exc.code, f"{first.message}{more}", sheet=first.sheet, cell=first.cell,
                        problems=[p.to_dict() for p in exc.problems])
    if exc.code in OPERATORS:          # a setting of the service's own: the member is not told how to make it
        logs.errors.warning(logs.line(event="sheets_not_set_up", code=exc.code))
        return Unavailable(exc.code, "this CPD service is not set up to read Google Sheets yet; its operator "
                                     "has been told (you can still use the CPD tracker add-on in the sheet)")
    if exc.code in SHEETS_AWAY:
        return Unavailable(exc.code, exc.message)
    if exc.code == "invalid_record":
        return Unusable(exc.code, exc.message, sheet=exc.sheet, cell=exc.cell)
    if exc.code == "file_too_large":
        return TooLarge(exc.code, exc.message, sheet=exc.sheet, cell=exc.cell)
    if (sheet or exc.code.startswith("sheets_")) and exc.code != "sheets_bad_address":
        return Unusable(exc.code, exc.message, sheet=exc.sheet, cell=exc.cell)
    return BadRequest(exc.code, exc.message, sheet=exc.sheet, cell=exc.cell)
