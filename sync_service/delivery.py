"""The delivery worker: POSTs each stored submission to the institution, per the protocol.

Signed per Standard Webhooks (``signing``), with ``Idempotency-Key`` = ``webhook-id`` = the
submission id on every try and a fresh timestamp each time. A 2xx completes it (its
``receipt_id`` is kept); 408, 429, 5xx, timeouts and broken connections are retried on a
growing schedule with jitter, honouring ``Retry-After``; any other 4xx fails with the reason;
410 Gone disables the endpoint (deliveries wait, none is lost) until an admin enables it again.
After the last try a delivery is dead-lettered, visible, and can be resent.

Several workers may run at once: a claimed delivery carries a lease, taken with
``FOR UPDATE SKIP LOCKED`` on PostgreSQL (SQLite serialises writers); a worker killed
mid-delivery leaves a lease that runs out, and the delivery is tried again.
"""
from __future__ import annotations

import base64
import email.utils
import http.client
import json
import logging
import random
import socket
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from addin.workbook.package import XLSX_CONTENT_TYPE

from . import signing
from .models import Delivery, EndpointState, Submission, iso_utc, utcnow

log = logging.getLogger("cpd.delivery")
RETRY_SCHEDULE = (10, 30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 24 * 3600)   # seconds
MAX_ATTEMPTS = len(RETRY_SCHEDULE) + 1
RETRYABLE = {408, 429}


@dataclass(frozen=True)
class Endpoint:
    url: str
    secrets: tuple[str, ...]            # the first signs; during a rotation both sign
    timeout: float = 15.0
    schedule: tuple[int, ...] = RETRY_SCHEDULE
    lease_margin: float = 30.0          # how long past the timeout a claimed delivery stays with its worker

    @property
    def max_attempts(self) -> int:
        return len(self.schedule) + 1


@dataclass(frozen=True)
class Outcome:
    kind: str                           # delivered | retry | failed | gone
    detail: str = ""
    receipt_id: str | None = None
    retry_after: float | None = None


def payload(sub: Submission) -> bytes:
    """The body the institution receives: the record, its readiness, the values-only workbook."""
    return json.dumps({
        "type": "cpd.submission", "id": sub.id, "received_at": iso_utc(sub.received_at),
        "profile": sub.profile_id, "member": sub.record["member"], "period": sub.record["period"],
        "objectives": sub.record["objectives"], "activities": sub.record["activities"],
        "readiness": sub.readiness,
        "workbook": {"content_type": XLSX_CONTENT_TYPE, "base64": base64.b64encode(sub.workbook).decode()},
    }, separators=(",", ":"), sort_keys=True).encode()


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
            return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
        except (TypeError, ValueError):
            return None


def attempt(endpoint: Endpoint, sub: Submission) -> Outcome:
    """One try: POST, and what the answer means."""
    body = payload(sub)
    headers = {**signing.headers(list(endpoint.secrets), sub.id, body), "Content-Type": "application/json",
               "Idempotency-Key": sub.id, "User-Agent": "cpd-tracker-delivery/1"}
    request = urllib.request.Request(endpoint.url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=endpoint.timeout) as resp:
            raw = resp.read(1_000_000)
            declared = resp.headers.get("Content-Length")
            if declared and declared.isdigit() and len(raw) < int(declared):
                return Outcome("retry", f"{resp.status} cut off after {len(raw)} of {declared} bytes")
            try:
                answer = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                answer = {}
            receipt = answer.get("receipt_id") if isinstance(answer, dict) else None
            if not receipt:          # the protocol: a 2xx *with a receipt id* completes the delivery
                return Outcome("retry", f"{resp.status} without a receipt id")
            return Outcome("delivered", f"{resp.status}", receipt_id=str(receipt))
    except urllib.error.HTTPError as err:
        reason = err.read(2000).decode("utf-8", "replace")
        if err.code == 410:
            return Outcome("gone", f"410 Gone: {reason[:200]}")
        if err.code in RETRYABLE or err.code >= 500:
            return Outcome("retry", f"{err.code}", retry_after=_retry_after(err.headers.get("Retry-After")))
        return Outcome("failed", f"{err.code}: {reason[:500]}")
    except (urllib.error.URLError, http.client.HTTPException, socket.timeout, TimeoutError, ConnectionError,
            OSError) as err:
        return Outcome("retry", f"{type(err).__name__}: {getattr(err, 'reason', err)}")


