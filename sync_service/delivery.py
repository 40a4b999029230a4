"""The delivery worker: POSTs each stored submission to the institution, per the protocol.

Signed per Standard Webhooks (``signing``), with ``Idempotency-Key`` = ``webhook-id`` = the
submission id on every try and a fresh timestamp each time. The body is the stored delivery
document (gzipped JSON, ``Content-Encoding: gzip``; the signature covers the bytes sent). A 2xx
with a receipt id completes it; 408, 429, 5xx, timeouts and broken connections are retried on a
growing schedule with jitter, honouring ``Retry-After`` up to a cap; any other 4xx fails with
the reason; 410 Gone disables the endpoint (deliveries wait, none is lost) until an admin enables
it again. After the last try, or when the next try would fall after the schedule's end, a
delivery is dead-lettered, visible, and can be resent.

No transaction is open while the institution is being asked: a delivery is leased in one short
transaction (``claim``), sent, and its outcome recorded in another (``record_outcome``). Several
workers may run at once: the lease is taken with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL
(SQLite serialises writers); a worker killed mid-delivery leaves a lease that runs out, and the
delivery is tried again. An outcome is recorded only by the worker whose lease it is.
"""
from __future__ import annotations

import email.utils
import http.client
import json
import logging
import math
import random
import socket
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import Session

from . import signing
from .models import Delivery, EndpointState, Submission, utcnow

log = logging.getLogger("cpd.delivery")
RETRY_SCHEDULE = (10, 30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 24 * 3600)   # seconds
RETRY_AFTER_MAX = 3600.0          # an institution's Retry-After is honoured up to this many seconds
RETRYABLE = {408, 429}
JITTER = (0.8, 1.2)


@dataclass(frozen=True)
class Endpoint:
    url: str
    secrets: tuple[str, ...]            # the first signs; during a rotation both sign
    timeout: float = 15.0
    schedule: tuple[float, ...] = RETRY_SCHEDULE
    lease_margin: float = 30.0          # how long past the timeout a claimed delivery stays with its worker
    retry_after_max: float = RETRY_AFTER_MAX

    @property
    def max_attempts(self) -> int:
        return len(self.schedule) + 1

    @property
    def horizon(self) -> timedelta:
        """How long after it was queued a delivery may still be waiting for a try: the whole schedule,
        with its jitter, and one capped Retry-After."""
        return timedelta(seconds=sum(self.schedule) * JITTER[1] + self.retry_after_max)


@dataclass(frozen=True)
class Outcome:
    kind: str                           # delivered | retry | failed | gone
    detail: str = ""
    receipt_id: str | None = None
    retry_after: float | None = None


@dataclass(frozen=True)
class Claimed:
    """A leased delivery and what sending it needs, loaded in the claim's transaction."""
    delivery_id: int
    submission_id: str
    attempts: int
    queued_at: datetime                 # when it was queued (or queued again): the schedule starts there
    body: bytes


