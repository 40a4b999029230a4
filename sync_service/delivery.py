"""The delivery worker: POSTs each stored submission to the institution, per the protocol.

Signed per Standard Webhooks (``signing``), with ``Idempotency-Key`` = ``webhook-id`` = the
submission id on every try and a fresh timestamp each time. The body is the stored delivery
document as JSON, signed as sent, so the Standard Webhooks reference libraries verify it as they
are; an endpoint configured for it (``Endpoint.gzip``) gets it gzipped (``Content-Encoding: gzip``),
the signature still over the JSON, which the receiver checks after undoing the gzip. A 2xx
with a receipt id completes it; 408, 429, 5xx, timeouts and broken connections are retried on a
growing schedule with jitter, honouring ``Retry-After`` up to a cap; any other 4xx fails with
the reason; 410 Gone disables the endpoint (deliveries wait, none is lost) until an admin enables
it again. After the last try, or when the next try would fall after the schedule's end, a
delivery is dead-lettered, visible, and can be resent.

No transaction is open while the institution is being asked: a delivery is leased in one short
transaction (``claim``), sent, and its outcome recorded in another (``record_outcomes``). Several
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
import ssl
import threading
import urllib.parse
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import Session

from . import signing
from .db import writing
from addin import json_bytes
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
    gzip: bool = False                  # send the body gzipped (the endpoint undoes it before verifying)

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


class Sender:
    """POSTs to the institution's endpoint over one kept-alive connection (http or https), opened again
    when the endpoint closes it. A send that fails on a reused connection before any answer is tried once
    more on a fresh one (the Idempotency-Key makes that safe)."""

    def __init__(self, endpoint: Endpoint):
        self.endpoint = endpoint
        url = urllib.parse.urlsplit(endpoint.url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"the endpoint must be an http(s) address, found {endpoint.url!r}")
        self.https, self.host, self.port = url.scheme == "https", url.hostname, url.port
        self.path = (url.path or "/") + (f"?{url.query}" if url.query else "")
        self.conn: http.client.HTTPConnection | None = None

    def _connect(self) -> http.client.HTTPConnection:
        if self.https:
            return http.client.HTTPSConnection(self.host, self.port, timeout=self.endpoint.timeout,
                                               context=ssl.create_default_context())
        return http.client.HTTPConnection(self.host, self.port, timeout=self.endpoint.timeout)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def post(self, headers: dict, body: bytes) -> tuple[int, http.client.HTTPMessage, bytes, int | None]:
        """(status, headers, up to 1 MB of the answer, its declared length)."""
        for reused in (self.conn is not None, False):
            if self.conn is None:
                self.conn = self._connect()
            try:
                self.conn.request("POST", self.path, body=body, headers=headers)
                resp = self.conn.getresponse()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if reused:
                    continue            # the endpoint closed an idle kept-alive connection: once more, fresh
                raise
            except BaseException:
                self.close()
                raise
            try:
                raw = resp.read(1_000_000)
                if resp.will_close or not resp.isclosed():
                    self.close()        # the endpoint closes it, or more is left than we read
            except BaseException:
                self.close()
                raise
            declared = resp.headers.get("Content-Length")
            return resp.status, resp.headers, raw, int(declared) if declared and declared.isdigit() else None
        raise ConnectionError("the endpoint closed the connection")


def attempt(endpoint: Endpoint, sub_id: str, body: bytes, sender: Sender | None = None) -> Outcome:
    """One try: POST the stored document (``body``, as stored: gzipped JSON), and what the answer means."""
    document = json_bytes(body)
    headers = {**signing.headers(list(endpoint.secrets), sub_id, document), "Content-Type": "application/json",
               "Idempotency-Key": sub_id, "User-Agent": "cpd-tracker-delivery/2"}
    if endpoint.gzip:
        headers["Content-Encoding"] = "gzip"
    else:
        body = document
    own = sender is None
    sender = sender or Sender(endpoint)
    try:
        status, answer_headers, raw, declared = sender.post(headers, body)
    except (http.client.HTTPException, socket.timeout, TimeoutError, ConnectionError, ssl.SSLError, OSError) as err:
        return Outcome("retry", f"{type(err).__name__}: {err}"[:300])
    finally:
        if own:
            sender.close()
    if 200 <= status < 300:
        if declared is not None and len(raw) < declared:
            return Outcome("retry", f"{status} cut off after {len(raw)} of {declared} bytes")
        try:
            answer = json.loads(raw or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError):
            answer = {}
        receipt = answer.get("receipt_id") if isinstance(answer, dict) else None
        if not receipt:              # the protocol: a 2xx *with a receipt id* completes the delivery
            return Outcome("retry", f"{status} without a receipt id")
        return Outcome("delivered", f"{status}", receipt_id=str(receipt)[:200])
    reason = raw[:2000].decode("utf-8", "replace")
    if status == 410:
        return Outcome("gone", f"410 Gone: {reason[:200]}")
    if status in RETRYABLE or status >= 500:
        return Outcome("retry", f"{status}", retry_after=retry_after(answer_headers.get("Retry-After"),
                                                                    endpoint.retry_after_max))
    return Outcome("failed", f"{status}: {reason[:500]}")


def _lease(endpoint: Endpoint, count: int) -> timedelta:
    return timedelta(seconds=endpoint.timeout * count + endpoint.lease_margin)


def claim(session: Session, endpoint: Endpoint, now: datetime | None = None, limit: int = 1) -> list[Claimed]:
    """In one short transaction: take up to ``limit`` due deliveries (or ones whose worker's lease ran out)
    while the endpoint is enabled, lease them, and load their bodies. The transaction is over when this
    returns."""
    now = now or utcnow()
    writing(session)
    due = or_(and_(Delivery.status.in_(("queued", "retrying")), Delivery.next_attempt_at <= now),
              and_(Delivery.status == "sending", Delivery.lease_until < now))
    enabled = ~exists().where(EndpointState.disabled_at.is_not(None))
    active = Delivery.status.in_(("queued", "retrying", "sending"))     # what ix_deliveries_due holds
    pick = select(Delivery.id).where(active, due, enabled).order_by(Delivery.next_attempt_at).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    try:
        rows = session.execute(
            update(Delivery).where(Delivery.id.in_(pick.scalar_subquery()))
            .values(status="sending", lease_until=now + _lease(endpoint, limit), attempts=Delivery.attempts + 1)
            .returning(Delivery.id, Delivery.submission_id, Delivery.attempts, Delivery.queued_at)).all()
        if not rows:
            return []
        bodies = dict(session.execute(select(Submission.id, Submission.body)
                                      .where(Submission.id.in_([r.submission_id for r in rows]))).all())
        return [Claimed(r.id, r.submission_id, r.attempts, r.queued_at, bodies[r.submission_id])
                for r in sorted(rows, key=lambda r: r.id)]
    finally:
        session.commit()


def endpoint_disabled(session: Session) -> EndpointState | None:
    state = session.get(EndpointState, 1)
    return state if state is not None and state.disabled_at is not None else None


def _outcome_values(claimed: Claimed, outcome: Outcome, endpoint: Endpoint, now: datetime) -> dict:
    values: dict = {"lease_until": None}
    if outcome.kind == "delivered":
        values.update(status="delivered", receipt_id=outcome.receipt_id, delivered_at=now, last_error=None)
    elif outcome.kind == "failed":
        values.update(status="failed", last_error=outcome.detail)
    elif outcome.kind in ("gone", "unsent"):          # the endpoint's fault, or never sent: it waits, uncounted
        values.update(status="queued", attempts=max(claimed.attempts - 1, 0), last_error=outcome.detail or None)
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
    return values


def record_outcomes(session: Session, tried: list[tuple[Claimed, Outcome]], endpoint: Endpoint,
                    now: datetime | None = None) -> list[str | None]:
    """In one short transaction: what each try means for its delivery. Returns each new status, or None
    where the lease had passed to another worker (a late answer changes nothing, unless it delivered)."""
    now = now or utcnow()
    writing(session)
    statuses = []
    for claimed, outcome in tried:
        if outcome.kind == "gone":
            state = session.get(EndpointState, 1) or EndpointState(id=1)
            state.disabled_at, state.reason = now, outcome.detail
            session.add(state)
        ours = (and_(Delivery.id == claimed.delivery_id, Delivery.status != "delivered") if outcome.kind == "delivered"
                else and_(Delivery.id == claimed.delivery_id, Delivery.status == "sending",
                          Delivery.attempts == claimed.attempts))
        values = _outcome_values(claimed, outcome, endpoint, now)
        changed = session.execute(update(Delivery).where(ours).values(**values)).rowcount
        statuses.append(values["status"] if changed else None)
    session.commit()
    for (claimed, outcome), status in zip(tried, statuses):
        if outcome.kind != "unsent":
            log.info(json.dumps({"event": "delivery", "submission": claimed.submission_id, "outcome": outcome.kind,
                                 "attempt": claimed.attempts, "status": status or "lease_lost",
                                 "detail": outcome.detail.split(":")[0][:40]}, separators=(",", ":")))
    return statuses


def deliver(sessions, endpoint: Endpoint, sender: Sender | None = None, limit: int = 1) -> list[str]:
    """Lease up to ``limit`` due deliveries, send each (no transaction open), record what happened; the
    outcomes, none when nothing was due (or the endpoint is off). After a 410 Gone the rest are not sent."""
    own = sender is None
    sender = sender or Sender(endpoint)
    try:
        with sessions() as session:
            claimed = claim(session, endpoint, limit=limit)
            if not claimed:
                return []
            tried: list[tuple[Claimed, Outcome]] = []
            for item in claimed:
                gone = any(o.kind == "gone" for _, o in tried)
                tried.append((item, Outcome("unsent") if gone else attempt(endpoint, item.submission_id, item.body,
                                                                            sender)))
            record_outcomes(session, tried, endpoint)
            return [o.kind for _, o in tried if o.kind != "unsent"]
    finally:
        if own:
            sender.close()


def run_once(sessions, endpoint: Endpoint) -> str | None:
    """Deliver one due submission; its outcome, or None when nothing was due (or the endpoint is off)."""
    kinds = deliver(sessions, endpoint)
    return kinds[0] if kinds else None


def run(sessions, endpoint: Endpoint, stop: threading.Event, poll: float = 1.0, batch: int = 8) -> None:
    """Deliver until stopped: up to ``batch`` deliveries per lease, over one kept-alive connection."""
    sender = Sender(endpoint)
    while not stop.is_set():
        try:
            worked = deliver(sessions, endpoint, sender, batch)
        except Exception as exc:        # the database went away a moment: keep the worker alive
            from .logs import error_event
            log.error(error_event(exc, context="delivery loop"))
            worked = []
        if not worked:
            stop.wait(poll)
    sender.close()


def resend(session: Session, sub_id: str) -> bool:
    """Queue a failed or dead-lettered delivery again, from its first try."""
    writing(session)
    delivery = session.scalar(select(Delivery).where(Delivery.submission_id == sub_id))
    if delivery is None or delivery.status in ("delivered", "sending"):
        return False
    delivery.status, delivery.attempts = "queued", 0
    delivery.next_attempt_at = delivery.queued_at = utcnow()
    delivery.last_error = None
    session.commit()
    return True


def enable_endpoint(session: Session) -> None:
    writing(session)
    state = session.get(EndpointState, 1)
    if state is not None:
        state.disabled_at = None
        session.commit()
