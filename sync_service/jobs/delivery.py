"""Deliveries to the institution: a kind of job of the outbox, POSTed per the protocol.

Signed per Standard Webhooks (``signing``), with ``Idempotency-Key`` = ``webhook-id`` = the
submission id on every try and a fresh timestamp each time. The body is the stored delivery
document as JSON, signed as sent, so the Standard Webhooks reference libraries verify it as they
are; an endpoint configured for it (``Endpoint.gzip``) gets it gzipped (``Content-Encoding: gzip``),
the signature still over the JSON, which the receiver checks after undoing the gzip. A 2xx with a
receipt id completes it; 408, 429, 5xx, timeouts and broken connections are retried on a growing
schedule with jitter, honouring ``Retry-After`` up to a cap; any other 4xx fails with the reason;
410 Gone disables the endpoint (deliveries wait, none is lost) until an admin enables it again.
After the last try, or when the next try would fall after the schedule's end, a delivery is
dead-lettered, visible, and can be resent. The outbox (``store.outbox``) leases, records and resends;
no transaction is open while the institution is being asked. A worker sends a batch over several kept-alive
connections at once (``Lanes``), so that an institution whose answers take a while is not asked one
submission after another.
"""
from __future__ import annotations

import email.utils
import http.client
import json
import logging
import math
import socket
import ssl
import threading
import urllib.parse
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from addin import json_bytes

from .. import signing
from ..store import outbox
from ..store.database import writing
from ..store.models import Delivery, EndpointState, JobStatus, Submission, table
from ..store.outbox import Claimed, Outcome, Schedule

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

    def retries(self, count: int = 1) -> Schedule:
        """The outbox's schedule for this endpoint, leasing ``count`` deliveries at once."""
        return Schedule(tuple(self.schedule), self.retry_after_max, self.timeout * count + self.lease_margin)


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


def attempt(endpoint: Endpoint, sub_id: str, body: bytes, sender: "Sender | None" = None) -> Outcome:
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
        return Outcome("done", f"{status}", receipt_id=str(receipt)[:200])
    reason = raw[:2000].decode("utf-8", "replace")
    if status == 410:
        return Outcome("gone", f"410 Gone: {reason[:200]}")
    if status in RETRYABLE or status >= 500:
        return Outcome("retry", f"{status}", retry_after=retry_after(answer_headers.get("Retry-After"),
                                                                    endpoint.retry_after_max))
    return Outcome("failed", f"{status}: {reason[:500]}")


KIND = "delivery"
# The documents are read by their keys, planned for those keys each time. A prepared statement's generic plan,
# made on the worker's connection while the submissions were few, is a scan of the whole table, and stays one
# as the table grows until its statistics change (never, with autovacuum off): at 15,000 submissions a batch's
# read took 6-15 ms scanning all 540 pages of the table, where the primary key's index finds each document.
CUSTOM_PLAN = text("SET LOCAL plan_cache_mode = force_custom_plan")
DOCUMENTS = (select(table(Submission).c.id, table(Submission).c.body)           # a batch's documents, built once
             .where(table(Submission).c.id.in_(bindparam("ids", expanding=True))))
SHOWN = {"done": JobStatus.DELIVERED}      # what the log calls an outcome: a delivery is delivered


def claim(session: Session, endpoint: Endpoint, now: datetime | None = None, limit: int = 1
          ) -> tuple[list[Claimed], dict[str, bytes]]:
    """In one short transaction: lease up to ``limit`` due deliveries (none while the endpoint is disabled),
    and load their stored documents."""
    writing(session)
    try:
        claimed = outbox.lease_due(session, (KIND,), timedelta(seconds=endpoint.retries(limit).lease), now=now,
                                   limit=limit, when_endpoint_enabled=True)
        if not claimed:
            return [], {}
        if session.get_bind().dialect.name == "postgresql":
            session.execute(CUSTOM_PLAN)
        found = dict(session.connection().execute(DOCUMENTS, {"ids": [c.submission_id for c in claimed]}).all())
        return claimed, found
    finally:
        session.commit()


def endpoint_disabled(session: Session) -> EndpointState | None:
    state = session.get(EndpointState, 1)
    return state if state is not None and state.disabled_at is not None else None