def retry_after(value: str | None, cap: float = RETRY_AFTER_MAX) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date), at most ``cap``; a value
    that is not a time, not finite, negative or larger is taken as the cap."""
    if value is None or not value.strip():
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
            seconds = (when - datetime.now(timezone.utc)).total_seconds() if when.tzinfo else math.nan
            seconds = max(seconds, 0.0) if math.isfinite(seconds) else seconds
        except (TypeError, ValueError, OverflowError):
            return cap
    if not math.isfinite(seconds) or seconds < 0 or seconds > cap:
        return cap
    return seconds


def attempt(endpoint: Endpoint, sub_id: str, body: bytes) -> Outcome:
    """One try: POST the stored document, and what the answer means."""
    headers = {**signing.headers(list(endpoint.secrets), sub_id, body), "Content-Type": "application/json",
               "Content-Encoding": "gzip", "Idempotency-Key": sub_id, "User-Agent": "cpd-tracker-delivery/2"}
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
            return Outcome("delivered", f"{resp.status}", receipt_id=str(receipt)[:200])
    except urllib.error.HTTPError as err:
        reason = err.read(2000).decode("utf-8", "replace")
        if err.code == 410:
            return Outcome("gone", f"410 Gone: {reason[:200]}")
        if err.code in RETRYABLE or err.code >= 500:
            return Outcome("retry", f"{err.code}",
                           retry_after=retry_after(err.headers.get("Retry-After"), endpoint.retry_after_max))
        return Outcome("failed", f"{err.code}: {reason[:500]}")
    except (urllib.error.URLError, http.client.HTTPException, socket.timeout, TimeoutError, ConnectionError,
            OSError) as err:
        return Outcome("retry", f"{type(err).__name__}: {getattr(err, 'reason', err)}")


def _lease(endpoint: Endpoint) -> timedelta:
    return timedelta(seconds=endpoint.timeout + endpoint.lease_margin)


def claim(session: Session, endpoint: Endpoint, now: datetime | None = None) -> Claimed | None:
    """In one short transaction: take the next due delivery (or one whose worker's lease ran out) while
    the endpoint is enabled, lease it, and load its body. The transaction is over when this returns."""
    now = now or utcnow()
    due = or_(and_(Delivery.status.in_(("queued", "retrying")), Delivery.next_attempt_at <= now),
              and_(Delivery.status == "sending", Delivery.lease_until < now))
    enabled = ~exists().where(EndpointState.disabled_at.is_not(None))
    pick = select(Delivery.id).where(due, enabled).order_by(Delivery.next_attempt_at).limit(1)
    if session.get_bind().dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    try:
        row = session.execute(
            update(Delivery).where(Delivery.id == pick.scalar_subquery())
            .values(status="sending", lease_until=now + _lease(endpoint), attempts=Delivery.attempts + 1)
            .returning(Delivery.id, Delivery.submission_id, Delivery.attempts)).first()
        if row is None:
            return None
        queued, body = session.execute(select(Delivery.queued_at, Submission.body).join(Delivery.submission)
                                        .where(Delivery.id == row.id)).one()
        return Claimed(row.id, row.submission_id, row.attempts, queued, body)
    finally:
        session.commit()


def endpoint_disabled(session: Session) -> EndpointState | None:
    state = session.get(EndpointState, 1)
    return state if state is not None and state.disabled_at is not None else None


def record_outcome(session: Session, claimed: Claimed, outcome: Outcome, endpoint: Endpoint,
                   now: datetime | None = None) -> str | None:
    """In one short transaction: what the try means for the delivery. Returns its new status, or None
    when the lease had passed to another worker (a late answer changes nothing, unless it delivered)."""
    now = now or utcnow()
    ours = and_(Delivery.id == claimed.delivery_id, Delivery.status == "sending",
                Delivery.attempts == claimed.attempts)
    values: dict = {"lease_until": None}
    if outcome.kind == "delivered":
        ours = and_(Delivery.id == claimed.delivery_id, Delivery.status != "delivered")
        values.update(status="delivered", receipt_id=outcome.receipt_id, delivered_at=now, last_error=None)
    elif outcome.kind == "failed":
        values.update(status="failed", last_error=outcome.detail)
    elif outcome.kind == "gone":
        state = session.get(EndpointState, 1) or EndpointState(id=1)
        state.disabled_at, state.reason = now, outcome.detail
        session.add(state)
        values.update(status="queued", attempts=max(claimed.attempts - 1, 0), last_error=outcome.detail)  # not its fault
    elif claimed.attempts >= endpoint.max_attempts:
        values.update(status="dead", last_error=f"gave up after {claimed.attempts} tries: {outcome.detail}")
    else:
        wait = endpoint.schedule[claimed.attempts - 1] * random.uniform(*JITTER)
        if outcome.retry_after is not None:
            wait = max(wait, min(outcome.retry_after, endpoint.retry_after_max))
        next_at = now + timedelta(seconds=wait)
        queued = claimed.queued_at or now
        queued = queued if queued.tzinfo else queued.replace(tzinfo=timezone.utc)
        if next_at > queued + endpoint.horizon:
            values.update(status="dead", last_error=f"the next try would fall after the retry schedule's end: "
                                                     f"{outcome.detail}")
        else:
            values.update(status="retrying", last_error=outcome.detail, next_attempt_at=next_at)
    changed = session.execute(update(Delivery).where(ours).values(**values)).rowcount
    status = values["status"] if changed else None
    if status is not None and status != "queued":
        session.execute(update(Submission).where(Submission.id == claimed.submission_id).values(status=status))
    session.commit()
    log.info(json.dumps({"event": "delivery", "submission": claimed.submission_id, "outcome": outcome.kind,
                         "attempt": claimed.attempts, "status": status or "lease_lost",
                         "detail": outcome.detail.split(":")[0][:40]},
                        separators=(",", ":")))
    return status


def run_once(sessions, endpoint: Endpoint) -> str | None:
    """Deliver one due submission; its outcome, or None when nothing was due (or the endpoint is off).
    The sending happens with no transaction open."""
    with sessions() as session:
        claimed = claim(session, endpoint)
        if claimed is None:
            return None
        outcome = attempt(endpoint, claimed.submission_id, claimed.body)
        record_outcome(session, claimed, outcome, endpoint)
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
    delivery.status, delivery.attempts = "queued", 0
    delivery.next_attempt_at = delivery.queued_at = utcnow()
    delivery.last_error = None
    delivery.submission.status = "queued"
    session.commit()
    return True


def enable_endpoint(session: Session) -> None:
    state = session.get(EndpointState, 1)
    if state is not None:
        state.disabled_at = None
        session.commit()
