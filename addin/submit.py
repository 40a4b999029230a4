"""Submitting a record to the CPD service, and what goes back into the workbook.

The member's service address and token live in their own configuration file
(``~/.config/cpd/config.toml``, mode 0600; ``CPD_CONFIG`` names another), never in the
workbook. A submission is the workbook file itself, checked here first with the same
hardened reader the service uses, and sent with an ``Idempotency-Key`` equal to its SHA-256,
so a double click or a retry gives one submission.

The service answers (the contract the sync service implements; see docs/submission-api.md):
``201`` or ``200`` with ``{"id", "status", "received_at", "receipt_id"}``; a 4xx with
``{"error": {"code", "message", "sheet", "cell"}}``.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
import tomllib
import urllib.error
import urllib.parse
import urllib.request
import weakref
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from msgspec import Struct

from .errors import CpdError
from .grid import GridRead
from .readiness import Readiness, assess
from .report import VERDICT
from .workbook.package import XLSX_CONTENT_TYPE
from .workbook.reader import read_workbook



def config_path() -> Path:
    if os.environ.get("CPD_CONFIG"):
        return Path(os.environ["CPD_CONFIG"])
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "cpd" / "config.toml"


class Settings(Struct, frozen=True):
    service_url: str
    token: str

    @classmethod
    def load(cls) -> "Settings":
        path = config_path()
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CpdError("not_logged_in", "no CPD service set up: run 'cpd login --url URL' first") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            raise CpdError("bad_config", f"{path} is not valid TOML; run 'cpd login' again") from None
        url, token = raw.get("service_url"), raw.get("token")
        if not isinstance(url, str) or not isinstance(token, str) or not url or not token:
            raise CpdError("not_logged_in", f"{path} lacks service_url or token: run 'cpd login' again")
        return cls(url.rstrip("/"), token)

    def save(self) -> Path:
        path = config_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(f"service_url = {json.dumps(self.service_url)}\ntoken = {json.dumps(self.token)}\n")
        os.chmod(path, 0o600)
        return path


class Receipt(Struct, frozen=True):
    id: str
    status: str
    received_at: str
    receipt_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "status": self.status, "received_at": self.received_at, "receipt_id": self.receipt_id}


def check_cells(path: str | Path | bytes, now: datetime | None = None, receipt: "Receipt | None" = None
                ) -> dict[str, Any]:
    """What Check (and, given the receipt, Submit) writes into the workbook's Submission area: {cell: value},
    the cells found by their labels (Last check:, Submission id:, ...) as every client finds them."""
    return area_cells(read_workbook(path), now, receipt)


def area_cells(read: GridRead, now: datetime | None = None, receipt: "Receipt | None" = None) -> dict[str, Any]:
    """``check_cells`` for a record already read (a GridRead): {cell: value} of its Submission area."""
    record = read.require()
    values: dict[str, str] = {"last_check": check_text(assess(record, read.profile), now)}
    if receipt is not None:
        values.update(submission_id=receipt.id, submission_status=receipt.status, submitted_at=receipt.received_at,
                      receipt=receipt.receipt_id or "(awaiting the institution's receipt)")
    where = read.submission.labels
    return {where[f]: v for f, v in values.items() if f in where}


def check_text(result: Readiness, now: datetime | None = None) -> str:
    """The Submission area's Last check: "NOT READY (64/100) at 30 Nov 2026 10:15"."""
    moment = now or datetime.now()
    when = f"{moment.day} {moment:%b %Y %H:%M}"
    return f"{VERDICT[result.verdict]} ({result.score}/100) at {when}"


RETRY_BUDGET = 120.0                 # seconds, in all, a call waits for a service that answers 503 (Retry-After)
RETRY_WAIT_MAX = 30.0                # the longest single wait, whatever Retry-After says
Waiting = Callable[[float, str], None]


def _retry_after(err: urllib.error.HTTPError) -> float:
    try:
        return min(max(float(err.headers.get("Retry-After", "5")), 1.0), RETRY_WAIT_MAX)
    except ValueError:
        return 5.0