def _lease(endpoint: Endpoint) -> timedelta:
    return timedelta(seconds=endpoint.timeout + endpoint.lease_margin)


def claim(session: Session, endpoint: Endpoint, now: datetime | None = None) -> Delivery | None:
    """Take the next due delivery (or one whose worker's lease ran out), and lease it."""
    now = now or utcnow()
    due = or_(and_(Delivery.status.in_(("queued", "retrying")), Delivery.next_attempt_at <= now),
              and_(Delivery.status == "sending", Delivery.lease_until < now))
    query = select(Delivery).where(due).order_by(Delivery.next_attempt_at).limit(1)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    delivery = session.scalars(query).first()
    if delivery is None:
        session.rollback()
        return None
    delivery.status = "sending"
    delivery.lease_until = now + _lease(endpoint)
    delivery.attempts += 1
    session.commit()
    return delivery


def endpoint_disabled(session: Session) -> EndpointState | None:
    state = session.get(EndpointState, 1)
    return state if state is not None and state.disabled_at is not None else None


def record_outcome(session: Session, delivery: Delivery, outcome: Outcome, endpoint: Endpoint,
                   now: datetime | None = None) -> None:
    now = now or utcnow()
    sub = delivery.submission
    delivery.lease_until = None
    if outcome.kind == "delivered":
        delivery.status = sub.status = "delivered"
        delivery.receipt_id, delivery.delivered_at, delivery.last_error = outcome.receipt_id, now, None
    elif outcome.kind == "failed":
        delivery.status = sub.status = "failed"
        delivery.last_error = outcome.detail
    elif outcome.kind == "gone":
        state = session.get(EndpointState, 1) or EndpointState(id=1)
        state.disabled_at, state.reason = now, outcome.detail
        session.add(state)
        delivery.status, delivery.attempts = "queued", max(delivery.attempts - 1, 0)   # waits; not its fault
        delivery.last_error = outcome.detail
    elif delivery.attempts >= endpoint.max_attempts:
        delivery.status = sub.status = "dead"
        delivery.last_error = f"gave up after {delivery.attempts} tries: {outcome.detail}"
    else:
        wait = endpoint.schedule[delivery.attempts - 1] * random.uniform(0.8, 1.2)
        if outcome.retry_after is not None:
            wait = max(wait, outcome.retry_after)
        delivery.status, delivery.last_error = "retrying", outcome.detail
        delivery.next_attempt_at = now + timedelta(seconds=wait)
    session.commit()
    log.info(json.dumps({"event": "delivery", "submission": sub.id, "outcome": outcome.kind,
                         "attempt": delivery.attempts, "status": delivery.status}, separators=(",", ":")))


def run_once(sessions, endpoint: Endpoint) -> str | None:
    """Deliver one due submission; its outcome, or None when nothing was due (or the endpoint is off)."""
    with sessions() as session:
        if endpoint_disabled(session):
            return None
        delivery = claim(session, endpoint)
        if delivery is None:
            return None
        outcome = attempt(endpoint, delivery.submission)
        record_outcome(session, delivery, outcome, endpoint)
        return outcome.kind


def run(sessions, endpoint: Endpoint, stop: threading.Event, poll: float = 1.0) -> None:
    while not stop.is_set():
        try:
            worked = run_once(sessions, endpoint)
        except Exception:        # the database went away a moment: keep the worker alive
            log.exception("delivery loop")
            worked = None
        if worked is None:
            stop.wait(poll)


def resend(session: Session, sub_id: str) -> bool:
    """Queue a failed or dead-lettered delivery again, from its first try."""
    delivery = session.scalar(select(Delivery).where(Delivery.submission_id == sub_id))
    if delivery is None or delivery.status in ("delivered", "sending"):
        return False
    delivery.status, delivery.attempts, delivery.next_attempt_at = "queued", 0, utcnow()
    delivery.last_error = None
    delivery.submission.status = "queued"
    session.commit()
    return True


def enable_endpoint(session: Session) -> None:
    state = session.get(EndpointState, 1)
    if state is not None:
        state.disabled_at = None
        session.commit()