def record_outcomes(session: Session, tried: list[tuple[Claimed, Outcome]], endpoint: Endpoint,
                    now: datetime | None = None) -> list[str | None]:
    """What each try means for its delivery (``store.outbox.record``), and a log line per try."""
    statuses = outbox.record(session, tried, endpoint.retries(len(tried) or 1), now)
    for (claimed, outcome), status in zip(tried, statuses):
        if outcome.kind != "unsent":
            log.info(json.dumps({"event": "delivery", "submission": claimed.submission_id,
                                 "outcome": SHOWN.get(outcome.kind, outcome.kind), "attempt": claimed.attempts,
                                 "status": status or "lease_lost", "detail": outcome.detail.split(":")[0][:40]},
                                separators=(",", ":")))
    return statuses


class Lanes:
    """Deliveries sent at once: ``count`` lanes, each over its own kept-alive connection (``Sender``), a batch's
    deliveries dealt to them in turn and each lane sending its own one after another (one lane: the batch in
    order). The institution's answers are waited for side by side: at 50 ms an answer, one connection
    delivers 20 a second, four 80. Once an answer is 410 Gone no lane starts another delivery (those already
    sent finish, and say what they were answered); the rest are left unsent, back in the queue uncounted."""

    def __init__(self, endpoint: Endpoint, count: int = 1, senders: list[Sender] | None = None):
        if count < 1:
            raise ValueError(f"deliveries need at least one connection, found {count}")
        self.senders = senders or [Sender(endpoint) for _ in range(count)]
        self.pool = (ThreadPoolExecutor(len(self.senders), thread_name_prefix="cpd-delivery")
                     if len(self.senders) > 1 else None)

    def send(self, endpoint: Endpoint, items: list[tuple[str, bytes]]) -> list[Outcome]:
        """Each (submission id, stored document) tried once; the outcomes in the same order."""
        outcomes = [Outcome("unsent")] * len(items)
        gone = threading.Event()
        lanes = len(self.senders)

        def lane(k: int) -> None:
            for i in range(k, len(items), lanes):
                if gone.is_set():
                    return
                outcomes[i] = attempt(endpoint, *items[i], self.senders[k])
                if outcomes[i].kind == "gone":
                    gone.set()

        if self.pool is None or len(items) == 1:
            for k in range(min(lanes, len(items))):
                lane(k)
        else:
            running = [self.pool.submit(lane, k) for k in range(min(lanes, len(items)))]
            wait(running)                 # every lane done before any error is raised: none still uses its
            for future in running:        # connection when the next batch does
                future.result()
        return outcomes

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()
        for sender in self.senders:
            sender.close()


def deliver(sessions, endpoint: Endpoint, sender: Sender | Lanes | None = None, limit: int = 1) -> list[str]:
    """Lease up to ``limit`` due deliveries, send each (no transaction open; over ``sender``'s one connection, in
    order, or over ``Lanes``' several at once), record what happened; the outcomes, none when nothing was due
    (or the endpoint is off). After a 410 Gone no more are sent."""
    lanes = sender if isinstance(sender, Lanes) else Lanes(endpoint, senders=[sender] if sender else None)
    try:
        with sessions() as session:
            claimed, found = claim(session, endpoint, limit=limit)
            if not claimed:
                return []
            sub_ids = [str(c.submission_id) for c in claimed]              # a delivery is of a submission
            outcomes = lanes.send(endpoint, [(sub_id, found[sub_id]) for sub_id in sub_ids])
            record_outcomes(session, list(zip(claimed, outcomes)), endpoint)
            return [SHOWN.get(o.kind, o.kind) for o in outcomes if o.kind != "unsent"]
    finally:
        if sender is None:
            lanes.close()


def run_once(sessions, endpoint: Endpoint) -> str | None:
    """Deliver one due submission; its outcome, or None when nothing was due (or the endpoint is off)."""
    kinds = deliver(sessions, endpoint)
    return kinds[0] if kinds else None


class Deliveries:
    """The delivery kind for the worker (``jobs.worker``): a batch leased at once and sent over ``connections``
    kept-alive connections at once (``Lanes``)."""

    kind = KIND

    def __init__(self, endpoint: Endpoint, batch: int = 8, connections: int = 4):
        self.endpoint, self.batch = endpoint, batch
        self.lanes = Lanes(endpoint, connections)

    def work(self, sessions) -> int:
        return len(deliver(sessions, self.endpoint, self.lanes, self.batch))

    def close(self) -> None:
        self.lanes.close()


def resend(session: Session, sub_id: str) -> bool:
    """Queue a failed or dead-lettered delivery again, from its first try."""
    return outbox.resend(session, session.scalar(select(Delivery).where(Delivery.submission_id == sub_id)))


def enable_endpoint(session: Session) -> None:
    writing(session)
    state = session.get(EndpointState, 1)
    if state is not None:
        state.disabled_at = None
    session.commit()