def _exchange(settings: Settings, request: urllib.request.Request, timeout: float, *, unreachable: str = "",
              not_json: CpdError | None = None, not_found: CpdError | None = None,
              on_wait: Waiting | None = None) -> dict[str, Any]:
    """Send ``request`` to the service; its JSON answer, or CpdError saying what went wrong (the service's own
    code for a 4xx; ``unreachable`` is added to the message when it cannot be reached). A service that is
    unavailable for a moment (503, its database away) is asked again after its Retry-After, for up to
    RETRY_BUDGET seconds in all (every request here is safe to repeat: a submission carries its
    Idempotency-Key); ``on_wait(seconds, why)`` is told of each wait."""
    waited = 0.0
    while True:
        try:
            with urllib.request.urlopen(request, timeout=timeout) as resp:
                answer = json.loads(resp.read() or b"{}")
            if not isinstance(answer, dict):
                raise json.JSONDecodeError("not an object", "", 0)
            return answer
        except urllib.error.HTTPError as err:
            if err.code == 503 and waited < RETRY_BUDGET:
                wait = min(_retry_after(err), RETRY_BUDGET - waited)
                if on_wait is not None:
                    on_wait(wait, _code_of(err) or "service_unavailable")
                time.sleep(wait)
                waited += wait
                continue
            if err.code == 404 and not_found is not None:
                raise not_found from None
            raise _service_error(err) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as err:
            reason = getattr(err, "reason", err)
            raise CpdError("service_unreachable", f"cannot reach the CPD service at {settings.service_url} "
                           f"({reason}){unreachable}") from None
        except json.JSONDecodeError:
            raise not_json or CpdError("service_error", "the CPD service gave an answer that is not JSON") from None


_DETAILS: weakref.WeakKeyDictionary[urllib.error.HTTPError, dict[str, Any]] = weakref.WeakKeyDictionary()


def _detail(err: urllib.error.HTTPError) -> dict[str, Any]:
    """The ``error`` object of a service's JSON answer, read once (the answer can be read only once)."""
    if err not in _DETAILS:
        try:
            detail = json.loads(err.read() or b"{}").get("error") or {}
        except (json.JSONDecodeError, AttributeError):
            detail = {}
        _DETAILS[err] = detail if isinstance(detail, dict) else {}
    return _DETAILS[err]


def _code_of(err: urllib.error.HTTPError) -> str | None:
    """The error code in a service's JSON answer."""
    code = _detail(err).get("code")
    return str(code) if code is not None else None


def _get(settings: Settings, path: str, timeout: float, **errors: Any) -> dict[str, Any]:  # _exchange's keywords
    request = urllib.request.Request(f"{settings.service_url}{path}", method="GET", headers={
        "Authorization": f"Bearer {settings.token}", "Accept": "application/json"})
    return _exchange(settings, request, timeout, **errors)


def whoami(settings: Settings, timeout: float = 15.0, on_wait: Waiting | None = None) -> dict[str, Any]:
    """Check the address and the token against the service: {"member", "name", "scopes"}."""
    not_cpd = CpdError("not_a_cpd_service", f"{settings.service_url} answers, but not as a CPD service; "
                       "check the address")
    me = _get(settings, "/api/v1/me", timeout, not_json=not_cpd, not_found=not_cpd, on_wait=on_wait)
    if "submit" not in (me.get("scopes") or []):
        raise CpdError("unauthorized", "the service accepted this token, but it cannot submit (it lacks the "
                       "'submit' scope): ask for one that can")
    return me


def status(settings: Settings, submission_id: str, timeout: float = 15.0, on_wait: Waiting | None = None
           ) -> dict[str, Any]:
    """A submission's receipt as the service has it now (status, the institution's receipt, verdict)."""
    return _get(settings, f"/api/v1/submissions/{urllib.parse.quote(submission_id, safe='')}", timeout,
                on_wait=on_wait)


def last_submission_path() -> Path:
    return config_path().parent / "last_submission"


def remember(receipt: "Receipt") -> None:
    """Keep the id of the last submission made from this computer (for ``cpd status``)."""
    path = last_submission_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(receipt.id + "\n", encoding="utf-8")


def last_submission() -> str | None:
    try:
        return last_submission_path().read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def submit_file(path: str | Path | bytes, settings: Settings, timeout: float = 30.0, *, checked: bool = False,
                on_wait: Waiting | None = None) -> Receipt:
    """Check the workbook here (unless the caller has just read these same bytes: ``checked``), then send
    it; the service's receipt, or CpdError with its code."""
    data = Path(path).read_bytes() if not isinstance(path, (bytes, bytearray)) else bytes(path)
    if not checked:
        read_workbook(data).require()      # a record the service would refuse is refused here, with its cells
    request = urllib.request.Request(
        f"{settings.service_url}/api/v1/submissions", data=data, method="POST",
        headers={"Content-Type": XLSX_CONTENT_TYPE, "Authorization": f"Bearer {settings.token}",
                 "Idempotency-Key": hashlib.sha256(data).hexdigest(), "Accept": "application/json"})
    body = _exchange(settings, request, timeout, unreachable="; nothing was submitted", on_wait=on_wait)
    try:
        return Receipt(id=str(body["id"]), status=str(body["status"]),
                       received_at=str(body.get("received_at") or datetime.now(timezone.utc).isoformat()),
                       receipt_id=body.get("receipt_id"))
    except (KeyError, TypeError):
        raise CpdError("service_error", "the CPD service's answer has no submission id") from None


def _service_error(err: urllib.error.HTTPError) -> CpdError:
    detail = _detail(err)
    if err.code in (401, 403):
        return CpdError("unauthorized", "the CPD service did not accept your token: run 'cpd login' with a new one")
    if err.code == 404 and detail.get("code") == "not_found":
        return CpdError("not_found", str(detail.get("message") or "the service has no such submission"))
    if err.code == 429:
        wait = err.headers.get("Retry-After", "a while")
        return CpdError("rate_limited", f"too many submissions: try again in {wait} seconds")
    if err.code == 503:
        return CpdError("service_unavailable", f"the CPD service stayed unavailable ({detail.get('code') or 503}) "
                        f"for {RETRY_BUDGET:.0f} s of trying; nothing was submitted, try again later")
    if err.code >= 500:
        return CpdError("service_error", f"the CPD service failed ({err.code}); nothing was submitted, try again later")
    return CpdError(str(detail.get("code") or "rejected"), str(detail.get("message") or f"refused ({err.code})"),
                    sheet=detail.get("sheet"), cell=detail.get("cell"))


# ---------------------------------------------------------------- cpd pull: the record's inbox

def _send(settings: Settings, method: str, path: str, timeout: float) -> dict[str, Any]:
    request = urllib.request.Request(f"{settings.service_url}{path}", method=method, headers={
        "Authorization": f"Bearer {settings.token}", "Accept": "application/json"})
    return _exchange(settings, request, timeout)


def record_on_service(settings: Settings, profile_id: str, start: str, end: str, timeout: float = 15.0
                      ) -> dict[str, Any] | None:
    """The member's record on the service for this profile and period (as ``GET /api/v1/records`` lists it)."""
    listed = _get(settings, "/api/v1/records", timeout).get("records") or []
    return next((r for r in listed if r.get("profile") == profile_id and (r.get("period") or {}).get("start") == start
                 and (r.get("period") or {}).get("end") == end), None)


def inbox_items(settings: Settings, record_id: str, timeout: float = 15.0) -> list[dict[str, Any]]:
    """The activities waiting in the record's inbox (added from a phone)."""
    found = _get(settings, f"/api/v1/records/{urllib.parse.quote(record_id, safe='')}/inbox", timeout)
    items = found.get("items")
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def inbox_certificate(settings: Settings, record_id: str, item_id: str, timeout: float = 30.0) -> bytes:
    """The certificate an inbox item came with, as it was sent."""
    path = (f"/api/v1/records/{urllib.parse.quote(record_id, safe='')}/inbox/"
            f"{urllib.parse.quote(item_id, safe='')}/certificate")
    request = urllib.request.Request(f"{settings.service_url}{path}", method="GET",
                                     headers={"Authorization": f"Bearer {settings.token}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            return bytes(resp.read())
    except urllib.error.HTTPError as err:
        raise _service_error(err) from None
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as err:
        raise CpdError("service_unreachable", f"cannot reach the CPD service at {settings.service_url} "
                       f"({getattr(err, 'reason', err)})") from None


def take_inbox_item(settings: Settings, record_id: str, item_id: str, timeout: float = 15.0) -> None:
    """Take an item out of the inbox once it is written into the workbook."""
    _send(settings, "DELETE", f"/api/v1/records/{urllib.parse.quote(record_id, safe='')}/inbox/"
                              f"{urllib.parse.quote(item_id, safe='')}", timeout)
